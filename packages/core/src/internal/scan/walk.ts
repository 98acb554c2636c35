/**
 * File discovery for the scanner: walks a repository, honours `.gitignore` files (nested too),
 * always skips dependency and build-output folders, skips what `.gitattributes` marks
 * `linguist-vendored` or `linguist-generated` (GitHub's convention for third-party and generated code,
 * which no one should get pull requests for), and never follows symlinks.
 *
 * The default scope is code a proposal can land in: tests, docs, examples, fixtures, benchmarks and
 * vendored or generated folders are left out (each reported with its reason — a folder once, as
 * `dir/`). An include glob that names such a part (`examples/**`, a glob with `.test.`) brings it back;
 * exclude globs always win.
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

/** One `.gitattributes` line that sets or unsets `linguist-vendored` / `linguist-generated`. */
interface AttributeRule {
  readonly matcher: Ignore
  readonly vendored?: boolean
  readonly generated?: boolean
}

interface AttributeScope {
  readonly base: string
  readonly rules: ReadonlyArray<AttributeRule>
}

/** The value a `.gitattributes` token gives an attribute: `attr`/`attr=true` set it, `-attr`/`!attr`/`attr=false` unset it. */
const attributeValue = (tokens: ReadonlyArray<string>, name: string): boolean | undefined => {
  let value: boolean | undefined
  for (const token of tokens) {
    if (token === name || token === `${name}=true`) value = true
    else if (token === `-${name}` || token === `!${name}` || token === `${name}=false`) value = false
  }
  return value
}

/**
 * Parses the lines of a `.gitattributes` file that concern Ratchet. Patterns follow git's pattern rules
 * (a `dir/` pattern is taken to cover the files in it, as people who write one mean).
 */
export const parseAttributes = (text: string): Array<AttributeRule> => {
  const rules: Array<AttributeRule> = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === "" || line.startsWith("#") || !line.includes("linguist-")) continue
    const [pattern, ...tokens] = line.split(/\s+/)
    if (pattern === undefined || pattern.startsWith("!") || pattern.startsWith("[attr]")) continue
    const vendored = attributeValue(tokens, "linguist-vendored")
    const generated = attributeValue(tokens, "linguist-generated")
    if (vendored === undefined && generated === undefined) continue
    rules.push({
      matcher: ignore().add(pattern),
      ...(vendored !== undefined ? { vendored } : {}),
      ...(generated !== undefined ? { generated } : {})
    })
  }
  return rules
}

