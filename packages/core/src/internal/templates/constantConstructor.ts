/**
 * `constant-constructor`: an object built from constant arguments on every call or iteration, although one
 * instance would serve them all → a module-level constant. Covers `new TextDecoder(…)`, `new TextEncoder()`,
 * `new Intl.*(…)` and `new Set([…])` / `new Map([…])` of literal data.
 *
 * Safe when:
 * - every argument is literal data (strings, numbers, booleans, arrays and objects of them), so each
 *   evaluation builds an equal instance; an `Intl` object names its locale (the default one is read when
 *   the object is built), and a `DateTimeFormat` its `timeZone` (the process's zone can change at run time);
 * - the constructor is the global one (not shadowed in the file);
 * - the instance is stateless for the way it is used, and never escapes: a `TextDecoder` only `decode`s
 *   without `{ stream: true }` (streaming keeps bytes between calls), a `TextEncoder` only `encode`s, an
 *   `Intl` object only formats, compares or selects, a `Set`/`Map` is only looked up and iterated — directly
 *   or through a `const` used only that way; it is never stored, returned, passed on or mutated;
 * - it is built inside a function (per call), a loop, or an instance field initializer (per object, when
 *   every use of the field is `this.<field>` used that way); module-level code already runs once.
 * - the constructor does not throw on these arguments: it is built once while scanning (with the scanner's
 *   own runtime) and refused if that throws, so the constant cannot fail when the module loads.
 * - type arguments (`new Set<Kind>([…])`) name no type parameter of an enclosing declaration and no type
 *   declared inside an enclosing block, so they mean the same at module level.
 * The constant is inserted after the module's imports, before any other module code runs.
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { enclosingLoop } from "../dataflow/loops.js"
import { argumentsOf, enclosingFunction, isConstantData, parentOf, unparen } from "../dataflow/nodes.js"
import { isShadowed } from "../dataflow/scopes.js"
import { wordOccurrences } from "../dataflow/text.js"
import { onlyRead, type ValueKind } from "../dataflow/values.js"
import { isModuleLevelAt } from "./gates.js"
import { derivedName, freshName, moduleInsertionPoint, semi } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

const INTL = new Set(["NumberFormat", "DateTimeFormat", "Collator", "PluralRules", "RelativeTimeFormat", "ListFormat", "Segmenter", "DisplayNames"])

interface Built {
  readonly kind: ValueKind
  readonly name: string
  readonly benefit: number
}

const LOCAL_TYPE_DECLARATIONS = new Set(["type_alias_declaration", "interface_declaration", "class_declaration", "enum_declaration"])

/**
 * Whether the type arguments of `new X<…>(…)` name only types that module level sees too: none is a type
 * parameter of an enclosing function, method or class, nor a type declared inside an enclosing block.
 */
const typeArgumentsMove = (node: SyntaxNode): boolean => {
  const typeArgs = node.childForFieldName("type_arguments")
  if (!typeArgs) return true
  const named = new Set<string>()
  const collect = (n: SyntaxNode): void => {
    if (n.type === "type_identifier") named.add(n.text)
    for (const c of n.namedChildren) collect(c)
  }
  collect(typeArgs)
  for (let p = node.parent; p && p.type !== "program"; p = p.parent) {
    for (const c of p.namedChildren) {
      if (c.type === "type_parameters" && c.namedChildren.some((t) => named.has(t.childForFieldName("name")?.text ?? ""))) return false
      if (LOCAL_TYPE_DECLARATIONS.has(c.type) && named.has(c.childForFieldName("name")?.text ?? "")) return false
    }
  }
  return true
}

