/**
 * File discovery for the scanner: walks a repository, honours `.gitignore` files (nested too),
 * always skips dependency and build-output folders, and never follows symlinks.
 */
import { type Dirent, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import ignore, { type Ignore } from "ignore"
import picomatch from "picomatch"
import { languageOf } from "../treeSitter.js"

/** Folders never scanned: dependencies, VCS data, Ratchet's own state, build output and caches. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  "node_modules",
  ".git",
  ".hg",
  ".svn",
  ".ratchet",
  "dist",
  "build",
  "out",
  "coverage",
  ".next",
  ".nuxt",
  ".output",
  ".svelte-kit",
  ".turbo",
  ".cache",
  ".parcel-cache",
  ".vercel",
  ".yarn",
  "bower_components",
  "jspm_packages"
])

export interface WalkEntry {
  /** `/`-separated, relative to the root. */
  readonly path: string
  readonly absolute: string
}

export interface WalkSkip {
  readonly path: string
  readonly reason: string
}

export interface WalkOptions {
  readonly include?: ReadonlyArray<string> | undefined
  readonly exclude?: ReadonlyArray<string> | undefined
}

export interface WalkResult {
  readonly files: Array<WalkEntry>
  readonly skipped: Array<WalkSkip>
  readonly warnings: Array<string>
}

interface Scope {
  /** Directory of the `.gitignore`, relative to the root, `""` for the root, else ending in `/`. */
  readonly base: string
  readonly ig: Ignore
}

const isIgnored = (scopes: ReadonlyArray<Scope>, relative: string, isDir: boolean): boolean => {
  // Later (deeper) scopes override earlier ones, as in git; a negation can un-ignore.
  let ignored = false
  for (const scope of scopes) {
    if (!relative.startsWith(scope.base)) continue
    const sub = relative.slice(scope.base.length) + (isDir ? "/" : "")
    const result = scope.ig.test(sub)
    if (result.ignored) ignored = true
    else if (result.unignored) ignored = false
  }
  return ignored
}

const MINIFIED_NAME = /[.-]min\.[cm]?js$/
const DECLARATION = /\.d\.[cm]?ts$/

/**
 * Lists the JS/TS files under `root` that the scanner should read, in a stable (sorted) order.
 * The walk is iterative (deep trees cannot overflow the stack) and ignores symlinks.
 */
export const walk = (root: string, options: WalkOptions = {}): WalkResult => {
  const files: Array<WalkEntry> = []
  const skipped: Array<WalkSkip> = []
  const warnings: Array<string> = []
  const include = options.include && options.include.length > 0 ? picomatch(options.include as Array<string>, { dot: true }) : null
  const exclude = options.exclude && options.exclude.length > 0 ? picomatch(options.exclude as Array<string>, { dot: true }) : null
  const stack: Array<{ dir: string; relative: string; scopes: ReadonlyArray<Scope> }> = [{ dir: root, relative: "", scopes: [] }]
  while (stack.length > 0) {
    const { dir, relative, scopes: parentScopes } = stack.pop()!
    let entries: Array<Dirent>
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch (cause) {
      warnings.push(`cannot read directory ${relative || "."}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`)
      continue
    }
    let scopes = parentScopes
    if (entries.some((e) => e.name === ".gitignore" && e.isFile())) {
      try {
        const ig = ignore().add(readFileSync(join(dir, ".gitignore"), "utf8"))
        scopes = [...parentScopes, { base: relative, ig }]
      } catch (cause) {
        warnings.push(`cannot read ${relative}.gitignore: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`)
      }
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const subdirs: Array<{ dir: string; relative: string; scopes: ReadonlyArray<Scope> }> = []
    for (const entry of entries) {
      const name = entry.name
      const rel = relative + name
      if (entry.isSymbolicLink()) continue
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(name)) continue
        if (isIgnored(scopes, rel, true)) continue
        subdirs.push({ dir: join(dir, name), relative: `${rel}/`, scopes })
        continue
      }
      if (!entry.isFile()) continue
      if (languageOf(name) === null && !DECLARATION.test(name)) continue
      if (DECLARATION.test(name)) continue
      if (isIgnored(scopes, rel, false)) continue
      if (include && !include(rel)) continue
      if (exclude?.(rel)) continue
      if (MINIFIED_NAME.test(name)) {
        skipped.push({ path: rel, reason: "minified (file name)" })
        continue
      }
      files.push({ path: rel, absolute: join(dir, name) })
    }
    // Push in reverse so that popping visits directories in sorted order.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!)
  }
  return { files, skipped, warnings }
}
