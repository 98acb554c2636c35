// Seeded variants (TypeScript, functions and a class): reducers, filter tests and first-of-collection reads.
export interface Item {
  readonly id: string
  readonly count: number
  readonly enabled: boolean
  readonly tags: ReadonlyArray<string>
}

export function countsById(items: ReadonlyArray<Item>): Record<string, number> {
  return items.reduce((acc: Record<string, number>, item) => ({ ...acc, [item.id]: item.count }), {}) // expect: reduce-spread
}

export function enabledIds(items: ReadonlyArray<Item>): Array<string> {
  return items.reduce<Array<string>>((ids, item) => (item.enabled ? [...ids, item.id] : ids), []) // expect: reduce-spread
}

export function tagIndex(items: ReadonlyArray<Item>): Record<string, string> {
  return items.reduce(
    (index, item) => {
      if (item.tags.length === 0) return index
      return { ...index, [item.tags[0]!]: item.id } // expect: reduce-spread
    },
    {} as Record<string, string>
  )
}

export function flatTags(items: ReadonlyArray<Item>): Array<string> {
  return items.reduceRight((all: Array<string>, item) => [...all, ...item.tags], []) // expect: reduce-spread
}

export function hasDisabled(items: ReadonlyArray<Item>): boolean {
  return items.filter((item) => !item.enabled).length > 0 // expect: filter-length
}

function isEmpty(item: Item): boolean {
  return item.count === 0 && item.tags.length === 0
}

export function allFilled(items: Array<Item>): string {
  if (!items.filter(isEmpty).length) return "filled" // expect: filter-length
  return "has empty items"
}

export function firstTagged(items: ReadonlyArray<Item>, tag: string): Item | undefined {
  return items.filter((item) => item.tags.indexOf(tag) !== -1)[0] // expect: filter-first
}

export function firstOf(seen: Set<string>): string | undefined {
  return [...seen][0] // expect: first-of-iterable
}

export function oldestKey(cache: ReadonlyMap<string, number>): string | undefined {
  return Array.from(cache.keys())[0] // expect: first-of-iterable
}

export class Inventory {
  private readonly items: Array<Item> = []
  private readonly pending: Set<string> = new Set()

  add(item: Item): void {
    this.items.push(item)
    this.pending.add(item.id)
  }

  isStale(): boolean {
    return this.items.filter((item) => item.count < 0).length !== 0 // expect: filter-length
  }

  byId(id: string): Item | undefined {
    return this.items.filter((item) => item.id === id)[0] // expect: filter-first
  }

  nextPending(): string | undefined {
    return [...this.pending][0] // expect: first-of-iterable
  }

  summary(): Record<string, boolean> {
    return this.items.reduce((acc: Record<string, boolean>, item) => ({ ...acc, [item.id]: item.enabled }), {}) // expect: reduce-spread
  }
}

// unsafe: each must stay silent
export function looseCounts(items: ReadonlyArray<Item>): object {
  // the accumulator has no written type: `acc[item.id] = …` would not type-check on `{}`
  return items.reduce((acc, item) => ({ ...acc, [item.id]: item.count }), {}) // unsafe: reduce-spread
}

export function withDefaults(items: ReadonlyArray<Item>, defaults: Record<string, number>): Record<string, number> {
  // the seed is not a fresh literal: updating it in place would change the caller's object
  return items.reduce((acc: Record<string, number>, item) => ({ ...acc, [item.id]: item.count }), defaults) // unsafe: reduce-spread
}

export function anyLogged(items: ReadonlyArray<Item>, log: Array<string>): boolean {
  // the callback has a side effect: `some` would stop logging after the first match
  return items.filter((item) => { log.push(item.id); return item.enabled }).length > 0 // unsafe: filter-length
}

export function firstYielded(source: Iterable<string>): string | undefined {
  // any iterable may run code while it is iterated: stopping after the first value could be observed
  return [...source][0] // unsafe: first-of-iterable
}