/** Why `.gitattributes` takes a file out of the scan, or `null`. Later lines and deeper files win, as in git. */
const attributeSkip = (scopes: ReadonlyArray<AttributeScope>, relative: string): string | null => {
  let vendored = false
  let generated = false
  for (const scope of scopes) {
    if (!relative.startsWith(scope.base)) continue
    const sub = relative.slice(scope.base.length)
    for (const rule of scope.rules) {
      if (!rule.matcher.ignores(sub)) continue
      if (rule.vendored !== undefined) vendored = rule.vendored
      if (rule.generated !== undefined) generated = rule.generated
    }
  }
  if (vendored) return "vendored (.gitattributes linguist-vendored)"
  if (generated) return "generated (.gitattributes linguist-generated)"
  return null
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

/** Folder names outside the default scope, and why (the reason names the category). */
export const OUT_OF_SCOPE_DIRS: ReadonlyMap<string, string> = new Map([
  ...["test", "tests", "__tests__", "__mocks__", "spec", "e2e"].map((d) => [d, "tests"] as const),
  ...["docs", "doc", "documentation"].map((d) => [d, "docs"] as const),
  ...["examples", "example", "samples", "sample"].map((d) => [d, "examples"] as const),
  ...["fixtures", "fixture", "__fixtures__", "testdata"].map((d) => [d, "fixtures"] as const),
  ...["bench", "benchmark", "benchmarks", "__benchmarks__"].map((d) => [d, "benchmarks"] as const),
  ...["vendor", "vendors", "third_party", "third-party"].map((d) => [d, "vendored"] as const),
  ...["__generated__", "generated", "min", "cdn"].map((d) => [d, "generated"] as const)
])

/** File-name markers outside the default scope: `a.test.ts`, `a.spec.js`, `a.bench.ts`. */
const OUT_OF_SCOPE_FILE = /\.(test|spec|bench|e2e)\.[cm]?[jt]sx?$/
const FILE_CATEGORY: Readonly<Record<string, string>> = { test: "tests", spec: "tests", e2e: "tests", bench: "benchmarks" }

/** The reason a default-scope skip gives: what it is, and how to bring it back. */
const scopeReason = (category: string, part: string): string => `${category} (outside the default scope; an include glob naming \`${part}\` scans it)`

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
  // A default-scope part is scanned when an include glob names it (as a path segment, or a file marker like `.test.`).
  const includeText = options.include ?? []
  const namedDir = (name: string): boolean => includeText.some((glob) => glob.split("/").some((segment) => segment === name))
  const namedMarker = (marker: string): boolean => includeText.some((glob) => glob.includes(`.${marker}.`))
  const exclude = options.exclude && options.exclude.length > 0 ? picomatch(options.exclude as Array<string>, { dot: true }) : null
  type Frame = { dir: string; relative: string; scopes: ReadonlyArray<Scope>; attributes: ReadonlyArray<AttributeScope> }
  const stack: Array<Frame> = [{ dir: root, relative: "", scopes: [], attributes: [] }]
  while (stack.length > 0) {
    const { dir, relative, scopes: parentScopes, attributes: parentAttributes } = stack.pop()!
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
    let attributes = parentAttributes
    if (entries.some((e) => e.name === ".gitattributes" && e.isFile())) {
      try {
        const rules = parseAttributes(readFileSync(join(dir, ".gitattributes"), "utf8"))
        if (rules.length > 0) attributes = [...parentAttributes, { base: relative, rules }]
      } catch (cause) {
        warnings.push(`cannot read ${relative}.gitattributes: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`)
      }
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const subdirs: Array<Frame> = []
    for (const entry of entries) {
      const name = entry.name
      const rel = relative + name
      if (entry.isSymbolicLink()) continue
      if (entry.isDirectory()) {
        if (SKIPPED_DIRS.has(name)) continue
        if (isIgnored(scopes, rel, true)) continue
        const category = OUT_OF_SCOPE_DIRS.get(name)
        if (category !== undefined && !namedDir(name)) {
          if (!exclude?.(`${rel}/`)) skipped.push({ path: `${rel}/`, reason: scopeReason(category, `${name}/`) })
          continue
        }
        subdirs.push({ dir: join(dir, name), relative: `${rel}/`, scopes, attributes })
        continue
      }
      if (!entry.isFile()) continue
      if (languageOf(name) === null && !DECLARATION.test(name)) continue
      if (DECLARATION.test(name)) continue
      if (isIgnored(scopes, rel, false)) continue
      if (include && !include(rel)) continue
      if (exclude?.(rel)) continue
      const marker = OUT_OF_SCOPE_FILE.exec(name)
      if (marker !== null && !namedMarker(marker[1]!)) {
        skipped.push({ path: rel, reason: scopeReason(FILE_CATEGORY[marker[1]!]!, `.${marker[1]}.`) })
        continue
      }
      if (MINIFIED_NAME.test(name)) {
        skipped.push({ path: rel, reason: "minified (file name)" })
        continue
      }
      const marked = attributes.length > 0 ? attributeSkip(attributes, rel) : null
      if (marked !== null) {
        skipped.push({ path: rel, reason: marked })
        continue
      }
      files.push({ path: rel, absolute: join(dir, name) })
    }
    // Push in reverse so that popping visits directories in sorted order.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!)
  }
  return { files, skipped, warnings }
}
