/**
 * `match-test`: `s.match(re)` used only as a boolean → `re.test(s)`. `match` builds the match array (and
 * with `g`, every match) only for its truthiness; `test` answers without it.
 *
 * Safe when:
 * - the result is only tested: a condition, `!`, `!!`, `Boolean(…)`, `&&`/`||` in a condition, or compared
 *   with `null` (`=== null`, `!== null`, `== null`, `!= null`);
 * - `re` is a regex literal or an inline `new RegExp(…)` (a fresh object per evaluation, so `lastIndex`
 *   starts at 0 whatever its flags), or a `const` bound to a regex literal without `g`: `test` finds a match
 *   exactly when `match` does;
 * - the receiver is a string (`match` on `null`/`undefined` throws, `test` would test the text "null"):
 *   assumed — it is certain in TypeScript with `strictNullChecks`, hence the lower confidence in JavaScript;
 * - the legacy `RegExp.$1`-style statics are not read in the file (both calls update them, but only
 *   `match` with `g` leaves them at the last match).
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { argumentsOf, methodName, parentOf, sameNode, unparen } from "../dataflow/nodes.js"
import { isSideEffectFree } from "../dataflow/purity.js"
import { isShadowed } from "../dataflow/scopes.js"
import { literalRegexOf } from "./regexLiteral.js"
import { inBooleanContext } from "./filterCallback.js"
import { isTs } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

/** The node replaced and whether the test is negated. */
const booleanUse = (call: SyntaxNode): { node: SyntaxNode; negated: boolean } | null => {
  const parent = parentOf(call)
  if (parent?.type === "binary_expression") {
    const op = parent.childForFieldName("operator")?.type ?? ""
    const left = unparen(parent.childForFieldName("left")!)
    const right = unparen(parent.childForFieldName("right")!)
    const other = sameNode(left, call) ? right : sameNode(right, call) ? left : null
    if (other?.type === "null" && (op === "!==" || op === "!=")) return { node: parent, negated: false }
    if (other?.type === "null" && (op === "===" || op === "==")) return { node: parent, negated: true }
    if ((op === "&&" || op === "||") && inBooleanContext(call)) return { node: call, negated: false }
    return null
  }
  if (parent?.type === "arguments") {
    const outer = parent.parent
    if (outer?.type === "call_expression" && outer.childForFieldName("function")?.text === "Boolean" && argumentsOf(outer).length === 1) return { node: call, negated: false }
    return null
  }
  return inBooleanContext(call) ? { node: call, negated: false } : null
}

/**
 * A regex whose `test` finds a match exactly when `match` does: a literal or an inline `new RegExp` (fresh,
 * `lastIndex` 0), or a `const` bound to a literal without `g` (`match` and `test` then both read and update
 * `lastIndex` only under `y`, and the same way).
 */
const isFreshRegex = (file: FileInfo, node: SyntaxNode): boolean => {
  const n = unparen(node)
  if (n.type === "regex") return true
  if (n.type === "identifier") {
    const value = literalRegexOf(file, n)
    return value !== null && !(value.childForFieldName("flags")?.text ?? "").includes("g")
  }
  if (n.type !== "new_expression") return false
  const made = n.childForFieldName("constructor")
  return made?.type === "identifier" && made.text === "RegExp" && !isShadowed(file, "RegExp")
}

const find = (file: FileInfo): Array<Finding> => {
  if (/\bRegExp\s*\.\s*(?:\$[1-9_&+`']|lastMatch|leftContext|rightContext|input|lastParen)/.test(file.text)) return []
  const out: Array<Finding> = []
  for (const call of file.methodCalls(["match"])) {
    if (methodName(call) !== "match") continue
    const callee = call.childForFieldName("function")!
    if (callee.children.some((c) => c.type === "optional_chain")) continue
    const args = argumentsOf(call)
    if (args.length !== 1 || !isFreshRegex(file, args[0]!)) continue
    const use = booleanUse(call)
    if (!use) continue
    const receiver = callee.childForFieldName("object")!
    // `re.test(s)` evaluates the regex before the receiver: one of them must have no effects
    if (unparen(args[0]!).type === "new_expression" && !isSideEffectFree(receiver) && !isSideEffectFree(args[0]!)) continue
    const re = unparen(args[0]!)
    const reText = re.type === "regex" || re.type === "identifier" ? re.text : `(${re.text})`
    const test = `${reText}.test(${receiver.text})`
    const replacement = use.node === call ? test : `${use.negated ? "!" : ""}${test}`
    out.push({
      node: use.node,
      rationale: `\`${call.text.length > 50 ? `${call.text.slice(0, 47)}...` : call.text}\` is only tested for a match: \`test\` answers without building the match array.`,
      benefit: 0.3,
      risk: "low",
      confidence: isTs(file) ? 0.85 : 0.7,
      edits: () => [{ start: use.node.startIndex, end: use.node.endIndex, text: replacement }]
    })
  }
  return out
}

export const matchTest: Template = {
  id: "match-test",
  kind: "performance",
  title: "Test a regex with test() instead of match() used as a boolean",
  explanation:
    "Safety: the result of `match` is only tested for truthiness or against `null`, and the regex is a literal or an inline `new RegExp` (a fresh object, so `lastIndex` starts at 0 whatever its flags); the receiver is taken to be a string (certain under TypeScript's strict null checks), and the file reads no legacy `RegExp.$1`-style statics.",
  // `.match(` with a regex literal, an inline `new RegExp` or a name (a `const` regex)
  prefilter: (text) => text.includes("match") && /\.\s*match\s*\(\s*(?:\/|new\s+RegExp|[\p{ID_Start}$_])/u.test(text),
  find
}
