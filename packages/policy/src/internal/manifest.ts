/**
 * Tells, from a package.json hunk alone, which top-level fields its changed lines touch.
 *
 * Each side of the hunk (old: context + deleted lines, new: context + added lines) is
 * tokenised line by line (JSON strings cannot span lines) and a stack of open objects and
 * arrays is kept. When the hunk starts at the file's opening `{` the path of every changed
 * line is known exactly; otherwise only objects opened inside the hunk are known, and a
 * changed line outside any of them is reported as `unsure` (the caller blocks it).
 *
 * @internal
 */
import type * as Patch from "@ratchet/core/Patch"

/** Fields that declare or pin dependencies (or the toolchain that installs them). */
export const DEPENDENCY_FIELDS: ReadonlySet<string> = new Set([
  "dependencies",
  "devDependencies",
  "peerDependencies",
  "optionalDependencies",
  "bundleDependencies",
  "bundledDependencies",
  "peerDependenciesMeta",
  "dependenciesMeta",
  "overrides",
  "resolutions",
  "pnpm",
  "workspaces",
  "catalog",
  "catalogs",
  "engines",
  "devEngines",
  "packageManager",
  "os",
  "cpu",
  "libc"
])

/** Tool configuration embedded in package.json. */
export const CONFIG_FIELDS: ReadonlySet<string> = new Set([
  "eslintConfig",
  "eslintIgnore",
  "prettier",
  "jest",
  "babel",
  "browserslist",
  "lint-staged",
  "husky",
  "simple-git-hooks",
  "c8",
  "nyc",
  "ava",
  "mocha",
  "xo",
  "stylelint",
  "commitlint",
  "release",
  "tsd",
  "vitest",
  "volta",
  "config",
  "typesVersions",
  "imports",
  "exports",
  "type",
  "main",
  "module",
  "browser",
  "bin",
  "sideEffects"
])

/** Top-level fields whose change is harmless to the build (reported as a warning). */
export const SAFE_FIELDS: ReadonlySet<string> = new Set([
  "name",
  "version",
  "description",
  "keywords",
  "homepage",
  "bugs",
  "license",
  "author",
  "contributors",
  "maintainers",
  "funding",
  "repository",
  "files",
  "directories",
  "man",
  "private",
  "publishConfig",
  "types",
  "typings",
  "scripts"
])

