import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { tagCounts, toCsv } from "../src/export.ts"
import { makeCatalog } from "./fixtures.ts"

describe("toCsv", () => {
  it("writes one line per product", () => {
    const csv = toCsv(makeCatalog(2))
    assert.equal(csv, "SKU-0000,Product 0 Deluxe,1.00\nSKU-0001,Product 1 Basic,1.37\n")
  })

  it("is empty for no products", () => {
    assert.equal(toCsv([]), "")
  })
})

describe("tagCounts", () => {
  it("counts tags across products", () => {
    const counts = tagCounts(makeCatalog(6))
    assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), makeCatalog(6).reduce((n, p) => n + p.tags.length, 0))
  })
})
