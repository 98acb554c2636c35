/**
 * How a value is used after it is produced: whether every use only reads it (so one shared instance
 * behaves exactly like a fresh one per evaluation), or some use may mutate it, keep it, or let code
 * we cannot see do either (it escapes).
 *
 * A use is followed through parentheses, type assertions, `const` aliases (and `let`s never written
 * again), destructuring, `for…of`, and the callbacks of read-only array methods, up to a small depth.
 * What each kind of value allows:
 * - `data` (plain data such as a `JSON.parse` result): property and element reads, comparisons,
 *   arithmetic, conditions, template substitutions, read-only array and string methods, and a few
 *   functions that only read their argument (`JSON.stringify`, `String`, `Object.keys`, …);
 * - `regexp` (no `g`/`y` flag): `.test`/`.exec`, flag and source reads, and the pattern argument of
 *   `match`/`matchAll`/`replace`/`replaceAll`/`search`/`split`; `regexp-global` (a `g` flag, no `y`)
 *   the same without `test`/`exec`, whose `lastIndex` state would carry from one use to the next;
 * - `formatter` (an `Intl` object): its methods, called or passed as a callback (`sort(collator.compare)`);
 * - `keys` (a fresh array of primitives): every read-only array use; `entries` (a fresh array of shared
 *   values): the same, with elements used as `data`;
 * - `set` / `map`: lookups, size, iteration — never `add`/`set`/`delete`/`clear`;
 * - `decoder` (a `TextDecoder`): `decode(x)` without a `{ stream: true }` option (streaming keeps state
 *   between calls), and its `encoding`/`fatal`/`ignoreBOM`; `encoder` (a `TextEncoder`): `encode`,
 *   `encodeInto`, `encoding`.
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "./fileInfo.js"
import { isFunction, sameNode } from "./nodes.js"
import { isShadowed, isWrite, refsTo } from "./scopes.js"

/** The kinds of values whose uses {@link onlyRead} checks. */
export type ValueKind = "data" | "regexp" | "regexp-global" | "formatter" | "keys" | "entries" | "set" | "map" | "decoder" | "encoder"

const MAX_DEPTH = 6

/** Wrappers that pass their operand's value through unchanged. */
const TRANSPARENT = new Set(["parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression", "type_assertion"])

/** Array methods that neither mutate the array nor return its elements. */
const ARRAY_PRIMITIVE_RESULT = new Set(["includes", "indexOf", "lastIndexOf", "join", "toString", "toLocaleString", "findIndex", "findLastIndex", "some", "every", "forEach", "keys"])
/** Array methods that do not mutate the array but may return (arrays of) its elements. */
const ARRAY_ELEMENT_RESULT = new Set(["at", "slice", "concat", "find", "findLast", "filter", "map", "flatMap", "flat", "reduce", "reduceRight", "values", "entries", "toSorted", "toReversed", "with"])
/** String methods: strings are immutable, every method is safe. */
const STRING_METHODS = new Set([
  "startsWith", "endsWith", "includes", "indexOf", "lastIndexOf", "charAt", "charCodeAt", "codePointAt", "slice", "substring", "substr", "toLowerCase",
  "toUpperCase", "trim", "trimStart", "trimEnd", "split", "padStart", "padEnd", "repeat", "replace", "replaceAll", "match", "matchAll", "search",
  "localeCompare", "normalize", "concat", "at", "toFixed", "toPrecision", "valueOf"
])
/** Functions that only read their argument and return a primitive or a fresh value without shared parts. */
const READERS = new Set(["JSON.stringify", "String", "Number", "Boolean", "Array.isArray", "Object.keys", "Object.hasOwn", "Number.isInteger", "Number.isFinite", "Number.isNaN", "isNaN", "isFinite", "parseInt", "parseFloat", "encodeURIComponent"])
/** Functions that return arrays holding parts of their argument. */
const SHARING_READERS = new Set(["Object.values", "Object.entries", "Array.from"])

