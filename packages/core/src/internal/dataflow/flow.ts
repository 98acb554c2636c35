/**
 * Flow facts over loop regions: which bindings are written where, whether an expression has the same
 * value on every iteration of a region (loop invariance), and where a value computed once for the
 * region can be declared (the hoist target). Everything is answered on demand for the nodes a
 * template asks about, so files no template's text gate lets through never pay for it.
 *
 * Invariance is decided from what the code shows, conservatively:
 * - literals and template strings of invariant parts are invariant;
 * - a name is invariant when its declaration lies outside the region and before the hoist target,
 *   nothing between the hoist target and the end of the region writes it, and no closure writes it
 *   (a call in the loop could run that closure);
 * - `this` is invariant unless a non-arrow function lies between the expression and the hoist target;
 * - a property read `o.p` is invariant when `o` is, and nothing in that span assigns or deletes a
 *   property named `p`, calls a method on `o` or passes `o` on, or calls a free function (which could
 *   reach `o` through an alias). Getters are assumed to have no side effects;
 * - a few calls are known to be pure functions of invariant arguments (string case/trim/slice methods,
 *   `String`, `Number`, `encodeURIComponent`, …); every other call is not invariant.
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "./fileInfo.js"
import { isIterationCallback, LOOP_TYPES, repeats } from "./loops.js"
import { enclosingFunction, isFunction, sameNode, within } from "./nodes.js"
import { isShadowed, isWrite, refsTo, resolve, scopeOf } from "./scopes.js"

/** The references of `binding` that write it (assignment, update, `for (x of …)` target, destructuring). */
export const writesOf = (file: FileInfo, binding: SyntaxNode): Array<SyntaxNode> => refsTo(file, binding).filter(isWrite)

/**
 * The loop regions around `node`, innermost first: loop statements whose repeated part holds it, and
 * iteration callbacks, stopping at the first function that is not an iteration callback.
 */
export const enclosingRegions = (node: SyntaxNode): Array<SyntaxNode> => {
  const out: Array<SyntaxNode> = []
  let child = node
  for (let parent = node.parent; parent !== null; child = parent, parent = parent.parent) {
    if (LOOP_TYPES.has(parent.type) && repeats(parent, child)) out.push(parent)
    else if (isFunction(parent)) {
      if (!isIterationCallback(parent)) break
      out.push(parent)
    }
  }
  return out
}

/** Where a value computed once for a region is declared. */
export interface HoistTarget {
  /** The outermost region the expression is invariant in. */
  readonly region: SyntaxNode
  /** The statement (a direct child of a block) before which the declaration goes, or the expression body of an arrow function. */
  readonly before: SyntaxNode
  /** Set when `before` is the expression body of an arrow function, which must become a block to hold the declaration. */
  readonly arrowBody: boolean
}

const BLOCKS = new Set(["statement_block", "program", "switch_case", "switch_default"])

/** The statement before which a declaration runs right before `region` is entered, without leaving the function. */
const insertionPoint = (region: SyntaxNode): { before: SyntaxNode; arrowBody: boolean } | null => {
  let n = region
  for (let parent = n.parent; parent !== null; n = parent, parent = parent.parent) {
    if (BLOCKS.has(parent.type)) {
      // `case x: stmt` — a declaration before `stmt` is inside the case; fine. Class static blocks too.
      return { before: n, arrowBody: false }
    }
    if (isFunction(parent)) {
      if (parent.type === "arrow_function" && sameNode(parent.childForFieldName("body"), n)) return { before: n, arrowBody: true }
      return null
    }
    // A loop's header is evaluated once per loop, but a declaration cannot go there.
  }
  return null
}

/** Names that are read-only by convention and never rebound in practice: safe to treat as invariant. */
const STABLE_GLOBALS = new Set(["JSON", "Math", "Intl", "Object", "Array", "RegExp", "Set", "Map", "String", "Number", "Boolean", "undefined", "NaN", "Infinity", "Symbol", "BigInt", "Date"])

