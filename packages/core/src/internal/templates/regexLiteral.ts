/**
 * Reading regex literals whose pattern is plain text: the exact string a pattern like `foo\.bar` matches,
 * and the alternatives of an anchored alternation `^(?:a|b|c)$`. Anything with a meaning beyond literal
 * characters (classes, quantifiers, `.`, anchors inside, groups, escapes such as `\d`) answers `null`.
 */
import type { SyntaxNode } from "../treeSitter.js"
import type { FileInfo } from "../dataflow/fileInfo.js"
import { unparen } from "../dataflow/nodes.js"
import { resolve } from "../dataflow/scopes.js"

const SYNTAX = new Set([..."\\^$.|?*+()[]{}/"])
/** Escapes that stand for one literal character (the character itself, or a control character). */
const CONTROL: Readonly<Record<string, string>> = { n: "\n", r: "\r", t: "\t", f: "\f", v: "\v", "0": "\0" }

/** The string a regex pattern matches when it is a sequence of literal characters, else `null`. */
export const plainText = (pattern: string): string | null => {
  let out = ""
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === "\\") {
      const next = pattern[i + 1]
      if (next === undefined) return null
      i++
      if (CONTROL[next] !== undefined) {
        // `\0` followed by a digit is an octal-like escape: not plain
        if (next === "0" && /\d/.test(pattern[i + 1] ?? "")) return null
        out += CONTROL[next]
        continue
      }
      // an escaped syntax character (or `-`, `,`, `:` …) stands for itself; letters and digits are classes or references
      if (/[A-Za-z0-9]/.test(next)) return null
      out += next
      continue
    }
    if (SYNTAX.has(c)) return null
    out += c
  }
  return out
}

/** The regex literal `node` is, or the one a `const` that `node` names is bound to; else `null`. */
export const literalRegexOf = (file: FileInfo, node: SyntaxNode): SyntaxNode | null => {
  const n = unparen(node)
  if (n.type === "regex") return n
  if (n.type !== "identifier") return null
  const declarator = resolve(file, n)?.parent
  if (declarator?.type !== "variable_declarator" || declarator.parent?.children[0]?.type !== "const") return null
  const value = declarator.childForFieldName("value")
  return value?.type === "regex" ? value : null
}

/** The pattern and flags of a regex literal node. */
export const regexParts = (node: SyntaxNode): { pattern: string; flags: string } | null => {
  if (node.type !== "regex") return null
  const pattern = node.childForFieldName("pattern")?.text
  if (pattern === undefined) return null
  return { pattern, flags: node.childForFieldName("flags")?.text ?? "" }
}

/** The alternatives of `^(?:a|b|c)$` / `^(a|b|c)$` when each is plain text, else `null`. */
export const anchoredAlternatives = (pattern: string): Array<string> | null => {
  const m = /^\^\((?:\?:)?([\s\S]*)\)\$$/.exec(pattern)
  if (!m) return null
  const inner = m[1]!
  // split at top-level `|` (no groups are allowed inside, so every unescaped `|` is top level)
  const parts: Array<string> = []
  let current = ""
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!
    if (c === "\\") {
      current += c + (inner[i + 1] ?? "")
      i++
    } else if (c === "|") {
      parts.push(current)
      current = ""
    } else current += c
  }
  parts.push(current)
  const texts = parts.map(plainText)
  return texts.every((t): t is string => t !== null) ? texts : null
}
