/**
 * The attempts of a run: one record per validated candidate, accepted or rejected, with its reason.
 *
 * @internal
 */
import { Effect } from "effect"
import * as Scrub from "../scrub.js"
import type { ServerError } from "../../ServerError.js"
import type { StoreContext } from "./sql.js"

/** The attempt part of the store. */
export interface AttemptStore {
  /** Records an attempt; idempotent by id. */
  readonly addAttempt: (runId: string, id: string, data: unknown) => Effect.Effect<void, ServerError>
}

/** The attempt store on a context. */
export const make = ({ sql, q }: StoreContext): AttemptStore => ({
  addAttempt: (runId, id, data) =>
    q("recording an attempt", sql`INSERT INTO attempts (id, run_id, data) VALUES (${id}, ${runId}, ${JSON.stringify(Scrub.json(data))}::jsonb)
      ON CONFLICT (id) DO NOTHING`).pipe(Effect.asVoid)
})
