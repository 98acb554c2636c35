/**
 * `for-of`: two iteration idioms rewritten as `for…of`.
 *
 * 1. `Object.keys(o).forEach((k) => { … })` (also `values`/`entries`) as a statement →
 *    `for (const k of Object.keys(o)) { … }` (tech-debt: clearer, no callback). Safe when the callback is a
 *    non-async arrow function with one unannotated parameter without default; it has no `var` or function
 *    declarations of its own (scoping would change); every `return` in it is a bare `return` that is not inside a
 *    nested loop (it becomes `continue`). Arrow functions keep `this`/`arguments` of the enclosing function,
 *    so those are unchanged. `Object` must not be shadowed.
 * 2. `for (const i in xs) { … xs[i] … }` over a provable array (literal, `Array.from`, `Object.keys`, TS array
 *    type) → `for (const item of xs) { … item … }`. Safe when the only use of `i` is reading `xs[i]` (no
 *    writes through it, no other use of the index, which `for…in` gives as a string) and `xs` is not used
 *    otherwise in the body. Differs from `for…in` only for arrays carrying extra enumerable non-index
 *    properties (own or inherited), which `for…in` would also visit: a latent bug this removes.
 */
import type { SyntaxNode } from "../treeSitter.js"
import { isProvableArray } from "../dataflow/arrays.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { LOOP_TYPES } from "../dataflow/loops.js"
import { argumentsOf, isFunction, methodName, methodReceiver, sameNode, unparen, within } from "../dataflow/nodes.js"
import { bindingsOf, isShadowed, isWrite, referencesOf } from "../dataflow/scopes.js"
import { mayBeProvableArrayAt } from "./gates.js"
import { derivedName, freshName } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

const OBJECT_ITERATORS = /^Object\.(?:keys|values|entries)$/

/** Walks a callback body outside nested functions. */
const walk = (node: SyntaxNode, visit: (n: SyntaxNode, inLoop: boolean) => boolean, inLoop = false): boolean => {
  for (const child of node.namedChildren) {
    if (isFunction(child)) continue
    if (!visit(child, inLoop)) return false
    if (!walk(child, visit, inLoop || LOOP_TYPES.has(child.type))) return false
  }
  return true
}

const forEachFindings = (file: FileInfo): Array<Finding> => {
  if (isShadowed(file, "Object")) return []
  const out: Array<Finding> = []
  for (const call of file.methodCalls(["forEach"])) {
    if (methodName(call) !== "forEach") continue
    const statement = call.parent
    if (statement?.type !== "expression_statement") continue
    const receiver = methodReceiver(call)
    if (receiver?.type !== "call_expression") continue
    const iterator = receiver.childForFieldName("function")
    if (!iterator || !OBJECT_ITERATORS.test(iterator.text) || argumentsOf(receiver).length !== 1) continue
    const args = argumentsOf(call)
    if (args.length !== 1) continue
    const callback = args[0]!
    if (callback.type !== "arrow_function" || callback.children.some((c) => c.type === "async")) continue
    if (callback.childForFieldName("return_type") || callback.childForFieldName("type_parameters")) continue
    let param = callback.childForFieldName("parameter")
    if (!param) {
      const list = callback.childForFieldName("parameters")?.namedChildren.filter((c) => c.type !== "comment") ?? []
      if (list.length !== 1) continue
      const p = list[0]!
      if (p.type === "required_parameter") {
        if (p.namedChildCount !== 1) continue // annotated or defaulted
        param = p.namedChildren[0]!
      } else if (p.type === "identifier" || p.type === "array_pattern" || p.type === "object_pattern") param = p
      else continue
      if (param.type !== "identifier" && param.type !== "array_pattern" && param.type !== "object_pattern") continue
      if (param.descendantsOfType(["assignment_pattern", "object_assignment_pattern", "type_annotation"]).length > 0 && param.type !== "identifier") continue
    }
    const body = callback.childForFieldName("body")!
    const returns: Array<SyntaxNode> = []
    const ok =
      body.type !== "statement_block" ||
      walk(body, (n, inLoop) => {
        if (n.type === "variable_declaration" || n.type === "function_declaration" || n.type === "generator_function_declaration" || n.type === "class_declaration") return false
        if (n.type === "return_statement") {
          if (inLoop || n.namedChildren.some((c) => c.type !== "comment")) return false
          returns.push(n)
        }
        return true
      })
    if (!ok) continue
    if (body.type !== "statement_block" && (body.type === "object" || body.type === "sequence_expression")) continue
    const theParam = param
    // a callback that assigns its parameter gets a `let` loop variable (a `const` one would throw there)
    const names = param.type === "identifier" ? [param] : param.descendantsOfType(["identifier", "shorthand_property_identifier_pattern"])
    const keyword = names.some((n) => referencesOf(file, n.text).some((r) => within(r, body) && isWrite(r))) ? "let" : "const"
    out.push({
      node: call,
      rationale: `\`${iterator.text}(…).forEach\` with an arrow callback is a plain loop; \`for…of\` says so directly and avoids a callback per element.`,
      benefit: 0.1,
      risk: "low",
      confidence: 0.7,
      edits: () => {
        let block: string
        if (body.type === "statement_block") {
          block = body.text
          // Rewrite bare returns (innermost first is irrelevant: they do not nest).
          for (const r of [...returns].sort((a, b) => b.startIndex - a.startIndex)) {
            const from = r.startIndex - body.startIndex
            const to = r.endIndex - body.startIndex
            block = block.slice(0, from) + (r.text.endsWith(";") ? "continue;" : "continue") + block.slice(to)
          }
        } else {
          const indent = /^[ \t]*/.exec(file.text.slice(file.text.lastIndexOf("\n", statement.startIndex - 1) + 1))![0]
          block = `{\n${indent}  ${body.text}${statement.text.endsWith(";") ? ";" : ""}\n${indent}}`
        }
        return [{ start: statement.startIndex, end: statement.endIndex, text: `for (${keyword} ${theParam.text} of ${receiver.text}) ${block}` }]
      }
    })
  }
  return out
}

