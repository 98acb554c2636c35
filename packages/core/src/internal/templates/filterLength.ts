/**
 * `filter-length`: `xs.filter(p).length` compared with zero (or used as a boolean) → `xs.some(p)` /
 * `!xs.some(p)`. `filter` walks the whole array and allocates the matches only for them to be counted;
 * `some` stops at the first match and allocates nothing.
 *
 * Safe when:
 * - the comparison is an existence test: `> 0`, `!== 0`, `!= 0`, `>= 1` (and mirrored) → `some`;
 *   `=== 0`, `== 0`, `< 1`, `<= 0` → `!some`; or `.length` used only for its truthiness (`if (…length)`,
 *   `!…length`, `a && …length` in a condition);
 * - the callback is pure (see `filterCallback.ts`): calling it on fewer elements cannot be observed. It is
 *   assumed not to throw on the elements after the first match (`filter` would reach them, `some` does not);
 * - `xs` is an array: provably, by its declared type, or assumed when the callback is an inline function
 *   in a file that does not use jQuery (whose `filter` has no `some`);
 * - with an optional chain (`xs?.filter(p).length > 0`), `undefined` stays apart from `false`: the rewrite
 *   compares with `=== true` / `!== true`.
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { methodName, parentOf, sameNode, unparen } from "../dataflow/nodes.js"
import { arrayReceiver, hasOptionalChain, inBooleanContext, isPureCallback } from "./filterCallback.js"
import type { Finding, Template } from "./template.js"

const SOME = new Map([
  [">", "0"],
  ["!==", "0"],
  ["!=", "0"],
  [">=", "1"]
])
const NONE = new Map([
  ["===", "0"],
  ["==", "0"],
  ["<", "1"],
  ["<=", "0"]
])
/** The operator seen from the other side (`0 < n` is `n > 0`). */
const MIRROR: Readonly<Record<string, string>> = { ">": "<", "<": ">", ">=": "<=", "<=": ">=", "===": "===", "!==": "!==", "==": "==", "!=": "!=" }

/** The node to replace and whether the test is negated, for a `<filter>.length` member. */
const existenceTest = (length: SyntaxNode): { node: SyntaxNode; negated: boolean } | null => {
  const parent = parentOf(length)
  if (parent?.type === "binary_expression") {
    const op = parent.childForFieldName("operator")?.type ?? ""
    const left = unparen(parent.childForFieldName("left")!)
    const right = unparen(parent.childForFieldName("right")!)
    if (op === "&&" || op === "||") return inBooleanContext(length) ? { node: length, negated: false } : null
    const onLeft = sameNode(left, length)
    const other = onLeft ? right : left
    const seen = onLeft ? op : MIRROR[op]
    if (seen === undefined || other.type !== "number") return null
    if (SOME.get(seen) === other.text) return { node: parent, negated: false }
    if (NONE.get(seen) === other.text) return { node: parent, negated: true }
    return null
  }
  if (parent?.type === "unary_expression" && parent.children[0]?.type === "!") return { node: parent, negated: true }
  return inBooleanContext(length) ? { node: length, negated: false } : null
}

const find = (file: FileInfo): Array<Finding> => {
  const out: Array<Finding> = []
  for (const call of file.methodCalls(["filter"])) {
    if (methodName(call) !== "filter") continue
    const member = parentOf(call)
    if (member?.type !== "member_expression" || member.childForFieldName("property")?.text !== "length") continue
    if (member.children.some((c) => c.type === "optional_chain")) continue
    const test = existenceTest(member)
    if (!test) continue
    const receiver = call.childForFieldName("function")!.childForFieldName("object")
    if (!receiver) continue
    const array = arrayReceiver(file, receiver, call)
    if (!array || !isPureCallback(file, call)) continue
    const optional = hasOptionalChain(call)
    const callee = call.childForFieldName("function")!
    const some = `${file.text.slice(callee.startIndex, callee.childForFieldName("property")!.startIndex)}some${file.text.slice(callee.endIndex, call.endIndex)}`
    const replacement = optional ? `(${some} ${test.negated ? "!==" : "==="} true)` : `${test.negated ? "!" : ""}${some}`
    out.push({
      node: test.node,
      rationale: `\`${test.node.text.length > 60 ? `${test.node.text.slice(0, 57)}...` : test.node.text}\` builds the array of every match only to test whether there is one; \`some\` stops at the first match and allocates nothing.`,
      benefit: 0.5,
      risk: "low",
      confidence: array === "provable" ? 0.85 : 0.7,
      edits: () => [{ start: test.node.startIndex, end: test.node.endIndex, text: replacement }]
    })
  }
  return out
}

export const filterLength: Template = {
  id: "filter-length",
  kind: "performance",
  title: "Test for a match with some() instead of filter().length",
  explanation:
    "Safety: the length is only compared with zero (or used as a boolean), the callback is pure so calling it on fewer elements cannot be observed (it is assumed not to throw on elements after the first match), and the receiver is an array (provably, by its type, or — for an inline callback outside jQuery code — assumed); an optional chain keeps `undefined` apart from `false`.",
  // a `filter(` call, and some call result's `.length`
  prefilter: (text) => text.includes("filter") && /filter\s*\(/.test(text) && /\)\s*\.\s*length\b/.test(text),
  find
}
