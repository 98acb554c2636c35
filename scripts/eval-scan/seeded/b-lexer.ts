// Seeded variants (TypeScript, a lexer class and functions): character classes and strings built in loops.
export function countVowels(word: string): number {
  let n = 0
  for (const ch of word) if ("aeiouAEIOU".includes(ch)) n++ // expect: char-set
  return n
}

export function isOperatorAt(expr: string, i: number): boolean {
  return "+-*/%^".indexOf(expr[i]) !== -1 // expect: char-set
}

export function skipDigits(text: string, from: number): number {
  let i = from
  while (i < text.length && "0123456789".includes(text[i])) i++ // expect: char-set
  return i
}

export function isFlagSet(flags: string): boolean {
  // `flags` may be several characters: "gi" is a substring of "dgimsuy" but not one of its characters
  return "dgimsuy".includes(flags) // unsafe: char-set
}

export class Lexer {
  private pos = 0

  constructor(private readonly source: string) {}

  atPunctuation(): boolean {
    return "()[]{},;".includes(this.source[this.pos]) // expect: char-set
  }

}

export function queryString(params: ReadonlyMap<string, string>): string {
  let query = ""
  for (const [key, value] of params) query += `&${encodeURIComponent(key)}=${encodeURIComponent(value)}` // expect: string-join
  return query.slice(1)
}

export function ruler(cells: number, width: number): string {
  let row = "|"
  for (let i = 0; i < cells; i++) {
    row += "-".repeat(width) + "|" // expect: string-join
  }
  return row
}

export function concatLines(lines: ReadonlyArray<string>): string {
  let body = ""
  for (const line of lines) body += line // expect: string-join
  return body
}

export class Report {
  constructor(
    private readonly headers: ReadonlyArray<string>,
    private readonly rows: ReadonlyArray<ReadonlyArray<number>>
  ) {}

  toCsv(): string {
    let csv = `${this.headers.join(",")}\n`
    for (const row of this.rows) {
      csv += row.map((n) => n.toFixed(2)).join(",") + "\n" // expect: string-join
    }
    return csv
  }
}

export function orderedList(items: ReadonlyArray<number>): string {
  let html = "<ol>"
  try {
    // the loop sits in a `try`: the `catch` could read a half-built string that the join never completed
    for (const item of items) html += `<li>${item.toFixed(0)}</li>` // unsafe: string-join
  } catch {
    return html
  }
  return html + "</ol>"
}