const REGEXP_READS = new Set(["source", "flags", "global", "ignoreCase", "multiline", "sticky", "unicode", "unicodeSets", "dotAll", "hasIndices"])
const REGEXP_ARGUMENT_OF = new Set(["match", "matchAll", "replace", "replaceAll", "search", "split"])
const FORMATTER_METHODS = new Set(["format", "formatToParts", "formatRange", "formatRangeToParts", "compare", "select", "selectRange", "resolvedOptions", "segment", "of"])
const SET_READS = new Set(["has", "get", "size", "forEach", "keys", "values", "entries"])

/** The node whose parent consumes the value of `node` (transparent wrappers skipped). */
const outermost = (node: SyntaxNode): SyntaxNode => {
  let n = node
  while (n.parent && TRANSPARENT.has(n.parent.type)) n = n.parent
  return n
}

const isCallee = (member: SyntaxNode): SyntaxNode | null => {
  const call = member.parent
  return call?.type === "call_expression" && sameNode(call.childForFieldName("function"), member) ? call : null
}

/** The dotted callee name of a call when it is a plain name or `A.b`, with the globals not shadowed. */
const globalCallee = (file: FileInfo, call: SyntaxNode): string | null => {
  const callee = call.childForFieldName("function")
  if (!callee) return null
  const text = callee.text
  if (!/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?$/.test(text)) return null
  return isShadowed(file, text.split(".")[0]!) ? null : text
}

/**
 * Whether every use of the value produced at `node` only reads it, for a value of `kind` (see the
 * module header). `false` as soon as one use may mutate it, keep it beyond the expression, or hand it
 * to code whose effect is unknown.
 */
export const onlyRead = (file: FileInfo, node: SyntaxNode, kind: ValueKind, depth = 0): boolean => {
  if (depth > MAX_DEPTH) return false
  const n = outermost(node)
  const parent = n.parent
  if (!parent) return false
  switch (parent.type) {
    case "expression_statement":
      return true
    case "member_expression": {
      if (!sameNode(parent.childForFieldName("object"), n)) return false
      const property = parent.childForFieldName("property")?.text ?? ""
      return memberUse(file, parent, property, kind, depth)
    }
    case "subscript_expression": {
      if (!sameNode(parent.childForFieldName("object"), n)) return kind === "data" || kind === "keys" || kind === "entries" // used as an index: converted to a key
      if (isWrite(parent) || isDeleted(parent) || isCallee(parent)) return false
      if (kind === "keys") return true
      if (kind === "data" || kind === "entries") return onlyRead(file, parent, "data", depth + 1)
      return false
    }
    case "binary_expression": {
      const op = parent.childForFieldName("operator")?.type ?? ""
      if (op === "&&" || op === "||" || op === "??") {
        // the value may become the result of the whole expression
        return sameNode(parent.childForFieldName("left"), n) && op === "&&" ? true : onlyRead(file, parent, kind, depth + 1)
      }
      if (op === "in") return sameNode(parent.childForFieldName("right"), n) && (kind === "data" || kind === "keys" || kind === "entries" || kind === "set" || kind === "map")
      if (op === "instanceof") return sameNode(parent.childForFieldName("left"), n)
      // comparisons and arithmetic read it (identity comparisons of a value that never escapes are unaffected)
      return true
    }
    case "unary_expression":
      return parent.children[0]?.type !== "delete"
    case "augmented_assignment_expression": {
      // `total += value` converts it to a primitive; `x ??= value` (and `||=`, `&&=`) stores it
      const op = parent.childForFieldName("operator")?.type ?? ""
      return sameNode(parent.childForFieldName("right"), n) && op !== "??=" && op !== "||=" && op !== "&&="
    }
    case "template_substitution":
    case "if_statement":
    case "while_statement":
    case "do_statement":
    case "switch_statement":
      return true
    case "ternary_expression":
      return sameNode(parent.childForFieldName("condition"), n) ? true : onlyRead(file, parent, kind, depth + 1)
    case "spread_element": {
      const holder = parent.parent
      if (holder?.type === "array") return kind === "keys" || kind === "set" ? true : kind === "data" || kind === "entries" || kind === "map" ? onlyRead(file, holder, "data", depth + 1) : false
      if (holder?.type === "object") return kind === "data" ? onlyRead(file, holder, "data", depth + 1) : false
      return false
    }
    case "variable_declarator":
      return sameNode(parent.childForFieldName("value"), n) && declaredUse(file, parent, kind, depth)
    case "for_in_statement": {
      if (!sameNode(parent.childForFieldName("right"), n)) return false
      const isOf = parent.children.some((c) => c.type === "of")
      if (!isOf) return kind === "data" || kind === "keys" || kind === "entries"
      if (kind === "keys" || kind === "set") return true
      if (kind === "data" || kind === "entries" || kind === "map") return patternRead(file, parent.childForFieldName("left"), parent.childForFieldName("kind") !== null, depth)
      return false
    }
    case "arguments": {
      const call = parent.parent
      if (call?.type !== "call_expression") return false
      const name = globalCallee(file, call)
      if (name !== null && READERS.has(name)) return true
      if (name !== null && SHARING_READERS.has(name)) return kind === "keys" || kind === "set" ? true : onlyRead(file, call, "data", depth + 1)
      if (name === "console.log" || name === "console.error" || name === "console.warn" || name === "console.info" || name === "console.debug") return true
      // the pattern argument of a string method
      const callee = call.childForFieldName("function")
      const method = callee?.type === "member_expression" ? (callee.childForFieldName("property")?.text ?? "") : ""
      const first = parent.namedChildren.find((c) => c.type !== "comment")
      if ((kind === "regexp" || kind === "regexp-global") && REGEXP_ARGUMENT_OF.has(method) && first !== undefined && sameNode(first, n)) return true
      return false
    }
    default:
      return false
  }
}

