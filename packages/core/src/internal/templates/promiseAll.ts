/**
 * `promise-all`: a `for…of` loop whose whole body awaits one call per item —
 * `for (const x of xs) await f(x)` or `for (const x of xs) out.push(await f(x))` — → the calls started
 * together and awaited with `Promise.all` (results pushed in the same order).
 *
 * Safe (the iterations are provably independent) when:
 * - the body is exactly that one statement, so no iteration writes a binding: the awaited call's callee and
 *   arguments contain no assignment, update, `await`, `yield`, nested call or function, and do not mention `out`;
 * - the callee is not `this.…` and, when it is a function declared in this file, that function assigns only
 *   its own locals (never outer bindings or properties), so no iteration can observe another's writes;
 * - it is a plain `for…of` (not `for await`) over any iterable (`Array.from` preserves its iteration);
 * - `Promise` and `Array` are not shadowed.
 * Calls now run concurrently: a rejection no longer prevents later items from starting.
 */
import type { SyntaxNode } from "../treeSitter.js"
import {
  argumentsOf,
  bindingsOf,
  type FileInfo,
  type Finding,
  freshName,
  isFunction,
  isProvableArray,
  isShadowed,
  mentions,
  resolve,
  methodName,
  methodReceiver,
  semi,
  type Template,
  unparen,
  within
} from "./shared.js"

const FORBIDDEN = new Set([
  "assignment_expression",
  "augmented_assignment_expression",
  "update_expression",
  "await_expression",
  "yield_expression",
  "call_expression",
  "new_expression",
  "arrow_function",
  "function_expression",
  "function",
  "class",
  "tagged_template",
  "this"
])

const containsAny = (node: SyntaxNode, types: ReadonlySet<string>): boolean => {
  if (types.has(node.type)) return true
  return node.namedChildren.some((c) => containsAny(c, types))
}

/** The root identifier of `a.b.c` / `a`, or `null`. */
const rootOf = (node: SyntaxNode): SyntaxNode | null => {
  let n = unparen(node)
  while (n.type === "member_expression") n = unparen(n.childForFieldName("object")!)
  return n.type === "identifier" ? n : null
}

/**
 * Whether calling through `name` can only write bindings local to the called code: imports, parameters
 * and values from outside calls are outside this file's bindings; a function declared here must assign
 * only its own locals and call only functions that pass this check too; objects and classes declared here
 * (whose methods could write shared state through `this`) are refused.
 */
const writesOnlyLocals = (file: FileInfo, ref: SyntaxNode, visited: Set<number> = new Set()): boolean => {
  const binding = resolve(file, ref)
  if (!binding) return bindingsOf(file, ref.text).length === 0 // a global, or ambiguous
  if (visited.has(binding.startIndex)) return true
  visited.add(binding.startIndex)
  const parent = binding.parent!
  let fn: SyntaxNode | null = null
  if (isFunction(parent)) fn = parent
  else if (parent.type === "class_declaration" || parent.type === "class") return false
  else if (parent.type === "variable_declarator") {
    const value = parent.childForFieldName("value")
    if (!value) return false
    const v = unparen(value)
    if (isFunction(v)) fn = v
    else if (v.type === "object" || v.type === "class" || v.type === "array") return false
    else if (v.type === "new_expression") {
      const ctor = v.childForFieldName("constructor")
      const ctorRoot = ctor ? rootOf(ctor) : null
      if (!ctorRoot || bindingsOf(file, ctorRoot.text).some((b) => b.parent?.type === "class_declaration" || b.parent?.type === "variable_declarator")) return false
      return true
    } else return v.type === "call_expression" || v.type === "await_expression" || v.type === "member_expression"
  } else return true // import, parameter: code outside this file's bindings
  const writes = fn.descendantsOfType(["assignment_expression", "augmented_assignment_expression", "update_expression"])
  for (const w of writes) {
    const target = w.type === "update_expression" ? w.childForFieldName("argument") : w.childForFieldName("left")
    if (target?.type !== "identifier") return false
    const local = resolve(file, target)
    if (!local || !within(local, fn)) return false
  }
  for (const inner of fn.descendantsOfType("call_expression")) {
    const innerRoot = rootOf(inner.childForFieldName("function")!)
    if (!innerRoot) return false
    const local = resolve(file, innerRoot)
    if (local && within(local, fn) && !isFunction(local.parent!) && unparen(local.parent!.childForFieldName("value") ?? local).type !== "arrow_function") continue
    if (!writesOnlyLocals(file, innerRoot, visited)) return false
  }
  return true
}

