import { expect, layer } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import * as Database from "../src/Database.js"
import { engineLayer, Runs, RunQueueLimits, workflowLayer } from "../src/Runs.js"
import type { ServerError } from "../src/ServerError.js"
import { Pipeline } from "@ratchet/core"
import { type Run, Store } from "../src/Store.js"

const waitFor = (runId: string, done: (run: Run) => boolean) =>
  Effect.gen(function* () {
    const store = yield* Store
    for (let i = 0; i < 400; i++) {
      const run = yield* store.getRun(null, runId)
      if (done(run)) return run
      yield* Effect.sleep(Duration.millis(25))
    }
    return yield* Effect.die(new Error(`run ${runId} did not reach the expected state`))
  })

const finished = (r: Run) => r.status === "succeeded" || r.status === "failed" || r.status === "cancelled"

const base = Layer.mergeAll(Store.layer, engineLayer).pipe(Layer.provideMerge(Database.layer({ dataDir: "memory://" })))
const app = Runs.layer.pipe(
  Layer.provideMerge(workflowLayer),
  Layer.provide(Pipeline.Stages.layerTest({ delay: Duration.millis(5) })),
  Layer.provideMerge(base)
)

layer(app, { timeout: 60_000, excludeTestServices: true })("Runs (in process, PGlite)", (it) => {
  it.effect("a failing stage fails the run with its reason; earlier stages ran once", () =>
    Effect.gen(function* () {
      const store = yield* Store
      const runs = yield* Runs
      const { orgId } = yield* store.bootstrap(undefined)
      const repo = yield* store.createRepo(orgId, { name: "r1-fail-validate", url: null, path: "/tmp/r1-fail-validate", defaultBranch: "main" })
      const run = yield* runs.start(orgId, repo.id, "api")
      expect(run.status).toBe("queued")
      const done = yield* waitFor(run.id, finished)
      expect(done.status).toBe("failed")
      expect(done.error).toContain("fake validate failure")
      expect(done.stages.map((s) => [s.stage, s.status, s.executions])).toEqual([
        ["detect", "succeeded", 1],
        ["baseline", "succeeded", 1],
        ["scan", "succeeded", 1],
        ["patchgen", "succeeded", 1],
        ["validate", "failed", 1]
      ])
      expect(done.counts.candidates).toBe(3)
      const events = yield* store.eventsAfter(run.id, 0)
      expect(events[0].type).toBe("run.queued")
      expect(events.at(-1)?.type).toBe("run.failed")
    }))

  it.effect("repeated setup failures auto-pause the repository, with the reason shown", () =>
    Effect.gen(function* () {
      const store = yield* Store
      const runs = yield* Runs
      const { orgId } = yield* store.bootstrap(undefined)
      const repo = yield* store.createRepo(orgId, { name: "broken-fail-detect", url: null, path: "/tmp/broken-fail-detect", defaultBranch: "main" })
      yield* store.updateSettings(orgId, repo.id, { maxSetupFailures: 2 })
      for (let i = 0; i < 2; i++) {
        const run = yield* runs.start(orgId, repo.id, "api")
        const done = yield* waitFor(run.id, finished)
        expect(done.status).toBe("failed")
        expect(done.stages.map((s) => s.stage)).toEqual(["detect"])
      }
      const after = yield* store.getRepo(orgId, repo.id)
      expect(after.settings.paused).toBe(true)
      expect(after.settings.pausedReason).toContain("fake detect failure")
      const refused = yield* Effect.flip(runs.start(orgId, repo.id, "api"))
      expect(refused.message).toContain("auto-paused")
    }))

  it.effect("a paused repository refuses new runs with the reason", () =>
    Effect.gen(function* () {
      const store = yield* Store
      const runs = yield* Runs
      const { orgId } = yield* store.bootstrap(undefined)
      const repo = yield* store.createRepo(orgId, { name: "r2", url: null, path: "/tmp/r2", defaultBranch: "main" })
      yield* store.updateSettings(orgId, repo.id, { paused: true })
      const err = yield* Effect.flip(runs.start(orgId, repo.id, "api"))
      expect(err.reason._tag).toBe("BudgetExceeded")
      expect(err.message).toContain("paused by a user")
    }))

  it.effect("a run succeeds, stores proposals with diffs as artifacts, honours proposalsPerRun", () =>
    Effect.gen(function* () {
      const store = yield* Store
      const runs = yield* Runs
      const { orgId } = yield* store.bootstrap(undefined)
      const repo = yield* store.createRepo(orgId, { name: "ok", url: null, path: "/tmp/ok", defaultBranch: "main" })
      yield* store.updateSettings(orgId, repo.id, { proposalsPerRun: 2, candidatesPerRun: 2 })
      const run = yield* runs.start(orgId, repo.id, "api")
      const done = yield* waitFor(run.id, finished)
      expect(done.status).toBe("succeeded")
      expect(done.stages.every((s) => s.status === "succeeded" && s.executions === 1)).toBe(true)
      expect(done.counts).toEqual({ candidates: 2, proposals: 2 })
      const proposals = yield* store.listProposals(run.id)
      expect(proposals).toHaveLength(2)
      // Re-submitting a finished run is a no-op (same execution id).
      expect(yield* runs.recover).toBe(0)
    }))

  it.effect("cancel before start ends the run as cancelled", () =>
    Effect.gen(function* () {
      const store = yield* Store
      const runs = yield* Runs
      const { orgId } = yield* store.bootstrap(undefined)
      const repo = yield* store.createRepo(orgId, { name: "cx", url: null, path: "/tmp/cx", defaultBranch: "main" })
      const run = yield* runs.start(orgId, repo.id, "api")
      yield* runs.cancel(orgId, run.id)
      const done = yield* waitFor(run.id, finished)
      expect(done.status).toBe("cancelled")
    }))
})

