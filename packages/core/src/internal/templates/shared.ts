/**
 * Shared machinery of the built-in templates: the template shape, a text-driven per-tree index of
 * nodes, lexical-scope binding resolution (conservative: ambiguity means "refuse") and small AST predicates.
 */
import type { Edit } from "../../Patchgen.js"
import type { Language, SyntaxNode } from "../treeSitter.js"

export type Risk = "low" | "medium" | "high"

/** What a template found: the anchor range, why, and how to rewrite it (computed lazily). */
export interface Finding {
  readonly node: { readonly startIndex: number; readonly endIndex: number; readonly startPosition: { row: number }; readonly endPosition: { row: number } }
  readonly rationale: string
  readonly benefit: number
  readonly risk: Risk
  readonly confidence: number
  readonly edits: () => ReadonlyArray<Edit> | null
}

/** A template: finds safe opportunities in a parsed file and knows how to rewrite them. */
export interface Template {
  readonly id: string
  readonly kind: "performance" | "tech-debt"
  readonly title: string
  /** What the rewrite does and when it is safe (copied into the candidate's explanation). */
  readonly explanation: string
  /** Cheap text test: `false` means the template cannot fire on this file. */
  readonly prefilter: (text: string) => boolean
  readonly find: (file: FileInfo) => ReadonlyArray<Finding>
}

export interface FileInfo {
  readonly path: string
  readonly text: string
  readonly language: Language
  readonly root: SyntaxNode
  /** Nodes of one type (cached). */
  readonly nodes: (type: string) => ReadonlyArray<SyntaxNode>
  /** All `identifier`/shorthand identifier nodes with this name (cached). */
  readonly identifiers: (name: string) => ReadonlyArray<SyntaxNode>
  /** The `call_expression`s `<receiver>.<name>(…)` for these method names, in source order (cached). */
  readonly methodCalls: (names: ReadonlyArray<string>) => ReadonlyArray<SyntaxNode>
  /** The smallest node spanning [start, end). */
  readonly nodeAt: (start: number, end: number) => SyntaxNode
}

const ID_CHAR = /[\p{ID_Continue}$\u200c\u200d]/u
const IDENTIFIER_TYPES = new Set(["identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern"])

/** Whether the code unit at `i` is an identifier character (`ID_CHAR`; ASCII answered without a regex). */
const isIdCharAt = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i)
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36
  return !Number.isNaN(c) && ID_CHAR.test(text[i]!)
}