const isDeleted = (node: SyntaxNode): boolean => {
  let n = node
  while (n.parent && TRANSPARENT.has(n.parent.type)) n = n.parent
  return n.parent?.type === "unary_expression" && n.parent.children[0]?.type === "delete"
}

/** `value.property` (maybe called): allowed for the value's kind? */
const memberUse = (file: FileInfo, member: SyntaxNode, property: string, kind: ValueKind, depth: number): boolean => {
  if (isWrite(member) || isDeleted(member)) return false
  const call = isCallee(member)
  switch (kind) {
    case "regexp":
      return call ? property === "test" || property === "exec" : REGEXP_READS.has(property)
    case "regexp-global":
      return call ? false : REGEXP_READS.has(property)
    case "formatter":
      // a method, called or passed on as a function (`sort(collator.compare)`, `map(nf.format)`)
      return FORMATTER_METHODS.has(property)
    case "set":
    case "map":
      if (property === "size") return !call
      return call !== null && SET_READS.has(property) && callbacksRead(file, call, kind === "map" ? "data" : "keys", depth)
    case "keys":
    case "entries": {
      if (property === "length") return !call
      if (!call) return false
      const elements: ValueKind = kind === "keys" ? "keys" : "data"
      if (ARRAY_PRIMITIVE_RESULT.has(property)) return callbacksRead(file, call, elements, depth)
      if (ARRAY_ELEMENT_RESULT.has(property)) return callbacksRead(file, call, elements, depth) && (kind === "keys" || onlyRead(file, call, "data", depth + 1))
      return false
    }
    case "decoder": {
      if (!call) return property === "encoding" || property === "fatal" || property === "ignoreBOM"
      if (property !== "decode") return false
      const options = call.childForFieldName("arguments")?.namedChildren.filter((c) => c.type !== "comment")[1]
      // a literal options object without `stream`, or none: every call starts and ends a whole input
      return options === undefined || (options.type === "object" && !/\bstream\b/.test(options.text))
    }
    case "encoder":
      return call ? property === "encode" || property === "encodeInto" : property === "encoding"
    case "data": {
      if (!call) return onlyRead(file, member, "data", depth + 1)
      if (STRING_METHODS.has(property) && !ARRAY_ELEMENT_RESULT.has(property) && !ARRAY_PRIMITIVE_RESULT.has(property)) return true
      if (ARRAY_PRIMITIVE_RESULT.has(property)) return callbacksRead(file, call, "data", depth)
      if (ARRAY_ELEMENT_RESULT.has(property)) return callbacksRead(file, call, "data", depth) && onlyRead(file, call, "data", depth + 1)
      if (property === "hasOwnProperty" || property === "startsWith" || property === "endsWith") return true
      return false
    }
  }
}

