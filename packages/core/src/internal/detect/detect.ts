/**
 * The detection pipeline, synchronous and pure apart from guarded reads.
 */
import type { PackageManager, PackageManagerName, RepoProfile } from "../../RepoProfile.js"
import { readCi } from "./ci.js"
import { chooseCommands } from "./commands.js"
import { detectFrameworks, detectTools } from "./frameworks.js"
import { parseJson, readPackageJson, type PackageJson } from "./packageJson.js"
import { detectPackageManager, LOCKFILES, lockfilesIn, sniffLockfile, type Lockfile } from "./packageManager.js"
import { RepoReader } from "./reader.js"
import { DECOY_DIR, expandWorkspaces, findNestedLockfiles, readWorkspaces } from "./workspaces.js"
import { isYamlMap } from "./yaml.js"

export interface RunOptions {
  /** A package manager forced by config: commands are rendered for it. */
  readonly packageManager?: PackageManagerName
  readonly configFile?: string | null
}

export interface RunResult {
  readonly profile: RepoProfile
  readonly reader: RepoReader
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

  const ci = readCi(reader)
  const rootPkg = pkgAt(".")

  // Where the project lives: CI's working directory of its test/build job, else the root,
  // else the single non-decoy subdirectory with a package.json.
  const provisional: PackageManager = { name: "npm", variant: null, version: null, confidence: 0, evidence: [] }
  const pre = chooseCommands({
    pm: provisional,
    hasLockfile: false,
    projectDir: ".",
    pkgAt,
    ci: ci.commands,
    frameworks: [],
    tools: [],
    isMonorepo: false,
    workspacePackages: [],
    exists: (f) => reader.exists(f),
    warn: () => {},
    turboTasks: null
  })
  let projectDir = pre.projectDir
  if (projectDir === "." && rootPkg === null && !reader.exists("package.json")) {
    const candidates = reader
      .subdirs(".")
      .filter((d) => !d.startsWith(".") && d !== "node_modules" && !DECOY_DIR.test(d) && reader.exists(`${d}/package.json`))
    if (candidates.length === 1) {
      projectDir = candidates[0]
      reader.warn(`no package.json at the root; the project seems to live in ${projectDir}/`)
    } else if (candidates.length > 1) {
      reader.warn(`no package.json at the root and several candidate projects (${candidates.slice(0, 5).join(", ")}); set the commands in ratchet.config.ts`)
    } else {
      reader.warn("no package.json found at the root: this does not look like a Node.js project")
    }
  }

  // Lockfiles: the project directory, then its parents up to the root (monorepo packages).
  let lockDir = projectDir
  let lockfiles: Array<Lockfile> = lockfilesIn(reader, lockDir)
  while (lockfiles.length === 0 && lockDir !== ".") {
    lockDir = lockDir.includes("/") ? lockDir.slice(0, lockDir.lastIndexOf("/")) : "."
    lockfiles = lockfilesIn(reader, lockDir)
  }
  const projectPkg = pkgAt(projectDir)
  const pmDir = lockfiles.length > 0 ? lockDir : projectDir
  const pmPkg = pkgAt(pmDir) ?? projectPkg

  // Workspaces.
  const wsDir = pkgAt(pmDir)?.raw.workspaces !== undefined || reader.exists(reader.join(pmDir, "pnpm-workspace.yaml")) ? pmDir : projectDir
  const ws = readWorkspaces(reader, wsDir, pkgAt(wsDir))
  const packageDirs = expandWorkspaces(reader, wsDir, ws.patterns)
  const packages: Array<PackageJson> = []
  for (const p of [projectDir, ...(wsDir !== projectDir ? [wsDir] : []), ...packageDirs]) {
    const pkg = pkgAt(p)
    if (pkg && !packages.includes(pkg)) packages.push(pkg)
  }

