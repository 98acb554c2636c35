/**
 * `loop-invariant`: a costly pure computation whose inputs do not change inside a loop region (a loop
 * body or an iteration callback such as `xs.filter(…)`) → computed once, before the outermost region
 * it is invariant in. One family, one analysis:
 *
 * | expression | value | uses allowed |
 * | --- | --- | --- |
 * | `JSON.parse(x)` | fresh plain data | reads only (no mutation, never stored, returned or passed on) |
 * | `new RegExp(p, f)` / `RegExp(p, f)`, `p` not a plain literal | regex without `g`/`y` | `test`/`exec`, pattern of string methods |
 * | same with a `g` flag (no `y`) | regex whose `lastIndex` is reset by each use | pattern of `match`/`matchAll`/`replace`/`replaceAll`/`search`/`split` only |
 * | `new Intl.*(…)` | formatter | its methods |
 * | `Object.keys/values/entries(o)` | fresh array | read-only array uses; `o` not changed in the region |
 * | `new Set(xs)` / `new Map(xs)` | fresh collection | lookups and iteration; `xs` not changed in the region |
 *
 * Safe when (see `dataflow/flow.ts` and `dataflow/values.ts` for the exact rules):
 * - every input is loop-invariant: declared outside the region, not written from the hoist point to
 *   the end of the region, not written by a closure; property reads only when nothing in that span
 *   may change the object (no writes to that property, no method calls on it, no free-function calls);
 * - the value is only read: a shared instance behaves exactly like a fresh one per iteration, because
 *   no use mutates it, keeps it (stored, returned, passed to unknown code) or reads regex state;
 * - no input reads a property through a getter the file defines, and `Object.values/entries` are not
 *   hoisted in a file that makes own accessors (object-literal getters, `defineProperty` with `get`, a
 *   `Proxy`): a getter may count its reads or give a new value each time. Getters of other modules are
 *   assumed not to exist;
 * - `JSON`, `RegExp`, `Intl`, `Object`, `Set` and `Map` are not shadowed in the file.
 * When the computation may throw (invalid JSON or pattern, `null` passed to `Object.keys`, a value that is
 * not iterable), the value is computed lazily on first use (`(parsed ??= JSON.parse(x))`), so it still
 * throws exactly where and when the original did, and never when the loop does not run.
 */
import type { Edit } from "../../Patchgen.js"
import type { SyntaxNode } from "../treeSitter.js"
import { accessorsOf, mayRunGetter } from "../dataflow/accessors.js"
import { isProvableArray } from "../dataflow/arrays.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { type HoistTarget, hoistTarget, mayChangeIn, repeatsWithin } from "../dataflow/flow.js"
import { argumentsOf, isConstantData, unparen } from "../dataflow/nodes.js"
import { isShadowed, resolve } from "../dataflow/scopes.js"
import { declaredType } from "../dataflow/types.js"
import { onlyRead, type ValueKind } from "../dataflow/values.js"
import { mayBeInLoopAt } from "./gates.js"
import { derivedName, freshName, hoistEdits, isTs } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

/** One hoistable expression, as recognised before the flow checks. */
interface Shape {
  readonly label: string
  readonly inputs: ReadonlyArray<SyntaxNode>
  readonly kind: ValueKind
  /** Whether evaluating it can throw for some inputs (then it is computed lazily). */
  readonly mayThrow: boolean
  /** The TypeScript type of the lazily computed variable; `null` when it cannot be written (then no lazy form in TS). */
  readonly tsType: string | null
  readonly baseName: string
  readonly benefit: number
  /** Inputs whose object must also stay unchanged in the region (not only the binding). */
  readonly unchanged: ReadonlyArray<SyntaxNode>
}

const INTL_CONSTRUCTORS = new Set(["NumberFormat", "DateTimeFormat", "Collator", "PluralRules", "RelativeTimeFormat", "ListFormat", "Segmenter", "DisplayNames"])

