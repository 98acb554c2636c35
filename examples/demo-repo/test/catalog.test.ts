import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { filterAllowed, orderTotals } from "../src/catalog.ts"
import { makeCatalog, makeOrders } from "./fixtures.ts"

describe("filterAllowed", () => {
  it("keeps allowed products in catalog order", () => {
    const catalog = makeCatalog(10)
    assert.deepEqual(
      filterAllowed(catalog, ["SKU-0007", "SKU-0002", "SKU-9999"]).map((p) => p.sku),
      ["SKU-0002", "SKU-0007"]
    )
  })

  it("returns nothing for an empty allow-list", () => {
    assert.deepEqual(filterAllowed(makeCatalog(5), []), [])
  })

  it("keeps duplicates of an allowed product", () => {
    const [a] = makeCatalog(1)
    assert.equal(filterAllowed([a!, a!], [a!.sku]).length, 2)
  })
})

describe("orderTotals", () => {
  it("multiplies price by quantity", () => {
    const catalog = makeCatalog(3)
    assert.deepEqual(orderTotals([{ id: 1, productId: 2, quantity: 3 }], catalog), [catalog[1]!.priceCents * 3])
  })

  it("uses 0 for unknown products", () => {
    assert.deepEqual(orderTotals([{ id: 1, productId: 999, quantity: 1 }], makeCatalog(3)), [0])
  })

  it("resolves the first product with a duplicated id", () => {
    const catalog = makeCatalog(2)
    const dup = [...catalog, { ...catalog[0]!, priceCents: 1 }]
    assert.deepEqual(orderTotals([{ id: 1, productId: 1, quantity: 1 }], dup), [catalog[0]!.priceCents])
  })

  it("handles many orders", () => {
    const catalog = makeCatalog(50)
    const totals = orderTotals(makeOrders(200, 50), catalog)
    assert.equal(totals.length, 200)
    assert.ok(totals.every((t) => t >= 0))
  })
})
