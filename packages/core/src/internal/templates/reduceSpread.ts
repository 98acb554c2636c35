/**
 * `reduce-spread`: a reducer that copies its accumulator on every step — `{ ...acc, [k]: v }` or
 * `[...acc, x]` — → the accumulator is updated in place (`acc[k] = v`, `acc.push(x)`) and returned.
 * Copying makes the reduction quadratic; updating in place keeps it linear.
 *
 * Safe when:
 * - the initial value is a fresh object or array literal (created by this `reduce` call, seen by no one else);
 * - every value the reducer returns is the accumulator itself or a literal that starts by spreading it
 *   (`{ ...acc, … }`, `[...acc, …]`), in an expression body, in `return` statements of a block body (any
 *   position), or as an arm of `cond ? literal : acc`;
 * - the accumulator never escapes before the end: inside the reducer it is only spread at those places or
 *   read (`acc[k]`, `acc.length`, `k in acc`, read-only methods) — never stored, passed on, returned any
 *   other way or mutated — so no one can see that the intermediate versions are now one object;
 * - when the literal adds several members, none of their keys or values reads the accumulator (with one
 *   member, `acc[k] = f(acc[k])` reads before it writes, like the copy did);
 * - object members are plain (`key: value`, `[key]: value`, shorthand, `...other`), with no literal
 *   `__proto__` key; array elements are values or spreads after the leading `...acc`;
 * - in TypeScript, the accumulator has a written type (an annotated parameter, `reduce<T>`, or `{} as T`),
 *   so `acc[k] = v` and `acc.push(x)` type-check as the copy did. In JavaScript an untyped `[]` seed becomes
 *   `/** @type {any[]} *\/ ([])`, so a `checkJs` type check accepts `acc.push(x)` too (the copies typed it).
 * Computed keys are assumed not to be `"__proto__"` (assigning it sets the prototype, defining it does not).
 */
import type { Edit } from "../../Patchgen.js"
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { argumentsOf, isFunction, methodName, sameNode, unparen, untyped, within } from "../dataflow/nodes.js"
import { isShadowed, isWrite, refsTo, resolve } from "../dataflow/scopes.js"
import { indentAt, indentUnit, isTs, semi, typedSeedEdits } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

const READ_METHODS = new Set(["includes", "indexOf", "lastIndexOf", "find", "findIndex", "findLast", "findLastIndex", "some", "every", "at", "hasOwnProperty", "has", "get", "join", "slice"])

/** One value the reducer returns, and how to rewrite it. */
interface Result {
  /** The expression returned (`{ ...acc, … }`, `[...acc, …]`, `acc`, or `c ? … : …`). */
  readonly expr: SyntaxNode
  /** The `return` statement holding it, or `null` for an expression body. */
  readonly statement: SyntaxNode | null
}


const members = (literal: SyntaxNode): Array<SyntaxNode> => literal.namedChildren.filter((c) => c.type !== "comment")

/** Whether `literal` is `{ ...acc, … }` / `[...acc, …]` with `acc` spread first. */
const spreadsFirst = (literal: SyntaxNode, acc: string): boolean => {
  if (literal.type !== "object" && literal.type !== "array") return false
  const first = members(literal)[0]
  return first?.type === "spread_element" && untyped(first.namedChildren[0]!).type === "identifier" && untyped(first.namedChildren[0]!).text === acc
}

const isAcc = (node: SyntaxNode, acc: string): boolean => {
  const n = untyped(node)
  return n.type === "identifier" && n.text === acc
}

