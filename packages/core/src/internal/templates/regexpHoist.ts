/**
 * `regexp-hoist`: a regular expression built inside a loop or function from constant source
 * (a regex literal, or `new RegExp("…", "…")` / `RegExp("…")` with string-literal arguments) is
 * hoisted to a module-level constant created once.
 *
 * Safe when:
 * - the pattern and flags are literals (the regex is the same on every evaluation);
 * - the flags contain no `y`, and a `g` regex is used only as the pattern of `replace`/`replaceAll`/`match`/
 *   `search`/`split` (which start from and leave `lastIndex` at 0), never with `test`/`exec`: those carry
 *   `lastIndex` from one call to the next, so a shared instance would behave differently;
 * - the regex object never escapes: it is used only as the receiver of `.test(…)`/`.exec(…)` or as the
 *   first argument of `.match/.replace/.search/.split(…)`, directly or through a `const` used only that way
 *   (so nothing can compare its identity, mutate it or keep it);
 * - `RegExp` is not shadowed in the file.
 * The constant is inserted after the module's imports, before any other module code runs.
 *
 * Regex literals are reported with a low benefit: V8 compiles a literal's pattern once per site and
 * only creates a fresh object per evaluation, so hoisting one rarely beats noise and the ranking puts
 * them last. `new RegExp("…")` compiles (or looks up) the pattern on every call and keeps its benefit.
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { enclosingLoop } from "../dataflow/loops.js"
import { argumentsOf, enclosingFunction, methodName, parentOf, sameNode } from "../dataflow/nodes.js"
import { constDeclaratorOf, isShadowed, refsTo } from "../dataflow/scopes.js"
import { maskedCodeOf } from "../scan/textHeuristics.js"
import { isModuleLevelAt } from "./gates.js"
import { freshName, moduleInsertionPoint, semi } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

/** Regex literals are demoted: below `Scan.LOW_BENEFIT`, so they rank after every finding that can pay. */
const LITERAL_BENEFIT = 0.05

const STRING_ARG_METHODS = new Set(["match", "replace", "search", "split"])
/**
 * String methods that leave a `g` regex's `lastIndex` as they found it (0): `replace`/`replaceAll` and
 * `match` set it to 0 before they start and end at 0, `search` restores it, `split` works on a copy.
 */
const GLOBAL_SAFE_METHODS = new Set(["match", "replace", "replaceAll", "search", "split"])

/** A regex-building expression with constant pattern/flags; returns its flags or `null`. */
const constantRegexFlags = (file: FileInfo, node: SyntaxNode): string | null => {
  if (node.type === "regex") return node.childForFieldName("flags")?.text ?? ""
  if (node.type !== "new_expression" && node.type !== "call_expression") return null
  const callee = node.childForFieldName(node.type === "new_expression" ? "constructor" : "function")
  if (callee?.type !== "identifier" || callee.text !== "RegExp" || isShadowed(file, "RegExp")) return null
  if (node.childForFieldName("type_arguments")) return null
  const args = argumentsOf(node)
  if (args.length < 1 || args.length > 2) return null
  for (const arg of args) {
    if (arg.type !== "string") return null
  }
  if (args.length === 1) return ""
  // The flags literal must have no escapes, so its text is its value.
  const flags = args[1]!.text.slice(1, -1)
  return /^[a-z]*$/.test(flags) ? flags : null
}

/** Whether a regex value used at `node` cannot escape or be mutated (with `g`: no `test`/`exec`, whose `lastIndex` carries over). */
const isSafeUse = (node: SyntaxNode, global = false): boolean => {
  const parent = parentOf(node)
  if (!parent) return false
  if (parent.type === "member_expression") {
    let object = parent.childForFieldName("object")!
    while (object.type === "parenthesized_expression") object = object.namedChildren[0]!
    if (!sameNode(object, node)) return false
    const property = parent.childForFieldName("property")?.text
    const call = parent.parent
    return (
      !global &&
      (property === "test" || property === "exec") &&
      call !== null &&
      call.type === "call_expression" &&
      sameNode(call.childForFieldName("function"), parent)
    )
  }
  if (parent.type === "arguments") {
    const call = parent.parent
    if (call?.type !== "call_expression") return false
    const name = methodName(call)
    const first = argumentsOf(call)[0]
    let n = node
    while (n.parent && n.parent.type === "parenthesized_expression") n = n.parent
    return name !== null && (global ? GLOBAL_SAFE_METHODS : STRING_ARG_METHODS).has(name) && first !== undefined && sameNode(first, n)
  }
  return false
}

