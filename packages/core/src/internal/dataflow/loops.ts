/**
 * Loop regions — the one definition every template and the ranking use. A region is code evaluated
 * once per iteration: the body (and condition/update) of a `for`/`for…in`/`for…of`/`while`/`do` loop,
 * or a callback passed to an array iteration method (`map`, `filter`, `some`, `every`, `find`,
 * `findIndex`, `findLast`, `findLastIndex`, `forEach`, `reduce`, `reduceRight`, `flatMap`, and `sort`
 * comparators, which run O(n log n) times).
 */
import type { SyntaxNode } from "../treeSitter.js"
import { isFunction } from "./nodes.js"

/** Loop statements (`for…in` and `for…of` are both `for_in_statement`). */
export const LOOP_TYPES: ReadonlySet<string> = new Set(["for_statement", "for_in_statement", "while_statement", "do_statement"])

/** Array methods whose callback runs once per element (or per comparison): a callback passed to them is "in a loop". */
export const ITERATION_METHODS: ReadonlySet<string> = new Set(["forEach", "map", "filter", "reduce", "reduceRight", "some", "every", "find", "findIndex", "findLast", "findLastIndex", "flatMap", "sort"])

/** `true` when `fn` is a callback argument of an iteration method (`xs.map(fn)`). */
export const isIterationCallback = (fn: SyntaxNode): boolean => {
  const args = fn.parent
  if (args?.type !== "arguments") return false
  const call = args.parent
  if (call?.type !== "call_expression") return false
  const callee = call.childForFieldName("function")
  if (callee?.type !== "member_expression") return false
  const property = callee.childForFieldName("property")
  return property !== null && ITERATION_METHODS.has(property.text)
}

/**
 * The innermost loop (or iteration callback) that re-evaluates `node` on each iteration,
 * looking no further out than the enclosing function. `null` when `node` runs once per call.
 */
export const enclosingLoop = (node: SyntaxNode): SyntaxNode | null => {
  let child = node
  let parent = node.parent
  while (parent) {
    if (LOOP_TYPES.has(parent.type) && repeats(parent, child)) return parent
    if (isFunction(parent)) return isIterationCallback(parent) ? parent : null
    child = parent
    parent = parent.parent
  }
  return null
}

/** Whether `child` (a direct child of `loop`) is evaluated on every iteration. */
export const repeats = (loop: SyntaxNode, child: SyntaxNode): boolean => {
  const same = (field: string) => {
    const f = loop.childForFieldName(field)
    return f !== null && f.startIndex === child.startIndex && f.endIndex === child.endIndex
  }
  switch (loop.type) {
    case "for_statement":
      return same("body") || same("condition") || same("increment")
    case "for_in_statement":
      return same("body")
    default:
      return same("body") || same("condition")
  }
}


/**
 * How many loop regions enclose `node`, across function boundaries (a loop around the definition of a
 * callback counts too): the ranking's measure of how often code runs.
 */
export const loopDepthOf = (node: SyntaxNode): number => {
  let depth = 0
  let child = node
  for (let parent = node.parent; parent !== null; child = parent, parent = parent.parent) {
    if (LOOP_TYPES.has(parent.type) ? repeats(parent, child) : isFunction(parent) && isIterationCallback(parent)) depth++
  }
  return depth
}

/** Whether `node` is a loop region: a loop statement or an iteration callback. */
export const isLoopRegion = (node: SyntaxNode): boolean => LOOP_TYPES.has(node.type) || (isFunction(node) && isIterationCallback(node))

/**
 * The part of a loop region evaluated on every iteration: a loop's body (a `for` loop's condition and
 * update are re-evaluated too, but they are outside the body), or the callback function itself.
 */
export const repeatedPart = (region: SyntaxNode): SyntaxNode => (LOOP_TYPES.has(region.type) ? (region.childForFieldName("body") ?? region) : region)
