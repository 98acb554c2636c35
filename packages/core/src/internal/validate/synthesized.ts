/**
 * Proof through synthesized benchmarks (see `SynthBench`), and the cache-across-calls rule: validate's
 * benchmark source for a change that no repository benchmark measures (`SynthBench.benchmarkSources`).
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import type { BenchComparison } from "../../BenchRunner.js"
import type { BenchmarkResult } from "../../BenchmarkResult.js"
import type { ArtifactRef } from "../../Proposal.js"
import type { RatchetError } from "../../RatchetError.js"
import * as SynthBench from "../../SynthBench.js"
import type { BenchmarkSource, BenchmarkSourceResult } from "../../Validate.js"
import type { WorkspaceHandle } from "../../Workspace.js"

/** What a synthesized proof found for one function, for the evidence (`evidence.json`) and the attempt's reason. */
export type SynthEvidence = SynthBench.Evidence

/** The outcome of proving a candidate by synthesis. */
export interface SynthOutcome {
  /** `unproven`: nothing could be replayed (or the replay failed); the candidate can only be tech-debt. */
  readonly status: "accepted" | "rejected" | "unproven"
  readonly reason: string
  /** The headline figure (repeated inputs, or distinct for a cache that must win there too). */
  readonly benchmark: BenchmarkResult | null
  readonly artifacts: ReadonlyArray<ArtifactRef>
  readonly evidence: ReadonlyArray<SynthEvidence>
  /** Every timed comparison made (repeated inputs, distinct inputs). */
  readonly comparisons: ReadonlyArray<BenchComparison>
  readonly confidence: number
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`
const figure = (b: BenchmarkResult): string =>
  `${b.change <= 0 ? "" : "+"}${pct(b.change)} (95% CI ${pct(b.ciLow)} … ${pct(b.ciHigh)}, p = ${b.pValue.toPrecision(2)}, n = ${b.samples})`

/**
 * Proves (or refutes) a performance candidate on calls captured from the tests: for each changed module-level
 * function, capture → equivalence → timing on repeated inputs, and — when the candidate adds a cache that lives
 * across calls — timing on distinct inputs too. A cache is accepted only when it is also faster on distinct
 * inputs, or when it comes from the `memoize` template (then both figures are reported).
 */
export const proveBySynthesis = Effect.fnUntraced(function* (options: {
  readonly synth: SynthBench.SynthBench["Service"]
  readonly targets: ReadonlyArray<SynthBench.Target>
  readonly source: string
  readonly profile: Parameters<SynthBench.SynthBench["Service"]["capture"]>[0]["profile"]
  readonly baseline: WorkspaceHandle
  readonly candidate: WorkspaceHandle
  readonly threshold: number
  readonly maxRounds?: number
  /** Module-level caches the candidate adds (`SynthBench.cachesAdded`). */
  readonly caches: ReadonlyArray<string>
  /** Whether the candidate comes from the `memoize` template. */
  readonly memoize: boolean
}) {
  const { synth } = options
  const evidence: Array<SynthEvidence> = []
  const artifacts: Array<ArtifactRef> = []
  const comparisons: Array<BenchComparison> = []
  const timed = (c: SynthBench.Comparison) => {
    if (c.result !== null && c.verdict !== "failed") comparisons.push({ result: c.result, verdict: c.verdict })
  }
  const targets = options.targets.slice(0, 3)
  const alpha = 0.05 / Math.max(1, targets.length)
  const proven: Array<{ capture: SynthBench.Capture; repeated: BenchmarkResult; distinct: BenchmarkResult | null; equivalence: SynthBench.Equivalence }> = []
  const unproven: Array<string> = []
  const notFaster: Array<string> = []
  for (const target of targets) {
    const capture = yield* synth.capture({ workspace: options.baseline, source: options.source, profile: options.profile, target })
    const harness = yield* synth.artifact(capture).pipe(Effect.catch(() => Effect.succeed(null)))
    if (harness) artifacts.push(harness)
    const record = (extra: Partial<SynthEvidence>): SynthEvidence => ({
      target,
      calls: capture.calls,
      replayable: capture.replayable,
      tests: capture.tests,
      notReplayable: capture.notReplayable,
      equivalence: null,
      repeated: null,
      distinct: null,
      harness,
      rerun: harness ? `node ${harness.name} <baseline checkout> <candidate checkout>` : null,
      warnings: capture.warnings,
      ...extra
    })
    if (capture.replayable === 0) {
      evidence.push(record({}))
      const why = capture.calls === 0 ? (capture.warnings[0] ?? "no call was captured") : `${capture.calls} captured call(s), none replayable (${capture.notReplayable.map((n) => `${n.count} with ${n.reason}`).join("; ")})`
      unproven.push(`${target.name}: ${why}`)
      continue
    }
    const equivalence = yield* synth.equivalence({ capture, baseline: options.baseline, candidate: options.candidate })
    if (equivalence.verdict === "different") {
      evidence.push(record({ equivalence }))
      return { status: "rejected", reason: equivalence.reason, benchmark: null, artifacts, evidence, comparisons, confidence: 0 } satisfies SynthOutcome
    }
    if (equivalence.verdict === "unproven") {
      evidence.push(record({ equivalence }))
      unproven.push(`${target.name}: ${equivalence.reason}`)
      continue
    }
    const repeated = yield* synth.compare({ capture, baseline: options.baseline, candidate: options.candidate, mode: "repeated", threshold: options.threshold, alpha, ...(options.maxRounds !== undefined ? { maxRounds: options.maxRounds } : {}) })
    timed(repeated)
    const described = SynthBench.describe(capture, equivalence.compared)
    if (repeated.verdict === "failed" || repeated.result === null) {
      evidence.push(record({ equivalence }))
      unproven.push(`${target.name}: the synthesized benchmark did not run: ${repeated.reason}`)
      continue
    }
    if (repeated.verdict === "slower") {
      evidence.push(record({ equivalence, repeated: repeated.result }))
      return { status: "rejected", reason: `not faster beyond noise — slower beyond noise on a ${described}: ${figure(repeated.result)}`, benchmark: repeated.result, artifacts, evidence, comparisons, confidence: 0 } satisfies SynthOutcome
    }
    let distinct: BenchmarkResult | null = null
    if (options.caches.length > 0 && repeated.verdict === "faster") {
      // distinct inputs only decide whether a cache may stay: a smaller budget (fewer rounds lower the power to
      // show a speedup, never the bar for one)
      const d = yield* synth.compare({ capture, baseline: options.baseline, candidate: options.candidate, mode: "distinct", threshold: options.threshold, alpha, maxRounds: Math.min(options.maxRounds ?? 12, 12) })
      timed(d)
      distinct = d.result
      const caches = options.caches.join(", ")
      const both = `repeated inputs ${figure(repeated.result)}; distinct inputs ${d.result ? figure(d.result) : `not measured (${d.reason})`}`
      if (d.verdict !== "faster") {
        if (!options.memoize) {
          evidence.push(record({ equivalence, repeated: repeated.result, distinct }))
          return {
            status: "rejected",
            reason: `faster only because the benchmark repeats its inputs: the candidate adds a cache that lives across calls (${caches}) and is not faster on distinct inputs — ${described}: ${both}`,
            benchmark: d.result ?? repeated.result,
            artifacts,
            evidence,
            comparisons,
            confidence: 0
          } satisfies SynthOutcome
        }
      }
    }
    evidence.push(record({ equivalence, repeated: repeated.result, distinct }))
    if (repeated.verdict === "faster") proven.push({ capture, repeated: repeated.result, distinct, equivalence })
    else notFaster.push(`${described}: ${figure(repeated.result)}`)
  }
  if (proven.length > 0) {
    const best = [...proven].sort((a, b) => a.repeated.change - b.repeated.change)[0]
    const described = SynthBench.describe(best.capture, best.equivalence.compared)
    const cacheNote =
      options.caches.length > 0
        ? best.distinct && best.distinct.change < 0 && best.distinct.ciHigh < -options.threshold
          ? `; the cache (${options.caches.join(", ")}) also wins on distinct inputs: ${figure(best.distinct)}`
          : `; the gain depends on repeated arguments (memoize, cache ${options.caches.join(", ")}): repeated inputs ${figure(best.repeated)}, distinct inputs ${best.distinct ? figure(best.distinct) : "not measured"}`
        : ""
    return {
      status: "accepted",
      reason: `accepted: faster beyond noise — ${described}: ${figure(best.repeated)}${cacheNote}; ${best.equivalence.reason}; re-run: node ${artifacts.find((a) => a.name.includes(best.capture.target.name))?.name ?? "synthesized harness"} <baseline checkout> <candidate checkout>`,
      benchmark: best.repeated,
      artifacts,
      evidence,
      comparisons,
      confidence: Math.max(0, Math.min(1, 0.9 - best.repeated.pValue))
    } satisfies SynthOutcome
  }
  const measured = evidence.find((e) => e.repeated !== null)
  if (notFaster.length > 0 && measured?.repeated) {
    return {
      status: "rejected",
      reason: `not faster beyond noise (needs ≥ ${pct(options.threshold)} with the whole 95% CI past it and p < ${alpha.toPrecision(2)}): ${[...notFaster, ...unproven].join("; ")}`,
      benchmark: measured.repeated,
      artifacts,
      evidence,
      comparisons,
      confidence: 0
    } satisfies SynthOutcome
  }
  return { status: "unproven", reason: `unproven: ${unproven.join("; ") || "no captured calls"}`, benchmark: null, artifacts, evidence, comparisons, confidence: 0 } satisfies SynthOutcome
}) satisfies (...args: ReadonlyArray<never>) => Effect.Effect<SynthOutcome, RatchetError>

/**
 * Synthesized benchmarks as a validate benchmark source: for the module-level functions the diff changes (at
 * most three, the false-positive budget split among them), capture the calls the tests make, check that the
 * candidate behaves identically on them, then time original against candidate (and on distinct inputs when
 * the candidate adds a cache across calls). It always reaches its own verdict; the figures it measured come
 * with it as comparisons, the per-function evidence and the harness as artifacts.
 */
export const synthesizedSource = (synth: SynthBench.SynthBench["Service"]): BenchmarkSource => ({
  name: "synthesized",
  measure: (context) =>
    Effect.gen(function* () {
      const read = (root: string) => (file: string): string | null => {
        try {
          return readFileSync(join(root, file), "utf8")
        } catch {
          return null
        }
      }
      const { targets } = SynthBench.targetsOf(context.candidate.diff, read(context.baselineWorkspace.path))
      if (targets.length === 0) {
        return {
          comparisons: [],
          verdict: { status: "unproven", reason: "unproven: the change is not inside a module-level function whose calls can be captured", benchmark: null, confidence: 0 }
        } satisfies BenchmarkSourceResult
      }
      const outcome = yield* proveBySynthesis({
        synth,
        targets,
        source: context.source,
        profile: context.profile,
        baseline: context.baselineWorkspace,
        candidate: context.candidateWorkspace,
        threshold: context.threshold,
        caches: context.caches,
        memoize: context.candidate.source === "template:memoize",
        ...(context.maxSamples !== undefined ? { maxRounds: context.maxSamples } : {})
      })
      return {
        comparisons: outcome.comparisons,
        verdict: { status: outcome.status, reason: outcome.reason, benchmark: outcome.benchmark, confidence: outcome.confidence },
        artifacts: outcome.artifacts,
        synthesized: outcome.evidence
      } satisfies BenchmarkSourceResult
    })
})
