/**
 * Durable runs: a run is an `effect/workflow` workflow that runs core's pipeline composition
 * (`Pipeline.compose`) with an executor that makes every stage call a workflow activity — one per
 * stage, and one per candidate in validate. The activity's result is encoded with the stage's
 * output Schema and stored by the cluster workflow engine, so after a crash or restart a run
 * resumes: finished calls are replayed from storage (decoded with the same Schema), not executed
 * again, and an interrupted validate continues with the candidate it was on.
 *
 * @since 0.1.0
 */
import { ClusterWorkflowEngine, RunnerAddress, SingleRunner } from "effect/cluster"
import { NodeClusterSocket, NodeCrypto } from "@effect/platform-node"
import { availableParallelism } from "node:os"
import { Pipeline, type Run as CoreRun } from "@ratchet/core"
import { Cause, Clock, Context, DateTime, Effect, Layer, Option, Schema, Semaphore } from "effect"
import type { Sharding } from "effect/cluster/Sharding"
import type { SqlClient } from "effect/sql/SqlClient"
import { Activity, Workflow, WorkflowEngine } from "effect/workflow"
import { releaseSource, sourceFor, taskSpecOf } from "./internal/github/runs.js"
import { llmBudgetOf } from "./internal/llmSpend.js"
import * as Quotas from "./internal/quotas.js"
import { redact } from "./middleware/logger.js"
import { budgetExceeded, busy, type ServerError } from "./ServerError.js"
import { type Repo, type Run, Store } from "./Store.js"

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

/**
 * A stage call that failed. `setup` marks failures of the setup stages (detect, baseline), which
 * count towards auto-pausing the repository.
 *
 * @since 0.1.0
 */
export class StageFailure extends Schema.TaggedError<StageFailure>()("StageFailure", {
  stage: Schema.String,
  detail: Schema.String,
  setup: Schema.Boolean,
  /** What the stage recorded before it failed (a failed baseline's steps and logs), stored with the stage. */
  output: Schema.optionalKey(Schema.Unknown)
}) {
  override get message(): string {
    return `${this.stage} failed: ${this.detail}`
  }
}

/** A run stopped between stage calls: cancelled, or out of compute budget. */
class Stopped extends Schema.TaggedError<Stopped>()("Stopped", {
  status: Schema.Literals(["cancelled", "failed"]),
  detail: Schema.String
}) {}

/** The day (YYYY-MM-DD) of `ms` in `timezone`. @since 0.1.0 */
export const dayIn = (ms: number, timezone: string): string => {
  const zone = DateTime.zoneMakeNamed(timezone)
  const dt = DateTime.makeZonedUnsafe(ms, { timeZone: zone._tag === "Some" ? zone.value : DateTime.zoneMakeNamedUnsafe("UTC") })
  const p = DateTime.toParts(dt)
  return `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`
}

const setupStages: ReadonlyArray<CoreRun.Stage> = ["detect", "baseline"]

/** What went wrong, for the run's record: the error's message, or a defect's stack (a bug, a plugin that throws). */
const describeCause = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.findErrorOption(cause)
  if (Option.isSome(error)) return error.value instanceof Error ? error.value.message : String(error.value)
  if (Cause.hasInterruptsOnly(cause)) return "interrupted"
  const defect = Cause.squash(cause)
  return `unexpected error: ${defect instanceof Error ? (defect.stack ?? defect.message) : String(defect)}`
}

