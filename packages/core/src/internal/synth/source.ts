/**
 * Source-level work for synthesized benchmarks: which module-level functions a diff changes, the capture
 * instrumentation of those functions, and whether a candidate adds a cache that lives across calls.
 */
import { parsePatch } from "diff"
import { type Language, languageOf, parse, type SyntaxNode } from "../treeSitter.js"

/** A module-level function of a file. */
export interface FunctionSite {
  readonly name: string
  /**
   * `declaration`: `function f() {}`; `expression`: `const f = () => …` / `const f = function () {}`, or a
   * CommonJS export (`module.exports = function f () {}`, `exports.f = function () {}`).
   */
  readonly form: "declaration" | "expression"
  /** The module-level expression that reaches the function once the module has run: its name, or `module.exports`, `exports.f`, … */
  readonly reference: string
  readonly async: boolean
  readonly generator: boolean
  /** The node whose body is wrapped (declaration) or whose value is wrapped (expression). */
  readonly node: SyntaxNode
  readonly startLine: number
  readonly endLine: number
}

const FUNCTION_VALUES = new Set(["arrow_function", "function_expression", "function", "generator_function"])

/** Top-level statements, looking through `export` (`export function f`, `export const f = …`). */
const topLevel = (root: SyntaxNode): Array<SyntaxNode> =>
  root.namedChildren.map((n) => (n.type === "export_statement" ? (n.childForFieldName("declaration") ?? n) : n))

/** `module.exports`, `exports.f`, `module.exports.f` (the assignment targets of a CommonJS export), else null. */
const exportTarget = (left: SyntaxNode): { readonly reference: string; readonly property: string | null } | null => {
  const text = left.text.replace(/\s+/g, "")
  const m = /^(?:module\.exports|exports)(?:\.([A-Za-z_$][\w$]*))?$/.exec(text)
  if (m === null || text === "exports") return null
  return { reference: text, property: m[1] ?? null }
}

/** Module-level functions of a parsed file, by name. Classes and nested functions are not listed. */
export const moduleFunctions = (root: SyntaxNode): Map<string, FunctionSite> => {
  const out = new Map<string, FunctionSite>()
  for (const node of topLevel(root)) {
    if (node.type === "function_declaration" || node.type === "generator_function_declaration") {
      const name = node.childForFieldName("name")?.text
      if (!name) continue
      out.set(name, {
        name,
        form: "declaration",
        reference: name,
        async: node.children.some((c) => c.type === "async"),
        generator: node.type === "generator_function_declaration",
        node,
        startLine: node.startPosition.row + 1,
        endLine: node.endPosition.row + 1
      })
    } else if (node.type === "lexical_declaration" || node.type === "variable_declaration") {
      for (const d of node.namedChildren) {
        if (d.type !== "variable_declarator") continue
        const name = d.childForFieldName("name")
        const value = d.childForFieldName("value")
        if (name?.type !== "identifier" || !value || !FUNCTION_VALUES.has(value.type)) continue
        out.set(name.text, {
          name: name.text,
          form: "expression",
          reference: name.text,
          async: value.children.some((c) => c.type === "async"),
          generator: value.type === "generator_function",
          node: value,
          startLine: node.startPosition.row + 1,
          endLine: node.endPosition.row + 1
        })
      }
    } else if (node.type === "expression_statement") {
      // CommonJS: `module.exports = function name () {}`, `exports.name = (…) => …`
      const assignment = node.namedChildren[0]
      if (assignment?.type !== "assignment_expression") continue
      const left = assignment.childForFieldName("left")
      const value = assignment.childForFieldName("right")
      const target = left ? exportTarget(left) : null
      if (target === null || !value || !FUNCTION_VALUES.has(value.type)) continue
      const name = value.childForFieldName("name")?.text ?? target.property
      if (!name || out.has(name)) continue
      out.set(name, {
        name,
        form: "expression",
        reference: target.reference,
        async: value.children.some((c) => c.type === "async"),
        generator: value.type === "generator_function",
        node: value,
        startLine: node.startPosition.row + 1,
        endLine: node.endPosition.row + 1
      })
    }
  }
  return out
}

/** What kind of top-level statement encloses a line (for reasons a change has no target). */
const enclosingTopLevel = (root: SyntaxNode, line: number): SyntaxNode | null =>
  topLevel(root).find((n) => n.startPosition.row + 1 <= line && line <= n.endPosition.row + 1) ?? null

/**
 * The module-level functions whose lines a diff changes (in the original files), and why other changes have none.
 */
