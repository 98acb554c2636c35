// Seeded variants (ESM classes with private fields, optional chains, JSDoc on a few names): UI widget helpers.
const isBlank = (s) => s.trim() === ""

export class Widget {
  #bytes = new TextEncoder() // expect: constant-constructor
  #size = new Intl.NumberFormat("en", { notation: "compact" }) // expect: constant-constructor

  constructor(options) {
    this.options = options
  }

  byteLength(text) {
    return this.#bytes.encode(text).length
  }

  label(n) {
    return this.#size.format(n)
  }

  hasPlugins() {
    return this.options?.plugins?.filter((p) => p.enabled).length > 0 // expect: filter-length
  }

  firstOpen() {
    const open = new Set(this.options.open)
    return [...open][0] // expect: first-of-iterable
  }

  props(entries) {
    return entries.reduce((acc, [key, value]) => (value === undefined ? acc : { ...acc, [key]: value }), {}) // expect: reduce-spread
  }

  widths(columns) {
    return columns.reduce((acc, c) => {
      const width = c.width ?? 100
      return [...acc, width] // expect: reduce-spread
    }, [])
  }
}

export function emptyLines(lines) {
  if (lines.filter(isBlank).length < 1) return "none" // expect: filter-length
  return lines.filter((line) => line.length === 0).length <= 0 ? "only whitespace" : "some" // expect: filter-length
}

export const selected = (options) => options.filter(({ selected: on }) => on === true)[0]?.value // expect: filter-first

export function cell(table, row) {
  for (const column of table.columns) {
    const hit = table.cells.filter((c) => c.row === row && c.column === column.name)[0] // expect: filter-first
    if (hit) return hit
  }
  return undefined
}

/** @type {Map<string, () => void>} */
let listeners = new Map()
export const on = (name, fn) => listeners.set(name, fn)
export const reset = () => {
  listeners = new Map()
}
export const firstListener = () => [...listeners.keys()][0] // expect: first-of-iterable

export const domain = (email) => email.trim().split("@")[1]
export const user = (email) => email.trim().split("@")[0] // expect: split-first
export const baseName = (file) => (file || "").split("/").pop().split(".")[0] // expect: split-first

export function attrs(el) {
  const out = []
  for (const [name, value] of Object.entries(el.attributes)) if (name.startsWith("data-")) out.push(value)
  Object.entries(el.dataset).forEach(([key]) => out.push(key)) // expect: entries-unused, for-of
  return out
}

// unsafe: each must stay silent
export function firstFrom(source) {
  // not provably a Set or Map: a user iterable runs code while it is copied
  return Array.from(source)[0] // unsafe: first-of-iterable
}

export function anyInvalid(fields, validate) {
  // the callback is a parameter: its purity cannot be seen, and `some` would call it fewer times
  return fields.filter(validate).length !== 0 // unsafe: filter-length
}
