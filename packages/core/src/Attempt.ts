/**
 * A recorded attempt to validate a candidate, accepted or rejected, with its reason.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** @since 0.1.0 */
export const AttemptStatus = Schema.Literals(["accepted", "rejected"])

/** @since 0.1.0 */
export const Attempt = Schema.Struct({
  id: Schema.String,
  candidateId: Schema.optionalKey(Schema.String),
  source: Schema.String,
  rule: Schema.String,
  status: AttemptStatus,
  reason: Schema.String,
  durationMs: Schema.optionalKey(Schema.Number)
})
/** @since 0.1.0 */
export type Attempt = typeof Attempt.Type