const runBody = (runId: string) =>
  Effect.gen(function* () {
    const store = yield* Store
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

    const finish = (status: "succeeded" | "failed" | "cancelled", error: string | null, setup: { readonly repoId: string; readonly reason: string } | null = null) =>
      Activity.make({
        name: `finish-${status}`,
        execute: Effect.gen(function* () {
          if (setup !== null) yield* store.recordSetup(setup.repoId, false, setup.reason)
          // The event goes first: an SSE reader that sees the final status has already got every event.
          yield* store.appendEvent(runId, `run.${status}`, { error })
          yield* store.setRunStatus(runId, status, { error })
        }).pipe(Effect.orDie)
      })

    if (!begin) return yield* finish("cancelled", "cancelled before start")

    const started: Run = yield* Effect.orDie(store.getRun(null, runId))
    const repo: Repo = yield* Effect.orDie(store.getRepo(null, started.repoId))
    // a GitHub repository with a connector is fetched through it (private repositories run)
    const fetched = yield* sourceFor(repo, runId).pipe(Effect.result)
    if (fetched._tag === "Failure") return yield* finish("failed", fetched.failure.message)
    const source = fetched.success
    if (source === null) return yield* finish("failed", `repository ${repo.name} has neither a path nor a URL; connect it again with one of them`)
    // a prompted task's run carries its plan: the agent writing it is the run's only patch source
    const task = yield* taskSpecOf(started).pipe(Effect.result)
    if (task._tag === "Failure") return yield* finish("failed", task.failure.message)
    const who = { orgId: repo.orgId, tokenId: started.tokenId }

    // proposalsPerRun of the organisation and of the token that started the run cap what it packages
    const cap = yield* Activity.make({
      name: "quotas",
      success: Schema.NullOr(Schema.Struct({ limit: Schema.Number, scope: Schema.Literals(["organisation", "token"]) })),
      execute: Effect.gen(function* () {
        const found = yield* Quotas.proposalsCap(store, who)
        if (found !== null && found.limit < repo.settings.budgets.proposalsPerRun) {
          yield* store.appendEvent(runId, "quota.applied", { quota: "proposalsPerRun", scope: found.scope, limit: found.limit, budget: repo.settings.budgets.proposalsPerRun })
        }
        return found
      }).pipe(Effect.orDie)
    })

    // Cancellation and the compute budget are checked before every stage call (cancel is monotonic,
    // so a replay sees the same or a later state).
    const checkpoint = (stage: string) =>
      Effect.gen(function* () {
        const run = yield* Effect.orDie(store.getRun(null, runId))
        if (run.cancelRequested) return yield* Effect.fail(new Stopped({ status: "cancelled", detail: `cancelled before ${stage}` }))
        const current = yield* Effect.orDie(store.getRepo(null, run.repoId))
        const today = dayIn(yield* Clock.currentTimeMillis, current.settings.timezone)
        const used = yield* Effect.orDie(store.usage(current.id, today))
        if (used.computeMs >= current.settings.budgets.computeMinutesPerDay * 60_000) {
          const detail = budgetExceeded(current.id, `compute budget of ${current.settings.budgets.computeMinutesPerDay} minutes for ${today} is used up before ${stage}; raise computeMinutesPerDay or wait for tomorrow`).message
          return yield* Effect.fail(new Stopped({ status: "failed", detail }))
        }
        // the organisation's and the token's compute quotas, like the repository's budget
        const quota = yield* Quotas.enforce(store, who, ["computeMinutesPerDay"]).pipe(
          Effect.as(null),
          Effect.catch((e) => (e.reason._tag === "QuotaExceeded" ? Effect.succeed(e) : Effect.die(e)))
        )
        if (quota !== null) return yield* Effect.fail(new Stopped({ status: "failed", detail: `${quota.message} (before ${stage})` }))
        return today
      })

    const failureOf = (stage: CoreRun.Stage, cause: Cause.Cause<unknown>): StageFailure => {
      const error = Cause.findErrorOption(cause)
      if (Option.isSome(error) && error.value instanceof StageFailure) return error.value
      return new StageFailure({ stage, detail: describeCause(cause), setup: setupStages.includes(stage) })
    }

    /** Every stage call is an activity: its result is encoded with the stage's output Schema and stored. */
    const executor: Pipeline.Executor<StageFailure | Stopped, WorkflowEngine.WorkflowEngine | WorkflowEngine.WorkflowInstance> = {
      run: (stage, call, work) =>
        Effect.gen(function* () {
          const today = yield* checkpoint(call.key)
          return yield* Activity.make({
            name: call.key,
            success: stage.output,
            error: StageFailure,
            execute: Effect.gen(function* () {
              const startedAt = yield* Clock.currentTimeMillis
              if (call.first) {
                const executions = yield* Effect.orDie(store.stageStarted(runId, stage.name, runner))
                yield* Effect.orDie(store.appendEvent(runId, "stage.started", { stage: stage.name, executions, runner }))
              } else {
                // a later call of a stage another process had started (after a restart) counts as a new execution
                yield* Effect.orDie(store.stageResumed(runId, stage.name, runner))
              }
              if (!(call.first && call.last)) yield* Effect.orDie(store.appendEvent(runId, "call.started", { stage: stage.name, call: call.key, index: call.index, runner }))
              const exit = yield* Effect.exit(work)
              const elapsed = (yield* Clock.currentTimeMillis) - startedAt
              yield* Effect.orDie(store.addUsage(repo.id, today, { computeMs: elapsed, runs: 0 }))
              // metered per run, repository, organisation and token (quotas and GET /api/usage read it)
              yield* Effect.orDie(store.meterCompute(runId, elapsed))
              if (exit._tag === "Failure") {
                const failure = failureOf(stage.name, exit.cause)
                // stored outputs are for people (the dashboard): secrets redacted
                yield* Effect.orDie(store.stageFinished(runId, stage.name, { ok: false, error: failure.detail, ...(failure.output === undefined ? {} : { output: redact(failure.output) }) }))
                yield* Effect.orDie(store.appendEvent(runId, "stage.failed", { stage: stage.name, call: call.key, error: failure.detail }))
                if (failure.setup) yield* Effect.orDie(store.recordSetup(repo.id, false, `${stage.name}: ${failure.detail}`))
                return yield* Effect.fail(failure)
              }
              if (!(call.first && call.last)) yield* Effect.orDie(store.appendEvent(runId, "call.completed", { stage: stage.name, call: call.key, index: call.index, durationMs: elapsed }))
              if (call.last) {
                const output = call.first ? yield* Effect.orDie(Schema.encodeUnknownEffect(stage.output)(exit.value)) : undefined
                yield* Effect.orDie(store.stageFinished(runId, stage.name, { ok: true, ...(output === undefined ? {} : { output: redact(output) }) }))
                yield* Effect.orDie(store.appendEvent(runId, "stage.completed", { stage: stage.name, durationMs: elapsed }))
              }
              return exit.value
            })
          })
        })
    }

    // Whether the repository is trusted is decided once, when the run starts, and kept with the run (an
    // activity: a replay after a restart sees the same answer even if the setting changed meanwhile).
    // Trusted: its config is imported in this process and its code plugins run, and the run says so.
    const trusted = yield* Activity.make({
      name: "trust",
      success: Schema.Boolean,
      execute: Effect.gen(function* () {
        const current = yield* store.getRepo(null, repo.id)
        if (!current.settings.trusted) return false
        const marked = (yield* store.auditOf(null, repo.id)).findLast((e) => e.action === "repository.trusted" && e.new === true)
        yield* store.appendEvent(runId, "config.trusted", {
          configIn: "process",
          detail: "the repository is trusted: its ratchet.config is imported in the server's process and its code plugins run",
          markedBy: marked === undefined ? null : marked.actor.tokenName,
          markedAt: marked === undefined ? null : marked.at
        })
        return true
      }).pipe(Effect.orDie)
    })

    const settings = repo.settings
    /** What the store keeps of each stage's output, recorded inside the stage's activity. */
    const record: Pipeline.Recorder<StageFailure, never> = {
      baseline: (output) =>
        output.blocked !== null
          ? Effect.flatMap(Effect.orDie(Schema.encodeUnknownEffect(Pipeline.BaselineOutput)(output)), (encoded) =>
            // the failed steps and their logs are what a person needs to fix the repository
            Effect.fail(new StageFailure({ stage: "baseline", detail: output.blocked ?? "", setup: true, output: encoded })))
          : Effect.orDie(Effect.asVoid(store.recordSetup(repo.id, true, null))),
      scan: (output) => Effect.orDie(store.setRunCounts(runId, { candidates: Math.min(output.opportunities.length, settings.budgets.candidatesPerRun) })),
      patchgen: (output) => Effect.orDie(store.setRunCounts(runId, { candidates: output.candidates.length })),
      validate: (output) =>
        Effect.orDie(
          Effect.gen(function* () {
            // attempt ids are global in the store: scope them to the run
            const attempt = { ...output.attempt, id: `${runId}:${output.attempt.id}` }
            yield* store.addAttempt(runId, attempt.id, attempt)
            yield* store.appendEvent(runId, "attempt.recorded", { id: attempt.id, candidateId: attempt.candidateId ?? null, status: attempt.status, reason: attempt.reason })
          })
        ),
      agent: (output) =>
        Effect.orDie(
          Effect.gen(function* () {
            // its validations were recorded as they happened; what never became a candidate is recorded here
            for (const outcome of output.outcomes) {
              if (outcome._tag !== "rejected") continue
              const attempt = { ...outcome.attempt, id: `${runId}:${outcome.attempt.id}` }
              yield* store.addAttempt(runId, attempt.id, attempt)
              yield* store.appendEvent(runId, "attempt.recorded", { id: attempt.id, candidateId: attempt.candidateId ?? null, status: attempt.status, reason: attempt.reason })
            }
            const llm = output.llm
            if (llm === null) return
            // every call's provider, model, tokens and cost (the providers' usage and price table) is
            // metered per run, repository, organisation and token, once (inside the agent's activity)
            for (const call of llm.calls) {
              yield* store.meterLlm(runId, { provider: call.provider, model: call.model, inputTokens: call.inputTokens, outputTokens: call.outputTokens, costUsd: call.costUsd })
            }
            // the run's LLM record: models, every call's tokens and cost, budget, why it stopped
            yield* store.putArtifact({ runId, proposalId: null, name: "llm-summary.json", mediaType: "application/json", content: new TextEncoder().encode(`${JSON.stringify(llm, null, 2)}\n`) })
            yield* store.appendEvent(runId, "llm.completed", { triage: llm.triage, patch: llm.patch, totals: llm.totals, stopped: llm.stopped })
          })
        ),
      package: (output, { input }) =>
        Effect.orDie(
          Effect.gen(function* () {
            for (const [i, proposal] of output.proposals.entries()) {
              const candidate = input.accepted[i]?.candidate
              const stored = yield* store.addProposal({
                id: `prop_${runId}_${proposal.id}`,
                runId,
                repoId: repo.id,
                title: proposal.title,
                data: {
                  ...proposal,
                  id: `prop_${runId}_${proposal.id}`,
                  // the attempts as the store keeps them (ids scoped to the run)
                  ...(proposal.trace ? { trace: proposal.trace.map((a) => ({ ...a, id: `${runId}:${a.id}` })) } : {}),
                  candidateId: candidate?.id ?? null,
                  rule: candidate?.rule ?? null,
                  source: candidate?.source ?? null
                }
              })
              yield* store.putArtifact({ runId, proposalId: stored.id, name: `${stored.id}.diff`, mediaType: "text/x-diff", content: new TextEncoder().encode(proposal.diff) })
              yield* store.appendEvent(runId, "proposal.created", { id: stored.id, title: stored.title, contentHash: stored.contentHash })
            }
            yield* store.setRunCounts(runId, { proposals: output.proposals.length })
          })
        )
    }

    const composed = yield* Pipeline.compose(
      {
        run: {
          runId,
          source,
          configFile: null,
          // untrusted (the default): the config is data, evaluated in the sandbox (the stages' default)
          configIn: trusted ? "process" : "sandbox",
          policy: repo.settings.policy,
          // the repository's stored model runs the LLM agent after the templates (none: template-only)
          llm: settings.provider !== null && settings.model !== null ? { model: `${settings.provider}:${settings.model}`, budget: llmBudgetOf(settings.budgets) } : null,
          // a prompted task's run: the agent writing its plan is the only patch source
          ...(task.success === null ? {} : { task: task.success })
        },
        budget: { candidates: settings.budgets.candidatesPerRun, proposals: Math.min(settings.budgets.proposalsPerRun, cap?.limit ?? settings.budgets.proposalsPerRun) },
        record,
        // a cancel request ends the LLM agent before its next model call; the next stage call then stops the run
        // and so does an LLM quota of the organisation or the token that is used up
        shouldStop: Effect.gen(function* () {
          const run = yield* Effect.orDie(store.getRun(null, runId))
          if (run.cancelRequested) return "the run was cancelled"
          return yield* Quotas.enforce(store, who, Quotas.llmQuotas).pipe(
            Effect.as(null),
            Effect.catch((e) => (e.reason._tag === "QuotaExceeded" ? Effect.succeed(e.message) : Effect.die(e)))
          )
        })
      },
      executor
    ).pipe(Effect.ensuring(releaseSource(runId)), Effect.result)
    if (composed._tag === "Success") return yield* finish("succeeded", null)
    const failure = composed.failure
    if (failure instanceof Stopped) return yield* finish(failure.status, failure.detail)
    if (failure instanceof StageFailure) return yield* finish("failed", failure.message)
    // a RatchetError outside any activity (cannot happen: every stage call is one)
    return yield* finish("failed", failure.message)
  })

