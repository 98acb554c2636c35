/**
 * The per-tree index every analysis starts from: a parsed file with text-driven lookups of nodes by
 * type, identifiers by name and method calls by method name (each computed on first use, then cached).
 */
import type { Language, SyntaxNode } from "../treeSitter.js"
import { wordOccurrences } from "./text.js"
import { sameNode } from "./nodes.js"

/** A parsed source file and its lazily built indexes. */
export interface FileInfo {
  readonly path: string
  readonly text: string
  readonly language: Language
  readonly root: SyntaxNode
  /** Nodes of one type (cached). */
  readonly nodes: (type: string) => ReadonlyArray<SyntaxNode>
  /** All `identifier`/shorthand identifier nodes with this name (cached). */
  readonly identifiers: (name: string) => ReadonlyArray<SyntaxNode>
  /** The `call_expression`s `<receiver>.<name>(…)` for these method names, in source order (cached). */
  readonly methodCalls: (names: ReadonlyArray<string>) => ReadonlyArray<SyntaxNode>
  /** The smallest node spanning [start, end). */
  readonly nodeAt: (start: number, end: number) => SyntaxNode
}

const IDENTIFIER_TYPES = new Set(["identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern"])

type IndexedNode = SyntaxNode & { namedDescendantForIndex(start: number, end: number): SyntaxNode }

/** The keyword every node of these types starts with (after an optional `async`). */
const KEYWORD_OF: Readonly<Record<string, string>> = {
  for_statement: "for",
  for_in_statement: "for",
  while_statement: "while",
  do_statement: "do",
  function_declaration: "function"
}
/** Nodes no regex literal can be inside of, skipped whole while looking for one. */
const NO_REGEX_INSIDE = new Set(["comment", "string", "regex"])

/**
 * The nodes of one type under `root`, in source order. For loops, function declarations and regex
 * literals the text drives the search (each keyword occurrence, or each `/`, is mapped to its node with
 * one native lookup): tree-sitter's own `descendantsOfType` visits every node of the file and cost more
 * than all the templates together. Other types fall back to it.
 */
export const nodesOfType = (root: SyntaxNode, text: string, type: string): Array<SyntaxNode> => {
  const indexed = root as IndexedNode
  const out: Array<SyntaxNode> = []
  if (type === "regex") {
    for (let i = text.indexOf("/", root.startIndex); i !== -1 && i < root.endIndex; i = text.indexOf("/", i + 1)) {
      const next = text.charCodeAt(i + 1)
      // a regex literal never starts with `//` or `/*`
      if (next === 47 || next === 42) continue
      const node = indexed.namedDescendantForIndex(i, i + 1)
      if (node.type === "regex" && node.startIndex === i) out.push(node)
      if (NO_REGEX_INSIDE.has(node.type) && node.endIndex - 1 > i) i = node.endIndex - 1
    }
    return out
  }
  const keyword = KEYWORD_OF[type]
  if (keyword === undefined) return [...root.descendantsOfType(type)]
  let last = -1
  for (const i of wordOccurrences(text, keyword)) {
    if (i < root.startIndex || i + keyword.length > root.endIndex) continue
    const node = indexed.namedDescendantForIndex(i, i + keyword.length)
    if (node.type === type && node.startIndex !== last) {
      out.push(node)
      last = node.startIndex
    }
  }
  return out
}

const infos = new WeakMap<object, FileInfo>()

/**
 * Builds (or reuses) the per-tree index. Lookups are driven by the text (a name's occurrences are
 * mapped to nodes with `descendantForIndex`), so a large file only pays for the names templates ask about.
 */
export const fileInfo = (path: string, text: string, language: Language, tree: { readonly rootNode: SyntaxNode }): FileInfo => {
  const cached = infos.get(tree)
  if (cached && cached.text === text) return cached
  const root = tree.rootNode as SyntaxNode & { descendantForIndex(start: number, end?: number): SyntaxNode }
  const byType = new Map<string, ReadonlyArray<SyntaxNode>>()
  const byName = new Map<string, ReadonlyArray<SyntaxNode>>()
  const byMethods = new Map<string, ReadonlyArray<SyntaxNode>>()
  const nodeAt = (start: number, end: number): SyntaxNode => root.descendantForIndex(start, end)
  const identifiers = (name: string): ReadonlyArray<SyntaxNode> => {
    let list = byName.get(name)
    if (list) return list
    const found: Array<SyntaxNode> = []
    for (const i of wordOccurrences(text, name)) {
      const node = nodeAt(i, i + name.length)
      if (IDENTIFIER_TYPES.has(node.type) && node.startIndex === i && node.endIndex === i + name.length) found.push(node)
    }
    list = found
    byName.set(name, list)
    return list
  }
  const info: FileInfo = {
    path,
    text,
    language,
    root,
    nodeAt,
    nodes: (type) => {
      let list = byType.get(type)
      if (!list) {
        list = nodesOfType(root, text, type)
        byType.set(type, list)
      }
      return list
    },
    identifiers,
    methodCalls: (names) => {
      const key = names.join("\0")
      let list = byMethods.get(key)
      if (list) return list
      const found: Array<SyntaxNode> = []
      for (const name of names) {
        for (const i of wordOccurrences(text, name)) {
          const property = nodeAt(i, i + name.length)
          if (property.type !== "property_identifier" || property.startIndex !== i || property.endIndex !== i + name.length) continue
          const member = property.parent
          if (member?.type !== "member_expression" || !sameNode(member.childForFieldName("property"), property)) continue
          const call = member.parent
          if (call && call.type === "call_expression" && sameNode(call.childForFieldName("function"), member)) found.push(call)
        }
      }
      found.sort((a, b) => a.startIndex - b.startIndex)
      list = found
      byMethods.set(key, list)
      return list
    }
  }
  infos.set(tree, info)
  return info
}
