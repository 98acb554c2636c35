/**
 * `alternation-set`: `/^(?:a|b|c)$/.test(x)` — an anchored alternation of plain words — → a module-level
 * `Set` of the words and `.has(…)`: a hash lookup instead of running a regular expression.
 *
 * Safe when:
 * - the regex is a literal, or a `const` bound to one (`const EXT = /^(?:js|mjs|cjs)$/` … `EXT.test(x)`),
 *   of the form `^(…|…)$` or `^(?:…|…)$` with at least three plain-text alternatives and no flags (or only
 *   `u`): it matches exactly those strings (`$` without `m` matches only at the end), and with neither `g`
 *   nor `y` its `test` neither reads nor moves `lastIndex`;
 * - the argument is converted the way `test` converts it: `x` itself when it is provably a string (a string
 *   literal or template, a TS `string`), else `String(x)` (the same conversion, except that `String` accepts
 *   a symbol where `test` throws);
 * - the file reads no legacy `RegExp.$1`-style statics (which `test` updates); `Set` is not shadowed.
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { argumentsOf, methodName, unparen } from "../dataflow/nodes.js"
import { isShadowed } from "../dataflow/scopes.js"
import { isStringValue } from "../dataflow/types.js"
import { anchoredAlternatives, literalRegexOf, regexParts } from "./regexLiteral.js"
import { freshName, moduleInsertionPoint, semi } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

/** An anchored alternation literal tested right away, or bound to a `const` (tested elsewhere). */
const ANCHORED_TEST = /\/\^\((?:\?:)?[^()/]*\|[^()/]*\)\$\/u?\s*\.\s*test\s*\(/
const ANCHORED_CONST = /\bconst\s+[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*\s*=\s*\/\^\((?:\?:)?[^()/]*\|[^()/]*\)\$\/u?(?![\p{ID_Continue}$])/u

const constantName = (node: SyntaxNode): string => {
  const n = unparen(node)
  const base = n.type === "identifier" ? n.text : n.type === "member_expression" ? (n.childForFieldName("property")?.text ?? "values") : "values"
  const upper = base.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()
  return upper === "VALUES" || upper.endsWith("_VALUES") ? upper : `${upper}_VALUES`
}

const find = (file: FileInfo): Array<Finding> => {
  if (isShadowed(file, "Set") || /\bRegExp\s*\.\s*(?:\$[1-9_&+`']|lastMatch|leftContext|rightContext|input|lastParen)/.test(file.text)) return []
  const out: Array<Finding> = []
  for (const call of file.methodCalls(["test"])) {
    if (methodName(call) !== "test") continue
    const callee = call.childForFieldName("function")!
    if (callee.children.some((c) => c.type === "optional_chain")) continue
    const receiver = unparen(callee.childForFieldName("object")!)
    const regex = literalRegexOf(file, receiver)
    const parts = regex ? regexParts(regex) : null
    if (!parts || (parts.flags !== "" && parts.flags !== "u")) continue
    const words = anchoredAlternatives(parts.pattern)
    if (!words || words.length < 3) continue
    const args = argumentsOf(call)
    if (args.length !== 1 || args[0]!.type === "spread_element") continue
    const arg = args[0]!
    const value = isStringValue(file, arg) ? arg.text : `String(${arg.text})`
    out.push({
      node: call,
      rationale: `\`${parts.pattern.length > 40 ? `${parts.pattern.slice(0, 37)}...` : parts.pattern}\` only checks whether the whole string is one of ${words.length} words; a Set answers with one hash lookup.`,
      benefit: 0.3,
      risk: "low",
      confidence: 0.8,
      edits: () => {
        // named after the regex's own `const` when it has one, else after what is tested
        const name = freshName(file, constantName(receiver.type === "identifier" ? receiver : arg))
        const at = moduleInsertionPoint(file)
        return [
          { start: at.index, end: at.index, text: `${at.prefix}const ${name} = new Set([${words.map((w) => JSON.stringify(w)).join(", ")}])${semi(file)}${at.suffix}` },
          { start: call.startIndex, end: call.endIndex, text: `${name}.has(${value})` }
        ]
      }
    })
  }
  return out
}

export const alternationSet: Template = {
  id: "alternation-set",
  kind: "performance",
  title: "Look words up in a Set instead of testing an anchored alternation",
  explanation:
    "Safety: the regex is `^(a|b|…)$` with plain-text alternatives and no flags, so it matches exactly those strings; the argument goes through the same string conversion (`String(x)` unless it is provably a string), and the file reads no legacy `RegExp.$1` statics.",
  prefilter: (text) => ANCHORED_TEST.test(text) || (text.includes(".test") && ANCHORED_CONST.test(text)),
  find
}
