/**
 * `set-membership`: a membership test on an array that does not change — `xs.includes(v)`,
 * `xs.indexOf(v) !== -1` (and its variants), `xs.some((x) => x === v)` — evaluated inside a loop region
 * (a loop body or an iteration callback such as `items.filter(…)`) → a `Set` built once, and `.has(v)`.
 *
 * Which arrays qualify (provable arrays):
 * - a `const` bound to an array literal without holes, `Array.from/of(…)`, `Object.keys/values/entries(…)`,
 *   `….map(…)`, `….filter(…)`, `….slice(…)`, `….concat(…)`, `….flat…(…)`, `….split(<literal>)`, or another such name;
 * - a parameter or variable declared as an array: a TS annotation (`T[]`, `readonly T[]`, `Array<T>`,
 *   `ReadonlyArray<T>`) or a JSDoc `@param {T[]} name` / `@type {Array<T>}` (no default value, not optional);
 * - a class field `this.xs` declared with an array type.
 *
 * Safe when:
 * - every reference to the array (in its whole scope; for a field, in the whole class) only reads it —
 *   read-only methods, `length`, element reads, `for…of`, spreading — so it is never mutated, reassigned,
 *   returned, stored or passed on, and a module-level array is not exported;
 * - nothing in the loop awaits or yields (other code could run and change a caller's array); for a
 *   parameter, nothing in the loop mutates an array that could be the same one under another name (a
 *   `push`, `splice`, element write… on anything but a local created there); for a field, nothing in the
 *   loop calls a method on `this` or a free function (which could change the field);
 * - the test does not end the loop (`return xs.includes(v)` in a loop body runs once: a Set cannot pay);
 * - `includes` and `Set#has` both use SameValueZero, so they agree on every value. `indexOf` and `===`
 *   differ from it on `NaN` only, so those forms are rewritten only when the array cannot hold `NaN`:
 *   its declared element type excludes numbers, or it is a literal of primitive literals;
 * - the array is not a literal of 8 or fewer elements (a `Set` cannot pay for itself there);
 * - `Set` is not shadowed in the file.
 * The `Set` is declared next to a `const` array (once per module or per call), or, for parameters and
 * fields, before the outermost loop region the array is invariant in. A module-level array is also
 * rewritten where a function tests it outside any loop (its Set is built once; every call gains).
 */
import type { Edit } from "../../Patchgen.js"
import type { SyntaxNode } from "../treeSitter.js"
import { arrayLiteralOf, isDeclaredSmallLiteral, isProvableArray, isReadOnlyArrayUse, literalElements } from "../dataflow/arrays.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { type HoistTarget, hoistTarget, mayChangeIn, mayMutateAlias, repeatsWithin } from "../dataflow/flow.js"
import { enclosingLoop } from "../dataflow/loops.js"
import { argumentsOf, enclosingFunction, isPrimitiveLiteral, methodName, parentOf, sameNode, unparen, within } from "../dataflow/nodes.js"
import { isShadowed, isWrite, refsTo, resolve } from "../dataflow/scopes.js"
import { wordOccurrences } from "../dataflow/text.js"
import { arrayElementType, declaredType, excludesNumbers, fieldType } from "../dataflow/types.js"
import { mayBeArrayField, mayBeLookupArray, receiversOf, thisFieldReceiversOf } from "./gates.js"
import { derivedName, freshName, hoistEdits, indentAt, semi } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

interface Site {
  /** The node replaced by `<set>.has(v)` or `!<set>.has(v)`. */
  readonly node: SyntaxNode
  readonly value: SyntaxNode
  readonly negated: boolean
  /** The loop region repeating the test; `null` for a module-level array tested once per call of a function. */
  readonly loop: SyntaxNode | null
}

