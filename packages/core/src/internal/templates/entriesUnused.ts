/**
 * `entries-unused`: `Object.entries(o)` iterated where only the keys or only the values are used →
 * `Object.keys(o)` / `Object.values(o)`, without building a `[key, value]` pair per property.
 *
 * Covers `Object.entries(o).forEach/map/some/every(([k]) => …)` and `for (const [k] of Object.entries(o))`
 * (keys), and `([, v]) => …` / `for (const [, v] of …)` (values).
 *
 * Safe when:
 * - the pair is destructured right away as `[k]`, `[k, unused]`, `[, v]` or `[_, v]` with the unused name
 *   never referenced, no defaults and no rest element; a TypeScript annotation on it is a plain two-element
 *   tuple (`[string, number]`), and the kept binding gets its half (`: number`);
 * - for callbacks, only the pair parameter is declared (the index stays the same, but the third parameter —
 *   the array — would change), and the method returns what the callback returns, not the elements
 *   (`forEach`, `map`, `some`, `every`, `flatMap`), so no pair escapes;
 * - `Object` is not shadowed. `keys`, `values` and `entries` list the same own enumerable string-keyed
 *   properties in the same order;
 * - for keys: no value read can run code. `entries` reads every value and so runs getters, `keys` does not:
 *   refused when the file makes own accessors (an object-literal getter, `defineProperty` with `get`, a
 *   `Proxy`); objects from other modules are assumed to have none.
 */
import type { SyntaxNode } from "../treeSitter.js"
import { accessorsOf } from "../dataflow/accessors.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { argumentsOf, methodName, parentOf, sameNode, unparen } from "../dataflow/nodes.js"
import { isShadowed, refsTo } from "../dataflow/scopes.js"
import type { Finding, Template } from "./template.js"

/** The key or value type of a pair annotated as a plain two-element tuple (`: [string, number]`), else `null`. */
const tupleHalf = (annotation: SyntaxNode, keep: "keys" | "values"): string | null => {
  const tuple = annotation.namedChildren.find((c) => c.type !== "comment")
  if (tuple?.type !== "tuple_type") return null
  const members = tuple.namedChildren.filter((c) => c.type !== "comment")
  if (members.length !== 2 || members.some((m) => m.type === "optional_type" || m.type === "rest_type" || m.type === "named_tuple_member")) return null
  return members[keep === "keys" ? 0 : 1]!.text
}

const METHODS = new Set(["forEach", "map", "some", "every", "flatMap"])

/** For an `array_pattern` destructuring a pair: the replacement binding text and which half it keeps. */
const halfOf = (file: FileInfo, pattern: SyntaxNode): { keep: "keys" | "values"; binding: string } | null => {
  if (pattern.type !== "array_pattern") return null
  // children in order, with holes: `[k]`, `[k, v]`, `[, v]`
  const slots: Array<SyntaxNode | null> = []
  let expectValue = true
  for (const c of pattern.children) {
    if (c.type === "[" || c.type === "]" || c.type === "comment") continue
    if (c.type === ",") {
      if (expectValue) slots.push(null)
      expectValue = true
      continue
    }
    slots.push(c)
    expectValue = false
  }
  if (slots.length === 0 || slots.length > 2) return null
  if (slots.some((s) => s !== null && s.type !== "identifier")) return null
  const [key, value] = [slots[0] ?? null, slots[1] ?? null]
  const unused = (id: SyntaxNode | null) => id === null || refsTo(file, id).length === 0
  if (key !== null && unused(value)) return { keep: "keys", binding: key.text }
  if (value !== null && unused(key)) return { keep: "values", binding: value.text }
  return null
}

const find = (file: FileInfo): Array<Finding> => {
  if (isShadowed(file, "Object")) return []
  const out: Array<Finding> = []
  for (const call of file.methodCalls(["entries"])) {
    if (call.childForFieldName("function")?.text !== "Object.entries" || argumentsOf(call).length !== 1) continue
    const parent = parentOf(call)
    let pattern: SyntaxNode | null = null
    /** The pair's TypeScript annotation (`: [string, number]`), whose half the kept binding takes. */
    let annotation: SyntaxNode | null = null
    let where = ""
    if (parent?.type === "member_expression" && METHODS.has(parent.childForFieldName("property")?.text ?? "")) {
      const outer = parent.parent
      if (outer?.type !== "call_expression" || !sameNode(outer.childForFieldName("function"), parent)) continue
      const args = argumentsOf(outer)
      const fn = args[0] ? unparen(args[0]) : null
      if (args.length !== 1 || (fn?.type !== "arrow_function" && fn?.type !== "function_expression")) continue
      const params = fn.childForFieldName("parameters")?.namedChildren.filter((c) => c.type !== "comment") ?? []
      if (params.length !== 1) continue
      pattern = params[0]!.type === "required_parameter" ? params[0]!.childForFieldName("pattern") : params[0]!
      annotation = params[0]!.type === "required_parameter" ? params[0]!.childForFieldName("type") : null
      where = `\`${methodName(outer)}\` callback`
    } else if (parent?.type === "for_in_statement" && sameNode(parent.childForFieldName("right"), unparen(call)) && parent.children.some((c) => c.type === "of")) {
      pattern = parent.childForFieldName("left")
      where = "`for…of` loop"
    } else continue
    if (!pattern) continue
    const half = halfOf(file, pattern)
    if (!half) continue
    // `entries` reads every value (running getters), `keys` reads none: refused when this file makes own accessors
    if (half.keep === "keys" && accessorsOf(file).ownAccessors) continue
    const halfType = annotation === null ? null : tupleHalf(annotation, half.keep)
    if (annotation !== null && halfType === null) continue
    const target = pattern
    const method = call.childForFieldName("function")!.childForFieldName("property")!
    out.push({
      node: call,
      rationale: `The ${where} over \`${call.text.length > 40 ? `${call.text.slice(0, 37)}...` : call.text}\` uses only the ${half.keep === "keys" ? "keys" : "values"}; \`Object.${half.keep}\` lists them without building a pair per property.`,
      benefit: 0.3,
      risk: "low",
      confidence: 0.85,
      edits: () => [
        { start: method.startIndex, end: method.endIndex, text: half.keep },
        { start: target.startIndex, end: target.endIndex, text: half.binding },
        ...(annotation !== null && halfType !== null ? [{ start: annotation.startIndex, end: annotation.endIndex, text: `: ${halfType}` }] : [])
      ]
    })
  }
  return out
}

export const entriesUnused: Template = {
  id: "entries-unused",
  kind: "performance",
  title: "Iterate Object.keys/values when only keys or values of Object.entries are used",
  explanation:
    "Safety: each pair is destructured right away and one half is never used; the callback declares only that parameter and the method returns what the callback returns (no pair escapes); `keys`, `values` and `entries` list the same properties in the same order. Keeping only the keys stops reading the values, so the file must define no own getters (objects from other modules are assumed to have none).",
  prefilter: (text) => /Object\s*\.\s*entries\s*\(/.test(text) && /\[\s*(?:,|[\p{ID_Start}$_][\p{ID_Continue}$]*\s*[\],])/u.test(text),
  find
}
