// Seeded variants (TypeScript, functions and a class): request and path handling with regular expressions.
const HEX_ID = /^[0-9a-f]{24}$/i
const VERSION = /^v(\d+)\.(\d+)/

export function isObjectId(id: string): boolean {
  return id.match(HEX_ID) !== null // expect: match-test
}

export function activeLines(source: string): Array<string> {
  const out: Array<string> = []
  for (const line of source.split("\n")) {
    if (line.match(/^\s*#/)) continue // expect: match-test, regexp-hoist
    out.push(line)
  }
  return out
}

export function majorOf(tag: string): number {
  // the match array is read, not only tested
  const m = tag.match(VERSION) // unsafe: match-test
  return m ? Number(m[1]) : 0
}

export function isSafeMethod(method: string): boolean {
  return /^(?:GET|HEAD|OPTIONS)$/.test(method) // expect: alternation-set, regexp-hoist
}

export function toEnvKey(name: string): string {
  return "APP_" + name.toUpperCase().replace(/-/g, "_") // expect: replace-all, regexp-hoist
}

export function toPosix(path: string): string {
  return path.replace(/\\/g, "/") // expect: replace-all, regexp-hoist
}

export function isValidSlug(slug: string): boolean {
  const pattern = new RegExp("^[a-z0-9]+(?:-[a-z0-9]+)*$") // expect: regexp-hoist
  return pattern.test(slug)
}

export function countDirectives(lines: ReadonlyArray<string>): number {
  let n = 0
  for (const line of lines) if (new RegExp("^\\s*//\\s*@ts-").test(line)) n++ // expect: regexp-hoist
  return n
}

export function wordsOf(text: string): Array<string> {
  // `g` with `exec`: `lastIndex` carries over from one call to the next, a shared instance would resume mid-text
  const word = new RegExp("[\\p{L}']+", "gu") // unsafe: regexp-hoist
  const out: Array<string> = []
  for (let m = word.exec(text); m !== null; m = word.exec(text)) out.push(m[0])
  return out
}

export class Router {
  private readonly routes = new Map<string, string>()

  constructor(private readonly env: string) {}

  add(pattern: string, handler: string): void {
    this.routes.set(pattern.replace(/\/\//g, "/"), handler) // expect: replace-all, regexp-hoist
  }

  kind(path: string): "api" | "page" {
    return path.match(/^\/api\//) ? "api" : "page" // expect: match-test, regexp-hoist
  }

  verbose(): boolean {
    return /^(?:development|test|staging)$/.test(this.env) // expect: alternation-set, regexp-hoist
  }

  normalize(body: string): string {
    return body.replace(new RegExp("\\r\\n?", "g"), "\n") // expect: regexp-hoist
  }
}

// `v\d+` is not plain text (a class and a quantifier): the regex matches no fixed list of words
export const KNOWN_CHANNEL = /^(?:v\d+|latest|next)$/.test(process.env.CHANNEL ?? "latest") // unsafe: alternation-set

// `m` flag: `$` also matches before a newline, so "TODO\nmore" passes the regex but is not one of the words
export const HAS_MARKER = /^(?:TODO|FIXME|XXX)$/m.test(process.env.NOTES ?? "") // unsafe: alternation-set
