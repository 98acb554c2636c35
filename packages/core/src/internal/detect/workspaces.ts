/**
 * Workspace patterns (npm/yarn `workspaces`, `pnpm-workspace.yaml`, lerna) and their
 * expansion into package directories; a bounded walk that finds nested lockfiles.
 */
import picomatch from "picomatch"
import type { Evidence } from "../../RepoProfile.js"
import { keyLine, type PackageJson } from "./packageJson.js"
import { LOCKFILES, readPnpmWorkspace } from "./packageManager.js"
import type { RepoReader } from "./reader.js"
import { isYamlMap, readYaml } from "./yaml.js"
import { parseJson } from "./packageJson.js"
import { parseJsonc } from "./deno.js"

export interface Workspaces {
  readonly patterns: ReadonlyArray<string>
  readonly evidence: ReadonlyArray<Evidence>
  readonly catalog: Readonly<Record<string, string>>
}

export const SKIP_DIRS = new Set(["node_modules", ".git", ".hg", ".svn", "dist", "build", "out", ".next", ".nuxt", ".svelte-kit", ".turbo", ".cache", "coverage", ".yarn", ".pnpm-store", "bower_components", "target", "vendor", ".output", ".vercel"])

export const readWorkspaces = (reader: RepoReader, dir: string, pkg: PackageJson | null): Workspaces => {
  const patterns: Array<string> = []
  const evidence: Array<Evidence> = []
  let catalog: Record<string, string> = {}
  if (pkg) {
    const ws = pkg.raw.workspaces
    const list = Array.isArray(ws) ? ws : isYamlMap(ws) && Array.isArray(ws.packages) ? ws.packages : null
    if (list) {
      const strings = list.filter((p): p is string => typeof p === "string")
      patterns.push(...strings)
      evidence.push({ file: pkg.file, line: keyLine(pkg.text, "workspaces"), detail: `"workspaces": ${JSON.stringify(strings)}` })
    } else if (ws !== undefined) {
      reader.warn(`${pkg.file}:${keyLine(pkg.text, "workspaces") ?? 1}: "workspaces" must be an array of globs or { packages: [...] }; ignored`)
    }
  }
  const pnpm = readPnpmWorkspace(reader, dir)
  if (pnpm) {
    catalog = pnpm.catalog
    if (pnpm.packages === null) {
      reader.warn(`${pnpm.file}: has no "packages" key, so this is not a pnpm monorepo (only the root package)`)
    } else {
      for (const p of pnpm.packages) if (!patterns.includes(p)) patterns.push(p)
      evidence.push({ file: pnpm.file, detail: `packages: ${JSON.stringify(pnpm.packages)}` })
    }
  }
  if (patterns.length === 0) {
    const lernaFile = reader.join(dir, "lerna.json")
    const lerna = reader.read(lernaFile)
    if (lerna !== null) {
      const parsed = parseJson(lerna)
      if (parsed.ok && isYamlMap(parsed.value) && Array.isArray(parsed.value.packages)) {
        const strings = parsed.value.packages.filter((p): p is string => typeof p === "string")
        patterns.push(...strings)
        evidence.push({ file: lernaFile, detail: `lerna packages: ${JSON.stringify(strings)}` })
      } else if (!parsed.ok) reader.warn(`${lernaFile}:${parsed.line}: invalid JSON (${parsed.message}); ignored`)
    }
  }
  return { patterns, evidence, catalog }
}

const MAX_PACKAGES = 5000

