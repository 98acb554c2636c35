/**
 * Helpers that write code into a file the way the file is written: its indentation and semicolon
 * style, names that do not clash, and where module-level declarations go.
 */
import type { Edit } from "../../Patchgen.js"
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { within } from "../dataflow/nodes.js"

/** The whitespace that starts the line `index` is on. */
export const indentAt = (text: string, index: number): string => {
  const lineStart = text.lastIndexOf("\n", index - 1) + 1
  const match = /^[ \t]*/.exec(text.slice(lineStart, index))
  return match ? match[0] : ""
}

const semicolonStyle = new WeakMap<FileInfo, boolean>()

/** Whether the file ends its statements with semicolons (majority of statements that may end with one). */
export const usesSemicolons = (file: FileInfo): boolean => {
  const cached = semicolonStyle.get(file)
  if (cached !== undefined) return cached
  let withSemi = 0
  let without = 0
  for (const stmt of file.root.descendantsOfType(["expression_statement", "lexical_declaration", "return_statement", "import_statement"])) {
    if (stmt.text.endsWith(";")) withSemi++
    else without++
  }
  const result = withSemi >= without
  semicolonStyle.set(file, result)
  return result
}

/** A derived name in the same case style: `RESERVED` + `Set` → `RESERVED_SET`, `skip` + `Set` → `skipSet`. */
export const derivedName = (base: string, suffix: string): string =>
  /^[A-Z0-9_$]+$/.test(base) && /[A-Z]/.test(base)
    ? `${base}_${suffix.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`
    : `${base}${suffix[0]!.toUpperCase()}${suffix.slice(1)}`

/** A name based on `base` that appears nowhere in the file text. */
export const freshName = (file: FileInfo, base: string, also: ReadonlyArray<string> = []): string => {
  const taken = (name: string) => new RegExp(`(?<![\\w$])${name.replace(/\$/g, "\\$")}(?![\\w$])`).test(file.text) || also.includes(name)
  if (!taken(base)) return base
  for (let i = 2; ; i++) if (!taken(`${base}${i}`)) return `${base}${i}`
}


/** Replaces references to `from` with `to` inside an expression (which must contain no nested functions). */
export const renameIn = (file: FileInfo, expr: SyntaxNode, from: string, to: string): string => {
  if (from === to) return expr.text
  const edits: Array<{ start: number; end: number; text: string }> = []
  for (const id of file.identifiers(from)) {
    if (!within(id, expr)) continue
    edits.push({ start: id.startIndex, end: id.endIndex, text: id.type === "shorthand_property_identifier" ? `${from}: ${to}` : to })
  }
  edits.sort((a, b) => a.start - b.start)
  let out = ""
  let cursor = expr.startIndex
  for (const e of edits) {
    out += file.text.slice(cursor, e.start) + e.text
    cursor = e.end
  }
  return out + file.text.slice(cursor, expr.endIndex)
}



/**
 * Where a module-level declaration can be inserted so it runs before any other code of the module:
 * after the hashbang, directives and leading imports (a blank line after imports); otherwise before the
 * first statement (and the comments attached to it).
 */
export const moduleInsertionPoint = (file: FileInfo): { index: number; prefix: string; suffix: string } => {
  let after: SyntaxNode | null = null
  for (const stmt of file.root.namedChildren) {
    if (stmt.type === "hash_bang_line" || stmt.type === "import_statement" || (stmt.type === "expression_statement" && stmt.namedChildren[0]?.type === "string")) {
      after = stmt
      continue
    }
    if (stmt.type === "comment") continue
    break
  }
  // after imports: a blank line between them and the new declaration, as linters expect
  // (`import/newline-after-import`, which airbnb and standard make an error)
  if (after) return { index: after.endIndex, prefix: after.type === "import_statement" ? "\n\n" : "\n", suffix: "" }
  const siblings = file.root.namedChildren
  const firstIndex = siblings.findIndex((s) => s.type !== "comment")
  if (firstIndex < 0) return { index: file.text.length, prefix: "\n", suffix: "" }
  let start = siblings[firstIndex]!.startIndex
  // Keep comments attached (no blank line in between) to the first statement.
  for (let i = firstIndex - 1; i >= 0; i--) {
    const c = siblings[i]!
    if (c.type !== "comment" || /\n[ \t]*\n/.test(file.text.slice(c.endIndex, start))) break
    start = c.startIndex
  }
  return { index: start, prefix: "", suffix: "\n\n" }
}

