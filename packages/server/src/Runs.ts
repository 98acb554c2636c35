/**
 * Durable runs: a run is an `effect/workflow` workflow whose stages are
 * activities. The cluster workflow engine stores every activity result in
 * SQL, so after a crash or restart a run resumes and completed stages are
 * replayed from storage instead of being executed again.
 *
 * @since 0.1.0
 */
import { ClusterWorkflowEngine, RunnerAddress, SingleRunner } from "effect/cluster"
import { NodeClusterSocket, NodeCrypto } from "@effect/platform-node"
import { availableParallelism } from "node:os"
import { Cause, Clock, Context, DateTime, Effect, Layer, Option, Schema, Semaphore } from "effect"
import type { Sharding } from "effect/cluster/Sharding"
import type { SqlClient } from "effect/sql/SqlClient"
import { Activity, Workflow, WorkflowEngine } from "effect/workflow"
import { budgetExceeded, busy, type ServerError } from "./ServerError.js"
import { type StageInput, StageFailure, Stages } from "./Stages.js"
import { type Repo, type Run, stageNames, Store } from "./Store.js"

/**
 * The name of this process in run and stage records (`host:pid` by default).
 *
 * @since 0.1.0
 */
export class RunnerName extends Context.Reference<string>("@ratchet/server/RunnerName", {
  defaultValue: () => `${process.env.HOSTNAME ?? "local"}:${process.pid}`
}) {}

/**
 * The run workflow; its execution id is derived from the run id.
 *
 * @since 0.1.0
 */
export const RunWorkflow = Workflow.make("ratchet/Run", {
  payload: { runId: Schema.String },
  idempotencyKey: ({ runId }) => runId
})

/** The day (YYYY-MM-DD) of `ms` in `timezone`. @since 0.1.0 */
export const dayIn = (ms: number, timezone: string): string => {
  const zone = DateTime.zoneMakeNamed(timezone)
  const dt = DateTime.makeZonedUnsafe(ms, { timeZone: zone._tag === "Some" ? zone.value : DateTime.zoneMakeNamedUnsafe("UTC") })
  const p = DateTime.toParts(dt)
  return `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`
}

const stageOutput = Schema.Json

