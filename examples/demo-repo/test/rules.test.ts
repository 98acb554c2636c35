import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { discountedPrices } from "../src/rules.ts"

const rules = JSON.stringify([
  { min: 0, max: 999, discount: 0 },
  { min: 1000, max: 4999, discount: 10 },
  { min: 5000, max: 1e9, discount: 25 }
])

describe("discountedPrices", () => {
  it("applies the first matching rule", () => {
    assert.deepEqual(discountedPrices([500, 1000, 2500, 8000], rules), [500, 900, 2250, 6000])
  })

  it("keeps prices no rule covers", () => {
    assert.deepEqual(discountedPrices([-5], rules), [-5])
  })

  it("does not read the rules when there are no prices", () => {
    assert.deepEqual(discountedPrices([], "not json"), [])
  })

  it("rejects broken rules", () => {
    assert.throws(() => discountedPrices([1], "not json"), SyntaxError)
  })
})