/** Indices where `word` occurs in `text` not touching other identifier characters. */
export const wordOccurrences = (text: string, word: string): Array<number> => {
  const out: Array<number> = []
  if (word.length === 0) return out
  for (let i = text.indexOf(word); i !== -1; i = text.indexOf(word, i + 1)) {
    if ((i > 0 && isIdCharAt(text, i - 1)) || isIdCharAt(text, i + word.length)) continue
    out.push(i)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Text gates: necessary conditions a template's `find` implies, checked on the raw text before a
// parse. Each must be conservative — a file that fails a gate has no finding — so they only look for
// what the safety conditions require to be written out (a declaration, an annotation, a receiver).

const isSpaceCode = (c: number): boolean => c === 32 || (c >= 9 && c <= 13)
/** Identifier characters; any non-ASCII character counts (over-inclusion only widens a gate). */
const isIdentCode = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c > 127

/**
 * The plain identifiers `x` that some `x.method(` / `x?.method(` in the text is called on (whitespace
 * allowed around the dot and before the parenthesis). Receivers that are member chains (`a.b.m(`),
 * calls or literals are left out: the templates that use this only rewrite calls on a bare name.
 */
export const receiversOf = (text: string, methods: ReadonlyArray<string>): Set<string> => {
  const out = new Set<string>()
  for (const method of methods) for (const name of receiversOfMethod(text, method)) out.add(name)
  return out
}

// The last text's receivers per method: templates gate on the same methods of the same file in turn.
let receiversText = ""
const receiversMemo = new Map<string, ReadonlyArray<string>>()

const receiversOfMethod = (text: string, method: string): ReadonlyArray<string> => {
  if (text !== receiversText) {
    receiversText = text
    receiversMemo.clear()
  }
  const known = receiversMemo.get(method)
  if (known !== undefined) return known
  const out = new Set<string>()
  for (let i = text.indexOf(method); i !== -1; i = text.indexOf(method, i + 1)) {
    let j = i + method.length
    while (isSpaceCode(text.charCodeAt(j))) j++
    if (text.charCodeAt(j) !== 40 /* ( */) continue
    let k = i - 1
    while (k >= 0 && isSpaceCode(text.charCodeAt(k))) k--
    if (text.charCodeAt(k) !== 46 /* . */) continue
    k--
    if (text.charCodeAt(k) === 63 /* ? */) k--
    while (k >= 0 && isSpaceCode(text.charCodeAt(k))) k--
    const end = k + 1
    while (k >= 0 && isIdentCode(text.charCodeAt(k))) k--
    if (end === k + 1) continue
    const first = text.charCodeAt(k + 1)
    if (first >= 48 && first <= 57) continue
    // `a.b.method(` / `a?.b.method(`: the receiver is a member expression, not a name
    let p = k
    while (p >= 0 && isSpaceCode(text.charCodeAt(p))) p--
    if (text.charCodeAt(p) === 46 && text.charCodeAt(p - 1) !== 46 /* not a spread */) continue
    out.add(text.slice(k + 1, end))
  }
  const list = [...out]
  receiversMemo.set(method, list)
  return list
}

const IDENT_SOURCE = "[\\p{ID_Start}$_][\\p{ID_Continue}$\\u200c\\u200d]*"

/** After a declared name: an initializer that starts like an array (literal, factory call, or an alias name). */
const ARRAY_INITIALIZER = new RegExp(
  `\\s*(?::[^;]*?)?=(?![=>])\\s*[(\\s]*(?:\\[|Array\\s*\\.|Object\\s*\\.|${IDENT_SOURCE}[)\\s]*(?:[;,}]|$|as\\b|satisfies\\b))`,
  "muy"
)
/** After a name: an array type annotation (`: T[]`, `: Array<T>`, `: ReadonlyArray<T>`, optional `?`). */
const ARRAY_ANNOTATION = /\s*\??\s*:[^;=:]*?(?:\[\s*\]|Array\s*<)/y

/** Whether `name` at `i` follows `const`/`let`/`var` (and whitespace) or a `,` of a declarator list. */
const isDeclaredAt = (text: string, i: number): boolean => {
  let k = i - 1
  while (k >= 0 && isSpaceCode(text.charCodeAt(k))) k--
  if (k < 0) return false
  if (text.charCodeAt(k) === 44 /* , */) return true
  if (k === i - 1) return false
  for (const keyword of ["const", "let", "var"]) {
    const start = k - keyword.length + 1
    if (start >= 0 && text.startsWith(keyword, start) && (start === 0 || !isIdentCode(text.charCodeAt(start - 1)))) return true
  }
  return false
}

/**
 * Whether some declaration may bind `name` to an array the way `isProvableArray` decides it: an
 * initializer that starts like an array literal, `Array.from/of`, `Object.keys/values/entries` or a bare
 * name (an alias, checked in turn by `isProvableArray`), or an array type annotation. Walks the name's
 * occurrences with patterns compiled once (a pattern per name cost more to compile than to run).
 */
export const mayBeProvableArray = (text: string, name: string): boolean => {
  if (text !== provableText) {
    provableText = text
    provableMemo.clear()
  }
  let known = provableMemo.get(name)
  if (known === undefined) {
    known = mayBeProvableArrayIn(text, name)
    provableMemo.set(name, known)
  }
  return known
}

// The last text's answers per name: several templates gate on the same receivers of the same file.
let provableText = ""
const provableMemo = new Map<string, boolean>()

const mayBeProvableArrayIn = (text: string, name: string): boolean => {
  for (let i = text.indexOf(name); i !== -1; i = text.indexOf(name, i + 1)) {
    const before = i > 0 ? text.charCodeAt(i - 1) : 32
    if (isIdentCode(before) || before === 46 /* . */) continue
    const end = i + name.length
    if (isDeclaredAt(text, i)) {
      ARRAY_INITIALIZER.lastIndex = end
      if (ARRAY_INITIALIZER.test(text)) return true
    }
    ARRAY_ANNOTATION.lastIndex = end
    if (ARRAY_ANNOTATION.test(text)) return true
  }
  return false
}

type IndexedNode = SyntaxNode & { namedDescendantForIndex(start: number, end: number): SyntaxNode }

/** The keyword every node of these types starts with (after an optional `async`). */
const KEYWORD_OF: Readonly<Record<string, string>> = {
  for_statement: "for",
  for_in_statement: "for",
  while_statement: "while",
  do_statement: "do",
  function_declaration: "function"
}
/** Nodes no regex literal can be inside of, skipped whole while looking for one. */
const NO_REGEX_INSIDE = new Set(["comment", "string", "regex"])

/**
 * The nodes of one type under `root`, in source order. For loops, function declarations and regex
 * literals the text drives the search (each keyword occurrence, or each `/`, is mapped to its node with
 * one native lookup): tree-sitter's own `descendantsOfType` visits every node of the file and cost more
 * than all the templates together. Other types fall back to it.
 */
export const nodesOfType = (root: SyntaxNode, text: string, type: string): Array<SyntaxNode> => {
  const indexed = root as IndexedNode
  const out: Array<SyntaxNode> = []
  if (type === "regex") {
    for (let i = text.indexOf("/", root.startIndex); i !== -1 && i < root.endIndex; i = text.indexOf("/", i + 1)) {
      const next = text.charCodeAt(i + 1)
      // a regex literal never starts with `//` or `/*`
      if (next === 47 || next === 42) continue
      const node = indexed.namedDescendantForIndex(i, i + 1)
      if (node.type === "regex" && node.startIndex === i) out.push(node)
      if (NO_REGEX_INSIDE.has(node.type) && node.endIndex - 1 > i) i = node.endIndex - 1
    }
    return out
  }
  const keyword = KEYWORD_OF[type]
  if (keyword === undefined) return [...root.descendantsOfType(type)]
  let last = -1
  for (const i of wordOccurrences(text, keyword)) {
    if (i < root.startIndex || i + keyword.length > root.endIndex) continue
    const node = indexed.namedDescendantForIndex(i, i + keyword.length)
    if (node.type === type && node.startIndex !== last) {
      out.push(node)
      last = node.startIndex
    }
  }
  return out
}

const infos = new WeakMap<object, FileInfo>()

/**
 * Builds (or reuses) the per-tree index. Lookups are driven by the text (a name's occurrences are
 * mapped to nodes with `descendantForIndex`), so a large file only pays for the names templates ask about.
 */
export const fileInfo = (path: string, text: string, language: Language, tree: { readonly rootNode: SyntaxNode }): FileInfo => {
  const cached = infos.get(tree)
  if (cached && cached.text === text) return cached
  const root = tree.rootNode as SyntaxNode & { descendantForIndex(start: number, end?: number): SyntaxNode }
  const byType = new Map<string, ReadonlyArray<SyntaxNode>>()
  const byName = new Map<string, ReadonlyArray<SyntaxNode>>()
  const byMethods = new Map<string, ReadonlyArray<SyntaxNode>>()
  const nodeAt = (start: number, end: number): SyntaxNode => root.descendantForIndex(start, end)
  const identifiers = (name: string): ReadonlyArray<SyntaxNode> => {
    let list = byName.get(name)
    if (list) return list
    const found: Array<SyntaxNode> = []
    for (const i of wordOccurrences(text, name)) {
      const node = nodeAt(i, i + name.length)
      if (IDENTIFIER_TYPES.has(node.type) && node.startIndex === i && node.endIndex === i + name.length) found.push(node)
    }
    list = found
    byName.set(name, list)
    return list
  }
  const info: FileInfo = {
    path,
    text,
    language,
    root,
    nodeAt,
    nodes: (type) => {
      let list = byType.get(type)
      if (!list) {
        list = nodesOfType(root, text, type)
        byType.set(type, list)
      }
      return list
    },
    identifiers,
    methodCalls: (names) => {
      const key = names.join("\0")
      let list = byMethods.get(key)
      if (list) return list
      const found: Array<SyntaxNode> = []
      for (const name of names) {
        for (const i of wordOccurrences(text, name)) {
          const property = nodeAt(i, i + name.length)
          if (property.type !== "property_identifier" || property.startIndex !== i || property.endIndex !== i + name.length) continue
          const member = property.parent
          if (member?.type !== "member_expression" || !sameNode(member.childForFieldName("property"), property)) continue
          const call = member.parent
          if (call && call.type === "call_expression" && sameNode(call.childForFieldName("function"), member)) found.push(call)
        }
      }
      found.sort((a, b) => a.startIndex - b.startIndex)
      list = found
      byMethods.set(key, list)
      return list
    }
  }
  infos.set(tree, info)
  return info
}

// ---------------------------------------------------------------------------------------------
// Node predicates

export const FUNCTION_TYPES = new Set([
  "function_declaration",
  "function_expression",
  "function",
  "arrow_function",
  "method_definition",
  "generator_function_declaration",
  "generator_function",
  "class_static_block"
])

export const LOOP_TYPES = new Set(["for_statement", "for_in_statement", "while_statement", "do_statement"])

export const isFunction = (node: SyntaxNode): boolean => FUNCTION_TYPES.has(node.type)

/** Array methods whose callback runs once per element: a callback passed to them is "in a loop". */
const ITERATION_METHODS = new Set(["forEach", "map", "filter", "reduce", "reduceRight", "some", "every", "find", "findIndex", "findLast", "findLastIndex", "flatMap", "sort"])

/** `true` when `fn` is a callback argument of an iteration method (`xs.map(fn)`). */
export const isIterationCallback = (fn: SyntaxNode): boolean => {
  const args = fn.parent
  if (args?.type !== "arguments") return false
  const call = args.parent
  if (call?.type !== "call_expression") return false
  const callee = call.childForFieldName("function")
  if (callee?.type !== "member_expression") return false
  const property = callee.childForFieldName("property")
  return property !== null && ITERATION_METHODS.has(property.text)
}

/**
 * The innermost loop (or iteration callback) that re-evaluates `node` on each iteration,
 * looking no further out than the enclosing function. `null` when `node` runs once per call.
 */
export const enclosingLoop = (node: SyntaxNode): SyntaxNode | null => {
  let child = node
  let parent = node.parent
  while (parent) {
    if (LOOP_TYPES.has(parent.type) && repeats(parent, child)) return parent
    if (isFunction(parent)) return isIterationCallback(parent) ? parent : null
    child = parent
    parent = parent.parent
  }
  return null
}

/** Whether `child` (a direct child of `loop`) is evaluated on every iteration. */
const repeats = (loop: SyntaxNode, child: SyntaxNode): boolean => {
  const same = (field: string) => {
    const f = loop.childForFieldName(field)
    return f !== null && f.startIndex === child.startIndex && f.endIndex === child.endIndex
  }
  switch (loop.type) {
    case "for_statement":
      return same("body") || same("condition") || same("increment")
    case "for_in_statement":
      return same("body")
    default:
      return same("body") || same("condition")
  }
}

/** The nearest enclosing function node, or `null` at module level. */
export const enclosingFunction = (node: SyntaxNode): SyntaxNode | null => {
  let parent = node.parent
  while (parent) {
    if (isFunction(parent)) return parent
    parent = parent.parent
  }
  return null
}

/** `true` when `inner` lies within `outer` (inclusive). */
export const within = (inner: { startIndex: number; endIndex: number }, outer: { startIndex: number; endIndex: number }): boolean =>
  inner.startIndex >= outer.startIndex && inner.endIndex <= outer.endIndex

export const sameNode = (a: SyntaxNode | null, b: SyntaxNode | null): boolean =>
  a !== null && b !== null && a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type

/** Strips parentheses (and TS non-null `!`/`as const`-free wrappers are kept). */
export const unparen = (node: SyntaxNode): SyntaxNode => {
  let n = node
  while (n.type === "parenthesized_expression" && n.namedChildCount === 1) n = n.namedChildren[0]!
  return n
}

/** Parent skipping parentheses. */
export const parentOf = (node: SyntaxNode): SyntaxNode | null => {
  let p = node.parent
  while (p && p.type === "parenthesized_expression") p = p.parent
  return p
}

// ---------------------------------------------------------------------------------------------
// Bindings

const PATTERN_PARENTS = new Set(["array_pattern", "object_pattern", "rest_pattern", "pair_pattern", "assignment_pattern", "object_assignment_pattern"])

/** Whether an identifier node declares a binding (rather than referencing one). */
export const isBinding = (id: SyntaxNode): boolean => {
  if (id.type === "shorthand_property_identifier_pattern") return true
  if (id.type !== "identifier") return false
  const parent = id.parent
  if (!parent) return false
  switch (parent.type) {
    case "variable_declarator":
      return sameNode(parent.childForFieldName("name"), id)
    case "function_declaration":
    case "function_expression":
    case "function":
    case "generator_function_declaration":
    case "generator_function":
    case "class_declaration":
    case "class":
    case "abstract_class_declaration":
      return sameNode(parent.childForFieldName("name"), id)
    case "formal_parameters":
    case "required_parameter":
    case "optional_parameter":
    case "catch_clause":
    case "import_specifier":
    case "import_clause":
    case "namespace_import":
    case "namespace_export":
      return true
    case "arrow_function":
      return sameNode(parent.childForFieldName("parameter"), id)
    case "pair_pattern":
      return sameNode(parent.childForFieldName("value"), id)
    case "assignment_pattern":
    case "object_assignment_pattern":
      return sameNode(parent.childForFieldName("left"), id)
    case "for_in_statement":
      // `for (const x of …)` declares; `for (x of …)` assigns.
      return sameNode(parent.childForFieldName("left"), id) && parent.childForFieldName("kind") !== null
    default:
      return PATTERN_PARENTS.has(parent.type)
  }
}

const bindingCache = new WeakMap<FileInfo, Map<string, Array<SyntaxNode>>>()

/** The identifier nodes named `name` that declare it (computed once per file and name). */
export const bindingsOf = (file: FileInfo, name: string): Array<SyntaxNode> => {
  let byName = bindingCache.get(file)
  if (byName === undefined) {
    byName = new Map()
    bindingCache.set(file, byName)
  }
  let list = byName.get(name)
  if (list === undefined) {
    list = file.identifiers(name).filter(isBinding)
    byName.set(name, list)
  }
  return list
}

/** The identifier nodes named `name` that reference (read or write) it. */
export const referencesOf = (file: FileInfo, name: string): Array<SyntaxNode> => file.identifiers(name).filter((n) => !isBinding(n))

/** Whether a global such as `JSON` or `RegExp` is shadowed anywhere in the file. */
export const isShadowed = (file: FileInfo, name: string): boolean => bindingsOf(file, name).length > 0

/** The declarator of the single `const` binding of `name` in the file, or `null`. */
export const constDeclarator = (file: FileInfo, name: string): SyntaxNode | null => {
  const bindings = bindingsOf(file, name)
  if (bindings.length !== 1) return null
  const declarator = bindings[0]!.parent
  if (declarator?.type !== "variable_declarator" || !sameNode(declarator.childForFieldName("name"), bindings[0]!)) return null
  const declaration = declarator.parent
  if (declaration?.type !== "lexical_declaration" || declaration.children[0]?.type !== "const") return null
  return declarator
}

/** Whether an identifier reference is written to (assignment target, `++`, `delete`, for-in/of target). */
export const isWrite = (ref: SyntaxNode): boolean => {
  let node = ref
  let parent = node.parent
  while (parent && (parent.type === "parenthesized_expression" || parent.type === "non_null_expression")) {
    node = parent
    parent = parent.parent
  }
  if (!parent) return false
  switch (parent.type) {
    case "assignment_expression":
    case "augmented_assignment_expression":
      return sameNode(parent.childForFieldName("left"), node)
    case "update_expression":
      return true
    case "for_in_statement":
      return sameNode(parent.childForFieldName("left"), node)
    default:
      return PATTERN_PARENTS.has(parent.type) || parent.type === "array" && parent.parent?.type === "assignment_expression"
  }
}

/** Whether the file is an ES module or CommonJS module (so top-level declarations are module-private). */
export const isModule = (file: FileInfo): boolean => {
  if (file.root.namedChildren.some((n) => n.type === "import_statement" || n.type === "export_statement")) return true
  if (!/\brequire\s*\(|\bmodule\.exports\b|\bexports\.[A-Za-z_$]/.test(file.text)) return false
  // CommonJS: a real `require("…")` call or a `module.exports` / `exports.x` reference in code (not in a comment).
  return (
    file.identifiers("require").some((id) => {
      const call = id.parent
      if (call?.type !== "call_expression" || !sameNode(call.childForFieldName("function"), id)) return false
      const args = argumentsOf(call)
      return args.length === 1 && args[0]!.type === "string"
    }) ||
    file.identifiers("module").some((id) => id.parent?.type === "member_expression" && id.parent.text === "module.exports") ||
    file.identifiers("exports").some((id) => id.parent?.type === "member_expression" && sameNode(id.parent.childForFieldName("object"), id))
  )
}

/** The statement (direct child of a block or the program) that contains `node`. */
export const statementOf = (node: SyntaxNode): SyntaxNode | null => {
  let n: SyntaxNode | null = node
  while (n?.parent) {
    if (n.parent.type === "statement_block" || n.parent.type === "program" || n.parent.type === "switch_case") return n
    n = n.parent
  }
  return null
}

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

/** Whether the expression is a literal (string without substitutions, number, boolean, null). */
export const isPrimitiveLiteral = (node: SyntaxNode): boolean => {
  const n = unparen(node)
  switch (n.type) {
    case "string":
    case "number":
    case "true":
    case "false":
    case "null":
      return true
    case "template_string":
      return !n.namedChildren.some((c) => c.type === "template_substitution")
    case "unary_expression":
      return (n.children[0]?.type === "-" || n.children[0]?.type === "+") && unparen(n.namedChildren[0]!).type === "number"
    default:
      return false
  }
}

/** An array literal without holes. */
export const isDenseArrayLiteral = (node: SyntaxNode): boolean => {
  if (node.type !== "array") return false
  let expectValue = true
  for (const child of node.children) {
    if (child.type === "[" ) continue
    if (child.type === "]") return true
    if (child.type === ",") {
      if (expectValue) return false
      expectValue = true
    } else if (child.isNamed && child.type !== "comment") {
      expectValue = false
    }
  }
  return true
}

const ARRAY_FACTORIES = /^(?:Array\.(?:from|of)|Object\.(?:keys|values|entries))$/

/**
 * Whether `node` provably evaluates to a dense array: an array literal without holes,
 * `Array.from/of(…)`, `Object.keys/values/entries(…)` (with those globals not shadowed),
 * or a name whose single binding is a `const` with such an initializer or a TS array type annotation.
 */
export const isProvableArray = (file: FileInfo, node: SyntaxNode, depth = 0): boolean => {
  let n = unparen(node)
  // `[…] as const` / `satisfies T` do not change the runtime value.
  while ((n.type === "as_expression" || n.type === "satisfies_expression") && n.namedChildren[0]) n = unparen(n.namedChildren[0])
  if (isDenseArrayLiteral(n)) return true
  if (n.type === "call_expression") {
    const callee = n.childForFieldName("function")
    if (callee && ARRAY_FACTORIES.test(callee.text)) {
      const global = callee.text.split(".")[0]!
      return !isShadowed(file, global)
    }
    return false
  }
  if (n.type === "identifier" && depth < 4) {
    const binding = resolve(file, n)
    if (!binding) return false
    const parent = binding.parent!
    if (parent.type === "variable_declarator" && sameNode(parent.childForFieldName("name"), binding)) {
      if (isArrayType(parent.childForFieldName("type"))) return true
      const isConst = parent.parent?.type === "lexical_declaration" && parent.parent.children[0]?.type === "const"
      const value = parent.childForFieldName("value")
      return isConst && value !== null && isProvableArray(file, value, depth + 1)
    }
    if ((parent.type === "required_parameter" || parent.type === "optional_parameter") && sameNode(parent.childForFieldName("pattern"), binding)) {
      return parent.type === "required_parameter" && isArrayType(parent.childForFieldName("type")) && !file.text.slice(parent.startIndex, parent.endIndex).includes("=")
    }
  }
  return false
}

/** A TS type annotation that is an array type: `T[]`, `readonly T[]`, `Array<T>`, `ReadonlyArray<T>`. */
export const isArrayType = (annotation: SyntaxNode | null): boolean => {
  if (!annotation) return false
  const t = annotation.type === "type_annotation" ? annotation.namedChildren[0] : annotation
  if (!t) return false
  if (t.type === "array_type") return true
  if (t.type === "readonly_type") return t.namedChildren[0]?.type === "array_type"
  if (t.type === "generic_type") {
    const name = t.namedChildren[0]?.text
    return name === "Array" || name === "ReadonlyArray"
  }
  return false
}

/** Whether the expression, when evaluated, can have no side effects (calls, assignments, `new`, `await`, …). */
export const isSideEffectFree = (node: SyntaxNode): boolean => {
  const stack = [node]
  while (stack.length > 0) {
    const n = stack.pop()!
    switch (n.type) {
      case "call_expression":
      case "new_expression":
      case "assignment_expression":
      case "augmented_assignment_expression":
      case "update_expression":
      case "await_expression":
      case "yield_expression":
      case "arrow_function":
      case "function_expression":
      case "function":
      case "class":
      case "tagged_template":
      case "jsx_element":
      case "jsx_self_closing_element":
        return false
      case "unary_expression":
        if (n.children[0]?.type === "delete") return false
        break
    }
    for (const c of n.namedChildren) stack.push(c)
  }
  return true
}

/** Whether the subtree contains a node of one of these types, not descending into nested functions. */
export const containsOutsideFunctions = (node: SyntaxNode, types: ReadonlySet<string>): boolean => {
  const stack = [...node.namedChildren]
  while (stack.length > 0) {
    const n = stack.pop()!
    if (types.has(n.type)) return true
    if (isFunction(n)) continue
    for (const c of n.namedChildren) stack.push(c)
  }
  return false
}

/** Line-level finding anchor from a node. */
export const anchor = (node: SyntaxNode) => node

const READ_ONLY_ARRAY_MEMBERS = new Set([
  "length", "includes", "indexOf", "lastIndexOf", "at", "slice", "some", "every", "find", "findIndex", "findLast",
  "findLastIndex", "filter", "map", "flatMap", "forEach", "reduce", "reduceRight", "join", "concat", "entries", "keys",
  "values", "toString", "toSorted", "toReversed", "with", "flat"
])

/**
 * Whether a reference to an array binding only reads the array: a read-only method/property
 * (`xs.includes(…)`, `xs.length`), an element read `xs[i]` (not assigned), `for (… of xs)` or `[...xs]`.
 * Anything else (passing it to a call, returning it, storing it, exporting it) may let it be mutated.
 */
export const isReadOnlyArrayUse = (ref: SyntaxNode): boolean => {
  let node = ref
  let parent = node.parent
  while (parent && (parent.type === "parenthesized_expression" || parent.type === "non_null_expression")) {
    node = parent
    parent = parent.parent
  }
  if (!parent) return false
  if (parent.type === "member_expression" && sameNode(parent.childForFieldName("object"), node)) {
    const property = parent.childForFieldName("property")
    if (!property || !READ_ONLY_ARRAY_MEMBERS.has(property.text)) return false
    if (property.text === "length") return !isWrite(parent)
    // A method must be called right away (not stored, which would let `this` be rebound).
    const call = parent.parent
    return call !== null && call.type === "call_expression" && sameNode(call.childForFieldName("function"), parent)
  }
  if (parent.type === "subscript_expression" && sameNode(parent.childForFieldName("object"), node)) {
    const outer = parent.parent
    if (isWrite(parent)) return false
    // `xs[i].push(…)` mutates an element, not the array: fine. `xs[i]` as a call target rebinds `this`: refuse.
    return !(outer && outer.type === "call_expression" && sameNode(outer.childForFieldName("function"), parent))
  }
  if (parent.type === "for_in_statement") return sameNode(parent.childForFieldName("right"), node) && parent.children.some((c) => c.type === "of")
  if (parent.type === "spread_element") return parent.parent?.type === "array"
  return false
}

/** The callee's property name when `call` is `<object>.<name>(…)`, else `null`. */
export const methodName = (call: SyntaxNode): string | null => {
  const callee = call.childForFieldName("function")
  if (callee?.type !== "member_expression") return null
  return callee.childForFieldName("property")?.text ?? null
}

/** The receiver of `<object>.<name>(…)`, else `null`. */
export const methodReceiver = (call: SyntaxNode): SyntaxNode | null => {
  const callee = call.childForFieldName("function")
  if (callee?.type !== "member_expression") return null
  if (callee.children.some((c) => c.type === "optional_chain")) return null
  return callee.childForFieldName("object")
}

/** The argument nodes of a call (named children of `arguments`, comments excluded). */
export const argumentsOf = (call: SyntaxNode): Array<SyntaxNode> => {
  const args = call.childForFieldName("arguments")
  if (args?.type !== "arguments") return []
  return args.namedChildren.filter((c) => c.type !== "comment")
}

/** Whether the call is `<name>(…)` / `<A>.<b>(…)` exactly (dotted name, no optional chaining, no type arguments). */
export const calleeIs = (call: SyntaxNode, dotted: string): boolean => {
  const callee = call.childForFieldName("function")
  return callee !== null && callee.text === dotted && call.childForFieldName("type_arguments") === null
}

/** The single parameter of an arrow function when it is a plain identifier without annotation/default; else `null`. */
export const singleParam = (fn: SyntaxNode): SyntaxNode | null => {
  if (fn.type !== "arrow_function") return null
  if (fn.children.some((c) => c.type === "async")) return null
  if (fn.childForFieldName("return_type") || fn.childForFieldName("type_parameters")) return null
  const direct = fn.childForFieldName("parameter")
  if (direct) return direct.type === "identifier" ? direct : null
  const params = fn.childForFieldName("parameters")
  if (!params) return null
  const list = params.namedChildren.filter((c) => c.type !== "comment")
  if (list.length !== 1) return null
  const p = list[0]!
  if (p.type === "identifier") return p
  if (p.type === "required_parameter" && p.namedChildCount === 1 && p.namedChildren[0]!.type === "identifier") return p.namedChildren[0]!
  return null
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

/** Whether the subtree mentions identifier `name` (references or bindings). */
export const mentions = (file: FileInfo, node: SyntaxNode, name: string): boolean => file.identifiers(name).some((id) => within(id, node))

/**
 * Where a module-level declaration can be inserted so it runs before any other code of the module:
 * after the hashbang, directives and leading imports; otherwise before the first statement
 * (and the comments attached to it).
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
  if (after) return { index: after.endIndex, prefix: "\n", suffix: "" }
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

// ---------------------------------------------------------------------------------------------
// Lexical scopes (an approximation of ES scoping that is exact for the declarations templates rewrite)

const BLOCK_SCOPES = new Set(["statement_block", "program", "switch_body", "class_static_block"])
const PATTERN_TYPES = new Set(["array_pattern", "object_pattern", "rest_pattern", "pair_pattern", "assignment_pattern", "object_assignment_pattern", "shorthand_property_identifier_pattern"])

const nearest = (node: SyntaxNode, test: (n: SyntaxNode) => boolean): SyntaxNode | null => {
  let n = node.parent
  while (n && !test(n)) n = n.parent
  return n
}

const functionScope = (node: SyntaxNode): SyntaxNode | null => nearest(node, (n) => isFunction(n) || n.type === "program")

/** The node whose extent is the scope of a binding identifier (`null` when unknown). */
export const scopeOf = (binding: SyntaxNode): SyntaxNode | null => {
  let node = binding
  let parent = node.parent
  while (parent && PATTERN_TYPES.has(parent.type)) {
    node = parent
    parent = parent.parent
  }
  if (!parent) return null
  switch (parent.type) {
    case "variable_declarator": {
      const declaration = parent.parent
      if (!declaration) return null
      if (declaration.type === "variable_declaration") return functionScope(declaration)
      if (declaration.parent?.type === "for_statement") return declaration.parent
      return nearest(declaration, (n) => BLOCK_SCOPES.has(n.type))
    }
    case "for_in_statement": {
      const kind = parent.childForFieldName("kind")
      if (!kind) return null
      return kind.type === "var" ? functionScope(parent) : parent
    }
    case "formal_parameters":
      return parent.parent
    case "required_parameter":
    case "optional_parameter":
      return parent.parent?.parent ?? null
    case "arrow_function":
    case "function_expression":
    case "function":
    case "generator_function":
    case "class":
    case "catch_clause":
      return parent
    case "function_declaration":
    case "generator_function_declaration":
    case "class_declaration":
    case "abstract_class_declaration":
      return nearest(parent, (n) => BLOCK_SCOPES.has(n.type))
    case "import_specifier":
    case "import_clause":
    case "namespace_import":
      return nearest(parent, (n) => n.type === "program")
    default:
      return null
  }
}

/**
 * The binding identifier a reference resolves to: the innermost scope containing `ref` that declares its
 * name. `null` for globals, or when the name is declared twice in one scope (ambiguous).
 */
export const resolve = (file: FileInfo, ref: SyntaxNode): SyntaxNode | null => {
  if (isBinding(ref)) return ref
  let best: SyntaxNode | null = null
  let bestScope: SyntaxNode | null = null
  let ambiguous = false
  for (const binding of bindingsOf(file, ref.text)) {
    const scope = cachedScopeOf(file, binding)
    if (!scope) {
      // Unknown declaration form in an enclosing position: refuse to guess.
      ambiguous = true
      continue
    }
    if (!within(ref, scope)) continue
    if (!bestScope || (scope.startIndex >= bestScope.startIndex && scope.endIndex <= bestScope.endIndex && !sameNode(scope, bestScope))) {
      best = binding
      bestScope = scope
      ambiguous = false
    } else if (sameNode(scope, bestScope)) ambiguous = true
  }
  return ambiguous ? null : best
}

const scopeCache = new WeakMap<FileInfo, Map<number, SyntaxNode | null>>()

/** {@link scopeOf}, remembered per file and binding (resolution asks for the same bindings' scopes per reference). */
const cachedScopeOf = (file: FileInfo, binding: SyntaxNode): SyntaxNode | null => {
  let byStart = scopeCache.get(file)
  if (byStart === undefined) {
    byStart = new Map()
    scopeCache.set(file, byStart)
  }
  const key = binding.startIndex
  let scope = byStart.get(key)
  if (scope === undefined) {
    scope = scopeOf(binding)
    byStart.set(key, scope)
  }
  return scope
}

/**
 * The references (non-binding identifiers) that resolve to `binding`. Only names inside the binding's
 * scope can resolve to it, so the others are not resolved at all.
 */
export const refsTo = (file: FileInfo, binding: SyntaxNode): Array<SyntaxNode> => {
  const scope = cachedScopeOf(file, binding)
  return file.identifiers(binding.text).filter((id) => (scope === null || within(id, scope)) && !isBinding(id) && sameNode(resolve(file, id), binding))
}

/** The `const` declarator a reference resolves to (single declarator name, not a pattern), or `null`. */
export const constDeclaratorOf = (file: FileInfo, ref: SyntaxNode): SyntaxNode | null => {
  const binding = resolve(file, ref)
  if (!binding) return null
  const declarator = binding.parent
  if (declarator?.type !== "variable_declarator" || !sameNode(declarator.childForFieldName("name"), binding)) return null
  const declaration = declarator.parent
  if (declaration?.type !== "lexical_declaration" || declaration.children[0]?.type !== "const") return null
  return declarator
}
