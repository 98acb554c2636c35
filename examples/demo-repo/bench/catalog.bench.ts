// Benchmarks for catalog-kit. Run: npm run bench
import { Bench } from "tinybench"
import { filterAllowed, orderTotals } from "../src/catalog.ts"
import { tagCounts, toCsv } from "../src/export.ts"
import { commentLines } from "../src/search.ts"
import { makeCatalog, makeOrders } from "../test/fixtures.ts"

const catalog = makeCatalog(2_000)
const allowed = catalog.filter((_, i) => i % 4 === 0).map((p) => p.sku)
const orders = makeOrders(1_000, 2_000)
const lines = Array.from({ length: 2_000 }, (_, i) => (i % 5 === 0 ? `  # note ${i}` : `value_${i} = ${i * 3}`))
const small = makeCatalog(300)

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

await bench.run()
console.table(bench.table())
