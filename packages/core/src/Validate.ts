/**
 * Stage 5 — validate: apply a candidate in its own workspace, check policy, build, test and benchmark it.
 *
 * Order: policy with the run's config (before anything runs) → the reward-hack guard (a candidate
 * that touches tests, benchmarks, test-runner configuration or Ratchet's harness is rejected, whatever
 * it measures) → apply → build → typecheck → tests, run as the baseline stage runs them (every test
 * that passed at baseline must pass; flaky ones are excluded) → the config's `validate` hooks →
 * benchmark baseline vs candidate, interleaved.
 *
 * A performance candidate is accepted as a speedup only when a benchmark that measures the changed
 * code is faster beyond noise — one of the repository's own (its name mentions a changed function),
 * else one from a {@link BenchmarkSources} source, such as `SynthBench.benchmarkSources`: a benchmark
 * synthesized from the calls the tests make, after those calls behave identically on the candidate
 * (the first differing call rejects it). A candidate that adds a cache living across calls (a
 * module-level `Map`, …) must also be faster on distinct inputs, unless it comes from the `memoize`
 * template, whose evidence then reports both figures; otherwise it is rejected as "faster only because
 * the benchmark repeats its inputs". With no such benchmark a candidate is unproven: at most
 * tech-debt, with `benchmark: null`, never a speedup, and not at all when the config sets
 * `validate.allowTechDebt: false`.
 *
 * @since 0.1.0
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Clock, Context, Effect, Schema } from "effect"
import { Attempt } from "./Attempt.js"
import { BenchmarkResult } from "./BenchmarkResult.js"
import { type BenchComparison, BenchRunner } from "./BenchRunner.js"
import type { Candidate } from "./Candidate.js"
import { hooksOf, type ResolvedConfig } from "./Config.js"
import * as Diff from "./Diff.js"
import { Evidence as SynthEvidence } from "./internal/synth/evidence.js"
import { addedCaches } from "./internal/synth/source.js"
import { measuringFiles } from "./internal/validate/guard.js"
import { changedSymbols, relatedBenchmarks } from "./internal/validate/symbols.js"
import { PolicyCheck } from "./PolicyCheck.js"
import { PolicyVerdict } from "./PolicyVerdict.js"
import { internal, type RatchetError } from "./RatchetError.js"
import type { RepoProfile } from "./RepoProfile.js"
import type { BaselineReport } from "./Run.js"
import { type TestOutcome, TestSummary } from "./TestSummary.js"
import { ArtifactRef, ArtifactStore } from "./ArtifactStore.js"
import * as Baseline from "./Baseline.js"
import type { Sandbox } from "./Sandbox.js"
import { Workspace, type WorkspaceHandle } from "./Workspace.js"

/** @since 0.1.0 */
export interface ValidateOptions {
  readonly candidate: Candidate
  readonly profile: RepoProfile
  readonly baseline: BaselineReport
  readonly baselineWorkspace: WorkspaceHandle
  /** The source the baseline workspace was prepared from (path or git URL). */
  readonly source: string
  /** Benchmark names the bench command reports at baseline. */
  readonly benchmarks?: ReadonlyArray<string>
  /** Reads test results (`@ratchet/runner`'s `Baseline.testAdapter`); required to compare per-test outcomes. */
  readonly testAdapter?: Baseline.TestAdapter
  readonly config?: ResolvedConfig
}

/**
 * The result of validating one candidate.
 *
 * @since 0.1.0
 */
export const Validation = Schema.Struct({
  attempt: Attempt,
  tests: Schema.NullOr(TestSummary),
  benchmark: Schema.NullOr(BenchmarkResult),
  policy: Schema.Array(PolicyVerdict),
  /** What an accepted candidate is: a measured speedup, or a tech-debt improvement. */
  kind: Schema.Literals(["performance", "tech-debt"]),
  confidence: Schema.Number,
  /** Artifacts of the proof (a synthesized benchmark's harness), listed with the proposal. @since 0.2.0 */
  artifacts: Schema.optionalKey(Schema.Array(ArtifactRef)),
  /**
   * What synthesized benchmarks showed, per changed function (captured calls, equivalence, both timings):
   * `SynthBench.Evidence`, reported in `evidence.json`. @since 0.2.0
   */
  synthesized: Schema.optionalKey(Schema.Array(SynthEvidence)),
  /**
   * For a candidate rejected by its build, typecheck or tests: that step's output (the tail, at most
   * 64 KiB), so a repair round can show the model what failed.
   */
  log: Schema.optionalKey(Schema.String)
})
/** @since 0.1.0 */
export type Validation = typeof Validation.Type

