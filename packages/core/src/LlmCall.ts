/**
 * The record of language-model calls: one `LlmCall` per call (tokens, cost, duration, and the
 * artifact holding the prompt, the response, tool calls and the reasoning trace), their totals, and
 * the run's LLM summary (models, budget, why the agent stopped, what it profiled and tried).
 *
 * @since 0.2.0
 */
import { Schema } from "effect"
import { ArtifactRef } from "./ArtifactStore.js"

/**
 * One model call.
 *
 * @since 0.2.0
 */
export const LlmCall = Schema.Struct({
  id: Schema.String,
  /** `triage` (pick targets), `patch` (first patch for a target), `repair` (a later round) or `plan` (a prompted task's plan). */
  stage: Schema.Literals(["triage", "patch", "repair", "plan"]),
  /** The target (`file#symbol`) for patch and repair calls. */
  target: Schema.optionalKey(Schema.String),
  round: Schema.Number,
  provider: Schema.String,
  model: Schema.String,
  inputTokens: Schema.Number,
  cachedInputTokens: Schema.Number,
  outputTokens: Schema.Number,
  reasoningTokens: Schema.Number,
  costUsd: Schema.Number,
  durationMs: Schema.Number,
  /** HTTP attempts the call took (retries included). */
  attempts: Schema.Number,
  finishReason: Schema.String,
  toolCalls: Schema.Number,
  error: Schema.NullOr(Schema.String),
  /** `llm-call-<id>.json`: the request (messages, tools, schema), the response, tool calls, reasoning, usage. */
  artifact: Schema.NullOr(ArtifactRef)
})
/** @since 0.2.0 */
export type LlmCall = typeof LlmCall.Type

/**
 * Totals over calls.
 *
 * @since 0.2.0
 */
export const LlmTotals = Schema.Struct({
  calls: Schema.Number,
  inputTokens: Schema.Number,
  cachedInputTokens: Schema.Number,
  outputTokens: Schema.Number,
  reasoningTokens: Schema.Number,
  costUsd: Schema.Number
})
/** @since 0.2.0 */
export type LlmTotals = typeof LlmTotals.Type

/**
 * The calls behind one candidate or proposal.
 *
 * @since 0.2.0
 */
export const LlmEvidence = Schema.Struct({
  calls: Schema.Array(LlmCall),
  totals: LlmTotals
})
/** @since 0.2.0 */
export type LlmEvidence = typeof LlmEvidence.Type

/**
 * The LLM part of a run report.
 *
 * @since 0.2.0
 */
export const LlmRunSummary = Schema.Struct({
  /** `provider:model` of the triage and patch models. */
  triage: Schema.String,
  patch: Schema.String,
  calls: Schema.Array(LlmCall),
  totals: LlmTotals,
  budget: Schema.Struct({
    usd: Schema.NullOr(Schema.Number),
    tokens: Schema.NullOr(Schema.Number),
    dailyUsd: Schema.NullOr(Schema.Number),
    dailyTokens: Schema.NullOr(Schema.Number)
  }),
  /** Why the agent stopped early (budget exhausted, a model failure), or `null` when it finished. */
  stopped: Schema.NullOr(Schema.String),
  /** The functions the profile ranked highest (self time). */
  hotspots: Schema.Array(
    Schema.Struct({ file: Schema.String, name: Schema.String, line: Schema.Number, selfMs: Schema.Number, share: Schema.Number })
  ),
  /** What triage chose to try, and what became of each. */
  targets: Schema.Array(
    Schema.Struct({ file: Schema.String, symbol: Schema.String, idea: Schema.String, rationale: Schema.String, outcome: Schema.String })
  ),
  warnings: Schema.Array(Schema.String)
})
/** @since 0.2.0 */
export type LlmRunSummary = typeof LlmRunSummary.Type

/**
 * Sums the usage of calls.
 *
 * @since 0.2.0
 */
export const totalsOf = (calls: ReadonlyArray<LlmCall>): LlmTotals => ({
  calls: calls.length,
  inputTokens: calls.reduce((n, c) => n + c.inputTokens, 0),
  cachedInputTokens: calls.reduce((n, c) => n + c.cachedInputTokens, 0),
  outputTokens: calls.reduce((n, c) => n + c.outputTokens, 0),
  reasoningTokens: calls.reduce((n, c) => n + c.reasoningTokens, 0),
  costUsd: Number(calls.reduce((n, c) => n + c.costUsd, 0).toFixed(9))
})

/**
 * `3 calls, 12,345 tokens in (2,048 cached) / 1,234 out (800 reasoning), $0.0123`.
 *
 * @since 0.2.0
 */
export const describeTotals = (t: LlmTotals): string =>
  `${t.calls} call${t.calls === 1 ? "" : "s"}, ${t.inputTokens.toLocaleString("en-US")} tokens in${t.cachedInputTokens > 0 ? ` (${t.cachedInputTokens.toLocaleString("en-US")} cached)` : ""} / ${t.outputTokens.toLocaleString("en-US")} out${t.reasoningTokens > 0 ? ` (${t.reasoningTokens.toLocaleString("en-US")} reasoning)` : ""}, $${t.costUsd.toFixed(4)}`
