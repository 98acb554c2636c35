/**
 * `string-join`: `s += part` repeated in a loop → parts collected in an array and joined once after
 * the loop (`s += parts.join("")`).
 *
 * Safe when:
 * - `s` is a `let` (single binding in the file) initialised with a string literal or template, declared
 *   in the same block as the loop and before it;
 * - inside the loop `s` is only appended to, as whole statements `s += part`, and every other reference
 *   comes after the loop — none in nested functions, so nothing can read `s` while the loop runs;
 * - every `part` is provably a primitive that is not `null`/`undefined` (string/number literals, templates,
 *   arithmetic, `String(…)`, a name or field whose written type is `string` — a TS or JSDoc declaration,
 *   or the variable of a `for (const x of xs)` over an `xs` declared `string[]` —, …), so `join` (which renders `null`/`undefined` as "") stringifies it exactly
 *   like `+=` does;
 * - the loop has no labelled `break`/`continue` and sits in no `try` block of its function, so control
 *   always reaches the join before any later read of `s`.
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { LOOP_TYPES } from "../dataflow/loops.js"
import { enclosingFunction, isFunction, sameNode, unparen, within } from "../dataflow/nodes.js"
import { isShadowed, refsTo, resolve } from "../dataflow/scopes.js"
import { isStringValue } from "../dataflow/types.js"
import { derivedName, freshName, indentAt, isTs, semi } from "./rewrite.js"
import type { Finding, Template } from "./template.js"

const ARITHMETIC = new Set(["+", "-", "*", "/", "%", "**", "&", "|", "^", "<<", ">>", ">>>"])

/** Whether evaluating `node` always gives a primitive other than null/undefined. */
const isNonNullPrimitive = (file: FileInfo, node: SyntaxNode): boolean => {
  const n = unparen(node)
  switch (n.type) {
    case "string":
    case "number":
    case "template_string":
    case "true":
    case "false":
      return true
    case "binary_expression":
      return ARITHMETIC.has(n.childForFieldName("operator")?.type ?? "")
    case "unary_expression":
      return ["-", "+", "~", "!", "typeof"].includes(n.children[0]?.type ?? "")
    case "ternary_expression":
      return isNonNullPrimitive(file, n.childForFieldName("consequence")!) && isNonNullPrimitive(file, n.childForFieldName("alternative")!)
    case "call_expression": {
      const callee = n.childForFieldName("function")
      return callee?.type === "identifier" && callee.text === "String" && !isShadowed(file, "String") && n.childForFieldName("arguments")?.namedChildCount === 1
    }
    case "identifier":
    case "member_expression":
      return isStringValue(file, n)
    default:
      return false
  }
}

/** The `s += part` statement's append node, when `ref` is its left side. */
const appendOf = (ref: SyntaxNode): SyntaxNode | null => {
  const assign = ref.parent
  if (assign?.type !== "augmented_assignment_expression") return null
  if (!sameNode(assign.childForFieldName("left"), ref) || assign.childForFieldName("operator")?.type !== "+=") return null
  return assign.parent?.type === "expression_statement" ? assign : null
}

const hasUnsafeControlFlow = (loop: SyntaxNode): boolean =>
  loop
    .descendantsOfType(["break_statement", "continue_statement"])
    .some((s) => s.childForFieldName("label") !== null || s.namedChildren.some((c) => c.type === "statement_identifier"))

/** The name written right before `+=` at `at` (spaces and tabs allowed), or "". */
const appendedNameAt = (text: string, at: number): string => {
  let end = at
  while (end > 0 && (text[end - 1] === " " || text[end - 1] === "\t")) end--
  let start = end
  while (start > 0 && /[\w$]/.test(text[start - 1]!)) start--
  return text.slice(start, end)
}

/** The `let` statements of a text up to their first `;`: joined by `;` (a string literal cannot start across them), and where each starts. */
interface LetHeads {
  readonly joined: string
  /** For each head: its offset in `joined` and in the text. */
  readonly inJoined: ReadonlyArray<number>
  readonly inText: ReadonlyArray<number>
}

const letHeadsOf = (text: string): LetHeads => {
  const parts: Array<string> = []
  const inJoined: Array<number> = []
  const inText: Array<number> = []
  let length = 0
  for (const m of text.matchAll(/\blet\b[^;]*/g)) {
    inJoined.push(length)
    inText.push(m.index)
    parts.push(m[0])
    length += m[0].length + 1
  }
  return { joined: parts.join(";"), inJoined, inText }
}

/**
 * Where the first `let` that may declare `name` with a string literal or template starts (`let name = "…"`,
 * `let a = 1, name: string = '…'`), or -1; looks only at the `let` heads (computed once per file).
 */
const stringLetOf = (lets: () => LetHeads, name: string): number => {
  const { joined, inJoined, inText } = lets()
  for (let i = joined.indexOf(name); i !== -1; i = joined.indexOf(name, i + 1)) {
    if (i > 0 && /[\w$.]/.test(joined[i - 1]!)) continue
    STRING_INITIALIZER.lastIndex = i + name.length
    if (!STRING_INITIALIZER.test(joined)) continue
    let k = 0
    while (k + 1 < inJoined.length && inJoined[k + 1]! <= i) k++
    return inText[k]!
  }
  return -1
}

