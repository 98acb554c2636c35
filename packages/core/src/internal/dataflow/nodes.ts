/**
 * Small syntax-tree predicates and accessors (no scope or flow knowledge): node identity and
 * containment, functions, statements, calls and literals.
 */
import type { SyntaxNode } from "../treeSitter.js"

export const FUNCTION_TYPES = new Set([
  "function_declaration",
  "function_expression",
  "function",
  "arrow_function",
  "method_definition",
  "generator_function_declaration",
  "generator_function",
  "class_static_block"
])

export const isFunction = (node: SyntaxNode): boolean => FUNCTION_TYPES.has(node.type)

/** The nearest enclosing function node, or `null` at module level. */
export const enclosingFunction = (node: SyntaxNode): SyntaxNode | null => {
  let parent = node.parent
  while (parent) {
    if (isFunction(parent)) return parent
    parent = parent.parent
  }
  return null
}

/** `true` when `inner` lies within `outer` (inclusive). */
export const within = (inner: { startIndex: number; endIndex: number }, outer: { startIndex: number; endIndex: number }): boolean =>
  inner.startIndex >= outer.startIndex && inner.endIndex <= outer.endIndex

export const sameNode = (a: SyntaxNode | null, b: SyntaxNode | null): boolean =>
  a !== null && b !== null && a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type

/** Strips parentheses (and TS non-null `!`/`as const`-free wrappers are kept). */
export const unparen = (node: SyntaxNode): SyntaxNode => {
  let n = node
  while (n.type === "parenthesized_expression" && n.namedChildCount === 1) n = n.namedChildren[0]!
  return n
}

/** Strips parentheses and the TypeScript wrappers that leave the value as it is: `x as T`, `x satisfies T`, `x!`. */
export const untyped = (node: SyntaxNode): SyntaxNode => {
  let n = unparen(node)
  while ((n.type === "as_expression" || n.type === "satisfies_expression" || n.type === "non_null_expression") && n.namedChildren[0]) n = unparen(n.namedChildren[0])
  return n
}

/** Parent skipping parentheses. */
export const parentOf = (node: SyntaxNode): SyntaxNode | null => {
  let p = node.parent
  while (p && p.type === "parenthesized_expression") p = p.parent
  return p
}

/** The statement (direct child of a block or the program) that contains `node`. */
export const statementOf = (node: SyntaxNode): SyntaxNode | null => {
  let n: SyntaxNode | null = node
  while (n?.parent) {
    if (n.parent.type === "statement_block" || n.parent.type === "program" || n.parent.type === "switch_case") return n
    n = n.parent
  }
  return null
}


/** Whether the expression is a literal (string without substitutions, number, boolean, null). */
export const isPrimitiveLiteral = (node: SyntaxNode): boolean => {
  const n = unparen(node)
  switch (n.type) {
    case "string":
    case "number":
    case "true":
    case "false":
    case "null":
      return true
    case "template_string":
      return !n.namedChildren.some((c) => c.type === "template_substitution")
    case "unary_expression":
      return (n.children[0]?.type === "-" || n.children[0]?.type === "+") && unparen(n.namedChildren[0]!).type === "number"
    default:
      return false
  }
}

/** An array literal without holes. */
export const isDenseArrayLiteral = (node: SyntaxNode): boolean => {
  if (node.type !== "array") return false
  let expectValue = true
  for (const child of node.children) {
    if (child.type === "[" ) continue
    if (child.type === "]") return true
    if (child.type === ",") {
      if (expectValue) return false
      expectValue = true
    } else if (child.isNamed && child.type !== "comment") {
      expectValue = false
    }
  }
  return true
}

/** The callee's property name when `call` is `<object>.<name>(…)`, else `null`. */
export const methodName = (call: SyntaxNode): string | null => {
  const callee = call.childForFieldName("function")
  if (callee?.type !== "member_expression") return null
  return callee.childForFieldName("property")?.text ?? null
}

/** The receiver of `<object>.<name>(…)`, else `null`. */
export const methodReceiver = (call: SyntaxNode): SyntaxNode | null => {
  const callee = call.childForFieldName("function")
  if (callee?.type !== "member_expression") return null
  if (callee.children.some((c) => c.type === "optional_chain")) return null
  return callee.childForFieldName("object")
}

/** The argument nodes of a call (named children of `arguments`, comments excluded). */
export const argumentsOf = (call: SyntaxNode): Array<SyntaxNode> => {
  const args = call.childForFieldName("arguments")
  if (args?.type !== "arguments") return []
  return args.namedChildren.filter((c) => c.type !== "comment")
}

/** Whether the call is `<name>(…)` / `<A>.<b>(…)` exactly (dotted name, no optional chaining, no type arguments). */
export const calleeIs = (call: SyntaxNode, dotted: string): boolean => {
  const callee = call.childForFieldName("function")
  return callee !== null && callee.text === dotted && call.childForFieldName("type_arguments") === null
}

/** The single parameter of an arrow function when it is a plain identifier without annotation/default; else `null`. */
export const singleParam = (fn: SyntaxNode): SyntaxNode | null => {
  if (fn.type !== "arrow_function") return null
  if (fn.children.some((c) => c.type === "async")) return null
  if (fn.childForFieldName("return_type") || fn.childForFieldName("type_parameters")) return null
  const direct = fn.childForFieldName("parameter")
  if (direct) return direct.type === "identifier" ? direct : null
  const params = fn.childForFieldName("parameters")
  if (!params) return null
  const list = params.namedChildren.filter((c) => c.type !== "comment")
  if (list.length !== 1) return null
  const p = list[0]!
  if (p.type === "identifier") return p
  if (p.type === "required_parameter" && p.namedChildCount === 1 && p.namedChildren[0]!.type === "identifier") return p.namedChildren[0]!
  return null
}


/** Literal data (strings, numbers, booleans, arrays and objects of them): an `Intl` constructor with such arguments either always throws or never. */
export const isConstantData = (node: SyntaxNode): boolean => {
  const n = unparen(node)
  switch (n.type) {
    case "string":
    case "number":
    case "true":
    case "false":
    case "undefined":
      return true
    case "template_string":
      return !n.namedChildren.some((c) => c.type === "template_substitution")
    case "array":
      return n.namedChildren.every((c) => c.type === "comment" || isConstantData(c))
    case "object":
      return n.namedChildren.every((c) => c.type === "comment" || (c.type === "pair" && c.childForFieldName("key")?.type !== "computed_property_name" && isConstantData(c.childForFieldName("value")!)))
    default:
      return false
  }
}

