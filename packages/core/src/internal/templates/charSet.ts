/**
 * `char-set`: `"aeiou".includes(c)` / `"aeiou".indexOf(c) !== -1` on a single character `c` → a
 * module-level `Set` of the characters and `.has(c)`.
 *
 * Safe when:
 * - the receiver is a string literal without escapes whose characters are all in the Basic Multilingual
 *   Plane (so the `Set` built from it holds exactly its UTF-16 characters);
 * - `c` is provably one character or `undefined`: `s[i]` of a provable string, or the variable of a
 *   `for (const c of s)` over one. Then "is a substring of the literal" and "is one of its characters"
 *   agree (`undefined` is in neither); `charAt` is excluded (it gives `""`, a substring of every string);
 * - the comparison is a membership test (`!== -1`, `>= 0`, `=== -1`, `< 0`, …); `Set` is not shadowed.
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { argumentsOf, methodName, parentOf, sameNode, unparen, untyped } from "../dataflow/nodes.js"
import { isShadowed, resolve } from "../dataflow/scopes.js"
import { isStringValue } from "../dataflow/types.js"
import { freshName, moduleInsertionPoint, semi } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

const PRESENT = new Map([["!==", "-1"], ["!=", "-1"], [">", "-1"], [">=", "0"]])
const ABSENT = new Map([["===", "-1"], ["==", "-1"], ["<", "0"]])

/** Whether `node` is one character of a provable string (or `undefined` past its end). */
const isOneChar = (file: FileInfo, node: SyntaxNode): boolean => {
  const n = untyped(node)
  if (n.type === "subscript_expression") return isStringValue(file, n.childForFieldName("object")!)
  if (n.type !== "identifier") return false
  const binding = resolve(file, n)
  const loop = binding?.parent
  if (loop?.type !== "for_in_statement" || !sameNode(loop.childForFieldName("left"), binding) || !loop.children.some((c) => c.type === "of")) return false
  if (loop.childForFieldName("kind")?.type !== "const") return false
  return isStringValue(file, loop.childForFieldName("right")!)
}

const negativeOne = (node: SyntaxNode): string => {
  const n = unparen(node)
  return n.type === "unary_expression" && n.children[0]?.type === "-" ? `-${n.namedChildren[0]?.text}` : n.text
}

const find = (file: FileInfo): Array<Finding> => {
  if (isShadowed(file, "Set")) return []
  const out: Array<Finding> = []
  for (const call of file.methodCalls(["includes", "indexOf"])) {
    const method = methodName(call)
    const receiver = unparen(call.childForFieldName("function")!.childForFieldName("object")!)
    if (receiver.type !== "string" || receiver.namedChildren.some((c) => c.type === "escape_sequence")) continue
    const chars = receiver.text.slice(1, -1)
    if (chars.length < 2 || /[\ud800-\udfff]/.test(chars)) continue
    const args = argumentsOf(call)
    if (args.length !== 1 || !isOneChar(file, args[0]!)) continue
    let node: SyntaxNode = call
    let negated = false
    if (method === "indexOf") {
      const parent = parentOf(call)
      if (parent?.type !== "binary_expression" || !sameNode(unparen(parent.childForFieldName("left")!), call)) continue
      const op = parent.childForFieldName("operator")?.type ?? ""
      const other = negativeOne(parent.childForFieldName("right")!)
      if (PRESENT.get(op) === other) node = parent
      else if (ABSENT.get(op) === other) {
        node = parent
        negated = true
      } else continue
    }
    const target = node
    out.push({
      node: target,
      rationale: `\`${target.text.length > 50 ? `${target.text.slice(0, 47)}...` : target.text}\` searches a constant string for one character; a Set of its characters answers with one lookup.`,
      benefit: 0.2,
      risk: "low",
      confidence: 0.75,
      edits: () => {
        const name = freshName(file, "CHARS")
        const at = moduleInsertionPoint(file)
        return [
          { start: at.index, end: at.index, text: `${at.prefix}const ${name} = new Set(${receiver.text})${semi(file)}${at.suffix}` },
          { start: target.startIndex, end: target.endIndex, text: `${negated ? "!" : ""}${name}.has(${args[0]!.text})` }
        ]
      }
    })
  }
  return out
}

export const charSet: Template = {
  id: "char-set",
  kind: "performance",
  title: "Look a character up in a Set instead of searching a constant string",
  explanation:
    "Safety: the string literal has only Basic Multilingual Plane characters and the searched value is provably one character (or `undefined`), so being a substring of the literal and being one of its characters are the same test.",
  prefilter: (text) => /["'][^"'\n\\]{2,}["']\s*\.\s*(?:includes|indexOf)\s*\(/.test(text),
  find
}
