/**
 * `first-of-iterable`: `[...xs][0]` or `Array.from(xs)[0]` where `xs` is a `Set`, a `Map` or one of their
 * `keys()`/`values()`/`entries()` iterators → the first value of the iterator, without copying everything.
 *
 * Safe when:
 * - `xs` is provably a `Set` or `Map` (a `const` built with `new Set`/`new Map`, or a name or class field
 *   `this.xs` with a TS/JSDoc type `Set<…>`, `Map<…>`, `ReadonlySet<…>`, `ReadonlyMap<…>`), or a `keys()`/`values()`/`entries()` call on one:
 *   iterating them runs no user code, so stopping after the first value cannot be observed;
 * - `[0]` is only read; both give `undefined` for an empty collection.
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { argumentsOf, methodName, parentOf, sameNode, unparen } from "../dataflow/nodes.js"
import { isShadowed, isWrite, resolve } from "../dataflow/scopes.js"
import { referenceType } from "../dataflow/types.js"
import type { Finding, Template } from "./template.js"

/** "set" / "map" when `node` is provably one, else `null`. */
const collectionOf = (file: FileInfo, node: SyntaxNode): "set" | "map" | null => {
  const n = unparen(node)
  const type = referenceType(file, n)
  if (type !== null) {
    if (/^(?:Readonly)?Set\s*</.test(type)) return "set"
    if (/^(?:Readonly)?Map\s*</.test(type)) return "map"
  }
  if (n.type !== "identifier") return null
  const binding = resolve(file, n)
  if (!binding) return null
  const declarator = binding.parent
  if (declarator?.type !== "variable_declarator" || declarator.parent?.children[0]?.type !== "const") return null
  const value = declarator.childForFieldName("value")
  const made = value?.type === "new_expression" ? value.childForFieldName("constructor")?.text : null
  if ((made === "Set" || made === "Map") && !isShadowed(file, made)) return made === "Set" ? "set" : "map"
  return null
}

/** The expression whose `.next().value` is the first element, or `null`. */
const firstValueOf = (file: FileInfo, source: SyntaxNode): string | null => {
  const n = unparen(source)
  const kind = collectionOf(file, n)
  if (kind === "set") return `${n.text}.values().next().value`
  if (kind === "map") return `${n.text}.entries().next().value`
  if (n.type === "call_expression" && argumentsOf(n).length === 0) {
    const method = methodName(n)
    const receiver = n.childForFieldName("function")?.childForFieldName("object")
    if ((method === "keys" || method === "values" || method === "entries") && receiver && collectionOf(file, receiver) !== null) return `${n.text}.next().value`
  }
  return null
}

/** The collection copied by `[...xs]` / `Array.from(xs)`, or `null`. */
const copiedFrom = (file: FileInfo, node: SyntaxNode): SyntaxNode | null => {
  const n = unparen(node)
  if (n.type === "array") {
    const items = n.namedChildren.filter((c) => c.type !== "comment")
    return items.length === 1 && items[0]!.type === "spread_element" ? items[0]!.namedChildren[0]! : null
  }
  if (n.type === "call_expression" && n.childForFieldName("function")?.text === "Array.from" && !isShadowed(file, "Array")) {
    const args = argumentsOf(n)
    return args.length === 1 ? args[0]! : null
  }
  return null
}

const find = (file: FileInfo): Array<Finding> => {
  const out: Array<Finding> = []
  for (const subscript of file.nodes("subscript_expression")) {
    const index = subscript.childForFieldName("index")
    if (index?.type !== "number" || index.text !== "0" || isWrite(subscript)) continue
    const outer = subscript.parent
    if (outer?.type === "call_expression" && sameNode(outer.childForFieldName("function"), subscript)) continue
    const source = copiedFrom(file, subscript.childForFieldName("object")!)
    if (!source) continue
    const first = firstValueOf(file, source)
    if (!first) continue
    if (parentOf(subscript)?.type === "update_expression") continue
    out.push({
      node: subscript,
      rationale: `\`${subscript.text.length > 60 ? `${subscript.text.slice(0, 57)}...` : subscript.text}\` copies every element to read the first; the iterator's first value needs no copy.`,
      benefit: 0.4,
      risk: "low",
      confidence: 0.85,
      edits: () => [{ start: subscript.startIndex, end: subscript.endIndex, text: first }]
    })
  }
  return out
}

export const firstOfIterable: Template = {
  id: "first-of-iterable",
  kind: "performance",
  title: "Read the first value of a Set or Map without copying it into an array",
  explanation:
    "Safety: the copied collection is provably a Set or Map (or one of their iterators), whose iteration runs no user code, and only element 0 of the copy is read; the iterator's first value is the same, and `undefined` when it is empty.",
  prefilter: (text) => /(?:\[\s*\.\.\.[^\]]+\]|Array\s*\.\s*from\s*\([^)]*\))\s*\[\s*0\s*\]/.test(text),
  find
}
