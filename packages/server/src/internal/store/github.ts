/**
 * GitHub's side of the server's state: webhook deliveries (idempotent by `X-GitHub-Delivery`),
 * prompted tasks (an instruction for a repository, its plan and decision, the run and proposal it
 * led to, the replies posted), and the pull requests Ratchet opened with their CI state.
 *
 * @internal
 */
import { Effect } from "effect"
import { notFound, type ServerError } from "../../ServerError.js"
import { iso, isoOrNull, json, newId, now, type Row, type StoreContext, str, strOrNull } from "./sql.js"

/** A webhook delivery as received. */
export interface Delivery {
  readonly id: string
  readonly connectorId: string | null
  readonly event: string
  readonly action: string | null
  readonly payload: unknown
  /** `queued` (recorded), `processing` (claimed by one worker), then `processed` or `failed`. */
  readonly status: "queued" | "processing" | "processed" | "failed"
  readonly result: unknown
  readonly attempts: number
  readonly receivedAt: string
  readonly processedAt: string | null
}

/** Where a task came from. */
export interface TaskSource {
  readonly via: "api" | "label" | "comment"
  readonly connectorId: string | null
  readonly deliveryId: string | null
  /** `owner/name` on GitHub. */
  readonly repo: string | null
  readonly issue: number | null
  readonly commentId: number | null
  readonly sender: string | null
}

/** The states of a task. */
export type TaskStatus =
  | "queued"
  | "planning"
  | "no-go"
  | "deferred"
  | "running"
  | "proposed"
  | "no-proposal"
  | "verifying-ci"
  | "done"
  | "needs-human"
  | "failed"

/** A prompted task. */
export interface Task {
  readonly id: string
  readonly orgId: string
  readonly repoId: string
  readonly instruction: string
  readonly paths: ReadonlyArray<string>
  readonly source: TaskSource
  readonly status: TaskStatus
  readonly plan: unknown
  readonly decision: unknown
  readonly runId: string | null
  readonly proposalId: string | null
  readonly error: string | null
  readonly replies: ReadonlyArray<{ readonly kind: string; readonly url: string; readonly at: string }>
  readonly createdAt: string
  readonly updatedAt: string
}

/** The states of a pull request Ratchet opened. */
export type PullState = "verifying-ci" | "done" | "needs-human" | "merged" | "closed"

/** A pull request Ratchet opened for a proposal. */
export interface PullRequest {
  readonly proposalId: string
  readonly repoId: string
  readonly connectorId: string | null
  /** `owner/name`. */
  readonly repo: string
  readonly number: number
  readonly url: string
  readonly branch: string
  readonly headSha: string
  readonly state: PullState
  readonly ci: unknown
  readonly taskId: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** The GitHub part of the store. */
export interface GitHubStore {
  /**
   * Records a delivery; `false` when that delivery id, or the same signed body under another id (a
   * replayed capture), was seen before — nothing changes then.
   */
  readonly addDelivery: (input: {
    readonly id: string
    readonly connectorId: string | null
    readonly event: string
    readonly action: string | null
    readonly payload: unknown
    /** sha256 of the raw body the signature covers. */
    readonly bodySha256: string
  }) => Effect.Effect<boolean, ServerError>
  readonly getDelivery: (id: string) => Effect.Effect<Delivery, ServerError>
  /**
   * Claims one delivery for processing (compare-and-set from `queued`, counting the attempt);
   * `false` when another worker has it or it is done. Exactly one claim succeeds.
   */
  readonly claimDelivery: (id: string) => Effect.Effect<boolean, ServerError>
  /**
   * Claims queued deliveries (oldest first), and ones whose claim is older than `staleMs` (the
   * worker that held them stopped), counting the attempt; at most 5 attempts each.
   */
  readonly claimDeliveries: (limit: number, staleMs: number) => Effect.Effect<ReadonlyArray<Delivery>, ServerError>
  /** Records the outcome; a `failed` one goes back to the queue until its fifth attempt. */
  readonly finishDelivery: (id: string, status: "processed" | "failed", result: unknown) => Effect.Effect<void, ServerError>

