/**
 * `map-index`: a linear lookup repeated inside a loop over an array that does not change —
 * `xs.find((x) => x.key === v)` or `xs.indexOf(v)` — → a `Map` index built once before the loop, and
 * `index.get(v)` (`index.get(v) ?? -1` for `indexOf`).
 *
 * Safe when:
 * - `xs` is provably an array (array literal, `Array.from/of`, `Object.keys/values/entries`, TS array type)
 *   bound once in the file (a `const` or a parameter), declared before the loop, and every reference to it
 *   only reads it (never mutated, never passed on), and no code in the file assigns `.key` of anything;
 * - `xs` is not a literal of 8 or fewer elements (a `Map` cannot pay for itself there);
 * - the `find` callback is an arrow `(x) => x.key === v` (or `v === x.key`) with strict equality, `v` is an
 *   identifier or property chain that does not mention `x` and has no side effects;
 * - first-match semantics are kept (the index keeps the first element per key), and NaN keys are left out of
 *   the index (`===` never matches NaN; `Map` would) — `-0`/`+0` agree in both;
 * - `indexOf` is rewritten only when its result is used as an index (membership tests are `set-membership`'s).
 * Assumes every element is an object whose `.key` read has no side effects (the index reads it once per element).
 */
import type { SyntaxNode } from "../treeSitter.js"
import { isDeclaredSmallLiteral, isProvableArray, isReadOnlyArrayUse } from "../dataflow/arrays.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { enclosingLoop } from "../dataflow/loops.js"
import { argumentsOf, enclosingFunction, methodName, methodReceiver, parentOf, sameNode, singleParam, statementOf, unparen, within } from "../dataflow/nodes.js"
import { isShadowed, isWrite, mentions, refsTo, resolve } from "../dataflow/scopes.js"
import { wordOccurrences } from "../dataflow/text.js"
import { mayBeInLoopAt, mayBeLookupArray, receiverCallsOf } from "./gates.js"
import { derivedName, freshName, indentAt, isTs, semi } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

interface Lookup {
  readonly call: SyntaxNode
  readonly array: string
  /** The property for `find`, `null` for `indexOf`. */
  readonly key: string | null
  readonly value: SyntaxNode
  readonly loop: SyntaxNode
}

const isPlainChain = (node: SyntaxNode): boolean => {
  const n = unparen(node)
  if (n.type === "identifier") return true
  if (n.type === "member_expression") {
    return !n.children.some((c) => c.type === "optional_chain") && n.childForFieldName("property")?.type === "property_identifier" && isPlainChain(n.childForFieldName("object")!)
  }
  return false
}

const findLookup = (file: FileInfo, call: SyntaxNode, receiver: SyntaxNode): { key: string; value: SyntaxNode } | null => {
  const args = argumentsOf(call)
  if (args.length !== 1) return null
  const callback = args[0]!
  const param = singleParam(callback)
  if (!param) return null
  let body = callback.childForFieldName("body")!
  if (body.type === "statement_block") {
    const statements = body.namedChildren.filter((c) => c.type !== "comment")
    if (statements.length !== 1 || statements[0]!.type !== "return_statement") return null
    const returned = statements[0]!.namedChildren[0]
    if (!returned) return null
    body = returned
  }
  const test = unparen(body)
  if (test.type !== "binary_expression" || test.childForFieldName("operator")?.type !== "===") return null
  const sides = [unparen(test.childForFieldName("left")!), unparen(test.childForFieldName("right")!)]
  for (const [member, value] of [sides, [sides[1]!, sides[0]!]] as const) {
    if (member.type !== "member_expression" || member.children.some((c) => c.type === "optional_chain")) continue
    const object = unparen(member.childForFieldName("object")!)
    const property = member.childForFieldName("property")
    if (object.type !== "identifier" || object.text !== param.text || property?.type !== "property_identifier") continue
    if (!isPlainChain(value) || mentions(file, value, param.text) || mentions(file, value, receiver.text)) continue
    return { key: property.text, value }
  }
  return null
}

/** `xs.indexOf(v)` whose result is not just compared with -1/0. */
const indexOfLookup = (call: SyntaxNode): SyntaxNode | null => {
  const args = argumentsOf(call)
  if (args.length !== 1 || !isPlainChain(args[0]!)) return null
  const parent = parentOf(call)
  if (parent?.type === "binary_expression" && /^[<>=!]=?=?$/.test(parent.childForFieldName("operator")?.type ?? "")) {
    const other = parent.namedChildren.find((c) => !sameNode(unparen(c), call))
    if (other && /^(?:-\s*1|0)$/.test(unparen(other).text)) return null
  }
  return args[0]!
}

