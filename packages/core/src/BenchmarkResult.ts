/**
 * The outcome of a baseline-vs-candidate benchmark comparison.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * `change` is the relative change of medians, (candidate - baseline) / baseline: negative is faster.
 * `ciLow`/`ciHigh` bound it (bootstrap 95%); `pValue` is from a Mann–Whitney U test.
 *
 * @since 0.1.0
 */
export const BenchmarkResult = Schema.Struct({
  name: Schema.String,
  baselineMedianNs: Schema.Number,
  candidateMedianNs: Schema.Number,
  change: Schema.Number,
  ciLow: Schema.Number,
  ciHigh: Schema.Number,
  pValue: Schema.Number,
  samples: Schema.Number,
  baselineSamplesNs: Schema.optionalKey(Schema.Array(Schema.Number)),
  candidateSamplesNs: Schema.optionalKey(Schema.Array(Schema.Number))
})
/** @since 0.1.0 */
export type BenchmarkResult = typeof BenchmarkResult.Type