const FOR_OF_AWAIT = /\bfor\s*\(\s*(?:const|let)\b[^;]*?\bof\b[^;]*?\)\s*\{?\s*(?:await\b|[\w$]+\s*\.\s*push\s*\(\s*await\b)/

const find = (file: FileInfo): Array<Finding> => {
  if (isShadowed(file, "Promise") || isShadowed(file, "Array")) return []
  const out: Array<Finding> = []
  for (const loop of file.nodes("for_in_statement")) {
    if (!loop.children.some((c) => c.type === "of") || loop.children.some((c) => c.type === "await")) continue
    const kind = loop.childForFieldName("kind")
    const left = loop.childForFieldName("left")
    const right = loop.childForFieldName("right")
    let body = loop.childForFieldName("body")
    if (!kind || (kind.type !== "const" && kind.type !== "let") || !left || !right || !body) continue
    if (left.type !== "identifier" && left.type !== "array_pattern" && left.type !== "object_pattern") continue
    if (body.type === "statement_block") {
      const statements = body.namedChildren.filter((c) => c.type !== "comment")
      if (statements.length !== 1 || body.namedChildren.length !== 1) continue
      body = statements[0]!
    }
    if (body.type !== "expression_statement") continue
    const expression = unparen(body.namedChildren[0]!)
    let awaited: SyntaxNode
    let target: SyntaxNode | null = null
    if (expression.type === "await_expression") awaited = expression
    else if (expression.type === "call_expression" && methodName(expression) === "push") {
      const receiver = methodReceiver(expression)
      const args = argumentsOf(expression)
      if (receiver?.type !== "identifier" || args.length !== 1 || unparen(args[0]!).type !== "await_expression") continue
      target = receiver
      awaited = unparen(args[0]!)
    } else continue
    const call = unparen(awaited.namedChildren[0]!)
    if (call.type !== "call_expression") continue
    const callee = call.childForFieldName("function")!
    const args = call.childForFieldName("arguments")
    if (args?.type !== "arguments" || containsAny(callee, FORBIDDEN) || containsAny(args, FORBIDDEN)) continue
    if (target && mentions(file, call, target.text)) continue
    // A call that does not use the item (`await sleep(100)`) is a deliberate sequential delay/retry, not a fan-out.
    const itemNames = (left.type === "identifier" ? [left] : left.descendantsOfType(["identifier", "shorthand_property_identifier_pattern"])).map((n) => n.text)
    if (!itemNames.some((n) => mentions(file, args, n))) continue
    const root = rootOf(callee)
    if (!root || !writesOnlyLocals(file, root)) continue
    const theTarget = target
    const theBody = body
    out.push({
      node: loop,
      rationale: `The loop at line ${loop.startPosition.row + 1} awaits \`${call.text.length > 50 ? `${call.text.slice(0, 47)}...` : call.text}\` one item at a time, yet no iteration depends on another; starting them together and awaiting \`Promise.all\` overlaps the waits.`,
      benefit: 0.8,
      risk: "medium",
      confidence: 0.6,
      edits: () => {
        const mapped = isProvableArray(file, right) ? `${right.text}.map((${left.text}) => ${call.text})` : `Array.from(${right.text}, (${left.text}) => ${call.text})`
        const s = theBody.text.endsWith(";") ? ";" : semi(file)
        if (!theTarget) return [{ start: loop.startIndex, end: loop.endIndex, text: `await Promise.all(${mapped})${s}` }]
        const result = freshName(file, "result")
        return [{ start: loop.startIndex, end: loop.endIndex, text: `for (const ${result} of await Promise.all(${mapped})) ${theTarget.text}.push(${result})${s}` }]
      }
    })
  }
  return out
}

export const promiseAll: Template = {
  id: "promise-all",
  kind: "performance",
  title: "Await independent per-item calls together with Promise.all",
  explanation:
    "Safety: the loop body is a single awaited call (optionally pushed to a list) whose callee and arguments write nothing, call nothing else and do not read the list, and whose callee (if declared in this file) writes only its own locals — so no iteration reads a binding another writes. Note the calls now overlap and all start even if one rejects.",
  // a `for (const|let … of …)` loop whose body starts with `await` or `x.push(await`
  prefilter: (text) => text.includes("await") && FOR_OF_AWAIT.test(text),
  find
}
