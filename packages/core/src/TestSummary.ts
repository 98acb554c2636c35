/**
 * Parsed test results.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** @since 0.1.0 */
export const TestOutcome = Schema.Struct({
  name: Schema.String,
  file: Schema.optionalKey(Schema.String),
  status: Schema.Literals(["passed", "failed", "skipped"]),
  durationMs: Schema.optionalKey(Schema.Number),
  flaky: Schema.optionalKey(Schema.Boolean)
})
/** @since 0.1.0 */
export type TestOutcome = typeof TestOutcome.Type

/**
 * Test counts plus per-test outcomes where the runner reported them.
 *
 * @since 0.1.0
 */
export const TestSummary = Schema.Struct({
  passed: Schema.Number,
  failed: Schema.Number,
  skipped: Schema.Number,
  /** Tests whose outcome flipped between the run and its rerun; excluded from comparison. */
  flaky: Schema.optionalKey(Schema.Array(Schema.String)),
  /** Tests that failed (after the rerun), as `file > name` where the runner reports files. @since 0.2.0 */
  failing: Schema.optionalKey(Schema.Array(Schema.String)),
  runner: Schema.optionalKey(Schema.NullOr(Schema.String)),
  tests: Schema.optionalKey(Schema.Array(TestOutcome))
})
/** @since 0.1.0 */
export type TestSummary = typeof TestSummary.Type
