/**
 * `replace-all`: `s.replace(/text/g, r)` whose pattern is plain text → `s.replaceAll("text", r)`. A string
 * pattern needs no regular-expression engine.
 *
 * Safe when:
 * - the regex literal has exactly the `g` flag and its pattern is a sequence of literal characters (escaped
 *   syntax characters such as `\.` included; no classes, quantifiers, `.`, anchors, groups or `\d`-like
 *   escapes), so it matches exactly that string, everywhere, left to right, like `replaceAll`;
 * - the replacement is kept as is: with no capture groups, `$&`, `` $` ``, `$'` and `$$` mean the same in both,
 *   and `$1`/`$<name>` stay literal in both; a replacement function gets `(match, offset, string)` in both;
 * - the pattern is not empty (an empty pattern matches between every character in both, but keep it simple);
 * - the receiver is a string (`replaceAll` exists on strings from ES2021 / Node 15; TypeScript needs
 *   `lib` ES2021 or later — the validate stage's typecheck confirms it).
 */
import type { FileInfo } from "../dataflow/fileInfo.js"
import { argumentsOf, methodName, unparen } from "../dataflow/nodes.js"
import { plainText, regexParts } from "./regexLiteral.js"
import type { Finding, Template } from "./template.js"

const find = (file: FileInfo): Array<Finding> => {
  const out: Array<Finding> = []
  for (const call of file.methodCalls(["replace"])) {
    if (methodName(call) !== "replace") continue
    const args = argumentsOf(call)
    if (args.length !== 2 || args[1]!.type === "spread_element") continue
    const parts = regexParts(unparen(args[0]!))
    if (parts?.flags !== "g") continue
    const text = plainText(parts.pattern)
    if (text === null || text.length === 0) continue
    const callee = call.childForFieldName("function")!
    const property = callee.childForFieldName("property")!
    const pattern = JSON.stringify(text)
    out.push({
      node: call,
      rationale: `\`${parts.pattern}\` is plain text: \`replaceAll(${pattern}, …)\` replaces it without running a regular expression.`,
      benefit: 0.3,
      risk: "low",
      confidence: 0.8,
      edits: () => [
        { start: property.startIndex, end: property.endIndex, text: "replaceAll" },
        { start: args[0]!.startIndex, end: args[0]!.endIndex, text: pattern }
      ]
    })
  }
  return out
}

const REPLACE_GLOBAL = /replace\s*\(\s*\/[^/\n]+\/g\s*,/g

export const replaceAll: Template = {
  id: "replace-all",
  kind: "performance",
  title: "Replace plain text with replaceAll() instead of a global regex",
  explanation:
    "Safety: the regex has only the `g` flag and its pattern is plain text, so it matches exactly that string everywhere, like `replaceAll` with the string; with no capture groups the replacement's `$` patterns and a replacement function's arguments mean the same in both. The receiver is taken to be a string (`replaceAll` is ES2021; the typecheck confirms the project's `lib`).",
  prefilter: (text) => {
    // `.replace(/plain/g,`: the regex starts at the method name (a pattern led by `\.\s*` cannot skip ahead), the dot is checked by hand
    REPLACE_GLOBAL.lastIndex = 0
    for (let m = REPLACE_GLOBAL.exec(text); m !== null; m = REPLACE_GLOBAL.exec(text)) {
      let k = m.index - 1
      while (k >= 0 && /\s/.test(text[k]!)) k--
      if (text.charCodeAt(k) === 46 /* . */) return true
      REPLACE_GLOBAL.lastIndex = m.index + 1 // every start, as the pattern with the dot would try
    }
    return false
  },
  find
}