/** Methods whose first argument is a callback given the elements. */
const CALLBACK_METHODS = new Set(["forEach", "map", "filter", "some", "every", "find", "findIndex", "findLast", "findLastIndex", "flatMap", "reduce", "reduceRight", "toSorted", "sort"])

/** The callback of an element-visiting method only reads the elements it is given (`kind` of each element). */
const callbacksRead = (file: FileInfo, call: SyntaxNode, elements: ValueKind, depth: number): boolean => {
  const args = call.childForFieldName("arguments")
  if (!args) return false
  const callee = call.childForFieldName("function")
  const method = callee?.type === "member_expression" ? (callee.childForFieldName("property")?.text ?? "") : ""
  if (!CALLBACK_METHODS.has(method)) return true
  for (const arg of args.namedChildren.filter((c) => c.type !== "comment").slice(0, 1)) {
    if (isFunction(arg)) {
      const params = arg.childForFieldName("parameters")?.namedChildren ?? []
      const single = arg.childForFieldName("parameter")
      const list = single ? [single] : params
      // the first parameter receives the element (the accumulator of reduce is the second; refuse reduce's shapes beyond reads)
      for (const p of list.slice(0, 1)) if (!paramRead(file, p, elements, depth)) return false
      // the array itself (third parameter) must not be used
      if (list.length >= 3) return false
      continue
    }
    if (arg.type === "identifier" || arg.type === "member_expression") {
      // a named callback could do anything with the element: only primitives are safe to hand over
      if (elements !== "keys") return false
    }
  }
  return true
}

/** A parameter (identifier, maybe typed, or a destructuring pattern) that only reads its value. */
const paramRead = (file: FileInfo, param: SyntaxNode, kind: ValueKind, depth: number): boolean => {
  const target = param.type === "required_parameter" || param.type === "optional_parameter" ? param.childForFieldName("pattern") : param
  if (!target) return false
  if (kind === "keys" && target.type === "identifier") return refsTo(file, target).every((r) => !isWrite(r))
  return patternRead(file, target, true, depth)
}

/** Every name a declaration pattern binds only reads its (data) value. */
const patternRead = (file: FileInfo, pattern: SyntaxNode | null, declares: boolean, depth: number): boolean => {
  if (!pattern || !declares) return false
  const names: Array<SyntaxNode> = []
  const stack = [pattern]
  while (stack.length > 0) {
    const p = stack.pop()!
    if (p.type === "identifier" || p.type === "shorthand_property_identifier_pattern") names.push(p)
    else if (p.type === "assignment_pattern" || p.type === "object_assignment_pattern") {
      const left = p.childForFieldName("left")
      if (left) stack.push(left)
    } else if (p.type === "pair_pattern") {
      const value = p.childForFieldName("value")
      if (value) stack.push(value)
    } else if (p.type === "object_pattern" || p.type === "array_pattern" || p.type === "rest_pattern") stack.push(...p.namedChildren)
    else if (p.type !== "comment") return false
  }
  return names.every((name) => refsTo(file, name).every((ref) => !isWrite(ref) && onlyRead(file, ref, "data", depth + 1)))
}

/** `const x = <value>` (or `let` never written again): every reference of `x` (or every name of a pattern) only reads. */
const declaredUse = (file: FileInfo, declarator: SyntaxNode, kind: ValueKind, depth: number): boolean => {
  const name = declarator.childForFieldName("name")
  if (!name) return false
  const declaration = declarator.parent
  const keyword = declaration?.children[0]?.type
  if (name.type === "identifier") {
    if (keyword !== "const" && keyword !== "let") return false
    const refs = refsTo(file, name)
    return refs.every((ref) => !isWrite(ref) && onlyRead(file, ref, kind, depth + 1))
  }
  if (kind !== "data" && kind !== "entries") return false
  return (keyword === "const" || keyword === "let") && patternRead(file, name, true, depth)
}
