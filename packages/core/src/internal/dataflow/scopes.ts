/**
 * Lexical scopes and bindings: which declaration a name refers to (conservative: ambiguity means
 * `null`, and callers refuse), the references of a binding, and whether a reference writes it.
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "./fileInfo.js"
import { argumentsOf, isFunction, sameNode, within } from "./nodes.js"


const PATTERN_PARENTS = new Set(["array_pattern", "object_pattern", "rest_pattern", "pair_pattern", "assignment_pattern", "object_assignment_pattern"])

/** Whether an identifier node declares a binding (rather than referencing one). */
export const isBinding = (id: SyntaxNode): boolean => {
  if (id.type === "shorthand_property_identifier_pattern") return true
  if (id.type !== "identifier") return false
  const parent = id.parent
  if (!parent) return false
  switch (parent.type) {
    case "variable_declarator":
      return sameNode(parent.childForFieldName("name"), id)
    case "function_declaration":
    case "function_expression":
    case "function":
    case "generator_function_declaration":
    case "generator_function":
    case "class_declaration":
    case "class":
    case "abstract_class_declaration":
      return sameNode(parent.childForFieldName("name"), id)
    case "formal_parameters":
    case "required_parameter":
    case "optional_parameter":
    case "catch_clause":
    case "import_specifier":
    case "import_clause":
    case "namespace_import":
    case "namespace_export":
      return true
    case "arrow_function":
      return sameNode(parent.childForFieldName("parameter"), id)
    case "pair_pattern":
      return sameNode(parent.childForFieldName("value"), id)
    case "assignment_pattern":
    case "object_assignment_pattern":
      return sameNode(parent.childForFieldName("left"), id)
    case "for_in_statement":
      // `for (const x of …)` declares; `for (x of …)` assigns.
      return sameNode(parent.childForFieldName("left"), id) && parent.childForFieldName("kind") !== null
    default:
      return PATTERN_PARENTS.has(parent.type)
  }
}

const bindingCache = new WeakMap<FileInfo, Map<string, Array<SyntaxNode>>>()

/** The identifier nodes named `name` that declare it (computed once per file and name). */
export const bindingsOf = (file: FileInfo, name: string): Array<SyntaxNode> => {
  let byName = bindingCache.get(file)
  if (byName === undefined) {
    byName = new Map()
    bindingCache.set(file, byName)
  }
  let list = byName.get(name)
  if (list === undefined) {
    list = file.identifiers(name).filter(isBinding)
    byName.set(name, list)
  }
  return list
}

/** The identifier nodes named `name` that reference (read or write) it. */
export const referencesOf = (file: FileInfo, name: string): Array<SyntaxNode> => file.identifiers(name).filter((n) => !isBinding(n))

/** Whether a global such as `JSON` or `RegExp` is shadowed anywhere in the file. */
export const isShadowed = (file: FileInfo, name: string): boolean => bindingsOf(file, name).length > 0

/** The declarator of the single `const` binding of `name` in the file, or `null`. */
export const constDeclarator = (file: FileInfo, name: string): SyntaxNode | null => {
  const bindings = bindingsOf(file, name)
  if (bindings.length !== 1) return null
  const declarator = bindings[0]!.parent
  if (declarator?.type !== "variable_declarator" || !sameNode(declarator.childForFieldName("name"), bindings[0]!)) return null
  const declaration = declarator.parent
  if (declaration?.type !== "lexical_declaration" || declaration.children[0]?.type !== "const") return null
  return declarator
}

/** Whether an identifier reference is written to (assignment target, `++`, `delete`, for-in/of target). */
export const isWrite = (ref: SyntaxNode): boolean => {
  let node = ref
  let parent = node.parent
  while (parent && (parent.type === "parenthesized_expression" || parent.type === "non_null_expression")) {
    node = parent
    parent = parent.parent
  }
  if (!parent) return false
  switch (parent.type) {
    case "assignment_expression":
    case "augmented_assignment_expression":
      return sameNode(parent.childForFieldName("left"), node)
    case "update_expression":
      return true
    case "for_in_statement":
      return sameNode(parent.childForFieldName("left"), node)
    default:
      return PATTERN_PARENTS.has(parent.type) || parent.type === "array" && parent.parent?.type === "assignment_expression"
  }
}

