// Seeded variants (TypeScript, functions and a class): shapes of settings-driven loops.
export interface Limit {
  readonly field: string
  readonly max: number
}

export function overLimit(rows: ReadonlyArray<Record<string, number>>, limitsJson: string): number {
  let n = 0
  for (const row of rows) {
    const limits: Array<Limit> = JSON.parse(limitsJson) // expect: loop-invariant
    if (limits.some((l) => (row[l.field] ?? 0) > l.max)) n++
  }
  return n
}

export function labels(dates: ReadonlyArray<Date>, locale: string, timeZone: string): Array<string> {
  return dates.map((d) => new Intl.DateTimeFormat(locale, { timeZone, dateStyle: "medium" }).format(d)) // expect: loop-invariant
}

export function weighted(items: ReadonlyArray<Record<string, number>>, weights: Record<string, number>): number {
  let total = 0
  for (const item of items) {
    for (const key of Object.keys(weights)) total += (item[key] ?? 0) * (weights[key] ?? 0) // expect: loop-invariant
  }
  return total
}

export function byPrefix(names: ReadonlyArray<string>, prefix: string): Array<string> {
  return names.filter((name) => new RegExp(`^${prefix}[-_]`, "i").test(name)) // expect: loop-invariant
}

export function tagged(posts: ReadonlyArray<{ tags: ReadonlyArray<string> }>, wanted: ReadonlyArray<string>): number {
  return posts.filter((p) => p.tags.some((t) => wanted.includes(t))).length // expect: set-membership
}

export function known(codes: ReadonlyArray<string>, valid: Array<string>): Array<string> {
  const out: Array<string> = []
  for (const code of codes) if (valid.indexOf(code) !== -1) out.push(code) // expect: set-membership
  return out
}

export class Settings {
  constructor(
    private readonly raw: string,
    private readonly reserved: ReadonlyArray<string>
  ) {}

  thresholds(values: ReadonlyArray<number>): Array<boolean> {
    return values.map((v) => v > JSON.parse(this.raw).threshold) // expect: loop-invariant
  }

  free(names: ReadonlyArray<string>): Array<string> {
    return names.filter((n) => !this.reserved.includes(n)) // expect: set-membership
  }
}

// unsafe: each must stay silent
export function stamped(rows: ReadonlyArray<{ id: number }>, templateJson: string): Array<{ id: number }> {
  return rows.map((row) => {
    const record = JSON.parse(templateJson) // unsafe: loop-invariant
    record.id = row.id
    return record
  })
}

export function numbers(xs: ReadonlyArray<number>, known: ReadonlyArray<number>): number {
  return xs.filter((x) => known.indexOf(x) !== -1).length // unsafe: set-membership
}

export function growing(xs: ReadonlyArray<string>, seen: Array<string>): number {
  for (const x of xs) if (!seen.includes(x)) seen.push(x) // unsafe: set-membership
  return seen.length
}