/** A name for a value computed from `node`: its identifier or last property, else `fallback`. */
const nameOf = (node: SyntaxNode, fallback: string): string => {
  const n = unparen(node)
  if (n.type === "identifier") return n.text
  if (n.type === "member_expression") return n.childForFieldName("property")?.text ?? fallback
  if (n.type === "template_string") {
    const sub = n.namedChildren.find((c) => c.type === "template_substitution")?.namedChildren[0]
    if (sub) return nameOf(sub, fallback)
  }
  return fallback
}

const stripSuffix = (name: string): string => {
  const stripped = name.replace(/(?:Json|JSON|Str|String|Text|Raw|Source)$/, "")
  return stripped === "" || stripped === name ? "" : stripped
}

const isPlainLiteral = (node: SyntaxNode): boolean => {
  const n = unparen(node)
  return n.type === "string" || (n.type === "template_string" && !n.namedChildren.some((c) => c.type === "template_substitution"))
}

/** Literal regex flags without escapes, or `null`. */
const literalFlags = (node: SyntaxNode | undefined): string | null => {
  if (node === undefined) return ""
  const n = unparen(node)
  if (n.type !== "string" || n.namedChildren.some((c) => c.type === "escape_sequence")) return null
  const flags = n.text.slice(1, -1)
  return /^[dgimsuvy]*$/.test(flags) ? flags : null
}

/** Whether a TS-annotated binding is declared with a non-nullable object type (so `Object.keys` of it cannot throw). */
const isNonNullObject = (file: FileInfo, node: SyntaxNode): boolean => {
  const n = unparen(node)
  if (n.type !== "identifier") return false
  const binding = resolve(file, n)
  if (!binding) return false
  const declarator = binding.parent
  if (declarator?.type === "variable_declarator" && ["object", "array"].includes(declarator.childForFieldName("value")?.type ?? "")) return true
  // a TS annotation, or a JSDoc type the file's author states the same way
  const type = declaredType(binding)
  return type !== null && !/\b(?:null|undefined|any|unknown)\b/.test(type) && !/^(?:string|number|boolean|bigint|symbol)$/.test(type)
}