/** Methods of strings (and `join` of arrays) that are pure functions of their receiver and arguments. */
const PURE_METHODS = new Set([
  "toLowerCase",
  "toUpperCase",
  "toLocaleLowerCase",
  "toLocaleUpperCase",
  "trim",
  "trimStart",
  "trimEnd",
  "slice",
  "substring",
  "padStart",
  "padEnd",
  "normalize",
  "repeat",
  "charAt",
  "at",
  "join",
  "replace",
  "replaceAll",
  "toString",
  "toFixed"
])
const PURE_FUNCTIONS = new Set(["String", "Number", "Boolean", "encodeURIComponent", "encodeURI", "parseInt", "parseFloat"])

const SKIP_TYPES = new Set(["comment", "property_identifier", "private_property_identifier", "statement_identifier", "optional_chain"])

/** The span of code that runs between the hoisted declaration and the end of the region. */
interface Span {
  readonly start: number
  readonly end: number
  readonly region: SyntaxNode
  readonly before: SyntaxNode
}

/** The root identifier (or `this`) of a member chain `a.b.c`, or `null`. */
export const memberRoot = (node: SyntaxNode): SyntaxNode | null => {
  let n = node
  while (n.type === "member_expression" || n.type === "subscript_expression" || n.type === "non_null_expression" || n.type === "parenthesized_expression") {
    const next = n.type === "member_expression" || n.type === "subscript_expression" ? n.childForFieldName("object") : n.namedChildren[0]
    if (!next) return null
    n = next
  }
  return n.type === "identifier" || n.type === "this" ? n : null
}

/** Whether a name reference has the same value everywhere in `span` (see the module header). */
const invariantName = (file: FileInfo, id: SyntaxNode, span: Span): boolean => {
  const binding = resolve(file, id)
  if (binding === null) return STABLE_GLOBALS.has(id.text) && !isShadowed(file, id.text) && !file.identifiers(id.text).some(isWrite)
  if (within(binding, span.region)) return false
  if (binding.startIndex >= span.start) return false
  const scope = scopeOf(binding)
  if (scope === null || !within(span.before, scope)) return false
  const home = enclosingFunction(binding)
  for (const write of writesOf(file, binding)) {
    if (write.startIndex >= span.start && write.startIndex < span.end) return false
    if (!sameNode(enclosingFunction(write), home) && !(home === null && enclosingFunction(write) === null)) return false
  }
  return true
}

/** Whether `this` means the same object at `node` and at the hoist target. */
const sameThis = (node: SyntaxNode, before: SyntaxNode): boolean => {
  for (let n = node.parent; n !== null && !within(before, n); n = n.parent) {
    if (isFunction(n) && n.type !== "arrow_function") return false
  }
  return true
}

const ASSIGNMENTS = new Set(["assignment_expression", "augmented_assignment_expression"])

