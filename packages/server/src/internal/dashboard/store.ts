/**
 * What the dashboard stores and reads beyond the API's `Store`: browser sessions (a random cookie
 * value, kept only as its sha256, bound to the API token it was opened with, with its CSRF token),
 * and the read-only queries its pages need (the proposal inbox across repositories, a run's
 * attempts and stage outputs, a proposal's artifacts). Every write the dashboard makes to
 * repositories, runs and proposals goes through `Store` and `Runs`, like the API's.
 *
 * @internal
 */
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Crypto from "node:crypto"
import type { ServerError } from "../../ServerError.js"
import type { ArtifactMeta, Principal, Run, RunStage } from "../../Store.js"
import { toArtifact } from "../store/artifacts.js"
import { toRun, toStage } from "../store/runs.js"
import { principalOf } from "../store/tokens.js"
import { iso, json, makeContext, now, type Row, sha256, str, strOrNull } from "../store/sql.js"

/** A signed-in browser session. */
export interface Session {
  readonly principal: Principal
  /** The token every form of this session must send back. */
  readonly csrf: string
  readonly expiresAt: string
}

/** A proposal as the inbox lists it. */
export interface ProposalItem {
  readonly id: string
  readonly runId: string
  readonly repoId: string
  readonly repoName: string
  readonly title: string
  readonly status: string
  readonly kind: string | null
  readonly risk: string | null
  readonly change: number | null
  readonly files: number
  readonly createdAt: string
  /** Whether "create PR" has written it. */
  readonly published: boolean
}

/** Filters of the proposal inbox (absent: any). */
export interface ProposalFilter {
  readonly status?: string | undefined
  readonly repoId?: string | undefined
  readonly kind?: string | undefined
  readonly limit?: number | undefined
}

/** A run with its repository's name, for lists across repositories. */
export interface RunItem extends Run {
  readonly repoName: string
}

const proposalStatuses = ["pending", "approved", "rejected", "changes-requested"] as const

/**
 * The dashboard's store service.
 */
