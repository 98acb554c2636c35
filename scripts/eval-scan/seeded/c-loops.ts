// Seeded variants (TypeScript, functions and a class): Object.keys().forEach and for…in over arrays.
export interface Row {
  readonly amount: number
  readonly label: string
}

export function lowerCaseHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  Object.keys(headers).forEach((name) => { // expect: for-of
    out[name.toLowerCase()] = headers[name] ?? ""
  })
  return out
}

export function total(rows: ReadonlyArray<Row>): number {
  let sum = 0
  for (const i in rows) sum += rows[i].amount // expect: for-of
  return sum
}

export function labels(rows: Array<Row>): Array<string> {
  const out: Array<string> = []
  for (let i in rows) { // expect: for-of
    if (rows[i].amount === 0) continue
    out.push(rows[i].label)
  }
  return out
}

export class Emitter {
  private readonly listeners: Record<string, Array<() => void>> = {}

  on(event: string, fn: () => void): void {
    ;(this.listeners[event] ??= []).push(fn)
  }

  clear(): void {
    Object.keys(this.listeners).forEach((event) => { // expect: for-of
      if (event.startsWith("internal:")) return
      delete this.listeners[event]
    })
  }

  count(): number {
    let n = 0
    Object.values(this.listeners).forEach((list) => (n += list.length)) // expect: for-of
    return n
  }
}

export function indexed(rows: ReadonlyArray<Row>): Array<string> {
  // the index itself is used (as a string key): `for…of` would not give it
  const out: Array<string> = []
  for (const i in rows) out.push(`${i}: ${rows[i].label}`) // unsafe: for-of
  return out
}

export function withoutBlocked(limits: Record<string, Array<string>>, blocked: ReadonlyArray<string>): Array<string> {
  // a `return` inside a nested loop: as `continue` it would only end the inner loop
  const out: Array<string> = []
  Object.entries(limits).forEach(([key, users]) => { // unsafe: for-of
    for (const user of users) if (blocked.includes(user)) return
    out.push(key)
  })
  return out
}
