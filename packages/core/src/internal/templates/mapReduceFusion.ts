/**
 * `map-reduce-fusion`: `xs.map((x) => F).reduce((acc, y) => G, init)` → `xs.reduce((acc, x) => { const y = F; return G }, init)`:
 * one pass, without the intermediate array `map` allocates only for `reduce` to read once.
 *
 * Safe when:
 * - `xs` is provably an array (literal, `Array.from/of`, `Object.keys/values/entries`, `filter`/`map`/`split`
 *   results, TS/JSDoc array types): a typed array's `map` would convert each `F` to its element type, a
 *   custom class could define `map`/`reduce` differently. Holes make no difference: `map` keeps them and
 *   `reduce` skips them, and the fused `reduce` skips the same ones;
 * - the `map` callback is a non-async arrow with one plain parameter and an expression body, the `reduce`
 *   callback a non-async arrow with exactly the parameters `(acc, y)` (no index, no array: the array would
 *   now be `xs`); both are pure (see `purity.ts`: no calls of unknown code, no writes outside their own
 *   locals, no reads of the file's getters), so running them interleaved instead of all `F`s first cannot be
 *   observed, and an exception from `F` still leaves nothing behind;
 * - `reduce` has its initial value (without one, the first mapped value would be the start), and neither
 *   call has type arguments or an optional chain;
 * - names stay bound to the same things: `F` mentions neither `acc` nor `y` (the fused callback declares
 *   them), and the `map` parameter is renamed to a fresh name when it is `acc`, `y` or mentioned by `G`
 *   (only when `F` has no nested function, where a rename could be shadowed).
 * In TypeScript the parameter annotations are kept; the fused callback's item is typed by `xs`. An untyped `[]`
 * seed was typed by the mapped values (`reduce`'s `T` overload) and is typed by nothing once fused: in TypeScript
 * the accumulator must then have an annotation; in JavaScript the seed becomes `/** @type {any[]} *\/ ([])`.
 */
import type { SyntaxNode } from "../treeSitter.js"
import { mayRunGetter } from "../dataflow/accessors.js"
import { isProvableArray } from "../dataflow/arrays.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { argumentsOf, isFunction, methodName, methodReceiver, singleParam, unparen } from "../dataflow/nodes.js"
import { isPureFunction } from "../dataflow/purity.js"
import { declaredFunction, isShadowed, mentions } from "../dataflow/scopes.js"
import { freshName, indentAt, indentUnit, isTs, isUntypedEmptyArray, renameIn, semi, typedSeedEdits } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

/** The two plain parameters `(acc, y)` of a reducer arrow (annotations allowed), else `null`. */
const reducerParams = (fn: SyntaxNode): { acc: SyntaxNode; accText: string; item: SyntaxNode } | null => {
  if (fn.type !== "arrow_function" || fn.children.some((c) => c.type === "async")) return null
  if (fn.childForFieldName("type_parameters")) return null
  const params = fn.childForFieldName("parameters")?.namedChildren.filter((c) => c.type !== "comment") ?? []
  if (params.length !== 2) return null
  const names = params.map((p) => {
    if (p.type === "identifier") return p
    if (p.type === "required_parameter" && p.childForFieldName("value") === null) {
      const pattern = p.childForFieldName("pattern")
      return pattern?.type === "identifier" ? pattern : null
    }
    return null
  })
  if (names[0] == null || names[1] == null) return null
  return { acc: names[0], accText: params[0]!.text, item: names[1] }
}

const hasNestedFunction = (node: SyntaxNode): boolean => {
  const stack = [...node.namedChildren]
  while (stack.length > 0) {
    const n = stack.pop()!
    if (isFunction(n)) return true
    stack.push(...n.namedChildren)
  }
  return false
}

