// Benchmarks for catalog-kit. Run: npm run bench
import { Bench } from "tinybench"
import { filterAllowed, orderTotals } from "../src/catalog.ts"
import { tagCounts, toCsv } from "../src/export.ts"
import { discountedPrices } from "../src/rules.ts"
import { commentLines, mentioning } from "../src/search.ts"
import { makeCatalog, makeOrders } from "../test/fixtures.ts"

const catalog = makeCatalog(2_000)
const allowed = catalog.filter((_, i) => i % 4 === 0).map((p) => p.sku)
const orders = makeOrders(1_000, 2_000)
const lines = Array.from({ length: 2_000 }, (_, i) => (i % 5 === 0 ? `  # note ${i}` : `value_${i} = ${i * 3}`))
const small = makeCatalog(300)
const prices = catalog.map((p) => p.priceCents)
const rulesJson = JSON.stringify(Array.from({ length: 12 }, (_, i) => ({ min: i * 500, max: i * 500 + 499, discount: i % 4 })))
const names = catalog.map((p) => p.name)

const bench = new Bench({ name: "catalog-kit", time: 30, warmupTime: 10 })

bench
  .add("filterAllowed", () => {
    filterAllowed(catalog, allowed)
  })
  .add("orderTotals", () => {
    orderTotals(orders, catalog)
  })
  .add("commentLines", () => {
    commentLines(lines)
  })
  .add("toCsv", () => {
    toCsv(small)
  })
  .add("tagCounts", () => {
    tagCounts(small)
  })
  .add("discountedPrices", () => {
    discountedPrices(prices, rulesJson)
  })
  .add("mentioning", () => {
    mentioning(names, "deluxe")
  })

await bench.run()
console.table(bench.table())
