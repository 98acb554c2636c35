/**
 * The real stage functions (`Pipeline.Stages.layer`) on core's ports, and what they hold per run.
 *
 * Per run id this process holds:
 * - a **checkout** of the run's commit (HEAD for detect, then the commit detect recorded) and the
 *   run's **config**, loaded once from it (see `internal/pipeline/config.ts`). Detect, scan and
 *   patchgen read this tree, so every stage sees the same sources;
 * - the **baseline workspace**: prepared by the baseline stage (dependencies installed, build
 *   done), reused by validate, released when the run ends.
 *
 * A process that does not hold a run (after a restart, on another runner, after eviction) prepares
 * the checkout again at the recorded commit, and validate prepares the baseline workspace again and
 * re-runs the baseline in it (its attempts then say so). Idle runs are released after `idleMs` or
 * beyond `maxIdle`; closing the layer releases everything.
 *
 * @internal
 */
import { existsSync, realpathSync, statSync } from "node:fs"
import { Clock, Context, Effect, Exit, Scope } from "effect"
import { ArtifactStore } from "../../ArtifactStore.js"
import * as Baseline from "../../Baseline.js"
import { BenchRunner } from "../../BenchRunner.js"
import { type ResolvedConfig, withPolicyLimits } from "../../Config.js"
import * as Detect from "../../Detect.js"
import * as Package from "../../Package.js"
import * as Patchgen from "../../Patchgen.js"
import * as Agent from "../../Agent.js"
import type { AgentOptions, AgentResolver, Ports, RunRef, StageFunctions } from "../../Pipeline.js"
import { type LlmRunSummary, totalsOf } from "../../LlmCall.js"
import { internal, type RatchetError } from "../../RatchetError.js"
import type { RepoProfile } from "../../RepoProfile.js"
import type { BaselineReport } from "../../Run.js"
import * as Scan from "../../Scan.js"
import * as Templates from "../../Templates.js"
import * as Validate from "../../Validate.js"
import { Workspace, type WorkspaceHandle } from "../../Workspace.js"
import { loadAt, loadInSandbox } from "./config.js"
import { stepLogs } from "./logs.js"
import { blockingFailure, PatchSources } from "./shared.js"

/**
 * Options of the real stages.
 */
export interface StagesOptions {
  /** A config used as is for every run (an embedding application's, `ratchet run --config`). */
  readonly config?: ResolvedConfig
  /**
   * Where a run's `ratchet.config.*` is evaluated: `"process"` (default; trusted code, see
   * `Config.loadConfig`) or `"sandbox"` (`Config.loadConfigInSandbox`: a child process under the
   * `Sandbox` port, data and declarative rules only; a server's choice for repositories it does not trust).
   */
  readonly configIn?: "process" | "sandbox"
  /** Reads test results (`@ratchet/runner`'s `Baseline.testAdapter`). */
  readonly testAdapter?: Baseline.TestAdapter
  /**
   * The LLM agent's models and settings, or a resolver choosing them per run (a server: each
   * repository's model): with either, the stages have an `agent`.
   */
  readonly agent?: AgentOptions | AgentResolver
  /** Release a run held this long without use (default 30 min). */
  readonly idleMs?: number
  /** Hold at most this many idle runs (default 8). */
  readonly maxIdle?: number
}

interface Checkout {
  readonly root: string
  readonly commit: string | null
  readonly config: ResolvedConfig
  readonly warnings: ReadonlyArray<string>
}

interface Held {
  readonly handle: WorkspaceHandle
  readonly report: BaselineReport
  /** Each step's log, by step name. */
  readonly logs: Readonly<Record<string, string>>
  readonly scope: Scope.Closeable
  /** Prepared again after the baseline stage (restart or eviction). */
  readonly rerun: boolean
}

interface Entry {
  readonly scope: Scope.Closeable
  checkout: Checkout | null
  baseline: Held | null
  users: number
  lastUsed: number
}

/** The local directory a source names, or `null` for a URL. */
const localDir = (source: string): string | null => {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return source.startsWith("file://") ? new URL(source).pathname : null
  try {
    return statSync(source).isDirectory() ? realpathSync(source) : null
  } catch {
    return null
  }
}

