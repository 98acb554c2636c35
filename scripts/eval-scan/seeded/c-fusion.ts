// Seeded variants (TypeScript, functions and a class): filter/map and map/reduce chains over typed arrays.
export interface User {
  readonly id: string
  readonly name: string
  readonly active: boolean
  readonly score: number
}

export interface Line {
  readonly price: number
  readonly qty: number
  readonly sku: string
}

export function activeNames(users: ReadonlyArray<User>): Array<string> {
  const names = users.filter((u) => u.active).map((u) => u.name) // expect: map-filter-fusion
  return names
}

export function positiveTotals(lines: Array<Line>): Array<number> {
  let totals = lines.map((l) => l.price * l.qty).filter((t) => t > 0) // expect: map-filter-fusion
  return totals
}

export function nonEmptyKeys(counts: Record<string, number>): Array<string> {
  const keys = Object.entries(counts) // expect: map-filter-fusion
    .filter((entry) => entry[1] > 0)
    .map((entry) => entry[0])
  return keys
}

export const labelled = (users: Array<User>): Array<{ id: string; label: string }> => {
  const rows = users.filter((u) => u.score >= 50).map((u) => ({ id: u.id, label: `${u.name} (${u.score})` })) // expect: map-filter-fusion
  return rows
}

export class Leaderboard {
  constructor(private readonly minScore: number) {}

  // reading a field of `this` is no side effect; the arrow keeps `this` in a for…of body too
  qualifying(users: ReadonlyArray<User>): Array<string> {
    const ids = users.filter((u) => u.score >= this.minScore).map((u) => u.id) // expect: map-filter-fusion
    return ids
  }

  total(lines: ReadonlyArray<Line>): number {
    return lines.map((l) => l.price * l.qty).reduce((sum, v) => sum + v, 0) // expect: map-reduce-fusion
  }
}

export function longestName(users: ReadonlyArray<User>): number {
  return users.map((u) => u.name.trim().length).reduce((max, n) => Math.max(max, n), 0) // expect: map-reduce-fusion
}

export const skus = (lines: Array<Line>): Array<string> =>
  lines // expect: map-reduce-fusion
    .map((l) => l.sku.toUpperCase())
    .reduce((acc: Array<string>, s) => (acc.includes(s) ? acc : acc.concat([s])), [])

export function scoreSum(byUser: Record<string, User>): number {
  const sum = Object.values(byUser).map((u) => u.score).reduce((a: number, b: number) => a + b, 0) // expect: map-reduce-fusion
  return sum
}

export function shouted(users: ReadonlyArray<User>): Array<string> {
  // the map callback makes a call: callbacks must be free of calls (a call could have effects, run interleaved)
  const out = users.map((u) => u.name.toUpperCase()).filter((n) => n.length > 3) // unsafe: map-filter-fusion
  return out
}

export function evenPositions(users: ReadonlyArray<User>): Array<string> {
  // the filter callback takes the index: a fused loop would have to count it
  const out = users.filter((u, i) => i % 2 === 0).map((u) => u.id) // unsafe: map-filter-fusion
  return out
}

export function maxScore(users: ReadonlyArray<User>): number {
  // no initial value: the first mapped value is the start, a fused reduce would start from a User
  return users.map((u) => u.score).reduce((a, b) => (a > b ? a : b)) // unsafe: map-reduce-fusion
}
