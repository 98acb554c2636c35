import { expect, layer } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import * as Database from "../src/Database.js"
import { engineLayer, Runs, workflowLayer } from "../src/Runs.js"
import * as Scheduler from "../src/Scheduler.js"
import { Pipeline } from "@ratchet/core"
import { Store } from "../src/Store.js"

const app = Runs.layer.pipe(
  Layer.provideMerge(workflowLayer),
  Layer.provide(Pipeline.Stages.layerTest({ delay: Duration.millis(1) })),
  Layer.provideMerge(Layer.mergeAll(Store.layer, engineLayer)),
  Layer.provideMerge(Database.layer({ dataDir: "memory://" }))
)

// 2026-03-10T01:00:00Z is 02:00 in Europe/Paris (CET, UTC+1).
const parisTwoAm = Date.UTC(2026, 2, 10, 1, 0, 0)

// The engine runs on the live clock; each test drives the scheduler with its own TestClock.
layer(app, { timeout: 60_000, excludeTestServices: true })("Scheduler", (it) => {
  it.effect("starts a nightly run at the repository's local time, once, even when ticks repeat", () =>
    Effect.gen(function* () {
      const store = yield* Store
      const { orgId } = yield* store.bootstrap(undefined)
      const paris = yield* store.createRepo(orgId, { name: "paris", url: null, path: "/srv/paris", defaultBranch: "main" })
      yield* store.updateSettings(orgId, paris.id, { schedule: "0 2 * * *", timezone: "Europe/Paris" })
      const utc = yield* store.createRepo(orgId, { name: "utc", url: null, path: "/srv/utc", defaultBranch: "main" })
      yield* store.updateSettings(orgId, utc.id, { schedule: "0 2 * * *", timezone: "UTC" })
      yield* store.createRepo(orgId, { name: "unscheduled", url: null, path: "/srv/none", defaultBranch: "main" })

      yield* TestClock.setTime(parisTwoAm - 60_000)
      expect(yield* Scheduler.tick).toEqual([])

      yield* TestClock.setTime(parisTwoAm + 5_000)
      const due = yield* Scheduler.tick
      expect(due).toEqual([Scheduler.scheduledRunId(paris.id, parisTwoAm)])
      // A second tick in the same minute, and the next minute's tick (look-back), start nothing new.
      yield* Scheduler.tick
      yield* TestClock.adjust(Duration.minutes(1))
      yield* Scheduler.tick
      const runs = yield* store.listRuns(paris.id, 10)
      expect(runs).toHaveLength(1)
      expect(runs[0].trigger).toBe("schedule")
      expect(yield* store.listRuns(utc.id, 10)).toHaveLength(0)

      // One hour later it is 02:00 UTC: the UTC repository's turn.
      yield* TestClock.setTime(parisTwoAm + 3_600_000)
      expect(yield* Scheduler.tick).toEqual([Scheduler.scheduledRunId(utc.id, parisTwoAm + 3_600_000)])
    }).pipe(Effect.provide(TestClock.layer())))

  it.effect("skips paused repositories and repositories whose compute budget is used up", () =>
    Effect.gen(function* () {
      const store = yield* Store
      const { orgId } = yield* store.bootstrap(undefined)
      const paused = yield* store.createRepo(orgId, { name: "paused", url: null, path: "/srv/p", defaultBranch: "main" })
      yield* store.updateSettings(orgId, paused.id, { schedule: "30 3 * * *", timezone: "UTC", paused: true })
      const broke = yield* store.createRepo(orgId, { name: "broke", url: null, path: "/srv/b", defaultBranch: "main" })
      yield* store.updateSettings(orgId, broke.id, { schedule: "30 3 * * *", timezone: "UTC", computeMinutesPerDay: 1 })
      const at = Date.UTC(2026, 2, 11, 3, 30, 0)
      yield* store.addUsage(broke.id, "2026-03-11", { computeMs: 61_000, runs: 0 })
      yield* TestClock.setTime(at)
      expect(yield* Scheduler.tick).toEqual([])
      expect(yield* store.listRuns(paused.id, 10)).toHaveLength(0)
      expect(yield* store.listRuns(broke.id, 10)).toHaveLength(0)
      // The next day the budget is fresh again.
      yield* TestClock.setTime(at + 86_400_000)
      expect(yield* Scheduler.tick).toEqual([Scheduler.scheduledRunId(broke.id, at + 86_400_000)])
    }).pipe(Effect.provide(TestClock.layer())))
})
