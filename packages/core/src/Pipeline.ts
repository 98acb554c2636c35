/**
 * The whole pipeline, composed from the stages: detect → baseline → scan → patchgen → validate → package.
 * Ports are requirements; the host application (or `@ratchet/server`) provides the layers.
 *
 * @example
 * ```ts
 * import { Config, Pipeline } from "@ratchet/core"
 * import { Effect, Option } from "effect"
 *
 * const report = Effect.gen(function* () {
 *   const config = yield* Config.loadConfig("/path/to/repo")
 *   return yield* Pipeline.run({ source: "/path/to/repo", config })
 * }) // provide Sandbox, Workspace, ArtifactStore, BenchRunner and PolicyCheck layers
 * ```
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import { Effect, Option } from "effect"
import type { ArtifactStore } from "./ArtifactStore.js"
import * as Agent from "./Agent.js"
import type { Attempt } from "./Attempt.js"
import * as Baseline from "./Baseline.js"
import { BenchRunner } from "./BenchRunner.js"
import type { Candidate } from "./Candidate.js"
import type { ResolvedConfig } from "./Config.js"
import * as Detect from "./Detect.js"
import * as Package from "./Package.js"
import * as Patchgen from "./Patchgen.js"
import type { PolicyCheck } from "./PolicyCheck.js"
import type { LlmRunSummary } from "./LlmCall.js"
import type { Proposal } from "./Proposal.js"
import type { RatchetError } from "./RatchetError.js"
import type { RunReport, Stage } from "./Run.js"
import type { Sandbox } from "./Sandbox.js"
import * as Scan from "./Scan.js"
import * as SynthBench from "./SynthBench.js"
import * as Templates from "./Templates.js"
import * as Validate from "./Validate.js"
import { Workspace } from "./Workspace.js"

/**
 * A progress notification.
 *
 * @since 0.1.0
 */
export interface Progress {
  readonly stage: Stage
  readonly message: string
}

/** @since 0.1.0 */
export interface RunOptions {
  /** The repository: a local path (or git URL where the Workspace adapter supports it). */
  readonly source: string
  readonly config: ResolvedConfig
  /** Validate at most this many candidates (default: `config.budget.candidates`, else 10). */
  readonly budgetCandidates?: number
  readonly runId?: string
  /** Reads test results (`@ratchet/runner`'s `Baseline.testAdapter`). */
  readonly testAdapter?: Baseline.TestAdapter
  readonly onProgress?: (progress: Progress) => void
  /**
   * The LLM agent as a second patch source (after the templates): its models, settings, the daily
   * ledger, and whether to profile first (default `true`). Absent: the run is template-only.
   *
   * @since 0.2.0
   */
  readonly llm?: {
    readonly models: Agent.Models
    readonly settings?: Partial<Agent.Settings>
    readonly ledger?: Agent.Ledger
    readonly profile?: boolean
  }
}

/** Default candidate budget per run. */
export const DEFAULT_CANDIDATES = 10

/**
 * The steps whose failure stops a run before any candidate is tried.
 *
 * @since 0.1.0
 */
export const blockingFailure = (report: RunReport["baseline"]): string | null => {
  const test = report.steps.find((s) => s.name === "test")
  if (test === undefined) return "the repository has no test command: a candidate cannot be proven without tests"
  const broken = report.steps.find(
    (s) => (s.name === "install" || s.name === "build") && s.outcome !== undefined && !["passed", "reused", "skipped"].includes(s.outcome)
  )
  if (broken) return `baseline ${broken.name} failed: ${broken.reason ?? `exit ${broken.exitCode ?? broken.signal}`}`
  if (test.outcome === "skipped") return `the test step did not run: ${test.reason ?? report.reason ?? "an earlier step failed"}`
  if (test.timedOut) return `baseline tests timed out: ${test.reason ?? ""}`.trim()
  if (report.tests.passed === 0) {
    return `the baseline passed no test (${test.reason ?? `exit ${test.exitCode ?? test.signal}`}): a candidate cannot be proven without passing tests`
  }
  return null
}

/**
 * Runs the whole pipeline and returns the `RunReport` of `ratchet run --json`.
 *
 * @since 0.1.0
 */
