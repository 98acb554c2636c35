/**
 * `promise-all`: a `for…of` loop whose whole body awaits one call per item —
 * `for (const x of xs) await f(x)` or `for (const x of xs) out.push(await f(x))` — → the calls started
 * together and awaited with `Promise.all` (results pushed in the same order).
 *
 * Safe (the iterations are provably independent) when:
 * - the body is exactly that one statement, so no iteration writes a binding: the awaited call's callee and
 *   arguments contain no assignment, update, `await`, `yield`, nested call or function, and do not mention `out`;
 * - the callee is provably independent across items: a function declared in this file that assigns only its own
 *   locals, creates only plain values (`new Map()`, literals), and calls only pure globals (`Math.*`, `JSON.*`,
 *   `setTimeout`, …), methods of values it created, and other such functions; or a file-system read or timer
 *   from Node (`readFile`/`stat`/… of `node:fs/promises` or `fs.promises`, `setTimeout` of
 *   `node:timers/promises`), imported or taken with a `const … = require(…)`. Parameters, other modules' exports, object methods and `this` could share state
 *   between calls, and are refused;
 * - it is a plain `for…of` (not `for await`) over any iterable (`Array.from` preserves its iteration);
 * - `Promise` and `Array` are not shadowed.
 * Calls now run concurrently: a rejection no longer prevents later items from starting.
 */
import type { SyntaxNode } from "../treeSitter.js"
import { isProvableArray } from "../dataflow/arrays.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { argumentsOf, isFunction, methodName, methodReceiver, sameNode, unparen, within } from "../dataflow/nodes.js"
import { bindingsOf, isShadowed, mentions, resolve } from "../dataflow/scopes.js"
import { freshName, semi } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

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
 * Node APIs whose concurrent calls cannot observe one another: file-system reads and timers. Writes,
 * network calls (`fetch` may POST) and logging are left out: their order is observable.
 */
const INDEPENDENT_EXPORTS: Readonly<Record<string, ReadonlySet<string>>> = (() => {
  const fsReads = new Set(["readFile", "stat", "lstat", "access", "readdir", "realpath", "readlink"])
  const timers = new Set(["setTimeout", "setImmediate"])
  return { "node:fs/promises": fsReads, "fs/promises": fsReads, "node:timers/promises": timers, "timers/promises": timers }
})()
/** `fs.promises.<read>` through a default or namespace import of `fs`. */
const FS_MODULES = new Set(["node:fs", "fs"])
/** Globals that compute without effects (or only schedule), callable from a checked function. */
const PURE_GLOBALS = new Set(["setTimeout", "structuredClone", "parseInt", "parseFloat", "isNaN", "isFinite", "encodeURIComponent", "decodeURIComponent", "String", "Number", "Boolean", "BigInt"])
/** Global namespaces whose methods compute without effects. */
const PURE_NAMESPACES = new Set(["Math", "JSON", "Number", "String", "Array", "Promise"])
/** Constructors a checked function may call. */
const PURE_CONSTRUCTORS = new Set(["Promise", "Map", "Set", "Array", "Error", "TypeError", "RangeError", "URL", "Date"])

/**
 * The module a CommonJS `const` takes a name from — `const fs = require("m")` (the whole module, like
 * `import * as`), `const { x } = require("m")`, `const { y: x } = require("m")` — or `null`.
 */
const requireOf = (file: FileInfo, binding: SyntaxNode): { source: string; exported: string } | null => {
  let exported = "*"
  let node: SyntaxNode | null = binding.parent
  if (node?.type === "object_pattern" && binding.type === "shorthand_property_identifier_pattern") {
    exported = binding.text
    node = node.parent
  } else if (node?.type === "pair_pattern" && sameNode(node.childForFieldName("value"), binding) && node.parent?.type === "object_pattern") {
    const key = node.childForFieldName("key")
    if (key?.type !== "property_identifier") return null
    exported = key.text
    node = node.parent.parent
  } else if (!(node?.type === "variable_declarator" && sameNode(node.childForFieldName("name"), binding))) return null
  if (node?.type !== "variable_declarator" || node.parent?.children[0]?.type !== "const") return null
  const value = node.childForFieldName("value")
  const call = value ? unparen(value) : null
  if (call?.type !== "call_expression" || call.childForFieldName("function")?.text !== "require" || isShadowed(file, "require")) return null
  const args = argumentsOf(call)
  return args.length === 1 && args[0]!.type === "string" ? { source: args[0]!.text.slice(1, -1), exported } : null
}

/** The module a name was imported from (`import x`, `import { y as x }`, `import * as x`, or a `require`) and the name it exports, or `null`. */
const importOf = (file: FileInfo, binding: SyntaxNode): { source: string; exported: string } | null => {
  const required = requireOf(file, binding)
  if (required) return required
  let node: SyntaxNode | null = binding.parent
  let exported = "default"
  if (node?.type === "import_specifier") exported = node.childForFieldName("name")?.text ?? binding.text
  else if (node?.type === "namespace_import") exported = "*"
  while (node && node.type !== "import_statement") node = node.parent
  const source = node?.childForFieldName("source")
  if (!source) return null
  return { source: source.text.slice(1, -1), exported }
}