/** What `new X(args)` builds, when it is one of the covered constructors with constant arguments. */
const builtBy = (file: FileInfo, node: SyntaxNode): Built | null => {
  const made = node.childForFieldName("constructor")
  if (!made || !typeArgumentsMove(node)) return null
  const args = argumentsOf(node)
  if (!args.every(isConstantData)) return null
  if (made.type === "identifier") {
    if (isShadowed(file, made.text)) return null
    switch (made.text) {
      case "TextDecoder":
        return args.length <= 2 ? { kind: "decoder", name: "textDecoder", benefit: 0.5 } : null
      case "TextEncoder":
        return args.length <= 1 ? { kind: "encoder", name: "textEncoder", benefit: 0.4 } : null
      case "Set":
      case "Map": {
        const source = args[0] ? unparen(args[0]) : null
        if (args.length !== 1 || source?.type !== "array" || source.namedChildren.filter((c) => c.type !== "comment").length < 2) return null
        if (made.text === "Map" && !source.namedChildren.every((c) => c.type === "comment" || (c.type === "array" && c.namedChildren.filter((d) => d.type !== "comment").length === 2))) return null
        return { kind: made.text === "Set" ? "set" : "map", name: made.text === "Set" ? "values" : "entries", benefit: 0.5 }
      }
      default:
        return null
    }
  }
  if (made.type === "member_expression" && made.childForFieldName("object")?.text === "Intl" && !isShadowed(file, "Intl")) {
    const kind = made.childForFieldName("property")?.text ?? ""
    if (!INTL.has(kind)) return null
    // the default locale and time zone are read when the object is built, and the time zone can change
    // while the process runs (Node honours a new TZ): only explicit ones make every instance equal
    const locale = args[0] ? unparen(args[0]) : null
    if (locale === null || (locale.type !== "string" && locale.type !== "array" && locale.type !== "template_string")) return null
    if (kind === "DateTimeFormat" && !(args[1] && /\btimeZone\b/.test(args[1].text))) return null
    return { kind: "formatter", name: `${kind[0]!.toLowerCase()}${kind.slice(1)}`, benefit: 0.8 }
  }
  return null
}

/** The value of literal data (strings without escapes, numbers, booleans, arrays and objects of them), or `undefined` when it cannot be read. */
const literalValue = (node: SyntaxNode): { value: unknown } | undefined => {
  const n = unparen(node)
  switch (n.type) {
    case "string":
      return n.namedChildren.some((c) => c.type === "escape_sequence") ? undefined : { value: n.text.slice(1, -1) }
    case "template_string":
      return n.namedChildren.length > 0 && n.namedChildren.some((c) => c.type !== "string_fragment") ? undefined : { value: n.text.slice(1, -1) }
    case "number":
      return { value: Number(n.text.replace(/_/g, "")) }
    case "true":
      return { value: true }
    case "false":
      return { value: false }
    case "undefined":
      return { value: undefined }
    case "array": {
      const out: Array<unknown> = []
      for (const c of n.namedChildren) {
        if (c.type === "comment") continue
        const v = literalValue(c)
        if (!v) return undefined
        out.push(v.value)
      }
      return { value: out }
    }
    case "object": {
      const out: Record<string, unknown> = {}
      for (const c of n.namedChildren) {
        if (c.type === "comment") continue
        const key = c.childForFieldName("key")
        const v = c.childForFieldName("value")
        const value = v ? literalValue(v) : undefined
        if (!key || !value) return undefined
        out[key.type === "string" ? key.text.slice(1, -1) : key.text] = value.value
      }
      return { value: out }
    }
    default:
      return undefined
  }
}

/** Whether the constructor accepts these literal arguments here (so the module-level constant cannot throw at load). */
const constructs = (node: SyntaxNode): boolean => {
  const values: Array<unknown> = []
  for (const arg of argumentsOf(node)) {
    const v = literalValue(arg)
    if (!v) return false
    values.push(v.value)
  }
  const made = node.childForFieldName("constructor")!
  const target = made.type === "member_expression" ? INTL_CONSTRUCTORS[made.childForFieldName("property")!.text] : made.text === "TextDecoder" ? TextDecoder : made.text === "TextEncoder" ? TextEncoder : null
  if (target === undefined) return false
  if (target === null) return true
  try {
    Reflect.construct(target, values)
    return true
  } catch {
    return false
  }
}

const INTL_CONSTRUCTORS: Readonly<Record<string, typeof Intl.NumberFormat | typeof Intl.DateTimeFormat | typeof Intl.Collator | typeof Intl.PluralRules | typeof Intl.RelativeTimeFormat | typeof Intl.ListFormat | typeof Intl.Segmenter | typeof Intl.DisplayNames>> = {
  NumberFormat: Intl.NumberFormat,
  DateTimeFormat: Intl.DateTimeFormat,
  Collator: Intl.Collator,
  PluralRules: Intl.PluralRules,
  RelativeTimeFormat: Intl.RelativeTimeFormat,
  ListFormat: Intl.ListFormat,
  Segmenter: Intl.Segmenter,
  DisplayNames: Intl.DisplayNames
}

/** The instance field (not `static`) whose initializer is `node`, or `null`. */
const instanceField = (node: SyntaxNode): SyntaxNode | null => {
  const parent = node.parent
  if (parent?.type !== "public_field_definition" && parent?.type !== "field_definition") return null
  if (parent.children.some((c) => c.type === "static")) return null
  const value = parent.childForFieldName("value")
  return value !== null && value.startIndex === node.startIndex ? parent : null
}

