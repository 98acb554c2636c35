/**
 * The server's persistent state: organisations, hashed API tokens,
 * repositories and their settings, runs with their stages and events,
 * attempts, proposals, approvals, artifacts and budget usage.
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Crypto from "node:crypto"
import { conflict, integrityFailure, notFound, type ServerError, storeFailure } from "./ServerError.js"

/** How long another server process's write to a run may take to show in `getRunView` here. */
const RUN_VIEW_CACHE_MS = 1000

/** @since 0.1.0 */
export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled"

/** The stage names, in pipeline order. @since 0.1.0 */
export const stageNames = ["detect", "baseline", "scan", "patchgen", "validate", "package"] as const
/** @since 0.1.0 */
export type StageName = (typeof stageNames)[number]

/** A connected repository. @since 0.1.0 */
export interface Repo {
  readonly id: string
  readonly orgId: string
  readonly name: string
  readonly url: string | null
  readonly path: string | null
  readonly defaultBranch: string
  readonly createdAt: string
  readonly settings: RepoSettings
}

/** Per-repository settings: schedule, budgets, provider and the auto-pause state. @since 0.1.0 */
export interface RepoSettings {
  readonly schedule: string | null
  readonly timezone: string
  readonly provider: string | null
  readonly model: string | null
  readonly budgets: {
    readonly computeMinutesPerDay: number
    readonly candidatesPerRun: number
    readonly proposalsPerRun: number
  }
  readonly maxSetupFailures: number
  readonly consecutiveSetupFailures: number
  readonly paused: boolean
  readonly pausedReason: string | null
}

/** A patch to {@link RepoSettings}; absent fields stay as they are. @since 0.1.0 */
export interface SettingsPatch {
  readonly schedule?: string | null | undefined
  readonly timezone?: string | undefined
  readonly provider?: string | null | undefined
  readonly model?: string | null | undefined
  readonly computeMinutesPerDay?: number | undefined
  readonly candidatesPerRun?: number | undefined
  readonly proposalsPerRun?: number | undefined
  readonly maxSetupFailures?: number | undefined
  readonly paused?: boolean | undefined
}

/** One stage of a run. @since 0.1.0 */
export interface RunStage {
  readonly stage: string
  readonly status: "running" | "succeeded" | "failed"
  readonly executions: number
  readonly runner: string | null
  readonly error: string | null
  readonly startedAt: string | null
  readonly finishedAt: string | null
}

/** A run as the API shows it. @since 0.1.0 */
export interface Run {
  readonly id: string
  readonly repoId: string
  readonly trigger: string
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

/** A run with a summary of its proposals. @since 0.1.0 */
export interface RunView extends Run {
  readonly proposals: ReadonlyArray<{ readonly id: string; readonly title: string; readonly status: string; readonly contentHash: string }>
}

/** One entry of a run's event log; `seq` is the SSE event id. @since 0.1.0 */
export interface RunEvent {
  readonly seq: number
  readonly runId: string
  readonly type: string
  readonly data: unknown
  readonly createdAt: string
}

/** A reviewer's decision on a proposal, bound to its content hash. @since 0.1.0 */
export interface Approval {
  readonly id: string
  readonly proposalId: string
  readonly decision: "approved" | "rejected" | "changes-requested"
  readonly actor: string
  readonly note: string | null
  readonly contentHash: string
  readonly createdAt: string
}

/** A stored proposal. @since 0.1.0 */
export interface Proposal {
  readonly id: string
  readonly runId: string
  readonly repoId: string
  readonly title: string
  readonly contentHash: string
  readonly status: "pending" | "approved" | "rejected" | "changes-requested"
  readonly data: unknown
  readonly createdAt: string
  readonly decisions: ReadonlyArray<Approval>
}

/** Artifact metadata (the bytes come with {@link Store} `getArtifact`). @since 0.1.0 */
export interface ArtifactMeta {
  readonly id: string
  readonly runId: string | null
  readonly proposalId: string | null
  readonly name: string
  readonly mediaType: string
  readonly sha256: string
  readonly size: number
  readonly createdAt: string
}

/** Budget usage of one repository on one day (in its timezone). @since 0.1.0 */
export interface BudgetUsage {
  readonly day: string
  readonly computeMs: number
  readonly runs: number
}

/** The caller behind a bearer token. @since 0.1.0 */
export interface Principal {
  readonly orgId: string
  readonly tokenId: string
  readonly tokenName: string
}

/** sha256 hex of a string or bytes. @since 0.1.0 */
export const sha256 = (data: string | Uint8Array): string => Crypto.createHash("sha256").update(data).digest("hex")

/** A fresh random id with a readable prefix. @since 0.1.0 */
export const newId = (prefix: string): string => `${prefix}_${Crypto.randomBytes(12).toString("base64url")}`

const iso = (v: unknown): string => {
  if (v instanceof Date) return v.toISOString()
  const d = new Date(String(v))
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString()
}
const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v))
const json = (v: unknown): unknown => (typeof v === "string" ? JSON.parse(v) : v)

