/**
 * A run's event log: what the SSE stream replays; `seq` is the event id.
 *
 * @internal
 */
import { Effect } from "effect"
import * as Scrub from "../scrub.js"
import type { ServerError } from "../../ServerError.js"
import { iso, json, now, num, type Row, type StoreContext, str } from "./sql.js"

/** One entry of a run's event log; `seq` is the SSE event id. */
export interface RunEvent {
  readonly seq: number
  readonly runId: string
  readonly type: string
  readonly data: unknown
  readonly createdAt: string
}

/** The event part of the store. */
export interface EventStore {
  readonly appendEvent: (runId: string, type: string, data: unknown) => Effect.Effect<RunEvent, ServerError>
  readonly eventsAfter: (runId: string, afterSeq: number, limit?: number) => Effect.Effect<ReadonlyArray<RunEvent>, ServerError>
}

/** The event store on a context. */
export const make = ({ sql, q }: StoreContext): EventStore => ({
  appendEvent: (runId, type, raw) =>
    Effect.gen(function* () {
      // events carry stage errors with the repository's own output: secrets are scrubbed first
      const data = Scrub.json(raw)
      const at = yield* now
      const rows = yield* q("appending an event", sql<Row>`INSERT INTO run_events (run_id, type, data, created_at)
        VALUES (${runId}, ${type}, ${JSON.stringify(data)}::jsonb, ${at}) RETURNING seq`)
      const r = rows[0]
      return { seq: r === undefined ? 0 : num(r, "seq"), runId, type, data, createdAt: at.toISOString() }
    }),

  eventsAfter: (runId, afterSeq, limit = 500) =>
    q("reading events", sql<Row>`SELECT * FROM run_events WHERE run_id = ${runId} AND seq > ${afterSeq} ORDER BY seq LIMIT ${limit}`).pipe(
      Effect.map((rows) =>
        rows.map((r): RunEvent => ({ seq: num(r, "seq"), runId: str(r, "run_id"), type: str(r, "type"), data: json(r.data), createdAt: iso(r.created_at) }))
      )
    )
})