  // Decoy and nested lockfiles.
  const excluded = new Set<string>([lockDir])
  const nestedLockfiles: Array<Lockfile> = []
  for (const n of findNestedLockfiles(reader, excluded)) {
    if (packageDirs.includes(n.dir)) continue
    if (n.dir === projectDir || projectDir.startsWith(`${n.dir}/`)) continue
    if (DECOY_DIR.test(n.dir)) reader.warn(`${n.file}: lockfile inside a fixture/example/test directory; ignored (decoy)`)
    else {
      reader.warn(`${n.file}: lockfile outside the project${projectDir === "." ? " root" : ` (${projectDir})`}; not used`)
      const base = n.file.slice(n.file.lastIndexOf("/") + 1)
      const known = LOCKFILES.find((l) => l.file === base)
      if (known && lockfiles.length === 0) nestedLockfiles.push(sniffLockfile(reader, n.file, known.pm))
    }
  }

  let pm = detectPackageManager(reader, { projectDir: pmDir, pkg: pmPkg, ci: ci.commands, setups: ci.setups, lockfiles, nestedLockfiles })
  if (options.packageManager && options.packageManager !== pm.name) {
    pm = {
      name: options.packageManager,
      variant: options.packageManager === "yarn" ? (lockfiles.find((l) => l.pm === "yarn")?.variant ?? "classic") : null,
      version: null,
      confidence: 1,
      evidence: [{ file: options.configFile ?? "ratchet.config.ts", detail: `profile.packageManager: ${options.packageManager}` }]
    }
  }

  const frameworks = detectFrameworks(reader, packages, ws.catalog)
  const tools = detectTools(reader, wsDir, pkgAt(wsDir))
  const turboTasks = readTurboTasks(reader, wsDir)
  const { commands } = chooseCommands({
    pm,
    hasLockfile: lockfiles.some((l) => l.pm === pm.name),
    projectDir,
    pkgAt,
    ci: ci.commands,
    frameworks,
    tools,
    isMonorepo: packageDirs.length > 0,
    workspacePackages: packageDirs.map(pkgAt).filter((p): p is PackageJson => p !== null),
    exists: (f) => (f.endsWith("/.") ? reader.isDir(f.slice(0, -2)) : reader.exists(f)),
    warn: (m) => reader.warn(m),
    turboTasks
  })

  const question =
    pm.confidence < 0.5
      ? "Which package manager does this repository use: npm, pnpm, yarn or bun?"
      : commands.test === null
        ? "Which command runs this repository's tests?"
        : commands.test.confidence < 0.5
          ? `Is \`${commands.test.command}\` the command that runs this repository's tests?`
          : null

  const profile: RepoProfile = {
    root,
    packageManager: pm,
    workspaces: ws.patterns.length > 0 ? [...ws.patterns] : [],
    frameworks,
    commands,
    warnings: reader.warnings,
    question,
    ...(tools.length > 0 ? { tools } : {})
  }
  return { profile, reader }
}

const readTurboTasks = (reader: RepoReader, dir: string): { file: string; names: Array<string> } | null => {
  for (const name of ["turbo.json", "turbo.jsonc"]) {
    const file = reader.join(dir, name)
    const text = reader.read(file)
    if (text === null) continue
    let parsed = parseJson(text)
    if (!parsed.ok) parsed = parseJson(text.replace(/^\s*\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "").replace(/,(\s*[}\]])/g, "$1"))
    if (!parsed.ok) {
      reader.warn(`${file}:${parsed.line}: invalid JSON (${parsed.message}); turbo tasks ignored`)
      return null
    }
    const v = parsed.value
    const tasks = isYamlMap(v) ? (isYamlMap(v.tasks) ? v.tasks : isYamlMap(v.pipeline) ? v.pipeline : null) : null
    if (!tasks) return null
    const names = [...new Set(Object.keys(tasks).map((k) => k.slice(k.lastIndexOf("#") + 1)))]
    return { file, names }
  }
  return null
}
