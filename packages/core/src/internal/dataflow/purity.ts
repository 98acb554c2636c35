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


/** Methods that only read their receiver and arguments (strings, arrays read-only, Map/Set lookups). */
const PURE_METHOD_NAMES = new Set([
  // strings
  "startsWith", "endsWith", "includes", "indexOf", "lastIndexOf", "charAt", "charCodeAt", "codePointAt", "slice", "substring", "substr",
  "toLowerCase", "toUpperCase", "toLocaleLowerCase", "toLocaleUpperCase", "trim", "trimStart", "trimEnd", "padStart", "padEnd", "repeat",
  "split", "normalize", "localeCompare", "at", "concat", "toString", "toFixed", "valueOf", "search",
  // arrays, read-only
  "some", "every", "find", "findIndex", "findLast", "findLastIndex", "filter", "map", "join", "flat", "flatMap", "keys", "values", "entries",
  // Map / Set / objects
  "has", "get", "hasOwnProperty"
])
/** Global functions and namespaces whose calls only read their arguments. */
const PURE_GLOBAL_CALLS = /^(?:String|Number|Boolean|parseInt|parseFloat|isNaN|isFinite|Array\.isArray|Object\.(?:keys|values|entries|hasOwn|is)|Number\.(?:isNaN|isFinite|isInteger|isSafeInteger|parseFloat|parseInt)|Math\.\w+|JSON\.stringify)$/

/**
 * Whether calling `fn` (an arrow function, function expression or declaration) can have no side effects: it assigns only
 * its own locals, and calls only methods and functions that read their arguments (string methods,
 * read-only array methods with such callbacks, `Map`/`Set` lookups, `Math.*`, `Object.keys`, …) and
 * `test`/`exec` of a regex literal without `g`/`y`, and functions of the file that are pure by the same
 * rules (`declared` finds them; a call of a function still being checked counts as pure, so recursion
 * is judged by the rest of its body). No `await`, `yield`, `new`, `delete`, tagged templates or calls of
 * unknown functions. Property reads are assumed to run no code, except those
 * `mayRunGetter` names (getters the file defines, see `accessors.ts`; `"[]"` for a computed read).
 * Such a function may still throw (e.g. reading a property of `undefined`).
 */
export const isPureFunction = (
  fn: SyntaxNode,
  globalsShadowed: (name: string) => boolean = () => false,
  mayRunGetter: (property: string) => boolean = () => false,
  declared: (callee: SyntaxNode) => SyntaxNode | null = () => null,
  checking: Set<number> = new Set()
): boolean => {
  if (fn.type !== "arrow_function" && fn.type !== "function_expression" && fn.type !== "function" && fn.type !== "function_declaration") return false
  checking.add(fn.startIndex)
  if (fn.children.some((c) => c.type === "async" || c.type === "*")) return false
  const body = fn.childForFieldName("body")
  if (!body) return false
  const locals = new Set<string>()
  // parameters and declarations inside are the function's own
  const params = fn.childForFieldName("parameters") ?? fn.childForFieldName("parameter")
  if (params) for (const id of params.descendantsOfType(["identifier", "shorthand_property_identifier_pattern"])) locals.add(id.text)
  for (const d of body.descendantsOfType("variable_declarator")) {
    const name = d.childForFieldName("name")
    if (name) for (const id of [name, ...name.descendantsOfType(["identifier", "shorthand_property_identifier_pattern"])]) locals.add(id.text)
  }
  const stack = [body]
  while (stack.length > 0) {
    const n = stack.pop()!
    switch (n.type) {
      case "await_expression":
      case "yield_expression":
      case "new_expression":
      case "tagged_template":
      case "class":
      case "class_declaration":
      case "function_declaration":
        return false
      case "unary_expression":
        if (n.children[0]?.type === "delete") return false
        break
      case "assignment_expression":
      case "augmented_assignment_expression": {
        const left = n.childForFieldName("left")
        if (left?.type !== "identifier" || !locals.has(left.text)) return false
        break
      }
      case "update_expression": {
        const target = n.namedChildren[0]
        if (target?.type !== "identifier" || !locals.has(target.text)) return false
        break
      }
      case "call_expression": {
        const callee = n.childForFieldName("function")
        if (!callee) return false
        if (callee.type === "member_expression") {
          const method = callee.childForFieldName("property")?.text ?? ""
          const object = callee.childForFieldName("object")
          const isRegexCall = (method === "test" || method === "exec") && object?.type === "regex" && !/[gy]/.test(object.childForFieldName("flags")?.text ?? "")
          const global = PURE_GLOBAL_CALLS.test(callee.text) && !globalsShadowed(callee.text.split(".")[0]!)
          if (!PURE_METHOD_NAMES.has(method) && !isRegexCall && !global) return false
          // callbacks handed to read-only array methods must be pure too (visited below as nested functions)
        } else if (callee.type === "identifier") {
          if (locals.has(callee.text)) return false
          if (!PURE_GLOBAL_CALLS.test(callee.text) || globalsShadowed(callee.text)) {
            const target = declared(callee)
            if (target === null) return false
            if (!checking.has(target.startIndex) && !isPureFunction(target, globalsShadowed, mayRunGetter, declared, checking)) return false
          }
        } else return false
        break
      }
      case "member_expression": {
        const property = n.childForFieldName("property")
        if (property && mayRunGetter(property.text.replace(/^#/, ""))) return false
        break
      }
      case "subscript_expression":
        if (mayRunGetter("[]")) return false
        break
      case "arrow_function":
      case "function_expression":
        if (!isPureFunction(n, globalsShadowed, mayRunGetter, declared, checking)) return false
        continue
    }
    for (const c of n.namedChildren) stack.push(c)
  }
  return true
}
