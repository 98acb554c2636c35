/**
 * Shared by `filter-length` and `filter-first`: when is the callback of `xs.filter(cb)` safe to hand to a
 * method that stops early (`some`, `find`), and when is `xs` an array that has those methods.
 *
 * A callback is safe when calling it fewer times cannot be observed: an inline function, a function
 * declared in the same file, or a well-known pure function (`Boolean`, Node's `net.isIP*`), that
 * {@link isPureFunction} finds free of side effects. The receiver must be an array: provably one (see
 * `dataflow/arrays.ts`), typed as one, or — when the callback is a function (inline, declared in the file, or
 * a known pure one) — any receiver in a file that does not use jQuery, whose `filter` has no `some`/`find`
 * (documented as an assumption).
 */
import type { SyntaxNode } from "../treeSitter.js"
import { isProvableArray } from "../dataflow/arrays.js"
import { mayRunGetter } from "../dataflow/accessors.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { argumentsOf, isFunction, sameNode, unparen } from "../dataflow/nodes.js"
import { isPureFunction } from "../dataflow/purity.js"
import { declaredFunction, isShadowed, resolve } from "../dataflow/scopes.js"
import { arrayElementType, fieldType } from "../dataflow/types.js"

const PURE_NAMED = new Set(["Boolean"])
const NODE_NET = /^(?:node:)?net$/

/** Whether the file uses jQuery (whose `filter` has no `some`/`find`). */
const usesJquery = (file: FileInfo): boolean => /\bjQuery\b|\$\s*\(|from\s+["']jquery["']|require\(\s*["']jquery["']\s*\)/.test(file.text)

/** The function a callback argument is: an inline one, or the declaration a name resolves to in this file. */
const callbackFunction = (file: FileInfo, arg: SyntaxNode): SyntaxNode | "pure" | null => {
  const a = unparen(arg)
  if (isFunction(a)) return a
  if (a.type !== "identifier") return null
  if (PURE_NAMED.has(a.text) && !isShadowed(file, a.text)) return "pure"
  const declared = declaredFunction(file, a)
  if (declared) return declared
  // `import { isIPv4 } from "node:net"`
  const parent = resolve(file, a)?.parent
  if (parent?.type === "import_specifier") {
    const source = parent.parent?.parent?.parent?.childForFieldName("source")?.text.slice(1, -1) ?? ""
    const imported = parent.childForFieldName("name")?.text ?? ""
    if (NODE_NET.test(source) && /^isIP(?:v4|v6)?$/.test(imported)) return "pure"
  }
  return null
}

/** Whether the callback (first argument of `filter`) can be called fewer times without anyone noticing. */
export const isPureCallback = (file: FileInfo, call: SyntaxNode): boolean => {
  const args = argumentsOf(call)
  if (args.length < 1 || args.length > 2 || args.some((a) => a.type === "spread_element")) return false
  const fn = callbackFunction(file, args[0]!)
  if (fn === null) return false
  if (fn === "pure") return true
  return isPureFunction(
    fn,
    (name) => isShadowed(file, name),
    (property) => mayRunGetter(file, property),
    (callee) => declaredFunction(file, callee)
  )
}

/** Whether `receiver` is an array whose `filter` can be replaced by `some`/`find`; `"typed"` when only a type or the callback's shape says so. */
export const arrayReceiver = (file: FileInfo, receiver: SyntaxNode, call: SyntaxNode): "provable" | "assumed" | null => {
  const r = unparen(receiver)
  if (isProvableArray(file, r, 0, true)) return "provable"
  if (r.type === "member_expression" && r.childForFieldName("object")?.type === "this") {
    const name = r.childForFieldName("property")?.text ?? ""
    for (let n: SyntaxNode | null = r.parent; n; n = n.parent) {
      if (n.type !== "class_body") continue
      const declared = fieldType(n, name)
      const type = declared?.type?.replace(/\s*\|\s*undefined$/, "").replace(/^\(([\s\S]*)\)$/, "$1") ?? null
      if (type !== null && arrayElementType(type) !== null) return "provable"
      break
    }
  }
  const first = argumentsOf(call)[0]
  if (first !== undefined && callbackFunction(file, first) !== null && !usesJquery(file)) return "assumed"
  return null
}

/** Whether the value of `node` is only used for its truthiness (a condition, `!x`, `x && y` in a condition, …). */
export const inBooleanContext = (node: SyntaxNode): boolean => {
  let n = node
  for (;;) {
    const parent = n.parent
    if (!parent) return false
    switch (parent.type) {
      case "parenthesized_expression":
        n = parent
        continue
      case "if_statement":
      case "while_statement":
      case "do_statement":
        return sameNode(parent.childForFieldName("condition"), n)
      case "for_statement":
        return sameNode(parent.childForFieldName("condition"), n)
      case "ternary_expression":
        return sameNode(parent.childForFieldName("condition"), n)
      case "unary_expression":
        return parent.children[0]?.type === "!"
      case "binary_expression": {
        const op = parent.childForFieldName("operator")?.type
        if (op !== "&&" && op !== "||") return false
        // `a && b` is a boolean when it is itself used as one
        n = parent
        continue
      }
      default:
        return false
    }
  }
}

/** Whether the call has an optional chain before `filter` (`xs?.filter(…)`): the rewrite must keep `undefined` apart from `false`. */
export const hasOptionalChain = (call: SyntaxNode): boolean => {
  for (let n: SyntaxNode | null = call.childForFieldName("function"); n; n = n.type === "member_expression" || n.type === "call_expression" ? (n.childForFieldName("object") ?? n.childForFieldName("function")) : null) {
    if (n.children.some((c) => c.type === "optional_chain")) return true
  }
  return false
}
