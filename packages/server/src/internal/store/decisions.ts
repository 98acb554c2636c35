/**
 * Reviewers' decisions on proposals (approve, reject, request changes), each bound to the content
 * hash the reviewer saw.
 *
 * @internal
 */
import { Effect } from "effect"
import { conflict, notFound, type ServerError } from "../../ServerError.js"
import { iso, literal, newId, now, num, type Row, type StoreContext, str, strOrNull } from "./sql.js"

/** A reviewer's decision on a proposal, bound to its content hash and to the token that made it. */
export interface Approval {
  readonly id: string
  readonly proposalId: string
  readonly decision: "approved" | "rejected" | "changes-requested"
  /** The name of the API token that made the decision (never a client-supplied string). */
  readonly actor: string
  /** The id of that token; `null` on decisions recorded before tokens were bound. */
  readonly tokenId: string | null
  readonly note: string | null
  readonly contentHash: string
  readonly createdAt: string
}

/** Who decides: the principal behind the bearer token. */
export interface Decider {
  readonly tokenId: string
  readonly tokenName: string
}

/** The decision part of the store. */
export interface DecisionStore {
  /**
   * Records the proposal's one decision, atomically: a compare-and-set on its decision version,
   * content hash and `pending` status, so of concurrent decisions (in this process or another
   * sharing the database) exactly one is recorded and the others fail with Conflict. Also Conflict
   * when `contentHash` is not the proposal's current hash, or the proposal is already decided.
   */
  readonly decide: (orgId: string, proposalId: string, input: { readonly decision: Approval["decision"]; readonly by: Decider; readonly note: string | null; readonly contentHash: string | null }) => Effect.Effect<Approval, ServerError>
}

const DECISIONS: ReadonlyArray<Approval["decision"]> = ["approved", "rejected", "changes-requested"]

const toApproval = (r: Row): Approval => ({
  id: str(r, "id"),
  proposalId: str(r, "proposal_id"),
  decision: literal(r, "decision", DECISIONS, "changes-requested"),
  actor: str(r, "actor"),
  tokenId: strOrNull(r, "token_id"),
  note: strOrNull(r, "note"),
  contentHash: str(r, "content_hash"),
  createdAt: iso(r.created_at)
})

/** The decisions recorded on a proposal, oldest first (in the order they were recorded). */
export const decisionsOf = ({ sql, q }: StoreContext, proposalId: string): Effect.Effect<ReadonlyArray<Approval>, ServerError> =>
  q("reading approvals", sql<Row>`SELECT * FROM approvals WHERE proposal_id = ${proposalId} ORDER BY version NULLS FIRST, created_at, id`).pipe(
    Effect.map((rows) => rows.map(toApproval))
  )

/** A unique-constraint violation (PostgreSQL SQLSTATE 23505), wherever the driver puts it. */
const isUniqueViolation = (e: unknown): boolean => {
  for (let cause: unknown = e, depth = 0; cause !== null && typeof cause === "object" && depth < 5; depth++) {
    if ((cause as { code?: unknown }).code === "23505") return true
    cause = (cause as { cause?: unknown }).cause
  }
  return false
}

class LostRace {
  readonly _tag = "LostRace"
}

/** The decision store on a context. */
export const make = ({ sql, q, invalidating }: StoreContext): DecisionStore => ({
  decide: (orgId, proposalId, input) =>
    invalidating(Effect.gen(function* () {
      const rows = yield* q("reading a proposal", sql<Row>`SELECT p.content_hash, p.status, p.decision_version FROM proposals p
        JOIN repositories r ON r.id = p.repo_id WHERE p.id = ${proposalId} AND r.org_id = ${orgId}`)
      const current = rows[0]
      if (current === undefined) return yield* Effect.fail(notFound("proposal", proposalId))
      const hash = str(current, "content_hash")
      const status = str(current, "status")
      const version = num(current, "decision_version")
      if (input.contentHash !== null && input.contentHash !== hash) {
        return yield* Effect.fail(conflict(`Proposal ${proposalId} changed: you reviewed content ${input.contentHash} but it is now ${hash}. Reload it and review again.`))
      }
      if (status !== "pending") {
        return yield* Effect.fail(conflict(`Proposal ${proposalId} is already decided (${status}); a proposal gets one decision. A new run proposes the changed content again.`))
      }
      const at = yield* now
      const id = newId("apr")
      const raced = conflict(`Proposal ${proposalId} was decided by someone else just now; reload it to see that decision.`)
      // Compare-and-set: the update matches only the state read above. A concurrent decision that
      // committed first moved the version, so this one updates nothing and is refused; the unique
      // (proposal, version) index refuses a second row even if two writers got this far.
      yield* sql.withTransaction(Effect.gen(function* () {
        const updated = yield* sql<Row>`UPDATE proposals SET status = ${input.decision}, decision_version = ${version + 1}
          WHERE id = ${proposalId} AND decision_version = ${version} AND content_hash = ${hash}
            AND status = 'pending'
          RETURNING id`
        if (updated.length === 0) return yield* Effect.fail(new LostRace())
        yield* sql`INSERT INTO approvals (id, proposal_id, decision, actor, token_id, note, content_hash, version, created_at)
          VALUES (${id}, ${proposalId}, ${input.decision}, ${input.by.tokenName}, ${input.by.tokenId}, ${input.note}, ${hash}, ${version + 1}, ${at})`
      })).pipe(
        Effect.catch((e) => (e instanceof LostRace || isUniqueViolation(e) ? Effect.fail(raced) : q("recording a decision", Effect.fail(e))))
      )
      return { id, proposalId, decision: input.decision, actor: input.by.tokenName, tokenId: input.by.tokenId, note: input.note, contentHash: hash, createdAt: at.toISOString() }
    }))
})