const shapeOf = (file: FileInfo, node: SyntaxNode): Shape | null => {
  const isNew = node.type === "new_expression"
  const callee = node.childForFieldName(isNew ? "constructor" : "function")
  if (!callee || node.childForFieldName("type_arguments")) return null
  const args = argumentsOf(node)
  if (args.some((a) => a.type === "spread_element")) return null
  const text = callee.text
  if (!isNew && text === "JSON.parse") {
    if (args.length !== 1 || isPlainLiteral(args[0]!) || isShadowed(file, "JSON")) return null
    const base = nameOf(args[0]!, "input")
    return { label: "JSON.parse", inputs: args, kind: "data", mayThrow: true, tsType: "ReturnType<typeof JSON.parse>", baseName: derivedName(stripSuffix(base) || base, "Parsed"), benefit: 0.7, unchanged: [] }
  }
  if (text === "RegExp" && callee.type === "identifier") {
    if (args.length < 1 || args.length > 2 || isShadowed(file, "RegExp")) return null
    const flags = literalFlags(args[1])
    if (flags === null || flags.includes("y")) return null
    const pattern = unparen(args[0]!)
    // constant patterns are regexp-hoist's (module-level constants); a regex object argument copies its flags
    if (isPlainLiteral(pattern) || pattern.type === "regex") return null
    return {
      label: `${isNew ? "new " : ""}RegExp`,
      inputs: args,
      kind: flags.includes("g") ? "regexp-global" : "regexp",
      mayThrow: true,
      tsType: "RegExp | undefined",
      baseName: derivedName(nameOf(pattern, "pattern"), "Re"),
      benefit: 0.6,
      unchanged: []
    }
  }
  if (isNew && callee.type === "member_expression" && callee.childForFieldName("object")?.text === "Intl") {
    const kind = callee.childForFieldName("property")?.text ?? ""
    if (!INTL_CONSTRUCTORS.has(kind) || isShadowed(file, "Intl")) return null
    // constant arguments: one module-level instance (constant-constructor) serves every call
    if (args.every((a) => isConstantData(a))) return null
    return {
      label: `new Intl.${kind}`,
      inputs: args,
      kind: "formatter",
      mayThrow: true,
      tsType: `Intl.${kind} | undefined`,
      baseName: `${kind[0]!.toLowerCase()}${kind.slice(1)}`,
      benefit: 0.8,
      unchanged: []
    }
  }
  if (!isNew && /^Object\.(?:keys|values|entries)$/.test(text)) {
    if (args.length !== 1 || isShadowed(file, "Object")) return null
    const method = text.slice("Object.".length)
    const subject = unparen(args[0]!)
    if (subject.type !== "identifier" && subject.type !== "member_expression") return null
    // `values`/`entries` read every value: a getter may count its reads or return a new value each time
    if (method !== "keys" && accessorsOf(file).ownAccessors) return null
    const safe = isNonNullObject(file, subject)
    return {
      label: text,
      inputs: args,
      kind: method === "keys" ? "keys" : "entries",
      mayThrow: !safe,
      tsType: method === "keys" ? "string[] | undefined" : null,
      baseName: derivedName(nameOf(subject, "object"), method),
      benefit: 0.4,
      unchanged: [subject]
    }
  }
  if (isNew && (text === "Set" || text === "Map") && callee.type === "identifier") {
    if (args.length !== 1 || isShadowed(file, text)) return null
    const source = unparen(args[0]!)
    if (source.type !== "identifier" && source.type !== "member_expression") return null
    return {
      label: `new ${text}`,
      inputs: args,
      kind: text === "Set" ? "set" : "map",
      // a Set of an array cannot throw; a Map throws on elements that are not objects
      mayThrow: text === "Map" || !isProvableArray(file, source),
      tsType: null,
      baseName: derivedName(nameOf(source, "values"), text),
      benefit: 0.6,
      unchanged: [source]
    }
  }
  return null
}

