/**
 * Budget usage per repository and day (in the repository's time zone): compute time and runs.
 *
 * @internal
 */
import { Effect } from "effect"
import type { ServerError } from "../../ServerError.js"
import { num, type Row, type StoreContext } from "./sql.js"

/** Budget usage of one repository on one day (in its timezone). */
export interface BudgetUsage {
  readonly day: string
  readonly computeMs: number
  readonly runs: number
}

/** The budget part of the store. */
export interface BudgetStore {
  readonly addUsage: (repoId: string, day: string, usage: { readonly computeMs: number; readonly runs: number }) => Effect.Effect<void, ServerError>
  readonly usage: (repoId: string, day: string) => Effect.Effect<BudgetUsage, ServerError>
}

/** The budget store on a context. */
export const make = ({ sql, q }: StoreContext): BudgetStore => ({
  addUsage: (repoId, day, usage) =>
    q("recording budget usage", sql`INSERT INTO budget_usage (repo_id, day, compute_ms, runs) VALUES (${repoId}, ${day}, ${Math.round(usage.computeMs)}, ${usage.runs})
      ON CONFLICT (repo_id, day) DO UPDATE SET compute_ms = budget_usage.compute_ms + EXCLUDED.compute_ms, runs = budget_usage.runs + EXCLUDED.runs`).pipe(Effect.asVoid),

  usage: (repoId, day) =>
    q("reading budget usage", sql<Row>`SELECT * FROM budget_usage WHERE repo_id = ${repoId} AND day = ${day}`).pipe(
      Effect.map((rows) => {
        const r = rows[0]
        return r === undefined ? { day, computeMs: 0, runs: 0 } : { day, computeMs: num(r, "compute_ms"), runs: num(r, "runs") }
      })
    )
})
