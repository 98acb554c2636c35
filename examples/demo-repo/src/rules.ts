/** A price rule as stored in settings: products whose price lies in [min, max] get `discount` percent off. */
export interface PriceRule {
  readonly min: number
  readonly max: number
  readonly discount: number
}

/** Discounted prices in cents; the rules arrive as JSON text from the shop's settings. */
export function discountedPrices(pricesCents: ReadonlyArray<number>, rulesJson: string): Array<number> {
  const out: Array<number> = []
  for (const price of pricesCents) {
    const rules: ReadonlyArray<PriceRule> = JSON.parse(rulesJson)
    const rule = rules.find((r) => price >= r.min && price <= r.max)
    out.push(rule === undefined ? price : Math.round((price * (100 - rule.discount)) / 100))
  }
  return out
}
