/**
 * `memoize`: a provably pure module-level function of one primitive argument that is expensive
 * (recursive with two or more self-calls, or looping) → results cached in a module-level `Map`.
 *
 * Safe when (TypeScript only — the argument and result types must be known):
 * - it is a plain (non-async, non-generator) `function` declaration at module level with exactly one
 *   parameter annotated `number`, `string`, `boolean` or `bigint` (no default, no rest);
 * - its result is primitive: a return annotation of one of those types, so a cached value cannot be mutated
 *   by a caller;
 * - its body is pure: it references only its parameter, its own locals, itself, and the pure built-ins
 *   `Math.*` (not `Math.random`), `Number.*`, `String`, `Number`, `Boolean`, `parseInt`, `parseFloat`,
 *   `isNaN`, `isFinite`, `Infinity`, `NaN`, `undefined` (none shadowed); it assigns only its own locals; it
 *   has no `this`, `arguments`, `await`, `yield`, `new`, nested functions or classes; it calls only itself,
 *   those built-ins, or methods of its parameter/locals (which hold primitives or objects it created);
 * - its own name is never reassigned;
 * - it is worth caching: it calls itself at least twice per call, or (for a `number` argument only) its loops
 *   grow with the argument's value — nested loops, or a loop bounded by the never-reassigned argument. A
 *   string key costs a pass over the string to hash, so a single-pass function of a string cannot gain.
 * `Map` compares keys with SameValueZero, which merges `0` and `-0`: calls with a zero `number` argument
 * bypass the cache. Exceptions are not cached (the next call recomputes), as before.
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { LOOP_TYPES } from "../dataflow/loops.js"
import { isFunction, within } from "../dataflow/nodes.js"
import { isShadowed, isWrite, refsTo, resolve } from "../dataflow/scopes.js"
import { derivedName, freshName, indentAt, isTs, moduleInsertionPoint, semi } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

const PRIMITIVES = new Set(["number", "string", "boolean", "bigint"])
const PURE_GLOBAL_CALLS = new Set(["String", "Number", "Boolean", "parseInt", "parseFloat", "isNaN", "isFinite"])
const PURE_GLOBAL_VALUES = new Set(["Infinity", "NaN", "undefined"])
const PURE_NAMESPACES = new Set(["Math", "Number"])
const IMPURE = new Set(["this", "super", "await_expression", "yield_expression", "new_expression", "class", "class_declaration", "import", "meta_property"])

const primitiveType = (annotation: SyntaxNode | null): string | null => {
  const t = annotation?.namedChildren[0]
  // tree-sitter-typescript reads `bigint` as a type name; no type can be declared with that name
  return t && (t.type === "predefined_type" || (t.type === "type_identifier" && t.text === "bigint")) && PRIMITIVES.has(t.text) ? t.text : null
}

/** Checks purity; returns the number of self-calls, or -1 when impure. */
const selfCallsIfPure = (file: FileInfo, fn: SyntaxNode, name: SyntaxNode, param: SyntaxNode): number => {
  const body = fn.childForFieldName("body")!
  let selfCalls = 0
  const stack = [...body.namedChildren]
  while (stack.length > 0) {
    const n = stack.pop()!
    if (IMPURE.has(n.type) || (isFunction(n) && n.type !== "function_declaration") || n.type === "function_declaration") return -1
    if (n.type === "identifier" && n.text === "arguments") return -1
    if (n.type === "unary_expression" && n.children[0]?.type === "delete") return -1
    if (n.type === "identifier" || n.type === "shorthand_property_identifier") {
      const binding = resolve(file, n)
      if (binding) {
        if (binding.startIndex === name.startIndex && binding.endIndex === name.endIndex) {
          // Only as a callee.
          const call = n.parent
          if (call?.type !== "call_expression" || call.childForFieldName("function")?.startIndex !== n.startIndex) return -1
          selfCalls++
        } else if (!within(binding, fn)) {
          return -1 // a free variable (module state, imports)
        } else if (isWrite(n) && !(binding.startIndex >= body.startIndex || binding.startIndex === param.startIndex)) {
          return -1
        }
      } else {
        // A global: only pure built-ins, used in a pure way.
        const parent = n.parent!
        if (PURE_GLOBAL_VALUES.has(n.text) && !isWrite(n)) {
          /* ok */
        } else if (PURE_GLOBAL_CALLS.has(n.text) && parent.type === "call_expression" && parent.childForFieldName("function")?.startIndex === n.startIndex) {
          /* ok */
        } else if (PURE_NAMESPACES.has(n.text) && parent.type === "member_expression" && parent.childForFieldName("object")?.startIndex === n.startIndex) {
          const property = parent.childForFieldName("property")?.text
          if (!property || property === "random" || isWrite(parent)) return -1
        } else return -1
      }
    }
    if (n.type === "assignment_expression" || n.type === "augmented_assignment_expression") {
      const left = n.childForFieldName("left")
      if (left?.type !== "identifier") return -1
    }
    if (n.type === "update_expression" && n.childForFieldName("argument")?.type !== "identifier") return -1
    if (n.type === "call_expression") {
      const callee = n.childForFieldName("function")!
      if (callee.type === "member_expression") {
        // Methods of the parameter / locals, or of pure namespaces (checked above through the identifier).
        let root = callee.childForFieldName("object")!
        while (root.type === "member_expression" || root.type === "subscript_expression" || root.type === "parenthesized_expression") root = root.namedChildren[0]!
        if (root.type !== "identifier") {
          if (!["string", "template_string", "array", "number"].includes(root.type)) return -1
        }
      } else if (callee.type !== "identifier") return -1
    }
    for (const c of n.namedChildren) stack.push(c)
  }
  return selfCalls
}

