// Seeded variants (TypeScript, generics, optional results, switch-based reducers): record processing.
export type Op = { readonly kind: "add" | "remove" | "skip"; readonly key: string; readonly value: number }
export interface Row {
  readonly id: number
  readonly header: boolean
  readonly cells: ReadonlyArray<string>
  readonly attrs: Readonly<Record<string, string>>
}

export function apply(ops: ReadonlyArray<Op>): Array<string> {
  return ops.reduce((keys: Array<string>, op) => {
    switch (op.kind) {
      case "add":
        return [...keys, op.key] // expect: reduce-spread
      case "remove":
        return keys
      default:
        return keys
    }
  }, [])
}

export function attributes(rows: ReadonlyArray<Row>): Record<string, string> {
  return rows.reduce<Record<string, string>>((all, row) => ({ ...all, ...row.attrs }), {}) // expect: reduce-spread
}

export function nonEmpty(rows: ReadonlyArray<Row>): Record<number, ReadonlyArray<string>> {
  return rows.reduce((acc, { id, cells }) => (cells.length === 0 ? acc : { ...acc, [id]: cells }), {} as Record<number, ReadonlyArray<string>>) // expect: reduce-spread
}

const isHeader = (row: Row): boolean => row.header && row.cells.length > 0

export function headerRow(rows: Array<Row>): Row | undefined {
  return rows.filter(isHeader)[0] // expect: filter-first
}

export function cellOf(rows: ReadonlyArray<Row>, id: number): string | undefined {
  return rows.filter(({ id: rowId }) => rowId === id)[0]?.cells[0] // expect: filter-first
}

export function firstAttr(row: Row, prefix: string): string | undefined {
  return Object.values(row.attrs).filter((v) => v.startsWith(prefix))[0] // expect: filter-first
}

export function noHeaders(rows: ReadonlyArray<Row>): boolean {
  return rows.filter(isHeader).length === 0 // expect: filter-length
}

export function drain(queue: Array<Row>, done: (row: Row) => void): void {
  while (queue.filter((row) => !row.header).length) done(queue.shift()!) // expect: filter-length
}

export function firstEntry(index: Map<string, Row>): [string, Row] | undefined {
  return [...index][0] // expect: first-of-iterable
}

export function someId(ids: ReadonlySet<number>): number | undefined {
  return Array.from(ids)[0] // expect: first-of-iterable
}

export function firstKnown(): string | undefined {
  const known = new Set<string>(["id", "name"]) // expect: constant-constructor
  return [...known.values()][0] // expect: first-of-iterable
}

export function majorVersion(version: string): number {
  return Number(version.replace(/^v/, "").split(".")[0]) // expect: split-first, regexp-hoist
}

export function initials(fullName: string | undefined): string {
  return `${(fullName ?? "").split(" ")[0].charAt(0)}` // expect: split-first
}

export function weights(table: Record<string, number>): Array<number> {
  return Object.entries(table).map(([, weight]: [string, number]) => weight * 2) // expect: entries-unused
}

export function columns(row: Row): Array<string> {
  const out: Array<string> = []
  for (const [name, value] of Object.entries(row.attrs)) out.push(name.toLowerCase()) // expect: entries-unused
  return out
}

export class Formatter {
  #percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 }) // expect: constant-constructor

  ratio(part: number, whole: number): string {
    return this.#percent.format(part / whole)
  }

  ordered(names: Array<string>): Array<string> {
    return names.sort(new Intl.Collator("de").compare) // expect: constant-constructor
  }

  ago(seconds: ReadonlyArray<number>): Array<string> {
    const out: Array<string> = []
    for (const s of seconds) out.push(new Intl.RelativeTimeFormat("en", { numeric: "auto" }).format(-s, "second")) // expect: constant-constructor
    return out
  }
}

export function utf16(bytes: Uint8Array): string {
  return new TextDecoder("utf-16le", { fatal: true }).decode(bytes) // expect: constant-constructor
}

export function allowed(methods: ReadonlyArray<string>): Array<string> {
  const safe = new Set(["GET", "HEAD", "OPTIONS"]) // expect: constant-constructor
  return methods.filter((m) => safe.has(m.toUpperCase()))
}
