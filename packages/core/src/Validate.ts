/**
 * Stage 5 — validate: apply a candidate in its own workspace, check policy, build, test and benchmark it.
 *
 * Order: policy (before anything runs) → the reward-hack guard (a candidate that touches tests, benchmarks,
 * test-runner configuration or Ratchet's harness is rejected, whatever it measures) → apply → build →
 * typecheck → tests, run as the baseline stage runs them (every test that passed at baseline must pass; flaky
 * ones are excluded) → benchmark baseline vs candidate, interleaved.
 *
 * A performance candidate is accepted as a speedup only when a benchmark that measures the changed code is
 * faster beyond noise: a repository benchmark whose name mentions a changed function, else — when a
 * `SynthBench` service is provided — a benchmark synthesized from the calls the tests make to the changed
 * module-level functions, after those calls behave identically on the candidate (the first differing call
 * rejects it). A candidate that adds a cache living across calls (a module-level `Map`, …) must also be faster
 * on distinct inputs, unless it comes from the `memoize` template, whose evidence then reports both figures;
 * otherwise it is rejected as "faster only because the benchmark repeats its inputs". With no replayable call
 * (and no repository benchmark) a candidate is unproven: at most tech-debt, with `benchmark: null`, never a
 * speedup.
 *
 * @since 0.1.0
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Clock, Effect, Option } from "effect"
import type { Attempt } from "./Attempt.js"
import type { BenchmarkResult } from "./BenchmarkResult.js"
import { BenchRunner } from "./BenchRunner.js"
import type { Candidate } from "./Candidate.js"
import type { ResolvedConfig } from "./Config.js"
import { applyUnifiedDiff } from "./internal/validate/applyPatch.js"
import { measuringFiles } from "./internal/validate/guard.js"
import { proveBySynthesis, type SynthOutcome } from "./internal/validate/synthesized.js"
import { changedSymbols, relatedBenchmarks } from "./internal/validate/symbols.js"
import { PolicyCheck } from "./PolicyCheck.js"
import type { PolicyVerdict } from "./PolicyVerdict.js"
import * as SynthBench from "./SynthBench.js"
import type { RatchetError } from "./RatchetError.js"
import type { RepoProfile } from "./RepoProfile.js"
import type { BaselineReport } from "./Run.js"
import type { TestOutcome, TestSummary } from "./TestSummary.js"
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
export interface Validation {
  readonly attempt: Attempt
  readonly tests: TestSummary | null
  readonly benchmark: BenchmarkResult | null
  readonly policy: ReadonlyArray<PolicyVerdict>
  /** What an accepted candidate is: a measured speedup, or a tech-debt improvement. */
  readonly kind: "performance" | "tech-debt"
  readonly confidence: number
  /** Artifacts of the proof (the synthesized benchmark's harness). @since 0.2.0 */
  readonly artifacts?: ReadonlyArray<ArtifactRef>
  /** Extra evidence for `evidence.json` (`synthesized`: captured calls, equivalence, both figures). @since 0.2.0 */
  readonly evidence?: Readonly<Record<string, unknown>>
  /**
   * For a candidate rejected by its build, typecheck or tests: that step's output (the tail, at most
   * 64 KiB), so a repair round can show the model what failed.
   *
   * @since 0.2.0
   */
  readonly log?: string
}

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

  const done = (
    status: "accepted" | "rejected",
    reason: string,
    extra: {
      tests?: TestSummary | null
      benchmark?: BenchmarkResult | null
      kind?: "performance" | "tech-debt"
      confidence?: number
      artifacts?: ReadonlyArray<ArtifactRef>
      evidence?: Readonly<Record<string, unknown>>
      log?: string
    } = {}
  ) =>
    Effect.map(Clock.currentTimeMillis, (now): Validation => ({
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
      confidence: extra.confidence ?? 0,
      ...(extra.artifacts && extra.artifacts.length > 0 ? { artifacts: extra.artifacts } : {}),
      ...(extra.evidence ? { evidence: extra.evidence } : {}),
      ...(extra.log !== undefined ? { log: extra.log } : {})
    }))

  // 1. Policy, before anything of the candidate runs.
  const decision = yield* (yield* PolicyCheck).check(candidate.diff)
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
      const applied = yield* Effect.try({
        try: () => applyUnifiedDiff(handle.path, candidate.diff),
        catch: (cause) => (cause instanceof Error ? cause.message : String(cause))
      }).pipe(Effect.result)
      if (applied._tag === "Failure") return yield* done("rejected", `does not apply: ${applied.failure}`)

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

      // 5. Benchmark the code the patch changes: a repository benchmark that measures it, else a benchmark
      // synthesized from the calls the tests make (with a behavioural-equivalence check on those calls).
      if (candidate.kind !== "performance") {
        return yield* done("accepted", "accepted as tech-debt: build and tests pass", { tests: run.tests, kind: "tech-debt", confidence: 0.5 })
      }
      const readBaseline = (file: string): string | null => {
        try {
          return readFileSync(join(options.baselineWorkspace.path, file), "utf8")
        } catch {
          return null
        }
      }
      const readCandidate = (file: string): string | null => {
        try {
          return readFileSync(join(handle.path, file), "utf8")
        } catch {
          return null
        }
      }
      // a cache that lives across calls must also win on inputs it has not seen (or come from `memoize`)
      const caches = candidate.files.flatMap((file) => {
        const before = readBaseline(file)
        const after = readCandidate(file)
        return before === null || after === null ? [] : SynthBench.cachesAdded(before, after, file)
      })
      const memoize = candidate.source === "template:memoize"
      const synth = Option.getOrUndefined(yield* Effect.serviceOption(SynthBench.SynthBench))
      const { targets } = SynthBench.targetsOf(candidate.diff, readBaseline)
      const synthesize = () =>
        synth === undefined
          ? Effect.succeed(null)
          : proveBySynthesis({
              synth,
              targets,
              source: options.source,
              profile,
              baseline: options.baselineWorkspace,
              candidate: handle,
              threshold,
              caches,
              memoize,
              ...(options.config?.validate?.maxSamples ? { maxRounds: options.config.validate.maxSamples } : {})
            })
      const withSynth = (outcome: SynthOutcome) => ({ artifacts: outcome.artifacts, evidence: { synthesized: outcome.evidence } })

      const benchmarks = options.benchmarks ?? []
      const symbols = changedSymbols(candidate.diff, readBaseline)
      const related = profile.commands.bench !== null && benchmarks.length > 0 ? relatedBenchmarks(benchmarks, symbols) : []
      if (related.length > 0) {
        const comparisons = yield* (yield* BenchRunner).compare({
          baseline: options.baselineWorkspace,
          candidate: handle,
          profile,
          benchmarks: related,
          threshold,
          ...(options.config?.validate?.maxSamples ? { maxRounds: options.config.validate.maxSamples } : {})
        })
        const relevant = comparisons.filter((c) => related.includes(c.result.name))
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
        if (faster && caches.length > 0) {
          // the repository's benchmark repeats its inputs: the distinct-input figure comes from captured calls
          const proof = yield* synthesize()
          if (proof === null || proof.status !== "accepted") {
            return yield* done(
              "rejected",
              `faster only because the benchmark repeats its inputs: the candidate adds a cache that lives across calls (${caches.join(", ")}); ${describeBenchmark(faster.result)}; ${
                proof === null ? "no synthesized benchmark is available to measure distinct inputs" : proof.reason
              }`,
              { tests: run.tests, benchmark: faster.result, ...(proof ? withSynth(proof) : {}) }
            )
          }
          return yield* done("accepted", `accepted: faster beyond noise — ${describeBenchmark(faster.result)}; ${proof.reason.replace(/^accepted: /, "")}`, {
            tests: run.tests,
            benchmark: faster.result,
            kind: "performance",
            confidence: Math.max(0, Math.min(1, 0.95 - faster.result.pValue)),
            ...withSynth(proof)
          })
        }
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
            : `not faster beyond noise: the benchmarks ${related.join(", ")} reported no samples`,
          { tests: run.tests, ...(best ? { benchmark: best.result } : {}) }
        )
      }

      // no repository benchmark measures the change: a synthesized one, from the calls the tests make
      const proof = targets.length > 0 ? yield* synthesize() : null
      if (proof !== null && proof.status === "accepted") {
        return yield* done("accepted", proof.reason, { tests: run.tests, benchmark: proof.benchmark, kind: "performance", confidence: proof.confidence, ...withSynth(proof) })
      }
      if (proof !== null && proof.status === "rejected") {
        return yield* done("rejected", proof.reason, { tests: run.tests, benchmark: proof.benchmark, ...withSynth(proof) })
      }
      const why =
        proof !== null
          ? proof.reason
          : synth === undefined
            ? `no benchmark measures ${symbols.length > 0 ? symbols.join(", ") : "the changed code"}`
            : `unproven: the change is not inside a module-level function whose calls can be captured`
      if (caches.length > 0) {
        return yield* done(
          "rejected",
          `faster only because the benchmark repeats its inputs cannot be ruled out: the candidate adds a cache that lives across calls (${caches.join(", ")}) and nothing measures it on distinct inputs (${why})`,
          { tests: run.tests, ...(proof ? withSynth(proof) : {}) }
        )
      }
      return yield* done(
        "accepted",
        `accepted as tech-debt: tests pass; ${why}, so no speedup is claimed`,
        { tests: run.tests, kind: "tech-debt", confidence: 0.4, ...(proof ? withSynth(proof) : {}) }
      )
    })
  )
}) satisfies (options: ValidateOptions) => Effect.Effect<Validation, RatchetError, PolicyCheck | Workspace | Sandbox | ArtifactStore | BenchRunner>
