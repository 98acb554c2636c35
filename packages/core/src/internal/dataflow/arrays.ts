/**
 * Arrays the analysis can prove: values that are certainly dense arrays, array type annotations, and
 * references that only read an array.
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "./fileInfo.js"
import { argumentsOf, isDenseArrayLiteral, isFunction, sameNode, unparen, untyped } from "./nodes.js"
import { isShadowed, isWrite, resolve } from "./scopes.js"
import { wordOccurrences } from "./text.js"
import { arrayElementType, declaredType } from "./types.js"

const ARRAY_FACTORIES = /^(?:Array\.(?:from|of)|Object\.(?:keys|values|entries))$/
/** Methods (given a callback) that return a new dense array whatever array they are called on. */
const DENSE_CALLBACK_METHODS = new Set(["filter", "flatMap"])
/** Methods that return a new array, dense when the array they are called on is (`map` keeps holes). */
const ARRAY_METHODS = new Set(["map", "slice", "concat", "flat", "toSorted", "toReversed", "toSpliced"])

/**
 * Whether `node` provably evaluates to a dense array:
 * - an array literal without holes (spreads included), `Array.from/of(…)`, `Object.keys/values/entries(…)`
 *   (with those globals not shadowed);
 * - `xs.filter/flatMap(<function>)`, `xs.map/slice/concat/flat/…(…)` of a provable array, `s.split(<literal>)`;
 *   with `holes` set (for callers to whom holes make no difference, such as membership tests), also
 *   `xs.map(<function>)` of any `xs`;
 * - a name whose binding is a `const` with such an initializer, or a variable or parameter declared as
 *   an array by a TS annotation or a JSDoc `@type`/`@param` tag (parameters without a default, not optional).
 */
export const isProvableArray = (file: FileInfo, node: SyntaxNode, depth = 0, holes = false): boolean => {
  // `[…] as const` / `satisfies T` do not change the runtime value.
  const n = untyped(node)
  if (isDenseArrayLiteral(n)) return true
  if (n.type === "call_expression") {
    const callee = n.childForFieldName("function")
    if (!callee) return false
    if (ARRAY_FACTORIES.test(callee.text)) return !isShadowed(file, callee.text.split(".")[0]!)
    if (callee.type !== "member_expression" || callee.children.some((c) => c.type === "optional_chain")) return false
    const method = callee.childForFieldName("property")?.text ?? ""
    const receiver = callee.childForFieldName("object")!
    const args = argumentsOf(n)
    const callback = args[0] !== undefined && isFunction(args[0])
    if (DENSE_CALLBACK_METHODS.has(method) && callback) return true
    if (holes && method === "map" && callback) return true
    if (ARRAY_METHODS.has(method) || DENSE_CALLBACK_METHODS.has(method)) return depth < 4 && isProvableArray(file, receiver, depth + 1, holes)
    if (method === "split") return args.length >= 1 && args.length <= 2 && (args[0]!.type === "string" || args[0]!.type === "regex")
    return false
  }
  if (n.type === "identifier" && depth < 4) {
    const binding = resolve(file, n)
    if (!binding) return false
    const parent = binding.parent!
    const declared = declaredType(binding)
    if (parent.type === "variable_declarator" && sameNode(parent.childForFieldName("name"), binding)) {
      if (declared !== null && arrayElementType(declared) !== null) return true
      const isConst = parent.parent?.type === "lexical_declaration" && parent.parent.children[0]?.type === "const"
      const value = parent.childForFieldName("value")
      return isConst && value !== null && isProvableArray(file, value, depth + 1, holes)
    }
    if (parent.type === "required_parameter" && sameNode(parent.childForFieldName("pattern"), binding)) {
      return declared !== null && arrayElementType(declared) !== null && parent.childForFieldName("value") === null
    }
    // a plain JS parameter (`formal_parameters` or an arrow's single parameter) documented with JSDoc
    if (parent.type === "formal_parameters" || parent.type === "arrow_function") return declared !== null && arrayElementType(declared) !== null
  }
  return false
}

