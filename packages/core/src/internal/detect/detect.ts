/**
 * The detection pipeline, synchronous and pure apart from guarded reads.
 *
 * 1. Where the project is: CI's working directory, else the root when it has a `package.json` or
 *    `deno.json`, else the project roots one or two directories down (a directory with a manifest
 *    and a lockfile, workspace file or Deno config), fixtures and examples excluded.
 * 2. For each project root: package manager, workspaces (package-manager workspaces, Deno
 *    workspaces, Nx `workspace.json` / `project.json`, Moon), frameworks, task tools and commands.
 * 3. The first root answers; when there are several, `projects` lists them all.
 */
import type { CommandSpec, Commands, Evidence, Framework, PackageManager, PackageManagerName, ProjectRoot, RepoProfile } from "../../RepoProfile.js"
import { readCi, type CiResult } from "./ci.js"
import { chooseCommands } from "./commands.js"
import { type DenoConfig, mergeDeno, parseJsonc, readDenoConfig } from "./deno.js"
import { detectFrameworks, detectTools } from "./frameworks.js"
import { keyLine, parseJson, readPackageJson, type PackageJson } from "./packageJson.js"
import { detectPackageManager, LOCKFILES, lockfilesIn, sniffLockfile, type Lockfile } from "./packageManager.js"
import { RepoReader } from "./reader.js"
import { DECOY_DIR, expandWorkspaces, findNestedLockfiles, readTaskProjects, readWorkspaces, SKIP_DIRS, strongDecoy, WEAK_DECOY_DIR } from "./workspaces.js"
import { isYamlMap, readYaml } from "./yaml.js"

export interface RunOptions {
  /** A package manager forced by config: commands are rendered for it. */
  readonly packageManager?: PackageManagerName
  readonly configFile?: string | null
}

export interface RunResult {
  readonly profile: RepoProfile
  readonly reader: RepoReader
}

interface Context {
  readonly reader: RepoReader
  readonly ci: CiResult
  readonly pkgAt: (dir: string) => PackageJson | null
  readonly denoAt: (dir: string) => DenoConfig | null
  readonly findFile: (dir: string, name: RegExp, accept: ((head: string) => boolean) | null) => string | null
}

interface ProjectResult {
  readonly dir: string
  readonly pm: PackageManager
  readonly patterns: ReadonlyArray<string>
  readonly frameworks: Array<Framework>
  readonly tools: Array<Framework>
  readonly commands: Commands
}

