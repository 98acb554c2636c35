/**
 * `dead-code`: a module-level declaration that is not exported and whose name appears nowhere else
 * in the file (not even in comments or strings) is removed, with its attached comments (tech-debt;
 * the validate stage's build/typecheck and tests confirm it).
 *
 * Safe when:
 * - the file is a module (ES `import`/`export`, or CommonJS `require`/`module.exports`/`exports.`), so
 *   top-level bindings are private to it (in a classic script they would be globals);
 * - the file contains no `eval`, `new Function` or `with`, which could reach the name dynamically;
 * - the declaration is a function (not overloaded), a class without decorators, `static` members or a
 *   computed heritage, a TS `type`/`interface`, or a `const`/`let` with one declarator whose initializer has
 *   no side effects (literals, functions, arrows, object/array literals of those);
 * - the declaration occupies whole lines (nothing else shares them).
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { unparen } from "../dataflow/nodes.js"
import { isModule } from "../dataflow/scopes.js"
import type { Finding, Template } from "./template.js"

/** An initializer whose evaluation has no observable effect. */
const isInert = (node: SyntaxNode): boolean => {
  const n = unparen(node)
  switch (n.type) {
    case "string":
    case "number":
    case "true":
    case "false":
    case "null":
    case "undefined":
    case "regex":
    case "arrow_function":
    case "function_expression":
    case "function":
      return true
    case "template_string":
      return !n.namedChildren.some((c) => c.type === "template_substitution")
    case "unary_expression":
      return ["-", "+", "!"].includes(n.children[0]?.type ?? "") && isInert(n.namedChildren[0]!)
    case "array":
      return n.namedChildren.every((c) => c.type === "comment" || isInert(c))
    case "object":
      return n.namedChildren.every((c) => {
        if (c.type === "comment" || c.type === "method_definition") return true
        if (c.type !== "pair") return false
        const key = c.childForFieldName("key")
        return key !== null && key.type !== "computed_property_name" && isInert(c.childForFieldName("value")!)
      })
    case "as_expression":
    case "satisfies_expression":
      return isInert(n.namedChildren[0]!)
    default:
      return false
  }
}

/** The name a removable declaration binds, or `null` when it is not removable. */
const declaredName = (stmt: SyntaxNode): SyntaxNode | null => {
  switch (stmt.type) {
    case "function_declaration":
    case "generator_function_declaration":
    case "type_alias_declaration":
    case "interface_declaration":
      return stmt.childForFieldName("name")
    case "class_declaration": {
      if (stmt.children.some((c) => c.type === "decorator")) return null
      const body = stmt.childForFieldName("body")
      if (!body || body.namedChildren.some((m) => m.type === "class_static_block" || m.children.some((c) => c.type === "static") || m.type === "decorator" || m.children.some((c) => c.type === "decorator"))) return null
      const heritage = stmt.namedChildren.find((c) => c.type === "class_heritage")
      if (heritage && !/^(?:extends|implements)\s+[\w$.]+(?:<[^()]*>)?(?:\s+implements\s+[\w$.,\s<>]+)?$/.test(heritage.text.trim())) return null
      return stmt.childForFieldName("name")
    }
    case "lexical_declaration": {
      const declarators = stmt.namedChildren.filter((c) => c.type === "variable_declarator")
      if (declarators.length !== 1) return null
      const name = declarators[0]!.childForFieldName("name")
      const value = declarators[0]!.childForFieldName("value")
      if (name?.type !== "identifier" || (value && !isInert(value))) return null
      return name
    }
    default:
      return null
  }
}

const DECLARATION = /[ \t]*(?:(?:async[ \t]+)?function[ \t]*\*?[ \t]*|class[ \t]+|(?:const|let)[ \t]+|(?:type|interface)[ \t]+)([\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*)/uy
const WORD_CHAR = /[\p{ID_Continue}$\u200c\u200d]/u

/** Whether the code point at `i` can continue an identifier (ASCII answered without a regex). */
const isWordCharAt = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i)
  if (Number.isNaN(c)) return false
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36
  // a low surrogate: look at the whole code point
  const at = c >= 0xdc00 && c <= 0xdfff && i > 0 ? i - 1 : i
  return WORD_CHAR.test(String.fromCodePoint(text.codePointAt(at)!))
}

/** Whether `name` occurs as a whole word at `i` (never glued to another identifier character). */
const isWordAt = (text: string, name: string, i: number): boolean =>
  (i === 0 || !isWordCharAt(text, i - 1)) && !isWordCharAt(text, i + name.length)

/**
 * Whether `name`, declared at `at`, occurs nowhere else in `text` as a whole word. Counts no more
 * often than `find`'s word tokenizer (a name glued to a preceding identifier character is not
 * counted), and searches outward from the declaration, where a used name is usually found.
 */
const occursOnlyAt = (text: string, name: string, at: number): boolean => {
  for (let i = text.indexOf(name, at + 1); i !== -1; i = text.indexOf(name, i + 1)) if (isWordAt(text, name, i)) return false
  for (let i = text.lastIndexOf(name, at - 1); i !== -1; i = i === 0 ? -1 : text.lastIndexOf(name, i - 1)) if (isWordAt(text, name, i)) return false
  return true
}

/**
 * Line starts that open a declaration; the name is then read with `DECLARATION`. Only unindented lines:
 * module-level statements start at column 0 in any usual layout (an indented one is not looked at),
 * which leaves out the many declarations inside functions.
 */
