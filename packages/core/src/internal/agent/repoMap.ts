/**
 * The repository map a model gets as context: per file, its functions, methods and classes with
 * their signatures and the calls they make, found with tree-sitter — rendered within a token budget,
 * files with hot functions and scan findings first.
 */
import { readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { walk } from "../scan/walk.js"
import { languageOf, parse, type SyntaxNode } from "../treeSitter.js"

/** A function-like symbol of a file. */
export interface MapSymbol {
  readonly name: string
  readonly kind: "function" | "method" | "class"
  /** 1-based lines. */
  readonly startLine: number
  readonly endLine: number
  /** The declaration up to its body, whitespace collapsed. */
  readonly signature: string
  /** Names this symbol calls (callee identifiers and method names), first seen first. */
  readonly calls: ReadonlyArray<string>
}

/** A file of the map. */
export interface MapFile {
  readonly path: string
  readonly lines: number
  readonly symbols: ReadonlyArray<MapSymbol>
}

/** A rough token count (4 characters per token), good enough for budgeting prompts. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4)

const MAX_FILE_BYTES = 256 * 1024
const MAX_FILES = 2_000

const collapse = (text: string, max = 160): string => {
  const one = text.replace(/\s+/g, " ").trim()
  return one.length > max ? `${one.slice(0, max - 1)}…` : one
}

const nameOf = (node: SyntaxNode): string | null => {
  const name = node.childForFieldName("name")
  if (name) return name.text
  // const f = () => …, const f = function () …
  const parent = node.parent
  if (parent?.type === "variable_declarator") return parent.childForFieldName("name")?.text ?? null
  if (parent?.type === "pair") return parent.childForFieldName("key")?.text ?? null
  if (parent?.type === "assignment_expression") return parent.childForFieldName("left")?.text ?? null
  return null
}

const signatureOf = (node: SyntaxNode, source: string): string => {
  const body = node.childForFieldName("body")
  let start = node.startIndex
  // Include `const name = ` / `export` for arrow functions and exported declarations.
  const declarator = node.parent?.type === "variable_declarator" ? node.parent.parent : null
  if (declarator && (declarator.type === "lexical_declaration" || declarator.type === "variable_declaration")) start = declarator.startIndex
  if (node.parent?.type === "export_statement") start = node.parent.startIndex
  if (declarator?.parent?.type === "export_statement") start = declarator.parent.startIndex
  const end = body ? body.startIndex : node.endIndex
  return collapse(source.slice(start, end).replace(/=>\s*$/, "=>"))
}

const callsIn = (node: SyntaxNode): Array<string> => {
  const names: Array<string> = []
  for (const call of node.descendantsOfType(["call_expression", "new_expression"])) {
    const callee = call.childForFieldName("function") ?? call.childForFieldName("constructor")
    if (callee === null) continue
    const name =
      callee.type === "identifier"
        ? callee.text
        : callee.type === "member_expression"
          ? (callee.childForFieldName("property")?.text ?? null)
          : null
    if (name && !names.includes(name)) names.push(name)
    if (names.length >= 12) break
  }
  return names
}

const FUNCTION_TYPES = ["function_declaration", "generator_function_declaration", "method_definition", "arrow_function", "function_expression", "function", "class_declaration"]

/** The symbols of one source text. */
export const symbolsOf = (path: string, source: string): Array<MapSymbol> => {
  const language = languageOf(path)
  if (language === null) return []
  const root = parse(source, language).rootNode
  const out: Array<MapSymbol> = []
  for (const node of root.descendantsOfType(FUNCTION_TYPES)) {
    const name = nameOf(node)
    if (name === null) continue
    // Anonymous callbacks are part of their enclosing function, not symbols of their own.
    if ((node.type === "arrow_function" || node.type === "function_expression" || node.type === "function") && node.parent?.type === "arguments") continue
    const kind = node.type === "class_declaration" ? "class" : node.type === "method_definition" ? "method" : "function"
    out.push({
      name,
      kind,
      startLine: node.startPosition.row + 1,
      endLine: node.endPosition.row + 1,
      signature: kind === "class" ? collapse(`class ${name}`) : signatureOf(node, source),
      calls: kind === "class" ? [] : callsIn(node)
    })
  }
  return out
}

/** The map of a repository's source files (sorted by path). */
export const mapRepository = (root: string, options: { readonly include?: ReadonlyArray<string>; readonly exclude?: ReadonlyArray<string> } = {}): Array<MapFile> => {
  const { files } = walk(root, options)
  const out: Array<MapFile> = []
  for (const entry of files.slice(0, MAX_FILES)) {
    try {
      if (statSync(entry.absolute).size > MAX_FILE_BYTES) continue
      const text = readFileSync(entry.absolute, "utf8")
      out.push({ path: entry.path, lines: text.split("\n").length, symbols: symbolsOf(entry.path, text) })
    } catch {
      // unreadable files are left out of the map
    }
  }
  return out
}

/**
 * Renders the map within `budgetTokens`: `focus` files first (in the given order), then files
 * that call a focus symbol, then the rest by size. Says how many files it left out.
 */
export const renderMap = (files: ReadonlyArray<MapFile>, options: { readonly focus: ReadonlyArray<string>; readonly focusSymbols: ReadonlyArray<string>; readonly budgetTokens: number }): string => {
  const rank = new Map<string, number>()
  for (const [i, f] of options.focus.entries()) if (!rank.has(f)) rank.set(f, i)
  const callsFocus = (f: MapFile) => f.symbols.some((s) => s.calls.some((c) => options.focusSymbols.includes(c)))
  const ordered = [...files].sort((a, b) => {
    const ra = rank.get(a.path) ?? (callsFocus(a) ? 10_000 : 20_000)
    const rb = rank.get(b.path) ?? (callsFocus(b) ? 10_000 : 20_000)
    return ra - rb || b.symbols.length - a.symbols.length || a.path.localeCompare(b.path)
  })
  const out: Array<string> = []
  let used = 0
  let omitted = 0
  for (const file of ordered) {
    const lines = [`${file.path} (${file.lines} lines)`]
    for (const s of file.symbols) {
      lines.push(`  L${s.startLine}-${s.endLine} ${s.signature}${s.calls.length > 0 ? `  → calls ${s.calls.join(", ")}` : ""}`)
    }
    const block = lines.join("\n")
    const cost = estimateTokens(block) + 1
    if (used + cost > options.budgetTokens) {
      omitted++
      continue
    }
    used += cost
    out.push(block)
  }
  if (omitted > 0) out.push(`… ${omitted} more file(s) left out to stay within ${options.budgetTokens} tokens`)
  return out.join("\n")
}

/** The source lines `start..end` (1-based, inclusive) of a file, numbered. */
export const numberedSlice = (root: string, file: string, start: number, end: number): string | null => {
  try {
    const lines = readFileSync(join(root, file), "utf8").split("\n")
    const from = Math.max(1, start)
    const to = Math.min(lines.length, end)
    const width = String(to).length
    return lines
      .slice(from - 1, to)
      .map((l, i) => `${String(from + i).padStart(width)}| ${l}`)
      .join("\n")
  } catch {
    return null
  }
}
