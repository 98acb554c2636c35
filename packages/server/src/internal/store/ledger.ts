/**
 * The proof ledger: every write the WriteGate let through or refused (who asked, which proposal,
 * the content hash it verified, the outcome and why, when). Append-only; rows are never updated.
 *
 * @internal
 */
import type { WriteGate } from "@ratchet/connectors"
import { Effect } from "effect"
import type { ServerError } from "../../ServerError.js"
import { bool, iso, literal, num, type Row, type StoreContext, str, strOrNull } from "./sql.js"

/**
 * One write attempt as the gate recorded it (the connectors' `AuditEntry`); `seq` is the
 * position in the server's ledger (increasing across restarts), not the gate's per-process count.
 */
export type LedgerEntry = WriteGate.AuditEntry

/** What the gate hands the ledger (its own `seq` is per process, so the ledger numbers entries itself). */
export type LedgerInput = Omit<LedgerEntry, "seq">

/** The ledger part of the store. */
export interface LedgerStore {
  /** Appends one entry. */
  readonly appendLedger: (entry: LedgerInput) => Effect.Effect<void, ServerError>
  /** The entries of a proposal, oldest first (callers check the proposal belongs to the caller's organisation). */
  readonly ledgerOf: (proposalId: string) => Effect.Effect<ReadonlyArray<LedgerEntry>, ServerError>
}

const OUTCOMES: ReadonlyArray<LedgerEntry["outcome"]> = ["allowed", "refused", "failed"]

const toEntry = (r: Row): LedgerEntry => ({
  seq: num(r, "seq"),
  at: iso(r.at),
  proposalId: str(r, "proposal_id"),
  connector: str(r, "connector"),
  repo: str(r, "repo"),
  actor: strOrNull(r, "actor"),
  contentHash: strOrNull(r, "content_hash"),
  approvedBy: strOrNull(r, "approved_by"),
  outcome: literal(r, "outcome", OUTCOMES, "failed"),
  reason: str(r, "reason"),
  branch: strOrNull(r, "branch"),
  created: r.created === null || r.created === undefined ? null : bool(r, "created"),
  commit: strOrNull(r, "commit_sha")
})

/** The ledger store on a context. */
export const make = ({ sql, q }: StoreContext): LedgerStore => ({
  appendLedger: (e) =>
    q("recording a write in the ledger", sql`INSERT INTO write_ledger
      (at, proposal_id, connector, repo, actor, content_hash, approved_by, outcome, reason, branch, created, commit_sha)
      VALUES (${new Date(e.at)}, ${e.proposalId}, ${e.connector}, ${e.repo}, ${e.actor}, ${e.contentHash}, ${e.approvedBy}, ${e.outcome}, ${e.reason},
        ${e.branch}, ${e.created}, ${e.commit})`).pipe(Effect.asVoid),
  ledgerOf: (proposalId) =>
    q("reading the ledger", sql<Row>`SELECT * FROM write_ledger WHERE proposal_id = ${proposalId} ORDER BY seq`).pipe(Effect.map((rows) => rows.map(toEntry)))
})