/** Runs detection on a root that is known to be a real directory (already `realpath`ed). */
export const runDetection = (root: string, options: RunOptions = {}): RunResult => {
  const reader = new RepoReader(root)
  const pkgCache = new Map<string, PackageJson | null>()
  const pkgAt = (dir: string): PackageJson | null => {
    const key = reader.normalize(dir)
    if (key === null) return null
    if (!pkgCache.has(key)) pkgCache.set(key, readPackageJson(reader, key))
    return pkgCache.get(key) ?? null
  }
  const denoCache = new Map<string, DenoConfig | null>()
  const denoAt = (dir: string): DenoConfig | null => {
    const key = reader.normalize(dir)
    if (key === null) return null
    if (!denoCache.has(key)) denoCache.set(key, readDenoConfig(reader, key))
    return denoCache.get(key) ?? null
  }
  const ctx: Context = { reader, ci: readCi(reader), pkgAt, denoAt, findFile: fileFinder(reader) }
  const hasManifest = (dir: string) => reader.exists(reader.join(dir, "package.json")) || reader.exists(reader.join(dir, "deno.json")) || reader.exists(reader.join(dir, "deno.jsonc"))

  // Where the project lives: CI's working directory of its test/build job, else the root,
  // else the project roots below it.
  const provisional: PackageManager = { name: "npm", variant: null, version: null, confidence: 0, evidence: [] }
  const pre = chooseCommands({
    pm: provisional,
    hasLockfile: false,
    projectDir: ".",
    pkgAt,
    ci: ctx.ci.commands,
    frameworks: [],
    frameworksByDir: new Map(),
    tools: [],
    isMonorepo: false,
    workspacePackages: [],
    exists: (f) => reader.exists(f),
    warn: () => {},
    turboTasks: null,
    findFile: () => null
  })
  let projectDir = pre.projectDir
  let others: Array<string> = []
  if (projectDir !== "." && !hasManifest(".")) {
    // CI chose the project; other project roots of the repository are still reported
    const related = (dir: string) => dir === projectDir || projectDir.startsWith(`${dir}/`) || dir.startsWith(`${projectDir}/`)
    const roots = findProjectRoots(ctx).filter((r) => !related(r.dir))
    if (roots.length > 0) {
      others = roots.map((r) => r.dir)
      reader.warn(`commands are for ${projectDir}/ (where CI runs them); the repository also holds ${others.map((o) => `${o}/`).join(", ")}, listed in "projects"`)
    }
  }
  if (projectDir === "." && !hasManifest(".")) {
    const roots = findProjectRoots(ctx)
    if (roots.length > 0) {
      projectDir = roots[0].dir
      others = roots.slice(1).map((r) => r.dir)
      if (others.length === 0) reader.warn(`no package.json at the root; the project is ${projectDir}/ (${roots[0].why}, the only project in the repository)`)
      else {
        reader.warn(
          `no package.json at the root and ${roots.length} project roots: ${roots.map((r) => `${r.dir}/`).join(", ")}; commands are for ${projectDir}/, every root is listed in "projects" (set the commands in ratchet.config.ts to choose another)`
        )
      }
    } else {
      const candidates = reader
        .subdirs(".")
        .filter((d) => !d.startsWith(".") && d !== "node_modules" && !DECOY_DIR.test(d) && hasManifest(d))
      if (candidates.length === 1) {
        projectDir = candidates[0]
        reader.warn(`no package.json at the root; the project seems to live in ${projectDir}/`)
      } else if (candidates.length > 1) {
        reader.warn(`no package.json at the root and several candidate projects (${candidates.slice(0, 5).join(", ")}); set the commands in ratchet.config.ts`)
      } else {
        reader.warn("no package.json or deno.json found at the root or in a sub-directory: this does not look like a JavaScript/TypeScript project")
      }
    }
  }

  const primary = detectProject(ctx, projectDir, others, options)
  const rest = others.map((dir) => detectProject(ctx, dir, [projectDir, ...others.filter((o) => o !== dir)], options))
  const all = [primary, ...rest]
  const pm = primary.pm
  const commands = primary.commands

  const question =
    pm.confidence < 0.5
      ? "Which package manager does this repository use: npm, pnpm, yarn, bun or deno?"
      : commands.test === null
        ? "Which command runs this repository's tests?"
        : commands.test.confidence < 0.5
          ? `Is \`${commands.test.command}\` the command that runs this repository's tests?`
          : null

  const prefixed = (p: ProjectResult) => p.patterns.map((w) => (p.dir === "." ? w : `${p.dir}/${w.replace(/^\.\//, "")}`))
  const union = (lists: ReadonlyArray<ReadonlyArray<Framework>>) => {
    const out: Array<Framework> = []
    for (const list of lists) for (const f of list) if (!out.some((o) => o.name === f.name)) out.push(f)
    return out
  }
  const frameworks = union(all.map((p) => p.frameworks))
  const tools = union(all.map((p) => p.tools))
  const projects: Array<ProjectRoot> | null =
    all.length > 1 ? all.map((p) => ({ dir: p.dir, packageManager: p.pm, workspaces: prefixed(p), commands: p.commands })) : null

  const profile: RepoProfile = {
    root,
    packageManager: tidyPm(pm),
    workspaces: all.length > 1 ? all.flatMap(prefixed) : [...primary.patterns],
    frameworks: frameworks.map(tidyFramework),
    commands: tidyCommands(commands),
    warnings: reader.warnings,
    question,
    ...(tools.length > 0 ? { tools: tools.map(tidyFramework) } : {}),
    ...(projects ? { projects: projects.map((p) => ({ ...p, packageManager: tidyPm(p.packageManager), commands: tidyCommands(p.commands) })) } : {})
  }
  return { profile, reader }
}

