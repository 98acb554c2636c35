/**
 * Finds the names of the functions a diff changes, to pick the benchmarks that measure them.
 */
import { parseSync } from "../../Diff.js"
import type { ParsedPatch } from "../../Patch.js"

const DECLARATION = [
  /\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)\s*[<(]/,
  /\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(?:async\s*)?(?:function\b|\(|[A-Za-z_$][\w$]*\s*=>)/,
  /^\s*(?:public\s+|private\s+|protected\s+|static\s+|async\s+)*([A-Za-z_$][\w$]*)\s*\([^)]*\)\s*(?::[^{]+)?\{\s*$/
]

/** Name of the closest declaration at or above `line` (0-based) in `lines`. */
const enclosing = (lines: ReadonlyArray<string>, line: number): string | null => {
  for (let i = Math.min(line, lines.length - 1); i >= 0; i--) {
    const text = lines[i] ?? ""
    for (const re of DECLARATION) {
      const m = re.exec(text)
      if (m?.[1] && !["if", "for", "while", "switch", "catch", "return"].includes(m[1])) return m[1]
    }
  }
  return null
}

/**
 * The function names enclosing the changed lines of `diff`, given the files' original contents.
 */
export const changedSymbols = (diff: string, readOriginal: (file: string) => string | null): Array<string> => {
  const names = new Set<string>()
  let parsed: ParsedPatch
  try {
    parsed = parseSync(diff)
  } catch {
    return []
  }
  for (const file of parsed.files) {
    if (file.oldPath === null) continue
    const text = readOriginal(file.oldPath)
    if (text === null) continue
    const lines = text.split("\n")
    for (const hunk of file.hunks) {
      let oldLine = hunk.oldStart - 1
      for (const l of hunk.lines) {
        if (l.type !== "context") {
          const name = enclosing(lines, oldLine)
          if (name) names.add(name)
        }
        if (l.type !== "add") oldLine++
      }
    }
  }
  return [...names]
}

/** Benchmarks whose name mentions one of the symbols (case-insensitive, word-ish match). */
export const relatedBenchmarks = (benchmarks: ReadonlyArray<string>, symbols: ReadonlyArray<string>): Array<string> =>
  benchmarks.filter((bench) =>
    symbols.some((symbol) => new RegExp(`(^|[^A-Za-z0-9_$])${symbol.replace(/\$/g, "\\$")}($|[^A-Za-z0-9_$])`, "i").test(bench))
  )
