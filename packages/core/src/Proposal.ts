/**
 * A proven improvement, packaged with its evidence.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Attempt } from "./Attempt.js"
import { BenchmarkResult } from "./BenchmarkResult.js"
import { ThinkingTrace } from "./Candidate.js"
import { Risk } from "./Opportunity.js"
import { PolicyVerdict } from "./PolicyVerdict.js"
import { Confidence } from "./RepoProfile.js"
import { TestSummary } from "./TestSummary.js"

/** @since 0.1.0 */
export const ArtifactRef = Schema.Struct({
  name: Schema.String,
  sha256: Schema.String,
  bytes: Schema.Number
})
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
  artifacts: Schema.optionalKey(Schema.Array(ArtifactRef)),
  contentHash: Schema.optionalKey(Schema.String)
})
/** @since 0.1.0 */
export type Proposal = typeof Proposal.Type