// The durable run queue (#12 item 10): bounded concurrency, per repository and in all, and a full queue is Busy.
const limited = Runs.layer.pipe(
  Layer.provideMerge(workflowLayer),
  Layer.provide(Pipeline.Stages.layerTest({ delay: Duration.millis(30) })),
  Layer.provideMerge(Layer.mergeAll(Store.layer, engineLayer).pipe(Layer.provideMerge(Database.layer({ dataDir: "memory://" })))),
  Layer.provide(Layer.succeed(RunQueueLimits, { global: 2, perRepo: 1, maxQueued: 100, maxQueuedPerRepo: 4 }))
)

layer(limited, { timeout: 120_000, excludeTestServices: true })("Runs queue (in process, PGlite)", (it) => {
  it.effect("runs wait in the queue: at most 1 per repository and 2 in all execute at once; a full queue answers Busy", () =>
    Effect.gen(function* () {
      const store = yield* Store
      const runs = yield* Runs
      const { orgId } = yield* store.bootstrap(undefined)
      const repos = yield* Effect.forEach(["qa", "qb", "qc"], (name) => store.createRepo(orgId, { name, url: null, path: `/tmp/${name}`, defaultBranch: "main" }))
      const ids: Array<string> = []
      for (const repo of repos.slice(1)) for (let i = 0; i < 3; i++) ids.push((yield* runs.start(orgId, repo.id, "api")).id)
      // qa's queue fills up: at most 4 waiting (plus the 1 executing), then starting is refused and says when to retry
      let full: ServerError | null = null
      for (let i = 0; i < 10 && full === null; i++) {
        const started = yield* Effect.result(runs.start(orgId, repos[0]!.id, "api"))
        if (started._tag === "Success") ids.push(started.success.id)
        else full = started.failure
      }
      expect(ids.filter((id) => id !== undefined).length - 6).toBeLessThanOrEqual(5)
      if (full === null) return yield* Effect.die(new Error("the queue never filled"))
      expect(full.reason._tag).toBe("Busy")
      expect(full.status).toBe(429)
      expect(full.reason._tag === "Busy" && full.reason.retryAfterSeconds).toBeGreaterThan(0)
      let maxTotal = 0
      let maxPerRepo = 0
      for (;;) {
        const all = yield* Effect.forEach(ids, (id) => store.getRun(null, id))
        const running = all.filter((r) => r.status === "running")
        maxTotal = Math.max(maxTotal, running.length)
        for (const repo of repos) maxPerRepo = Math.max(maxPerRepo, running.filter((r) => r.repoId === repo.id).length)
        if (all.every(finished)) {
          expect(all.every((r) => r.status === "succeeded")).toBe(true)
          break
        }
        yield* Effect.sleep(Duration.millis(10))
      }
      expect(maxPerRepo).toBe(1)
      expect(maxTotal).toBeLessThanOrEqual(2)
      expect(maxTotal).toBe(2)
    }))
})