/** Whether the file is an ES module or CommonJS module (so top-level declarations are module-private). */
export const isModule = (file: FileInfo): boolean => {
  if (file.root.namedChildren.some((n) => n.type === "import_statement" || n.type === "export_statement")) return true
  if (!/\brequire\s*\(|\bmodule\.exports\b|\bexports\.[A-Za-z_$]/.test(file.text)) return false
  // CommonJS: a real `require("…")` call or a `module.exports` / `exports.x` reference in code (not in a comment).
  return (
    file.identifiers("require").some((id) => {
      const call = id.parent
      if (call?.type !== "call_expression" || !sameNode(call.childForFieldName("function"), id)) return false
      const args = argumentsOf(call)
      return args.length === 1 && args[0]!.type === "string"
    }) ||
    file.identifiers("module").some((id) => id.parent?.type === "member_expression" && id.parent.text === "module.exports") ||
    file.identifiers("exports").some((id) => id.parent?.type === "member_expression" && sameNode(id.parent.childForFieldName("object"), id))
  )
}


// ---------------------------------------------------------------------------------------------
// Lexical scopes (an approximation of ES scoping that is exact for the declarations templates rewrite)

const BLOCK_SCOPES = new Set(["statement_block", "program", "switch_body", "class_static_block"])
const PATTERN_TYPES = new Set(["array_pattern", "object_pattern", "rest_pattern", "pair_pattern", "assignment_pattern", "object_assignment_pattern", "shorthand_property_identifier_pattern"])

const nearest = (node: SyntaxNode, test: (n: SyntaxNode) => boolean): SyntaxNode | null => {
  let n = node.parent
  while (n && !test(n)) n = n.parent
  return n
}

const functionScope = (node: SyntaxNode): SyntaxNode | null => nearest(node, (n) => isFunction(n) || n.type === "program")

/** The node whose extent is the scope of a binding identifier (`null` when unknown). */
export const scopeOf = (binding: SyntaxNode): SyntaxNode | null => {
  let node = binding
  let parent = node.parent
  while (parent && PATTERN_TYPES.has(parent.type)) {
    node = parent
    parent = parent.parent
  }
  if (!parent) return null
  switch (parent.type) {
    case "variable_declarator": {
      const declaration = parent.parent
      if (!declaration) return null
      if (declaration.type === "variable_declaration") return functionScope(declaration)
      if (declaration.parent?.type === "for_statement") return declaration.parent
      return nearest(declaration, (n) => BLOCK_SCOPES.has(n.type))
    }
    case "for_in_statement": {
      const kind = parent.childForFieldName("kind")
      if (!kind) return null
      return kind.type === "var" ? functionScope(parent) : parent
    }
    case "formal_parameters":
      return parent.parent
    case "required_parameter":
    case "optional_parameter":
      return parent.parent?.parent ?? null
    case "arrow_function":
    case "function_expression":
    case "function":
    case "generator_function":
    case "class":
    case "catch_clause":
      return parent
    case "function_declaration":
    case "generator_function_declaration":
    case "class_declaration":
    case "abstract_class_declaration":
      return nearest(parent, (n) => BLOCK_SCOPES.has(n.type))
    case "import_specifier":
    case "import_clause":
    case "namespace_import":
      return nearest(parent, (n) => n.type === "program")
    default:
      return null
  }
}

/**
 * The binding identifier a reference resolves to: the innermost scope containing `ref` that declares its
 * name. `null` for globals, or when the name is declared twice in one scope (ambiguous).
 */
export const resolve = (file: FileInfo, ref: SyntaxNode): SyntaxNode | null => {
  if (isBinding(ref)) return ref
  let best: SyntaxNode | null = null
  let bestScope: SyntaxNode | null = null
  let ambiguous = false
  for (const binding of bindingsOf(file, ref.text)) {
    const scope = cachedScopeOf(file, binding)
    if (!scope) {
      // Unknown declaration form in an enclosing position: refuse to guess.
      ambiguous = true
      continue
    }
    if (!within(ref, scope)) continue
    if (!bestScope || (scope.startIndex >= bestScope.startIndex && scope.endIndex <= bestScope.endIndex && !sameNode(scope, bestScope))) {
      best = binding
      bestScope = scope
      ambiguous = false
    } else if (sameNode(scope, bestScope)) ambiguous = true
  }
  return ambiguous ? null : best
}

const scopeCache = new WeakMap<FileInfo, Map<number, SyntaxNode | null>>()

/** {@link scopeOf}, remembered per file and binding (resolution asks for the same bindings' scopes per reference). */
const cachedScopeOf = (file: FileInfo, binding: SyntaxNode): SyntaxNode | null => {
  let byStart = scopeCache.get(file)
  if (byStart === undefined) {
    byStart = new Map()
    scopeCache.set(file, byStart)
  }
  const key = binding.startIndex
  let scope = byStart.get(key)
  if (scope === undefined) {
    scope = scopeOf(binding)
    byStart.set(key, scope)
  }
  return scope
}

/**
 * The references (non-binding identifiers) that resolve to `binding`. Only names inside the binding's
 * scope can resolve to it, so the others are not resolved at all.
 */
export const refsTo = (file: FileInfo, binding: SyntaxNode): Array<SyntaxNode> => {
  const scope = cachedScopeOf(file, binding)
  return file.identifiers(binding.text).filter((id) => (scope === null || within(id, scope)) && !isBinding(id) && sameNode(resolve(file, id), binding))
}

/** The `const` declarator a reference resolves to (single declarator name, not a pattern), or `null`. */
export const constDeclaratorOf = (file: FileInfo, ref: SyntaxNode): SyntaxNode | null => {
  const binding = resolve(file, ref)
  if (!binding) return null
  const declarator = binding.parent
  if (declarator?.type !== "variable_declarator" || !sameNode(declarator.childForFieldName("name"), binding)) return null
  const declaration = declarator.parent
  if (declaration?.type !== "lexical_declaration" || declaration.children[0]?.type !== "const") return null
  return declarator
}

/**
 * The function a name stands for when this file declares it and never rebinds it: a `function` declaration
 * nothing assigns to, or a `const` bound to a function or arrow. `null` for anything else.
 */
export const declaredFunction = (file: FileInfo, ref: SyntaxNode): SyntaxNode | null => {
  const binding = resolve(file, ref)
  const parent = binding?.parent
  if (!binding || !parent) return null
  if (parent.type === "function_declaration" && sameNode(parent.childForFieldName("name"), binding)) return refsTo(file, binding).some(isWrite) ? null : parent
  const value = constDeclaratorOf(file, ref)?.childForFieldName("value")
  return value && isFunction(value) ? value : null
}

/** Whether the subtree mentions identifier `name` (references or bindings). */
export const mentions = (file: FileInfo, node: SyntaxNode, name: string): boolean => file.identifiers(name).some((id) => within(id, node))
