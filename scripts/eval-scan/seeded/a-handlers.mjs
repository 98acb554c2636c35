// Seeded variants (ESM, arrow functions and callbacks): request and record handlers.
export const byId = (users) => users.reduce((acc, user) => ({ ...acc, [user.id]: user }), {}) // expect: reduce-spread

export function headerMap(pairs) {
  return pairs.reduce(function (out, [name, value]) {
    return { ...out, [name.toLowerCase()]: value } // expect: reduce-spread
  }, {})
}

export const rangePoints = (ranges) => ranges.reduce((points, r) => [...points, r.start, r.end], []) // expect: reduce-spread

export const hasAdmins = (members) => members.filter((m) => m.role === "admin").length >= 1 // expect: filter-length

export function report(results, strict) {
  if (strict && results.filter((r) => r.status === "failed").length) return "failed" // expect: filter-length
  return 0 < results.filter((r) => r.status === "skipped").length ? "partial" : "passed" // expect: filter-length
}

export function findRule(rules, name) {
  return rules.filter((rule) => rule.name === name)[0] // expect: filter-first
}

export const route = (routes, path) =>
  routes.filter(function (r) { // expect: filter-first
    return r.path === path && r.method === "GET"
  })[0]

export const prefixed = (headers) => Object.keys(headers).filter((k) => k.startsWith("x-"))[0] // expect: filter-first

export function lastSeen() {
  const ids = new Set()
  return (id) => {
    ids.add(id)
    return [...ids][0] // expect: first-of-iterable
  }
}

const registry = new Map()
export const register = (name, handler) => registry.set(name, handler)
export const defaultHandler = () => Array.from(registry.values())[0] // expect: first-of-iterable
export const firstEntry = () => [...registry.entries()][0] // expect: first-of-iterable

export const encode = (text) => new TextEncoder().encode(text) // expect: constant-constructor

export function statusText(code) {
  const names = new Map([[200, "OK"], [404, "Not Found"], [500, "Server Error"]]) // expect: constant-constructor
  return names.get(code) ?? "Unknown"
}

export const clock = (dates) => dates.map((d) => new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", timeStyle: "short" }).format(d)) // expect: constant-constructor

export const language = (tag) => tag.split("-")[0].toLowerCase() // expect: split-first

export function pathOnly(url) {
  const withoutQuery = url.split("?")[0] // expect: split-first
  return withoutQuery.split("#")[0] // expect: split-first
}

export function dependencyNames(pkg) {
  const names = new Set()
  Object.entries(pkg.dependencies ?? {}).forEach(([name, _range]) => names.add(name)) // expect: entries-unused, for-of
  return names
}

export const allStrings = (headers) => Object.entries(headers).every(([, v]) => typeof v === "string") // expect: entries-unused

export function sumValues(totals) {
  let sum = 0
  for (const [_key, value] of Object.entries(totals)) sum += value // expect: entries-unused
  return sum
}

// unsafe: each must stay silent
export function buffered(chunks) {
  // streaming keeps incomplete bytes between calls: one shared decoder would mix inputs
  const decoder = new TextDecoder("utf-8") // unsafe: constant-constructor
  return chunks.map((c) => decoder.decode(c, { stream: true })).join("")
}

export function withSeen(words) {
  // the set is mutated: a shared instance would keep the words of earlier calls
  const seen = new Set(["a", "the"]) // unsafe: constant-constructor
  return words.filter((w) => {
    if (seen.has(w)) return false
    seen.add(w)
    return true
  })
}

export function latest(events, acc0) {
  // several members, one reading the accumulator after another has overwritten it
  return events.reduce((acc, e) => ({ ...acc, last: e, prev: acc.last }), { last: acc0, prev: null }) // unsafe: reduce-spread
}

export function firstSlot(count) {
  // an array with holes: `filter` skips them, `find` would visit them as `undefined`
  const slots = new Array(count)
  return slots.filter((s) => !s)[0] // unsafe: filter-first
}
