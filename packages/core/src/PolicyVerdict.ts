/**
 * A policy rule's verdict on a patch.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** @since 0.1.0 */
export const Severity = Schema.Literals(["WARN", "BLOCK"])
/** @since 0.1.0 */
export type Severity = typeof Severity.Type

/** @since 0.1.0 */
export const PolicyVerdict = Schema.Struct({
  rule: Schema.String,
  severity: Severity,
  file: Schema.optionalKey(Schema.NullOr(Schema.String)),
  message: Schema.String
})
/** @since 0.1.0 */
export type PolicyVerdict = typeof PolicyVerdict.Type

/**
 * The `ratchet policy --json` output.
 *
 * @since 0.1.0
 */
export const PolicyDecision = Schema.Struct({
  allowed: Schema.Boolean,
  verdicts: Schema.Array(PolicyVerdict)
})
/** @since 0.1.0 */
export type PolicyDecision = typeof PolicyDecision.Type
