/**
 * Declared types of bindings, read from what the source states: a TypeScript annotation, or a JSDoc
 * `@param {T} name` / `@type {T}` tag in a JavaScript file. Types are handled as text (one small
 * parser serves both syntaxes) and only the facts the templates need are derived: whether a binding is
 * declared as an array, and whether its elements can be numbers (where `===` and SameValueZero differ
 * on `NaN`).
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "./fileInfo.js"
import { sameNode, unparen } from "./nodes.js"
import { resolve } from "./scopes.js"

/** Splits `text` at top-level occurrences of `separator` (outside `<>`, `()`, `[]`, `{}` and quotes). */
const splitTopLevel = (text: string, separator: string): Array<string> => {
  const out: Array<string> = []
  let depth = 0
  let quote = ""
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quote !== "") {
      if (c === "\\") i++
      else if (c === quote) quote = ""
      continue
    }
    if (c === '"' || c === "'" || c === "`") quote = c
    else if (c === "<" || c === "(" || c === "[" || c === "{") depth++
    else if ((c === ">" && text[i - 1] !== "=") || c === ")" || c === "]" || c === "}") depth--
    else if (depth === 0 && text.startsWith(separator, i)) {
      out.push(text.slice(start, i))
      start = i + separator.length
    }
  }
  out.push(text.slice(start))
  return out.map((s) => s.trim()).filter((s) => s !== "")
}

/** Strips redundant parentheses around a whole type. */
const unwrap = (type: string): string => {
  let t = type.trim()
  while (t.startsWith("(") && t.endsWith(")") && splitTopLevel(t.slice(1, -1), "|").join("|") !== "" && balanced(t.slice(1, -1))) t = t.slice(1, -1).trim()
  return t
}

const balanced = (text: string): boolean => {
  let depth = 0
  for (const c of text) {
    if (c === "(") depth++
    else if (c === ")" && --depth < 0) return false
  }
  return depth === 0
}

/**
 * The element type of an array type written as text (`T[]`, `readonly T[]`, `Array<T>`, `Array.<T>`,
 * `ReadonlyArray<T>`), or `null` when the type is not (certainly) an array: a union with `null` or
 * `undefined`, `any`, a tuple and every other type answer `null`.
 */
export const arrayElementType = (typeText: string): string | null => {
  const t = unwrap(typeText)
  if (splitTopLevel(t, "|").length !== 1) return null
  if (t.startsWith("readonly ")) return arrayElementType(t.slice("readonly ".length))
  if (t.endsWith("[]") && balanced(t.slice(0, -2))) {
    const element = unwrap(t.slice(0, -2))
    return element === "" ? null : element
  }
  const generic = /^(?:Array|ReadonlyArray|Array\.)\s*<([\s\S]*)>$/.exec(t)
  if (generic && balanced(generic[1]!)) return unwrap(generic[1]!)
  return null
}

const NON_NUMBER_KEYWORDS = new Set(["string", "boolean", "symbol", "bigint", "null", "undefined", "true", "false", "void", "never"])

/**
 * Whether no value of this (element) type can be a number, so `indexOf`/`===` and `Set#has` agree: string,
 * boolean, symbol and bigint types, string and boolean literal types, template literal types, and
 * interfaces or classes declared in the same file. Aliases, enums and anything unknown answer `false`.
 */
export const excludesNumbers = (file: FileInfo, typeText: string): boolean => excludesNumbersAt(file, typeText, 0)

