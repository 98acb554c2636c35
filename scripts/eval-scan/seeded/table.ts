// Seeded variants (TypeScript classes with typed fields, readonly arrays, type aliases).
type Column = "id" | "name" | "price" | "stock"

export class Table {
  private readonly hidden: ReadonlyArray<Column>
  private readonly order: Array<string>

  constructor(hidden: ReadonlyArray<Column>, order: Array<string>) {
    this.hidden = hidden
    this.order = order
  }

  visible(columns: ReadonlyArray<Column>): Array<Column> {
    const out: Array<Column> = []
    for (const c of columns) {
      if (this.hidden.indexOf(c) < 0) out.push(c) // expect: set-membership
    }
    return out
  }

  ranked(keys: ReadonlyArray<string>): Array<string> {
    // `shuffle` reverses the field in place: a Set built before the loop could go stale
    return keys.filter((k) => this.order.includes(k)) // unsafe: set-membership
  }

  shuffle(): void {
    this.order.reverse()
  }
}

export function pick(rows: ReadonlyArray<Record<string, unknown>>, fields: ReadonlyArray<string>): Array<Record<string, unknown>> {
  return rows.map((row) => {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(row)) if (fields.includes(key)) out[key] = row[key] // expect: set-membership
    return out
  })
}

export function money(amounts: ReadonlyArray<number>, currency: string): Array<string> {
  const out: Array<string> = []
  for (const a of amounts) out.push(new Intl.NumberFormat("en-US", { style: "currency", currency }).format(a)) // expect: loop-invariant
  return out
}

export function lines(text: string, stop: ReadonlyArray<string>): Array<string> {
  const words = text.split(/\s+/) // expect: regexp-hoist
  return words.filter((w) => !stop.includes(w)) // expect: set-membership
}

export async function slowCheck(items: ReadonlyArray<string>, allowed: Array<string>): Promise<number> {
  let n = 0
  for (const item of items) {
    await Promise.resolve()
    if (allowed.includes(item)) n++ // unsafe: set-membership
  }
  return n
}