/** The statements that update `acc` in place as `literal` would have in a copy, or `null` when unsupported. */
const updates = (file: FileInfo, literal: SyntaxNode, acc: string): Array<string> | null => {
  const rest = members(literal).slice(1)
  const mentionsAcc = (n: SyntaxNode) => file.identifiers(acc).some((id) => within(id, n))
  if (rest.length > 1 && rest.some(mentionsAcc)) return null
  const out: Array<string> = []
  if (literal.type === "array") {
    if (rest.length > 0) out.push(`${acc}.push(${rest.map((r) => r.text).join(", ")})`)
    return out
  }
  for (const m of rest) {
    switch (m.type) {
      case "pair": {
        const key = m.childForFieldName("key")!
        const value = m.childForFieldName("value")!
        if (key.type === "property_identifier") {
          if (key.text === "__proto__") return null
          out.push(`${acc}.${key.text} = ${value.text}`)
        } else if (key.type === "string") {
          if (key.text.slice(1, -1) === "__proto__") return null
          out.push(`${acc}[${key.text}] = ${value.text}`)
        } else if (key.type === "number") out.push(`${acc}[${key.text}] = ${value.text}`)
        else if (key.type === "computed_property_name") out.push(`${acc}[${key.namedChildren[0]!.text}] = ${value.text}`)
        else return null
        break
      }
      case "shorthand_property_identifier":
        out.push(`${acc}.${m.text} = ${m.text}`)
        break
      case "spread_element":
        out.push(`Object.assign(${acc}, ${m.namedChildren[0]!.text})`)
        break
      default:
        return null
    }
  }
  return out
}

/** The values the callback returns (expression body, or `return`s of its own block body). */
const resultsOf = (fn: SyntaxNode): Array<Result> | null => {
  const body = fn.childForFieldName("body")
  if (!body) return null
  if (body.type !== "statement_block") return [{ expr: body, statement: null }]
  const out: Array<Result> = []
  const stack = [...body.namedChildren]
  while (stack.length > 0) {
    const n = stack.pop()!
    if (isFunction(n)) continue
    if (n.type === "return_statement") {
      const value = n.namedChildren.find((c) => c.type !== "comment")
      if (!value) return null
      out.push({ expr: value, statement: n })
      continue
    }
    for (const c of n.namedChildren) stack.push(c)
  }
  return out
}

/** Whether a reference to the accumulator only reads it (or is one of the allowed spread/return places). */
const allowedRef = (ref: SyntaxNode, places: ReadonlyArray<SyntaxNode>): boolean => {
  if (places.some((p) => within(ref, p))) return true
  let n = ref
  while (n.parent && (n.parent.type === "parenthesized_expression" || n.parent.type === "non_null_expression")) n = n.parent
  const parent = n.parent
  if (!parent) return false
  if (parent.type === "member_expression" || parent.type === "subscript_expression") {
    if (!sameNode(parent.childForFieldName("object"), n)) return true
    if (isWrite(parent)) return false
    const call = parent.parent
    if (call?.type === "call_expression" && sameNode(call.childForFieldName("function"), parent)) return parent.type === "member_expression" && READ_METHODS.has(parent.childForFieldName("property")?.text ?? "")
    const up = parent.parent
    return !(up?.type === "unary_expression" && up.children[0]?.type === "delete")
  }
  if (parent.type === "binary_expression") {
    const op = parent.childForFieldName("operator")?.type
    return op === "in" ? sameNode(parent.childForFieldName("right"), n) : op !== "&&" && op !== "||" && op !== "??"
  }
  return false
}