/** Evidence without a line has no `line` key (an `undefined` one is not valid `Evidence`). */
const tidy = (e: Evidence): Evidence => (e.line === undefined && "line" in e ? { file: e.file, detail: e.detail } : e)
const tidyPm = (pm: PackageManager): PackageManager => ({ ...pm, evidence: pm.evidence.map(tidy) })
const tidyFramework = (f: Framework): Framework => ({ ...f, evidence: f.evidence.map(tidy) })
const tidyCommands = (c: Commands): Commands => {
  const spec = (s: CommandSpec | null): CommandSpec | null => (s === null ? null : { ...s, evidence: s.evidence.map(tidy) })
  return { install: spec(c.install), build: spec(c.build), typecheck: spec(c.typecheck), test: spec(c.test), bench: spec(c.bench) }
}

/** Detection for one project root. `otherRoots` are the repository's other project roots (their lockfiles are theirs, not strays). */
const detectProject = (ctx: Context, projectDir: string, otherRoots: ReadonlyArray<string>, options: RunOptions): ProjectResult => {
  const { reader, ci, pkgAt, denoAt } = ctx
  // Lockfiles: the project directory, then its parents up to the root (monorepo packages).
  let lockDir = projectDir
  let lockfiles: Array<Lockfile> = lockfilesIn(reader, lockDir)
  while (lockfiles.length === 0 && lockDir !== "." && !otherRoots.includes(lockDir)) {
    lockDir = lockDir.includes("/") ? lockDir.slice(0, lockDir.lastIndexOf("/")) : "."
    lockfiles = lockfilesIn(reader, lockDir)
  }
  const projectPkg = pkgAt(projectDir)
  const pmDir = lockfiles.length > 0 ? lockDir : projectDir
  const pmPkg = pkgAt(pmDir) ?? projectPkg
  const deno = denoAt(pmDir) ?? denoAt(projectDir)

  // Workspaces: package-manager workspaces, a Deno workspace, or a task runner's project list.
  const denoWsDir = denoAt(pmDir)?.workspace ? pmDir : null
  const wsDir = pkgAt(pmDir)?.raw.workspaces !== undefined || reader.exists(reader.join(pmDir, "pnpm-workspace.yaml")) || denoWsDir !== null ? pmDir : projectDir
  const ws = readWorkspaces(reader, wsDir, pkgAt(wsDir))
  let patterns: ReadonlyArray<string> = ws.patterns
  let packageDirs = expandWorkspaces(reader, wsDir, ws.patterns)
  const taskProjects = patterns.length === 0 && !(denoAt(wsDir)?.workspace?.length) ? readTaskProjects(reader, wsDir) : null
  if (taskProjects) patterns = taskProjects.patterns

  // Decoy and nested lockfiles (other project roots and everything below them are theirs).
  const insideOther = (dir: string) => otherRoots.some((o) => dir === o || dir.startsWith(`${o}/`))
  /** CI commands that run in another project root belong to that project. */
  const ciHere = ci.commands.filter((c) => !insideOther(c.cwd))
  const nestedLockfiles: Array<Lockfile> = []
  for (const n of findNestedLockfiles(reader, new Set<string>([lockDir]))) {
    if (packageDirs.includes(n.dir) || taskProjects?.dirs.includes(n.dir)) continue
    if (n.dir === projectDir || projectDir.startsWith(`${n.dir}/`)) continue
    if (insideOther(n.dir)) continue
    if (DECOY_DIR.test(n.dir)) reader.warn(`${n.file}: lockfile inside a fixture/example/test directory; ignored (decoy)`)
    else {
      reader.warn(`${n.file}: lockfile outside the project${projectDir === "." ? " root" : ` (${projectDir})`}; not used`)
      const base = n.file.slice(n.file.lastIndexOf("/") + 1)
      const known = LOCKFILES.find((l) => l.file === base)
      if (known && lockfiles.length === 0) nestedLockfiles.push(sniffLockfile(reader, n.file, known.pm))
    }
  }

  let pm = detectPackageManager(reader, { projectDir: pmDir, pkg: pmPkg, ci: ciHere, setups: ci.setups, lockfiles, nestedLockfiles, deno })
  if (options.packageManager && options.packageManager !== pm.name) {
    pm = {
      name: options.packageManager,
      variant: options.packageManager === "yarn" ? (lockfiles.find((l) => l.pm === "yarn")?.variant ?? "classic") : null,
      version: null,
      confidence: 1,
      evidence: [{ file: options.configFile ?? "ratchet.config.ts", detail: `profile.packageManager: ${options.packageManager}` }]
    }
  }
  const isDeno = pm.name === "deno"
  /** package.json, or for a Deno project the view that includes deno.json's tasks and imports. */
  const projPkgAt = (dir: string): PackageJson | null => {
    const pkg = pkgAt(dir)
    const d = isDeno ? denoAt(dir) : null
    return d ? mergeDeno(pkg, d) : pkg
  }
  const denoWs = isDeno ? denoAt(wsDir)?.workspace : null
  if (denoWs && denoWs.length > 0 && ws.patterns.length === 0) {
    patterns = denoWs
    packageDirs = expandWorkspaces(reader, wsDir, denoWs, ["deno.json", "deno.jsonc", "package.json"])
  }

  const packages: Array<PackageJson> = []
  for (const p of [projectDir, ...(wsDir !== projectDir ? [wsDir] : []), ...packageDirs, ...(taskProjects?.dirs ?? [])]) {
    const pkg = projPkgAt(p)
    if (pkg && !packages.includes(pkg)) packages.push(pkg)
  }
  const { frameworks, byDir } = detectFrameworks(reader, packages, ws.catalog)
  const tools = detectTools(reader, wsDir, pkgAt(wsDir))
  const turboTasks = readTurboTasks(reader, wsDir, pkgAt(wsDir))
  const moonTasks = tools.some((t) => t.name === "moon") ? readMoonTasks(reader, wsDir, taskProjects?.tool === "moon" ? taskProjects.dirs : []) : null
  const { commands } = chooseCommands({
    pm,
    hasLockfile: lockfiles.some((l) => l.pm === pm.name),
    projectDir,
    pkgAt: projPkgAt,
    ci: ciHere,
    frameworks,
    frameworksByDir: byDir,
    tools,
    isMonorepo: packageDirs.length > 0 || (taskProjects?.dirs.length ?? 0) > 0,
    workspacePackages: packageDirs.map(projPkgAt).filter((p): p is PackageJson => p !== null),
    exists: (f) => (f.endsWith("/.") ? reader.isDir(f.slice(0, -2)) : reader.exists(f)),
    warn: (m) => reader.warn(m),
    turboTasks,
    moonTasks,
    findFile: ctx.findFile,
    denoConfigFile: deno?.file ?? null
  })
  return { dir: projectDir, pm, patterns, frameworks, tools, commands }
}