type Row = Record<string, any>

const toSettings = (r: Row): RepoSettings => ({
  schedule: r.schedule ?? null,
  timezone: r.timezone,
  provider: r.provider ?? null,
  model: r.model ?? null,
  budgets: {
    computeMinutesPerDay: Number(r.compute_minutes_per_day),
    candidatesPerRun: Number(r.candidates_per_run),
    proposalsPerRun: Number(r.proposals_per_run)
  },
  maxSetupFailures: Number(r.max_setup_failures),
  consecutiveSetupFailures: Number(r.consecutive_setup_failures),
  paused: Boolean(r.paused),
  pausedReason: r.paused_reason ?? null
})

const toRepo = (r: Row): Repo => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  url: r.url ?? null,
  path: r.path ?? null,
  defaultBranch: r.default_branch,
  createdAt: iso(r.created_at),
  settings: toSettings(r)
})

const toStage = (r: Row): RunStage => ({
  stage: r.stage,
  status: r.status,
  executions: Number(r.executions),
  runner: r.runner ?? null,
  error: r.error ?? null,
  startedAt: isoOrNull(r.started_at),
  finishedAt: isoOrNull(r.finished_at)
})

const toRun = (r: Row, stages: ReadonlyArray<RunStage>): Run => ({
  id: r.id,
  repoId: r.repo_id,
  trigger: r.trigger,
  status: r.status,
  error: r.error ?? null,
  cancelRequested: Boolean(r.cancel_requested),
  counts: { candidates: Number(r.candidates), proposals: Number(r.proposals) },
  runner: r.runner ?? null,
  createdAt: iso(r.created_at),
  startedAt: isoOrNull(r.started_at),
  finishedAt: isoOrNull(r.finished_at),
  stages: [...stages].sort((a, b) =>
    stageNames.indexOf(a.stage as StageName) - stageNames.indexOf(b.stage as StageName)
  )
})

const toApproval = (r: Row): Approval => ({
  id: r.id,
  proposalId: r.proposal_id,
  decision: r.decision,
  actor: r.actor,
  note: r.note ?? null,
  contentHash: r.content_hash,
  createdAt: iso(r.created_at)
})

const toArtifact = (r: Row): ArtifactMeta => ({
  id: r.id,
  runId: r.run_id ?? null,
  proposalId: r.proposal_id ?? null,
  name: r.name,
  mediaType: r.media_type,
  sha256: r.sha256,
  size: Number(r.size),
  createdAt: iso(r.created_at)
})

const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

/**
 * The store service. Every method fails only with `ServerError`.
 *
 * @since 0.1.0
 */
