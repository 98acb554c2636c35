/** Lines that look like comments (`#` or `//` after optional indentation). */
export function commentLines(lines: ReadonlyArray<string>): Array<string> {
  const out: Array<string> = []
  for (const line of lines) {
    if (new RegExp("^\\s*(#|//)").test(line)) {
      out.push(line)
    }
  }
  return out
}

/** Normalises a product name for search: lower case, single spaces, no punctuation. */
export function normalizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9 ]+/g, " ")
    .replace(/\s+/g, " ")
    .trim()
}

/** Lines that mention `word` as a whole word, ignoring case. */
export function mentioning(lines: ReadonlyArray<string>, word: string): Array<string> {
  return lines.filter((line) => new RegExp(`\\b${word}\\b`, "i").test(line))
}