/** The run's warning when the host had its config imported in-process (a trusted repository). */
const importedInProcess = (config: ResolvedConfig): string => {
  const code = config.plugins.map((p) => p.name)
  return `${config.file} was imported in Ratchet's process, not evaluated in the sandbox, because the repository is trusted: its code runs with Ratchet's rights${code.length === 0 ? "" : ` (plugins ${code.map((n) => JSON.stringify(n)).join(", ")} run)`}`
}

/** The summary of an agent that could not start (no key, a bad spec): no calls, and why. */
const unusable = (spec: string, reason: string): LlmRunSummary => ({
  triage: spec,
  patch: spec,
  calls: [],
  totals: totalsOf([]),
  budget: { usd: null, tokens: null, dailyUsd: null, dailyTokens: null },
  stopped: `the LLM agent did not run: ${reason}`,
  hotspots: [],
  targets: [],
  warnings: []
})

/** The stage functions on the ports; closing the scope releases every run still held. */
export const makeStages = (options: StagesOptions = {}): Effect.Effect<StageFunctions, never, Ports | Scope.Scope> =>
  Effect.gen(function* () {
    // the ports only: the layer's own Scope must not leak in, or what a run prepares would live as long as the layer
    const ports = Context.omit(Scope.Scope)(yield* Effect.context<Ports>())
    const provide = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, Ports>> => Effect.provide(effect, ports)
    const idleMs = options.idleMs ?? 30 * 60_000
    const maxIdle = options.maxIdle ?? 8
    const runs = new Map<string, Entry>()

    const closeEntry = (entry: Entry) => Scope.close(entry.scope, Exit.void)
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        const entries = [...runs.values()]
        runs.clear()
        return Effect.forEach(entries, closeEntry, { discard: true })
      })
    )

    const release = (runId: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        const entry = runs.get(runId)
        if (entry === undefined) return Effect.void
        runs.delete(runId)
        return closeEntry(entry)
      })

    // Releases idle runs: long unused, or the oldest beyond maxIdle.
    const sweep = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const idle = [...runs.entries()].filter(([, e]) => e.users === 0).sort(([, a], [, b]) => a.lastUsed - b.lastUsed)
      const drop = idle.filter(([, e], n) => now - e.lastUsed > idleMs || idle.length - n > maxIdle)
      for (const [runId, entry] of drop) {
        runs.delete(runId)
        yield* closeEntry(entry)
      }
    })

    /** Runs `f` with the run's entry marked in use (so a sweep leaves it alone). */
    const using = <A, R = never>(runId: string, f: (entry: Entry) => Effect.Effect<A, RatchetError, R>): Effect.Effect<A, RatchetError, R> =>
      Effect.gen(function* () {
        yield* sweep
        let entry = runs.get(runId)
        if (entry === undefined) {
          entry = { scope: yield* Scope.make(), checkout: null, baseline: null, users: 0, lastUsed: 0 }
          runs.set(runId, entry)
        }
        const held = entry
        held.users++
        return yield* f(held).pipe(
          Effect.ensuring(
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Effect.sync(() => {
                held.users--
                held.lastUsed = now
              })
            )
          )
        )
      })

    /** The run's checkout and config: held, else prepared at `commit` (HEAD when null) and loaded once. */
    const checkoutOf = (entry: Entry, run: RunRef): Effect.Effect<Checkout, RatchetError> =>
      Effect.gen(function* () {
        const { source, commit } = run
        const held = entry.checkout
        if (held !== null && existsSync(held.root) && (commit === null || held.commit === commit)) return held
        const handle = yield* provide(
          Effect.gen(function* () {
            const workspace = yield* Workspace
            return yield* workspace.prepare({ source, purpose: "baseline", ...(commit === null ? {} : { commit }) })
          })
        ).pipe(Scope.provide(entry.scope))
        // the run's choice (a host trusting this repository, or not) over the stages' default
        const configIn = run.configIn ?? options.configIn ?? "process"
        const loaded = options.config !== undefined
          ? { config: options.config, warnings: [] }
          : configIn === "sandbox"
            ? yield* provide(loadInSandbox({ checkout: handle.path, explicit: run.configFile }))
            : yield* Effect.map(loadAt({ source: localDir(source), checkout: handle.path, commit: handle.commit, explicit: run.configFile }), (l) =>
              run.configIn === "process" && l.config.file !== null ? { ...l, warnings: [...l.warnings, importedInProcess(l.config)] } : l
            )
        // built once per run: the host's policy limits applied to the config as loaded
        const config = withPolicyLimits(loaded.config, run.policy)
        const checkout: Checkout = { root: handle.path, commit: handle.commit, config, warnings: [...(handle.warnings ?? []), ...loaded.warnings] }
        entry.checkout = checkout
        return checkout
      })

    /** Prepares a baseline workspace at `commit` and runs the baseline in it (in its own scope, a child of the run's). */
    const prepareBaseline = (entry: Entry, source: string, commit: string | null, profile: RepoProfile, config: ResolvedConfig, rerun: boolean): Effect.Effect<Held, RatchetError> =>
      Effect.gen(function* () {
        const scope = yield* Scope.fork(entry.scope)
        const prepared = provide(
          Effect.gen(function* () {
            const workspace = yield* Workspace
            const handle = yield* workspace
              .prepare({ source, purpose: "baseline", packageManager: profile.packageManager.name, ...(commit === null ? {} : { commit }) })
              .pipe(Scope.provide(scope))
            const ran = yield* Effect.scoped(Baseline.run({ profile, workspace: handle, config, ...(options.testAdapter ? { testAdapter: options.testAdapter } : {}) }))
            // the steps' output, for people reading the run (the stored logs.txt, split by step)
            const logsRef = ran.artifacts.find((a) => a.name === "logs.txt")
            const logs = logsRef === undefined
              ? {}
              : yield* (yield* ArtifactStore).get(logsRef.sha256).pipe(
                Effect.map((bytes) => stepLogs(new TextDecoder().decode(bytes), ran.report.steps.map((s) => s.name))),
                // unreadable logs never fail a baseline: the steps' results are what decides
                Effect.catch(() => Effect.succeed({}))
              )
            return { handle, report: ran.report, logs, scope, rerun }
          })
        )
        return yield* Effect.onExit(prepared, (exit) => (exit._tag === "Failure" ? Scope.close(scope, Exit.void) : Effect.void))
      })

    /** The run's baseline workspace: held, else prepared again at the recorded commit with the baseline re-run. */
    const baselineOf = (entry: Entry, source: string, commit: string | null, profile: RepoProfile, config: ResolvedConfig): Effect.Effect<Held, RatchetError> =>
      Effect.gen(function* () {
        const held = entry.baseline
        if (held !== null && existsSync(held.handle.path)) return held
        if (held !== null) yield* Scope.close(held.scope, Exit.void)
        const again = yield* prepareBaseline(entry, source, commit, profile, config, true)
        const stop = blockingFailure(again.report)
        if (stop !== null) {
          yield* Scope.close(again.scope, Exit.void)
          const where = again.handle.commit === null ? "" : ` at ${again.handle.commit.slice(0, 12)}`
          return yield* Effect.fail(internal(`the baseline workspace was gone and re-running the baseline${where} failed: ${stop}`))
        }
        entry.baseline = again
        return again
      })

    /** The LLM agent in the run's baseline workspace: profile (unless turned off), then triage → patch → repair. */
    const agentOf = (choose: AgentOptions | AgentResolver): NonNullable<StageFunctions["agent"]> => (input, callbacks) =>
      using(input.run.runId, (entry) => Effect.gen(function* () {
        const { config } = yield* checkoutOf(entry, input.run)
        // a prompted task's only patch source is the agent: without one the run cannot do its work
        const task = input.run.task ?? null
        let agent: AgentOptions
        if (typeof choose === "function") {
          const chosen = yield* Effect.result(choose({ run: input.run, config }))
          if (chosen._tag === "Failure") {
            if (task !== null) return yield* Effect.fail(internal(`the prompted task's model cannot be used: ${chosen.failure.message}`, chosen.failure))
            const spec = input.run.llm?.model ?? config.llm?.patch ?? config.llm?.triage ?? "unknown"
            callbacks.onProgress(`the LLM agent did not run: ${chosen.failure.message}`)
            return unusable(spec, chosen.failure.message)
          }
          if (chosen.success === null) {
            if (task !== null) return yield* Effect.fail(internal("the run carries a prompted task, but no LLM model was given for it"))
            return null
          }
          agent = chosen.success
        } else {
          agent = choose
        }
        const held = yield* baselineOf(entry, input.run.source, input.run.commit, input.profile, config)
        let hotspots: ReadonlyArray<Agent.Hotspot> = []
        const warnings: Array<string> = []
        // a prompted task names its files: nothing to find in a profile
        const profiled = agent.profile !== false && task === null
        if (profiled) {
          callbacks.onProgress("profiling the tests and benchmarks under node --cpu-prof")
          const found = yield* provide(
            Agent.profileHotspots({
              source: input.run.source,
              baselineWorkspace: held.handle,
              profile: input.profile,
              config,
              ...(options.testAdapter ? { testAdapter: options.testAdapter } : {})
            })
          )
          hotspots = found.hotspots
          warnings.push(...found.warnings)
          callbacks.onProgress(
            `${found.profiles} CPU profiles; hottest: ${hotspots.slice(0, 3).map((h) => `${h.name} (${h.file}, ${(h.share * 100).toFixed(1)}%)`).join(", ") || "none in the repository's code"}`
          )
        }
        return yield* Effect.provideService(
          Agent.run({
            root: held.handle.path,
            repo: input.run.source,
            profile: input.profile,
            opportunities: input.opportunities,
            hotspots,
            profiled,
            warnings,
            models: agent.models,
            ...(agent.settings ? { settings: agent.settings } : {}),
            ...(agent.ledger ? { ledger: agent.ledger } : {}),
            ...(task !== null ? { task } : {}),
            validate: callbacks.validate,
            reject: callbacks.reject,
            onProgress: callbacks.onProgress,
            ...(callbacks.stop !== undefined ? { stop: callbacks.stop } : {})
          }),
          ArtifactStore,
          Context.get(ports, ArtifactStore)
        )
      })).pipe(Effect.withSpan("Pipeline.agent"))

    return {
      detect: ({ run }) =>
        using(run.runId, (entry) =>
          Effect.gen(function* () {
            const checkout = yield* checkoutOf(entry, run)
            const detected = yield* Detect.detect(checkout.root, { config: checkout.config })
            // detected on the checkout; reported for the repository the run is about
            const profile: RepoProfile = { ...detected, root: localDir(run.source) ?? run.source }
            return {
              commit: checkout.commit,
              profile,
              warnings: checkout.warnings,
              budget: { candidates: checkout.config.budget?.candidates ?? null, proposals: checkout.config.budget?.proposals ?? null }
            }
          })
        ).pipe(Effect.withSpan("Pipeline.detect")),

      baseline: ({ run, profile }) =>
        using(run.runId, (entry) =>
          Effect.gen(function* () {
            const { config } = yield* checkoutOf(entry, run)
            // a re-executed baseline (after a crash mid-stage) starts from a fresh workspace
            if (entry.baseline !== null) {
              yield* Scope.close(entry.baseline.scope, Exit.void)
              entry.baseline = null
            }
            const held = yield* prepareBaseline(entry, run.source, run.commit, profile, config, false)
            const blocked = blockingFailure(held.report)
            if (blocked !== null) {
              yield* Scope.close(held.scope, Exit.void)
              return { baseline: held.report, logs: held.logs, benchmarks: [], blocked }
            }
            entry.baseline = held
            const bench = held.report.steps.find((s) => s.name === "bench")
            const usable = profile.commands.bench !== null && bench !== undefined && bench.exitCode === 0
            const listed = usable
              ? yield* provide(
                Effect.gen(function* () {
                  const runner = yield* BenchRunner
                  const listOptions = config.benchmarkAdapters ? { adapters: config.benchmarkAdapters } : {}
                  // `inspect` also says why a bench command that ran gave no benchmark (no adapter read its output)
                  return runner.inspect
                    ? yield* runner.inspect(held.handle, profile, listOptions)
                    : { names: yield* runner.list(held.handle, profile, listOptions), warning: null }
                })
              )
              : { names: [], warning: null }
            const sources = (yield* provide(
              Effect.gen(function* () {
                return yield* Validate.BenchmarkSources
              })
            )).map((s) => s.name)
            return {
              baseline: held.report,
              logs: held.logs,
              benchmarks: listed.names,
              ...(listed.warning !== null ? { benchWarning: listed.warning } : {}),
              ...(sources.length > 0 ? { benchmarkSources: sources } : {}),
              blocked: null
            }
          })
        ).pipe(Effect.withSpan("Pipeline.baseline")),

      scan: ({ run }) =>
        using(run.runId, (entry) =>
          Effect.gen(function* () {
            const checkout = yield* checkoutOf(entry, run)
            const report = yield* Scan.scan(checkout.root, { config: checkout.config, cache: false })
            return {
              opportunities: report.opportunities,
              stats: { files: report.stats.files, bytes: report.stats.bytes, durationMs: report.stats.durationMs },
              warnings: report.warnings
            }
          })
        ).pipe(Effect.withSpan("Pipeline.scan")),

      patchgen: ({ run, profile, opportunities, budget }) =>
        using(run.runId, (entry) =>
          Effect.gen(function* () {
            // a prompted task's only patch source is the agent writing the planned change
            if (run.task) return { candidates: [], found: 0, budget }
            const checkout = yield* checkoutOf(entry, run)
            const fromPlugins = yield* Patchgen.patchgen({
              root: checkout.root,
              opportunities,
              plugins: [...Templates.builtin(), ...checkout.config.plugins],
              profile
            })
            const sources = yield* PatchSources
            const extra: Array<ReadonlyArray<typeof fromPlugins[number]>> = []
            for (const source of sources) {
              extra.push(
                yield* source
                  .generate({ root: checkout.root, profile, opportunities, config: checkout.config, budget: Math.max(0, budget - fromPlugins.length) })
                  .pipe(Effect.mapError((e) => internal(`patch source ${source.name} failed: ${e.message}`, e)))
              )
            }
            // one candidate per id: the first source to produce it wins
            const seen = new Set<string>()
            const candidates = [...fromPlugins, ...extra.flat()].filter((c) => !seen.has(c.id) && seen.add(c.id) !== undefined)
            return { candidates: candidates.slice(0, budget), found: candidates.length, budget }
          })
        ).pipe(Effect.withSpan("Pipeline.patchgen")),

      validate: ({ run, profile, baseline, candidate }) =>
        using(run.runId, (entry) =>
          Effect.gen(function* () {
            const { config } = yield* checkoutOf(entry, run)
            const held = yield* baselineOf(entry, run.source, run.commit, profile, config)
            const validation = yield* provide(
              Validate.validate({
                candidate,
                profile,
                baseline: held.report,
                baselineWorkspace: held.handle,
                source: run.source,
                benchmarks: baseline.benchmarks,
                config,
                ...(options.testAdapter ? { testAdapter: options.testAdapter } : {})
              })
            )
            return held.rerun
              ? { ...validation, attempt: { ...validation.attempt, reason: `${validation.attempt.reason} (the baseline was re-run at ${held.handle.commit?.slice(0, 12) ?? "the same commit"} after a restart)` } }
              : validation
          })
        ).pipe(Effect.withSpan("Pipeline.validate", { attributes: { candidate: candidate.id } })),

      package: ({ run, accepted }) =>
        using(run.runId, (entry) =>
          Effect.gen(function* () {
            const { config } = yield* checkoutOf(entry, run)
            const proposals = yield* provide(
              Effect.forEach(accepted, (item) =>
                Package.packageProposal({
                  candidate: item.candidate,
                  validation: item.validation,
                  trace: item.trace,
                  config,
                  ...(item.opportunityRisk !== null ? { opportunityRisk: item.opportunityRisk } : {})
                })
              )
            )
            return { proposals }
          })
        ).pipe(Effect.withSpan("Pipeline.package")),

      ...(options.agent === undefined ? {} : { agent: agentOf(options.agent) }),

      release
    }
  })
