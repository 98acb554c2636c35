// Seeded variants (TypeScript, functions and a class): formatters, decoders, string splitting and object entries.
export function price(cents: number): string {
  return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(cents / 100) // expect: constant-constructor
}

export function decodeAll(chunks: ReadonlyArray<Uint8Array>): Array<string> {
  const out: Array<string> = []
  for (const chunk of chunks) out.push(new TextDecoder("utf-8").decode(chunk)) // expect: constant-constructor
  return out
}

export function isReserved(word: string): boolean {
  const reserved = new Set(["class", "enum", "export", "extends", "import", "super"]) // expect: constant-constructor
  return reserved.has(word)
}

export function stamp(at: Date): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", hour: "2-digit", minute: "2-digit" }).format(at) // expect: constant-constructor
}

export class Directory {
  private readonly collator = new Intl.Collator("en", { sensitivity: "base" }) // expect: constant-constructor

  sorted(names: ReadonlyArray<string>): Array<string> {
    return [...names].sort((a, b) => this.collator.compare(a, b))
  }

  owner(path: string): string {
    return path.split("/")[0] // expect: split-first
  }
}

export function host(url: string): string {
  return url.split(":")[0] // expect: split-first
}

export function mediaType(header: string): string {
  return header.split(/\s*;\s*/)[0].trim().toLowerCase() // expect: split-first, regexp-hoist
}

export const firstColumn = (line: string): string => line.split(`\t`)[0] // expect: split-first

export function settingNames(config: Record<string, unknown>): Array<string> {
  const names: Array<string> = []
  for (const [name] of Object.entries(config)) names.push(name) // expect: entries-unused
  return names
}

export function total(amounts: Record<string, number>): number {
  let sum = 0
  for (const [, amount] of Object.entries(amounts)) sum += amount // expect: entries-unused
  return sum
}

export function envNames(env: Record<string, string | undefined>): Array<string> {
  return Object.entries(env).map(([name]) => name.toUpperCase()) // expect: entries-unused
}

export function anyFailing(scores: Record<string, number>, pass: number): boolean {
  return Object.entries(scores).some(([, score]) => score < pass) // expect: entries-unused
}

// unsafe: each must stay silent
export function plainNumber(n: number): string {
  // no locale: the default one is read when the formatter is built and may differ from one call to the next
  return new Intl.NumberFormat().format(n) // unsafe: constant-constructor
}

export function day(at: Date): string {
  // no time zone: the process's zone can change while it runs
  return new Intl.DateTimeFormat("en-US", { dateStyle: "medium" }).format(at) // unsafe: constant-constructor
}

export function field(line: string, separator: string): string {
  // a separator from a variable: not a literal
  return line.split(separator)[0] // unsafe: split-first
}

export function shortKeys(config: Record<string, number>): Array<[string, number]> {
  // `filter` returns the pairs themselves: they escape
  return Object.entries(config).filter(([key]) => key.length < 4) // unsafe: entries-unused
}

export function labelled(config: Record<string, number>): Array<string> {
  // the callback also takes the index: only the pair parameter may be declared
  return Object.entries(config).map(([key], i) => `${i}: ${key}`) // unsafe: entries-unused
}
