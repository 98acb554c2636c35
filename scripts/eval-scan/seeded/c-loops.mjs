// Seeded variants (ESM, arrow functions and JSDoc types): env and option objects walked with forEach, arrays with for…in.

export const toEnvLines = (env) => {
  const lines = []
  Object.entries(env).forEach(([key, value]) => { // expect: for-of
    if (value === undefined) return
    lines.push(`${key}=${value}`)
  })
  return lines
}

/**
 * @param {Record<string, { default: unknown }>} schema
 * @param {Record<string, unknown>} options
 */
export function withDefaults(schema, options) {
  const out = { ...options }
  Object.keys(schema).forEach((k) => { // expect: for-of
    if (out[k] === undefined) out[k] = schema[k].default
  })
  return out
}

/** @param {string[]} parts */
export const joinPath = (parts) => {
  const kept = []
  for (const i in parts) { // expect: for-of
    if (parts[i] === "" || parts[i] === ".") continue
    kept.push(parts[i])
  }
  return "/" + kept.join("/")
}

export function widths(table) {
  const names = Object.keys(table)
  const result = {}
  for (const n in names) result[names[n]] = String(table[names[n]]).length // expect: for-of
  return result
}

export function trimAll(record) {
  Object.keys(record).forEach((key) => { // expect: for-of
    key = key.trim()
    record[key] = String(record[key]).trim()
  })
  return record
}

export function sizes(byName) {
  // two parameters: the callback uses the index, which `for…of` over the keys does not give
  const out = []
  Object.keys(byName).forEach((name, i) => out.push(`${i}:${name}`)) // unsafe: for-of
  return out
}

export function counts(groups) {
  // `groups` is an object, not an array: `for…of` would throw where `for…in` walks its keys
  const out = []
  for (const g in groups) out.push(groups[g].length) // unsafe: for-of
  return out
}