const runBody = (runId: string) =>
  Effect.gen(function* () {
    const store = yield* Store
    const stages = yield* Stages
    const runner = yield* RunnerName

    const begin = yield* Activity.make({
      name: "begin",
      success: Schema.Boolean,
      execute: Effect.gen(function* () {
        const run = yield* store.getRun(null, runId)
        if (run.cancelRequested) return false
        yield* store.setRunStatus(runId, "running", { runner })
        yield* store.appendEvent(runId, "run.started", { runner })
        return true
      }).pipe(Effect.orDie)
    })

    const finish = (status: "succeeded" | "failed" | "cancelled", error: string | null) =>
      Activity.make({
        name: `finish-${status}`,
        execute: Effect.gen(function* () {
          // The event goes first: an SSE reader that sees the final status has already got every event.
          yield* store.appendEvent(runId, `run.${status}`, { error })
          yield* store.setRunStatus(runId, status, { error })
        }).pipe(Effect.orDie)
      })

    if (!begin) return yield* finish("cancelled", "cancelled before start")

    const previous: Record<string, Schema.Json> = {}
    for (const stage of stageNames) {
      // Cancellation and budgets are checked between stages (cancel is monotonic, so a replay sees the same or a later state).
      const run: Run = yield* Effect.orDie(store.getRun(null, runId))
      if (run.cancelRequested) return yield* finish("cancelled", `cancelled before ${stage}`)
      const repo: Repo = yield* Effect.orDie(store.getRepo(null, run.repoId))
      const today = dayIn(yield* Clock.currentTimeMillis, repo.settings.timezone)
      const used = yield* Effect.orDie(store.usage(repo.id, today))
      if (used.computeMs >= repo.settings.budgets.computeMinutesPerDay * 60_000) {
        return yield* finish("failed", budgetExceeded(repo.id, `compute budget of ${repo.settings.budgets.computeMinutesPerDay} minutes for ${today} is used up before ${stage}; raise computeMinutesPerDay or wait for tomorrow`).message)
      }
      const input: StageInput = {
        runId,
        repo: { id: repo.id, name: repo.name, url: repo.url, path: repo.path, defaultBranch: repo.defaultBranch },
        budgets: { candidatesPerRun: repo.settings.budgets.candidatesPerRun, proposalsPerRun: repo.settings.budgets.proposalsPerRun },
        policy: repo.settings.policy,
        provider: repo.settings.provider,
        model: repo.settings.model,
        previous: { ...previous }
      }
      const result = yield* Activity.make({
        name: stage,
        success: stageOutput,
        error: StageFailure,
        execute: Effect.gen(function* () {
          const started = yield* Clock.currentTimeMillis
          const executions = yield* Effect.orDie(store.stageStarted(runId, stage, runner))
          yield* Effect.orDie(store.appendEvent(runId, "stage.started", { stage, executions, runner }))
          const exit = yield* Effect.exit(stages[stage](input))
          const elapsed = (yield* Clock.currentTimeMillis) - started
          yield* Effect.orDie(store.addUsage(repo.id, today, { computeMs: elapsed, runs: 0 }))
          if (exit._tag === "Failure") {
            const err = exit.cause.reasons.find((r) => r._tag === "Fail")
            const failure = err?._tag === "Fail" ? err.error : new StageFailure({ stage, detail: String(exit.cause), setup: false })
            yield* Effect.orDie(store.stageFinished(runId, stage, { ok: false, error: failure.detail, ...(failure.output === undefined ? {} : { output: failure.output }) }))
            yield* Effect.orDie(store.appendEvent(runId, "stage.failed", { stage, error: failure.detail }))
            if (failure.setup) yield* Effect.orDie(store.recordSetup(repo.id, false, `${stage}: ${failure.detail}`))
            return yield* Effect.fail(failure)
          }
          const output = exit.value
          if (stage === "baseline") yield* Effect.orDie(store.recordSetup(repo.id, true, null))
          yield* Effect.orDie(persist(store, runId, repo, stage, output))
          yield* Effect.orDie(store.stageFinished(runId, stage, { ok: true, output }))
          yield* Effect.orDie(store.appendEvent(runId, "stage.completed", { stage, durationMs: elapsed }))
          return output
        })
      }).pipe(Effect.result)
      if (result._tag === "Failure") return yield* finish("failed", result.failure.message)
      previous[stage] = result.success
    }
    return yield* finish("succeeded", null)
  })

const persist = (store: Store["Service"], runId: string, repo: Repo, stage: string, output: Schema.Json): Effect.Effect<void, ServerError> =>
  Effect.gen(function* () {
    const o = (output ?? {}) as any
    if (stage === "scan" && Array.isArray(o.opportunities)) {
      yield* store.setRunCounts(runId, { candidates: Math.min(o.opportunities.length, repo.settings.budgets.candidatesPerRun) })
    }
    // Patchgen knows how many opportunities became candidates (within the budget).
    if (stage === "patchgen" && Array.isArray(o.candidates)) {
      yield* store.setRunCounts(runId, { candidates: Math.min(o.candidates.length, repo.settings.budgets.candidatesPerRun) })
    }
    if (stage === "validate" && Array.isArray(o.attempts)) {
      for (const a of o.attempts) yield* store.addAttempt(runId, String(a.id), a)
    }
    if (stage === "package" && Array.isArray(o.proposals)) {
      const proposals = o.proposals.slice(0, repo.settings.budgets.proposalsPerRun)
      for (const p of proposals) {
        const stored = yield* store.addProposal({ id: String(p.id), runId, repoId: repo.id, title: String(p.title ?? p.id), data: p })
        if (typeof p.diff === "string") {
          yield* store.putArtifact({ runId, proposalId: stored.id, name: `${stored.id}.diff`, mediaType: "text/x-diff", content: new TextEncoder().encode(p.diff) })
        }
        yield* store.appendEvent(runId, "proposal.created", { id: stored.id, title: stored.title, contentHash: stored.contentHash })
      }
      yield* store.setRunCounts(runId, { proposals: proposals.length })
    }
  })