/**
 * What a {@link BenchmarkSource} gets: the candidate, both workspaces and the functions the diff
 * changes.
 *
 * @since 0.2.0
 */
export interface BenchmarkSourceContext {
  readonly candidate: Candidate
  readonly profile: RepoProfile
  readonly baselineWorkspace: WorkspaceHandle
  readonly candidateWorkspace: WorkspaceHandle
  /** Names of the functions the diff changes. */
  readonly symbols: ReadonlyArray<string>
  /** Minimum relative speedup. */
  readonly threshold: number
  readonly maxSamples?: number
  /** The source the workspaces were prepared from (path or git URL). */
  readonly source: string
  /**
   * Module-level caches the candidate adds (collections that keep entries from one call to the next). A
   * source that can must then also measure inputs that do not repeat, and reject a candidate that wins only
   * on repeated ones (unless it comes from the `memoize` template).
   */
  readonly caches: ReadonlyArray<string>
  /**
   * Set when a repository benchmark already measured the candidate faster and it adds a cache: the source is
   * asked whether the gain survives distinct inputs.
   */
  readonly repositoryBenchmark?: BenchmarkResult
}

/**
 * What a {@link BenchmarkSource} found: the comparisons it made and, when it reached one, its own verdict
 * (a behaviour change on a captured input rejects; nothing it could measure leaves the candidate unproven),
 * with the artifacts and evidence behind it.
 *
 * @since 0.2.0
 */
export interface BenchmarkSourceResult {
  readonly comparisons: ReadonlyArray<BenchComparison>
  /** Without one, validate judges `comparisons` like the repository's benchmarks. */
  readonly verdict?: {
    readonly status: "accepted" | "rejected" | "unproven"
    readonly reason: string
    readonly benchmark: BenchmarkResult | null
    readonly confidence: number
  }
  readonly artifacts?: ReadonlyArray<ArtifactRef>
  readonly synthesized?: ReadonlyArray<typeof SynthEvidence.Type>
}

/**
 * Another way to measure a performance candidate, used when none of the repository's own
 * benchmarks measures the code it changes (a synthesized benchmark, for example), and to check a
 * cache the candidate adds on inputs that do not repeat. `measure` returns the comparisons it made
 * (judged exactly like the repository's benchmarks: any slower rejects, the fastest beyond noise
 * accepts), or a {@link BenchmarkSourceResult} with its own verdict, or `null` when it has nothing
 * for this candidate.
 *
 * @since 0.2.0
 */
export interface BenchmarkSource {
  readonly name: string
  readonly measure: (context: BenchmarkSourceContext) => Effect.Effect<ReadonlyArray<BenchComparison> | BenchmarkSourceResult | null, RatchetError>
}

/**
 * The benchmark sources validate consults, in order (default: none); the first with a result decides.
 * Plug one in with `Layer.succeed(Validate.BenchmarkSources, [source])`; `SynthBench.benchmarkSources`
 * provides synthesized benchmarks.
 *
 * @since 0.2.0
 */
export class BenchmarkSources extends Context.Reference<ReadonlyArray<BenchmarkSource>>("@ratchet/core/Validate/BenchmarkSources", {
  defaultValue: () => []
}) {}

const isResult = (r: ReadonlyArray<BenchComparison> | BenchmarkSourceResult): r is BenchmarkSourceResult => "comparisons" in r

/** Default minimum relative speedup. */
export const DEFAULT_THRESHOLD = 0.03

const pct = (x: number) => `${(x * 100).toFixed(1)}%`

