/**
 * Stage 6 — package: bundle an accepted candidate and its evidence into a `Proposal`.
 * Artifacts are stored content-addressed (sha256) and the proposal carries a content hash
 * that approvals bind to.
 *
 * @since 0.1.0
 */
import { Effect, Result, Schema } from "effect"
import { ArtifactStore, sha256 } from "./ArtifactStore.js"
import type { Attempt } from "./Attempt.js"
import type { Candidate } from "./Candidate.js"
import { hooksOf, type ResolvedConfig } from "./Config.js"
import * as Diff from "./Diff.js"
import type { Risk } from "./Opportunity.js"
import { type ArtifactRef, Proposal } from "./Proposal.js"
import { internal, type RatchetError } from "./RatchetError.js"
import type { Validation } from "./Validate.js"

/** @since 0.1.0 */
export interface PackageOptions {
  readonly candidate: Candidate
  readonly validation: Validation
  /** Every attempt of the run so far, for the trace timeline. */
  readonly trace: ReadonlyArray<Attempt>
  /** The risk of the opportunity the candidate came from, if known. */
  readonly opportunityRisk?: Risk
  /** The run's config: its `package` hooks enrich the proposal. */
  readonly config?: ResolvedConfig
}

/**
 * Counts changed lines of a unified diff (`Diff.changedLines`).
 *
 * @since 0.1.0
 */
export const changedLines = (diff: string): number => Diff.changedLines(diff)

/**
 * A risk score from the size of the change and the opportunity's own risk.
 *
 * @since 0.1.0
 */
export const riskOf = (diff: string, files: number, opportunityRisk: Risk = "low"): Risk => {
  // a diff that does not parse cannot have passed the policy; if one gets here, it is high risk
  const parsed = Result.try(() => Diff.parseSync(diff))
  if (Result.isFailure(parsed)) return "high"
  const lines = Diff.changedLines(parsed.success)
  const size: Risk = files <= 1 && lines <= 20 ? "low" : files <= 3 && lines <= 80 ? "medium" : "high"
  const rank = { low: 0, medium: 1, high: 2 } as const
  return rank[size] >= rank[opportunityRisk] ? size : opportunityRisk
}

/**
 * JSON with object keys sorted at every level, so equal content gives equal text whatever the key
 * order (a database's JSON column, a decoded Schema, hand-built objects).
 *
 * @since 0.2.0
 */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v)

/**
 * The reviewable content of a proposal: what its content hash covers.
 *
 * @since 0.2.0
 */
export const Reviewable = Schema.Struct({
  title: Proposal.fields.title,
  diff: Proposal.fields.diff,
  files: Proposal.fields.files,
  tests: Proposal.fields.tests,
  benchmark: Proposal.fields.benchmark,
  policy: Proposal.fields.policy
})

const encodeReviewable = Schema.encodeSync(Reviewable)

/**
 * The content hash of a proposal: sha256 over the canonical JSON of its reviewable content (what an
 * approval covers), as its Schema encodes it — so the same proposal hashes the same whether it was
 * just packaged, stored as JSON or decoded again. The only proposal hash: packaging, the server's
 * store, publishing and the WriteGate all compute it with this function.
 *
 * @since 0.1.0
 */
export const contentHashOf = (p: Pick<Proposal, "title" | "diff" | "files" | "benchmark" | "tests" | "policy">): string =>
  sha256(canonicalJson(encodeReviewable({ title: p.title, diff: p.diff, files: p.files, benchmark: p.benchmark, tests: p.tests, policy: p.policy })))

const decodeReviewable = Schema.decodeUnknownOption(Reviewable)

/**
 * {@link contentHashOf} of stored proposal data. Data that is not a proposal (an old or damaged
 * record) still gets a stable hash of the same fields as they are — it can never be published,
 * since publishing decodes the proposal first.
 *
 * @since 0.2.0
 */
export const contentHashOfData = (data: unknown): string => {
  const decoded = decodeReviewable(data)
  if (decoded._tag === "Some") return contentHashOf(decoded.value)
  const fields = typeof data === "object" && data !== null ? data : {}
  const pick = (key: string): unknown => (key in fields ? Reflect.get(fields, key) : null)
  return sha256(canonicalJson({ title: pick("title"), diff: pick("diff"), files: pick("files"), benchmark: pick("benchmark"), tests: pick("tests"), policy: pick("policy") }))
}

const evidence = (p: Proposal) => canonicalJson({ diff: p.diff, files: p.files, benchmark: p.benchmark, tests: p.tests, policy: p.policy })

/** Runs the config's `package` hooks: each may enrich the proposal, never change its evidence. */
const enrich = (proposal: Proposal, config: ResolvedConfig | undefined): Effect.Effect<Proposal, RatchetError> =>
  Effect.gen(function* () {
    let current = proposal
    for (const hook of hooksOf(config, "package")) {
      const next = yield* Effect.tryPromise({
        try: async () => hook.handler(current),
        catch: (cause) => internal(`plugin ${hook.plugin} threw in its package hook for ${current.id}: ${cause instanceof Error ? cause.message : String(cause)}`, cause)
      })
      if (next === undefined || next === null) continue
      const decoded = yield* Schema.decodeUnknownEffect(Proposal)(next).pipe(
        Effect.mapError((e) => internal(`plugin ${hook.plugin} returned an invalid proposal from its package hook: ${e.message}`, e))
      )
      if (evidence(decoded) !== evidence(current)) {
        return yield* Effect.fail(
          internal(`plugin ${hook.plugin} changed the evidence of ${current.id} in its package hook (diff, files, tests, benchmark or policy); a package hook may enrich a proposal (title, summary, …), never change what was proven`)
        )
      }
      current = decoded
    }
    if (current === proposal) return proposal
    const contentHash = contentHashOf(current)
    return { ...current, id: `p-${contentHash.slice(0, 12)}`, contentHash }
  })

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
    ...(validation.synthesized ? { synthesized: validation.synthesized } : {})
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
  return yield* enrich(proposal, options.config)
}) satisfies (options: PackageOptions) => Effect.Effect<Proposal, RatchetError, ArtifactStore>
