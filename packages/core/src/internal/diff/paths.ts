/**
 * Git path quoting: `"a/t\303\251st\tx"` ⇄ `a/tést\tx`.
 *
 * @internal
 */

const ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 }
const UNESCAPES: Record<number, string> = { 7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r", 34: '"', 92: "\\" }

const decoder = new TextDecoder("utf-8", { fatal: false })
const encoder = new TextEncoder()

/**
 * Reads a C-quoted string starting at `start` (which must be `"`).
 * Returns the decoded value and the index after the closing quote, or `null` when malformed.
 */
export const readQuoted = (s: string, start: number): { value: string; end: number } | null => {
  const bytes: Array<number> = []
  let i = start + 1
  while (i < s.length) {
    const c = s[i]
    if (c === '"') return { value: decoder.decode(new Uint8Array(bytes)), end: i + 1 }
    if (c === "\\") {
      const n = s[i + 1]
      if (n === undefined) return null
      if (n >= "0" && n <= "3" && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
        bytes.push(Number.parseInt(s.slice(i + 1, i + 4), 8))
        i += 4
        continue
      }
      const code = ESCAPES[n]
      if (code === undefined) return null
      bytes.push(code)
      i += 2
      continue
    }
    for (const b of encoder.encode(c)) bytes.push(b)
    i++
  }
  return null
}

/** Whether git would quote this path (core.quotePath on). */
export const needsQuote = (path: string): boolean => {
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i)
    if (code < 0x20 || code === 0x22 || code === 0x5c || code >= 0x7f) return true
  }
  return false
}

/** Quotes a path the way git does when needed. */
export const quote = (path: string): string => {
  if (!needsQuote(path)) return path
  let out = '"'
  for (const b of encoder.encode(path)) {
    const esc = UNESCAPES[b]
    if (esc !== undefined) out += `\\${esc}`
    else if (b < 0x20 || b >= 0x7f) out += `\\${b.toString(8).padStart(3, "0")}`
    else out += String.fromCharCode(b)
  }
  return `${out}"`
}

/**
 * Parses one path token at the start of `s` (quoted or the whole rest).
 */
export const unquoteWhole = (s: string): string | null => {
  if (s.startsWith('"')) {
    const q = readQuoted(s, 0)
    if (q === null || q.end !== s.length) return null
    return q.value
  }
  return s
}
