/**
 * Shared tree-sitter parsers (one per language per thread), created lazily.
 * Native module: load it only where a parse is needed.
 */
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)

export type Language = "javascript" | "typescript" | "tsx" | "jsx"

// The tree-sitter typings are loose; keep the surface we use typed here.
export interface SyntaxNode {
  readonly type: string
  readonly text: string
  readonly startIndex: number
  readonly endIndex: number
  readonly startPosition: { row: number; column: number }
  readonly endPosition: { row: number; column: number }
  readonly parent: SyntaxNode | null
  readonly children: ReadonlyArray<SyntaxNode>
  readonly namedChildren: ReadonlyArray<SyntaxNode>
  readonly childCount: number
  readonly namedChildCount: number
  readonly hasError: boolean
  readonly isNamed: boolean
  childForFieldName(name: string): SyntaxNode | null
  childrenForFieldName(name: string): ReadonlyArray<SyntaxNode>
  descendantsOfType(type: string | ReadonlyArray<string>): ReadonlyArray<SyntaxNode>
}

export interface Tree {
  readonly rootNode: SyntaxNode
}

interface ParserInstance {
  setLanguage(language: unknown): void
  parse(input: string, oldTree?: unknown, options?: { bufferSize?: number }): Tree
}

const parsers = new Map<Language, ParserInstance>()

const grammarFor = (language: Language): unknown => {
  switch (language) {
    case "javascript":
    case "jsx":
      return require("tree-sitter-javascript")
    case "typescript":
      return require("tree-sitter-typescript").typescript
    case "tsx":
      return require("tree-sitter-typescript").tsx
  }
}

/** The language of a file by extension, or `null` when it is not JS/TS. */
export const languageOf = (path: string): Language | null => {
  if (/\.(?:[cm]?ts)$/.test(path) && !path.endsWith(".d.ts")) return "typescript"
  if (path.endsWith(".tsx")) return "tsx"
  if (path.endsWith(".jsx")) return "jsx"
  if (/\.(?:[cm]?js)$/.test(path)) return "javascript"
  return null
}

/** Parses source text. Large inputs get a buffer big enough to avoid tree-sitter's 32 KiB default limit. */
export const parse = (text: string, language: Language): Tree => {
  let parser = parsers.get(language)
  if (!parser) {
    const Parser = require("tree-sitter") as new () => ParserInstance
    parser = new Parser()
    parser.setLanguage(grammarFor(language))
    parsers.set(language, parser)
  }
  return parser.parse(text, undefined, { bufferSize: Math.max(32 * 1024, text.length * 2 + 1024) })
}
