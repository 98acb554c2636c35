/**
 * `map-filter-fusion`: `const out = xs.filter((x) => F).map((y) => G)` (or `.map(…).filter(…)`) inside a
 * function → one `for…of` pass that pushes into `out`, without the intermediate array.
 *
 * Safe when:
 * - `xs` is provably a dense array (literal, `Array.from/of`, `Object.keys/values/entries`, TS array type), so
 *   `for…of` visits exactly the elements `filter`/`map` visit, in the same order;
 * - both callbacks are non-async arrows with one plain parameter (no index/array argument, no annotations)
 *   and an expression body with no side effects (no calls, `new`, assignments, updates, `await`, `yield`,
 *   `delete`, nested functions, tagged templates), so running them interleaved instead of in two passes
 *   cannot be observed; they do not mention `out` (which would be in its TDZ) nor names they would capture;
 * - the chain is the whole initializer of a single `const`/`let` declarator in a block (not exported), with
 *   no type arguments on the calls.
 */
import type { SyntaxNode } from "../treeSitter.js"
import { isProvableArray } from "../dataflow/arrays.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { argumentsOf, enclosingFunction, methodName, methodReceiver, singleParam, unparen } from "../dataflow/nodes.js"
import { isSideEffectFree } from "../dataflow/purity.js"
import { mentions } from "../dataflow/scopes.js"
import { freshName, indentAt, renameIn, semi } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

interface Callback {
  readonly param: string
  readonly body: SyntaxNode
}

const callbackOf = (call: SyntaxNode): Callback | null => {
  if (call.childForFieldName("type_arguments")) return null
  const args = argumentsOf(call)
  if (args.length !== 1) return null
  const param = singleParam(args[0]!)
  if (!param) return null
  const body = args[0]!.childForFieldName("body")!
  // an arrow's `this` and `super` are those of the function around it, which the loop stays in
  if (body.type === "statement_block" || !isSideEffectFree(body)) return null
  return { param: param.text, body }
}

const find = (file: FileInfo): Array<Finding> => {
  const out: Array<Finding> = []
  for (const outerCall of file.methodCalls(["map", "filter"])) {
    const second = methodName(outerCall)
    if (second !== "map" && second !== "filter") continue
    const innerCall = methodReceiver(outerCall)
    if (!innerCall || unparen(innerCall).type !== "call_expression") continue
    const inner = unparen(innerCall)
    const first = methodName(inner)
    if (!first || first === second || (first !== "map" && first !== "filter")) continue
    const receiver = methodReceiver(inner)
    if (!receiver || !isProvableArray(file, receiver)) continue
    const declarator = outerCall.parent
    if (declarator?.type !== "variable_declarator") continue
    const value = declarator.childForFieldName("value")
    if (!value || value.startIndex !== outerCall.startIndex || value.endIndex !== outerCall.endIndex) continue
    const name = declarator.childForFieldName("name")
    if (name?.type !== "identifier") continue
    const declaration = declarator.parent!
    if (declaration.type !== "lexical_declaration" || declaration.namedChildren.filter((c) => c.type === "variable_declarator").length !== 1) continue
    if (declaration.parent?.type !== "statement_block" || !enclosingFunction(declaration)) continue
    const a = callbackOf(inner)
    const b = callbackOf(outerCall)
    if (!a || !b) continue
    if (mentions(file, a.body, name.text) || mentions(file, b.body, name.text) || mentions(file, receiver, name.text)) continue
    const filterFirst = first === "filter"
    // filter(x => F).map(y => G): G is inlined with y → x, so G must not mention an outer `x`.
    if (filterFirst && a.param !== b.param && mentions(file, b.body, a.param)) continue
    // map(y => G).filter(x => F): F runs with x → v (fresh), so F must not mention an outer `y`.
    if (!filterFirst && a.param !== b.param && mentions(file, b.body, a.param)) continue
    const keyword = declaration.children[0]!.text
    const typeAnnotation = declarator.childForFieldName("type")
    // A readonly array type would reject `push`.
    if (typeAnnotation && /\breadonly\b|ReadonlyArray/.test(typeAnnotation.text)) continue
    out.push({
      node: outerCall,
      rationale: `\`.${first}(…).${second}(…)\` over \`${receiver.text}\` walks it twice and allocates an intermediate array; one loop does both steps.`,
      benefit: 0.5,
      risk: "low",
      confidence: 0.7,
      edits: () => {
        const indent = indentAt(file.text, declaration.startIndex)
        const s = semi(file)
        const inner2 = `${indent}  `
        let loop: string
        if (filterFirst) {
          const mapped = renameIn(file, b.body, b.param, a.param)
          loop = `for (const ${a.param} of ${receiver.text}) {\n${inner2}if (${a.body.text}) ${name.text}.push(${mapped})${s}\n${indent}}`
        } else {
          const v = freshName(file, "mapped")
          const test = renameIn(file, b.body, b.param, v)
          loop = `for (const ${a.param} of ${receiver.text}) {\n${inner2}const ${v} = ${a.body.text}${s}\n${inner2}if (${test}) ${name.text}.push(${v})${s}\n${indent}}`
        }
        return [
          {
            start: declaration.startIndex,
            end: declaration.endIndex,
            text: `${keyword} ${name.text}${typeAnnotation ? typeAnnotation.text : ""} = []${s}\n${indent}${loop}`
          }
        ]
      }
    })
  }
  return out
}

export const mapFilterFusion: Template = {
  id: "map-filter-fusion",
  kind: "performance",
  title: "Fuse a filter/map chain into one loop",
  explanation:
    "Safety: the source is a provably dense array and both callbacks are side-effect-free single-parameter arrows, so one interleaved `for…of` pass produces the same elements in the same order as the two passes.",
  // a `map` or `filter` called on the result of a call
  prefilter: (text) => text.includes("map") && text.includes("filter") && /\)\s*\.\s*(?:map|filter)\s*\(/.test(text),
  find
}