/**
 * Registers the run workflow with the engine (needs `Store` and core's `Pipeline.Stages`).
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
   * budget (409), when the queue is full (`Busy`, 429 with `Retry-After`), or when a quota of the
   * organisation or of `tokenId` (the token starting it) is used up (`QuotaExceeded`, 429).
   */
  readonly start: (orgId: string | null, repoId: string, trigger: string, id?: string, tokenId?: string | null) => Effect.Effect<Run, ServerError>
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
      start: Effect.fn("Runs.start")(function* (orgId, repoId, trigger, id, tokenId) {
        const repo = yield* store.getRepo(orgId, repoId)
        if (repo.settings.paused) {
          return yield* Effect.fail(budgetExceeded(repo.id, `paused: ${repo.settings.pausedReason ?? "no reason recorded"}`))
        }
        const today = dayIn(yield* Clock.currentTimeMillis, repo.settings.timezone)
        const used = yield* store.usage(repo.id, today)
        if (used.computeMs >= repo.settings.budgets.computeMinutesPerDay * 60_000) {
          return yield* Effect.fail(budgetExceeded(repo.id, `the compute budget of ${repo.settings.budgets.computeMinutesPerDay} minutes for ${today} is used up; raise budgets.computeMinutesPerDay or wait until tomorrow (${repo.settings.timezone})`))
        }
        const by = tokenId ?? null
        // Quotas are counted and the run recorded under the organisation's row lock, so concurrent
        // starts (also from other processes) cannot pass a quota together.
        return yield* store.withOrgLock(repo.orgId, Effect.gen(function* () {
          if (id !== undefined) {
            // an explicit id (scheduled runs) is idempotent: a second tick finds the run it made
            const existing = yield* Effect.option(store.getRun(null, id))
            if (existing._tag === "Some") return existing.value
          }
          yield* Quotas.admitRun(store, { orgId: repo.orgId, tokenId: by }, repo.settings.provider !== null && repo.settings.model !== null)
          let run: Run
          if (id !== undefined) {
            const { created, ...existing } = yield* store.createRun(repo.id, trigger, id, by)
            if (!created) return existing
            run = existing
          } else {
            const queued = yield* store.enqueueRun(repo.id, trigger, { perRepo: limits.maxQueuedPerRepo, total: limits.maxQueued }, by)
            if (queued.run === null) {
              const depth = queued.full
              const full = depth.repo >= limits.maxQueuedPerRepo ? `${depth.repo} runs of ${repo.name} are already waiting (at most ${limits.maxQueuedPerRepo})` : `${depth.total} runs are already waiting on this server (at most ${limits.maxQueued})`
              return yield* Effect.fail(busy(`The run queue is full: ${full}`, Math.min(300, 10 * Math.max(1, Math.ceil(depth.repo / limits.perRepo)))))
            }
            run = queued.run
          }
          yield* store.addUsage(repo.id, today, { computeMs: 0, runs: 1 })
          yield* store.appendEvent(run.id, "run.queued", { trigger, tokenId: by })
          // the dispatcher (polling every DISPATCH_POLL_MS) starts it when a slot is free; the request
          // itself does no more than these few inserts, whatever is executing
          return run
        }))
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