/** A one-line summary of a benchmark comparison, as used in attempt reasons. */
export const describeBenchmark = (b: BenchmarkResult): string =>
  `${b.name}: ${b.change <= 0 ? "" : "+"}${pct(b.change)} (95% CI ${pct(b.ciLow)} … ${pct(b.ciHigh)}, p = ${b.pValue.toPrecision(2)}, n = ${b.samples})`

/**
 * Tests that passed at baseline and do not pass now (flaky tests excluded). `null` when the runner gave no
 * per-test outcomes; then counts are compared.
 *
 * @since 0.1.0
 */
export const regressions = (baseline: TestSummary, candidate: TestSummary): ReadonlyArray<string> | null => {
  const flaky = new Set([...(baseline.flaky ?? []), ...(candidate.flaky ?? [])])
  if (baseline.tests && candidate.tests && baseline.tests.length > 0) {
    const key = (t: { name: string; file?: string }) => `${t.file ?? ""}::${t.name}`
    const now = new Map(candidate.tests.map((t) => [key(t), t.status]))
    const isFlaky = (t: TestOutcome) => t.flaky === true || flaky.has(t.name) || (t.file !== undefined && flaky.has(`${t.file} > ${t.name}`))
    return baseline.tests
      .filter((t) => t.status === "passed" && !isFlaky(t))
      .filter((t) => now.get(key(t)) !== "passed")
      .map((t) => t.name)
  }
  return null
}

const LOG_LIMIT = 64 * 1024

/**
 * The output of one step (`===== <step>: …` sections of `logs.txt`), its tail when long; empty when
 * the log cannot be read.
 */
const stepLog = (artifacts: ReadonlyArray<ArtifactRef>, step: string) =>
  Effect.gen(function* () {
    const ref = artifacts.find((a) => a.name === "logs.txt")
    if (ref === undefined) return ""
    const bytes = yield* (yield* ArtifactStore).get(ref.sha256).pipe(Effect.orElseSucceed(() => new Uint8Array()))
    const text = new TextDecoder().decode(bytes)
    // A step's section starts at its `===== <step>: <command>` line and runs to the next step's.
    const kept: Array<string> = []
    let keep = false
    for (const line of text.split("\n")) {
      const header = /^===== ([^:]+): /.exec(line)
      if (header && !["cwd", "environment", "warnings"].includes(header[1]!)) keep = header[1] === step || header[1] === `${step} (rerun)`
      if (keep) kept.push(line)
    }
    const joined = kept.join("\n")
    return joined.length > LOG_LIMIT ? `…${joined.slice(-LOG_LIMIT)}` : joined
  })

/**
 * Validates one candidate. Never fails for a candidate-level problem: those become a rejected attempt.
 *
 * @since 0.1.0
 */
