/**
 * `set-membership`: `xs.includes(v)` (or `xs.indexOf(v) !== -1` and its variants) evaluated inside a
 * loop over an array that never changes → a `Set` built once next to the array, and `.has(v)`.
 *
 * Safe when:
 * - `xs` is a `const` (single binding in the file) whose value is provably an array: an array literal
 *   without holes, `Array.from/of(…)`, `Object.keys/values/entries(…)`, or a TS array type annotation;
 * - every reference to `xs` only reads it (read-only methods, `length`, element reads, `for…of`, spread),
 *   so it is never mutated nor escapes, and it is not exported;
 * - `includes` and `Set.prototype.has` both use SameValueZero, so they agree on every value (NaN, ±0);
 *   `indexOf` uses strict equality, which differs for NaN only: it is rewritten only when the array is a
 *   literal of string/number/boolean/null literals (no NaN can be in the set);
 * - the array literal has at least 5 elements (below that a linear scan is as fast) or its size is unknown.
 */
import type { SyntaxNode } from "../treeSitter.js"
import { isProvableArray, isReadOnlyArrayUse } from "../dataflow/arrays.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { enclosingLoop } from "../dataflow/loops.js"
import { argumentsOf, isDenseArrayLiteral, isPrimitiveLiteral, methodName, methodReceiver, parentOf, sameNode, unparen, within } from "../dataflow/nodes.js"
import { constDeclaratorOf, isShadowed, refsTo } from "../dataflow/scopes.js"
import { mayBeProvableArray, receiversOf } from "./gates.js"
import { derivedName, freshName, indentAt, semi } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

interface Site {
  /** The node replaced by `<set>.has(v)` or `!<set>.has(v)`. */
  readonly node: SyntaxNode
  readonly value: SyntaxNode
  readonly negated: boolean
}

const PRESENT = new Map([
  ["!==", -1],
  ["!=", -1],
  [">", -1],
  [">=", 0]
])
const ABSENT = new Map([
  ["===", -1],
  ["==", -1],
  ["<", 0]
])

const isNumber = (node: SyntaxNode, value: number): boolean => {
  const n = unparen(node)
  if (value === -1) return n.type === "unary_expression" && n.children[0]?.type === "-" && n.namedChildren[0]?.text === "1"
  return n.type === "number" && n.text === String(value)
}

/** `xs.indexOf(v) <op> k` forms equivalent to a membership test. */
const indexOfSite = (call: SyntaxNode, value: SyntaxNode): Site | null => {
  const parent = parentOf(call)
  if (parent?.type !== "binary_expression") return null
  const op = parent.childForFieldName("operator")?.type ?? ""
  const left = unparen(parent.childForFieldName("left")!)
  const right = parent.childForFieldName("right")!
  if (!sameNode(left, call)) return null
  if (PRESENT.has(op) && isNumber(right, PRESENT.get(op)!)) return { node: parent, value, negated: false }
  if (ABSENT.has(op) && isNumber(right, ABSENT.get(op)!)) return { node: parent, value, negated: true }
  return null
}

const find = (file: FileInfo): Array<Finding> => {
  if (isShadowed(file, "Set")) return []
  const groups = new Map<string, { declarator: SyntaxNode; sites: Array<Site>; loop: SyntaxNode }>()
  for (const call of file.methodCalls(["includes", "indexOf"])) {
    const name = methodName(call)
    if (name !== "includes" && name !== "indexOf") continue
    const receiver = methodReceiver(call)
    if (receiver?.type !== "identifier") continue
    const args = argumentsOf(call)
    if (args.length !== 1 || args[0]!.type === "spread_element") continue
    const loop = enclosingLoop(call)
    if (!loop) continue
    const declarator = constDeclaratorOf(file, receiver)
    if (!declarator || declarator.endIndex > loop.startIndex) continue
    const statement = declarator.parent!
    if (statement.parent?.type !== "program" && statement.parent?.type !== "statement_block") continue
    if (!within(loop, statement.parent)) continue
    const value = declarator.childForFieldName("value")
    if (!value || !isProvableArray(file, receiver)) continue
    let bare = unparen(value)
    while ((bare.type === "as_expression" || bare.type === "satisfies_expression") && bare.namedChildren[0]) bare = unparen(bare.namedChildren[0])
    const literal = isDenseArrayLiteral(bare) ? bare : null
    if (literal && literal.namedChildren.filter((c) => c.type !== "comment").length < 5) continue
    let site: Site | null = null
    if (name === "includes") site = { node: call, value: args[0]!, negated: false }
    else if (literal?.namedChildren.every((c) => c.type === "comment" || isPrimitiveLiteral(c))) site = indexOfSite(call, args[0]!)
    if (!site) continue
    const key = `${declarator.startIndex}`
    const group = groups.get(key)
    if (group) group.sites.push(site)
    else groups.set(key, { declarator, sites: [site], loop })
  }
  const out: Array<Finding> = []
  for (const { declarator, sites, loop } of groups.values()) {
    const name = declarator.childForFieldName("name")!.text
    if (!refsTo(file, declarator.childForFieldName("name")!).every(isReadOnlyArrayUse)) continue
    const statement = declarator.parent!
    const first = sites[0]!
    out.push({
      node: first.node,
      rationale: `\`${name}\` is scanned linearly by \`${first.node.text}\` on every iteration of the loop at line ${loop.startPosition.row + 1}; it never changes, so a Set built once answers in constant time.`,
      benefit: 0.7,
      risk: "low",
      confidence: 0.8,
      edits: () => {
        const setName = freshName(file, derivedName(name, "Set"))
        const indent = indentAt(file.text, statement.startIndex)
        return [
          { start: statement.endIndex, end: statement.endIndex, text: `\n${indent}const ${setName} = new Set(${name})${semi(file)}` },
          ...sites.map((s) => ({
            start: s.node.startIndex,
            end: s.node.endIndex,
            text: `${s.negated ? "!" : ""}${setName}.has(${s.value.text})`
          }))
        ]
      }
    })
  }
  return out
}

export const setMembership: Template = {
  id: "set-membership",
  kind: "performance",
  title: "Use a Set for membership tests in a loop",
  explanation:
    "Safety: the array is a never-mutated, non-escaping `const` that is provably an array; `includes` and `Set#has` both use SameValueZero, and `indexOf` comparisons are rewritten only for literal arrays of primitives (no NaN).",
  // a call on a bare name that may be bound to a provable array
  prefilter: (text) => [...receiversOf(text, ["includes", "indexOf"])].some((name) => mayBeProvableArray(text, name)),
  find
}
