import type { Order, Product } from "../src/catalog.ts"

/** A deterministic catalog: `n` products with SKUs `SKU-0000`… and a few tags each. */
export function makeCatalog(n: number): Array<Product> {
  const tags = ["sale", "new", "eco", "gift", "bulk"]
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    sku: `SKU-${String(i).padStart(4, "0")}`,
    name: `Product ${i} ${i % 3 === 0 ? "Deluxe" : "Basic"}`,
    tags: tags.filter((_, t) => (i + t) % 3 === 0),
    priceCents: 100 + ((i * 37) % 5000)
  }))
}

export function makeOrders(n: number, products: number): Array<Order> {
  return Array.from({ length: n }, (_, i) => ({ id: i + 1, productId: ((i * 7) % (products + 5)) + 1, quantity: (i % 4) + 1 }))
}