/**
 * Registers the run workflow with the engine (needs `Store`, `Stages`).
 *
 * @since 0.1.0
 */
export const workflowLayer = RunWorkflow.toLayer(({ runId }) => runBody(runId))

/**
 * The embedded single-process workflow engine on the SQL database.
 *
 * @since 0.1.0
 */
export const engineLayer: Layer.Layer<WorkflowEngine.WorkflowEngine | Sharding, never, SqlClient> = ClusterWorkflowEngine.layer.pipe(
  Layer.provideMerge(SingleRunner.layer({ runnerStorage: "memory" })),
  Layer.provide(NodeCrypto.layer),
  Layer.orDie
)

/**
 * The multi-runner workflow engine for scale-out: several processes share one
 * PostgreSQL (runner registry, shard locks, messages) and talk to each other
 * over sockets; workflow executions are spread over the runners by shard.
 * `host:port` is where this runner listens for the others.
 *
 * @since 0.1.0
 */
export const engineLayerCluster = (options: { readonly host: string; readonly port: number }): Layer.Layer<WorkflowEngine.WorkflowEngine | Sharding, never, SqlClient> =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(NodeClusterSocket.layer({
      storage: "sql",
      shardingConfig: { runnerAddress: Option.some(RunnerAddress.make(options.host, options.port)) }
    })),
    Layer.provide(NodeCrypto.layer),
    Layer.orDie
  )

/**
 * How many runs execute at once and how many may wait. Defaults: `RATCHET_MAX_RUNS` (else
 * `max(1, cores - 1)`) at once in this process, `RATCHET_MAX_RUNS_PER_REPO` (else 1) at once per
 * repository across every process sharing the database, and `RATCHET_MAX_QUEUED_RUNS` (else 200)
 * / `RATCHET_MAX_QUEUED_PER_REPO` (else 25) waiting, beyond which starting a run answers 429.
 *
 * @since 0.1.0
 */
export interface RunLimits {
  readonly global: number
  readonly perRepo: number
  readonly maxQueued: number
  readonly maxQueuedPerRepo: number
}

const positive = (value: string | undefined, fallback: number): number => {
  const n = Number(value)
  return Number.isInteger(n) && n > 0 ? n : fallback
}

/**
 * {@link RunLimits} from the environment.
 *
 * @since 0.1.0
 */
export const limitsFromEnv = (env: Record<string, string | undefined> = process.env): RunLimits => ({
  global: positive(env.RATCHET_MAX_RUNS, Math.max(1, availableParallelism() - 1)),
  perRepo: positive(env.RATCHET_MAX_RUNS_PER_REPO, 1),
  maxQueued: positive(env.RATCHET_MAX_QUEUED_RUNS, 200),
  maxQueuedPerRepo: positive(env.RATCHET_MAX_QUEUED_PER_REPO, 25)
})

/**
 * The run limits in effect (a reference: provide another value to change them).
 *
 * @since 0.1.0
 */
export class RunQueueLimits extends Context.Reference<RunLimits>("@ratchet/server/RunQueueLimits", {
  defaultValue: () => limitsFromEnv()
}) {}

/** How often the dispatcher looks for runs to start (another process may have freed a slot). */
const DISPATCH_POLL_MS = 200

/**
 * Starting, cancelling and recovering runs. Runs go to a durable queue (the `runs` table): a
 * start only records the run (fast, whatever is executing), and a dispatcher hands queued runs to
 * the workflow engine within the {@link RunLimits}.
 *
 * @since 0.1.0
 */