/** Whether something in `span` may change property `property` of the object rooted at `root` (see the module header). */
const mayChangeProperty = (file: FileInfo, root: SyntaxNode, property: string | null, span: Span, exclude: SyntaxNode): boolean => {
  const text = file.text
  const slice = text.slice(span.start, span.end)
  // deletes, and code of other functions running while suspended
  if (/\b(?:delete|await|yield)\b/.test(slice)) return true
  // writes to a property of that name (or any computed property)
  const writesProperty = (target: SyntaxNode | null | undefined): boolean => {
    if (target?.type !== "subscript_expression" && target?.type !== "member_expression") return false
    // a property of an object created right here cannot be a property of the root's object
    const targetRoot = memberRoot(target)
    if (targetRoot?.type === "identifier" && !(root.type === "identifier" && targetRoot.text === root.text) && isFreshLocal(file, targetRoot)) return false
    return target.type === "subscript_expression" || property === null || target.childForFieldName("property")?.text === property
  }
  for (const type of ASSIGNMENTS) {
    for (const n of file.nodes(type)) {
      if (n.startIndex >= span.start && n.startIndex < span.end && writesProperty(n.childForFieldName("left"))) return true
    }
  }
  for (const n of file.nodes("update_expression")) {
    if (n.startIndex >= span.start && n.startIndex < span.end && writesProperty(n.namedChildren[0])) return true
  }
  // constructors other than the built-ins may run anything
  for (const n of file.nodes("new_expression")) {
    if (n.startIndex < span.start || n.startIndex >= span.end || within(n, exclude)) continue
    const made = n.childForFieldName("constructor")
    const name = made?.type === "member_expression" ? memberRoot(made) : made
    if (name?.type !== "identifier" || !STABLE_GLOBALS.has(name.text) || isShadowed(file, name.text)) return true
  }
  // calls: free functions, methods on `this` or on the root object, or the root passed on
  for (const call of file.nodes("call_expression")) {
    if (call.startIndex < span.start || call.startIndex >= span.end || within(call, exclude)) continue
    const callee = call.childForFieldName("function")
    if (!callee) return true
    if (callee.type === "identifier") {
      if (!PURE_FUNCTIONS.has(callee.text) || resolve(file, callee) !== null) return true
      continue
    }
    if (callee.type === "member_expression") {
      const calleeRoot = memberRoot(callee)
      if (calleeRoot?.type === "this" && root.type === "this") return true
      if (calleeRoot?.type === "identifier" && root.type === "identifier" && calleeRoot.text === root.text) return true
      if (calleeRoot?.type === "this" && callee.childForFieldName("object")?.type === "this") return true
    }
    // the object itself handed to the callee (references inside callbacks are checked as code of the span)
    const args = call.childForFieldName("arguments")?.namedChildren ?? []
    for (const arg of args) {
      let a = arg.type === "spread_element" ? arg.namedChildren[0] : arg
      while (a && (a.type === "parenthesized_expression" || a.type === "non_null_expression" || a.type === "as_expression")) a = a.namedChildren[0]
      if (a && a.type === root.type && a.text === root.text) return true
    }
  }
  return false
}

const FRESH_CONSTRUCTORS = new Set(["Map", "Set", "Array", "Object", "WeakMap", "WeakSet"])

/**
 * Whether `id` names a local `const`/`let` initialised with a fresh object (`{}`, `[]`, `new Map()`, …)
 * and never reassigned: no other name can refer to that object before it is handed out.
 */
export const isFreshLocal = (file: FileInfo, id: SyntaxNode): boolean => {
  const binding = resolve(file, id)
  const declarator = binding?.parent
  if (!binding || declarator?.type !== "variable_declarator" || !sameNode(declarator.childForFieldName("name"), binding)) return false
  const value = declarator.childForFieldName("value")
  if (!value) return false
  const fresh =
    value.type === "object" ||
    value.type === "array" ||
    (value.type === "new_expression" && FRESH_CONSTRUCTORS.has(value.childForFieldName("constructor")?.text ?? "") && !isShadowed(file, value.childForFieldName("constructor")!.text))
  return fresh && writesOf(file, binding).length === 0
}

/**
 * Whether the object (or array) `node` refers to may be changed between the hoist target and the end of
 * the region: a reference to the same name that is not a plain read (a method call, a write, being
 * passed on), or any of the alias-reaching effects of the module header.
 */
export const mayChangeIn = (file: FileInfo, node: SyntaxNode, target: HoistTarget, exclude: SyntaxNode): boolean => {
  const root = memberRoot(node)
  if (!root) return true
  const span: Span = { start: target.before.startIndex, end: target.region.endIndex, region: target.region, before: target.before }
  if (root.type === "identifier") {
    for (const id of file.identifiers(root.text)) {
      if (id.startIndex < span.start || id.startIndex >= span.end || within(id, exclude)) continue
      if (!isPlainRead(id)) return true
    }
  }
  return mayChangeProperty(file, root, null, span, exclude)
}

