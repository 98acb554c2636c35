/**
 * An improvement opportunity found by a scanner rule.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Confidence } from "./RepoProfile.js"

/** @since 0.1.0 */
export const OpportunityKind = Schema.Literals(["performance", "tech-debt"])
/** @since 0.1.0 */
export type OpportunityKind = typeof OpportunityKind.Type

/** @since 0.1.0 */
export const Risk = Schema.Literals(["low", "medium", "high"])
/** @since 0.1.0 */
export type Risk = typeof Risk.Type

/**
 * One entry of `ratchet scan --json`'s `opportunities`.
 *
 * @since 0.1.0
 */
export const Opportunity = Schema.Struct({
  id: Schema.String,
  rule: Schema.String,
  kind: OpportunityKind,
  file: Schema.String,
  startLine: Schema.Number,
  endLine: Schema.Number,
  startByte: Schema.optionalKey(Schema.Number),
  endByte: Schema.optionalKey(Schema.Number),
  rationale: Schema.String,
  benefit: Schema.optionalKey(Schema.Number),
  risk: Risk,
  confidence: Confidence
})
/** @since 0.1.0 */
export type Opportunity = typeof Opportunity.Type

/**
 * The `ratchet scan --json` output.
 *
 * @since 0.1.0
 */
export const ScanResult = Schema.Struct({
  opportunities: Schema.Array(Opportunity),
  stats: Schema.Struct({ files: Schema.Number, bytes: Schema.Number, durationMs: Schema.Number })
})
/** @since 0.1.0 */
export type ScanResult = typeof ScanResult.Type