/**
 * Whether awaiting `callee` for every item at once is provably the same as one after another: a function
 * declared in this file that writes only its own locals and calls only such functions; an allow-listed
 * read or timer from Node (`readFile` from `node:fs/promises`, `fs.promises.stat`, `setTimeout` from
 * `node:timers/promises`). Anything else — a parameter, another module's export, a method of an object,
 * `this` — could share state between calls, and is refused.
 */
const isIndependentCallee = (file: FileInfo, callee: SyntaxNode, visited: Set<number> = new Set()): boolean => {
  const c = unparen(callee)
  if (c.type === "member_expression") {
    const method = c.childForFieldName("property")?.text ?? ""
    const object = unparen(c.childForFieldName("object")!)
    // fsp.readFile (namespace/default import of fs/promises), fs.promises.readFile
    const viaPromises = object.type === "member_expression" && object.childForFieldName("property")?.text === "promises"
    const root = unparen(viaPromises ? object.childForFieldName("object")! : object)
    if (root.type !== "identifier") return false
    const binding = resolve(file, root)
    const origin = binding ? importOf(file, binding) : null
    if (!origin || (origin.exported !== "*" && origin.exported !== "default")) return false
    if (viaPromises) return FS_MODULES.has(origin.source) && INDEPENDENT_EXPORTS["node:fs/promises"]!.has(method)
    return INDEPENDENT_EXPORTS[origin.source]?.has(method) ?? false
  }
  if (c.type !== "identifier") return false
  const binding = resolve(file, c)
  if (!binding) return false // a global (not allow-listed for the awaited call) or an ambiguous name
  const origin = importOf(file, binding)
  if (origin) return INDEPENDENT_EXPORTS[origin.source]?.has(origin.exported) ?? false
  return isLocalFunctionIndependent(file, binding, visited)
}

/** A `const`/`let` declared with a literal or a plain constructor (`[]`, `{}`, `"…"`, `new Map()`): a value each call makes anew. */
const isFreshValue = (binding: SyntaxNode): boolean => {
  const declarator = binding.parent
  if (declarator?.type !== "variable_declarator" || !sameNode(declarator.childForFieldName("name"), binding)) return false
  const value = declarator.childForFieldName("value")
  if (!value) return false
  const v = unparen(value)
  if (["string", "template_string", "number", "array", "object"].includes(v.type)) return true
  const ctor = v.type === "new_expression" ? v.childForFieldName("constructor") : null
  return ctor?.type === "identifier" && PURE_CONSTRUCTORS.has(ctor.text)
}

/** A function declared in this file (`function f`, `const f = () => …`) that writes only its own locals and calls only independent code. */
const isLocalFunctionIndependent = (file: FileInfo, binding: SyntaxNode, visited: Set<number>): boolean => {
  if (visited.has(binding.startIndex)) return true
  visited.add(binding.startIndex)
  const parent = binding.parent!
  let fn: SyntaxNode | null = null
  if (isFunction(parent) && sameNode(parent.childForFieldName("name"), binding)) fn = parent
  else if (parent.type === "variable_declarator" && sameNode(parent.childForFieldName("name"), binding)) {
    const declaration = parent.parent
    const value = parent.childForFieldName("value")
    if (declaration?.type !== "lexical_declaration" || declaration.children[0]?.type !== "const" || !value) return false
    const v = unparen(value)
    if (isFunction(v)) fn = v
  }
  if (!fn) return false
  const writes = fn.descendantsOfType(["assignment_expression", "augmented_assignment_expression", "update_expression"])
  for (const w of writes) {
    const target = w.type === "update_expression" ? w.childForFieldName("argument") : w.childForFieldName("left")
    if (target?.type !== "identifier") return false
    const local = resolve(file, target)
    if (!local || !within(local, fn)) return false
  }
  for (const created of fn.descendantsOfType("new_expression")) {
    const ctor = created.childForFieldName("constructor")
    if (ctor?.type !== "identifier" || !PURE_CONSTRUCTORS.has(ctor.text) || bindingsOf(file, ctor.text).length > 0) return false
  }
  for (const inner of fn.descendantsOfType("call_expression")) {
    const innerCallee = inner.childForFieldName("function")!
    const innerRoot = rootOf(innerCallee)
    if (!innerRoot) return false
    const local = resolve(file, innerRoot)
    // a method of a value this call created itself (a literal or a plain constructor): no other call sees it;
    // parameters are refused, since every item may be handed the same object
    if (local && within(local, fn) && isFreshValue(local)) continue
    if (!local && bindingsOf(file, innerRoot.text).length === 0) {
      const plain = unparen(innerCallee).type === "identifier"
      if (plain ? PURE_GLOBALS.has(innerRoot.text) : PURE_NAMESPACES.has(innerRoot.text)) continue
      return false
    }
    if (!isIndependentCallee(file, innerCallee, visited)) return false
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
    if (!isIndependentCallee(file, callee)) continue
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
    "Safety: the loop body is a single awaited call (optionally pushed to a list) whose arguments write nothing, call nothing else and do not read the list, and whose callee is provably independent across items: a function declared in this file that writes only its own locals and calls only such code, or a file-system read or timer from Node. Calls to parameters, other modules or object methods are refused, since they could share state. Note the calls now overlap and all start even if one rejects.",
  // a `for (const|let … of …)` loop whose body starts with `await` or `x.push(await`
  prefilter: (text) => text.includes("await") && FOR_OF_AWAIT.test(text),
  find
}