/**
 * Project roots below a root without a manifest: directories (one or two levels down) with a
 * `package.json` or `deno.json` and a lockfile, a workspace file or a Deno config; fixtures,
 * examples and tests are never roots; a docs site or website only ranks after the others.
 */
const findProjectRoots = (ctx: Context): Array<{ dir: string; why: string }> => {
  const { reader } = ctx
  const found: Array<{ dir: string; why: string; weak: boolean }> = []
  const visit = (rel: string, depth: number): void => {
    for (const name of reader.subdirs(rel).sort()) {
      if (name.startsWith(".") || SKIP_DIRS.has(name)) continue
      const dir = rel === "." ? name : `${rel}/${name}`
      if (strongDecoy(dir)) continue
      const why = rootEvidence(ctx, dir)
      if (why !== null) found.push({ dir, why, weak: dir.split("/").some((p) => WEAK_DECOY_DIR.test(p)) })
      else if (depth < 2) visit(dir, depth + 1)
    }
  }
  visit(".", 1)
  return found.sort((a, b) => Number(a.weak) - Number(b.weak) || (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0)).map(({ dir, why }) => ({ dir, why }))
}

const rootEvidence = (ctx: Context, dir: string): string | null => {
  const { reader, pkgAt, denoAt } = ctx
  const pkg = reader.exists(reader.join(dir, "package.json")) ? pkgAt(dir) : null
  const deno = denoAt(dir)
  if (pkg === null && deno === null) return null
  const lock = LOCKFILES.find((l) => reader.exists(reader.join(dir, l.file)))
  if (lock) return `${dir}/${pkg ? "package.json" : deno?.file.slice(deno.file.lastIndexOf("/") + 1)} and ${dir}/${lock.file}`
  if (pkg?.raw.workspaces !== undefined) return `${dir}/package.json with "workspaces"`
  if (reader.exists(reader.join(dir, "pnpm-workspace.yaml"))) return `${dir}/pnpm-workspace.yaml`
  if (deno) return `${deno.file}`
  return null
}