/** Where the array comes from, and how its `Set` is declared. */
type Source =
  | { readonly kind: "const"; readonly declarator: SyntaxNode; readonly name: string; readonly noNaN: boolean }
  | { readonly kind: "hoisted"; readonly target: HoistTarget; readonly text: string; readonly name: string; readonly noNaN: boolean }

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
const indexOfSite = (call: SyntaxNode, value: SyntaxNode, loop: SyntaxNode | null): Site | null => {
  const parent = parentOf(call)
  if (parent?.type !== "binary_expression") return null
  const op = parent.childForFieldName("operator")?.type ?? ""
  const left = unparen(parent.childForFieldName("left")!)
  const right = parent.childForFieldName("right")!
  if (!sameNode(left, call)) return null
  if (PRESENT.has(op) && isNumber(right, PRESENT.get(op)!)) return { node: parent, value, negated: false, loop }
  if (ABSENT.has(op) && isNumber(right, ABSENT.get(op)!)) return { node: parent, value, negated: true, loop }
  return null
}

/** `xs.some((x) => x === v)` / `xs.some(x => v === x)`: the searched value `v` (which must not mention `x`). */
const someValue = (file: FileInfo, call: SyntaxNode): SyntaxNode | null => {
  const args = argumentsOf(call)
  if (args.length !== 1 || args[0]!.type !== "arrow_function") return null
  const fn = args[0]!
  if (fn.children.some((c) => c.type === "async")) return null
  const direct = fn.childForFieldName("parameter")
  const params = direct ? [direct] : (fn.childForFieldName("parameters")?.namedChildren ?? []).filter((c) => c.type !== "comment")
  if (params.length !== 1) return null
  const param = params[0]!.type === "required_parameter" ? params[0]!.childForFieldName("pattern") : params[0]!
  if (param?.type !== "identifier" || (params[0]!.type === "required_parameter" && params[0]!.namedChildCount !== 1)) return null
  const body = unparen(fn.childForFieldName("body")!)
  if (body.type !== "binary_expression" || body.childForFieldName("operator")?.type !== "===") return null
  const left = unparen(body.childForFieldName("left")!)
  const right = unparen(body.childForFieldName("right")!)
  const isParam = (n: SyntaxNode) => n.type === "identifier" && n.text === param.text
  const value = isParam(left) ? right : isParam(right) ? left : null
  if (value === null || file.identifiers(param.text).some((id) => within(id, value))) return null
  // the value must mean the same inside the callback as outside it
  if (/\bthis\b|\barguments\b/.test(value.text)) return null
  return value
}

/** The element type stated for a binding (TS or JSDoc), when it is an array type. */
const declaredElement = (binding: SyntaxNode): string | null => {
  const type = declaredType(binding)
  return type === null ? null : arrayElementType(type)
}

/** Whether a `const` initializer provably holds no `NaN`: a literal of primitive literals, or a split of a string. */
const initializerHasNoNaN = (value: SyntaxNode | null): boolean => {
  const literal = arrayLiteralOf(value)
  if (literal) return literalElements(literal).every((c) => isPrimitiveLiteral(c))
  const n = value ? unparen(value) : null
  return n?.type === "call_expression" && methodName(n) === "split" || (n?.type === "call_expression" && n.childForFieldName("function")?.text === "Object.keys")
}