/**
 * Whether every use of an instance field is `this.<field>` used only as `kind` allows (and never assigned):
 * then all instances can share one object.
 */
const fieldOnlyRead = (file: FileInfo, field: SyntaxNode, kind: ValueKind): boolean => {
  const key = field.childForFieldName("name") ?? field.childForFieldName("property")
  const body = field.parent
  if (!key || body?.type !== "class_body") return false
  const name = key.text
  let uses = 0
  for (const i of wordOccurrences(file.text, name.startsWith("#") ? name.slice(1) : name)) {
    const at = name.startsWith("#") ? i - 1 : i
    if (at < body.startIndex || at >= body.endIndex || (at >= key.startIndex && at < key.endIndex)) continue
    const id = file.nodeAt(at, at + name.length)
    if (id.type !== "property_identifier" && id.type !== "private_property_identifier") continue
    const member = id.parent
    if (member?.type !== "member_expression") continue
    if (member.childForFieldName("object")?.type !== "this") return false
    if (!onlyRead(file, member, kind)) return false
    uses++
  }
  return uses > 0
}

/** A name for the constant: the `const` the instance initialises, if any, else the constructor's. */
const constantName = (node: SyntaxNode, built: Built): string => {
  const parent = parentOf(node)
  if (parent?.type === "variable_declarator" && parent.childForFieldName("name")?.type === "identifier") return parent.childForFieldName("name")!.text
  return built.name
}

const find = (file: FileInfo): Array<Finding> => {
  const out: Array<Finding> = []
  for (const node of file.nodes("new_expression")) {
    const built = builtBy(file, node)
    if (!built) continue
    const fn = enclosingFunction(node)
    const loop = enclosingLoop(node)
    const field = instanceField(node)
    if (!fn && !loop && !field) continue
    if (field ? !fieldOnlyRead(file, field, built.kind) : !onlyRead(file, node, built.kind)) continue
    if (!constructs(node)) continue
    const where = field ? "every instance" : loop ? "every iteration" : "every call"
    const shown = node.text.replace(/\s+/g, " ")
    out.push({
      node,
      rationale: `\`${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}\` builds the same ${built.kind === "formatter" ? "formatter" : "object"} on ${where}; its arguments are constant and it is only used in ways that keep no state, so one module-level instance can serve them all.`,
      benefit: loop ? Math.min(1, built.benefit + 0.1) : built.benefit,
      risk: "low",
      confidence: 0.8,
      edits: () => {
        const base = constantName(node, built)
        const name = freshName(file, base === built.name ? base : derivedName(base, "Shared"))
        const at = moduleInsertionPoint(file)
        return [
          { start: at.index, end: at.index, text: `${at.prefix}const ${name} = ${node.text}${semi(file)}${at.suffix}` },
          { start: node.startIndex, end: node.endIndex, text: name }
        ]
      }
    })
  }
  return out
}

/** A covered constructor with an argument that may be literal data (`new Set([`, `new Intl.X(`, …). */
const CONSTRUCTION = /new\s+(?:(?:TextDecoder|TextEncoder|Intl\s*\.\s*\w+)\s*\(|(?:Set|Map)\s*(?:<[^()]*?>\s*)?\(\s*\(*\s*\[)/g
/** Right before a `new`: `const name =` or `let name =` (a lexical declaration is never a brace-less loop body). */
const LEXICAL_DECLARATOR_BEFORE = /(?:^|[^\p{ID_Continue}$.])(?:const|let)\s+[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*\s*=\s*$/u

/** Whether the construction at `index` initializes a module-level `const`/`let` (built once already: never a finding). */
const isModuleConstant = (text: string, index: number): boolean =>
  LEXICAL_DECLARATOR_BEFORE.test(text.slice(Math.max(0, index - 200), index)) && isModuleLevelAt(text, index)

export const constantConstructor: Template = {
  id: "constant-constructor",
  kind: "performance",
  title: "Build a constant decoder, formatter or lookup set once per module",
  explanation:
    "Safety: the arguments are literal data, so every evaluation builds an equal instance; the instance keeps no state between the ways it is used (no streaming decode, only formatting, only lookups) and never escapes, so one module-level instance behaves like a fresh one per call. A constructor that throws on those arguments would now throw when the module loads.",
  // a Set or Map needs an array literal argument (an empty one, or one built from variables, is not constant)
  prefilter: (text) => {
    if (!(text.includes("Set") || text.includes("Map") || text.includes("Text") || text.includes("Intl"))) return false
    for (const m of text.matchAll(CONSTRUCTION)) if (!isModuleConstant(text, m.index)) return true
    return false
  },
  find
}
