/**
 * A candidate patch produced by patchgen.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { LlmEvidence } from "./LlmCall.js"

/**
 * The model's reasoning for an LLM-generated candidate.
 *
 * @since 0.1.0
 */
export const ThinkingTrace = Schema.Struct({
  model: Schema.String,
  reasoning: Schema.String,
  inputTokens: Schema.Number,
  outputTokens: Schema.Number,
  costUsd: Schema.Number
})
/** @since 0.1.0 */
export type ThinkingTrace = typeof ThinkingTrace.Type

/**
 * A unified diff with its explanation and the files it touches.
 *
 * @since 0.1.0
 */
export const Candidate = Schema.Struct({
  id: Schema.String,
  /** `template:<name>`, `llm:<model>` or `prompt`. */
  source: Schema.String,
  rule: Schema.String,
  opportunityId: Schema.NullOr(Schema.String),
  title: Schema.String,
  explanation: Schema.String,
  diff: Schema.String,
  files: Schema.Array(Schema.String),
  kind: Schema.Literals(["performance", "tech-debt"]),
  thinking: Schema.optionalKey(Schema.NullOr(ThinkingTrace)),
  /** The model calls behind an LLM candidate. @since 0.2.0 */
  llm: Schema.optionalKey(LlmEvidence)
})
/** @since 0.1.0 */
export type Candidate = typeof Candidate.Type