const DECLARATION_HEAD = "(?:async[ \\t]|function\\b|class[ \\t]|const[ \\t]|let[ \\t]|type[ \\t]|interface[ \\t])"
/** A declaration line after a newline (a pattern led by `(?:^|\n)` cannot skip ahead; the text's start is tried apart). */
const DECLARATION_LINE = new RegExp(`\\n${DECLARATION_HEAD}`, "g")
const DECLARATION_AT = new RegExp(DECLARATION_HEAD, "y")

/**
 * Text prefilter: some statement-level declaration whose name occurs only once in the whole text.
 * Every removable declaration starts its line and its name occurs once (see `find`), so a file
 * without one needs no parse.
 */
const hasLoneDeclaration = (text: string): boolean => {
  const checked = new Set<string>()
  // each line start (offset 0, then after every newline) that opens a declaration
  DECLARATION_AT.lastIndex = 0
  const first = DECLARATION_AT.test(text) ? [0] : []
  const rest = Array.from(text.matchAll(DECLARATION_LINE), (m) => m.index + 1)
  for (const start of [...first, ...rest]) {
    DECLARATION.lastIndex = start
    const m = DECLARATION.exec(text)
    if (m === null) continue
    const name = m[1]!
    if (checked.has(name)) continue
    checked.add(name)
    if (occursOnlyAt(text, name, m.index + m[0].length - name.length)) return true
  }
  return false
}

const MODULE_GATE = /\bimport\b|\bexport\b|\brequire\s*\(|\bmodule\.exports\b|\bexports\.[A-Za-z_$]/
const NO_ANALYSIS = /\beval\s*\(|\bnew\s+Function\b|\bwith\s*\(/
/** `NO_ANALYSIS.test(text)`, one alternative at a time (an alternation of `\b`-led words cannot skip ahead; each alone can). */
const needsNoAnalysis = (text: string): boolean =>
  /\beval\s*\(/.test(text) || (text.includes("Function") && /\bnew\s+Function\b/.test(text)) || (text.includes("with") && /\bwith\s*\(/.test(text))

const find = (file: FileInfo): Array<Finding> => {
  if (!isModule(file) || NO_ANALYSIS.test(file.text)) return []
  const out: Array<Finding> = []
  const statements = file.root.namedChildren
  // Every identifier-like word of the text (code, comments and strings alike), counted in one pass.
  let words: Map<string, number> | null = null
  const occurrences = (name: string): number => {
    if (!words) {
      words = new Map()
      for (const match of file.text.matchAll(/[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*/gu)) {
        words.set(match[0], (words.get(match[0]) ?? 0) + 1)
      }
    }
    return words.get(name) ?? 0
  }
  for (let i = 0; i < statements.length; i++) {
    const stmt = statements[i]!
    const name = declaredName(stmt)
    if (!name) continue
    if (occurrences(name.text) !== 1) continue
    // Whole lines only.
    const lineStart = file.text.lastIndexOf("\n", stmt.startIndex - 1) + 1
    if (file.text.slice(lineStart, stmt.startIndex).trim() !== "") continue
    let lineEnd = file.text.indexOf("\n", stmt.endIndex)
    if (lineEnd < 0) lineEnd = file.text.length
    // …a trailing line comment (`const TTL = 30 // seconds`) belongs to the declaration and goes with it
    const rest = file.text.slice(stmt.endIndex, lineEnd).trim()
    if (rest !== "" && !rest.startsWith("//")) continue
    // Attached comments: directly above, no blank line in between.
    let start = lineStart
    for (let j = i - 1; j >= 0; j--) {
      const c = statements[j]!
      if (c.type !== "comment" || /\n[ \t]*\n/.test(file.text.slice(c.endIndex, start))) break
      const cStart = file.text.lastIndexOf("\n", c.startIndex - 1) + 1
      if (file.text.slice(cStart, c.startIndex).trim() !== "") break
      start = cStart
    }
    out.push({
      node: stmt,
      rationale: `\`${name.text}\` is declared at module level, not exported, and never referenced in ${file.path}.`,
      benefit: 0.2,
      risk: "low",
      confidence: 0.6,
      edits: () => {
        let end = Math.min(lineEnd + 1, file.text.length)
        // Avoid leaving two blank lines where the declaration was.
        const before = file.text.slice(0, start)
        const blankBefore = start === 0 || /\n[ \t]*\n$/.test(before) || /^[ \t]*\n$/.test(before)
        const nextLineEnd = file.text.indexOf("\n", end)
        const nextLine = file.text.slice(end, nextLineEnd < 0 ? file.text.length : nextLineEnd + 1)
        if (blankBefore && /^[ \t]*\n?$/.test(nextLine) && nextLine.length > 0) end += nextLine.length
        return [{ start, end, text: "" }]
      }
    })
  }
  return out
}

export const deadCode: Template = {
  id: "dead-code",
  kind: "tech-debt",
  title: "Remove an unused module-level declaration",
  explanation:
    "Safety: the file is a module, the declaration is not exported and its name occurs nowhere else in the file (no eval/with), and its initializer has no side effects; the build, typecheck and tests of the validate stage confirm the removal.",
  // a module (see `isModule`), no `eval`/`with`, and an unindented declaration whose name occurs once
  prefilter: (text) =>
    MODULE_GATE.test(text) && !needsNoAnalysis(text) && hasLoneDeclaration(text),
  find
}