export class Store extends Context.Service<Store, {
  /** Ensures the default organisation and a bootstrap token exist. Returns the plain token only when one was generated now. */
  readonly bootstrap: (token: string | undefined) => Effect.Effect<{ readonly orgId: string; readonly generated: string | null }, ServerError>
  /** Creates an API token for an organisation; returns the plain token (stored hashed). */
  readonly createToken: (orgId: string, name: string) => Effect.Effect<string, ServerError>
  readonly authenticate: (token: string) => Effect.Effect<Principal | null, ServerError>
  readonly createRepo: (orgId: string, input: { readonly name: string; readonly url: string | null; readonly path: string | null; readonly defaultBranch: string }) => Effect.Effect<Repo, ServerError>
  readonly listRepos: (orgId: string) => Effect.Effect<ReadonlyArray<Repo>, ServerError>
  readonly listAllRepos: Effect.Effect<ReadonlyArray<Repo>, ServerError>
  /** A repository by id; `orgId` null skips the organisation check (internal callers). */
  readonly getRepo: (orgId: string | null, id: string) => Effect.Effect<Repo, ServerError>
  readonly updateSettings: (orgId: string | null, id: string, patch: SettingsPatch) => Effect.Effect<Repo, ServerError>
  /** Creates a queued run; with an explicit `id` it is idempotent and `created` says whether this call made it. */
  readonly createRun: (repoId: string, trigger: string, id?: string) => Effect.Effect<Run & { readonly created: boolean }, ServerError>
  readonly getRun: (orgId: string | null, id: string) => Effect.Effect<Run, ServerError>
  /** A run with its stages and a summary of its proposals, in one query (the API's read path). */
  readonly getRunView: (orgId: string, id: string) => Effect.Effect<RunView, ServerError>
  readonly listRuns: (repoId: string, limit: number) => Effect.Effect<ReadonlyArray<Run>, ServerError>
  /** Runs not finished (queued or running), for recovery after a restart. */
  readonly unfinishedRuns: Effect.Effect<ReadonlyArray<string>, ServerError>
  readonly setRunStatus: (id: string, status: RunStatus, fields?: { readonly error?: string | null; readonly runner?: string }) => Effect.Effect<void, ServerError>
  readonly setRunCounts: (id: string, counts: { readonly candidates?: number; readonly proposals?: number }) => Effect.Effect<void, ServerError>
  readonly requestCancel: (orgId: string, id: string) => Effect.Effect<Run, ServerError>
  readonly stageStarted: (runId: string, stage: string, runner: string) => Effect.Effect<number, ServerError>
  readonly stageFinished: (runId: string, stage: string, result: { readonly ok: boolean; readonly output?: unknown; readonly error?: string }) => Effect.Effect<void, ServerError>
  readonly appendEvent: (runId: string, type: string, data: unknown) => Effect.Effect<RunEvent, ServerError>
  readonly eventsAfter: (runId: string, afterSeq: number, limit?: number) => Effect.Effect<ReadonlyArray<RunEvent>, ServerError>
  readonly addAttempt: (runId: string, id: string, data: unknown) => Effect.Effect<void, ServerError>
  /** Inserts a proposal; idempotent by id. The content hash is the sha256 of its canonical JSON. */
  readonly addProposal: (input: { readonly id: string; readonly runId: string; readonly repoId: string; readonly title: string; readonly data: unknown }) => Effect.Effect<Proposal, ServerError>
  readonly getProposal: (orgId: string | null, id: string) => Effect.Effect<Proposal, ServerError>
  readonly listProposals: (runId: string) => Effect.Effect<ReadonlyArray<Proposal>, ServerError>
  /** Records a decision; fails with Conflict when `contentHash` is not the proposal's current hash. */
  readonly decide: (orgId: string, proposalId: string, input: { readonly decision: Approval["decision"]; readonly actor: string; readonly note: string | null; readonly contentHash: string | null }) => Effect.Effect<Approval, ServerError>
  readonly putArtifact: (input: { readonly id?: string; readonly runId: string | null; readonly proposalId: string | null; readonly name: string; readonly mediaType: string; readonly content: Uint8Array }) => Effect.Effect<ArtifactMeta, ServerError>
  /** The artifact's bytes after checking them against the stored sha256. */
  readonly getArtifact: (orgId: string | null, id: string) => Effect.Effect<{ readonly meta: ArtifactMeta; readonly content: Uint8Array }, ServerError>
  readonly addUsage: (repoId: string, day: string, usage: { readonly computeMs: number; readonly runs: number }) => Effect.Effect<void, ServerError>
  readonly usage: (repoId: string, day: string) => Effect.Effect<BudgetUsage, ServerError>
  /** Records the outcome of a run's setup stages; pauses the repository after `maxSetupFailures` consecutive failures. */
  readonly recordSetup: (repoId: string, ok: boolean, reason: string | null) => Effect.Effect<RepoSettings, ServerError>
}>()("@ratchet/server/Store") {
  /**
   * The store on the current `SqlClient` (see `Database.layer`).
   *
   * @since 0.1.0
   */
  static readonly layer: Layer.Layer<Store, never, SqlClient> = Layer.effect(Store, Effect.gen(function* () {
    const sql = yield* SqlClient
    const q = <A>(operation: string, e: Effect.Effect<A, unknown>): Effect.Effect<A, ServerError> =>
      Effect.mapError(e, (err) => (err && typeof err === "object" && (err as any)._tag === "ServerError" ? err as ServerError : storeFailure(operation, err)))

    // The run view is the hot, polled read (`GET /api/runs/:id`). It is cached briefly: every write to
    // runs, stages or proposals in this process invalidates the whole cache at once (a generation
    // counter bumped after the write), so this process never serves what it has overwritten; writes
    // by other server processes sharing the database show within RUN_VIEW_CACHE_MS.
    const readRunView = (orgId: string, id: string): Effect.Effect<RunView, ServerError> =>
      q("reading a run", sql<Row>`SELECT runs.*,
            (SELECT COALESCE(json_agg(json_build_object('stage', s.stage, 'status', s.status, 'executions', s.executions,
              'runner', s.runner, 'error', s.error, 'started_at', s.started_at, 'finished_at', s.finished_at)), '[]'::json)
              FROM run_stages s WHERE s.run_id = runs.id) AS stage_rows,
            (SELECT COALESCE(json_agg(json_build_object('id', p.id, 'title', p.title, 'status', p.status, 'contentHash', p.content_hash)
              ORDER BY p.created_at, p.id), '[]'::json) FROM proposals p WHERE p.run_id = runs.id) AS proposal_rows
          FROM runs JOIN repositories r ON r.id = runs.repo_id
          WHERE runs.id = ${id} AND r.org_id = ${orgId}`).pipe(
          Effect.flatMap((rows) => {
            if (rows.length === 0) return Effect.fail(notFound("run", id))
            const r = rows[0]
            const stages = (json(r.stage_rows) as Array<Row>).map(toStage)
            return Effect.succeed({ ...toRun(r, stages), proposals: json(r.proposal_rows) as RunView["proposals"] })
          })
        )

    let generation = 0
    const runViews = new Map<string, { readonly view: RunView; readonly generation: number; readonly at: number }>()
    const invalidating = <A, E>(write: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Effect.ensuring(write, Effect.sync(() => {
        generation++
      }))

    const repoRow = (orgId: string | null, id: string) =>
      q("reading a repository", sql<Row>`SELECT r.*, s.* FROM repositories r JOIN repository_settings s ON s.repo_id = r.id
        WHERE r.id = ${id} ${orgId === null ? sql`` : sql`AND r.org_id = ${orgId}`}`).pipe(
        Effect.flatMap((rows) => rows.length === 0 ? Effect.fail(notFound("repository", id)) : Effect.succeed(toRepo(rows[0])))
      )

    const stagesOf = (runIds: ReadonlyArray<string>) =>
      runIds.length === 0
        ? Effect.succeed(new Map<string, Array<RunStage>>())
        : q("reading run stages", sql<Row>`SELECT * FROM run_stages WHERE ${sql.in("run_id", runIds)}`).pipe(
          Effect.map((rows) => {
            const m = new Map<string, Array<RunStage>>()
            for (const r of rows) {
              const list = m.get(r.run_id) ?? []
              list.push(toStage(r))
              m.set(r.run_id, list)
            }
            return m
          })
        )

    const getRun = (orgId: string | null, id: string) =>
      Effect.gen(function* () {
        const rows = yield* q("reading a run", sql<Row>`SELECT runs.* FROM runs JOIN repositories r ON r.id = runs.repo_id
          WHERE runs.id = ${id} ${orgId === null ? sql`` : sql`AND r.org_id = ${orgId}`}`)
        if (rows.length === 0) return yield* Effect.fail(notFound("run", id))
        const stages = yield* stagesOf([id])
        return toRun(rows[0], stages.get(id) ?? [])
      })

    const decisionsOf = (proposalId: string) =>
      q("reading approvals", sql<Row>`SELECT * FROM approvals WHERE proposal_id = ${proposalId} ORDER BY created_at, id`).pipe(
        Effect.map((rows) => rows.map(toApproval))
      )

    const toProposal = (r: Row) =>
      Effect.map(decisionsOf(r.id), (decisions): Proposal => ({
        id: r.id,
        runId: r.run_id,
        repoId: r.repo_id,
        title: r.title,
        contentHash: r.content_hash,
        status: r.status,
        data: json(r.data),
        createdAt: iso(r.created_at),
        decisions
      }))

    const getProposal = (orgId: string | null, id: string) =>
      q("reading a proposal", sql<Row>`SELECT p.* FROM proposals p JOIN repositories r ON r.id = p.repo_id
        WHERE p.id = ${id} ${orgId === null ? sql`` : sql`AND r.org_id = ${orgId}`}`).pipe(
        Effect.flatMap((rows) => rows.length === 0 ? Effect.fail(notFound("proposal", id)) : toProposal(rows[0]))
      )

    const createToken = (orgId: string, name: string) =>
      Effect.gen(function* () {
        const token = `rat_${Crypto.randomBytes(24).toString("base64url")}`
        const at = yield* now
        yield* q("creating a token", sql`INSERT INTO api_tokens (id, org_id, name, token_hash, created_at)
          VALUES (${newId("tok")}, ${orgId}, ${name}, ${sha256(token)}, ${at})`)
        return token
      })

    return Store.of({
      bootstrap: (token) =>
        q("bootstrapping", sql.withTransaction(Effect.gen(function* () {
          const orgId = "org_default"
          const at = yield* now
          yield* sql`INSERT INTO organisations (id, name, created_at) VALUES (${orgId}, 'default', ${at}) ON CONFLICT (id) DO NOTHING`
          if (token !== undefined && token.length > 0) {
            yield* sql`INSERT INTO api_tokens (id, org_id, name, token_hash, created_at)
              VALUES ('tok_bootstrap_env', ${orgId}, 'RATCHET_TOKEN', ${sha256(token)}, ${at})
              ON CONFLICT (id) DO UPDATE SET token_hash = EXCLUDED.token_hash`
            return { orgId, generated: null }
          }
          const existing = yield* sql<Row>`SELECT id FROM api_tokens WHERE id = 'tok_bootstrap'`
          if (existing.length > 0) return { orgId, generated: null }
          const plain = `rat_${Crypto.randomBytes(24).toString("base64url")}`
          yield* sql`INSERT INTO api_tokens (id, org_id, name, token_hash, created_at)
            VALUES ('tok_bootstrap', ${orgId}, 'bootstrap', ${sha256(plain)}, ${at})`
          return { orgId, generated: plain }
        }))),

      createToken,

      authenticate: (token) =>
        q("checking a token", sql<Row>`SELECT t.id, t.org_id, t.name FROM api_tokens t WHERE t.token_hash = ${sha256(token)}`).pipe(
          Effect.map((rows) => rows.length === 0 ? null : { orgId: rows[0].org_id, tokenId: rows[0].id, tokenName: rows[0].name })
        ),

      createRepo: (orgId, input) =>
        Effect.gen(function* () {
          const id = newId("repo")
          const at = yield* now
          const dup = yield* q("checking repository names", sql<Row>`SELECT id FROM repositories WHERE org_id = ${orgId} AND name = ${input.name}`)
          if (dup.length > 0) return yield* Effect.fail(conflict(`A repository named ${JSON.stringify(input.name)} already exists (${dup[0].id}). Pick another name.`))
          yield* q("creating a repository", sql.withTransaction(Effect.gen(function* () {
            yield* sql`INSERT INTO repositories (id, org_id, name, url, path, default_branch, created_at)
              VALUES (${id}, ${orgId}, ${input.name}, ${input.url}, ${input.path}, ${input.defaultBranch}, ${at})`
            yield* sql`INSERT INTO repository_settings (repo_id, updated_at) VALUES (${id}, ${at})`
          })))
          return yield* repoRow(orgId, id)
        }),

      listRepos: (orgId) =>
        q("listing repositories", sql<Row>`SELECT r.*, s.* FROM repositories r JOIN repository_settings s ON s.repo_id = r.id
          WHERE r.org_id = ${orgId} ORDER BY r.created_at, r.id`).pipe(Effect.map((rows) => rows.map(toRepo))),

      listAllRepos: q("listing repositories", sql<Row>`SELECT r.*, s.* FROM repositories r JOIN repository_settings s ON s.repo_id = r.id ORDER BY r.id`).pipe(
        Effect.map((rows) => rows.map(toRepo))
      ),

      getRepo: repoRow,

      updateSettings: (orgId, id, p) =>
        Effect.gen(function* () {
          const repo = yield* repoRow(orgId, id)
          const s = repo.settings
          const at = yield* now
          const paused = p.paused ?? s.paused
          yield* q("updating settings", sql`UPDATE repository_settings SET
            schedule = ${p.schedule === undefined ? s.schedule : p.schedule},
            timezone = ${p.timezone ?? s.timezone},
            provider = ${p.provider === undefined ? s.provider : p.provider},
            model = ${p.model === undefined ? s.model : p.model},
            compute_minutes_per_day = ${p.computeMinutesPerDay ?? s.budgets.computeMinutesPerDay},
            candidates_per_run = ${p.candidatesPerRun ?? s.budgets.candidatesPerRun},
            proposals_per_run = ${p.proposalsPerRun ?? s.budgets.proposalsPerRun},
            max_setup_failures = ${p.maxSetupFailures ?? s.maxSetupFailures},
            paused = ${paused},
            paused_reason = ${paused ? (p.paused === true ? "paused by a user" : s.pausedReason) : null},
            consecutive_setup_failures = ${p.paused === false ? 0 : s.consecutiveSetupFailures},
            updated_at = ${at}
            WHERE repo_id = ${id}`)
          return yield* repoRow(orgId, id)
        }),

      createRun: (repoId, trigger, id) =>
        Effect.gen(function* () {
          const runId = id ?? newId("run")
          const at = yield* now
          const inserted = yield* q("creating a run", sql<Row>`INSERT INTO runs (id, repo_id, trigger, status, created_at)
            VALUES (${runId}, ${repoId}, ${trigger}, 'queued', ${at}) ON CONFLICT (id) DO NOTHING RETURNING id`)
          return { ...(yield* getRun(null, runId)), created: inserted.length > 0 }
        }),

      getRun,

      getRunView: (orgId, id) =>
        Effect.gen(function* () {
          const key = `${orgId}\0${id}`
          const at = yield* Clock.currentTimeMillis
          const hit = runViews.get(key)
          if (hit !== undefined && hit.generation === generation && at - hit.at < RUN_VIEW_CACHE_MS) return hit.view
          const seen = generation
          const view = yield* readRunView(orgId, id)
          if (runViews.size >= 10_000) runViews.clear()
          runViews.set(key, { view, generation: seen, at })
          return view
        }),


      listRuns: (repoId, limit) =>
        Effect.gen(function* () {
          const rows = yield* q("listing runs", sql<Row>`SELECT * FROM runs WHERE repo_id = ${repoId} ORDER BY created_at DESC, id LIMIT ${limit}`)
          const stages = yield* stagesOf(rows.map((r) => r.id))
          return rows.map((r) => toRun(r, stages.get(r.id) ?? []))
        }),

      unfinishedRuns: q("listing unfinished runs", sql<Row>`SELECT id FROM runs WHERE status IN ('queued', 'running') ORDER BY created_at`).pipe(
        Effect.map((rows) => rows.map((r) => r.id as string))
      ),

      setRunStatus: (id, status, fields) =>
        invalidating(
        Effect.gen(function* () {
          const at = yield* now
          const finished = status === "succeeded" || status === "failed" || status === "cancelled"
          yield* q("updating a run", sql`UPDATE runs SET status = ${status},
            error = ${fields?.error === undefined ? sql`error` : fields.error},
            runner = ${fields?.runner === undefined ? sql`runner` : fields.runner},
            started_at = ${status === "running" ? sql`COALESCE(started_at, ${at})` : sql`started_at`},
            finished_at = ${finished ? at : null}
            WHERE id = ${id}`)
        })
        ),

      setRunCounts: (id, counts) =>
        invalidating(
        q("updating run counts", sql`UPDATE runs SET
          candidates = ${counts.candidates ?? sql`candidates`},
          proposals = ${counts.proposals ?? sql`proposals`} WHERE id = ${id}`).pipe(Effect.asVoid)
        ),

      requestCancel: (orgId, id) =>
        invalidating(
        Effect.gen(function* () {
          const run = yield* getRun(orgId, id)
          if (run.status === "succeeded" || run.status === "failed" || run.status === "cancelled") {
            return yield* Effect.fail(conflict(`Run ${id} already finished with status ${run.status}; only queued or running runs can be cancelled.`))
          }
          yield* q("cancelling a run", sql`UPDATE runs SET cancel_requested = true WHERE id = ${id}`)
          return yield* getRun(orgId, id)
        })
        ),

      stageStarted: (runId, stage, runner) =>
        invalidating(
        Effect.gen(function* () {
          const at = yield* now
          const rows = yield* q("starting a stage", sql<Row>`INSERT INTO run_stages (run_id, stage, status, executions, runner, started_at)
            VALUES (${runId}, ${stage}, 'running', 1, ${runner}, ${at})
            ON CONFLICT (run_id, stage) DO UPDATE SET status = 'running', executions = run_stages.executions + 1,
              runner = EXCLUDED.runner, started_at = EXCLUDED.started_at, finished_at = NULL, error = NULL
            RETURNING executions`)
          return Number(rows[0].executions)
        })
        ),

      stageFinished: (runId, stage, result) =>
        invalidating(
        Effect.gen(function* () {
          const at = yield* now
          yield* q("finishing a stage", sql`UPDATE run_stages SET status = ${result.ok ? "succeeded" : "failed"},
            output = ${result.output === undefined ? null : JSON.stringify(result.output)}::jsonb,
            error = ${result.error ?? null}, finished_at = ${at}
            WHERE run_id = ${runId} AND stage = ${stage}`)
        })
        ),

      appendEvent: (runId, type, data) =>
        Effect.gen(function* () {
          const at = yield* now
          const rows = yield* q("appending an event", sql<Row>`INSERT INTO run_events (run_id, type, data, created_at)
            VALUES (${runId}, ${type}, ${JSON.stringify(data)}::jsonb, ${at}) RETURNING seq`)
          return { seq: Number(rows[0].seq), runId, type, data, createdAt: at.toISOString() }
        }),

      eventsAfter: (runId, afterSeq, limit = 500) =>
        q("reading events", sql<Row>`SELECT * FROM run_events WHERE run_id = ${runId} AND seq > ${afterSeq} ORDER BY seq LIMIT ${limit}`).pipe(
          Effect.map((rows) => rows.map((r): RunEvent => ({ seq: Number(r.seq), runId: r.run_id, type: r.type, data: json(r.data), createdAt: iso(r.created_at) })))
        ),

      addAttempt: (runId, id, data) =>
        q("recording an attempt", sql`INSERT INTO attempts (id, run_id, data) VALUES (${id}, ${runId}, ${JSON.stringify(data)}::jsonb)
          ON CONFLICT (id) DO NOTHING`).pipe(Effect.asVoid),

      addProposal: (input) =>
        invalidating(
        Effect.gen(function* () {
          const at = yield* now
          const hash = sha256(canonicalJson(input.data))
          yield* q("storing a proposal", sql`INSERT INTO proposals (id, run_id, repo_id, title, content_hash, data, created_at)
            VALUES (${input.id}, ${input.runId}, ${input.repoId}, ${input.title}, ${hash}, ${JSON.stringify(input.data)}::jsonb, ${at})
            ON CONFLICT (id) DO NOTHING`)
          return yield* getProposal(null, input.id)
        })
        ),

      getProposal,

      listProposals: (runId) =>
        q("listing proposals", sql<Row>`SELECT * FROM proposals WHERE run_id = ${runId} ORDER BY created_at, id`).pipe(
          Effect.flatMap((rows) => Effect.forEach(rows, toProposal))
        ),

      decide: (orgId, proposalId, input) =>
        invalidating(
        Effect.gen(function* () {
          const proposal = yield* getProposal(orgId, proposalId)
          if (input.contentHash !== null && input.contentHash !== proposal.contentHash) {
            return yield* Effect.fail(conflict(`Proposal ${proposalId} changed: you reviewed content ${input.contentHash} but it is now ${proposal.contentHash}. Reload it and review again.`))
          }
          if (proposal.status === "approved" || proposal.status === "rejected") {
            return yield* Effect.fail(conflict(`Proposal ${proposalId} is already ${proposal.status}.`))
          }
          const at = yield* now
          const id = newId("apr")
          yield* q("recording a decision", sql.withTransaction(Effect.gen(function* () {
            yield* sql`INSERT INTO approvals (id, proposal_id, decision, actor, note, content_hash, created_at)
              VALUES (${id}, ${proposalId}, ${input.decision}, ${input.actor}, ${input.note}, ${proposal.contentHash}, ${at})`
            yield* sql`UPDATE proposals SET status = ${input.decision} WHERE id = ${proposalId}`
          })))
          return { id, proposalId, decision: input.decision, actor: input.actor, note: input.note, contentHash: proposal.contentHash, createdAt: at.toISOString() }
        })
        ),

      putArtifact: (input) =>
        Effect.gen(function* () {
          const at = yield* now
          const hash = sha256(input.content)
          const id = input.id ?? `art_${hash.slice(0, 24)}`
          yield* q("storing an artifact", sql`INSERT INTO artifacts (id, run_id, proposal_id, name, media_type, sha256, size, content, created_at)
            VALUES (${id}, ${input.runId}, ${input.proposalId}, ${input.name}, ${input.mediaType}, ${hash}, ${input.content.byteLength}, ${input.content}, ${at})
            ON CONFLICT (id) DO NOTHING`)
          const rows = yield* q("reading an artifact", sql<Row>`SELECT id, run_id, proposal_id, name, media_type, sha256, size, created_at FROM artifacts WHERE id = ${id}`)
          return toArtifact(rows[0])
        }),

      getArtifact: (orgId, id) =>
        Effect.gen(function* () {
          const rows = yield* q("reading an artifact", sql<Row>`SELECT a.* FROM artifacts a
            LEFT JOIN runs ON runs.id = a.run_id LEFT JOIN repositories r ON r.id = runs.repo_id
            WHERE a.id = ${id} ${orgId === null ? sql`` : sql`AND r.org_id = ${orgId}`}`)
          if (rows.length === 0) return yield* Effect.fail(notFound("artifact", id))
          const meta = toArtifact(rows[0])
          const content: Uint8Array = rows[0].content
          const actual = sha256(content)
          if (actual !== meta.sha256) {
            return yield* Effect.fail(integrityFailure(id, `stored sha256 ${meta.sha256} but the bytes hash to ${actual}`))
          }
          return { meta, content }
        }),

      addUsage: (repoId, day, usage) =>
        q("recording budget usage", sql`INSERT INTO budget_usage (repo_id, day, compute_ms, runs) VALUES (${repoId}, ${day}, ${Math.round(usage.computeMs)}, ${usage.runs})
          ON CONFLICT (repo_id, day) DO UPDATE SET compute_ms = budget_usage.compute_ms + EXCLUDED.compute_ms, runs = budget_usage.runs + EXCLUDED.runs`).pipe(Effect.asVoid),

      usage: (repoId, day) =>
        q("reading budget usage", sql<Row>`SELECT * FROM budget_usage WHERE repo_id = ${repoId} AND day = ${day}`).pipe(
          Effect.map((rows) => rows.length === 0 ? { day, computeMs: 0, runs: 0 } : { day, computeMs: Number(rows[0].compute_ms), runs: Number(rows[0].runs) })
        ),

      recordSetup: (repoId, ok, reason) =>
        Effect.gen(function* () {
          if (ok) {
            yield* q("recording setup", sql`UPDATE repository_settings SET consecutive_setup_failures = 0 WHERE repo_id = ${repoId}`)
          } else {
            yield* q("recording setup", sql`UPDATE repository_settings SET consecutive_setup_failures = consecutive_setup_failures + 1,
              paused = paused OR consecutive_setup_failures + 1 >= max_setup_failures,
              paused_reason = CASE WHEN paused THEN paused_reason
                WHEN consecutive_setup_failures + 1 >= max_setup_failures
                THEN ${`auto-paused after repeated setup failures; last: ${reason ?? "unknown"}`} || ' (' || (consecutive_setup_failures + 1) || ' in a row). Fix the repository, then PATCH settings with {"paused": false}.'
                ELSE paused_reason END
              WHERE repo_id = ${repoId}`)
          }
          return (yield* repoRow(null, repoId)).settings
        })
    })
  }))
}

/**
 * JSON with object keys sorted, so equal content gives equal hashes.
 *
 * @since 0.1.0
 */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
      : v)
