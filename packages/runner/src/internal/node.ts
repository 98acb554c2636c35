/**
 * The Node.js version a repository asks for, and a `node` that satisfies it: the one running Ratchet or the
 * host's when they do, else the version installed once from the npm registry's `node` package into the tools
 * directory (as pnpm and yarn are).
 *
 * Where the request comes from, nearest directory first (from the command's cwd up to the repository root,
 * the directory holding `.git`), and within one directory: `package.json` `volta.node`, `.nvmrc`,
 * `.node-version`, `.tool-versions` (`nodejs`/`node`), `package.json` `devEngines.runtime` (name `node`), and
 * `package.json` `engines.node`.
 *
 * @internal
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
import { delimiter, dirname, join } from "node:path"
import { execa } from "execa"
import semver from "semver"
import { ensure, toolsRoot } from "./tools.js"

/** What a repository asks for. */
export interface NodeRequest {
  /** The text as written, e.g. `20`, `lts/iron`, `>=18 <21`. */
  readonly raw: string
  /** A semver range, e.g. `20.x`, `20.11.1`, `>=18 <21`. */
  readonly range: string
  /** Whether it names one release exactly (`20.11.1`). */
  readonly exact: boolean
  /** Where it was found, e.g. `.nvmrc` or `package.json engines.node`, with the directory. */
  readonly source: string
}

/** The `node` a command runs on. */
export interface NodeChoice {
  /** Directory to put first on PATH. */
  readonly dir: string
  readonly version: string
  /** One line for logs: which Node and why. */
  readonly note: string
  /** Set when the request could not be met (the command then runs on Ratchet's Node). */
  readonly warning: string | null
}

/** LTS code names (nvm's `lts/<name>`) and their major versions. */
const LTS: Readonly<Record<string, number>> = {
  argon: 4,
  boron: 6,
  carbon: 8,
  dubnium: 10,
  erbium: 12,
  fermium: 14,
  gallium: 16,
  hydrogen: 18,
  iron: 20,
  jod: 22,
  krypton: 24
}

const ANY = new Set(["node", "stable", "latest", "current", "*", ""])

/**
 * Turns an nvm-style version (`v20`, `20.11`, `lts/iron`, `lts/*`, `node`) or a semver range into a range,
 * or `null` when it says nothing usable (`node`, `latest`, `system`, `iojs`).
 */
export const toRange = (raw: string): { range: string; exact: boolean } | null => {
  const text = raw.trim().replace(/^v(?=\d)/, "")
  const lower = text.toLowerCase()
  if (ANY.has(lower) || lower === "system" || lower.startsWith("iojs")) return null
  if (lower.startsWith("lts/")) {
    const name = lower.slice(4)
    if (name === "*" || name === "latest") {
      return { range: Object.values(LTS).map((m) => `${m}.x`).join(" || "), exact: false }
    }
    const major = LTS[name]
    return major === undefined ? null : { range: `${major}.x`, exact: false }
  }
  if (/^\d+$/.test(text)) return { range: `${text}.x`, exact: false }
  if (/^\d+\.\d+$/.test(text)) return { range: `${text}.x`, exact: false }
  const exact = semver.valid(text)
  if (exact !== null) return { range: exact, exact: true }
  const range = semver.validRange(text)
  return range === null ? null : { range: text, exact: false }
}

