/**
 * Purity: whether evaluating an expression can have side effects.
 */
import type { SyntaxNode } from "../treeSitter.js"

/** Whether the expression, when evaluated, can have no side effects (calls, assignments, `new`, `await`, …). */
export const isSideEffectFree = (node: SyntaxNode): boolean => {
  const stack = [node]
  while (stack.length > 0) {
    const n = stack.pop()!
    switch (n.type) {
      case "call_expression":
      case "new_expression":
      case "assignment_expression":
      case "augmented_assignment_expression":
      case "update_expression":
      case "await_expression":
      case "yield_expression":
      case "arrow_function":
      case "function_expression":
      case "function":
      case "class":
      case "tagged_template":
      case "jsx_element":
      case "jsx_self_closing_element":
        return false
      case "unary_expression":
        if (n.children[0]?.type === "delete") return false
        break
    }
    for (const c of n.namedChildren) stack.push(c)
  }
  return true
}

