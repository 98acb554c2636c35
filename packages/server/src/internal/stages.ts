/**
 * The real stages: `@ratchet/core`'s stage functions on the adapters of `internal/pipeline.ts`,
 * the same composition `ratchet run` uses, cut at the stage boundaries of a durable run.
 *
 * The baseline workspace (a git worktree with the dependencies installed and the build done) is
 * shared by scan, patchgen and validate. It lives in this process, in a scope per run that is
 * closed after validate, when a stage fails, when it has been idle for long, or when the server
 * stops. The baseline stage records its path, commit and report; a later stage that does not find
 * the workspace in this process (after a restart, on another runner, or after eviction) prepares it
 * again at the recorded commit and re-runs the baseline in it, and says so in its output.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Clock, Effect, Exit, Layer, type Schema, Scope } from "effect"
import {
  ArtifactStore,
  Baseline,
  BenchRunner,
  type Attempt,
  type Candidate,
  Config,
  Detect,
  type Opportunity,
  Package,
  Patchgen,
  Pipeline,
  type RepoProfile,
  type Run,
  Scan,
  Templates,
  Validate,
  Workspace
} from "@ratchet/core"
import { type ProposalDraft, type StageInput, StageFailure, Stages } from "../Stages.js"
import { stepLogs } from "./logs.js"
import { type Ports, policyLayer, portsLayer, testAdapter, withServerPolicy } from "./pipeline.js"

/** What the baseline stage records (and later stages read from `previous.baseline`). */
export interface BaselineOutput {
  readonly workspace: Workspace.WorkspaceHandle
  readonly commit: string | null
  readonly baseline: Run.BaselineReport
  /** Each step's log (its tail, secrets redacted), by step name. */
  readonly logs: Readonly<Record<string, string>>
}

/** What the validate stage records: every attempt, and the full validation of the accepted ones. */
export interface ValidateOutput {
  readonly attempts: ReadonlyArray<Attempt.Attempt>
  readonly accepted: ReadonlyArray<Validate.Validation & { readonly candidateId: string }>
  readonly benchmarks: ReadonlyArray<string>
  readonly baselineRerun: boolean
  readonly commit: string | null
}

/** A baseline workspace held for a run. */
interface Live {
  readonly handle: Workspace.WorkspaceHandle
  readonly baseline: Run.BaselineReport
  readonly logs: Readonly<Record<string, string>>
  readonly scope: Scope.Closeable
  /** The workspace was prepared again after the baseline stage (restart or eviction). */
  readonly rerun: boolean
  users: number
  lastUsed: number
}

/** Idle baseline workspaces are released after this long (a cancelled run never reaches validate). */
const IDLE_MS = 30 * 60_000
/** At most this many idle baseline workspaces are kept. */
const MAX_IDLE = 8

const setupStages = new Set(["detect", "baseline"])

const fail = (stage: string, detail: string): StageFailure => new StageFailure({ stage, detail, setup: setupStages.has(stage) })

const failWith = (stage: string, prefix?: string) => (e: { readonly message: string }): StageFailure =>
  fail(stage, prefix === undefined ? e.message : `${prefix}: ${e.message}`)

const toJson = (value: unknown): Schema.Json => JSON.parse(JSON.stringify(value)) as Schema.Json

/** Where the repository comes from, for `Workspace.prepare`: its local path, else its git URL. */
const sourceOf = (i: StageInput, stage: string): Effect.Effect<string, StageFailure> => {
  const source = i.repo.path ?? i.repo.url
  return source !== null
    ? Effect.succeed(source)
    : Effect.fail(fail(stage, `repository ${i.repo.name} has neither a path nor a URL; connect it again with one of them`))
}

const previousOf = <A>(i: StageInput, stage: string, from: string): Effect.Effect<A, StageFailure> => {
  const value = i.previous[from]
  return value === undefined || value === null
    ? Effect.fail(fail(stage, `the ${from} stage left no output for this run (the run's stored stage results are incomplete)`))
    : Effect.succeed(value as unknown as A)
}