const COMPARATOR =
  /^(?:[<>]=?|=|\^|~>?|v)?\s*v?(?:[\dxX*]+)(?:\.(?:[\dxX*]+|\*)){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/

/** Whether a string could be a dependency specifier with spaces (a semver range like `>=1 <2 || 3.x`). */
const isRange = (value: string): boolean =>
  value
    .trim()
    .split(/\s+/)
    .every((part) => part === "||" || part === "-" || part === "" || COMPARATOR.test(part) || /^(?:[<>]=?|=)$/.test(part))

/**
 * A single `"key": "value"` line whose value contains whitespace and is not a semver range:
 * no dependency field (specs, ranges, URLs, tags) accepts such a value.
 */
const isTextEntry = (line: string): boolean => {
  const m = /^\s*("(?:[^"\\]|\\.)*")\s*:\s*("(?:[^"\\]|\\.)*")\s*,?\s*$/.exec(line)
  if (m === null) return false
  let key: unknown
  let value: unknown
  try {
    key = JSON.parse(m[1])
    value = JSON.parse(m[2])
  } catch {
    return false
  }
  if (typeof key !== "string" || typeof value !== "string") return false
  if (DEPENDENCY_FIELDS.has(key) || CONFIG_FIELDS.has(key)) return false
  return /\s/.test(value.trim()) && !isRange(value)
}

/** One changed line's classification. */
export type Finding =
  | { readonly kind: "dependency"; readonly field: string; readonly line: string }
  | { readonly kind: "config"; readonly field: string; readonly line: string }
  | { readonly kind: "unsure"; readonly why: string; readonly line: string }
  | { readonly kind: "safe"; readonly field: string }

type Token =
  | { readonly t: "str"; readonly v: string | null }
  | { readonly t: "{" | "}" | "[" | "]" | ":" | "," }
  | { readonly t: "other" }

/** Tokenises one line of JSON; `null` when a string is not terminated on the line. */
const tokenize = (line: string): Array<Token> | null => {
  const out: Array<Token> = []
  let i = 0
  while (i < line.length) {
    const c = line[i]
    if (c === '"') {
      let j = i + 1
      while (j < line.length && line[j] !== '"') j += line[j] === "\\" ? 2 : 1
      if (j >= line.length) return null
      let v: string | null
      try {
        v = JSON.parse(line.slice(i, j + 1)) as string
      } catch {
        v = null
      }
      out.push({ t: "str", v })
      i = j + 1
    } else if (c === "{" || c === "}" || c === "[" || c === "]" || c === ":" || c === ",") {
      out.push({ t: c })
      i++
    } else if (c === " " || c === "\t" || c === "\r") {
      i++
    } else if (c === "/" && line[i + 1] === "/") {
      break // JSONC comment
    } else {
      let j = i
      while (j < line.length && !/[\s"{}[\]:,]/.test(line[j])) j++
      out.push({ t: "other" })
      i = j === i ? i + 1 : j
    }
  }
  return out
}

interface Frame {
  readonly key: string | null
  readonly root: boolean
}

interface SideLine {
  readonly text: string
  readonly changed: boolean
}

const classifyField = (field: string, line: string): Finding =>
  DEPENDENCY_FIELDS.has(field)
    ? { kind: "dependency", field, line }
    : CONFIG_FIELDS.has(field)
      ? { kind: "config", field, line }
      : SAFE_FIELDS.has(field)
        ? { kind: "safe", field }
        : { kind: "unsure", why: `unrecognised top-level field "${field}"`, line }

const analyseSide = (lines: ReadonlyArray<SideLine>, rootVisible: boolean): Array<Finding> => {
  const findings: Array<Finding> = []
  const stack: Array<Frame> = []
  let known = rootVisible
  let first = true
  for (const { text, changed } of lines) {
    const knownAtStart = known
    const tokens = tokenize(text)
    const keysAtStart = stack.map((f) => f.key)
    const keys: Array<string> = []
    /** Top-level fields this line touches. */
    const tops = new Set<string>()
    let unsure: string | null = null
    let rootOnly = true
    if (known && stack.length >= 2) {
      const k = stack[1].key
      if (k === null) unsure = "value without a key"
      else tops.add(k)
    } else if (!known && stack.length >= 1) {
      const k = stack[0].key
      if (k !== null) tops.add(k)
      else unsure = "the hunk does not show which field this line belongs to"
    }
    let lastString: string | null | undefined
    let pendingKey: string | null = null
    let pendingKeyIsLoose = false
    for (const tok of tokens ?? []) {
      if (tok.t === "str") {
        lastString = tok.v
        rootOnly = false
      } else if (tok.t === ":") {
        if (lastString === null) unsure = "key with an invalid escape"
        pendingKey = lastString ?? null
        pendingKeyIsLoose = false
        if (pendingKey !== null) {
          keys.push(pendingKey)
          if (known && stack.length === 1 && stack[0].root) tops.add(pendingKey)
          else if (!known && stack.length === 0) pendingKeyIsLoose = true
        }
        lastString = undefined
      } else if (tok.t === "{" || tok.t === "[") {
        const root = first && rootVisible && stack.length === 0 && tok.t === "{"
        if (!root) rootOnly = false
        if (!known && stack.length === 0) {
          // An object opened at the hunk's (unknown) level by a named field.
          if (pendingKey !== null) tops.add(pendingKey)
          else unsure = "the hunk does not show which field this line belongs to"
          pendingKeyIsLoose = false
        }
        stack.push({ key: pendingKey, root })
        pendingKey = null
        lastString = undefined
      } else if (tok.t === "}" || tok.t === "]") {
        const frame = stack.pop()
        if (frame === undefined) {
          known = false
          unsure = unsure ?? "closes an object the hunk does not show"
        } else if (!frame.root) {
          rootOnly = false
          if (known && stack.length === 1 && frame.key !== null) tops.add(frame.key)
          if (!known && stack.length === 0 && frame.key !== null) tops.add(frame.key)
        }
        if (pendingKeyIsLoose) unsure = unsure ?? "the hunk does not show which field this line belongs to"
        pendingKey = null
        pendingKeyIsLoose = false
        lastString = undefined
      } else if (tok.t === ",") {
        if (pendingKeyIsLoose) unsure = unsure ?? "the hunk does not show which field this line belongs to"
        pendingKey = null
        pendingKeyIsLoose = false
        lastString = undefined
      } else {
        rootOnly = false
      }
    }
    if (pendingKeyIsLoose) unsure = unsure ?? "the hunk does not show which field this line belongs to"
    first = false
    if (!changed || text.trim() === "") continue
    if (tokens === null) {
      findings.push({ kind: "unsure", why: "unterminated string", line: text })
      continue
    }
    const frameKeys = stack.map((f) => f.key)
    const dep = [...keys, ...keysAtStart, ...frameKeys, ...tops].find((k) => k !== null && DEPENDENCY_FIELDS.has(k))
    if (dep !== undefined && dep !== null) {
      findings.push({ kind: "dependency", field: dep, line: text })
      continue
    }
    if (unsure !== null) {
      if (!knownAtStart && isTextEntry(text)) {
        // A `"key": "value"` entry whose value no dependency field accepts (a shell command,
        // a sentence): it lives in `scripts`, `description` or another text field.
        findings.push({ kind: "safe", field: "scripts" })
        continue
      }
      findings.push({ kind: "unsure", why: unsure, line: text })
      continue
    }
    if (tops.size === 0) {
      if (!rootOnly) findings.push({ kind: "unsure", why: "cannot tell which field this line belongs to", line: text })
      continue
    }
    for (const k of tops) findings.push(classifyField(k, text))
  }
  return findings
}

/** Classifies every changed line of a package.json file patch. */
export const analysePackageJson = (file: Patch.FilePatch): Array<Finding> => {
  const findings: Array<Finding> = []
  for (const hunk of file.hunks) {
    const oldSide: Array<SideLine> = []
    const newSide: Array<SideLine> = []
    for (const line of hunk.lines) {
      if (line.type !== "add") oldSide.push({ text: line.text, changed: line.type === "del" })
      if (line.type !== "del") newSide.push({ text: line.text, changed: line.type === "add" })
    }
    const rootVisible = (side: ReadonlyArray<SideLine>, start: number): boolean =>
      start <= 1 && side.length > 0 && side[0].text.trimStart().startsWith("{")
    findings.push(...analyseSide(oldSide, rootVisible(oldSide, hunk.oldStart)))
    findings.push(...analyseSide(newSide, rootVisible(newSide, hunk.newStart)))
  }
  return findings
}
