export interface Product {
  readonly id: number
  readonly sku: string
  readonly name: string
  readonly tags: ReadonlyArray<string>
  readonly priceCents: number
}

export interface Order {
  readonly id: number
  readonly productId: number
  readonly quantity: number
}

/** The products whose SKU is in the allow-list, in catalog order. */
export function filterAllowed(products: ReadonlyArray<Product>, allowedSkus: ReadonlyArray<string>): Array<Product> {
  return products.filter((product) => allowedSkus.includes(product.sku))
}

/** Order totals in cents, resolving each order's product by id. */
export function orderTotals(orders: ReadonlyArray<Order>, products: ReadonlyArray<Product>): Array<number> {
  const totals: Array<number> = []
  for (const order of orders) {
    const product = products.find((p) => p.id === order.productId)
    totals.push(product === undefined ? 0 : product.priceCents * order.quantity)
  }
  return totals
}
