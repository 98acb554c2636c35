/**
 * Reviewers' decisions on proposals (approve, reject, request changes), each bound to the content
 * hash the reviewer saw.
 *
 * @internal
 */
import { Effect } from "effect"
import { conflict, type ServerError } from "../../ServerError.js"
import { iso, literal, newId, now, type Row, type StoreContext, str, strOrNull } from "./sql.js"

/** A reviewer's decision on a proposal, bound to its content hash. */
export interface Approval {
  readonly id: string
  readonly proposalId: string
  readonly decision: "approved" | "rejected" | "changes-requested"
  readonly actor: string
  readonly note: string | null
  readonly contentHash: string
  readonly createdAt: string
}

/** The decision part of the store. */
export interface DecisionStore {
  /** Records a decision; fails with Conflict when `contentHash` is not the proposal's current hash. */
  readonly decide: (orgId: string, proposalId: string, input: { readonly decision: Approval["decision"]; readonly actor: string; readonly note: string | null; readonly contentHash: string | null }) => Effect.Effect<Approval, ServerError>
}

const DECISIONS: ReadonlyArray<Approval["decision"]> = ["approved", "rejected", "changes-requested"]

const toApproval = (r: Row): Approval => ({
  id: str(r, "id"),
  proposalId: str(r, "proposal_id"),
  decision: literal(r, "decision", DECISIONS, "changes-requested"),
  actor: str(r, "actor"),
  note: strOrNull(r, "note"),
  contentHash: str(r, "content_hash"),
  createdAt: iso(r.created_at)
})

/** The decisions recorded on a proposal, oldest first. */
export const decisionsOf = ({ sql, q }: StoreContext, proposalId: string): Effect.Effect<ReadonlyArray<Approval>, ServerError> =>
  q("reading approvals", sql<Row>`SELECT * FROM approvals WHERE proposal_id = ${proposalId} ORDER BY created_at, id`).pipe(
    Effect.map((rows) => rows.map(toApproval))
  )

/** The decision store on a context; `proposal` reads the proposal a decision is about. */
export const make = (
  { sql, q, invalidating }: StoreContext,
  proposal: (orgId: string, id: string) => Effect.Effect<{ readonly contentHash: string; readonly status: string }, ServerError>
): DecisionStore => ({
  decide: (orgId, proposalId, input) =>
    invalidating(Effect.gen(function* () {
      const current = yield* proposal(orgId, proposalId)
      if (input.contentHash !== null && input.contentHash !== current.contentHash) {
        return yield* Effect.fail(conflict(`Proposal ${proposalId} changed: you reviewed content ${input.contentHash} but it is now ${current.contentHash}. Reload it and review again.`))
      }
      if (current.status === "approved" || current.status === "rejected") {
        return yield* Effect.fail(conflict(`Proposal ${proposalId} is already ${current.status}.`))
      }
      const at = yield* now
      const id = newId("apr")
      yield* q("recording a decision", sql.withTransaction(Effect.gen(function* () {
        yield* sql`INSERT INTO approvals (id, proposal_id, decision, actor, note, content_hash, created_at)
          VALUES (${id}, ${proposalId}, ${input.decision}, ${input.actor}, ${input.note}, ${current.contentHash}, ${at})`
        yield* sql`UPDATE proposals SET status = ${input.decision} WHERE id = ${proposalId}`
      })))
      return { id, proposalId, decision: input.decision, actor: input.actor, note: input.note, contentHash: current.contentHash, createdAt: at.toISOString() }
    }))
})