/** After a name: `= "…"`, `= '…'` or a template, with an optional type annotation. */
const STRING_INITIALIZER = /\s*(?::[^=;(){}\n]*)?=\s*\(*\s*["'`]/y

const once = <A>(f: () => A): (() => A) => {
  let value: { a: A } | undefined
  return () => (value ??= { a: f() }).a
}

const LOOP_KEYWORD = /\b(?:for|while|do)\b/g

/**
 * Text gate: some `x += …` where `x` may be a `let` given a string literal earlier, with a loop keyword
 * between that declaration and the append (the append must sit in a loop after the declaration).
 */
const mayAppendToString = (text: string): boolean => {
  if (!text.includes("+=") || !/\blet\b[^;]*?=\s*\(*\s*["'`]/.test(text)) return false
  const declared = new Map<string, number>()
  const lets = once(() => letHeadsOf(text))
  for (let i = text.indexOf("+="); i !== -1; i = text.indexOf("+=", i + 2)) {
    const name = appendedNameAt(text, i)
    if (name === "") continue
    let at = declared.get(name)
    if (at === undefined) {
      at = stringLetOf(lets, name)
      declared.set(name, at)
    }
    if (at === -1 || at > i) continue
    LOOP_KEYWORD.lastIndex = at
    const loop = LOOP_KEYWORD.exec(text)
    if (loop !== null && loop.index < i) return true
  }
  return false
}

const find = (file: FileInfo): Array<Finding> => {
  const out: Array<Finding> = []
  const done = new Set<number>()
  const candidates: Array<SyntaxNode> = []
  // Only names ever given a string literal qualify: a text check before any tree lookup.
  const stringInitialized = new Map<string, boolean>()
  const lets = once(() => letHeadsOf(file.text))
  for (let i = file.text.indexOf("+="); i !== -1; i = file.text.indexOf("+=", i + 2)) {
    const name = appendedNameAt(file.text, i)
    if (name === "") continue
    let known = stringInitialized.get(name)
    if (known === undefined) {
      known = stringLetOf(lets, name) !== -1
      stringInitialized.set(name, known)
    }
    if (!known) continue
    const token = file.nodeAt(i, i + 2)
    const assign = token.type === "augmented_assignment_expression" ? token : token.parent
    if (assign && assign.type === "augmented_assignment_expression" && assign.childForFieldName("operator")?.startIndex === i) candidates.push(assign)
  }
  if (candidates.length === 0) return out
  // (declaration, loop) pairs already judged: every append of one string in one loop gets the same answer
  const judged = new Set<string>()
  for (const assign of candidates) {
    const left = assign.childForFieldName("left")
    if (left?.type !== "identifier" || !appendOf(left)) continue
    const name = left.text
    const binding = resolve(file, left)
    if (!binding) continue
    const declarator = binding.parent!
    if (declarator.type !== "variable_declarator" || !sameNode(declarator.childForFieldName("name"), binding)) continue
    const declaration = declarator.parent!
    if (declaration.type !== "lexical_declaration" || declaration.children[0]?.type !== "let") continue
    if (done.has(declaration.startIndex)) continue
    const init = declarator.childForFieldName("value")
    if (!init || !["string", "template_string"].includes(unparen(init).type)) continue
    const block = declaration.parent
    if (!block || (block.type !== "statement_block" && block.type !== "program")) continue
    // The loop: the statement of `block` containing this append.
    let loop: SyntaxNode | null = assign
    while (loop && !sameNode(loop.parent, block)) loop = loop.parent
    if (!loop || !LOOP_TYPES.has(loop.type) || loop.startIndex < declaration.endIndex) continue
    const pair = `${declaration.startIndex}:${loop.startIndex}`
    if (judged.has(pair)) continue
    judged.add(pair)
    const home = enclosingFunction(declaration)
    const refs = refsTo(file, binding)
    const appends: Array<SyntaxNode> = []
    let ok = true
    for (const ref of refs) {
      if (!sameNode(enclosingFunction(ref), home)) ok = false
      else if (within(ref, loop)) {
        const append = appendOf(ref)
        if (!append || !isNonNullPrimitive(file, append.childForFieldName("right")!)) ok = false
        else appends.push(append)
      } else if (ref.startIndex < loop.endIndex) ok = false
      if (!ok) break
    }
    if (!ok || appends.length === 0 || hasUnsafeControlFlow(loop)) continue
    // No enclosing try (within the function): an exception could expose `s` to a catch/finally.
    let p: SyntaxNode | null = loop.parent
    while (p && !isFunction(p)) {
      if (p.type === "try_statement") ok = false
      p = p.parent
    }
    if (!ok) continue
    done.add(declaration.startIndex)
    const theLoop = loop
    out.push({
      node: appends[0]!,
      rationale: `\`${name}\` grows by \`+=\` on every iteration of the loop at line ${theLoop.startPosition.row + 1}; collecting the parts and joining once avoids building an intermediate string per iteration.`,
      benefit: 0.4,
      risk: "low",
      confidence: 0.6,
      edits: () => {
        const parts = freshName(file, derivedName(name, "Parts"))
        const indent = indentAt(file.text, theLoop.startIndex)
        const s = semi(file)
        return [
          { start: theLoop.startIndex, end: theLoop.startIndex, text: `const ${parts}${isTs(file) ? ": Array<unknown>" : ""} = []${s}\n${indent}` },
          ...appends.map((a) => ({ start: a.startIndex, end: a.endIndex, text: `${parts}.push(${a.childForFieldName("right")!.text})` })),
          { start: theLoop.endIndex, end: theLoop.endIndex, text: `\n${indent}${name} += ${parts}.join("")${s}` }
        ]
      }
    })
  }
  return out
}

export const stringJoin: Template = {
  id: "string-join",
  kind: "performance",
  title: "Join string parts once instead of `+=` in a loop",
  explanation:
    "Safety: the string is a local `let` only appended to inside the loop and read only after it (never from closures), every appended value is a non-null primitive so `join` renders it exactly like `+=`, and no labelled jump or enclosing `try` can skip the final join.",
  // an append, and a `let` given a string literal somewhere
  prefilter: mayAppendToString,
  find
}
