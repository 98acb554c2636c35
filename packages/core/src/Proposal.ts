/**
 * A proven improvement, packaged with its evidence.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { ArtifactRef as ArtifactRefSchema } from "./ArtifactStore.js"
import { Attempt } from "./Attempt.js"
import { BenchmarkResult } from "./BenchmarkResult.js"
import { LlmEvidence } from "./LlmCall.js"
import { ThinkingTrace } from "./Candidate.js"
import { Risk } from "./Opportunity.js"
import { PolicyVerdict } from "./PolicyVerdict.js"
import { Confidence } from "./RepoProfile.js"
import { TestSummary } from "./TestSummary.js"

/** @since 0.1.0 */
export const ArtifactRef = ArtifactRefSchema
/** @since 0.1.0 */
export type ArtifactRef = typeof ArtifactRef.Type

/** @since 0.1.0 */
export const Proposal = Schema.Struct({
  id: Schema.String,
  title: Schema.String,
  summary: Schema.optionalKey(Schema.String),
  kind: Schema.optionalKey(Schema.Literals(["performance", "tech-debt"])),
  files: Schema.Array(Schema.String),
  diff: Schema.String,
  tests: TestSummary,
  benchmark: Schema.NullOr(BenchmarkResult),
  policy: Schema.Array(PolicyVerdict),
  risk: Risk,
  confidence: Confidence,
  trace: Schema.optionalKey(Schema.Array(Attempt)),
  thinking: Schema.optionalKey(Schema.NullOr(ThinkingTrace)),
  /** The model calls behind an LLM proposal (prompts and responses are artifacts). @since 0.2.0 */
  llm: Schema.optionalKey(LlmEvidence),
  artifacts: Schema.optionalKey(Schema.Array(ArtifactRef)),
  contentHash: Schema.optionalKey(Schema.String)
})
/** @since 0.1.0 */
export type Proposal = typeof Proposal.Type