/**
 * The most elements an array literal may have for a `Set` or `Map` built from it to cost more than the
 * linear searches it replaces: lookup templates leave such arrays alone (their text gates rely on it too).
 */
export const SMALL_ARRAY_LITERAL = 8

/** The dense array literal a value is (`[…]`, also under `as`/`satisfies`), or `null`. */
export const arrayLiteralOf = (value: SyntaxNode | null): SyntaxNode | null => {
  if (!value) return null
  const bare = untyped(value)
  return isDenseArrayLiteral(bare) ? bare : null
}

/** The elements of an array literal (spreads count as one), comments left out. */
export const literalElements = (literal: SyntaxNode): Array<SyntaxNode> => literal.namedChildren.filter((c) => c.type !== "comment")

/**
 * Whether a binding is declared with a small array literal as its value (`const xs = ["a", "b"]`, at most
 * {@link SMALL_ARRAY_LITERAL} elements): a lookup in it never pays for a `Set` or `Map`, and if code adds
 * elements later the array is mutated, which the lookup templates refuse anyway.
 */
export const isDeclaredSmallLiteral = (binding: SyntaxNode): boolean => {
  const declarator = binding.parent
  if (declarator?.type !== "variable_declarator" || !sameNode(declarator.childForFieldName("name"), binding)) return false
  const literal = arrayLiteralOf(declarator.childForFieldName("value"))
  return literal !== null && literalElements(literal).length <= SMALL_ARRAY_LITERAL
}

/** Methods whose result keeps the holes of the array they are called on. */
const HOLE_KEEPING_METHODS = new Set(["map", "slice", "concat", "toSpliced", "reverse", "sort", "fill", "copyWithin"])

/**
 * Whether `node` may be an array with holes that this file makes: an array literal with holes, `Array(n)` /
 * `new Array(n)` (one argument: a length), `map`/`slice`/`concat`/… of one, a name bound to one, or a name
 * whose array gets its `length` assigned or an element `delete`d anywhere in the file. Arrays that come
 * from elsewhere (parameters, imports) are assumed dense — the templates state it.
 */
export const mayBeSparse = (file: FileInfo, node: SyntaxNode, depth = 0): boolean => {
  const n = unparen(node)
  if (depth > 4) return true
  if (n.type === "array") return !isDenseArrayLiteral(n)
  if (n.type === "new_expression" || n.type === "call_expression") {
    const callee = n.childForFieldName(n.type === "new_expression" ? "constructor" : "function")
    if (!callee) return false
    if (callee.type === "identifier" && callee.text === "Array") return argumentsOf(n).length === 1 && !isShadowed(file, "Array")
    if (n.type === "call_expression" && callee.type === "member_expression") {
      const method = callee.childForFieldName("property")?.text ?? ""
      if (HOLE_KEEPING_METHODS.has(method)) return mayBeSparse(file, callee.childForFieldName("object")!, depth + 1)
    }
    return false
  }
  if (n.type !== "identifier") return false
  const name = n.text
  for (const i of wordOccurrences(file.text, name)) {
    const after = file.text.slice(i + name.length, i + name.length + 40)
    // `xs.length = n` (also `+=`) may leave holes; `delete xs[i]` makes one
    if (/^\s*\.\s*length\s*(?:\+|\|\||\?\?|&&)?=(?!=)/.test(after)) return true
    if (/^\s*\[/.test(after) && /\bdelete\s*\(?\s*$/.test(file.text.slice(Math.max(0, i - 12), i))) return true
  }
  const binding = resolve(file, n)
  const declarator = binding?.parent
  if (declarator?.type !== "variable_declarator" || !sameNode(declarator.childForFieldName("name"), binding!)) return false
  const value = declarator.childForFieldName("value")
  return value !== null && mayBeSparse(file, value, depth + 1)
}

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

