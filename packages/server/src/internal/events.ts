/**
 * A run's events as Server-Sent Events, shared by the API (`GET /api/runs/:id/events`, bearer
 * token) and the dashboard (`GET /dashboard/runs/:id/events`, session cookie): every event after
 * the `Last-Event-ID` (or `?lastEventId=`) the client has, then new ones as they are appended,
 * until the run has finished and every event was sent.
 *
 * @internal
 */
import { Effect, type Exit } from "effect"
import type { Context } from "hono"
import { streamSSE } from "hono/streaming"
import type { ServerError } from "../ServerError.js"
import { Store } from "../Store.js"

/** What the stream needs to read the store. */
export interface EventsRuntime {
  readonly runPromiseExit: <A>(effect: Effect.Effect<A, ServerError, Store>) => Promise<Exit.Exit<A, ServerError>>
}

/** Streams the events of `runId` (which the caller has checked the client may read). */
export const streamRunEvents = (c: Context, runtime: EventsRuntime, runId: string, pollMs: number): Response => {
  const raw = c.req.header("last-event-id") ?? c.req.query("lastEventId") ?? "0"
  let cursor = /^\d{1,18}$/.test(raw) ? Number(raw) : 0
  return streamSSE(c, async (stream) => {
    let idle = 0
    while (!stream.aborted) {
      // Status before events: the final event is written before the final status.
      const exit = await runtime.runPromiseExit(Store.use((s) =>
        Effect.map(Effect.zip(s.getRun(null, runId), s.eventsAfter(runId, cursor, 200)), ([run, events]) => [events, run] as const)))
      if (exit._tag === "Failure") {
        await stream.writeSSE({ event: "error", data: JSON.stringify({ message: "event store unavailable; reconnect with Last-Event-ID" }) })
        return
      }
      const [events, run] = exit.value
      for (const e of events) {
        await stream.writeSSE({ id: String(e.seq), event: e.type, data: JSON.stringify({ ...(e.data as object), runId: e.runId, at: e.createdAt }) })
        cursor = e.seq
      }
      const finished = run.status === "succeeded" || run.status === "failed" || run.status === "cancelled"
      if (finished && events.length < 200) return
      if (events.length === 0) {
        idle += pollMs
        if (idle >= 15_000) {
          await stream.write(": keep-alive\n\n")
          idle = 0
        }
        await stream.sleep(pollMs)
      }
    }
  })
}
