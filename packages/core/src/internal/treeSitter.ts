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

interface NativeNode {
  readonly tree: { walk(): NativeCursor }
  readonly startIndex: number
  /** The binding keeps a node's identity in its first fields: 0 and 1 are the low and high words of `id`. */
  readonly [field: number]: number
}

/** A node's `id` read from its own fields: the `id` getter is a native call per access. */
const idOf = (node: NativeNode): number => node[0]! + node[1]! * 4294967296
interface NativeCursor {
  readonly currentNode: NativeNode
  gotoFirstChildForIndex(index: number): number | null
}

/**
 * tree-sitter stores no parent pointers: each `node.parent` searches down from the root, so walking
 * up from a node costs depth × path and dominated scan time. This getter finds a node's ancestors
 * with one cursor descent and remembers the parent of every node on the way (per tree), so the
 * walks the templates do (enclosing loop, function, statement) cost one descent per path.
 */
const installParentCache = (Parser: { SyntaxNode: { prototype: object } }): void => {
  const proto = Parser.SyntaxNode.prototype
  const native = Object.getOwnPropertyDescriptor(proto, "parent")?.get
  if (native === undefined) return
  const byTree = new WeakMap<object, Map<number, NativeNode | null>>()
  Object.defineProperty(proto, "parent", {
    configurable: true,
    get(this: NativeNode): NativeNode | null {
      let parents = byTree.get(this.tree)
      if (parents === undefined) {
        parents = new Map()
        byTree.set(this.tree, parents)
      }
      const id = idOf(this)
      const known = parents.get(id)
      if (known !== undefined) return known
      const cursor = this.tree.walk()
      const start = this.startIndex
      let parent: NativeNode | null = null
      for (let depth = 0; depth < 100_000; depth++) {
        const current = cursor.currentNode
        const currentId = idOf(current)
        if (!parents.has(currentId)) parents.set(currentId, parent)
        if (currentId === id) return parent
        if (cursor.gotoFirstChildForIndex(start) === null) break
        parent = current
      }
      // not on the descent path (e.g. a zero-width node): ask tree-sitter directly
      const direct = native.call(this) as NativeNode | null
      parents.set(id, direct)
      return direct
    }
  })
}

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
    const Parser = require("tree-sitter") as (new () => ParserInstance) & { SyntaxNode: { prototype: object } }
    if (parsers.size === 0) installParentCache(Parser)
    parser = new Parser()
    parser.setLanguage(grammarFor(language))
    parsers.set(language, parser)
  }
  return parser.parse(text, undefined, { bufferSize: Math.max(32 * 1024, text.length * 2 + 1024) })
}

/** One capture of a query match: the node and the name it was captured under. */
export interface QueryCapture {
  readonly name: string
  readonly node: SyntaxNode
}

/** A compiled tree-sitter query for one language. */
export interface CompiledQuery {
  matches(node: SyntaxNode): ReadonlyArray<{ readonly pattern: number; readonly captures: ReadonlyArray<QueryCapture> }>
  readonly captureNames: ReadonlyArray<string>
}

/** Compiles a tree-sitter query (S-expression source) for a language; throws tree-sitter's error when it is invalid. */
export const compileQuery = (source: string, language: Language): CompiledQuery => {
  const { Query } = require("tree-sitter") as { Query: new (language: unknown, source: string) => CompiledQuery }
  return new Query(grammarFor(language), source)
}