/** The array a receiver refers to, when it is provable and never changes; `null` otherwise. */
const sourceOf = (file: FileInfo, receiver: SyntaxNode, call: SyntaxNode): Source | null => {
  if (receiver.type === "identifier") {
    if (!isProvableArray(file, receiver, 0, true)) return null
    const binding = resolve(file, receiver)
    if (!binding) return null
    if (!refsTo(file, binding).every(isReadOnlyArrayUse)) return null
    // a small literal never pays for a Set (the text gate skips such declarations too)
    if (isDeclaredSmallLiteral(binding)) return null
    const parent = binding.parent!
    const element = declaredElement(binding)
    const typedNoNaN = element !== null && excludesNumbers(file, element)
    if (parent.type === "variable_declarator" && sameNode(parent.childForFieldName("name"), binding)) {
      const declaration = parent.parent
      const value = parent.childForFieldName("value")
      if (declaration?.type === "lexical_declaration" && declaration.children[0]?.type === "const") {
        if (declaration.parent?.type === "export_statement") return null
        if (declaration.parent?.type !== "program" && declaration.parent?.type !== "statement_block") return null
        return { kind: "const", declarator: parent, name: binding.text, noNaN: typedNoNaN || initializerHasNoNaN(value) }
      }
    }
    // parameters (and annotated `let`s never written): a Set before the loop, per call; the caller may
    // hold the same array under another name, so nothing in the loop may mutate an array it cannot see is fresh
    const target = hoistTarget(file, call, [receiver])
    if (!target || hasSuspension(file, target) || mayMutateAlias(file, receiver, target)) return null
    return { kind: "hoisted", target, text: receiver.text, name: receiver.text, noNaN: typedNoNaN }
  }
  if (receiver.type === "member_expression" && receiver.childForFieldName("object")?.type === "this") {
    const field = receiver.childForFieldName("property")
    if (field?.type !== "property_identifier") return null
    const classBody = enclosingClassBody(receiver)
    if (!classBody) return null
    const declared = fieldType(classBody, field.text)
    const element = declared?.type ? arrayElementType(declared.type) : null
    if (!declared || element === null) return null
    // every `this.<field>` in the class only reads the array (writes in the constructor and field initializer aside)
    for (const i of wordOccurrences(file.text, field.text)) {
      if (i < classBody.startIndex || i >= classBody.endIndex) continue
      const id = file.nodeAt(i, i + field.text.length)
      const member = id.parent
      if (id.type !== "property_identifier" || member?.type !== "member_expression" || !sameNode(member.childForFieldName("property"), id)) continue
      // `other.<field>` may be another instance's field: only `this.<field>` is tracked, anything else refuses
      if (member.childForFieldName("object")?.type !== "this") return null
      if (isReadOnlyArrayUse(member)) continue
      if (isWrite(member) && inConstructor(member)) continue
      return null
    }
    const target = hoistTarget(file, call, [receiver])
    if (!target || hasSuspension(file, target) || mayChangeIn(file, receiver, target, call)) return null
    return { kind: "hoisted", target, text: receiver.text, name: field.text, noNaN: excludesNumbers(file, element) }
  }
  return null
}

const hasSuspension = (file: FileInfo, target: HoistTarget): boolean => /\b(?:await|yield)\b/.test(file.text.slice(target.region.startIndex, target.region.endIndex))

const enclosingClassBody = (node: SyntaxNode): SyntaxNode | null => {
  for (let n = node.parent; n; n = n.parent) if (n.type === "class_body") return n
  return null
}

const inConstructor = (node: SyntaxNode): boolean => {
  for (let n = node.parent; n; n = n.parent) {
    if (n.type === "method_definition") return n.childForFieldName("name")?.text === "constructor"
    if (n.type === "function_expression" || n.type === "function_declaration" || n.type === "function") return false
  }
  return false
}

interface Group {
  readonly source: Source
  readonly sites: Array<Site>
}