const minBudget = (server: number, config: number | undefined): number => Math.max(0, Math.min(server, config ?? Number.POSITIVE_INFINITY))

/**
 * Options of the real stages.
 */
export interface RealStagesOptions {
  /**
   * Ratchet's state directory (worktrees, mirrors, dependency cache, content-addressed artifacts);
   * the server's data directory. `memory://` uses a temporary directory removed on shutdown.
   */
  readonly stateDir: string
}

type StageFn = (input: StageInput) => Effect.Effect<Schema.Json, StageFailure>

/**
 * The real stage functions, as the fields of the server's `Stages` service, on the given ports.
 * Closing the scope releases every baseline workspace still held.
 */
export const make: Effect.Effect<Record<"detect" | "baseline" | "scan" | "patchgen" | "validate" | "package", StageFn>, never, Ports | Scope.Scope> =
  Effect.gen(function* () {
    const ports = yield* Effect.context<Ports>()
    const live = new Map<string, Live>()

    const close = (entry: Live) => Scope.close(entry.scope, Exit.void)
    const discard = (runId: string) =>
      Effect.suspend(() => {
        const entry = live.get(runId)
        if (entry === undefined || entry.users > 0) return Effect.void
        live.delete(runId)
        return close(entry)
      })
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        const entries = [...live.values()]
        live.clear()
        return Effect.forEach(entries, close, { discard: true })
      })
    )

    // Releases idle workspaces: long unused, or the oldest beyond MAX_IDLE.
    const sweep = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const idle = [...live.entries()].filter(([, e]) => e.users === 0).sort(([, a], [, b]) => a.lastUsed - b.lastUsed)
      const drop = idle.filter(([, e], n) => now - e.lastUsed > IDLE_MS || idle.length - n > MAX_IDLE)
      for (const [runId, entry] of drop) {
        live.delete(runId)
        yield* close(entry)
      }
    })

    const provide = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, Ports>> => Effect.provide(effect, ports)

    // the repository's config, with the server's policy limits for it applied
    const loadConfig = (root: string, stage: string, i: StageInput) =>
      Config.loadConfig(root).pipe(
        Effect.map((config) => withServerPolicy(config, i.policy)),
        Effect.mapError(failWith(stage, "loading the repository's ratchet config"))
      )

    /**
     * Runs `use` on a directory holding the repository's files: its path, or for a repository
     * connected by URL a checkout of its default branch (from the mirror cache), removed afterwards.
     */
    const withCheckout = <A>(i: StageInput, stage: string, use: (root: string) => Effect.Effect<A, StageFailure>): Effect.Effect<A, StageFailure> => {
      if (i.repo.path !== null) return use(i.repo.path)
      const url = i.repo.url
      if (url === null) return Effect.flatMap(sourceOf(i, stage), use)
      // its own scope: the ports' context carries the layer's scope, which would keep the checkout
      return Effect.acquireUseRelease(
        Scope.make(),
        (scope) =>
          Effect.gen(function* () {
            const handle = yield* provide(
              Effect.gen(function* () {
                const workspace = yield* Workspace.Workspace
                return yield* workspace.prepare({ source: url, purpose: "baseline" }).pipe(Scope.provide(scope))
              })
            ).pipe(Effect.mapError(failWith(stage, `checking out ${url}`)))
            return yield* use(handle.path)
          }),
        (scope, exit) => Scope.close(scope, exit)
      )
    }

    /** Prepares a baseline workspace and runs the baseline in it; fails (closing it) when no candidate could be proven. */
    const prepareBaseline = (args: {
      readonly stage: string
      readonly source: string
      readonly commit: string | null
      readonly profile: RepoProfile.RepoProfile
      readonly config: Config.ResolvedConfig
      readonly rerun: boolean
    }): Effect.Effect<Live, StageFailure> =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const prepared = Effect.gen(function* () {
          const workspace = yield* Workspace.Workspace
          const handle = yield* workspace
            .prepare({
              source: args.source,
              purpose: "baseline",
              packageManager: args.profile.packageManager.name,
              ...(args.commit !== null ? { commit: args.commit } : {})
            })
            .pipe(Scope.provide(scope))
          const run = yield* Effect.scoped(Baseline.run({ profile: args.profile, workspace: handle, config: args.config, testAdapter }))
          // the steps' output, for people reading the run (the stored logs.txt, split by step)
          const logsRef = run.artifacts.find((a) => a.name === "logs.txt")
          const logs = logsRef === undefined
            ? {}
            : yield* (yield* ArtifactStore.ArtifactStore).get(logsRef.sha256).pipe(
              Effect.map((bytes) => stepLogs(new TextDecoder().decode(bytes), run.report.steps.map((s) => s.name))),
              // unreadable logs never fail a baseline: the steps' results are what decides
              Effect.catch(() => Effect.succeed({}))
            )
          return { handle, report: run.report, logs }
        }).pipe(
          provide,
          Effect.mapError(failWith(args.stage, args.rerun ? "preparing the baseline workspace again" : undefined))
        )
        const result = yield* Effect.onExit(prepared, (exit) => (exit._tag === "Failure" ? Scope.close(scope, Exit.void) : Effect.void))
        const stop = Pipeline.blockingFailure(result.report)
        if (stop !== null) {
          yield* Scope.close(scope, Exit.void)
          const where = result.handle.commit === null ? "" : ` at ${result.handle.commit.slice(0, 12)}`
          return yield* Effect.fail(
            new StageFailure({
              stage: args.stage,
              detail: args.rerun ? `the baseline workspace was gone and re-running the baseline${where} failed: ${stop}` : stop,
              setup: setupStages.has(args.stage),
              // the failed steps and their logs are what a person needs to fix the repository
              output: toJson({ commit: result.handle.commit, baseline: result.report, logs: result.logs })
            })
          )
        }
        return { handle: result.handle, baseline: result.report, logs: result.logs, scope, rerun: args.rerun, users: 0, lastUsed: yield* Clock.currentTimeMillis }
      })

    /**
     * Runs `use` with the run's baseline workspace: the one this process holds, else one prepared
     * again at the commit the baseline stage recorded.
     */
    const withWorkspace = <A>(
      i: StageInput,
      stage: string,
      use: (entry: Live, context: { readonly root: string; readonly config: Config.ResolvedConfig; readonly profile: RepoProfile.RepoProfile }) => Effect.Effect<A, StageFailure>
    ): Effect.Effect<A, StageFailure> =>
      Effect.gen(function* () {
        const root = yield* sourceOf(i, stage)
        const config = yield* withCheckout(i, stage, (dir) => loadConfig(dir, stage, i))
        const profile = yield* previousOf<RepoProfile.RepoProfile>(i, stage, "detect")
        const recorded = yield* previousOf<BaselineOutput>(i, stage, "baseline")
        yield* sweep
        const acquire = Effect.gen(function* () {
          let entry = live.get(i.runId)
          if (entry !== undefined && !existsSync(entry.handle.path)) {
            live.delete(i.runId)
            yield* close(entry)
            entry = undefined
          }
          if (entry === undefined) {
            entry = yield* prepareBaseline({ stage, source: root, commit: recorded.commit ?? null, profile, config, rerun: true })
            live.set(i.runId, entry)
          }
          entry.users++
          return entry
        })
        return yield* Effect.acquireUseRelease(
          acquire,
          (entry) => use(entry, { root, config, profile }),
          (entry) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Effect.sync(() => {
                entry.users--
                entry.lastUsed = now
              })
            )
        )
      }).pipe(
        // A failed stage fails the run: its workspace is not needed any more.
        Effect.tapError(() => discard(i.runId))
      )

    const detect: StageFn = (i) =>
      Effect.gen(function* () {
        const profile = yield* withCheckout(i, "detect", (root) =>
          Effect.gen(function* () {
            const config = yield* loadConfig(root, "detect", i)
            return yield* Detect.detect(root, { config }).pipe(Effect.mapError(failWith("detect")))
          }))
        return toJson(profile)
      })

    const baseline: StageFn = (i) =>
      Effect.gen(function* () {
        const root = yield* sourceOf(i, "baseline")
        const config = yield* withCheckout(i, "baseline", (dir) => loadConfig(dir, "baseline", i))
        const profile = yield* previousOf<RepoProfile.RepoProfile>(i, "baseline", "detect")
        yield* sweep
        // A re-executed baseline (after a crash mid-stage) starts from a fresh workspace.
        const old = live.get(i.runId)
        if (old !== undefined && old.users === 0) yield* discard(i.runId)
        const entry = yield* prepareBaseline({ stage: "baseline", source: root, commit: null, profile, config, rerun: false })
        live.set(i.runId, entry)
        const output: BaselineOutput = { workspace: entry.handle, commit: entry.handle.commit, baseline: entry.baseline, logs: entry.logs }
        return toJson(output)
      })

    const scan: StageFn = (i) =>
      withWorkspace(i, "scan", (entry, { config }) =>
        Scan.scan(entry.handle.path, { config, cache: false }).pipe(
          Effect.map((report) => toJson({ ...report, baselineRerun: entry.rerun })),
          Effect.mapError(failWith("scan"))
        ))

    const patchgen: StageFn = (i) =>
      withWorkspace(i, "patchgen", (entry, { config, profile }) =>
        Effect.gen(function* () {
          const scanned = yield* previousOf<{ readonly opportunities?: ReadonlyArray<Opportunity.Opportunity> }>(i, "patchgen", "scan")
          const candidates = yield* Patchgen.patchgen({
            root: entry.handle.path,
            opportunities: scanned.opportunities ?? [],
            plugins: [...Templates.builtin(), ...config.plugins],
            profile
          }).pipe(Effect.mapError(failWith("patchgen")))
          const budget = minBudget(i.budgets.candidatesPerRun, config.budget?.candidates)
          return toJson({ candidates: candidates.slice(0, budget), found: candidates.length, budget })
        }))

    const validate: StageFn = (i) =>
      withWorkspace(i, "validate", (entry, { root, config, profile }) =>
        Effect.gen(function* () {
          const generated = yield* previousOf<{ readonly candidates?: ReadonlyArray<Candidate.Candidate> }>(i, "validate", "patchgen")
          const chosen = (generated.candidates ?? []).slice(0, minBudget(i.budgets.candidatesPerRun, config.budget?.candidates))
          const benchStep = entry.baseline.steps.find((s) => s.name === "bench")
          const benchUsable = profile.commands.bench !== null && benchStep !== undefined && benchStep.exitCode === 0
          const benchmarks = benchUsable && chosen.length > 0
            ? yield* provide(Effect.gen(function* () {
              return yield* (yield* BenchRunner.BenchRunner).list(entry.handle, profile)
            })).pipe(
              Effect.mapError(failWith("validate", "listing the baseline's benchmarks"))
            )
            : []
          const attempts: Array<Attempt.Attempt> = []
          const accepted: Array<Validate.Validation & { readonly candidateId: string }> = []
          for (const candidate of chosen) {
            const validation = yield* Validate.validate({
              candidate,
              profile,
              baseline: entry.baseline,
              baselineWorkspace: entry.handle,
              source: root,
              benchmarks,
              config,
              testAdapter
            }).pipe(
              Effect.provide(policyLayer(config)),
              provide,
              Effect.mapError(failWith("validate", `validating ${candidate.id} (${candidate.title})`))
            )
            // Attempt ids are global in the store: scope them to the run.
            const attempt: Attempt.Attempt = { ...validation.attempt, id: `${i.runId}:${validation.attempt.id}`, candidateId: candidate.id }
            attempts.push(attempt)
            if (attempt.status === "accepted") accepted.push({ ...validation, attempt, candidateId: candidate.id })
          }
          const output: ValidateOutput = { attempts, accepted, benchmarks, baselineRerun: entry.rerun, commit: entry.handle.commit }
          return toJson(output)
        })).pipe(
          // Package needs no workspace: release it whatever the outcome.
          Effect.ensuring(discard(i.runId))
        )

    const packageStage: StageFn = (i) =>
      Effect.gen(function* () {
        const config = yield* withCheckout(i, "package", (dir) => loadConfig(dir, "package", i))
        const validated = yield* previousOf<ValidateOutput>(i, "package", "validate")
        const generated = yield* previousOf<{ readonly candidates?: ReadonlyArray<Candidate.Candidate> }>(i, "package", "patchgen")
        const scanned = (i.previous.scan ?? {}) as { readonly opportunities?: ReadonlyArray<Opportunity.Opportunity> }
        const budget = minBudget(i.budgets.proposalsPerRun, config.budget?.proposals)
        const proposals: Array<ProposalDraft> = []
        for (const validation of validated.accepted.slice(0, budget)) {
          const candidate = (generated.candidates ?? []).find((c) => c.id === validation.candidateId)
          if (candidate === undefined) {
            return yield* Effect.fail(fail("package", `the accepted candidate ${validation.candidateId} is missing from the patchgen output`))
          }
          const opportunity = (scanned.opportunities ?? []).find((o) => o.id === candidate.opportunityId)
          const upTo = validated.attempts.findIndex((a) => a.id === validation.attempt.id)
          const proposal = yield* Package.packageProposal({
            candidate,
            validation,
            trace: upTo === -1 ? validated.attempts : validated.attempts.slice(0, upTo + 1),
            ...(opportunity ? { opportunityRisk: opportunity.risk } : {})
          }).pipe(provide, Effect.mapError(failWith("package", `packaging ${candidate.id}`)))
          // The store hashes the whole draft (approvals bind to that hash); core's own hash is left out
          // so that a proposal carries exactly one content hash.
          const { contentHash: _coreHash, id, ...rest } = proposal
          proposals.push(toJson({ ...rest, id: `prop_${i.runId}_${id}`, candidateId: candidate.id, rule: candidate.rule, source: candidate.source }) as unknown as ProposalDraft)
        }
        return toJson({ proposals })
      })

    // A defect (a bug, or a plugin that throws) still fails the stage with its own message, and keeps `setup`.
    const stage = (name: string, fn: StageFn): StageFn => (i) =>
      fn(i).pipe(
        Effect.catchDefect((defect) =>
          Effect.fail(fail(name, `unexpected error: ${defect instanceof Error ? (defect.stack ?? defect.message) : String(defect)}`))
        ),
        Effect.withSpan(`Stages.${name}`, { attributes: { runId: i.runId } })
      )

    return {
      detect: stage("detect", detect),
      baseline: stage("baseline", baseline),
      scan: stage("scan", scan),
      patchgen: stage("patchgen", patchgen),
      validate: stage("validate", validate),
      package: stage("package", packageStage)
    }
  })

/**
 * The real `Stages` on the ports under `stateDir` (`memory://`: a temporary directory, removed on release).
 */
export const layer = (options: RealStagesOptions): Layer.Layer<Stages> =>
  Layer.unwrap(
    Effect.gen(function* () {
      let stateDir = resolve(options.stateDir)
      if (stateDir === "memory://") {
        const dir = mkdtempSync(join(tmpdir(), "ratchet-server-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
        stateDir = dir
      }
      return Layer.effect(Stages, Effect.map(make, (stages) => Stages.of(stages))).pipe(Layer.provide(portsLayer({ stateDir })))
    })
  )
