/**
 * `json-hoist`: `JSON.stringify(X)` of a constant value, evaluated repeatedly (inside a loop or a
 * function), → computed once right after `X` is declared.
 *
 * Safe when:
 * - `X` is a `const` (single binding in the file) initialised with pure JSON-like literal data: objects with
 *   plain keys, arrays without holes or spreads, strings, numbers, booleans, `null` — no functions, getters,
 *   references to other bindings or computed keys, so nothing can change what it serialises to (a type
 *   annotation, `as const` or `satisfies T` change only its type);
 * - every other reference to `X` either passes it as the first argument of `JSON.stringify` or reads a
 *   property holding a primitive (`X.port`), so it is never mutated and never escapes;
 * - the other `stringify` arguments are literals (no replacer function), and `JSON` is not shadowed.
 * `JSON.parse` results are fresh mutable objects, so they are never hoisted.
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { enclosingLoop } from "../dataflow/loops.js"
import { argumentsOf, calleeIs, enclosingFunction, isPrimitiveLiteral, sameNode, unparen, untyped } from "../dataflow/nodes.js"
import { constDeclaratorOf, isShadowed, isWrite, refsTo } from "../dataflow/scopes.js"
import { derivedName, freshName, indentAt, semi } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

/** JSON-like literal data with no way to run code or change later. */
const isJsonLiteral = (node: SyntaxNode): boolean => {
  const n = untyped(node)
  if (isPrimitiveLiteral(n)) return true
  if (n.type === "array") {
    let previousWasComma = true
    for (const c of n.children) {
      if (c.type === "[" || c.type === "]" || c.type === "comment") continue
      if (c.type === ",") {
        if (previousWasComma) return false
        previousWasComma = true
        continue
      }
      if (!isJsonLiteral(c)) return false
      previousWasComma = false
    }
    return true
  }
  if (n.type === "object") {
    return n.namedChildren.every((c) => {
      if (c.type === "comment") return true
      if (c.type !== "pair") return false
      const key = c.childForFieldName("key")
      return key !== null && ["property_identifier", "string", "number"].includes(key.type) && key.text !== "__proto__" && key.text.slice(1, -1) !== "__proto__" && isJsonLiteral(c.childForFieldName("value")!)
    })
  }
  return false
}

/** The literal value at `X.key` (when `X` is an object literal), or `null`. */
const propertyValue = (object: SyntaxNode, key: string): SyntaxNode | null => {
  const n = untyped(object)
  if (n.type !== "object") return null
  for (const pair of n.namedChildren) {
    if (pair.type !== "pair") continue
    const k = pair.childForFieldName("key")!
    const name = k.type === "string" ? k.text.slice(1, -1) : k.text
    if (name === key) return pair.childForFieldName("value")
  }
  return null
}

/** The `JSON.stringify(X, …)` call whose first argument is `ref`, or `null`. */
const stringifyCall = (ref: SyntaxNode): SyntaxNode | null => {
  let node = ref
  while (node.parent?.type === "parenthesized_expression") node = node.parent
  const args = node.parent
  if (args?.type !== "arguments") return null
  const call = args.parent
  if (call?.type !== "call_expression" || !calleeIs(call, "JSON.stringify")) return null
  const list = argumentsOf(call)
  if (!sameNode(list[0] ?? null, node) || list.length > 3) return null
  return list.slice(1).every((a) => isPrimitiveLiteral(a) || a.text === "undefined") ? call : null
}