export const validate = Effect.fn("Validate.validate")(function* (options: ValidateOptions) {
  const { candidate, profile, baseline } = options
  const started = yield* Clock.currentTimeMillis
  const threshold = options.config?.validate?.threshold ?? DEFAULT_THRESHOLD
  let policy: ReadonlyArray<PolicyVerdict> = []

  const allowTechDebt = options.config?.validate?.allowTechDebt !== false
  const done = (
    verdict: "accepted" | "rejected",
    why: string,
    extra: {
      tests?: TestSummary | null
      benchmark?: BenchmarkResult | null
      kind?: "performance" | "tech-debt"
      confidence?: number
      log?: string
      artifacts?: ReadonlyArray<ArtifactRef>
      synthesized?: ReadonlyArray<typeof SynthEvidence.Type>
    } = {}
  ) => {
    // validate.allowTechDebt: false — only measured speedups are accepted
    const refused = verdict === "accepted" && extra.kind === "tech-debt" && !allowTechDebt
    const status = refused ? "rejected" : verdict
    const reason = refused ? `not accepted: ${why.replace(/^accepted as /, "")} — the config sets validate.allowTechDebt: false, so only measured speedups are accepted` : why
    return Effect.map(Clock.currentTimeMillis, (now): Validation => ({
      attempt: {
        id: `attempt-${candidate.id}`,
        candidateId: candidate.id,
        source: candidate.source,
        rule: candidate.rule,
        status,
        reason,
        durationMs: now - started
      },
      tests: extra.tests ?? null,
      benchmark: extra.benchmark ?? null,
      policy,
      kind: extra.kind ?? candidate.kind,
      confidence: refused ? 0 : (extra.confidence ?? 0),
      ...(extra.artifacts && extra.artifacts.length > 0 ? { artifacts: extra.artifacts } : {}),
      ...(extra.synthesized && extra.synthesized.length > 0 ? { synthesized: extra.synthesized } : {}),
      ...(extra.log !== undefined ? { log: extra.log } : {})
    }))
  }

  // 1. Policy, before anything of the candidate runs.
  const decision = yield* (yield* PolicyCheck).check(candidate.diff, options.config)
  policy = decision.verdicts
  if (!decision.allowed) {
    const blocks = decision.verdicts.filter((v) => v.severity === "BLOCK")
    return yield* done("rejected", `policy blocked: ${blocks.map((v) => `${v.rule}: ${v.message}`).join("; ")}`)
  }

  // 1b. The reward-hack guard: a candidate may not change what measures it.
  const measuring = measuringFiles(candidate.files, profile)
  if (measuring.length > 0) {
    return yield* done("rejected", `touches what measures it: ${measuring.join(", ")}; a candidate may not change tests, benchmarks or the harness, whatever it measures`)
  }

  return yield* Effect.scoped(
    Effect.gen(function* () {
      const workspace = yield* Workspace
      const handle = yield* workspace.prepare({
        source: options.source,
        ...(options.baselineWorkspace.commit ? { commit: options.baselineWorkspace.commit } : {}),
        purpose: "candidate",
        packageManager: profile.packageManager.name,
        reuseFrom: options.baselineWorkspace
      })

      // 2. Apply.
      const applied = yield* Effect.result(Diff.apply(handle.path, candidate.diff))
      if (applied._tag === "Failure") {
        const reason = applied.failure.reason
        return yield* done("rejected", `does not apply: ${reason._tag === "IoFailure" ? reason.detail : reason.message}`)
      }

      // 3–4. Build, typecheck and tests: the baseline steps again, in the candidate workspace, without
      // install (dependencies are reused) or bench (measured below, interleaved with the baseline).
      if (profile.commands.test === null) {
        return yield* done("rejected", "no test command: a candidate cannot be proven without tests")
      }
      const candidateProfile: RepoProfile = { ...profile, commands: { ...profile.commands, install: null, bench: null } }
      const checked = yield* Effect.scoped(
        Baseline.run({
          profile: candidateProfile,
          workspace: handle,
          ...(options.config ? { config: options.config } : {}),
          ...(options.testAdapter ? { testAdapter: options.testAdapter } : {})
        })
      )
      const steps = checked.report.steps
      const logOf = (step: string) => stepLog(checked.artifacts, step)
      for (const name of ["build", "typecheck"] as const) {
        const step = steps.find((s) => s.name === name)
        const before = baseline.steps.find((s) => s.name === name)
        if (step && step.exitCode !== 0 && (before === undefined || before.exitCode === 0)) {
          const why = step.timedOut ? "timed out" : `exit ${step.exitCode ?? step.signal}`
          return yield* done("rejected", `${name} failed (${why}): ${step.reason ?? ""}`.trim(), { log: yield* logOf(name) })
        }
      }
      const testStep = steps.find((s) => s.name === "test")
      const tests = checked.report.tests
      if (testStep === undefined || testStep.outcome === "skipped") {
        return yield* done("rejected", `tests did not run: ${testStep?.reason ?? checked.report.reason ?? "unknown reason"}`)
      }
      const broken = regressions(baseline.tests, tests)
      if (broken !== null && broken.length > 0) {
        return yield* done("rejected", `tests failed: ${broken.slice(0, 10).join(", ")}${broken.length > 10 ? ` and ${broken.length - 10} more` : ""}`, {
          tests,
          log: yield* logOf("test")
        })
      }
      if (broken === null && (tests.failed > baseline.tests.failed || tests.passed < baseline.tests.passed)) {
        return yield* done(
          "rejected",
          `tests failed: ${tests.failed} failed / ${tests.passed} passed (baseline ${baseline.tests.failed} / ${baseline.tests.passed}): ${testStep.reason ?? ""}`.trim(),
          { tests, log: yield* logOf("test") }
        )
      }
      if (testStep.timedOut) return yield* done("rejected", `tests timed out: ${testStep.reason ?? ""}`.trim(), { tests, log: yield* logOf("test") })
      const run = { tests }

      // 5. The config's validate hooks: a returned string rejects the candidate with that reason.
      for (const hook of hooksOf(options.config, "validate")) {
        const verdict = yield* Effect.tryPromise({
          try: async () => hook.handler(candidate, { workspace: handle.path, profile, tests }),
          catch: (cause) =>
            internal(`plugin ${hook.plugin} threw in its validate hook for ${candidate.id}: ${cause instanceof Error ? cause.message : String(cause)}`, cause)
        })
        if (typeof verdict === "string" && verdict.trim().length > 0) {
          return yield* done("rejected", `rejected by plugin ${hook.plugin}: ${verdict}`, { tests })
        }
      }

      // 6. Benchmark the code the patch changes: with a repository benchmark that measures it, else a benchmark source.
      if (candidate.kind !== "performance") {
        return yield* done("accepted", "accepted as tech-debt: build and tests pass", { tests: run.tests, kind: "tech-debt", confidence: 0.5 })
      }
      const reader = (root: string) => (file: string): string | null => {
        try {
          return readFileSync(join(root, file), "utf8")
        } catch {
          return null
        }
      }
      const readBaseline = reader(options.baselineWorkspace.path)
      const readCandidate = reader(handle.path)
      const symbols = changedSymbols(candidate.diff, readBaseline)
      // a cache that lives across calls must also win on inputs it has not seen (or come from `memoize`)
      const caches = candidate.files.flatMap((file) => {
        const before = readBaseline(file)
        const after = readCandidate(file)
        return before === null || after === null ? [] : addedCaches(before, after, file)
      })
      const maxSamples = options.config?.validate?.maxSamples
      /** The first benchmark source with something to say about this candidate, as a result. */
      const fromSources = (repositoryBenchmark?: BenchmarkResult) =>
        Effect.gen(function* () {
          for (const source of yield* BenchmarkSources) {
            const own = yield* source.measure({
              candidate,
              profile,
              baselineWorkspace: options.baselineWorkspace,
              candidateWorkspace: handle,
              symbols,
              threshold,
              source: options.source,
              caches,
              ...(maxSamples ? { maxSamples } : {}),
              ...(repositoryBenchmark ? { repositoryBenchmark } : {})
            })
            if (own === null) continue
            const result: BenchmarkSourceResult = isResult(own) ? own : { comparisons: own }
            if (result.verdict !== undefined || result.comparisons.length > 0) return result
          }
          return null
        })
      const proofOf = (r: BenchmarkSourceResult | null) => ({
        ...(r?.artifacts ? { artifacts: r.artifacts } : {}),
        ...(r?.synthesized ? { synthesized: r.synthesized } : {})
      })
      /** Any slower rejects; the fastest beyond noise accepts; else not faster beyond noise. */
      const judge = (names: ReadonlyArray<string>, relevant: ReadonlyArray<BenchComparison>, proof: BenchmarkSourceResult | null) =>
        Effect.gen(function* () {
          const slower = relevant.find((c) => c.verdict === "slower")
          if (slower) {
            return yield* done("rejected", `not faster beyond noise — slower beyond noise: ${describeBenchmark(slower.result)}`, {
              tests: run.tests,
              benchmark: slower.result,
              ...proofOf(proof)
            })
          }
          const faster = relevant
            .filter((c) => c.verdict === "faster")
            .sort((a, b) => a.result.change - b.result.change)[0]
          if (faster && caches.length > 0) {
            // the gain may come from the benchmark repeating its inputs: a source must show it on distinct ones
            const distinct = proof ?? (yield* fromSources(faster.result))
            if (distinct?.verdict?.status !== "accepted") {
              return yield* done(
                "rejected",
                `faster only because the benchmark repeats its inputs: the candidate adds a cache that lives across calls (${caches.join(", ")}); ${describeBenchmark(faster.result)}; ${
                  distinct?.verdict?.reason ?? "no synthesized benchmark is available to measure distinct inputs"
                }`,
                { tests: run.tests, benchmark: faster.result, ...proofOf(distinct) }
              )
            }
            return yield* done("accepted", `accepted: faster beyond noise — ${describeBenchmark(faster.result)}; ${distinct.verdict.reason.replace(/^accepted: /, "")}`, {
              tests: run.tests,
              benchmark: faster.result,
              kind: "performance",
              confidence: Math.max(0, Math.min(1, 0.95 - faster.result.pValue)),
              ...proofOf(distinct)
            })
          }
          if (faster) {
            return yield* done("accepted", `accepted: faster beyond noise — ${describeBenchmark(faster.result)}`, {
              tests: run.tests,
              benchmark: faster.result,
              kind: "performance",
              confidence: Math.max(0, Math.min(1, 0.95 - faster.result.pValue)),
              ...proofOf(proof)
            })
          }
          const best = [...relevant].sort((a, b) => a.result.change - b.result.change)[0]
          return yield* done(
            "rejected",
            best
              ? `not faster beyond noise (needs ≥ ${pct(threshold)} with the whole 95% CI past it and p < 0.05): ${describeBenchmark(best.result)}`
              : `not faster beyond noise: the benchmarks ${names.join(", ")} reported no samples`,
            { tests: run.tests, ...(best ? { benchmark: best.result } : {}), ...proofOf(proof) }
          )
        })

      const benchmarks = options.benchmarks ?? []
      const related = profile.commands.bench !== null ? relatedBenchmarks(benchmarks, symbols) : []
      if (related.length > 0) {
        const comparisons = yield* (yield* BenchRunner).compare({
          baseline: options.baselineWorkspace,
          candidate: handle,
          profile,
          benchmarks: related,
          threshold,
          ...(maxSamples ? { maxRounds: maxSamples } : {}),
          ...(options.config?.benchmarkAdapters ? { adapters: options.config.benchmarkAdapters } : {})
        })
        return yield* judge(related, comparisons.filter((c) => related.includes(c.result.name)), null)
      }

      // no repository benchmark measures the change: a benchmark source (a synthesized benchmark, …)
      const proof = yield* fromSources()
      const verdict = proof?.verdict
      if (proof !== null && verdict === undefined) return yield* judge(proof.comparisons.map((c) => c.result.name), proof.comparisons, proof)
      if (verdict?.status === "accepted") {
        return yield* done("accepted", verdict.reason, {
          tests: run.tests,
          benchmark: verdict.benchmark,
          kind: "performance",
          confidence: verdict.confidence,
          ...proofOf(proof)
        })
      }
      if (verdict?.status === "rejected") {
        return yield* done("rejected", verdict.reason, { tests: run.tests, benchmark: verdict.benchmark, ...proofOf(proof) })
      }
      const measuredBy = `no benchmark measures ${symbols.length > 0 ? symbols.join(", ") : "the changed code"}`
      const why = verdict?.reason ?? (profile.commands.bench !== null && benchmarks.length > 0 ? measuredBy : "the repository has no benchmark")
      if (caches.length > 0) {
        return yield* done(
          "rejected",
          `faster only because the benchmark repeats its inputs cannot be ruled out: the candidate adds a cache that lives across calls (${caches.join(", ")}) and nothing measures it on distinct inputs (${why})`,
          { tests: run.tests, ...proofOf(proof) }
        )
      }
      return yield* done("accepted", `accepted as tech-debt: tests pass; ${why}, so no speedup is claimed`, {
        tests: run.tests,
        kind: "tech-debt",
        confidence: verdict === undefined && !(profile.commands.bench !== null && benchmarks.length > 0) ? 0.5 : 0.4,
        ...proofOf(proof)
      })
    })
  )
}) satisfies (options: ValidateOptions) => Effect.Effect<Validation, RatchetError, PolicyCheck | Workspace | Sandbox | ArtifactStore | BenchRunner>