/** Whether `call` is `_.reduce(…)` / `lodash.reduce(…)` with `_`/`lodash` imported from lodash or underscore (or the global `_`). */
const isLodash = (file: FileInfo, call: SyntaxNode): boolean => {
  const object = call.childForFieldName("function")?.childForFieldName("object")
  if (object?.type !== "identifier" || (object.text !== "_" && object.text !== "lodash")) return false
  if (argumentsOf(call).length !== 3) return false
  const binding = resolve(file, object)
  if (binding === null) return !isShadowed(file, object.text)
  return /\b(?:require\s*\(\s*|from\s*)["'](?:lodash|underscore)(?:\/[\w.]+)?["']/.test(file.text)
}

/** Whether the accumulator has a written type in TypeScript (so in-place updates type-check like the copy). */
const typedAccumulator = (call: SyntaxNode, fn: SyntaxNode, init: SyntaxNode): boolean => {
  if (call.childForFieldName("type_arguments")) return true
  const first = (fn.childForFieldName("parameters")?.namedChildren ?? []).find((c) => c.type !== "comment")
  if (first?.type === "required_parameter" && first.childForFieldName("type")) return true
  const i = unparen(init)
  return i.type === "as_expression" || i.type === "satisfies_expression"
}

const find = (file: FileInfo): Array<Finding> => {
  const out: Array<Finding> = []
  for (const call of file.methodCalls(["reduce", "reduceRight"])) {
    const name = methodName(call)
    if (name !== "reduce" && name !== "reduceRight") continue
    // `xs.reduce(fn, init)`, or lodash/underscore `_.reduce(xs, fn, init)`
    const all = argumentsOf(call)
    const args = isLodash(file, call) ? all.slice(1) : all
    if (args.length !== 2 || (all.length === 3 && args === all)) continue
    const fn = unparen(args[0]!)
    const init = untyped(args[1]!)
    if (!isFunction(fn) || fn.type === "function_declaration" || fn.children.some((c) => c.type === "async" || c.type === "*")) continue
    if (init.type !== "object" && init.type !== "array") continue
    const params = fn.childForFieldName("parameters")?.namedChildren.filter((c) => c.type !== "comment") ?? []
    const accParam = params[0]?.type === "required_parameter" ? params[0].childForFieldName("pattern") : (params[0] ?? fn.childForFieldName("parameter"))
    if (accParam?.type !== "identifier") continue
    const acc = accParam.text
    const results = resultsOf(fn)
    if (!results || results.length === 0) continue
    // every result: acc, a spread-first literal, or `c ? x : y` with such arms (one of them acc)
    const plans: Array<Plan> = []
    let ok = true
    for (const result of results) {
      const e = untyped(result.expr)
      if (isAcc(e, acc)) plans.push({ result, kind: "acc" })
      else if (spreadsFirst(e, acc)) plans.push({ result, kind: "literal", literal: e })
      else if (e.type === "ternary_expression") {
        const c = e.childForFieldName("condition")!
        const yes = untyped(e.childForFieldName("consequence")!)
        const no = untyped(e.childForFieldName("alternative")!)
        if (spreadsFirst(yes, acc) && isAcc(no, acc)) plans.push({ result, kind: "ternary", condition: c, literal: yes, negate: false })
        else if (isAcc(yes, acc) && spreadsFirst(no, acc)) plans.push({ result, kind: "ternary", condition: c, literal: no, negate: true })
        else ok = false
      } else ok = false
    }
    const literals = plans.flatMap((p) => (p.kind === "acc" ? [] : [p.literal]))
    if (!ok || literals.length === 0) continue
    if (literals.some((l) => (l.type === "object") !== (init.type === "object"))) continue
    // the accumulator never escapes
    const places = [
      ...literals.map((l) => members(l)[0]!),
      ...plans.filter((p) => p.kind === "acc").map((p) => p.result.expr),
      // the `acc` arm of `cond ? { ...acc, … } : acc`
      ...plans.flatMap((p) => (p.kind === "ternary" ? [untyped(p.result.expr).childForFieldName(p.negate ? "consequence" : "alternative")!] : []))
    ]
    if (!refsTo(file, accParam).every((ref) => within(ref, fn) && allowedRef(ref, places))) continue
    if (isTs(file) && !typedAccumulator(call, fn, args[1]!)) continue
    const statements = literals.map((l) => updates(file, l, acc))
    if (statements.some((s) => s === null)) continue
    const first = literals[0]!
    out.push({
      node: first,
      rationale: `\`${first.text.replace(/\s+/g, " ").slice(0, 50)}${first.text.length > 50 ? "..." : ""}\` copies the whole accumulator on every step of \`${name}\`, which makes it quadratic; the accumulator is fresh and never escapes, so it can be updated in place.`,
      benefit: 0.7,
      risk: "low",
      confidence: 0.8,
      // JavaScript: `[]` no longer gets its type from the copies the reducer returned (see isUntypedEmptyArray)
      edits: () => [...rewrite(file, fn, acc, plans, statements.filter((x): x is Array<string> => x !== null)), ...typedSeedEdits(file, args[1]!)]
    })
  }
  return out
}

type Plan =
  | { readonly result: Result; readonly kind: "acc" }
  | { readonly result: Result; readonly kind: "literal"; readonly literal: SyntaxNode }
  | { readonly result: Result; readonly kind: "ternary"; readonly condition: SyntaxNode; readonly literal: SyntaxNode; readonly negate: boolean }

const rewrite = (file: FileInfo, fn: SyntaxNode, acc: string, plans: ReadonlyArray<Plan>, statements: ReadonlyArray<ReadonlyArray<string>>): Array<Edit> => {
  const s = semi(file)
  const unit = indentUnit(file)
  let literalIndex = 0
  /** The lines replacing one returned value, each with its nesting depth. */
  const lines = (plan: Plan): Array<{ text: string; depth: number }> => {
    const ret = { text: `return ${acc}${s}`, depth: 0 }
    if (plan.kind === "acc") return [ret]
    const stmts = statements[literalIndex++]!.map((x) => `${x}${s}`)
    if (plan.kind === "literal") return [...stmts.map((text) => ({ text, depth: 0 })), ret]
    const condition = plan.negate ? `!(${plan.condition.text})` : plan.condition.text
    return [{ text: `if (${condition}) {`, depth: 0 }, ...stmts.map((text) => ({ text, depth: 1 })), { text: "}", depth: 0 }, ret]
  }
  const edits: Array<Edit> = []
  for (const plan of plans) {
    const statement = plan.result.statement
    if (statement === null) {
      // an expression body becomes a block
      const body = fn.childForFieldName("body")!
      const indent = indentAt(file.text, fn.startIndex)
      const text = lines(plan).map((l) => `${indent}${unit}${unit.repeat(l.depth)}${l.text}`)
      edits.push({ start: body.startIndex, end: body.endIndex, text: `{\n${text.join("\n")}\n${indent}}` })
      continue
    }
    if (plan.kind === "acc") continue
    const produced = lines(plan)
    // a statement list (a block, a `case`) takes the statements in its place
    if (statement.parent?.type === "statement_block" || statement.parent?.type === "switch_case" || statement.parent?.type === "switch_default") {
      const indent = indentAt(file.text, statement.startIndex)
      edits.push({ start: statement.startIndex, end: statement.endIndex, text: produced.map((l, i) => `${i === 0 ? "" : indent}${unit.repeat(l.depth)}${l.text}`).join("\n") })
    } else {
      // a lone statement (`if (…) return …`): a block of its own, one statement a line, which
      // also holds when the file leaves semicolons out
      const indent = indentAt(file.text, statement.startIndex)
      edits.push({ start: statement.startIndex, end: statement.endIndex, text: `{\n${produced.map((l) => `${indent}${unit}${unit.repeat(l.depth)}${l.text}`).join("\n")}\n${indent}}` })
    }
  }
  return edits
}

export const reduceSpread: Template = {
  id: "reduce-spread",
  kind: "performance",
  title: "Update the reduce accumulator in place instead of copying it each step",
  explanation:
    "Safety: the initial accumulator is a fresh literal, every returned value is the accumulator or a literal that spreads it first, and the accumulator never escapes before the end (only spread there or read), so no one can observe that the intermediate versions are now one object; several added members never read the accumulator, and in TypeScript the accumulator has a written type. Computed keys are assumed not to be `__proto__`.",
  prefilter: (text) => text.includes("reduce") && /\.\.\.\s*[\p{ID_Start}$_][\p{ID_Continue}$]*\s*[,}\]]/u.test(text),
  find
}
