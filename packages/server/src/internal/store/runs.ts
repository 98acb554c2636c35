/**
 * Runs and their stages, and the run view the API polls (`GET /api/runs/:id`).
 *
 * The run view is cached briefly: every write to runs, stages or proposals in this process
 * invalidates the whole cache at once (a generation counter bumped after the write), so this
 * process never serves what it has overwritten; writes by other server processes sharing the
 * database show within {@link RUN_VIEW_CACHE_MS}.
 *
 * @internal
 */
import { Run as CoreRun } from "@ratchet/core"
import { Clock, Effect } from "effect"
import * as Scrub from "../scrub.js"
import { conflict, notFound, type ServerError } from "../../ServerError.js"
import type { Consumption } from "./usage.js"
import { bool, iso, isoOrNull, json, literal, newId, now, num, type Row, type StoreContext, str, strOrNull } from "./sql.js"

/** How long another server process's write to a run may take to show in `getRunView` here. */
export const RUN_VIEW_CACHE_MS = 1000

/** The status of a run. */
export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled"

/** The stage names, in pipeline order (core's `Run.Stage`). */
export const stageNames = CoreRun.Stage.literals
/** A stage name. */
export type StageName = CoreRun.Stage

/** One stage of a run. */
export interface RunStage {
  readonly stage: string
  readonly status: "running" | "succeeded" | "failed"
  readonly executions: number
  readonly runner: string | null
  readonly error: string | null
  readonly startedAt: string | null
  readonly finishedAt: string | null
}

/** A run as the API shows it. */
export interface Run {
  readonly id: string
  readonly repoId: string
  readonly trigger: string
  /** The API token that started the run (`null`: the scheduler, a webhook, or before tokens were recorded). */
  readonly tokenId: string | null
  readonly status: RunStatus
  readonly error: string | null
  readonly cancelRequested: boolean
  readonly counts: { readonly candidates: number; readonly proposals: number }
  readonly runner: string | null
  readonly createdAt: string
  readonly startedAt: string | null
  readonly finishedAt: string | null
  readonly stages: ReadonlyArray<RunStage>
}

/** A run with a summary of its proposals and what it consumed. */
export interface RunView extends Run {
  readonly proposals: ReadonlyArray<{ readonly id: string; readonly title: string; readonly status: string; readonly contentHash: string }>
  /** Metered so far: the compute time of its stages and its LLM calls (tokens, cost in USD). */
  readonly usage: Consumption
}