/** First matching file under `dir` in name order (bounded: 4 levels, 4000 entries), skipping dependencies, output and dot directories. */
const fileFinder = (reader: RepoReader) => {
  const cache = new Map<string, string | null>()
  return (dir: string, name: RegExp, accept: ((head: string) => boolean) | null): string | null => {
    const key = `${dir}\0${name.source}\0${accept === null ? "" : accept.toString()}`
    if (cache.has(key)) return cache.get(key) ?? null
    let budget = 4000
    let hit: string | null = null
    const walk = (rel: string, depth: number): void => {
      const entries = [...reader.list(rel)].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      for (const entry of entries) {
        if (hit !== null || --budget < 0) return
        const child = rel === "." ? entry.name : `${rel}/${entry.name}`
        if (entry.isFile() && name.test(entry.name)) {
          if (accept === null || accept(reader.read(child, { headBytes: 4096 }) ?? "")) hit = child
        } else if (entry.isDirectory() && depth < 4 && !SKIP_DIRS.has(entry.name) && !entry.name.startsWith(".") && !/^(fixtures?|__fixtures__)$/.test(entry.name)) walk(child, depth + 1)
      }
    }
    walk(dir, 0)
    cache.set(key, hit)
    return hit
  }
}

const readTurboTasks = (reader: RepoReader, dir: string, pkg: PackageJson | null): { file: string; line?: number; names: Array<string> } | null => {
  const namesOf = (v: unknown): Array<string> | null => {
    const tasks = isYamlMap(v) ? (isYamlMap(v.tasks) ? v.tasks : isYamlMap(v.pipeline) ? v.pipeline : null) : null
    return tasks ? [...new Set(Object.keys(tasks).map((k) => k.slice(k.lastIndexOf("#") + 1)))] : null
  }
  for (const name of ["turbo.json", "turbo.jsonc"]) {
    const file = reader.join(dir, name)
    const text = reader.read(file)
    if (text === null) continue
    let parsed = parseJson(text)
    if (!parsed.ok) parsed = parseJsonc(text)
    if (!parsed.ok) {
      reader.warn(`${file}:${parsed.line}: invalid JSON (${parsed.message}); turbo tasks ignored`)
      return null
    }
    const names = namesOf(parsed.value)
    return names ? { file, names } : null
  }
  // turbo 1.x: a "turbo" key in package.json with a "pipeline"
  const legacy = pkg?.raw.turbo
  const names = namesOf(legacy)
  if (pkg && names) return { file: pkg.file, line: keyLine(pkg.text, "turbo"), names }
  return null
}

/** Moon task names: `.moon/tasks.yml`, `.moon/tasks/*.yml` (inherited by projects) and the projects' own `moon.yml`. */
const readMoonTasks = (reader: RepoReader, dir: string, projectDirs: ReadonlyArray<string>): { file: string; names: Array<string> } | null => {
  const names = new Set<string>()
  let first: string | null = null
  const files = [
    reader.join(dir, ".moon/tasks.yml"),
    ...reader
      .list(reader.join(dir, ".moon/tasks"))
      .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
      .map((e) => reader.join(dir, `.moon/tasks/${e.name}`))
      .sort(),
    ...projectDirs.slice(0, 200).map((p) => reader.join(p, "moon.yml"))
  ]
  for (const file of files) {
    if (!reader.exists(file)) continue
    const doc = readYaml(reader, file)
    if (!isYamlMap(doc) || !isYamlMap(doc.tasks)) continue
    for (const k of Object.keys(doc.tasks)) names.add(k)
    first ??= file
  }
  return first === null ? null : { file: first, names: [...names] }
}