/** A reference that only reads a property or element of its object (`o.p`, `o[k]`, `k in o`, `for (k in o)`), or the object itself in a comparison. */
const isPlainRead = (id: SyntaxNode): boolean => {
  let n = id
  while (n.parent && (n.parent.type === "parenthesized_expression" || n.parent.type === "non_null_expression")) n = n.parent
  const parent = n.parent
  if (!parent) return false
  if (parent.type === "member_expression" || parent.type === "subscript_expression") {
    if (!sameNode(parent.childForFieldName("object"), n)) return true
    if (isWrite(parent)) return false
    const call = parent.parent
    if (call?.type === "call_expression" && sameNode(call.childForFieldName("function"), parent)) {
      // read-only array methods keep the array as it is
      return parent.type === "member_expression" && READ_ONLY_METHODS.has(parent.childForFieldName("property")?.text ?? "")
    }
    const up = parent.parent
    return !(up?.type === "unary_expression" && up.children[0]?.type === "delete")
  }
  if (parent.type === "binary_expression") return true
  if (parent.type === "for_in_statement") return sameNode(parent.childForFieldName("right"), n)
  if (parent.type === "spread_element") return parent.parent?.type === "array"
  if (parent.type === "arguments") {
    const callee = parent.parent?.childForFieldName("function")?.text ?? ""
    return /^(?:Object\.(?:keys|values|entries|hasOwn)|JSON\.stringify|Array\.isArray|Array\.from|String|Number|Boolean)$/.test(callee)
  }
  return false
}

const READ_ONLY_METHODS = new Set([
  "includes", "indexOf", "lastIndexOf", "at", "slice", "some", "every", "find", "findIndex", "findLast", "findLastIndex", "filter", "map", "flatMap",
  "forEach", "reduce", "reduceRight", "join", "concat", "entries", "keys", "values", "toString", "toSorted", "toReversed", "with", "flat", "has", "get", "hasOwnProperty"
])

/**
 * Whether `expr` evaluates to the same value everywhere in `span` and has no side effects (see the
 * module header). `exclude` is the expression being hoisted (calls inside it are judged here, not by
 * {@link mayChangeProperty}).
 */
const invariantIn = (file: FileInfo, expr: SyntaxNode, span: Span, exclude: SyntaxNode): boolean => {
  switch (expr.type) {
    case "string":
    case "number":
    case "true":
    case "false":
    case "null":
    case "undefined":
    case "regex":
    case "string_fragment":
    case "escape_sequence":
    case "comment":
      return true
    case "identifier":
      return invariantName(file, expr, span)
    case "this":
      return sameThis(expr, span.before)
    case "member_expression":
    case "subscript_expression": {
      const object = expr.childForFieldName("object")
      const root = memberRoot(expr)
      if (!object || !root) return false
      if (!invariantIn(file, object, span, exclude)) return false
      const property = expr.type === "member_expression" ? (expr.childForFieldName("property")?.text ?? null) : null
      if (expr.type === "subscript_expression") {
        const index = expr.childForFieldName("index")
        if (!index || !invariantIn(file, index, span, exclude)) return false
      }
      return !mayChangeProperty(file, root, property, span, exclude)
    }
    case "call_expression": {
      const callee = expr.childForFieldName("function")
      const args = expr.childForFieldName("arguments")
      if (!callee || !args || args.type !== "arguments") return false
      if (callee.type === "identifier") {
        if (!PURE_FUNCTIONS.has(callee.text) || resolve(file, callee) !== null) return false
      } else if (callee.type === "member_expression") {
        const method = callee.childForFieldName("property")?.text ?? ""
        const object = callee.childForFieldName("object")
        if (!PURE_METHODS.has(method) || !object || !invariantIn(file, object, span, exclude)) return false
        // `replace(re, fn)` may run code: only literal/invariant non-function arguments
      } else return false
      return args.namedChildren.every((a) => !isFunction(a) && a.type !== "spread_element" && invariantIn(file, a, span, exclude))
    }
    case "template_string":
    case "template_substitution":
    case "parenthesized_expression":
    case "binary_expression":
    case "ternary_expression":
    case "array":
    case "object":
    case "pair":
    case "as_expression":
    case "satisfies_expression":
    case "non_null_expression":
    case "type_arguments":
      return expr.namedChildren.every((c) => SKIP_TYPES.has(c.type) || c.type.endsWith("_type") || invariantIn(file, c, span, exclude))
    case "unary_expression": {
      const op = expr.children[0]?.type
      if (op === "delete") return false
      return expr.namedChildren.every((c) => invariantIn(file, c, span, exclude))
    }
    case "shorthand_property_identifier":
      return invariantName(file, expr, span)
    case "computed_property_name":
      return expr.namedChildren.every((c) => invariantIn(file, c, span, exclude))
    default:
      return false
  }
}