/** The run part of the store. */
export interface RunStore {
  /** Creates a queued run; with an explicit `id` it is idempotent and `created` says whether this call made it. */
  readonly createRun: (repoId: string, trigger: string, id?: string, tokenId?: string | null) => Effect.Effect<Run & { readonly created: boolean }, ServerError>
  /**
   * Creates a queued run unless the queue is full: `perRepo` runs of the repository, or `total`
   * in all, already waiting. The repository row is locked while counting, so concurrent requests
   * (also from other processes) cannot overfill it. `full` says how many wait when it refuses.
   */
  readonly enqueueRun: (repoId: string, trigger: string, limits: { readonly perRepo: number; readonly total: number }, tokenId?: string | null) => Effect.Effect<
    { readonly run: Run; readonly full: null } | { readonly run: null; readonly full: { readonly repo: number; readonly total: number } },
    ServerError
  >
  readonly getRun: (orgId: string | null, id: string) => Effect.Effect<Run, ServerError>
  /** A run with its stages and a summary of its proposals, in one query (the API's read path). */
  readonly getRunView: (orgId: string, id: string) => Effect.Effect<RunView, ServerError>
  /**
   * The view `getRunView` would answer from its cache at `nowMs`, without running an effect (the
   * API's read path); `undefined` when it would read the database, and then the caller calls
   * `getRunView`. The same view object is handed out while it is fresh.
   */
  readonly peekRunView: (orgId: string, id: string, nowMs: number) => RunView | undefined
  readonly listRuns: (repoId: string, limit: number) => Effect.Effect<ReadonlyArray<Run>, ServerError>
  /** Runs handed to the workflow engine and not finished, for recovery after a restart (queued ones wait for the dispatcher). */
  readonly unfinishedRuns: Effect.Effect<ReadonlyArray<string>, ServerError>
  /**
   * Claims the oldest queued run that may start now: its repository has fewer than `perRepo`
   * dispatched unfinished runs. The repository row is locked while counting, so two server
   * processes never both claim past the limit. `null` when nothing may start.
   */
  readonly claimQueuedRun: (perRepo: number) => Effect.Effect<string | null, ServerError>
  /** Which of these runs have finished. */
  readonly finishedAmong: (ids: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<string>, ServerError>
  readonly setRunStatus: (id: string, status: RunStatus, fields?: { readonly error?: string | null; readonly runner?: string }) => Effect.Effect<void, ServerError>
  readonly setRunCounts: (id: string, counts: { readonly candidates?: number; readonly proposals?: number }) => Effect.Effect<void, ServerError>
  readonly requestCancel: (orgId: string, id: string) => Effect.Effect<Run, ServerError>
  readonly stageStarted: (runId: string, stage: string, runner: string) => Effect.Effect<number, ServerError>
  /**
   * A later call of a stage with several calls (validate: one per candidate) starts on `runner`: the
   * stage is running again, and counts one more execution when another process had started it.
   */
  readonly stageResumed: (runId: string, stage: string, runner: string) => Effect.Effect<number, ServerError>
  readonly stageFinished: (runId: string, stage: string, result: { readonly ok: boolean; readonly output?: unknown; readonly error?: string }) => Effect.Effect<void, ServerError>
}

const RUN_STATUSES: ReadonlyArray<RunStatus> = ["queued", "running", "succeeded", "failed", "cancelled"]
const STAGE_STATUSES: ReadonlyArray<RunStage["status"]> = ["running", "succeeded", "failed"]

/** A `run_stages` row. */
export const toStage = (r: Row): RunStage => ({
  stage: str(r, "stage"),
  status: literal(r, "status", STAGE_STATUSES, "failed"),
  executions: num(r, "executions"),
  runner: strOrNull(r, "runner"),
  error: strOrNull(r, "error"),
  startedAt: isoOrNull(r.started_at),
  finishedAt: isoOrNull(r.finished_at)
})

const stageOrder: ReadonlyArray<string> = stageNames
const order = (stage: string): number => stageOrder.indexOf(stage)

/** A `runs` row with its stages (sorted in pipeline order). */
export const toRun = (r: Row, stages: ReadonlyArray<RunStage>): Run => ({
  id: str(r, "id"),
  repoId: str(r, "repo_id"),
  trigger: str(r, "trigger"),
  tokenId: strOrNull(r, "token_id"),
  status: literal(r, "status", RUN_STATUSES, "failed"),
  error: strOrNull(r, "error"),
  cancelRequested: bool(r, "cancel_requested"),
  counts: { candidates: num(r, "candidates"), proposals: num(r, "proposals") },
  runner: strOrNull(r, "runner"),
  createdAt: iso(r.created_at),
  startedAt: isoOrNull(r.started_at),
  finishedAt: isoOrNull(r.finished_at),
  stages: [...stages].sort((a, b) => order(a.stage) - order(b.stage))
})

/** A usage summary built by `json_build_object` (numbers may come back as text). */
const toConsumption = (value: unknown): Consumption => {
  const o = typeof value === "object" && value !== null ? value : {}
  const n = (k: string): number => {
    const v = Number(Reflect.get(o, k) ?? 0)
    return Number.isFinite(v) ? v : 0
  }
  return { computeMs: n("computeMs"), llmCalls: n("llmCalls"), inputTokens: n("inputTokens"), outputTokens: n("outputTokens"), costUsd: Number(n("costUsd").toFixed(9)) }
}

const rowsOf = (value: unknown): ReadonlyArray<Row> =>
  Array.isArray(value) ? value.filter((x): x is Row => typeof x === "object" && x !== null) : []

const toSummary = (r: Row): RunView["proposals"][number] => ({
  id: str(r, "id"),
  title: str(r, "title"),
  status: str(r, "status"),
  contentHash: str(r, "contentHash")
})

/** The run store on a context. */
export const make = ({ sql, q, invalidating, generation }: StoreContext): RunStore => {
  const readRunView = (orgId: string, id: string): Effect.Effect<RunView, ServerError> =>
    q("reading a run", sql<Row>`SELECT runs.*,
          (SELECT COALESCE(json_agg(json_build_object('stage', s.stage, 'status', s.status, 'executions', s.executions,
            'runner', s.runner, 'error', s.error, 'started_at', s.started_at, 'finished_at', s.finished_at)), '[]'::json)
            FROM run_stages s WHERE s.run_id = runs.id) AS stage_rows,
          (SELECT COALESCE(json_agg(json_build_object('id', p.id, 'title', p.title, 'status', p.status, 'contentHash', p.content_hash)
            ORDER BY p.created_at, p.id), '[]'::json) FROM proposals p WHERE p.run_id = runs.id) AS proposal_rows,
          (SELECT json_build_object('computeMs', COALESCE(sum(u.compute_ms), 0), 'llmCalls', COALESCE(sum(u.llm_calls), 0),
            'inputTokens', COALESCE(sum(u.input_tokens), 0), 'outputTokens', COALESCE(sum(u.output_tokens), 0), 'costUsd', COALESCE(sum(u.cost_usd), 0))
            FROM usage_records u WHERE u.run_id = runs.id) AS usage_row
        FROM runs JOIN repositories r ON r.id = runs.repo_id
        WHERE runs.id = ${id} AND r.org_id = ${orgId}`).pipe(
      Effect.flatMap((rows) => {
        const r = rows[0]
        if (r === undefined) return Effect.fail(notFound("run", id))
        const stages = rowsOf(json(r.stage_rows)).map(toStage)
        return Effect.succeed({ ...toRun(r, stages), proposals: rowsOf(json(r.proposal_rows)).map(toSummary), usage: toConsumption(json(r.usage_row)) })
      })
    )

  const runViews = new Map<string, { readonly view: RunView; readonly generation: number; readonly at: number }>()
  // a cached view is served while no write of this process came after it and it is younger than the bound
  const fresh = (hit: { readonly view: RunView; readonly generation: number; readonly at: number } | undefined, at: number): RunView | undefined =>
    hit !== undefined && hit.generation === generation() && at >= hit.at && at - hit.at < RUN_VIEW_CACHE_MS ? hit.view : undefined

  const stagesOf = (runIds: ReadonlyArray<string>) =>
    runIds.length === 0
      ? Effect.succeed(new Map<string, Array<RunStage>>())
      : q("reading run stages", sql<Row>`SELECT * FROM run_stages WHERE ${sql.in("run_id", runIds)}`).pipe(
        Effect.map((rows) => {
          const m = new Map<string, Array<RunStage>>()
          for (const r of rows) {
            const runId = str(r, "run_id")
            const list = m.get(runId) ?? []
            list.push(toStage(r))
            m.set(runId, list)
          }
          return m
        })
      )

  const getRun = (orgId: string | null, id: string) =>
    Effect.gen(function* () {
      const rows = yield* q("reading a run", sql<Row>`SELECT runs.* FROM runs JOIN repositories r ON r.id = runs.repo_id
        WHERE runs.id = ${id} ${orgId === null ? sql`` : sql`AND r.org_id = ${orgId}`}`)
      const r = rows[0]
      if (r === undefined) return yield* Effect.fail(notFound("run", id))
      const stages = yield* stagesOf([id])
      return toRun(r, stages.get(id) ?? [])
    })

  return {
    createRun: (repoId, trigger, id, tokenId) =>
      Effect.gen(function* () {
        const runId = id ?? newId("run")
        const at = yield* now
        const inserted = yield* q("creating a run", sql<Row>`INSERT INTO runs (id, repo_id, trigger, status, token_id, created_at)
          VALUES (${runId}, ${repoId}, ${trigger}, 'queued', ${tokenId ?? null}, ${at}) ON CONFLICT (id) DO NOTHING RETURNING id`)
        return { ...(yield* getRun(null, runId)), created: inserted.length > 0 }
      }),

    enqueueRun: (repoId, trigger, limits, tokenId) =>
      invalidating(Effect.gen(function* () {
        const runId = newId("run")
        const outcome = yield* q("queueing a run", sql.withTransaction(Effect.gen(function* () {
          yield* sql`SELECT id FROM repositories WHERE id = ${repoId} FOR UPDATE`
          const counts = yield* sql<Row>`SELECT count(*) FILTER (WHERE repo_id = ${repoId}) AS repo, count(*) AS total
            FROM runs WHERE status = 'queued' AND dispatched_at IS NULL`
          const repo = num(counts[0] ?? { repo: 0 }, "repo")
          const total = num(counts[0] ?? { total: 0 }, "total")
          if (repo >= limits.perRepo || total >= limits.total) return { repo, total }
          const at = yield* now
          yield* sql`INSERT INTO runs (id, repo_id, trigger, status, token_id, created_at) VALUES (${runId}, ${repoId}, ${trigger}, 'queued', ${tokenId ?? null}, ${at})`
          return null
        })))
        if (outcome !== null) return { run: null, full: outcome }
        return { run: yield* getRun(null, runId), full: null }
      })),

    getRun,

    getRunView: (orgId, id) =>
      Effect.gen(function* () {
        const key = `${orgId}\0${id}`
        const at = yield* Clock.currentTimeMillis
        const hit = fresh(runViews.get(key), at)
        if (hit !== undefined) return hit
        const seen = generation()
        const view = yield* readRunView(orgId, id)
        if (runViews.size >= 10_000) runViews.clear()
        runViews.set(key, { view, generation: seen, at })
        return view
      }),

    peekRunView: (orgId, id, nowMs) => fresh(runViews.get(`${orgId}\0${id}`), nowMs),

    listRuns: (repoId, limit) =>
      Effect.gen(function* () {
        const rows = yield* q("listing runs", sql<Row>`SELECT * FROM runs WHERE repo_id = ${repoId} ORDER BY created_at DESC, id LIMIT ${limit}`)
        const stages = yield* stagesOf(rows.map((r) => str(r, "id")))
        return rows.map((r) => toRun(r, stages.get(str(r, "id")) ?? []))
      }),

    unfinishedRuns: q("listing unfinished runs", sql<Row>`SELECT id FROM runs WHERE status IN ('queued', 'running') AND dispatched_at IS NOT NULL ORDER BY created_at`).pipe(
      Effect.map((rows) => rows.map((r) => str(r, "id")))
    ),

    claimQueuedRun: (perRepo) =>
      q("claiming a queued run", sql.withTransaction(Effect.gen(function* () {
        const waiting = yield* sql<Row>`SELECT id, repo_id FROM runs WHERE status = 'queued' AND dispatched_at IS NULL ORDER BY created_at, id LIMIT 100`
        const seen = new Set<string>()
        for (const candidate of waiting) {
          const repoId = str(candidate, "repo_id")
          if (seen.has(repoId)) continue
          seen.add(repoId)
          yield* sql`SELECT id FROM repositories WHERE id = ${repoId} FOR UPDATE`
          const busy = yield* sql<Row>`SELECT count(*) AS n FROM runs WHERE repo_id = ${repoId} AND dispatched_at IS NOT NULL AND status IN ('queued', 'running')`
          if (num(busy[0] ?? { n: 0 }, "n") >= perRepo) continue
          const at = yield* now
          const claimed = yield* sql<Row>`UPDATE runs SET dispatched_at = ${at} WHERE id = ${str(candidate, "id")} AND dispatched_at IS NULL RETURNING id`
          if (claimed.length > 0) return str(candidate, "id")
        }
        return null
      }))),

    finishedAmong: (ids) =>
      ids.length === 0
        ? Effect.succeed([])
        : q("checking runs", sql<Row>`SELECT id FROM runs WHERE ${sql.in("id", ids)} AND status IN ('succeeded', 'failed', 'cancelled')`).pipe(
          Effect.map((rows) => rows.map((r) => str(r, "id")))
        ),

    setRunStatus: (id, status, fields) =>
      invalidating(Effect.gen(function* () {
        const at = yield* now
        const finished = status === "succeeded" || status === "failed" || status === "cancelled"
        yield* q("updating a run", sql`UPDATE runs SET status = ${status},
          error = ${fields?.error === undefined ? sql`error` : fields.error === null ? null : Scrub.text(fields.error)},
          runner = ${fields?.runner === undefined ? sql`runner` : fields.runner},
          started_at = ${status === "running" ? sql`COALESCE(started_at, ${at})` : sql`started_at`},
          finished_at = ${finished ? at : null}
          WHERE id = ${id}`)
      })),

    setRunCounts: (id, counts) =>
      invalidating(
        q("updating run counts", sql`UPDATE runs SET
          candidates = ${counts.candidates ?? sql`candidates`},
          proposals = ${counts.proposals ?? sql`proposals`} WHERE id = ${id}`).pipe(Effect.asVoid)
      ),

    requestCancel: (orgId, id) =>
      invalidating(Effect.gen(function* () {
        const run = yield* getRun(orgId, id)
        if (run.status === "succeeded" || run.status === "failed" || run.status === "cancelled") {
          return yield* Effect.fail(conflict(`Run ${id} already finished with status ${run.status}; only queued or running runs can be cancelled.`))
        }
        yield* q("cancelling a run", sql`UPDATE runs SET cancel_requested = true WHERE id = ${id}`)
        return yield* getRun(orgId, id)
      })),

    stageStarted: (runId, stage, runner) =>
      invalidating(Effect.gen(function* () {
        const at = yield* now
        const rows = yield* q("starting a stage", sql<Row>`INSERT INTO run_stages (run_id, stage, status, executions, runner, started_at)
          VALUES (${runId}, ${stage}, 'running', 1, ${runner}, ${at})
          ON CONFLICT (run_id, stage) DO UPDATE SET status = 'running', executions = run_stages.executions + 1,
            runner = EXCLUDED.runner, started_at = EXCLUDED.started_at, finished_at = NULL, error = NULL
          RETURNING executions`)
        const r = rows[0]
        return r === undefined ? 1 : num(r, "executions")
      })),

    stageResumed: (runId, stage, runner) =>
      invalidating(Effect.gen(function* () {
        const at = yield* now
        const rows = yield* q("resuming a stage", sql<Row>`INSERT INTO run_stages (run_id, stage, status, executions, runner, started_at)
          VALUES (${runId}, ${stage}, 'running', 1, ${runner}, ${at})
          ON CONFLICT (run_id, stage) DO UPDATE SET status = 'running', finished_at = NULL, error = NULL,
            executions = run_stages.executions + (CASE WHEN run_stages.runner IS DISTINCT FROM EXCLUDED.runner THEN 1 ELSE 0 END),
            runner = EXCLUDED.runner
          RETURNING executions`)
        const r = rows[0]
        return r === undefined ? 1 : num(r, "executions")
      })),

    stageFinished: (runId, stage, result) =>
      invalidating(Effect.gen(function* () {
        const at = yield* now
        yield* q("finishing a stage", sql`UPDATE run_stages SET status = ${result.ok ? "succeeded" : "failed"},
          output = ${result.output === undefined ? null : JSON.stringify(Scrub.json(result.output))}::jsonb,
          error = ${result.error === undefined ? null : Scrub.text(result.error)}, finished_at = ${at}
          WHERE run_id = ${runId} AND stage = ${stage}`)
      }))
  }
}