export class Runs extends Context.Service<Runs, {
  /**
   * Records a queued run and wakes the dispatcher. Fails when the repository is paused or out of
   * budget (409), or when the queue is full (`Busy`, 429 with `Retry-After`).
   */
  readonly start: (orgId: string | null, repoId: string, trigger: string, id?: string) => Effect.Effect<Run, ServerError>
  readonly cancel: (orgId: string, runId: string) => Effect.Effect<Run, ServerError>
  /** Re-submits runs that were dispatched and are unfinished (idempotent: the engine joins executions that exist); queued ones wait for the dispatcher. */
  readonly recover: Effect.Effect<number, ServerError>
}>()("@ratchet/server/Runs") {
  /** @since 0.1.0 */
  static readonly layer: Layer.Layer<Runs, never, Store | WorkflowEngine.WorkflowEngine> = Layer.effect(Runs, Effect.gen(function* () {
    const store = yield* Store
    const engine = yield* WorkflowEngine.WorkflowEngine
    const limits = yield* RunQueueLimits
    const submit = (runId: string) =>
      RunWorkflow.execute({ runId }, { discard: true }).pipe(Effect.provideService(WorkflowEngine.WorkflowEngine, engine), Effect.asVoid)

    // Runs this process handed to the engine and has not seen finish: its share of the global limit.
    const inFlight = new Set<string>()
    const lock = yield* Semaphore.make(1)
    const dispatch = lock.withPermits(1)(Effect.gen(function* () {
      for (const id of yield* store.finishedAmong([...inFlight])) inFlight.delete(id)
      while (inFlight.size < limits.global) {
        const id = yield* store.claimQueuedRun(limits.perRepo)
        if (id === null) break
        inFlight.add(id)
        yield* submit(id)
      }
    })).pipe(Effect.catchCause((cause) => Effect.logWarning(`Ratchet: dispatching queued runs failed; retrying: ${Cause.pretty(cause)}`)))
    yield* Effect.forkScoped(Effect.forever(Effect.andThen(dispatch, Effect.sleep(DISPATCH_POLL_MS))))

    return Runs.of({
      start: Effect.fn("Runs.start")(function* (orgId, repoId, trigger, id) {
        const repo = yield* store.getRepo(orgId, repoId)
        if (repo.settings.paused) {
          return yield* Effect.fail(budgetExceeded(repo.id, `paused: ${repo.settings.pausedReason ?? "no reason recorded"}`))
        }
        const today = dayIn(yield* Clock.currentTimeMillis, repo.settings.timezone)
        const used = yield* store.usage(repo.id, today)
        if (used.computeMs >= repo.settings.budgets.computeMinutesPerDay * 60_000) {
          return yield* Effect.fail(budgetExceeded(repo.id, `the compute budget of ${repo.settings.budgets.computeMinutesPerDay} minutes for ${today} is used up; raise budgets.computeMinutesPerDay or wait until tomorrow (${repo.settings.timezone})`))
        }
        let run: Run
        if (id !== undefined) {
          // an explicit id (scheduled runs) is idempotent: a second tick finds the run it made
          const { created, ...existing } = yield* store.createRun(repo.id, trigger, id)
          if (!created) return existing
          run = existing
        } else {
          const queued = yield* store.enqueueRun(repo.id, trigger, { perRepo: limits.maxQueuedPerRepo, total: limits.maxQueued })
          if (queued.run === null) {
            const depth = queued.full
            const full = depth.repo >= limits.maxQueuedPerRepo ? `${depth.repo} runs of ${repo.name} are already waiting (at most ${limits.maxQueuedPerRepo})` : `${depth.total} runs are already waiting on this server (at most ${limits.maxQueued})`
            return yield* Effect.fail(busy(`The run queue is full: ${full}`, Math.min(300, 10 * Math.max(1, Math.ceil(depth.repo / limits.perRepo)))))
          }
          run = queued.run
        }
        yield* store.addUsage(repo.id, today, { computeMs: 0, runs: 1 })
        yield* store.appendEvent(run.id, "run.queued", { trigger })
        // the dispatcher (polling every DISPATCH_POLL_MS) starts it when a slot is free; the request
        // itself does no more than these few inserts, whatever is executing
        return run
      }),
      cancel: Effect.fn("Runs.cancel")(function* (orgId, runId) {
        const run = yield* store.requestCancel(orgId, runId)
        yield* store.appendEvent(runId, "run.cancel-requested", {})
        return run
      }),
      recover: Effect.gen(function* () {
        const ids = yield* store.unfinishedRuns
        for (const id of ids) inFlight.add(id)
        yield* Effect.forEach(ids, submit, { discard: true })
        return ids.length
      })
    })
  }))
}
