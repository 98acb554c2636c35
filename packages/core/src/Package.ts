/**
 * Stage 6 — package: bundle an accepted candidate and its evidence into a `Proposal`.
 * Artifacts are stored content-addressed (sha256) and the proposal carries a content hash
 * that approvals bind to.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { ArtifactStore, sha256 } from "./ArtifactStore.js"
import type { Attempt } from "./Attempt.js"
import type { Candidate } from "./Candidate.js"
import type { Risk } from "./Opportunity.js"
import type { ArtifactRef, Proposal } from "./Proposal.js"
import type { RatchetError } from "./RatchetError.js"
import type { Validation } from "./Validate.js"

/** @since 0.1.0 */
export interface PackageOptions {
  readonly candidate: Candidate
  readonly validation: Validation
  /** Every attempt of the run so far, for the trace timeline. */
  readonly trace: ReadonlyArray<Attempt>
  /** The risk of the opportunity the candidate came from, if known. */
  readonly opportunityRisk?: Risk
}

/**
 * Counts changed lines of a unified diff.
 *
 * @since 0.1.0
 */
export const changedLines = (diff: string): number =>
  diff.split("\n").filter((l) => (l.startsWith("+") && !l.startsWith("+++")) || (l.startsWith("-") && !l.startsWith("---"))).length

/**
 * A risk score from the size of the change and the opportunity's own risk.
 *
 * @since 0.1.0
 */
export const riskOf = (diff: string, files: number, opportunityRisk: Risk = "low"): Risk => {
  const lines = changedLines(diff)
  const size: Risk = files <= 1 && lines <= 20 ? "low" : files <= 3 && lines <= 80 ? "medium" : "high"
  const rank = { low: 0, medium: 1, high: 2 } as const
  return rank[size] >= rank[opportunityRisk] ? size : opportunityRisk
}

/**
 * The content hash of a proposal: sha256 over its reviewable content (what an approval covers).
 *
 * @since 0.1.0
 */
export const contentHashOf = (p: Pick<Proposal, "title" | "diff" | "files" | "benchmark" | "tests" | "policy">): string =>
  sha256(JSON.stringify({ title: p.title, diff: p.diff, files: p.files, benchmark: p.benchmark, tests: p.tests, policy: p.policy }))

/**
 * Packages a validated, accepted candidate.
 *
 * @since 0.1.0
 */
export const packageProposal = Effect.fn("Package.packageProposal")(function* (options: PackageOptions) {
  const { candidate, validation } = options
  const store = yield* ArtifactStore
  const tests = validation.tests ?? { passed: 0, failed: 0, skipped: 0 }
  const core = {
    title: candidate.title,
    diff: candidate.diff,
    files: candidate.files,
    benchmark: validation.benchmark,
    tests,
    policy: validation.policy
  }
  const contentHash = contentHashOf(core)
  const evidence = {
    attempt: validation.attempt,
    tests,
    benchmark: validation.benchmark,
    policy: validation.policy,
    thinking: candidate.thinking ?? null,
    ...(candidate.llm ? { llm: candidate.llm } : {}),
    ...(validation.evidence ?? {})
  }
  const artifacts: Array<ArtifactRef> = [
    yield* store.put("patch.diff", candidate.diff),
    yield* store.put("evidence.json", `${JSON.stringify(evidence, null, 2)}\n`),
    yield* store.put("explanation.md", `# ${candidate.title}\n\n${candidate.explanation}\n`),
    // The model calls behind an LLM candidate: already stored, listed with the proposal's evidence.
    ...(candidate.llm?.calls ?? []).flatMap((call) => (call.artifact ? [call.artifact] : [])),
    // The proof's own artifacts (a synthesized benchmark's harness).
    ...(validation.artifacts ?? [])
  ]
  const proposal: Proposal = {
    id: `p-${contentHash.slice(0, 12)}`,
    ...core,
    summary: `${candidate.explanation}\n\n${validation.attempt.reason}`,
    kind: validation.kind,
    risk: riskOf(candidate.diff, candidate.files.length, options.opportunityRisk),
    confidence: validation.confidence,
    trace: options.trace,
    thinking: candidate.thinking ?? null,
    ...(candidate.llm ? { llm: candidate.llm } : {}),
    artifacts,
    contentHash
  }
  return proposal
}) satisfies (options: PackageOptions) => Effect.Effect<Proposal, RatchetError, ArtifactStore>