  readonly createTask: (input: { readonly orgId: string; readonly repoId: string; readonly instruction: string; readonly paths: ReadonlyArray<string>; readonly source: TaskSource }) => Effect.Effect<Task, ServerError>
  /** A task by id; `orgId` null skips the organisation check. */
  readonly getTask: (orgId: string | null, id: string) => Effect.Effect<Task, ServerError>
  readonly listTasks: (orgId: string, repoId: string) => Effect.Effect<ReadonlyArray<Task>, ServerError>
  readonly tasksIn: (statuses: ReadonlyArray<TaskStatus>, limit: number) => Effect.Effect<ReadonlyArray<Task>, ServerError>
  /** Moves a task from `from` to another state (compare-and-set); `false` when it was not in `from`. */
  readonly moveTask: (id: string, from: ReadonlyArray<TaskStatus>, to: TaskStatus, fields?: { readonly plan?: unknown; readonly decision?: unknown; readonly runId?: string; readonly proposalId?: string; readonly error?: string | null }) => Effect.Effect<boolean, ServerError>
  readonly addReply: (id: string, reply: { readonly kind: string; readonly url: string }) => Effect.Effect<void, ServerError>
  readonly taskOfProposal: (proposalId: string) => Effect.Effect<Task | null, ServerError>

  readonly trackPullRequest: (input: Omit<PullRequest, "state" | "ci" | "createdAt" | "updatedAt">) => Effect.Effect<void, ServerError>
  readonly getPullRequest: (proposalId: string) => Effect.Effect<PullRequest | null, ServerError>
  readonly pullRequestsIn: (state: PullState) => Effect.Effect<ReadonlyArray<PullRequest>, ServerError>
  readonly pullRequestsByHead: (repo: string, sha: string) => Effect.Effect<ReadonlyArray<PullRequest>, ServerError>
  readonly pullRequestByNumber: (repo: string, number: number) => Effect.Effect<PullRequest | null, ServerError>
  /** Moves a pull request's state (compare-and-set on `from`); `false` when it was not in `from`. */
  readonly movePullRequest: (proposalId: string, from: ReadonlyArray<PullState>, to: PullState, ci?: unknown) => Effect.Effect<boolean, ServerError>
}

const DELIVERY = ["queued", "processing", "processed", "failed"] as const
const TASK: ReadonlyArray<TaskStatus> = ["queued", "planning", "no-go", "deferred", "running", "proposed", "no-proposal", "verifying-ci", "done", "needs-human", "failed"]
const PULL: ReadonlyArray<PullState> = ["verifying-ci", "done", "needs-human", "merged", "closed"]

const pick = <A extends string>(value: unknown, allowed: ReadonlyArray<A>, fallback: A): A => allowed.find((a) => a === value) ?? fallback

const toDelivery = (r: Row): Delivery => ({
  id: str(r, "id"),
  connectorId: strOrNull(r, "connector_id"),
  event: str(r, "event"),
  action: strOrNull(r, "action"),
  payload: json(r.payload),
  status: pick(r.status, DELIVERY, "queued"),
  result: r.result === null || r.result === undefined ? null : json(r.result),
  attempts: Number(r.attempts),
  receivedAt: iso(r.received_at),
  processedAt: isoOrNull(r.processed_at)
})

const sourceOf = (v: unknown): TaskSource => {
  const o = typeof v === "object" && v !== null ? v : {}
  const get = (k: string) => Reflect.get(o, k)
  const s = (k: string) => (typeof get(k) === "string" ? (get(k) as string) : null)
  const n = (k: string) => (typeof get(k) === "number" ? (get(k) as number) : null)
  return {
    via: pick(get("via"), ["api", "label", "comment"] as const, "api"),
    connectorId: s("connectorId"),
    deliveryId: s("deliveryId"),
    repo: s("repo"),
    issue: n("issue"),
    commentId: n("commentId"),
    sender: s("sender")
  }
}

const toTask = (r: Row): Task => {
  const replies = json(r.replies)
  return {
    id: str(r, "id"),
    orgId: str(r, "org_id"),
    repoId: str(r, "repo_id"),
    instruction: str(r, "instruction"),
    paths: Array.isArray(json(r.paths)) ? (json(r.paths) as Array<unknown>).filter((p): p is string => typeof p === "string") : [],
    source: sourceOf(json(r.source)),
    status: pick(r.status, TASK, "queued"),
    plan: r.plan === null || r.plan === undefined ? null : json(r.plan),
    decision: r.decision === null || r.decision === undefined ? null : json(r.decision),
    runId: strOrNull(r, "run_id"),
    proposalId: strOrNull(r, "proposal_id"),
    error: strOrNull(r, "error"),
    replies: Array.isArray(replies) ? (replies as Task["replies"]) : [],
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at)
  }
}

