/**
 * Stage 5 — validate: apply a candidate in its own workspace, check policy, build, test and benchmark it.
 *
 * Order: policy with the run's config (before anything runs) → apply → build → typecheck → tests,
 * run as the baseline stage runs them (every test that passed at baseline must pass; flaky ones
 * are excluded) → the config's `validate` hooks → benchmark baseline vs candidate, interleaved.
 * A performance candidate is accepted as a speedup only when a benchmark that measures the changed
 * code is faster beyond noise — one of the repository's own, else one from a {@link BenchmarkSources}
 * source; with no such benchmark it can only be accepted as tech-debt, with `benchmark: null`,
 * never as a speedup, and not at all when the config sets `validate.allowTechDebt: false`.
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
import { changedSymbols, relatedBenchmarks } from "./internal/validate/symbols.js"
import { PolicyCheck } from "./PolicyCheck.js"
import { PolicyVerdict } from "./PolicyVerdict.js"
import { internal, type RatchetError } from "./RatchetError.js"
import type { RepoProfile } from "./RepoProfile.js"
import type { BaselineReport } from "./Run.js"
import { type TestOutcome, TestSummary } from "./TestSummary.js"
import { ArtifactStore } from "./ArtifactStore.js"
import type { ArtifactRef } from "./Proposal.js"
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
}

/**
 * Another way to measure a performance candidate, used when none of the repository's own
 * benchmarks measures the code it changes (a synthesized benchmark, for example). `measure`
 * returns the comparisons it made, or `null` when it has nothing for this candidate; the verdicts
 * are judged exactly like the repository's benchmarks (any slower rejects, the fastest beyond
 * noise accepts).
 *
 * @since 0.2.0
 */
export interface BenchmarkSource {
  readonly name: string
  readonly measure: (context: BenchmarkSourceContext) => Effect.Effect<ReadonlyArray<BenchComparison> | null, RatchetError>
}

/**
 * The benchmark sources validate consults, in order (default: none).
 * Plug one in with `Layer.succeed(Validate.BenchmarkSources, [source])`.
 *
 * @since 0.2.0
 */
export class BenchmarkSources extends Context.Reference<ReadonlyArray<BenchmarkSource>>("@ratchet/core/Validate/BenchmarkSources", {
  defaultValue: () => []
}) {}

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
    extra: { tests?: TestSummary | null; benchmark?: BenchmarkResult | null; kind?: "performance" | "tech-debt"; confidence?: number; log?: string } = {}
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
      const benchmarks = options.benchmarks ?? []
      if (candidate.kind === "performance") {
        const symbols = changedSymbols(candidate.diff, (file) => {
          try {
            return readFileSync(join(options.baselineWorkspace.path, file), "utf8")
          } catch {
            return null
          }
        })
        const maxSamples = options.config?.validate?.maxSamples
        let measured: { readonly names: ReadonlyArray<string>; readonly comparisons: ReadonlyArray<BenchComparison> } | null = null
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
          measured = { names: related, comparisons: comparisons.filter((c) => related.includes(c.result.name)) }
        } else {
          for (const source of yield* BenchmarkSources) {
            const own = yield* source.measure({
              candidate,
              profile,
              baselineWorkspace: options.baselineWorkspace,
              candidateWorkspace: handle,
              symbols,
              threshold,
              ...(maxSamples ? { maxSamples } : {})
            })
            if (own !== null && own.length > 0) {
              measured = { names: own.map((c) => c.result.name), comparisons: own }
              break
            }
          }
        }
        if (measured !== null) {
          const relevant = measured.comparisons
          const slower = relevant.find((c) => c.verdict === "slower")
          if (slower) {
            return yield* done("rejected", `not faster beyond noise — slower beyond noise: ${describeBenchmark(slower.result)}`, {
              tests: run.tests,
              benchmark: slower.result
            })
          }
          const faster = relevant
            .filter((c) => c.verdict === "faster")
            .sort((a, b) => a.result.change - b.result.change)[0]
          if (faster) {
            return yield* done("accepted", `accepted: faster beyond noise — ${describeBenchmark(faster.result)}`, {
              tests: run.tests,
              benchmark: faster.result,
              kind: "performance",
              confidence: Math.max(0, Math.min(1, 0.95 - faster.result.pValue))
            })
          }
          const best = [...relevant].sort((a, b) => a.result.change - b.result.change)[0]
          return yield* done(
            "rejected",
            best
              ? `not faster beyond noise (needs ≥ ${pct(threshold)} with the whole 95% CI past it and p < 0.05): ${describeBenchmark(best.result)}`
              : `not faster beyond noise: the benchmarks ${measured.names.join(", ")} reported no samples`,
            { tests: run.tests, ...(best ? { benchmark: best.result } : {}) }
          )
        }
        if (profile.commands.bench !== null && benchmarks.length > 0) {
          return yield* done(
            "accepted",
            `accepted as tech-debt: tests pass; no benchmark measures ${symbols.length > 0 ? symbols.join(", ") : "the changed code"}, so no speedup is claimed`,
            { tests: run.tests, kind: "tech-debt", confidence: 0.4 }
          )
        }
      }
      return yield* done(
        "accepted",
        candidate.kind === "performance"
          ? "accepted as tech-debt: tests pass; the repository has no benchmark, so no speedup is claimed"
          : "accepted as tech-debt: build and tests pass",
        { tests: run.tests, kind: "tech-debt", confidence: 0.5 }
      )
    })
  )
}) satisfies (options: ValidateOptions) => Effect.Effect<Validation, RatchetError, PolicyCheck | Workspace | Sandbox | ArtifactStore | BenchRunner>
