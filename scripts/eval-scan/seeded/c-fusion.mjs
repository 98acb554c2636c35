// Seeded variants (ESM, arrow functions with JSDoc types): filter/map and map/reduce chains in report code.

/**
 * @param {Array<{ ms: number, ok: boolean, route: string }>} samples
 * @returns {string[]}
 */
export const slowRoutes = (samples) => {
  const routes = samples.filter((s) => s.ms > 500).map((s) => s.route) // expect: map-filter-fusion
  return routes
}

/**
 * @param {Array<{ ms: number, ok: boolean }>} samples
 * @returns {number}
 */
export const meanLatency = (samples) => samples.map((s) => s.ms).reduce((a, b) => a + b, 0) / samples.length // expect: map-reduce-fusion

/**
 * @param {Record<string, number>} budget
 */
export function overBudget(budget) {
  const names = Object.keys(budget).map((k) => ({ k, v: budget[k] })).filter((p) => p.v < 0) // expect: map-filter-fusion
  return names
}

export function columns(header) {
  const cells = Array.from(header).filter((c) => c !== " ").map((c) => c === "_" ? "-" : c) // expect: map-filter-fusion
  return cells
}

/** @param {number[]} bytes */
export function checksum(bytes) {
  return bytes.map((b) => b & 0xff).reduce((acc, b) => (acc * 31 + b) % 65521, 1) // expect: map-reduce-fusion
}

/** @param {Array<{ tags: string[] }>} posts */
export const allTags = (posts) =>
  posts.map((p) => p.tags).reduce((acc, tags) => acc.concat(tags), []) // expect: map-reduce-fusion

// `rows` has no type: it may be a typed array (whose `map` converts) or a class with its own `filter`
export function bigRows(rows) {
  const out = rows.filter((r) => r.size > 10).map((r) => r.id) // unsafe: map-filter-fusion
  return out
}

/** @param {string[]} words */
export function weightedLength(words) {
  // the reducer takes the index: fused, the index would be the same, but the array argument would not
  return words.map((w) => w.length).reduce((acc, n, i, all) => acc + n * (all.length - i), 0) // unsafe: map-reduce-fusion
}
