/**
 * Dependency reuse: install once per (lockfile hash, package manager), then give every candidate
 * workspace the installed `node_modules` trees as hard-link copies (`cp -al`), which costs
 * directory entries, not file contents. Candidates never change dependencies: cached files are
 * never written through (when sandboxed commands run as a dedicated uid they cannot), and the
 * tool caches inside `node_modules` (`.vite`, `.cache`, Deno's SQLite caches and `gen/`) are
 * fresh, unshared directories.
 *
 * Yarn Plug'n'Play installs no `node_modules`: its install state is `.pnp.cjs`,
 * `.pnp.loader.mjs`, `.pnp.data.json`, `.yarn/unplugged`, `.yarn/install-state.gz` and the
 * project's `.yarn/cache`, and those are what is saved and linked ({@link findPnp}). Deno keeps
 * its module cache in `node_modules/.ratchet-deno` (the sandbox points `DENO_DIR` there), so it
 * travels with `node_modules`.
 *
 * Cache layout: `<cacheDir>/deps/<key>/tree/<relative dir>/node_modules` and `tree/<PnP path>`,
 * plus `manifest.json` (`dirs`, `paths`).
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { type Dirent, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { basename, dirname, join } from "node:path"
import { execa } from "execa"

/**
 * Lockfiles, in the order they are looked for.
 *
 * @since 0.1.0
 */
export const LOCKFILES = ["package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock", "bun.lock", "bun.lockb", "deno.lock"] as const

/**
 * The cache key of a workspace's dependencies: sha256 over the package manager and the lockfile
 * content, or `null` when there is no lockfile (then nothing is shared across runs).
 *
 * @since 0.1.0
 */
export const key = (root: string, packageManager: string | undefined): string | null => {
  for (const name of LOCKFILES) {
    const path = join(root, name)
    if (existsSync(path)) {
      return createHash("sha256")
        .update(`${packageManager ?? "unknown"}\0${name}\0`)
        .update(readFileSync(path))
        .digest("hex")
        .slice(0, 32)
    }
  }
  return null
}

/**
 * The `node_modules` directories of a workspace (relative dirs that hold one), not descending
 * into `node_modules`, `.git` or `.yarn`.
 *
 * @since 0.1.0
 */
export const find = (root: string, maxDepth = 6): Array<string> => {
  const out: Array<string> = []
  const visit = (rel: string, depth: number) => {
    let entries: Array<Dirent>
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue
      if (entry.name === "node_modules") out.push(rel)
      // .yarn/unplugged holds Plug'n'Play's unpacked packages: saved whole with the PnP state
      else if (entry.name !== ".git" && entry.name !== ".ratchet" && entry.name !== ".yarn" && depth < maxDepth) visit(rel === "" ? entry.name : `${rel}/${entry.name}`, depth + 1)
    }
  }
  visit("", 0)
  return out.sort()
}

/**
 * Yarn Plug'n'Play install state at a workspace root that exists there (relative paths): the loader
 * files, unplugged packages, the install state and the project cache. Empty for other installs.
 *
 * @since 0.2.0
 */
export const findPnp = (root: string): Array<string> => {
  if (!PNP_LOADERS.some((f) => existsSync(join(root, f)))) return []
  return PNP_STATE.filter((p) => existsSync(join(root, p)))
}

const PNP_LOADERS = [".pnp.cjs", ".pnp.js"]
const PNP_STATE = [".pnp.cjs", ".pnp.js", ".pnp.loader.mjs", ".pnp.data.json", ".yarn/unplugged", ".yarn/install-state.gz", ".yarn/cache"]

const UNSHARED = [".vite", ".vite-temp", ".cache", ".vitest"]
/** Deno's cache directory inside `node_modules` (the sandbox's `DENO_DIR`). */
const DENO_DIR = ".ratchet-deno"
/** Deno's SQLite caches and emit cache: written on every run, so never shared. */
const DENO_UNSHARED = /^(gen|.*_cache_v\d+(-(wal|shm|journal))?)$/

const linkTree = async (from: string, to: string): Promise<void> => {
  mkdirSync(dirname(to), { recursive: true })
  const hard = await execa("cp", ["-al", from, to], { reject: false, stdin: "ignore" })
  if (hard.exitCode !== 0) {
    // different file system or no hard links: fall back to a (reflink where possible) copy
    rmSync(to, { recursive: true, force: true })
    const copy = await execa("cp", ["-a", "--reflink=auto", from, to], { reject: false, stdin: "ignore" })
    if (copy.exitCode !== 0) throw new Error(`cannot copy ${from} to ${to}: ${String(copy.stderr)}`)
  }
  if (basename(to) !== "node_modules") return
  for (const name of UNSHARED) {
    const path = join(to, name)
    if (existsSync(path)) rmSync(path, { recursive: true, force: true })
  }
  const deno = join(to, DENO_DIR)
  if (existsSync(deno)) for (const name of readdirSync(deno)) if (DENO_UNSHARED.test(name)) rmSync(join(deno, name), { recursive: true, force: true })
}

/**
 * Links the installed trees of `fromRoot` into `toRoot` (for a candidate of a live baseline).
 *
 * @since 0.1.0
 */
export const linkFrom = async (fromRoot: string, toRoot: string, dirs = find(fromRoot), paths = findPnp(fromRoot)): Promise<number> => {
  for (const rel of dirs) {
    const target = join(toRoot, rel, "node_modules")
    rmSync(target, { recursive: true, force: true })
    await linkTree(join(fromRoot, rel, "node_modules"), target)
  }
  for (const rel of paths) {
    const target = join(toRoot, rel)
    rmSync(target, { recursive: true, force: true })
    await linkTree(join(fromRoot, rel), target)
  }
  return dirs.length + paths.length
}

const entryDir = (cacheDir: string, k: string) => join(cacheDir, "deps", k)

/**
 * Whether the cache holds a complete install for `k`.
 *
 * @since 0.1.0
 */
export const has = (cacheDir: string, k: string): boolean => existsSync(join(entryDir(cacheDir, k), "manifest.json"))

/**
 * Saves a workspace's installed trees under `k` (once; a later save of the same key is a no-op).
 *
 * @since 0.1.0
 */
export const save = async (cacheDir: string, k: string, root: string): Promise<boolean> => {
  if (has(cacheDir, k)) return false
  const dirs = find(root)
  const paths = findPnp(root)
  if (dirs.length === 0 && paths.length === 0) return false
  const final = entryDir(cacheDir, k)
  const staging = `${final}.${process.pid}.${Date.now()}.tmp`
  rmSync(staging, { recursive: true, force: true })
  try {
    for (const rel of dirs) await linkTree(join(root, rel, "node_modules"), join(staging, "tree", rel, "node_modules"))
    for (const rel of paths) await linkTree(join(root, rel), join(staging, "tree", rel))
    writeFileSync(join(staging, "manifest.json"), JSON.stringify({ key: k, dirs, paths }, null, 2))
    mkdirSync(dirname(final), { recursive: true })
    if (has(cacheDir, k)) return false
    rmSync(final, { recursive: true, force: true })
    renameSync(staging, final)
    return true
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

/**
 * Restores the trees saved under `k` into `root`; `false` when the cache has no such entry.
 *
 * @since 0.1.0
 */
export const restore = async (cacheDir: string, k: string, root: string): Promise<boolean> => {
  if (!has(cacheDir, k)) return false
  const dir = entryDir(cacheDir, k)
  const { dirs, paths } = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { dirs: Array<string>; paths?: Array<string> }
  await linkFrom(join(dir, "tree"), root, dirs, paths ?? [])
  return true
}