export class DashboardStore extends Context.Service<DashboardStore, {
  /** Opens a session for `principal` until `ttlMs` from now; returns the cookie value (stored hashed). */
  readonly openSession: (principal: Principal, ttlMs: number) => Effect.Effect<{ readonly cookie: string; readonly session: Session }, ServerError>
  /** The session behind a cookie value, or `null` when it is unknown, expired, signed out or its token is gone. */
  readonly session: (cookie: string) => Effect.Effect<Session | null, ServerError>
  readonly closeSession: (cookie: string) => Effect.Effect<void, ServerError>
  readonly proposals: (orgId: string, filter: ProposalFilter) => Effect.Effect<ReadonlyArray<ProposalItem>, ServerError>
  /** Pending proposals of the organisation (the inbox badge). */
  readonly pendingCount: (orgId: string) => Effect.Effect<number, ServerError>
  /** Recent runs across the organisation's repositories, newest first. */
  readonly runs: (orgId: string, filter: { readonly repoId?: string | undefined; readonly status?: string | undefined; readonly limit: number }) => Effect.Effect<ReadonlyArray<RunItem>, ServerError>
  /** The latest run of each repository of the organisation, by repository id. */
  readonly lastRuns: (orgId: string) => Effect.Effect<ReadonlyMap<string, RunItem>, ServerError>
  /** Every attempt of a run (accepted or rejected, with its reason), in the order they were made. */
  readonly attempts: (runId: string) => Effect.Effect<ReadonlyArray<Record<string, unknown>>, ServerError>
  /** The stored output of each finished stage of a run. */
  readonly stageOutputs: (runId: string) => Effect.Effect<Readonly<Record<string, unknown>>, ServerError>
  /** The artifacts stored for a proposal. */
  readonly proposalArtifacts: (proposalId: string) => Effect.Effect<ReadonlyArray<ArtifactMeta>, ServerError>
}>()("@ratchet/server/DashboardStore") {
  /** The store on the current `SqlClient`. */
  static readonly layer: Layer.Layer<DashboardStore, never, SqlClient> = Layer.effect(DashboardStore, Effect.gen(function* () {
    const { sql, q } = makeContext(yield* SqlClient)

    /** Runs from rows (joined with the repository name), with their stages. */
    const withStages = (select: Effect.Effect<ReadonlyArray<Row>, ServerError>): Effect.Effect<ReadonlyArray<RunItem>, ServerError> =>
        Effect.gen(function* () {
          const rows = yield* select
          const ids = rows.map((r) => str(r, "id"))
          const stageRows = ids.length === 0 ? [] : yield* q("listing stages", sql<Row>`SELECT run_id, stage, status, executions, runner, error, started_at, finished_at
            FROM run_stages WHERE ${sql.in("run_id", ids)}`)
          const byRun = new Map<string, Array<RunStage>>()
          for (const s of stageRows) {
            const list = byRun.get(str(s, "run_id")) ?? []
            list.push(toStage(s))
            byRun.set(str(s, "run_id"), list)
          }
          return rows.map((r): RunItem => ({ ...toRun(r, byRun.get(str(r, "id")) ?? []), repoName: str(r, "repo_name") }))
        })

    return DashboardStore.of({
      openSession: (principal, ttlMs) =>
        Effect.gen(function* () {
          const at = yield* now
          const cookie = Crypto.randomBytes(32).toString("base64url")
          const csrf = Crypto.randomBytes(32).toString("base64url")
          // a session never outlives its token
          const tokenExpiry = principal.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(principal.expiresAt)
          const expiresAt = new Date(Math.min(at.getTime() + ttlMs, tokenExpiry))
          yield* q("opening a session", sql`DELETE FROM dashboard_sessions WHERE expires_at < ${at}`)
          yield* q("opening a session", sql`INSERT INTO dashboard_sessions (id_hash, org_id, token_id, csrf, created_at, expires_at)
            VALUES (${sha256(cookie)}, ${principal.orgId}, ${principal.tokenId}, ${csrf}, ${at}, ${expiresAt})`)
          return { cookie, session: { principal, csrf, expiresAt: expiresAt.toISOString() } }
        }),

      session: (cookie) =>
        Effect.gen(function* () {
          const at = yield* now
          // the token's revocation and expiry end the session at once, whatever its own expiry
          const rows = yield* q("reading a session", sql<Row>`SELECT s.csrf, s.expires_at AS session_expires_at, t.id, t.org_id, t.name, t.scopes, t.quotas,
              t.expires_at, o.quotas AS org_quotas
            FROM dashboard_sessions s JOIN api_tokens t ON t.id = s.token_id JOIN organisations o ON o.id = t.org_id
            WHERE s.id_hash = ${sha256(cookie)} AND s.expires_at > ${at}
              AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ${at})`)
          const r = rows[0]
          if (r === undefined) return null
          return { principal: principalOf(r), csrf: str(r, "csrf"), expiresAt: iso(r.session_expires_at) }
        }),

      closeSession: (cookie) =>
        q("closing a session", sql`DELETE FROM dashboard_sessions WHERE id_hash = ${sha256(cookie)}`).pipe(Effect.asVoid),

      proposals: (orgId, filter) => {
        const status = proposalStatuses.find((s) => s === filter.status)
        return q("listing proposals", sql<Row>`SELECT p.id, p.run_id, p.repo_id, r.name AS repo_name, p.title, p.status, p.created_at,
              p.data->>'kind' AS kind, p.data->>'risk' AS risk, p.data->'benchmark'->>'change' AS change,
              COALESCE(jsonb_array_length(CASE WHEN jsonb_typeof(p.data->'files') = 'array' THEN p.data->'files' END), 0) AS files,
              EXISTS (SELECT 1 FROM run_events e WHERE e.run_id = p.run_id AND e.type = 'proposal.published' AND e.data->>'proposalId' = p.id) AS published
            FROM proposals p JOIN repositories r ON r.id = p.repo_id
            WHERE r.org_id = ${orgId}
              ${status === undefined ? sql`` : sql`AND p.status = ${status}`}
              ${filter.repoId === undefined ? sql`` : sql`AND p.repo_id = ${filter.repoId}`}
              ${filter.kind === undefined ? sql`` : sql`AND p.data->>'kind' = ${filter.kind}`}
            ORDER BY p.created_at DESC, p.id LIMIT ${filter.limit ?? 200}`).pipe(
          Effect.map((rows) => rows.map((r): ProposalItem => ({
            id: str(r, "id"),
            runId: str(r, "run_id"),
            repoId: str(r, "repo_id"),
            repoName: str(r, "repo_name"),
            title: str(r, "title"),
            status: str(r, "status"),
            kind: strOrNull(r, "kind"),
            risk: strOrNull(r, "risk"),
            change: r.change === null || r.change === undefined ? null : Number(r.change),
            files: Number(r.files),
            createdAt: iso(r.created_at),
            published: Boolean(r.published)
          })))
        )
      },

      pendingCount: (orgId) =>
        q("counting proposals", sql<Row>`SELECT count(*) AS n FROM proposals p JOIN repositories r ON r.id = p.repo_id
          WHERE r.org_id = ${orgId} AND p.status = 'pending'`).pipe(Effect.map((rows) => Number(rows[0]?.n ?? 0))),

      runs: (orgId, filter) =>
        withStages(q("listing runs", sql<Row>`SELECT runs.*, r.name AS repo_name FROM runs JOIN repositories r ON r.id = runs.repo_id
            WHERE r.org_id = ${orgId}
              ${filter.repoId === undefined ? sql`` : sql`AND runs.repo_id = ${filter.repoId}`}
              ${filter.status === undefined ? sql`` : sql`AND runs.status = ${filter.status}`}
            ORDER BY runs.created_at DESC, runs.id LIMIT ${filter.limit}`)),

      lastRuns: (orgId) =>
        withStages(q("listing runs", sql<Row>`SELECT DISTINCT ON (runs.repo_id) runs.*, r.name AS repo_name
            FROM runs JOIN repositories r ON r.id = runs.repo_id WHERE r.org_id = ${orgId}
            ORDER BY runs.repo_id, runs.created_at DESC, runs.id`)).pipe(
          Effect.map((runs) => new Map(runs.map((run) => [run.repoId, run])))
        ),

      attempts: (runId) =>
        q("listing attempts", sql<Row>`SELECT data FROM attempts WHERE run_id = ${runId} ORDER BY id`).pipe(
          Effect.map((rows) => rows.map((r) => json(r.data) as Record<string, unknown>))
        ),

      stageOutputs: (runId) =>
        q("reading stage outputs", sql<Row>`SELECT stage, output FROM run_stages WHERE run_id = ${runId} AND output IS NOT NULL`).pipe(
          Effect.map((rows) => Object.fromEntries(rows.map((r) => [str(r, "stage"), json(r.output)])))
        ),

      proposalArtifacts: (proposalId) =>
        q("listing artifacts", sql<Row>`SELECT id, run_id, proposal_id, name, media_type, sha256, size, created_at FROM artifacts
          WHERE proposal_id = ${proposalId} ORDER BY created_at, id`).pipe(
          Effect.map((rows) => rows.map(toArtifact))
        )
    })
  }))
}
