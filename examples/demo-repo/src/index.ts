export { filterAllowed, orderTotals, type Order, type Product } from "./catalog.ts"
export { tagCounts, toCsv } from "./export.ts"
export { discountedPrices, type PriceRule } from "./rules.ts"
export { commentLines, mentioning, normalizeName } from "./search.ts"
