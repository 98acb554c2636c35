/**
 * `split-first`: `s.split(sep)[0]` → `s.split(sep, 1)[0]`. With a limit of 1, `split` stops after the
 * first piece instead of cutting the whole string into an array that is thrown away.
 *
 * Safe when:
 * - `split` gets exactly one argument, a string or regex literal (with a limit of 1 the first piece is the
 *   same for every separator, capture groups included, and `"".split(sep, 1)` is `[""]` like before);
 * - `[0]` is only read;
 * - the receiver is a string (`String#split`): assumed — an object with its own `split` would get a
 *   second argument it may not expect.
 */
import type { FileInfo } from "../dataflow/fileInfo.js"
import { argumentsOf, methodName, parentOf, sameNode, unparen } from "../dataflow/nodes.js"
import { isWrite } from "../dataflow/scopes.js"
import { isTs } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

const find = (file: FileInfo): Array<Finding> => {
  const out: Array<Finding> = []
  for (const call of file.methodCalls(["split"])) {
    if (methodName(call) !== "split") continue
    const args = argumentsOf(call)
    if (args.length !== 1) continue
    const sep = unparen(args[0]!)
    if (sep.type !== "string" && sep.type !== "regex" && !(sep.type === "template_string" && !sep.namedChildren.some((c) => c.type === "template_substitution"))) continue
    const subscript = parentOf(call)
    if (subscript?.type !== "subscript_expression" || !sameNode(unparen(subscript.childForFieldName("object")!), call)) continue
    const index = subscript.childForFieldName("index")
    if (index?.type !== "number" || index.text !== "0" || isWrite(subscript)) continue
    const outer = subscript.parent
    if (outer?.type === "call_expression" && sameNode(outer.childForFieldName("function"), subscript)) continue
    out.push({
      node: subscript,
      rationale: `\`${subscript.text.length > 60 ? `${subscript.text.slice(0, 57)}...` : subscript.text}\` cuts the whole string into pieces to keep the first; a limit of 1 stops after it.`,
      benefit: 0.3,
      risk: "low",
      confidence: isTs(file) ? 0.8 : 0.7,
      edits: () => [{ start: args[0]!.endIndex, end: args[0]!.endIndex, text: ", 1" }]
    })
  }
  return out
}

export const splitFirst: Template = {
  id: "split-first",
  kind: "performance",
  title: "Stop split() after the first piece when only [0] is used",
  explanation:
    "Safety: `split` gets one literal separator and only `[0]` of its result is read; with a limit of 1 the first piece is the same for every separator and every string. The receiver is taken to be a string.",
  prefilter: (text) => text.includes("split") && /\.\s*split\s*\([^)]*\)\s*\[\s*0\s*\]/.test(text),
  find
}