const find = (file: FileInfo): Array<Finding> => {
  if (isShadowed(file, "Map")) return []
  const groups = new Map<string, Array<Lookup>>()
  for (const call of file.methodCalls(["find", "indexOf"])) {
    const name = methodName(call)
    if (name !== "find" && name !== "indexOf") continue
    const receiver = methodReceiver(call)
    if (receiver?.type !== "identifier") continue
    const loop = enclosingLoop(call)
    if (!loop) continue
    let lookup: { key: string | null; value: SyntaxNode } | null = null
    if (name === "find") lookup = findLookup(file, call, receiver)
    else {
      const value = indexOfLookup(call)
      lookup = value ? { key: null, value } : null
    }
    if (!lookup) continue
    const group = `${receiver.text}\0${lookup.key ?? ""}\0${loop.startIndex}`
    const list = groups.get(group) ?? []
    list.push({ call, array: receiver.text, key: lookup.key, value: lookup.value, loop })
    groups.set(group, list)
  }
  const out: Array<Finding> = []
  for (const lookups of groups.values()) {
    const { array, key, loop } = lookups[0]!
    const receiver = lookups[0]!.call.childForFieldName("function")!.childForFieldName("object")!
    const binding = resolve(file, receiver)
    if (!binding || !isProvableArray(file, receiver)) continue
    // a small literal never pays for a Map (the text gate skips such declarations too)
    if (isDeclaredSmallLiteral(binding)) continue
    if (!refsTo(file, binding).every(isReadOnlyArrayUse)) continue
    // The index goes right before the statement holding the outermost loop of this lookup, in the array's scope.
    let outer = loop
    for (let l = enclosingLoop(outer); l && sameNode(enclosingFunction(l), enclosingFunction(loop)); l = enclosingLoop(l)) outer = l
    const statement = statementOf(outer)
    if (!statement || binding.endIndex > statement.startIndex) continue
    const scope = binding.parent?.type === "variable_declarator" ? binding.parent.parent?.parent : enclosingFunction(binding)
    if (!scope || !within(statement, scope)) continue
    if (binding.parent?.type === "variable_declarator" && binding.parent.parent?.parent?.type !== "statement_block" && binding.parent.parent?.parent?.type !== "program") continue
    if (key !== null) {
      const keyWrites = wordOccurrences(file.text, key).some((i) => {
        const property = file.nodeAt(i, i + key.length)
        const member = property.parent
        return property.type === "property_identifier" && member !== null && member.type === "member_expression" && isWrite(member)
      })
      if (keyWrites) continue
    }
    const first = lookups[0]!
    out.push({
      node: first.call,
      rationale: `\`${first.call.text.length > 60 ? `${first.call.text.slice(0, 57)}...` : first.call.text}\` scans \`${array}\` on every iteration of the loop at line ${loop.startPosition.row + 1}; \`${array}\` never changes, so a Map built once turns each lookup into a hash probe.`,
      benefit: 0.7,
      risk: "medium",
      confidence: 0.65,
      edits: () => {
        const index = freshName(file, key === null ? derivedName(array, "Index") : `${array}By${key[0]!.toUpperCase()}${key.slice(1)}`)
        const item = freshName(file, "item", [index])
        const k = freshName(file, "key", [index, item])
        const indent = indentAt(file.text, statement.startIndex)
        const s = semi(file)
        const ts = isTs(file)
        const build =
          key === null
            ? `const ${index} = new Map${ts ? "<unknown, number>" : ""}()${s}\n${indent}${array}.forEach((${item}, i) => {\n${indent}  if (${item} === ${item} && !${index}.has(${item})) ${index}.set(${item}, i)${s}\n${indent}})${s}\n${indent}`
            : `const ${index} = new Map${ts ? `<unknown, (typeof ${array})[number]>` : ""}()${s}\n${indent}for (const ${item} of ${array}) {\n${indent}  const ${k} = ${item}.${key}${s}\n${indent}  if (${k} === ${k} && !${index}.has(${k})) ${index}.set(${k}, ${item})${s}\n${indent}}\n${indent}`
        return [
          { start: statement.startIndex, end: statement.startIndex, text: build },
          ...lookups.map((l) => {
            const plain = unparen(l.value).type === "identifier"
            const get = `${index}.get(${l.value.text})`
            const text =
              key === null
                ? `(${plain ? get : `${array}.length === 0 ? undefined : ${get}`} ?? -1)`
                : plain
                  ? get
                  : `(${array}.length === 0 ? undefined : ${get})`
            return { start: l.call.startIndex, end: l.call.endIndex, text }
          })
        ]
      }
    })
  }
  return out
}

export const mapIndex: Template = {
  id: "map-index",
  kind: "performance",
  title: "Index an array in a Map instead of searching it in a loop",
  explanation:
    "Safety: the array is provably an array, never mutated or passed on, and no code assigns the looked-up property; lookups use strict equality on a side-effect-free key, the index keeps the first element per key and omits NaN keys, so results match `find`/`indexOf` exactly (assuming elements are objects whose property reads have no side effects).",
  // a call on a bare name that may be provably an array (initialised, or annotated with an array type), in a loop region
  prefilter: (text) => receiverCallsOf(text, ["find", "indexOf"]).some((call) => mayBeLookupArray(text, call.name) && mayBeInLoopAt(text, call.at)),
  find
}