/** Expands workspace globs (relative to `dir`) into package directories (relative to the root) that have a package.json. */
export const expandWorkspaces = (reader: RepoReader, dir: string, patterns: ReadonlyArray<string>, markers: ReadonlyArray<string> = ["package.json"]): Array<string> => {
  const include = patterns.filter((p) => !p.startsWith("!")).map(cleanPattern).filter((p) => p !== "")
  const exclude = patterns.filter((p) => p.startsWith("!")).map((p) => cleanPattern(p.slice(1)))
  if (include.length === 0) return []
  const isIncluded = picomatch(include, { dot: false })
  const isExcluded = exclude.length > 0 ? picomatch(exclude) : () => false
  const found = new Set<string>()
  for (const pattern of include) {
    const segments = pattern.split("/")
    const staticParts: Array<string> = []
    for (const s of segments) {
      if (picomatch.scan(s).isGlob) break
      staticParts.push(s)
    }
    const base = staticParts.join("/") || "."
    const rest = segments.length - staticParts.length
    const maxDepth = pattern.includes("**") ? 6 : rest
    const walk = (rel: string, depth: number): void => {
      if (found.size >= MAX_PACKAGES) return
      if (rel !== "." && isIncluded(rel) && !isExcluded(rel) && markers.some((m) => reader.exists(reader.join(reader.join(dir, rel), m)))) found.add(rel)
      if (depth >= maxDepth) return
      for (const name of reader.subdirs(reader.join(dir, rel))) {
        if (SKIP_DIRS.has(name) || name.startsWith(".")) continue
        walk(rel === "." ? name : `${rel}/${name}`, depth + 1)
      }
    }
    if (reader.isDir(reader.join(dir, base))) walk(base, 0)
  }
  if (found.size >= MAX_PACKAGES) reader.warn(`workspaces: more than ${MAX_PACKAGES} packages; the rest were not read`)
  return [...found].sort().map((p) => reader.join(dir, p))
}