/** Whether evaluating `input` reads a property through a getter this file defines (it may give a new value each time). */
const readsGetter = (file: FileInfo, input: SyntaxNode): boolean => {
  const stack = [input]
  while (stack.length > 0) {
    const n = stack.pop()!
    if (n.type === "member_expression" && mayRunGetter(file, n.childForFieldName("property")?.text.replace(/^#/, "") ?? "")) return true
    if (n.type === "subscript_expression" && mayRunGetter(file, "[]")) return true
    stack.push(...n.namedChildren)
  }
  return false
}

const CANDIDATE_METHODS = ["parse", "keys", "values", "entries"]

const candidates = (file: FileInfo): Array<SyntaxNode> => {
  const out: Array<SyntaxNode> = [...file.methodCalls(CANDIDATE_METHODS)]
  for (const name of ["RegExp", "Set", "Map"]) {
    for (const id of file.identifiers(name)) {
      const parent = id.parent
      if (!parent) continue
      const field = parent.type === "new_expression" ? "constructor" : parent.type === "call_expression" ? "function" : null
      if (field !== null && parent.childForFieldName(field)?.startIndex === id.startIndex) out.push(parent)
    }
  }
  for (const id of file.identifiers("Intl")) {
    const member = id.parent
    const constructed = member?.parent
    if (member?.type === "member_expression" && constructed?.type === "new_expression" && constructed.childForFieldName("constructor")?.startIndex === member.startIndex) out.push(constructed)
  }
  return out
}

const find = (file: FileInfo): Array<Finding> => {
  const out: Array<Finding> = []
  for (const node of candidates(file)) {
    const shape = shapeOf(file, node)
    if (!shape || shape.inputs.some((input) => readsGetter(file, input))) continue
    if (shape.mayThrow && isTs(file) && shape.tsType === null) continue
    const target = hoistTarget(file, node, shape.inputs)
    if (!target || !repeatsWithin(node, target.region)) continue
    if (shape.unchanged.some((input) => mayChangeIn(file, input, target, node))) continue
    if (!onlyRead(file, node, shape.kind)) continue
    out.push(finding(file, node, shape, target))
  }
  return out
}

const shorten = (text: string): string => {
  const one = text.replace(/\s+/g, " ")
  return one.length > 60 ? `${one.slice(0, 57)}...` : one
}

const finding = (file: FileInfo, node: SyntaxNode, shape: Shape, target: HoistTarget): Finding => {
  const where = target.region.type.endsWith("statement") ? "loop" : "callback"
  const line = target.region.startPosition.row + 1
  const inputs = shape.inputs.map((i) => `\`${shorten(i.text)}\``).join(", ")
  return {
    node,
    rationale: `\`${shorten(node.text)}\` is recomputed on every iteration of the ${where} at line ${line}, but its input${shape.inputs.length === 1 ? "" : "s"} (${inputs}) do${shape.inputs.length === 1 ? "es" : ""} not change there and the result is only read, so it can be computed once before the ${where}${shape.mayThrow ? " (lazily, so errors surface exactly as before)" : ""}.`,
    benefit: shape.benefit,
    risk: "low",
    confidence: shape.inputs.some((i) => /\.|\bthis\b/.test(i.text)) ? 0.7 : 0.8,
    edits: () => {
      const name = freshName(file, shape.baseName)
      const replacements: Array<Edit> = [{ start: node.startIndex, end: node.endIndex, text: shape.mayThrow ? `(${name} ??= ${node.text})` : name }]
      const declaration = shape.mayThrow ? `let ${name}${isTs(file) ? `: ${shape.tsType}` : ""}` : `const ${name} = ${node.text}`
      return hoistEdits(file, target, declaration, replacements)
    }
  }
}

/** Text gate: one of the hoistable calls with a non-literal argument, after a loop keyword or an iteration method. */
const GATE =
  /JSON\s*\.\s*parse\s*\(\s*[\p{ID_Start}$_(]|RegExp\s*\(\s*(?:[\p{ID_Start}$_(]|`[^`]*\$\{)|new\s+Intl\s*\.|Object\s*\.\s*(?:keys|values|entries)\s*\(\s*[\p{ID_Start}$_(]|new\s+(?:Set|Map)\s*\(\s*[\p{ID_Start}$_(]/u
const GATE_AFTER = new RegExp(GATE.source, "gu")
const LOOP_GATE = /\b(?:for|while|do)\b|\.\s*(?:forEach|map|filter|reduce|reduceRight|some|every|find|findIndex|findLast|findLastIndex|flatMap|sort)\s*\(/

export const loopInvariant: Template = {
  id: "loop-invariant",
  kind: "performance",
  title: "Compute a loop-invariant value once, before the loop",
  explanation:
    "Safety: every input is declared outside the loop and not changed from the hoisted declaration to the end of the loop (no writes, no closure writes; property reads only where nothing may change that object), the computation has no side effects, and its result is only read (never mutated, stored, returned or passed on, and for regexes no `lastIndex` state is used), so one shared value behaves like a fresh one per iteration. Computations that can throw are made lazily on first use, so errors surface exactly as before.",
  prefilter: (text) => {
    // a region encloses the computation, so a loop keyword or iteration method comes before it in the text
    const loop = LOOP_GATE.exec(text)
    if (loop === null) return false
    GATE_AFTER.lastIndex = loop.index
    // and the computation sits in a loop region (judged on the text, conservatively)
    for (let m = GATE_AFTER.exec(text); m !== null; m = GATE_AFTER.exec(text)) if (mayBeInLoopAt(text, m.index)) return true
    return false
  },
  find
}
