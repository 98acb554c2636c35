import type { Product } from "./catalog.ts"

/** A CSV line per product: `sku,name,price`. */
export function toCsv(products: ReadonlyArray<Product>): string {
  let out = ""
  for (const product of products) {
    out += product.sku + "," + product.name + "," + (product.priceCents / 100).toFixed(2) + "\n"
  }
  return out
}

/** Tag counts across products. */
export function tagCounts(products: ReadonlyArray<Product>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const product of products) {
    for (const tag of product.tags) {
      counts[tag] = (counts[tag] ?? 0) + 1
    }
  }
  return counts
}