/** `;` when the file uses semicolons, else "". */
export const semi = (file: FileInfo): string => (usesSemicolons(file) ? ";" : "")

/** Whether the file is TypeScript (type annotations allowed in generated code). */
export const isTs = (file: FileInfo): boolean => file.language === "typescript" || file.language === "tsx"

/**
 * Whether a `reduce` seed is a bare empty array literal `[]` (no cast, no elements, no comment). Type checkers
 * infer a reducer's accumulator from its seed and from what the reducer returns: once a rewritten reducer
 * returns the accumulator itself, `[]` alone gives `never[]` under `strict`, and `acc.push(x)` no longer
 * type-checks where the original did.
 */
export const isUntypedEmptyArray = (seed: SyntaxNode): boolean => seed.type === "array" && seed.childCount === 2

/**
 * The edit that types an untyped `[]` seed in a JavaScript file (a JSDoc cast that `checkJs` reads, nothing
 * at run time), for rewrites whose reducer returns its accumulator; none for other seeds and in TypeScript.
 */
export const typedSeedEdits = (file: FileInfo, seed: SyntaxNode): Array<Edit> =>
  !isTs(file) && isUntypedEmptyArray(seed) ? [{ start: seed.startIndex, end: seed.endIndex, text: "/** @type {any[]} */ ([])" }] : []

const indentUnits = new WeakMap<FileInfo, string>()

/** The file's indentation step: the smallest leading whitespace of an indented line (two spaces when none). */
export const indentUnit = (file: FileInfo): string => {
  const known = indentUnits.get(file)
  if (known !== undefined) return known
  let unit = "  "
  let best = Number.POSITIVE_INFINITY
  for (const m of file.text.matchAll(/\n([ \t]+)\S/g)) {
    const ws = m[1]!
    if (ws.startsWith("\t")) {
      unit = "\t"
      break
    }
    if (ws.length < best && ws.length >= 2) {
      best = ws.length
      unit = ws
    }
  }
  indentUnits.set(file, unit)
  return unit
}

/**
 * The edits that declare `declaration` (a whole statement, e.g. `const re = …`) right before the
 * statement `target.before`, plus `replacements` inside the region. When `target.before` is the
 * expression body of an arrow function, the body becomes a block `{ <declaration>; return <body> }`
 * (one edit, with the replacements applied inside it).
 */
export const hoistEdits = (
  file: FileInfo,
  target: { readonly before: SyntaxNode; readonly arrowBody: boolean },
  declaration: string,
  replacements: ReadonlyArray<Edit>
): Array<Edit> => {
  const text = file.text
  const s = semi(file)
  const before = target.before
  if (!target.arrowBody) {
    const lineStart = text.lastIndexOf("\n", before.startIndex - 1) + 1
    const ownLine = text.slice(lineStart, before.startIndex).trim() === ""
    const indent = indentAt(text, before.startIndex)
    return [{ start: before.startIndex, end: before.startIndex, text: ownLine ? `${declaration}${s}\n${indent}` : `${declaration}; ` }, ...replacements]
  }
  const sorted = [...replacements].sort((a, b) => a.start - b.start)
  // the block opens right after `=>` (also when the body started on the next line)
  const arrow = before.parent!
  const token = arrow.children.find((c) => c.type === "=>")
  const open = token ? token.endIndex : before.startIndex
  let body = ""
  let cursor = before.startIndex
  for (const r of sorted) {
    body += text.slice(cursor, r.start) + r.text
    cursor = r.end
  }
  body += text.slice(cursor, before.endIndex)
  const indent = indentAt(text, open)
  const inner = indent + indentUnit(file)
  return [{ start: open, end: before.endIndex, text: ` {\n${inner}${declaration}${s}\n${inner}return ${body}${s}\n${indent}}` }]
}