const STRINGIFY_NAME = /\bJSON\.stringify\s*\(\s*\(*\s*([\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*)\s*\)*\s*[,)]/gu

/** Whether some declarator (a type annotation allowed) may initialise `name` with JSON-like literal data. */
const mayInitializeJson = (text: string, name: string): boolean =>
  new RegExp(`(?<=(?:\\bconst\\s+|,\\s*))${name.replace(/\$/g, "\\$")}\\s*(?::[^=;]*)?=(?![=>])\\s*\\(*\\s*(?:[{\\["'\\d.-]|true\\b|false\\b|null\\b)`).test(text)

const find = (file: FileInfo): Array<Finding> => {
  if (isShadowed(file, "JSON")) return []
  const out: Array<Finding> = []
  const seen = new Set<string>()
  for (const call of file.methodCalls(["stringify"])) {
    if (!calleeIs(call, "JSON.stringify")) continue
    const first = argumentsOf(call)[0]
    if (!first || unparen(first).type !== "identifier") continue
    const name = unparen(first).text
    const declarator = constDeclaratorOf(file, unparen(first))
    if (!declarator) continue
    const value = declarator.childForFieldName("value")
    if (!value || !isJsonLiteral(value)) continue
    const statement = declarator.parent!
    if (statement.namedChildren.filter((c) => c.type === "variable_declarator").length !== 1) continue
    if (statement.parent?.type !== "program" && statement.parent?.type !== "statement_block") continue
    const argsText = argumentsOf(call).slice(1).map((a) => a.text).join(", ")
    const key = `${name}\0${argsText}`
    if (seen.has(key)) continue
    // All references: stringify arguments or primitive property reads.
    const sites: Array<SyntaxNode> = []
    let ok = true
    for (const ref of refsTo(file, declarator.childForFieldName("name")!)) {
      const site = stringifyCall(ref)
      if (site) {
        if (argumentsOf(site).slice(1).map((a) => a.text).join(", ") === argsText) sites.push(site)
        continue
      }
      const member = ref.parent
      const property = member?.type === "member_expression" && sameNode(member.childForFieldName("object"), ref) ? member.childForFieldName("property") : null
      const propValue = property ? propertyValue(value, property.text) : null
      if (!member || !propValue || !isPrimitiveLiteral(propValue) || isWrite(member) || (member.parent?.type === "call_expression" && sameNode(member.parent.childForFieldName("function"), member))) {
        ok = false
        break
      }
    }
    seen.add(key)
    if (!ok) continue
    const repeated = sites.filter((s) => enclosingLoop(s) !== null || enclosingFunction(s) !== null)
    if (repeated.length === 0 || repeated.some((s) => s.startIndex < statement.endIndex)) continue
    const hot = repeated.find((s) => enclosingLoop(s) !== null) ?? repeated[0]!
    out.push({
      node: hot,
      rationale: `\`${hot.text}\` serialises the same constant on every ${enclosingLoop(hot) ? "iteration" : "call"}; \`${name}\` is immutable literal data, so the string can be computed once.`,
      benefit: enclosingLoop(hot) ? 0.6 : 0.4,
      risk: "low",
      confidence: 0.85,
      edits: () => {
        const constName = freshName(file, derivedName(name, "Json"))
        const indent = indentAt(file.text, statement.startIndex)
        return [
          { start: statement.endIndex, end: statement.endIndex, text: `\n${indent}const ${constName} = JSON.stringify(${name}${argsText ? `, ${argsText}` : ""})${semi(file)}` },
          ...repeated.map((s) => ({ start: s.startIndex, end: s.endIndex, text: constName }))
        ]
      }
    })
  }
  return out
}

export const jsonHoist: Template = {
  id: "json-hoist",
  kind: "performance",
  title: "Serialise a constant once instead of on every iteration/call",
  explanation:
    "Safety: the value is a `const` of pure JSON-like literal data that is never mutated, passed on or otherwise referenced (only stringified or read for primitive properties), and stringify gets no replacer function, so its output can never change.",
  // `JSON.stringify(x …)` of a bare name that some declaration initialises
  prefilter: (text) => {
    if (!text.includes("JSON.stringify")) return false
    for (const m of text.matchAll(STRINGIFY_NAME)) if (mayInitializeJson(text, m[1]!)) return true
    return false
  },
  find
}
