/**
 * Nightly runs: every minute one cluster-wide cron job (`ClusterCron`, so
 * several server instances never run it twice) looks at each repository's
 * schedule (cron + time zone) and starts the runs that fell due. Scheduled
 * runs get deterministic ids (`run_sched_<repo>_<minute>`), so a tick that
 * repeats or overlaps starts nothing twice.
 *
 * @since 0.1.0
 */
import { Clock, Cron, Effect, type Layer, Result } from "effect"
import { ClusterCron } from "effect/cluster"
import type { Sharding } from "effect/cluster/Sharding"
import { Runs } from "./Runs.js"
import type { ServerError } from "./ServerError.js"
import { Store } from "./Store.js"

/** Minutes looked back on each tick, so a late tick still catches its slot. @since 0.1.0 */
export const lookbackMinutes = 5

const minuteStamp = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace(/[-:T]/g, "")

/**
 * The deterministic id of the run scheduled for `repoId` at the minute `ms`.
 *
 * @since 0.1.0
 */
export const scheduledRunId = (repoId: string, ms: number): string => `run_sched_${repoId.replace(/^repo_/, "")}_${minuteStamp(ms)}`

/**
 * One scheduler pass at the current `Clock` time: starts every due run and
 * returns their ids. Paused repositories and exhausted budgets are skipped
 * (the reason is in the repository's settings and budgets).
 *
 * @since 0.1.0
 */
export const tick: Effect.Effect<ReadonlyArray<string>, ServerError, Store | Runs> = Effect.gen(function* () {
  const store = yield* Store
  const runs = yield* Runs
  const now = yield* Clock.currentTimeMillis
  const thisMinute = now - (now % 60_000)
  const started: Array<string> = []
  for (const repo of yield* store.listAllRepos) {
    const { schedule, timezone, paused } = repo.settings
    if (schedule === null || paused) continue
    const cron = Cron.parse(schedule, timezone)
    if (Result.isFailure(cron)) continue
    for (let m = lookbackMinutes - 1; m >= 0; m--) {
      const slot = thisMinute - m * 60_000
      if (!Cron.match(cron.success, new Date(slot))) continue
      const id = scheduledRunId(repo.id, slot)
      const exit = yield* Effect.exit(runs.start(null, repo.id, "schedule", id))
      if (exit._tag === "Success" && exit.value.trigger === "schedule" && exit.value.id === id) started.push(id)
      if (exit._tag === "Failure") yield* Effect.logWarning(`scheduled run for ${repo.name} not started`, exit.cause)
    }
  }
  return started
})

/**
 * The cluster cron job that calls {@link tick} every minute.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<never, never, Sharding | Store | Runs> = ClusterCron.make({
  name: "ratchet/scheduler",
  cron: Cron.parseUnsafe("* * * * *"),
  execute: Effect.catch(Effect.asVoid(tick), (e) => Effect.logError("scheduler tick failed", e)),
  skipIfOlderThan: "5 minutes"
})