const toPull = (r: Row): PullRequest => ({
  proposalId: str(r, "proposal_id"),
  repoId: str(r, "repo_id"),
  connectorId: strOrNull(r, "connector_id"),
  repo: str(r, "repo"),
  number: Number(r.number),
  url: str(r, "url"),
  branch: str(r, "branch"),
  headSha: str(r, "head_sha"),
  state: pick(r.state, PULL, "verifying-ci"),
  ci: r.ci === null || r.ci === undefined ? null : json(r.ci),
  taskId: strOrNull(r, "task_id"),
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at)
})

/** The GitHub store on a context. */
export const make = ({ sql, q }: StoreContext): GitHubStore => {
  const getTask = (orgId: string | null, id: string) =>
    q("reading a task", sql<Row>`SELECT * FROM tasks WHERE id = ${id} ${orgId === null ? sql`` : sql`AND org_id = ${orgId}`}`).pipe(
      Effect.flatMap((rows) => (rows[0] === undefined ? Effect.fail(notFound("task", id)) : Effect.succeed(toTask(rows[0]))))
    )
  return {
    addDelivery: (input) =>
      Effect.gen(function* () {
        const at = yield* now
        // either key (the delivery id, the body's hash) seen before: nothing is recorded
        const rows = yield* q("recording a webhook delivery", sql<Row>`INSERT INTO webhook_deliveries (id, connector_id, event, action, payload, body_sha256, status, received_at)
          VALUES (${input.id}, ${input.connectorId}, ${input.event}, ${input.action}, ${JSON.stringify(input.payload)}::jsonb, ${input.bodySha256}, 'queued', ${at})
          ON CONFLICT DO NOTHING RETURNING id`)
        return rows.length === 1
      }),
    getDelivery: (id) =>
      q("reading a webhook delivery", sql<Row>`SELECT * FROM webhook_deliveries WHERE id = ${id}`).pipe(
        Effect.flatMap((rows) => (rows[0] === undefined ? Effect.fail(notFound("delivery", id)) : Effect.succeed(toDelivery(rows[0]))))
      ),
    claimDelivery: (id) =>
      Effect.gen(function* () {
        const at = yield* now
        const rows = yield* q("claiming a webhook delivery", sql<Row>`UPDATE webhook_deliveries SET status = 'processing', claimed_at = ${at}, attempts = attempts + 1
          WHERE id = ${id} AND status = 'queued' RETURNING id`)
        return rows.length === 1
      }),
    claimDeliveries: (limit, staleMs) =>
      Effect.gen(function* () {
        const at = yield* now
        const stale = new Date(at.getTime() - staleMs)
        return yield* q(
          "claiming webhook deliveries",
          sql.withTransaction(
            Effect.gen(function* () {
              const rows = yield* sql<Row>`SELECT * FROM webhook_deliveries
                WHERE ((status = 'queued' AND (claimed_at IS NULL OR claimed_at < ${at} - attempts * interval '30 seconds')) OR (status = 'processing' AND claimed_at < ${stale})) AND attempts < 5
                ORDER BY received_at, id LIMIT ${limit} FOR UPDATE SKIP LOCKED`
              for (const r of rows) yield* sql`UPDATE webhook_deliveries SET status = 'processing', claimed_at = ${at}, attempts = attempts + 1 WHERE id = ${str(r, "id")}`
              return rows.map((r) => ({ ...toDelivery(r), status: "processing" as const, attempts: Number(r.attempts) + 1 }))
            })
          )
        )
      }),
    finishDelivery: (id, status, result) =>
      Effect.gen(function* () {
        const at = yield* now
        // a failure is retried (after 30 s per attempt so far) until its fifth attempt
        yield* q("finishing a webhook delivery", sql`UPDATE webhook_deliveries
          SET status = ${status === "processed" ? sql`'processed'` : sql`CASE WHEN attempts < 5 THEN 'queued' ELSE 'failed' END`},
            result = ${JSON.stringify(result ?? null)}::jsonb, processed_at = ${at}
          WHERE id = ${id}`)
      }),

    createTask: (input) =>
      Effect.gen(function* () {
        const id = newId("task")
        const at = yield* now
        yield* q("creating a task", sql`INSERT INTO tasks (id, org_id, repo_id, instruction, paths, source, status, replies, created_at, updated_at)
          VALUES (${id}, ${input.orgId}, ${input.repoId}, ${input.instruction}, ${JSON.stringify(input.paths)}::jsonb, ${JSON.stringify(input.source)}::jsonb, 'queued', '[]'::jsonb, ${at}, ${at})`)
        return yield* getTask(null, id)
      }),
    getTask,
    listTasks: (orgId, repoId) =>
      q("listing tasks", sql<Row>`SELECT * FROM tasks WHERE org_id = ${orgId} AND repo_id = ${repoId} ORDER BY created_at DESC, id LIMIT 200`).pipe(Effect.map((rows) => rows.map(toTask))),
    tasksIn: (statuses, limit) =>
      q("listing tasks by state", sql<Row>`SELECT * FROM tasks WHERE ${sql.in("status", statuses)} ORDER BY updated_at, id LIMIT ${limit}`).pipe(Effect.map((rows) => rows.map(toTask))),
    moveTask: (id, from, to, fields = {}) =>
      Effect.gen(function* () {
        const at = yield* now
        const rows = yield* q("moving a task", sql<Row>`UPDATE tasks SET status = ${to}, updated_at = ${at}
          ${fields.plan === undefined ? sql`` : sql`, plan = ${JSON.stringify(fields.plan)}::jsonb`}
          ${fields.decision === undefined ? sql`` : sql`, decision = ${JSON.stringify(fields.decision)}::jsonb`}
          ${fields.runId === undefined ? sql`` : sql`, run_id = ${fields.runId}`}
          ${fields.proposalId === undefined ? sql`` : sql`, proposal_id = ${fields.proposalId}`}
          ${fields.error === undefined ? sql`` : sql`, error = ${fields.error}`}
          WHERE id = ${id} AND ${sql.in("status", from)} RETURNING id`)
        return rows.length === 1
      }),
    addReply: (id, reply) =>
      Effect.gen(function* () {
        const at = yield* now
        yield* q("recording a reply", sql`UPDATE tasks SET replies = replies || ${JSON.stringify([{ ...reply, at: at.toISOString() }])}::jsonb, updated_at = ${at} WHERE id = ${id}`)
      }),
    taskOfProposal: (proposalId) =>
      q("reading a proposal's task", sql<Row>`SELECT * FROM tasks WHERE proposal_id = ${proposalId} ORDER BY created_at LIMIT 1`).pipe(Effect.map((rows) => (rows[0] === undefined ? null : toTask(rows[0])))),

    trackPullRequest: (input) =>
      Effect.gen(function* () {
        const at = yield* now
        yield* q("recording a pull request", sql`INSERT INTO pull_requests (proposal_id, repo_id, connector_id, repo, number, url, branch, head_sha, state, task_id, created_at, updated_at)
          VALUES (${input.proposalId}, ${input.repoId}, ${input.connectorId}, ${input.repo}, ${input.number}, ${input.url}, ${input.branch}, ${input.headSha}, 'verifying-ci', ${input.taskId}, ${at}, ${at})
          ON CONFLICT (proposal_id) DO NOTHING`)
      }),
    getPullRequest: (proposalId) =>
      q("reading a pull request", sql<Row>`SELECT * FROM pull_requests WHERE proposal_id = ${proposalId}`).pipe(Effect.map((rows) => (rows[0] === undefined ? null : toPull(rows[0])))),
    pullRequestsIn: (state) => q("listing pull requests", sql<Row>`SELECT * FROM pull_requests WHERE state = ${state} ORDER BY updated_at LIMIT 100`).pipe(Effect.map((rows) => rows.map(toPull))),
    pullRequestsByHead: (repo, sha) =>
      q("finding pull requests by head", sql<Row>`SELECT * FROM pull_requests WHERE lower(repo) = lower(${repo}) AND head_sha = ${sha}`).pipe(Effect.map((rows) => rows.map(toPull))),
    pullRequestByNumber: (repo, number) =>
      q("finding a pull request", sql<Row>`SELECT * FROM pull_requests WHERE lower(repo) = lower(${repo}) AND number = ${number}`).pipe(Effect.map((rows) => (rows[0] === undefined ? null : toPull(rows[0])))),
    movePullRequest: (proposalId, from, to, ci) =>
      Effect.gen(function* () {
        const at = yield* now
        const rows = yield* q("moving a pull request", sql<Row>`UPDATE pull_requests SET state = ${to}, updated_at = ${at}
          ${ci === undefined ? sql`` : sql`, ci = ${JSON.stringify(ci)}::jsonb`}
          WHERE proposal_id = ${proposalId} AND ${sql.in("state", from)} RETURNING proposal_id`)
        return rows.length === 1
      })
  }
}
