// Seeded variants (plain JavaScript with getters): reads that may run code must not be dropped.
let reads = 0

export class Product {
  constructor(name, cents) {
    this.name = name
    this.cents = cents
  }

  get price() {
    reads++
    return this.cents / 100
  }
}

export function firstCheap(products) {
  // the callback reads `price`, which this file defines as a counting getter
  return products.filter((p) => p.price < 5)[0] // unsafe: filter-first
}

export function anyExpensive(products) {
  // the same getter: `some` would read it fewer times
  return products.filter((p) => p.price > 100).length > 0 // unsafe: filter-length
}

export const stats = {
  hits: 0,
  get ratio() {
    reads++
    return this.hits / Math.max(1, reads)
  }
}

export function statNames() {
  // `entries` reads every value and so runs the `ratio` getter; `keys` would not
  return Object.entries(stats).map(([name]) => name) // unsafe: entries-unused
}

export function statValues() {
  return Object.entries(stats).map(([, value]) => String(value)) // expect: entries-unused
}

export const readCount = () => reads
