export { filterAllowed, orderTotals, type Order, type Product } from "./catalog.ts"
export { tagCounts, toCsv } from "./export.ts"
export { commentLines, normalizeName } from "./search.ts"