export const changedFunctions = (
  diff: string,
  readOriginal: (file: string) => string | null
): { readonly targets: ReadonlyArray<{ readonly file: string; readonly name: string; readonly line: number }>; readonly skipped: ReadonlyArray<string> } => {
  const targets: Array<{ file: string; name: string; line: number }> = []
  const skipped = new Set<string>()
  for (const patch of parsePatch(diff)) {
    const file = (patch.oldFileName ?? "").replace(/^a\//, "")
    if (file === "/dev/null" || file === "") continue
    const language = languageOf(file)
    const text = readOriginal(file)
    if (language === null || text === null) {
      skipped.add(`${file}: not a JavaScript/TypeScript file Ratchet can read`)
      continue
    }
    const root = parse(text, language).rootNode
    const functions = [...moduleFunctions(root).values()]
    for (const hunk of patch.hunks) {
      let oldLine = hunk.oldStart
      // a removed line is a change of what holds it; inserted lines change a function only when they land
      // inside it (between two of its lines)
      const changes: Array<{ line: number; inserted: boolean }> = []
      let replacing: number | null = null
      for (const l of hunk.lines) {
        if (l.startsWith("-")) {
          changes.push({ line: oldLine, inserted: false })
          replacing = oldLine
        } else if (l.startsWith("+")) {
          // lines that replace removed ones belong where those were
          changes.push(replacing === null ? { line: oldLine, inserted: true } : { line: replacing, inserted: false })
        } else if (!l.startsWith("\\")) replacing = null
        if (!l.startsWith("+") && !l.startsWith("\\")) oldLine++
      }
      for (const { line, inserted } of changes) {
        const fn = functions.find((f) => (inserted ? f.startLine <= line - 1 && line <= f.endLine : f.startLine <= line && line <= f.endLine))
        if (fn) {
          if (!targets.some((t) => t.file === file && t.name === fn.name)) targets.push({ file, name: fn.name, line: fn.startLine })
          continue
        }
        if (inserted) {
          skipped.add(`${file}:${line}: lines added at module level`)
          continue
        }
        const top = enclosingTopLevel(root, line)
        if (top === null) continue
        if (top.type === "class_declaration" || top.type === "class") skipped.add(`${file}:${line}: a class method (only module-level functions are captured)`)
        else if (!/comment|import/.test(top.type)) skipped.add(`${file}:${line}: module-level code outside a function`)
      }
    }
  }
  return { targets, skipped: [...skipped] }
}

/** The helper every instrumented file calls: the capture runtime, found or loaded, or a pass-through. */
const runtimeHelper = (hookPath: string): string =>
  [
    "function __ratchet_rt() {",
    '  var g = typeof globalThis === "object" ? globalThis : undefined',
    '  var p = typeof process === "object" && process ? process : undefined',
    "  var rt = (g && g.__ratchetCapture) || (p && p.__ratchetCapture)",
    "  if (!rt && p && typeof p.getBuiltinModule === \"function\") {",
    "    try {",
    `      var path = ${JSON.stringify(hookPath)}`,
    '      rt = p.getBuiltinModule("node:module").createRequire(path)(path)',
    "    } catch (e) {",
    "      rt = undefined",
    "    }",
    "  }",
    "  return rt || { call: function (_id, self, args, run) { return run() }, wrap: function (_id, fn, name) { if (typeof fn === 'function' && fn.name === '' && name) Object.defineProperty(fn, 'name', { value: name }); return fn }, register: function () {} }",
    "}"
  ].join("\n")

/** Inserts `text` after a shebang line, if any, else at the start. */
const prepend = (source: string, text: string): string => {
  if (source.startsWith("#!")) {
    const eol = source.indexOf("\n")
    return eol < 0 ? `${source}\n${text}` : `${source.slice(0, eol + 1)}${text}${source.slice(eol + 1)}`
  }
  return `${text}${source}`
}

/**
 * Instruments a file so that calls to the named module-level functions are recorded by the capture runtime
 * (`hookPath`), and registers each function with it. Declarations keep their binding, hoisting, `this`,
 * `arguments` and `new.target`: the body runs inside an arrow passed to the runtime. Function expressions are
 * wrapped where they are defined. Generators are left alone (their calls cannot be replayed as one call).
 */
export const instrumentForCapture = (
  source: string,
  file: string,
  names: ReadonlyArray<string>,
  hookPath: string
): {
  readonly source: string
  readonly instrumented: ReadonlyArray<string>
  /** For each instrumented function, the module-level expression that reaches it (its name, `module.exports`, …). */
  readonly references: Readonly<Record<string, string>>
  readonly skipped: ReadonlyArray<{ readonly name: string; readonly reason: string }>
} => {
  const language: Language | null = languageOf(file)
  if (language === null || language === "tsx" || language === "jsx") {
    return { source, instrumented: [], references: {}, skipped: names.map((name) => ({ name, reason: `${file} is not a .js/.ts module Node can load` })) }
  }
  const functions = moduleFunctions(parse(source, language).rootNode)
  const edits: Array<{ start: number; end: number; text: string }> = []
  const instrumented: Array<string> = []
  const references: Record<string, string> = {}
  const skipped: Array<{ name: string; reason: string }> = []
  for (const name of names) {
    const fn = functions.get(name)
    const id = JSON.stringify(`${file}#${name}`)
    if (!fn) {
      skipped.push({ name, reason: `${name} is not a module-level function of ${file}` })
      continue
    }
    if (fn.generator) {
      skipped.push({ name, reason: `${name} is a generator` })
      continue
    }
    if (fn.form === "declaration") {
      const body = fn.node.childForFieldName("body")
      if (body?.type !== "statement_block") {
        skipped.push({ name, reason: `${name} has no body` })
        continue
      }
      edits.push({ start: body.startIndex, end: body.startIndex + 1, text: `{ return __ratchet_rt().call(${id}, this, arguments, ${fn.async ? "async " : ""}() => {` })
      edits.push({ start: body.endIndex - 1, end: body.endIndex, text: "}) }" })
    } else {
      edits.push({ start: fn.node.startIndex, end: fn.node.startIndex, text: `__ratchet_rt().wrap(${id}, ` })
      edits.push({ start: fn.node.endIndex, end: fn.node.endIndex, text: `, ${JSON.stringify(name)})` })
    }
    instrumented.push(name)
    references[name] = fn.reference
  }
  let out = source
  for (const edit of edits.sort((a, b) => b.start - a.start)) out = `${out.slice(0, edit.start)}${edit.text}${out.slice(edit.end)}`
  if (instrumented.length === 0) return { source, instrumented, references, skipped }
  const registrations = instrumented.map((name) => `__ratchet_rt().register(${JSON.stringify(`${file}#${name}`)}, ${references[name]})`).join("\n")
  out = `${out}\n;${registrations}\n${runtimeHelper(hookPath)}\n`
  if (language === "typescript") out = prepend(out, "// @ts-nocheck\n")
  return { source: out, instrumented, references, skipped }
}

const COLLECTION = /^(?:new\s+(?:Map|WeakMap|Set|WeakSet|LRUCache|LRU|QuickLRU)\b|\{\s*\}$|\[\s*\]$|Object\.create\(\s*null\s*\)$)/

/**
 * Module-level caches a candidate adds: top-level bindings that are new in the candidate, start as an empty
 * collection (`new Map()`, `new WeakMap()`, `new Set()`, an LRU, `{}`, `[]`, `Object.create(null)`) and are
 * written by a function of the module (`.set(`, `.add(`, `.push(`, `[k] =`). Their entries survive from one
 * call to the next, so a benchmark that repeats its inputs measures cache hits.
 */
export const addedCaches = (original: string, candidate: string, file: string): ReadonlyArray<string> => {
  const language = languageOf(file)
  if (language === null) return []
  const bindings = (text: string): Map<string, string> => {
    const out = new Map<string, string>()
    for (const node of topLevel(parse(text, language).rootNode)) {
      if (node.type !== "lexical_declaration" && node.type !== "variable_declaration") continue
      for (const d of node.namedChildren) {
        const name = d.childForFieldName("name")
        const value = d.childForFieldName("value")
        if (d.type === "variable_declarator" && name?.type === "identifier" && value) out.set(name.text, value.text.trim())
      }
    }
    return out
  }
  const before = bindings(original)
  const after = bindings(candidate)
  const caches: Array<string> = []
  for (const [name, value] of after) {
    if (before.has(name) || !COLLECTION.test(value.replace(/<[^>]*>/g, ""))) continue
    const escaped = name.replace(/\$/g, "\\$")
    const written = new RegExp(`\\b${escaped}\\s*(?:\\.(?:set|add|push|unshift)\\s*\\(|\\[[^\\]]+\\]\\s*=[^=])`).test(candidate)
    if (written) caches.push(name)
  }
  return caches
}