const find = (file: FileInfo): Array<Finding> => {
  const out: Array<Finding> = []
  const pure = (fn: SyntaxNode) =>
    isPureFunction(
      fn,
      (name) => isShadowed(file, name),
      (property) => mayRunGetter(file, property),
      (callee) => declaredFunction(file, callee)
    )
  for (const reduceCall of file.methodCalls(["reduce"])) {
    if (methodName(reduceCall) !== "reduce" || reduceCall.childForFieldName("type_arguments")) continue
    const mapCall = methodReceiver(reduceCall)
    if (mapCall?.type !== "call_expression" || methodName(mapCall) !== "map" || mapCall.childForFieldName("type_arguments")) continue
    const receiver = methodReceiver(mapCall)
    if (!receiver || !isProvableArray(file, receiver, 0, true)) continue
    const mapArgs = argumentsOf(mapCall)
    const reduceArgs = argumentsOf(reduceCall)
    if (mapArgs.length !== 1 || reduceArgs.length !== 2 || reduceArgs.some((a) => a.type === "spread_element")) continue
    const mapper = unparen(mapArgs[0]!)
    const reducer = unparen(reduceArgs[0]!)
    const param = singleParam(mapper)
    const params = reducerParams(reducer)
    if (!param || !params) continue
    const mapBody = mapper.childForFieldName("body")
    const reduceBody = reducer.childForFieldName("body")
    if (!mapBody || !reduceBody || mapBody.type === "statement_block" || reducer.childForFieldName("return_type")) continue
    if (!pure(mapper) || !pure(reducer)) continue
    const acc = params.acc.text
    const item = params.item.text
    const x = param.text
    // `F` is evaluated where `acc` and `y` are the fused callback's own: it must not mean outer ones
    if ((acc !== x && mentions(file, mapBody, acc)) || (item !== x && mentions(file, mapBody, item))) continue
    const rename = x === acc || x === item || mentions(file, reduceBody, x)
    if (rename && hasNestedFunction(mapBody)) continue
    // an untyped `[]` seed was typed by the mapped values (reduce's `T` overload); fused, it is typed by nothing:
    // TypeScript needs a written accumulator type, JavaScript gets a JSDoc cast (see isUntypedEmptyArray)
    const seed = reduceArgs[1]!
    if (isTs(file) && isUntypedEmptyArray(seed) && params.accText === acc) continue
    const mapperParam = mapper.childForFieldName("parameters")?.namedChildren.find((c) => c.type !== "comment") ?? param
    out.push({
      node: reduceCall,
      rationale: `\`${receiver.text.length > 30 ? `${receiver.text.slice(0, 27)}...` : receiver.text}.map(…).reduce(…)\` allocates an array of every mapped value only for \`reduce\` to read it once; one \`reduce\` can map each element as it goes.`,
      benefit: 0.4,
      risk: "low",
      confidence: 0.75,
      edits: () => {
        const x2 = rename ? freshName(file, `${x}Item`, [acc, item]) : x
        const mapped = rename ? renameIn(file, mapBody, x, x2) : mapBody.text
        const itemParam = rename ? (mapperParam.type === "required_parameter" ? mapperParam.text.replace(x, x2) : x2) : mapperParam.text
        const s = semi(file)
        const oneLine = !reducer.text.includes("\n")
        let body: string
        if (reduceBody.type === "statement_block") {
          const first = reduceBody.namedChildren.find((c) => c.type !== "comment")
          const lead = oneLine || !first ? " " : `\n${indentAt(file.text, first.startIndex)}`
          body = `{${lead}const ${item} = ${mapped}${oneLine ? ";" : s}${reduceBody.text.slice(1)}`
        } else if (oneLine) {
          body = `{ const ${item} = ${mapped}; return ${reduceBody.text}${s} }`
        } else {
          const base = indentAt(file.text, reducer.startIndex)
          const inner = `${base}${indentUnit(file)}`
          body = `{\n${inner}const ${item} = ${mapped}${s}\n${inner}return ${reduceBody.text}${s}\n${base}}`
        }
        const fused = `(${params.accText}, ${itemParam}) => ${body}`
        return [
          // `xs.map(f).reduce(` → `xs.reduce(` (the layout around the dots is kept)
          { start: receiver.endIndex, end: mapCall.endIndex, text: "" },
          { start: reducer.startIndex, end: reducer.endIndex, text: fused },
          ...typedSeedEdits(file, seed)
        ]
      }
    })
  }
  return out
}

export const mapReduceFusion: Template = {
  id: "map-reduce-fusion",
  kind: "performance",
  title: "Fuse map(…).reduce(…) into one reduce",
  explanation:
    "Safety: the source is provably an array (holes are skipped either way), both callbacks are pure arrows (so interleaving them cannot be observed), the reducer takes only the accumulator and the item, `reduce` has an initial value, and every name in the fused callback still refers to what it did.",
  // a `reduce` called on the result of a call, and a `map` somewhere
  prefilter: (text) => text.includes("map") && /\)\s*\.\s*reduce\s*\(/.test(text),
  find
}