const cleanPattern = (p: string): string => p.trim().replace(/^\.\//, "").replace(/\/+$/, "").replace(/\/package\.json$/, "")

export const DECOY_DIR = /(^|\/)(fixtures?|__fixtures__|test-fixtures|examples?|samples?|demos?|tests?|__tests__|e2e|spec|specs|templates?|playground|sandbox|docs?|website|benchmarks?|scripts|tmp|temp)(\/|$)/i

/** Decoy names that are often a real project of their own when nothing else is (a docs site, a website). */
export const WEAK_DECOY_DIR = /^(docs?|website|site|www|web)$/i

/** A directory that is only a fixture, example or test: never the project. */
export const strongDecoy = (dir: string): boolean => dir.split("/").some((part) => DECOY_DIR.test(part) && !WEAK_DECOY_DIR.test(part))

/** Lockfiles below the root (bounded walk), except those in `exclude` directories. */
export const findNestedLockfiles = (reader: RepoReader, exclude: ReadonlySet<string>): Array<{ file: string; dir: string }> => {
  const out: Array<{ file: string; dir: string }> = []
  const names = new Set(LOCKFILES.map((l) => l.file))
  let budget = 20_000
  const walk = (rel: string, depth: number): void => {
    for (const entry of reader.list(rel)) {
      if (--budget < 0) return
      const child = rel === "." ? entry.name : `${rel}/${entry.name}`
      if (entry.isFile() && names.has(entry.name) && rel !== "." && !exclude.has(rel)) out.push({ file: child, dir: rel })
      else if (entry.isDirectory() && depth < 5 && !SKIP_DIRS.has(entry.name) && !entry.name.startsWith(".")) walk(child, depth + 1)
    }
  }
  walk(".", 0)
  return out
}

/** Project directories that a task runner lists (Nx `workspace.json`, Nx integrated `project.json`, Moon), relative to the root. */
export interface TaskProjects {
  readonly tool: "nx" | "moon"
  readonly patterns: ReadonlyArray<string>
  readonly dirs: ReadonlyArray<string>
  readonly evidence: Evidence
}

const MAX_PROJECT_WALK = 20_000

export const readTaskProjects = (reader: RepoReader, dir: string): TaskProjects | null => {
  const j = (f: string) => reader.join(dir, f)
  // Moon: .moon/workspace.yml `projects` (globs, a name → path map, or { globs, sources })
  for (const name of [".moon/workspace.yml", ".moon/workspace.yaml"]) {
    if (!reader.exists(j(name))) continue
    const doc = readYaml(reader, j(name))
    const projects = isYamlMap(doc) ? doc.projects : undefined
    const globs: Array<string> = []
    const paths: Array<string> = []
    const strings = (u: unknown) => (Array.isArray(u) ? u.filter((x): x is string => typeof x === "string") : [])
    if (Array.isArray(projects)) globs.push(...strings(projects))
    else if (isYamlMap(projects)) {
      if ("globs" in projects || "sources" in projects) {
        globs.push(...strings(projects.globs))
        if (isYamlMap(projects.sources)) for (const v of Object.values(projects.sources)) if (typeof v === "string") paths.push(v)
      } else for (const v of Object.values(projects)) if (typeof v === "string") paths.push(v)
    }
    const cleaned = paths.map((p) => p.replace(/^\.\//, "").replace(/\/+$/, "")).filter((p) => p !== "" && p !== "." && reader.isDir(j(p)))
    const dirs = [...new Set([...cleaned.map(j), ...expandWorkspaces(reader, dir, globs, ["moon.yml", "moon.yaml", "package.json"])])].sort()
    return { tool: "moon", patterns: [...globs, ...cleaned], dirs, evidence: { file: j(name), detail: `moon projects: ${JSON.stringify([...globs, ...cleaned].slice(0, 8))}` } }
  }
  // Nx workspace.json (Nx ≤ 15, or a repository that never migrated): projects → directories
  const wsFile = j("workspace.json")
  const wsText = reader.read(wsFile)
  if (wsText !== null) {
    const parsed = parseJsonc(wsText)
    const projects = parsed.ok && isYamlMap(parsed.value) ? parsed.value.projects : undefined
    if (isYamlMap(projects)) {
      const roots: Array<string> = []
      for (const v of Object.values(projects)) {
        const root = typeof v === "string" ? v : isYamlMap(v) && typeof v.root === "string" ? v.root : null
        if (root !== null && root !== "" && root !== ".") roots.push(root.replace(/^\.\//, "").replace(/\/+$/, ""))
      }
      if (roots.length > 0) {
        const dirs = [...new Set(roots)].filter((r) => reader.isDir(j(r))).map(j).sort()
        return { tool: "nx", patterns: [...new Set(roots)].sort(), dirs, evidence: { file: wsFile, line: keyLine(wsText, "projects"), detail: `workspace.json lists ${roots.length} project(s)` } }
      }
    } else if (!parsed.ok) reader.warn(`${wsFile}:${parsed.line}: invalid JSON (${parsed.message}); ignored`)
  }
  // Nx integrated: nx.json and project.json files, no package manager workspaces
  if (reader.exists(j("nx.json"))) {
    const dirs: Array<string> = []
    let budget = MAX_PROJECT_WALK
    const walk = (rel: string, depth: number): void => {
      for (const entry of reader.list(j(rel))) {
        if (--budget < 0) return
        const child = rel === "." ? entry.name : `${rel}/${entry.name}`
        if (entry.isFile() && entry.name === "project.json" && rel !== ".") dirs.push(j(rel))
        else if (entry.isDirectory() && depth < 4 && !SKIP_DIRS.has(entry.name) && !entry.name.startsWith(".")) walk(child, depth + 1)
      }
    }
    walk(".", 0)
    if (dirs.length > 0) {
      dirs.sort()
      const rel = dirs.map((d) => (dir === "." ? d : d.slice(dir.length + 1)))
      return { tool: "nx", patterns: rel, dirs, evidence: { file: j("nx.json"), detail: `Nx integrated repository: ${dirs.length} project.json file(s) (${rel.slice(0, 4).join(", ")}${rel.length > 4 ? ", …" : ""})` } }
    }
  }
  return null
}