/**
 * Whether a non-recursive function loops enough per call for a cache lookup to pay. A `string` (or `bigint`)
 * key is hashed on every lookup, which costs as much as one pass over it, and a `boolean` has two values:
 * only `number` arguments qualify. The work must grow with the argument's value: nested loops, or a loop
 * whose condition reads the argument while the argument itself is never reassigned (`n = n / 2` makes the
 * loop logarithmic, cheaper than the bookkeeping).
 */
const loopsWorthCaching = (file: FileInfo, body: SyntaxNode, param: SyntaxNode, paramType: string): boolean => {
  if (paramType !== "number") return false
  const loops = body.descendantsOfType([...LOOP_TYPES])
  if (loops.length === 0) return false
  if (refsTo(file, param).some((r) => isWrite(r))) return false
  if (loops.some((outer) => loops.some((inner) => inner !== outer && inner.startIndex > outer.startIndex && inner.endIndex <= outer.endIndex))) return true
  return loops.some((loop) => {
    const condition = loop.childForFieldName("condition")
    return (condition?.descendantsOfType("identifier") ?? []).some((id) => id.text === param.text && resolve(file, id)?.startIndex === param.startIndex)
  })
}

const find = (file: FileInfo): Array<Finding> => {
  if (!isTs(file) || isShadowed(file, "Map")) return []
  const out: Array<Finding> = []
  for (const fn of file.nodes("function_declaration")) {
    const holder = fn.parent
    const statement = holder?.type === "export_statement" ? holder : fn
    if (statement.parent?.type !== "program") continue
    if (fn.children.some((c) => c.type === "async") || fn.childForFieldName("type_parameters")) continue
    const name = fn.childForFieldName("name")
    const params = fn.childForFieldName("parameters")
    const body = fn.childForFieldName("body")
    if (!name || !params || !body) continue
    const list = params.namedChildren.filter((c) => c.type !== "comment")
    if (list.length !== 1 || list[0]!.type !== "required_parameter") continue
    const param = list[0]!.childForFieldName("pattern")
    const paramType = primitiveType(list[0]!.childForFieldName("type"))
    if (param?.type !== "identifier" || !paramType || list[0]!.childForFieldName("value")) continue
    const returnType = primitiveType(fn.childForFieldName("return_type"))
    if (!returnType) continue
    // Never reassigned, and not referenced in ways other than calls (e.g. `fib.cache = …` would still work, but keep it simple).
    if (refsTo(file, name).some((r) => isWrite(r))) continue
    const selfCalls = selfCallsIfPure(file, fn, name, param)
    if (selfCalls < 0) continue
    if (selfCalls < 2 && !loopsWorthCaching(file, body, param, paramType)) continue
    out.push({
      node: fn,
      rationale: `\`${name.text}\` is a pure function of one ${paramType} (${selfCalls >= 2 ? `it calls itself ${selfCalls} times per call` : "it loops on every call"}); caching results by argument avoids recomputing them.`,
      benefit: selfCalls >= 2 ? 0.8 : 0.4,
      risk: "medium",
      confidence: selfCalls >= 2 ? 0.75 : 0.5,
      edits: () => {
        const cache = freshName(file, derivedName(name.text, "Cache"))
        const uncached = freshName(file, derivedName(name.text, "Uncached"), [cache])
        const s = semi(file)
        const at = moduleInsertionPoint(file)
        const p = param.text
        const firstStatement = body.namedChildren.find((c) => c.type !== "comment")
        const unit = firstStatement ? indentAt(file.text, firstStatement.startIndex) || "  " : "  "
        const lines = [
          ...(paramType === "number" ? [`${unit}if (${p} === 0) return ${uncached}(${p})${s} // Map keys merge 0 and -0`] : []),
          `${unit}let value = ${cache}.get(${p})${s}`,
          `${unit}if (value === undefined) {`,
          `${unit}${unit}value = ${uncached}(${p})${s}`,
          `${unit}${unit}${cache}.set(${p}, value)${s}`,
          `${unit}}`,
          `${unit}return value${s}`
        ]
        const wrapper = `{\n${lines.join("\n")}\n}`
        return [
          { start: at.index, end: at.index, text: `${at.prefix}const ${cache} = new Map<${paramType}, ${returnType}>()${s}${at.suffix}` },
          { start: body.startIndex, end: body.endIndex, text: wrapper },
          { start: statement.endIndex, end: statement.endIndex, text: `\n\nfunction ${uncached}${params.text}${fn.childForFieldName("return_type")!.text} ${body.text}` }
        ]
      }
    })
  }
  return out
}

export const memoize: Template = {
  id: "memoize",
  kind: "performance",
  title: "Memoize a pure function of one primitive argument",
  explanation:
    "Safety: TypeScript types prove a single primitive argument and a primitive result, and the body is pure (no free mutable variables, only pure built-ins, writes only to its own locals), so a cached result equals a recomputed one. Zero `number` arguments bypass the cache because `Map` merges 0 and -0. The cache grows with the number of distinct arguments.",
  // a TS function of one primitive-typed parameter with a primitive return type
  // a TS function of one primitive-typed parameter returning a primitive; the annotation tail first (no identifier classes)
  prefilter: (text) =>
    /:\s*[a-z]+\s*\)\s*:\s*[a-z]/.test(text) &&
    /function\s*[\p{ID_Start}$_][\p{ID_Continue}$]*\s*\(\s*[\p{ID_Start}$_][\p{ID_Continue}$]*\s*:\s*[a-z]+\s*\)\s*:\s*[a-z]+/u.test(text),
  find
}