const excludesNumbersAt = (file: FileInfo, typeText: string, depth: number): boolean => {
  const members = splitTopLevel(unwrap(typeText), "|")
  if (members.length === 0) return false
  return members.every((raw) => {
    const m = unwrap(raw)
    if (NON_NUMBER_KEYWORDS.has(m)) return true
    if (/^(["'`]).*\1$/s.test(m)) return true
    if (/^[A-Za-z_$][\w$]*$/.test(m)) return declaresObjectType(file, m, depth)
    return false
  })
}

/**
 * Whether the file declares `name` as an interface, a class, a type alias of an object literal type, or
 * a type alias of a type that itself excludes numbers (`type Column = "id" | "name"`), a few levels deep.
 */
const declaresObjectType = (file: FileInfo, name: string, depth = 0): boolean => {
  if (new RegExp(`(?:^|[\\s;])(?:interface\\s+${name}\\b|class\\s+${name}\\b|type\\s+${name}\\s*(?:<[^=]*>)?\\s*=\\s*\\{)`).test(file.text)) return true
  if (depth >= 3) return false
  const alias = new RegExp(`(?:^|[\\s;])type\\s+${name}\\s*=\\s*([^;\\n]+)`).exec(file.text)
  return alias !== null && excludesNumbersAt(file, alias[1]!.trim(), depth + 1)
}

/**
 * The type annotation text of a binding identifier: a TS annotation on the declarator, parameter or class
 * field, else a JSDoc `@param {T} name` (for a parameter) or `@type {T}` (for a declaration) in the
 * comment right before the declaring statement. `null` when none is written.
 */
export const declaredType = (binding: SyntaxNode): string | null => {
  const parent = binding.parent
  if (!parent) return null
  if (parent.type === "variable_declarator" && sameNode(parent.childForFieldName("name"), binding)) {
    const annotation = parent.childForFieldName("type")
    if (annotation) return annotationText(annotation)
    const declaration = parent.parent
    if (declaration?.namedChildren.filter((c) => c.type === "variable_declarator").length !== 1) return null
    return jsdocTag(declaration, "type", null)
  }
  if (parent.type === "required_parameter" && sameNode(parent.childForFieldName("pattern"), binding)) {
    const annotation = parent.childForFieldName("type")
    if (annotation) return annotationText(annotation)
    return jsdocParam(parent.parent, binding.text)
  }
  if (parent.type === "formal_parameters") return jsdocParam(parent, binding.text)
  if (parent.type === "arrow_function" && sameNode(parent.childForFieldName("parameter"), binding)) return jsdocParam(parent, binding.text)
  return null
}

/**
 * The annotation of a class field `name` declared in `classBody` — a field declaration, or a TypeScript
 * parameter property of the constructor (`constructor(private readonly xs: T[])`) — or `null`.
 */
export const fieldType = (classBody: SyntaxNode, name: string): { type: string | null; field: SyntaxNode } | null => {
  for (const member of classBody.namedChildren) {
    if (member.type === "method_definition" && member.childForFieldName("name")?.text === "constructor") {
      for (const param of member.childForFieldName("parameters")?.namedChildren ?? []) {
        if (param.type !== "required_parameter" || param.childForFieldName("pattern")?.text !== name) continue
        if (!param.namedChildren.some((c) => c.type === "accessibility_modifier" || c.type === "override_modifier") && !param.children.some((c) => c.type === "readonly")) continue
        const annotation = param.childForFieldName("type")
        return { type: annotation ? annotationText(annotation) : null, field: param }
      }
    }
    if (member.type !== "public_field_definition" && member.type !== "field_definition") continue
    const key = member.childForFieldName("name") ?? member.childForFieldName("property")
    if (key?.text !== name) continue
    const annotation = member.childForFieldName("type")
    return { type: annotation ? annotationText(annotation) : null, field: member }
  }
  return null
}

const annotationText = (annotation: SyntaxNode): string => {
  const text = annotation.text.trim()
  return text.startsWith(":") ? text.slice(1).trim() : text
}

/** The statement that a leading doc comment of `node` is attached to (declarations inside `export`, arrow functions in declarators). */
const documented = (node: SyntaxNode): SyntaxNode => {
  let n = node
  for (;;) {
    const parent = n.parent
    if (!parent) return n
    if (parent.type === "export_statement" || parent.type === "variable_declarator" || parent.type === "lexical_declaration" || parent.type === "variable_declaration")
      n = parent
    else if (parent.type === "pair" || parent.type === "assignment_expression" || parent.type === "expression_statement") n = parent
    else return n
  }
}

/** The `/** … *\/` comment right before the statement holding `node`, or `null`. */
const docCommentOf = (node: SyntaxNode): string | null => {
  const target = documented(node)
  // tree-sitter keeps comments as siblings: the previous named sibling must be a `/**` comment.
  const parent = target.parent
  if (!parent) return null
  const siblings = parent.namedChildren
  let index = -1
  for (let i = 0; i < siblings.length; i++) if (sameNode(siblings[i]!, target)) index = i
  const previous = index > 0 ? siblings[index - 1]! : null
  return previous?.type === "comment" && previous.text.startsWith("/**") ? previous.text : null
}

/** `{T}` right after a JSDoc tag, braces balanced. */
const braced = (text: string, from: number): { type: string; end: number } | null => {
  let i = from
  while (i < text.length && /\s/.test(text[i]!)) i++
  if (text[i] !== "{") return null
  let depth = 0
  for (let j = i; j < text.length; j++) {
    if (text[j] === "{") depth++
    else if (text[j] === "}" && --depth === 0) return { type: text.slice(i + 1, j).replace(/\s*\*\s*/g, " ").trim(), end: j + 1 }
  }
  return null
}

const jsdocParam = (paramsOrFn: SyntaxNode | null, name: string): string | null => {
  if (!paramsOrFn) return null
  const fn = paramsOrFn.type === "formal_parameters" ? paramsOrFn.parent : paramsOrFn
  if (!fn) return null
  return jsdocTag(fn, "param", name)
}

/** The type of `@<tag> {T} [name]` in the doc comment of `node`. An optional (`[name]`, `T=`) parameter answers `null`. */
const jsdocTag = (node: SyntaxNode, tag: "param" | "type", name: string | null): string | null => {
  const doc = docCommentOf(node)
  if (doc === null) return null
  const marker = `@${tag}`
  for (let i = doc.indexOf(marker); i !== -1; i = doc.indexOf(marker, i + 1)) {
    const type = braced(doc, i + marker.length)
    if (!type) continue
    if (name === null) return type.type
    const rest = /^\s*([\w$]+)/.exec(doc.slice(type.end))
    if (rest?.[1] === name) return type.type.endsWith("=") ? null : type.type
  }
  return null
}

const STRING_RESULTS = /\.(?:toLowerCase|toUpperCase|toLocaleLowerCase|toLocaleUpperCase|trim|trimStart|trimEnd|slice|substring|padStart|padEnd|normalize|repeat|replace|replaceAll|charAt|join)\s*\([^()]*\)$/

/**
 * The type written for what `node` names: a name's declared type, the element type of the array a
 * `for (const x of xs)` walks (when `xs`'s own declared type is an array), or the annotation of the class
 * field `this.x` reads (where `this` is the instance of the enclosing class: not inside a `function`).
 * `null` when nothing is written.
 */
export const referenceType = (file: FileInfo, node: SyntaxNode, depth = 0): string | null => {
  const n = unparen(node)
  if (depth > 4) return null
  if (n.type === "identifier") {
    const binding = resolve(file, n)
    if (binding === null) return null
    const declared = declaredType(binding)
    if (declared !== null) return declared
    const loop = binding.parent
    if (loop?.type !== "for_in_statement" || !sameNode(loop.childForFieldName("left"), binding)) return null
    if (loop.childForFieldName("kind")?.type !== "const" || !loop.children.some((c) => c.type === "of")) return null
    const iterable = loop.childForFieldName("right")
    const type = iterable ? referenceType(file, iterable, depth + 1) : null
    return type === null ? null : arrayElementType(type)
  }
  if (n.type === "member_expression" && n.childForFieldName("object")?.type === "this") {
    const property = n.childForFieldName("property")
    if (property?.type !== "property_identifier") return null
    for (let p = n.parent; p; p = p.parent) {
      if (p.type === "function_expression" || p.type === "function_declaration" || p.type === "generator_function" || p.type === "generator_function_declaration") return null
      if (p.type === "class_body") return fieldType(p, property.text)?.type ?? null
    }
  }
  return null
}

/**
 * Whether `node` is provably a string: a string literal or template, the result of a method that returns
 * one (`toLowerCase()`, `slice(…)`, `join(…)`, …), `String(…)`, or a reference whose written type is
 * `string` (see {@link referenceType}: a TS or JSDoc declaration, a `for…of` over a `string[]`, a field).
 */
export const isStringValue = (file: FileInfo, node: SyntaxNode): boolean => {
  const n = unparen(node)
  if (n.type === "string" || n.type === "template_string") return true
  if (n.type === "call_expression") return STRING_RESULTS.test(n.text) || n.childForFieldName("function")?.text === "String"
  return referenceType(file, n) === "string"
}