const FOR_IN = /\bfor\s*\(\s*(?:const|let)\s+[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*\s+in\s+\(*\s*([\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*)\s*\)*\s*\)/gu

/** Text gate for `forInFindings`: a `for (const|let i in xs)` whose `xs` may be provably an array there. */
const mayLoopInOverArray = (text: string): boolean => {
  if (!text.includes(" in ")) return false
  for (const m of text.matchAll(FOR_IN)) if (mayBeProvableArrayAt(text, m[1]!, m.index)) return true
  return false
}

const forInFindings = (file: FileInfo): Array<Finding> => {
  const out: Array<Finding> = []
  for (const loop of file.nodes("for_in_statement")) {
    if (!loop.children.some((c) => c.type === "in")) continue
    const kind = loop.childForFieldName("kind")
    const left = loop.childForFieldName("left")
    const right = loop.childForFieldName("right")
    const body = loop.childForFieldName("body")
    if (!kind || (kind.type !== "const" && kind.type !== "let") || !left || left.type !== "identifier" || !right || !body) continue
    const array = unparen(right)
    if (array.type !== "identifier" || !isProvableArray(file, array)) continue
    const index = left.text
    // `index` must not be re-bound inside the loop, and its only uses are reads `xs[index]`.
    if (bindingsOf(file, index).some((b) => within(b, body))) continue
    const reads: Array<SyntaxNode> = []
    let ok = true
    for (const ref of referencesOf(file, index)) {
      if (!within(ref, body)) continue
      const access = ref.parent
      if (
        access?.type !== "subscript_expression" ||
        !sameNode(access.childForFieldName("index"), ref) ||
        access.childForFieldName("object")?.type !== "identifier" ||
        access.childForFieldName("object")!.text !== array.text ||
        access.children.some((c) => c.type === "optional_chain") ||
        isWrite(access) ||
        (access.parent?.type === "call_expression" && sameNode(access.parent.childForFieldName("function"), access))
      ) {
        ok = false
        break
      }
      reads.push(access)
    }
    if (!ok || reads.length === 0) continue
    // The array itself is used in the body only through those reads.
    const arrayRefs = referencesOf(file, array.text).filter((r) => within(r, body))
    if (arrayRefs.length !== reads.length) continue
    out.push({
      node: loop,
      rationale: `\`for…in\` over the array \`${array.text}\` enumerates string keys (and any enumerable extras) to read \`${array.text}[${index}]\`; \`for…of\` iterates the elements directly.`,
      benefit: 0.4,
      risk: "low",
      confidence: 0.75,
      edits: () => {
        const singular = array.text.endsWith("s") && array.text.length > 1 ? array.text.slice(0, -1) : derivedName(array.text, "Item")
        const item = freshName(file, singular === array.text ? derivedName(array.text, "Item") : singular)
        return [
          { start: kind.startIndex, end: right.endIndex, text: `const ${item} of ${right.text}` },
          ...reads.map((r) => ({ start: r.startIndex, end: r.endIndex, text: item }))
        ]
      }
    })
  }
  return out
}

export const forOf: Template = {
  id: "for-of",
  kind: "tech-debt",
  title: "Use for…of instead of Object.keys().forEach / for…in over an array",
  explanation:
    "Safety: forEach callbacks are non-async arrows with one plain parameter (a `let` loop variable when the callback assigns it), no own var/function declarations and only bare returns (→ `continue`); for…in loops are rewritten only over provable arrays where the index is used solely to read the element.",
  // `Object.keys/values/entries(…).forEach(`, or a `for (… in …)` loop
  prefilter: (text) =>
    (text.includes("Object.") && text.includes("forEach") && /\bObject\.(?:keys|values|entries)\s*\(/.test(text) && /\)\s*\.\s*forEach\s*\(/.test(text)) ||
    mayLoopInOverArray(text),
  find: (file) => [...forEachFindings(file), ...forInFindings(file)]
}
