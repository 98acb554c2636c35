/**
 * `filter-first`: `xs.filter(p)[0]` → `xs.find(p)`. `filter` walks the whole array and allocates every
 * match to keep the first; `find` stops at the first match.
 *
 * Safe when:
 * - the callback is pure (see `filterCallback.ts`), so calling it on fewer elements cannot be observed; it is
 *   assumed not to throw on the elements after the first match;
 * - `xs` is an array (provably, by its declared type, or assumed for an inline callback outside jQuery code)
 *   without holes: `filter` skips holes, `find` visits them as `undefined`. Arrays this file may make sparse
 *   are refused (literals with holes, `Array(n)`, `map`/`slice` of those, a `length` assigned, a `delete`d
 *   element); arrays from elsewhere (parameters, imports, TS-typed) are taken as hole-free;
 * - the callback reads no property the file defines a getter for (a getter may count its calls);
 * - `[0]` is only read (not assigned, not called as a method).
 * Both give `undefined` when nothing matches, and optional chains keep their meaning.
 */
import { mayBeSparse } from "../dataflow/arrays.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { isWrite } from "../dataflow/scopes.js"
import { methodName, parentOf, sameNode, unparen } from "../dataflow/nodes.js"
import { arrayReceiver, isPureCallback } from "./filterCallback.js"
import type { Finding, Template } from "./template.js"

const find = (file: FileInfo): Array<Finding> => {
  const out: Array<Finding> = []
  for (const call of file.methodCalls(["filter"])) {
    if (methodName(call) !== "filter") continue
    const subscript = parentOf(call)
    if (subscript?.type !== "subscript_expression" || !sameNode(unparen(subscript.childForFieldName("object")!), call)) continue
    const index = subscript.childForFieldName("index")
    if (index?.type !== "number" || index.text !== "0" || subscript.children.some((c) => c.type === "optional_chain")) continue
    if (isWrite(subscript)) continue
    const outer = subscript.parent
    if (outer?.type === "call_expression" && sameNode(outer.childForFieldName("function"), subscript)) continue
    const receiver = call.childForFieldName("function")!.childForFieldName("object")
    if (!receiver) continue
    const array = arrayReceiver(file, receiver, call)
    if (!array || mayBeSparse(file, receiver) || !isPureCallback(file, call)) continue
    const callee = call.childForFieldName("function")!
    const findCall = `${file.text.slice(callee.startIndex, callee.childForFieldName("property")!.startIndex)}find${file.text.slice(callee.endIndex, call.endIndex)}`
    out.push({
      node: subscript,
      rationale: `\`${subscript.text.length > 60 ? `${subscript.text.slice(0, 57)}...` : subscript.text}\` collects every match to keep the first; \`find\` stops at the first match and allocates nothing.`,
      benefit: 0.5,
      risk: "low",
      confidence: array === "provable" ? 0.85 : 0.7,
      edits: () => [{ start: subscript.startIndex, end: subscript.endIndex, text: findCall }]
    })
  }
  return out
}

export const filterFirst: Template = {
  id: "filter-first",
  kind: "performance",
  title: "Take the first match with find() instead of filter()[0]",
  explanation:
    "Safety: the callback is pure so calling it on fewer elements cannot be observed (it is assumed not to throw after the first match), the receiver is an array taken as hole-free (provably, by its type, or — for an inline callback outside jQuery code — assumed), and `[0]` is only read; both forms give `undefined` when nothing matches.",
  // a `filter(` call, and some call result indexed with `[0]`
  prefilter: (text) => text.includes("filter") && /filter\s*\(/.test(text) && /\)\s*\[\s*0\s*\]/.test(text),
  find
}
