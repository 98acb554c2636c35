// Seeded variants (ESM, arrow functions and JSDoc types): joins written as lookups in a loop.

/**
 * @param {Array<{ sku: string, qty: number }>} lines
 * @param {Array<{ sku: string, price: number }>} catalog
 * @returns {number}
 */
export const invoiceTotal = (lines, catalog) => {
  let total = 0
  for (const line of lines) {
    const product = catalog.find((p) => p.sku === line.sku) // expect: map-index
    if (product) total += product.price * line.qty
  }
  return total
}

/**
 * @param {string[]} events
 * @param {Array<{ type: string, handler: string }>} routes
 */
export function handlersFor(events, routes) {
  return events.map((type) => routes.find((r) => r.type === type)) // expect: map-index
}

export function enrich(records, lookup) {
  const users = Object.values(lookup)
  const out = []
  for (const record of records) {
    const owner = users.find((u) => u.login === record.owner.login) // expect: map-index
    out.push({ ...record, ownerName: owner ? owner.name : null })
  }
  return out
}

/**
 * @param {string[]} order the wanted order of keys
 * @param {string[]} keys
 */
export const ranks = (order, keys) => {
  const result = []
  let i = 0
  while (i < keys.length) {
    const key = keys[i]
    result.push(order.indexOf(key)) // expect: map-index
    i++
  }
  return result
}

/**
 * @param {Array<{ id: number, parentId: number }>} nodes
 */
export function depths(nodes) {
  const depthOf = []
  for (const node of nodes) {
    let depth = 0
    let current = node
    while (current && current.parentId !== 0) {
      const parentId = current.parentId
      current = nodes.find((n) => n.id === parentId) // expect: map-index
      depth++
    }
    depthOf.push(depth)
  }
  return depthOf
}

/**
 * @param {Array<{ name: string }>} fields
 * @param {string[]} names
 */
export function pickFields(fields, names, sink) {
  // `fields` is handed to `sink`, which may mutate it between lookups
  sink(fields)
  return names.map((n) => fields.find((f) => f.name === n)) // unsafe: map-index
}