const upperSnake = (name: string): string =>
  name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9_$]/g, "_")
    .toUpperCase()

/** Characters after which a `/` starts a regex literal (an expression starts there). */
const REGEX_PRECEDERS = new Set([..."=(,:!&|?{};[>"].map((c) => c.charCodeAt(0)))
const REGEX_KEYWORD_BEFORE = /\b(?:return|typeof|void|yield|await|case|in|of|delete|throw|new)$/
/** The text before the `=` of a `const` declarator without a type annotation (`const re`, `…, re`). */
const CONST_DECLARATOR_BEFORE = /(?:\bconst\s+|,\s*)[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*\s*$/u
/** Right after a regex literal's flags (and closing parentheses): `.test(` or `.exec(`. */
const DIRECT_USE = /[a-z]*[\s)]*\.\s*(?:test|exec)\s*\(/y
/** Before the `(` that opens a regex argument: a string method taking a pattern, or an enclosing `(`/`=` (parenthesized). */
const STRING_METHOD_OR_PAREN_BEFORE = /(?:\.\s*(?:match|replace|replaceAll|search|split)|[(=])\s*$/
/** `RegExp(` with a whole string literal as its first argument (the pattern must be a literal). */
const REGEXP_OF_LITERAL = /\bRegExp\s*\(\s*(["'])(?:[^\\\n]|\\.)*?\1\s*[,)]/

/** From an opening `/`: a one-line body of plain characters, escapes and classes (which may hold `/`), and flags without `y`. */
const REGEX_BODY = /\/(?![/*])(?:[^/\\\n[]|\\.|\[(?:[^\]\\\n]|\\.)*\])+\/(?![a-z]*y)/y
/** A `g` among the flags right at the current position. */
const GLOBAL_FLAGS = /[a-z]*g/y

/**
 * Text gate: a regex literal whose flags have no `g`/`y`, after a token an expression can start after
 * (`=`, `(`, `,`, `return`, …), in code (not in a comment or string) and, when it initializes a `const`, not at
 * module level. Walks the `/` characters instead of running one pattern at every position.
 */
const hasHoistableRegexLiteral = (text: string): boolean => {
  for (let i = text.indexOf("/"); i !== -1; i = text.indexOf("/", i + 1)) {
    const next = text.charCodeAt(i + 1)
    if (next === 47 || next === 42) {
      i++
      continue
    }
    let j = i - 1
    while (j >= 0 && (text.charCodeAt(j) === 32 || (text.charCodeAt(j) >= 9 && text.charCodeAt(j) <= 13))) j--
    if (j < 0) continue
    const before = text.charCodeAt(j)
    if (!REGEX_PRECEDERS.has(before) && !REGEX_KEYWORD_BEFORE.test(text.slice(Math.max(0, j - 9), j + 1))) continue
    REGEX_BODY.lastIndex = i
    if (!REGEX_BODY.test(text)) continue
    // The uses `find` can hoist: `/re/.test(…)`/`.exec(…)` anywhere; the first argument of
    // `.match/.replace/.search/.split(`; the initializer of an unannotated `const`.
    GLOBAL_FLAGS.lastIndex = REGEX_BODY.lastIndex
    const global = GLOBAL_FLAGS.test(text)
    DIRECT_USE.lastIndex = REGEX_BODY.lastIndex
    const hoistable =
      (!global && DIRECT_USE.test(text)) ||
      // a `const` at module level is created once already (a declaration cannot be a brace-less loop body)
      (before === 61 /* = */ && CONST_DECLARATOR_BEFORE.test(text.slice(Math.max(0, j - 200), j)) && !isModuleLevelAt(text, i)) ||
      (before === 40 /* ( */ && STRING_METHOD_OR_PAREN_BEFORE.test(text.slice(Math.max(0, j - 40), j)))
    // not in a comment or a string (the masked code blanks those; a regex literal keeps its `/`)
    if (hoistable && maskedCodeOf(text).charCodeAt(i) === 47) return true
  }
  return false
}

const find = (file: FileInfo): Array<Finding> => {
  const out: Array<Finding> = []
  const constructed = file.identifiers("RegExp").flatMap((id) => {
    const parent = id.parent
    if (!parent) return []
    const field = parent.type === "new_expression" ? "constructor" : parent.type === "call_expression" ? "function" : null
    return field !== null && sameNode(parent.childForFieldName(field), id) ? [parent] : []
  })
  const candidates = [...file.nodes("regex"), ...constructed]
  for (const node of candidates) {
    const flags = constantRegexFlags(file, node)
    if (flags === null || flags.includes("y")) continue
    const global = flags.includes("g")
    // Used directly, or through a `const` whose every reference is a safe use (the local shape first: most
    // literals, e.g. property values of large tables, fail it, and walking up to the enclosing loop costs more).
    const direct = isSafeUse(node, global)
    const declarator = direct ? null : parentOf(node)
    if (!direct && declarator?.type !== "variable_declarator") continue
    const loop = enclosingLoop(node)
    const fn = enclosingFunction(node)
    if (!loop && !fn) continue
    let baseName = "RE"
    if (declarator !== null && declarator !== undefined) {
      const name = declarator.childForFieldName("name")
      if (name?.type !== "identifier" || declarator.childForFieldName("type")) continue
      let value = declarator.childForFieldName("value")
      while (value && value.type === "parenthesized_expression") value = value.namedChildren[0]!
      if (!sameNode(value, node) || !sameNode(constDeclaratorOf(file, name), declarator)) continue
      const refs = refsTo(file, name)
      if (refs.length === 0 || !refs.every((ref) => isSafeUse(ref, global))) continue
      const upper = upperSnake(name.text)
      baseName = /(?:RE|REGEX|REGEXP|PATTERN)$/.test(upper) ? upper : `${upper}_RE`
    }
    const where = loop ? "inside a loop" : "inside a function"
    const literal = node.type === "regex"
    const shown = node.text.length > 60 ? `${node.text.slice(0, 57)}...` : node.text
    out.push({
      node,
      // V8 compiles a literal once per site and only clones the object per evaluation: hoisting it rarely beats noise
      rationale: literal
        ? `${shown} creates a new RegExp object on every evaluation ${where}; V8 already caches the compiled pattern of a literal, so a module-level instance saves only that allocation (low benefit).`
        : `${shown} is rebuilt on every evaluation ${where}; its pattern and flags are constant, so one module-level instance can be reused.`,
      benefit: literal ? LITERAL_BENEFIT : loop ? 0.6 : 0.3,
      risk: "low",
      confidence: literal ? 0.5 : 0.85,
      edits: () => {
        const constName = freshName(file, baseName)
        const at = moduleInsertionPoint(file)
        const s = semi(file)
        return [
          { start: at.index, end: at.index, text: `${at.prefix}const ${constName} = ${node.text}${s}${at.suffix}` },
          { start: node.startIndex, end: node.endIndex, text: constName }
        ]
      }
    })
  }
  return out
}

export const regexpHoist: Template = {
  id: "regexp-hoist",
  kind: "performance",
  title: "Hoist a constant RegExp out of a loop/function",
  explanation:
    "Safety: the pattern and flags are literals without `g`/`y` (no `lastIndex` state), and the regex is only used by `.test/.exec` or as the pattern of `.match/.replace/.search/.split`, so sharing one instance cannot be observed.",
  // `RegExp("…"`, or a regex literal without `g`/`y` flags where an expression starts
  prefilter: (text) => (text.includes("RegExp") && REGEXP_OF_LITERAL.test(text)) || hasHoistableRegexLiteral(text),
  find
}