/**
 * The outermost loop region in which all of `inputs` are invariant, and where a value computed from
 * them can be declared once for it; `null` when `node` is in no region or nothing is invariant.
 * `node` is the expression to hoist (its own calls are allowed; `inputs` are its operands).
 */
export const hoistTarget = (file: FileInfo, node: SyntaxNode, inputs: ReadonlyArray<SyntaxNode>): HoistTarget | null => {
  const regions = enclosingRegions(node)
  for (let i = regions.length - 1; i >= 0; i--) {
    const region = regions[i]!
    const at = insertionPoint(region)
    if (at === null) continue
    const span: Span = { start: at.before.startIndex, end: region.endIndex, region, before: at.before }
    if (inputs.every((input) => invariantIn(file, input, span, node))) return { region, before: at.before, arrowBody: at.arrowBody }
  }
  return null
}

/** Whether `binding` is neither declared inside `target.region` nor written between the hoist target and the region's end (closures included). */
export const isInvariantBinding = (file: FileInfo, id: SyntaxNode, target: HoistTarget): boolean =>
  invariantName(file, id, { start: target.before.startIndex, end: target.region.endIndex, region: target.region, before: target.before })

/**
 * Whether evaluating `node` ends its loop: it sits in a `return` or `throw` statement inside a loop
 * statement's body (so it runs at most once per entry into the loop, and computing something once
 * before the loop cannot pay). Callback regions are not ended by a `return` (it returns from the callback).
 */
export const exitsLoop = (node: SyntaxNode, region: SyntaxNode): boolean => {
  if (!LOOP_TYPES.has(region.type)) return false
  for (let n = node.parent; n !== null && !sameNode(n, region); n = n.parent) {
    if (isFunction(n)) return false
    if (n.type === "return_statement" || n.type === "throw_statement") return true
  }
  return false
}

/**
 * Whether `node` is evaluated repeatedly within `outermost` (or within any region around it when `null`):
 * some loop region between them is not ended by the evaluation ({@link exitsLoop}).
 */
export const repeatsWithin = (node: SyntaxNode, outermost: SyntaxNode | null): boolean => {
  for (const region of enclosingRegions(node)) {
    if (!exitsLoop(node, region)) return true
    if (outermost !== null && sameNode(region, outermost)) return false
  }
  return false
}

const MUTATING_ARRAY_METHODS = new Set(["push", "pop", "shift", "unshift", "splice", "sort", "reverse", "fill", "copyWithin"])

/**
 * Whether code between the hoist target and the end of the region mutates an array that might be the
 * same array as `id` under another name: a mutating method (`push`, `splice`, `sort`, …) called on, or
 * an element or `length` written through, anything but a local created right there ({@link isFreshLocal}).
 */
export const mayMutateAlias = (file: FileInfo, id: SyntaxNode, target: HoistTarget): boolean => {
  const start = target.before.startIndex
  const end = target.region.endIndex
  for (const call of file.methodCalls([...MUTATING_ARRAY_METHODS])) {
    if (call.startIndex < start || call.startIndex >= end) continue
    const object = call.childForFieldName("function")?.childForFieldName("object")
    const root = object ? memberRoot(object) : null
    if (root?.type === "identifier" && root.text !== id.text && isFreshLocal(file, root)) continue
    return true
  }
  for (const type of ASSIGNMENTS) {
    for (const n of file.nodes(type)) {
      if (n.startIndex < start || n.startIndex >= end) continue
      const left = n.childForFieldName("left")
      const isElement = left?.type === "subscript_expression" || (left?.type === "member_expression" && left.childForFieldName("property")?.text === "length")
      if (!isElement) continue
      const root = memberRoot(left)
      if (root?.type === "identifier" && root.text !== id.text && isFreshLocal(file, root)) continue
      return true
    }
  }
  return false
}