export const run = Effect.fn("Pipeline.run")(function* (options: RunOptions) {
  const { config } = options
  const runId = options.runId ?? `run-${randomUUID().slice(0, 8)}`
  const note = (stage: Stage, message: string) => Effect.sync(() => options.onProgress?.({ stage, message }))
  const plugins = [...Templates.builtin(), ...config.plugins]

  yield* note("detect", `detecting ${options.source}`)
  const profile = yield* Detect.detect(options.source, { config })
  yield* note("detect", `${profile.packageManager.name}; test: ${profile.commands.test?.command ?? "none"}; bench: ${profile.commands.bench?.command ?? "none"}`)

  return yield* Effect.scoped(
    Effect.gen(function* () {
      const workspace = yield* Workspace
      yield* note("baseline", "preparing an isolated workspace")
      const handle = yield* workspace.prepare({
        source: options.source,
        purpose: "baseline",
        packageManager: profile.packageManager.name
      })
      yield* note("baseline", `install, build, typecheck, test, bench in ${handle.path}`)
      const baseline = yield* Baseline.baseline({
        profile,
        workspace: handle,
        config,
        ...(options.testAdapter ? { testAdapter: options.testAdapter } : {})
      })
      for (const step of baseline.steps) {
        yield* note(
          "baseline",
          `${step.name}: ${step.outcome ?? `exit ${step.exitCode ?? step.signal}`}${step.outcome === "reused" || step.outcome === "skipped" ? "" : ` in ${(step.durationMs / 1000).toFixed(1)} s`}`
        )
      }
      const attempts: Array<Attempt> = []
      const proposals: Array<Proposal> = []
      let llm: LlmRunSummary | null = null
      const report = (): RunReport => ({
        runId,
        commit: handle.commit,
        profile,
        baseline,
        attempts: [...attempts],
        proposals: [...proposals],
        ...(llm !== null ? { llm } : {})
      })

      const stop = blockingFailure(baseline)
      if (stop !== null) {
        yield* note("baseline", `stopping: ${stop}`)
        return { ...report(), baseline: { ...baseline, reason: baseline.reason ?? stop } }
      }

      yield* note("scan", "scanning sources")
      const scanned = yield* Scan.scan(handle.path, { plugins: config.plugins })
      yield* note("scan", `${scanned.opportunities.length} opportunities in ${scanned.stats.files} files`)

      const budget = options.budgetCandidates ?? config.budget?.candidates ?? DEFAULT_CANDIDATES
      const candidates = yield* Patchgen.patchgen({
        root: handle.path,
        opportunities: scanned.opportunities,
        plugins,
        profile
      })
      const chosen = candidates.slice(0, budget)
      yield* note("patchgen", `${candidates.length} candidates; validating ${chosen.length} (budget ${budget})`)

      const benchStep = baseline.steps.find((s) => s.name === "bench")
      const benchUsable = profile.commands.bench !== null && benchStep !== undefined && benchStep.exitCode === 0
      if (profile.commands.bench !== null && !benchUsable) {
        yield* note("validate", `the bench step failed at baseline (${benchStep?.reason ?? "not run"}): candidates can only be accepted as tech-debt`)
      }
      const runner = yield* BenchRunner
      const wantsBenchmarks = benchUsable && (chosen.length > 0 || options.llm !== undefined)
      const listed = wantsBenchmarks
        ? runner.inspect
          ? yield* runner.inspect(handle, profile)
          : { names: yield* runner.list(handle, profile), warning: null }
        : { names: [], warning: null }
      const benchmarks = listed.names
      const synthesizes = Option.isSome(yield* Effect.serviceOption(SynthBench.SynthBench))
      if (profile.commands.bench !== null && wantsBenchmarks) {
        yield* note(
          "validate",
          `benchmarks: ${benchmarks.join(", ") || (listed.warning ? `none — warning: ${listed.warning}` : "none reported")}${benchmarks.length === 0 && synthesizes ? "; candidates are measured by benchmarks synthesized from the tests' calls" : ""}`
        )
      }

      const maxProposals = config.budget?.proposals ?? Number.POSITIVE_INFINITY
      // One path for every candidate, whatever its source: policy → validate → package.
      const validateAndPackage = (candidate: Candidate) =>
        Effect.gen(function* () {
          const validation = yield* Validate.validate({
            candidate,
            profile,
            baseline,
            baselineWorkspace: handle,
            source: options.source,
            benchmarks,
            config,
            ...(options.testAdapter ? { testAdapter: options.testAdapter } : {})
          })
          attempts.push(validation.attempt)
          yield* note("validate", `  → ${validation.attempt.reason.split("\n")[0]}`)
          if (validation.attempt.status === "accepted" && proposals.length < maxProposals) {
            const opportunity = scanned.opportunities.find((o) => o.id === candidate.opportunityId)
            proposals.push(
              yield* Package.packageProposal({
                candidate,
                validation,
                trace: [...attempts],
                ...(opportunity ? { opportunityRisk: opportunity.risk } : {})
              })
            )
          }
          return validation
        })
      for (const [i, candidate] of chosen.entries()) {
        yield* note("validate", `[${i + 1}/${chosen.length}] ${candidate.title}`)
        yield* validateAndPackage(candidate)
      }

      if (options.llm) {
        const agent = options.llm
        let hotspots: ReadonlyArray<Agent.Hotspot> = []
        const warnings: Array<string> = []
        const profiled = agent.profile !== false
        if (profiled) {
          yield* note("patchgen", "profiling the tests and benchmarks under node --cpu-prof")
          const found = yield* Agent.profileHotspots({
            source: options.source,
            baselineWorkspace: handle,
            profile,
            config,
            ...(options.testAdapter ? { testAdapter: options.testAdapter } : {})
          })
          hotspots = found.hotspots
          warnings.push(...found.warnings)
          yield* note(
            "patchgen",
            `${found.profiles} CPU profiles; hottest: ${hotspots.slice(0, 3).map((h) => `${h.name} (${h.file}, ${(h.share * 100).toFixed(1)}%)`).join(", ") || "none in the repository's code"}`
          )
        }
        llm = yield* Agent.run({
          root: handle.path,
          repo: options.source,
          profile,
          opportunities: scanned.opportunities,
          hotspots,
          profiled,
          warnings,
          models: agent.models,
          ...(agent.settings ? { settings: agent.settings } : {}),
          ...(agent.ledger ? { ledger: agent.ledger } : {}),
          validate: validateAndPackage,
          reject: (attempt) =>
            Effect.gen(function* () {
              attempts.push(attempt)
              yield* note("patchgen", `  → ${attempt.reason.split("\n")[0]}`)
            }),
          onProgress: (message) => options.onProgress?.({ stage: "patchgen", message })
        })
      }
      yield* note("package", `${proposals.length} proposals`)
      return report()
    })
  )
}) satisfies (
  options: RunOptions
) => Effect.Effect<
  RunReport,
  RatchetError,
  Sandbox | Workspace | ArtifactStore | BenchRunner | PolicyCheck
>
