/**
 * Proposals: what a run packaged, with the content hash approvals bind to and the decisions made.
 *
 * @internal
 */
import { Package } from "@ratchet/core"
import { Effect } from "effect"
import { notFound, type ServerError } from "../../ServerError.js"
import { type Approval, decisionsOf } from "./decisions.js"
import { iso, json, literal, now, type Row, type StoreContext, str } from "./sql.js"

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
  /**
   * Inserts a proposal; idempotent by id. `data` is core's `Proposal` (plus fields of the server's
   * own); its content hash is core's (`Package.contentHashOf`), the one approvals bind to.
   */
  readonly addProposal: (input: { readonly id: string; readonly runId: string; readonly repoId: string; readonly title: string; readonly data: unknown }) => Effect.Effect<Proposal, ServerError>
  readonly getProposal: (orgId: string | null, id: string) => Effect.Effect<Proposal, ServerError>
  readonly listProposals: (runId: string) => Effect.Effect<ReadonlyArray<Proposal>, ServerError>
}

/** The content hash of stored proposal data: core's (`Package.contentHashOfData`). */
export const contentHashOf = (data: unknown): Effect.Effect<string, ServerError> => Effect.sync(() => Package.contentHashOfData(data))

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
        // the record's title is the proposal's, unless the data carries its own
        const hash = yield* contentHashOf(typeof input.data === "object" && input.data !== null ? { title: input.title, ...input.data } : input.data)
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