const find = (file: FileInfo): Array<Finding> => {
  if (isShadowed(file, "Set")) return []
  const groups = new Map<string, Group>()
  for (const call of file.methodCalls(["includes", "indexOf", "some"])) {
    const name = methodName(call)
    const callee = call.childForFieldName("function")
    if (callee?.type !== "member_expression" || callee.children.some((c) => c.type === "optional_chain")) continue
    const receiver = unparen(callee.childForFieldName("object")!)
    const loop = enclosingLoop(call)
    // outside loops only a module-level array pays: its Set is built once and every call of the function gains
    if (!loop && !enclosingFunction(call)) continue
    let value: SyntaxNode | null = null
    let kind: "includes" | "indexOf" | "some"
    if (name === "includes" || name === "indexOf") {
      const args = argumentsOf(call)
      if (args.length !== 1 || args[0]!.type === "spread_element") continue
      value = args[0]!
      kind = name
    } else if (name === "some") {
      value = someValue(file, call)
      if (value === null) continue
      kind = "some"
    } else continue
    const source = sourceOf(file, receiver, call)
    if (!source) continue
    if (!loop && (source.kind !== "const" || source.declarator.parent?.parent?.type !== "program")) continue
    // the test must run repeatedly per Set built: per loop entry for a Set built per call; a `const` of an
    // outer scope is built once for many calls
    const builtPerCall = source.kind === "hoisted" || sameNode(enclosingFunction(source.declarator), enclosingFunction(call))
    if (builtPerCall && !repeatsWithin(call, source.kind === "hoisted" ? source.target.region : null)) continue
    if (source.kind === "const" && loop && (source.declarator.endIndex > loop.startIndex || !within(loop, source.declarator.parent!.parent!))) continue
    let site: Site | null = null
    if (kind === "includes") site = { node: call, value, negated: false, loop }
    else if (!source.noNaN) continue
    else if (kind === "indexOf") site = indexOfSite(call, value, loop)
    else site = { node: call, value, negated: false, loop }
    if (!site) continue
    const key = source.kind === "const" ? `c${source.declarator.startIndex}` : `h${source.target.before.startIndex}:${source.text}`
    const group = groups.get(key)
    if (group) group.sites.push(site)
    else groups.set(key, { source, sites: [site] })
  }
  const out: Array<Finding> = []
  for (const { source, sites } of groups.values()) {
    const first = sites.find((s) => s.loop !== null) ?? sites[0]!
    const shown = first.node.text.length > 60 ? `${first.node.text.slice(0, 57)}...` : first.node.text
    const name = source.kind === "hoisted" ? source.text : source.name
    const where = first.loop === null ? `on every call of the function at line ${enclosingFunction(first.node)!.startPosition.row + 1}` : `on every iteration of the ${first.loop.type.endsWith("statement") ? "loop" : "callback"} at line ${first.loop.startPosition.row + 1}`
    out.push({
      node: first.node,
      rationale: `\`${name}\` is scanned linearly by \`${shown}\` ${where}; it never changes, so a Set built ${source.kind === "const" ? "once" : "before the loop"} answers in constant time.`,
      benefit: first.loop === null ? 0.4 : 0.7,
      risk: "low",
      confidence: source.kind === "const" ? 0.8 : 0.75,
      edits: () => edits(file, source, sites)
    })
  }
  return out
}

const MEMBERSHIP_METHODS = ["includes", "indexOf", "some"]

/** The searched value as written: the whole argument of `includes(…)`/`indexOf(…)`, comments (a JSDoc cast) included. */
const argumentText = (value: SyntaxNode): string => (value.parent?.type === "arguments" ? value.parent.text.slice(1, -1).trim() : value.text)

const edits = (file: FileInfo, source: Source, sites: ReadonlyArray<Site>): Array<Edit> => {
  const setName = freshName(file, derivedName(source.name, "Set"))
  const replacements = sites.map((s) => ({ start: s.node.startIndex, end: s.node.endIndex, text: `${s.negated ? "!" : ""}${setName}.has(${argumentText(s.value)})` }))
  if (source.kind === "hoisted") return hoistEdits(file, source.target, `const ${setName} = new Set(${source.text})`, replacements)
  const statement = source.declarator.parent!
  const indent = indentAt(file.text, statement.startIndex)
  return [{ start: statement.endIndex, end: statement.endIndex, text: `\n${indent}const ${setName} = new Set(${source.name})${semi(file)}` }, ...replacements]
}

export const setMembership: Template = {
  id: "set-membership",
  kind: "performance",
  title: "Use a Set for membership tests in a loop",
  explanation:
    "Safety: the array provably is one (a literal, an array factory, a TS or JSDoc array type) and every reference only reads it (never mutated, reassigned, returned or passed on), nothing in the loop can change it meanwhile, and `includes` and `Set#has` both use SameValueZero; `indexOf` and `some(x => x === v)` are rewritten only when the array cannot hold NaN (element type without numbers, or a literal of primitive literals).",
  // a call on a bare name that may be bound to a provable array, or on `this.x` where a field `x` may be annotated with an array type
  prefilter: (text) =>
    [...receiversOf(text, MEMBERSHIP_METHODS)].some((name) => mayBeLookupArray(text, name)) ||
    [...thisFieldReceiversOf(text, MEMBERSHIP_METHODS)].some((name) => mayBeArrayField(text, name)),
  find
}