const readText = (file: string): string | null => {
  try {
    return statSync(file).isFile() ? readFileSync(file, "utf8") : null
  } catch {
    return null
  }
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** What one directory asks for, in precedence order. */
const requestIn = (dir: string): NodeRequest | null => {
  const text = readText(join(dir, "package.json"))
  let pkg: Record<string, unknown> | null = null
  if (text !== null) {
    try {
      const parsed: unknown = JSON.parse(text)
      pkg = isRecord(parsed) ? parsed : null
    } catch {
      pkg = null
    }
  }
  const found = (raw: unknown, source: string): NodeRequest | null => {
    if (typeof raw !== "string") return null
    const r = toRange(raw)
    return r === null ? null : { raw: raw.trim(), ...r, source: `${source} in ${dir}` }
  }
  const volta = pkg && isRecord(pkg.volta) ? found(pkg.volta.node, "package.json volta.node") : null
  if (volta) return volta
  for (const file of [".nvmrc", ".node-version"]) {
    const content = readText(join(dir, file))
    const line = content
      ?.split(/\r?\n/)
      .map((l) => l.replace(/#.*$/, "").trim())
      .find((l) => l.length > 0)
    const r = line === undefined ? null : found(line, file)
    if (r) return r
  }
  const tv = readText(join(dir, ".tool-versions"))
  const m = tv ? /^\s*(?:nodejs|node)\s+(\S+)/m.exec(tv) : null
  if (m) {
    const r = found(m[1], ".tool-versions")
    if (r) return r
  }
  if (pkg && isRecord(pkg.devEngines)) {
    const runtimes = Array.isArray(pkg.devEngines.runtime) ? pkg.devEngines.runtime : [pkg.devEngines.runtime]
    for (const rt of runtimes) {
      if (isRecord(rt) && rt.name === "node") {
        const r = found(rt.version, "package.json devEngines.runtime")
        if (r) return r
      }
    }
  }
  if (pkg && isRecord(pkg.engines)) {
    const r = found(pkg.engines.node, "package.json engines.node")
    if (r) return r
  }
  return null
}

/**
 * The Node.js version the repository around `cwd` asks for, or `null`: the nearest directory with a request
 * wins, from `cwd` up to the repository root (the first directory holding `.git`).
 */
export const requestedNode = (cwd: string): NodeRequest | null => {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const r = requestIn(dir)
    if (r) return r
    if (existsSync(join(dir, ".git")) || dirname(dir) === dir) return null
  }
}

const versions = new Map<string, string | null>()

/** The version of a `node` binary (cached), or `null` when it does not run. */
const versionOf = (bin: string): string | null => {
  if (!versions.has(bin)) {
    let v: string | null = null
    try {
      v = semver.clean(execFileSync(bin, ["--version"], { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "ignore"] }).trim())
    } catch {
      v = null
    }
    versions.set(bin, v)
  }
  return versions.get(bin) ?? null
}

/** `node` binaries already here: the one running Ratchet first, then the host PATH's. */
export const hostNodes = (hostPath: string | undefined): Array<{ readonly dir: string; readonly version: string }> => {
  const out: Array<{ dir: string; version: string }> = []
  const own = versionOf(process.execPath)
  if (own) out.push({ dir: dirname(process.execPath), version: own })
  for (const dir of (hostPath ?? "").split(delimiter)) {
    if (dir.length === 0 || out.some((o) => o.dir === dir)) continue
    const bin = join(dir, "node")
    if (!existsSync(bin)) continue
    const v = versionOf(bin)
    if (v) out.push({ dir, version: v })
  }
  return out
}

const DAY_MS = 24 * 60 * 60 * 1000

/** Published versions of the npm registry's `node` package (cached for a day in the tools directory). */
const publishedVersions = async (root: string): Promise<Array<string>> => {
  const file = join(root, "node-versions.json")
  try {
    if (Date.now() - statSync(file).mtimeMs < DAY_MS) {
      const cached: unknown = JSON.parse(readFileSync(file, "utf8"))
      if (Array.isArray(cached) && cached.every((v) => typeof v === "string")) return cached
    }
  } catch {
    // no cache yet
  }
  const result = await execa("npm", ["view", "node", "versions", "--json", "--loglevel=error"], { reject: false, stdin: "ignore", timeout: 60_000 })
  if (result.exitCode !== 0) throw new Error(`could not list the versions of the npm package "node" (exit ${result.exitCode}): ${String(result.stderr).trim().split("\n").slice(-2).join(" | ")}`)
  const list: unknown = JSON.parse(String(result.stdout))
  const published = Array.isArray(list) ? list.filter((v): v is string => typeof v === "string" && semver.valid(v) !== null) : []
  mkdirSync(root, { recursive: true, mode: 0o755 })
  const staging = `${file}.${process.pid}`
  writeFileSync(staging, JSON.stringify(published))
  renameSync(staging, file)
  return published
}

/** npm releases that run on an old Node (the host's npm needs Node 18.17 or newer). */
const npmFor = (version: string): string | null => {
  const major = semver.major(version)
  if (major >= 18) return null
  return major >= 12 ? "npm@8" : "npm@6"
}

/**
 * Picks the `node` for a command in `cwd`: `null` when the repository asks for nothing (Ratchet's own Node,
 * as before). With `install: false` an unmet request is a warning instead of an install.
 */
export const chooseNode = async (
  cwd: string,
  options: { readonly hostPath: string | undefined; readonly install: boolean; readonly toolsDir?: string }
): Promise<NodeChoice | null> => {
  const request = requestedNode(cwd)
  if (request === null) return null
  const wants = `Node ${request.raw} (${request.source})`
  const here = hostNodes(options.hostPath).filter((h) => semver.satisfies(h.version, request.range, { includePrerelease: false }))
  if (here.length > 0) {
    const best = request.exact ? here[0] : here.sort((a, b) => semver.rcompare(a.version, b.version))[0]
    return { dir: best.dir, version: best.version, note: `node ${best.version} from ${best.dir}: the repository asks for ${wants}`, warning: null }
  }
  const own = versionOf(process.execPath) ?? process.versions.node
  if (!options.install) {
    return { dir: dirname(process.execPath), version: own, note: `node ${own}`, warning: `the repository asks for ${wants}, which this machine lacks; commands run on Node ${own}` }
  }
  const root = options.toolsDir ?? toolsRoot()
  try {
    const version = request.exact ? request.range : semver.maxSatisfying(await publishedVersions(root), request.range)
    if (version === null) throw new Error(`no published release of the npm package "node" satisfies ${request.range}`)
    const extra = npmFor(version)
    const bin = await ensure([`node@${version}`, ...(extra ? [extra] : [])], root)
    return { dir: bin, version, note: `node ${version} installed from the npm registry into ${bin}: the repository asks for ${wants}`, warning: null }
  } catch (error) {
    return {
      dir: dirname(process.execPath),
      version: own,
      note: `node ${own}`,
      warning: `the repository asks for ${wants}, which this machine lacks, and installing it failed (${error instanceof Error ? error.message : String(error)}); commands run on Node ${own}`
    }
  }
}
