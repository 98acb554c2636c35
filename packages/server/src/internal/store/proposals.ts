/**
 * Proposals: what a run packaged, with the content hash approvals bind to and the decisions made.
 *
 * @internal
 */
import { Effect } from "effect"
import { notFound, type ServerError } from "../../ServerError.js"
import { type Approval, decisionsOf } from "./decisions.js"
import { iso, json, literal, now, type Row, sha256, type StoreContext, str } from "./sql.js"

/** A stored proposal. */
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

/** The proposal part of the store. */
export interface ProposalStore {
  /** Inserts a proposal; idempotent by id. The content hash is the sha256 of its canonical JSON. */
  readonly addProposal: (input: { readonly id: string; readonly runId: string; readonly repoId: string; readonly title: string; readonly data: unknown }) => Effect.Effect<Proposal, ServerError>
  readonly getProposal: (orgId: string | null, id: string) => Effect.Effect<Proposal, ServerError>
  readonly listProposals: (runId: string) => Effect.Effect<ReadonlyArray<Proposal>, ServerError>
}

/**
 * JSON with object keys sorted, so equal content gives equal hashes.
 */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v)

const STATUSES: ReadonlyArray<Proposal["status"]> = ["pending", "approved", "rejected", "changes-requested"]

/** The proposal store on a context. */
export const make = (ctx: StoreContext): ProposalStore => {
  const { sql, q, invalidating } = ctx
  const toProposal = (r: Row) =>
    Effect.map(decisionsOf(ctx, str(r, "id")), (decisions): Proposal => ({
      id: str(r, "id"),
      runId: str(r, "run_id"),
      repoId: str(r, "repo_id"),
      title: str(r, "title"),
      contentHash: str(r, "content_hash"),
      status: literal(r, "status", STATUSES, "pending"),
      data: json(r.data),
      createdAt: iso(r.created_at),
      decisions
    }))

  const getProposal = (orgId: string | null, id: string) =>
    q("reading a proposal", sql<Row>`SELECT p.* FROM proposals p JOIN repositories r ON r.id = p.repo_id
      WHERE p.id = ${id} ${orgId === null ? sql`` : sql`AND r.org_id = ${orgId}`}`).pipe(
      Effect.flatMap((rows) => {
        const r = rows[0]
        return r === undefined ? Effect.fail(notFound("proposal", id)) : toProposal(r)
      })
    )

  return {
    addProposal: (input) =>
      invalidating(Effect.gen(function* () {
        const at = yield* now
        const hash = sha256(canonicalJson(input.data))
        yield* q("storing a proposal", sql`INSERT INTO proposals (id, run_id, repo_id, title, content_hash, data, created_at)
          VALUES (${input.id}, ${input.runId}, ${input.repoId}, ${input.title}, ${hash}, ${JSON.stringify(input.data)}::jsonb, ${at})
          ON CONFLICT (id) DO NOTHING`)
        return yield* getProposal(null, input.id)
      })),

    getProposal,

    listProposals: (runId) =>
      q("listing proposals", sql<Row>`SELECT * FROM proposals WHERE run_id = ${runId} ORDER BY created_at, id`).pipe(
        Effect.flatMap((rows) => Effect.forEach(rows, toProposal))
      )
  }
}
