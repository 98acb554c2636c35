/**
 * Arrays the analysis can prove: values that are certainly dense arrays, array type annotations, and
 * references that only read an array.
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "./fileInfo.js"
import { isDenseArrayLiteral, sameNode, unparen } from "./nodes.js"
import { isShadowed, isWrite, resolve } from "./scopes.js"

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

