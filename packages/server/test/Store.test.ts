import { afterAll, expect, layer } from "@effect/vitest"
import { Package } from "@ratchet/core"
import { Clock, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Database from "../src/Database.js"
import { Store } from "../src/Store.js"
import { RUN_VIEW_CACHE_MS } from "../src/internal/store/runs.js"
import { startPostgres } from "./helpers/postgres.js"

/** A proposal as the package stage stores it (core's content hash covers title, diff, files, tests, benchmark, policy). */
const sample = (title: string) => ({
  title,
  diff: "--- a/x.js\n+++ b/x.js\n@@ -1 +1 @@\n-a\n+b\n",
  files: ["x.js"],
  tests: { passed: 1, failed: 0, skipped: 0 },
  benchmark: null,
  policy: [],
  risk: "low",
  confidence: 0.5
})

const suite = (name: string, db: () => Database.DatabaseOptions | null) => {
  const options = db()
  if (options === null) return
  layer(Store.layer.pipe(Layer.provideMerge(Database.layer(options))), { timeout: 60_000 })(name, (it) => {
    it.effect("bootstrap generates a token once, stores it hashed, and authenticates it", () =>
      Effect.gen(function* () {
        const store = yield* Store
        const first = yield* store.bootstrap(undefined)
        expect(first.generated).toMatch(/^rat_/)
        const second = yield* store.bootstrap(undefined)
        expect(second.generated).toBeNull()
        const sql = yield* SqlClient
        const rows = yield* sql<{ token_hash: string }>`SELECT token_hash FROM api_tokens`
        expect(rows.every((r) => r.token_hash !== first.generated && r.token_hash.length === 64)).toBe(true)
        expect((yield* store.authenticate(first.generated!))?.orgId).toBe("org_default")
        expect(yield* store.authenticate("rat_wrong")).toBeNull()
        yield* store.bootstrap("env-token")
        expect((yield* store.authenticate("env-token"))?.tokenName).toBe("RATCHET_TOKEN")
      }))

    it.effect("repositories, settings and 404s", () =>
      Effect.gen(function* () {
        const store = yield* Store
        const { orgId } = yield* store.bootstrap(undefined)
        const repo = yield* store.createRepo(orgId, { name: "demo", url: null, path: "/tmp/demo", defaultBranch: "main" })
        expect(repo.settings.budgets.candidatesPerRun).toBe(20)
        const dup = yield* Effect.flip(store.createRepo(orgId, { name: "demo", url: null, path: "/x", defaultBranch: "main" }))
        expect(dup.reason._tag).toBe("Conflict")
        const updated = yield* store.updateSettings(orgId, repo.id, { schedule: "0 2 * * *", timezone: "Europe/Paris", candidatesPerRun: 3 })
        expect(updated.settings).toMatchObject({ schedule: "0 2 * * *", timezone: "Europe/Paris", budgets: { candidatesPerRun: 3, proposalsPerRun: 5 } })
        expect((yield* store.listRepos(orgId)).map((r) => r.name)).toContain("demo")
        const missing = yield* Effect.flip(store.getRepo(orgId, "repo_nope"))
        expect(missing.reason._tag).toBe("NotFound")
        expect(missing.status).toBe(404)
        const otherOrg = yield* Effect.flip(store.getRepo("org_other", repo.id))
        expect(otherOrg.reason._tag).toBe("NotFound")
      }))

    it.effect("runs, stage executions, events in order, cancel", () =>
      Effect.gen(function* () {
        const store = yield* Store
        const { orgId } = yield* store.bootstrap(undefined)
        const repo = yield* store.createRepo(orgId, { name: "runs", url: "https://example.com/x.git", path: null, defaultBranch: "main" })
        const run = yield* store.createRun(repo.id, "api")
        expect(run.status).toBe("queued")
        expect(yield* store.stageStarted(run.id, "detect", "r1")).toBe(1)
        yield* store.stageFinished(run.id, "detect", { ok: true, output: { a: 1 } })
        expect(yield* store.stageStarted(run.id, "baseline", "r1")).toBe(1)
        expect(yield* store.stageStarted(run.id, "baseline", "r2")).toBe(2)
        yield* store.setRunStatus(run.id, "running", { runner: "r2" })
        const got = yield* store.getRun(orgId, run.id)
        expect(got.status).toBe("running")
        expect(got.startedAt).not.toBeNull()
        expect(got.stages.map((s) => [s.stage, s.status, s.executions])).toEqual([["detect", "succeeded", 1], ["baseline", "running", 2]])
        const e1 = yield* store.appendEvent(run.id, "stage.started", { stage: "detect" })
        const e2 = yield* store.appendEvent(run.id, "stage.completed", { stage: "detect" })
        expect(e2.seq).toBeGreaterThan(e1.seq)
        expect((yield* store.eventsAfter(run.id, e1.seq)).map((e) => e.type)).toEqual(["stage.completed"])
        expect((yield* store.requestCancel(orgId, run.id)).cancelRequested).toBe(true)
        yield* store.setRunStatus(run.id, "cancelled")
        const again = yield* Effect.flip(store.requestCancel(orgId, run.id))
        expect(again.reason._tag).toBe("Conflict")
        expect((yield* store.unfinishedRuns)).not.toContain(run.id)
      }))

    it.effect("the cached run view never shows what this process has overwritten", () =>
      Effect.gen(function* () {
        const store = yield* Store
        const { orgId } = yield* store.bootstrap(undefined)
        const repo = yield* store.createRepo(orgId, { name: "views", url: null, path: "/v", defaultBranch: "main" })
        const run = yield* store.createRun(repo.id, "api")
        const first = yield* store.getRunView(orgId, run.id)
        expect(first.status).toBe("queued")
        expect(yield* store.getRunView(orgId, run.id)).toBe(first) // served from the cache while nothing changed
        // the API's read path peeks at the same cache without an effect: only a fresh view of the same organisation
        const t = yield* Clock.currentTimeMillis
        expect(store.peekRunView(orgId, run.id, t)).toBe(first)
        expect(store.peekRunView("org_other", run.id, t)).toBeUndefined()
        expect(store.peekRunView(orgId, run.id, t + RUN_VIEW_CACHE_MS)).toBeUndefined()
        expect(store.peekRunView(orgId, run.id, t - 1)).toBeUndefined()
        yield* store.setRunStatus(run.id, "running", { runner: "r1" })
        expect(store.peekRunView(orgId, run.id, t)).toBeUndefined()
        expect((yield* store.getRunView(orgId, run.id)).status).toBe("running")
        yield* store.stageStarted(run.id, "detect", "r1")
        expect((yield* store.getRunView(orgId, run.id)).stages.map((s) => s.status)).toEqual(["running"])
        yield* store.stageFinished(run.id, "detect", { ok: true, output: {} })
        expect((yield* store.getRunView(orgId, run.id)).stages.map((s) => s.status)).toEqual(["succeeded"])
        yield* store.setRunCounts(run.id, { candidates: 4 })
        expect((yield* store.getRunView(orgId, run.id)).counts.candidates).toBe(4)
        const p = yield* store.addProposal({ id: `prop_view_${run.id}`, runId: run.id, repoId: repo.id, title: "t", data: sample("t") })
        expect((yield* store.getRunView(orgId, run.id)).proposals.map((x) => x.status)).toEqual(["pending"])
        yield* store.decide(orgId, p.id, { decision: "approved", by: { tokenId: "tok_ann", tokenName: "ann" }, note: null, contentHash: p.contentHash })
        expect((yield* store.getRunView(orgId, run.id)).proposals.map((x) => x.status)).toEqual(["approved"])
        yield* store.requestCancel(orgId, run.id)
        expect((yield* store.getRunView(orgId, run.id)).cancelRequested).toBe(true)
        // another organisation never sees it, cached or not
        const other = yield* Effect.flip(store.getRunView("org_other", run.id))
        expect(other.reason._tag).toBe("NotFound")
      }))

    it.effect("proposals: decisions are bound to the content hash", () =>
      Effect.gen(function* () {
        const store = yield* Store
        const { orgId } = yield* store.bootstrap(undefined)
        const repo = yield* store.createRepo(orgId, { name: "props", url: null, path: "/p", defaultBranch: "main" })
        const run = yield* store.createRun(repo.id, "api")
        const p = yield* store.addProposal({ id: "prop_1", runId: run.id, repoId: repo.id, title: "t", data: sample("t") })
        expect(p.contentHash).toHaveLength(64)
        // one hash: the store's is core's, whatever the key order of the stored JSON
        expect(p.contentHash).toBe(Package.contentHashOf(sample("t")))
        const reordered = Object.fromEntries(Object.entries(sample("t")).reverse())
        expect((yield* store.addProposal({ id: "prop_1_reordered", runId: run.id, repoId: repo.id, title: "t", data: reordered })).contentHash).toBe(p.contentHash)
        const stale = yield* Effect.flip(store.decide(orgId, p.id, { decision: "approved", by: { tokenId: "tok_ann", tokenName: "ann" }, note: null, contentHash: "0".repeat(64) }))
        expect(stale.reason._tag).toBe("Conflict")
        const ok = yield* store.decide(orgId, p.id, { decision: "approved", by: { tokenId: "tok_ann", tokenName: "ann" }, note: "lgtm", contentHash: p.contentHash })
        expect(ok).toMatchObject({ decision: "approved", actor: "ann", tokenId: "tok_ann", note: "lgtm", contentHash: p.contentHash })
        const after = yield* store.getProposal(orgId, p.id)
        expect(after.status).toBe("approved")
        expect(after.decisions).toHaveLength(1)
        const twice = yield* Effect.flip(store.decide(orgId, p.id, { decision: "rejected", by: { tokenId: "tok_bob", tokenName: "bob" }, note: null, contentHash: null }))
        expect(twice.reason._tag).toBe("Conflict")
      }))

    it.effect("concurrent decisions on one proposal: exactly one is recorded, the others are conflicts (#12 item 1)", () =>
      Effect.gen(function* () {
        const store = yield* Store
        const { orgId } = yield* store.bootstrap(undefined)
        const repo = yield* store.createRepo(orgId, { name: "race", url: null, path: "/race", defaultBranch: "main" })
        const run = yield* store.createRun(repo.id, "api")
        for (const round of [1, 2, 3]) {
          const p = yield* store.addProposal({ id: `prop_race_${round}`, runId: run.id, repoId: repo.id, title: "t", data: { ...sample(`t${round}`), round } })
          const decisions = ["approved", "rejected", "changes-requested", "rejected", "approved", "changes-requested"] as const
          const results = yield* Effect.all(
            decisions.map((decision, n) =>
              Effect.result(store.decide(orgId, p.id, { decision, by: { tokenId: `tok_${n}`, tokenName: `reviewer-${n}` }, note: null, contentHash: p.contentHash }))),
            { concurrency: "unbounded" }
          )
          const won = results.filter((r) => r._tag === "Success")
          expect(won).toHaveLength(1)
          for (const r of results) if (r._tag === "Failure") expect(r.failure.reason._tag).toBe("Conflict")
          const after = yield* store.getProposal(orgId, p.id)
          expect(after.decisions).toHaveLength(1)
          expect(after.status).toBe(won[0]!._tag === "Success" ? won[0]!.success.decision : "none")
        }
      }))

    it.effect("artifacts are content-addressed and integrity-checked on read", () =>
      Effect.gen(function* () {
        const store = yield* Store
        const { orgId } = yield* store.bootstrap(undefined)
        const repo = yield* store.createRepo(orgId, { name: "arts", url: null, path: "/a", defaultBranch: "main" })
        const run = yield* store.createRun(repo.id, "api")
        const meta = yield* store.putArtifact({ runId: run.id, proposalId: null, name: "diff.patch", mediaType: "text/x-diff", content: new TextEncoder().encode("--- a\n+++ b\n") })
        const got = yield* store.getArtifact(orgId, meta.id)
        expect(new TextDecoder().decode(got.content)).toBe("--- a\n+++ b\n")
        const sql = yield* SqlClient
        yield* sql`UPDATE artifacts SET content = ${new TextEncoder().encode("tampered")} WHERE id = ${meta.id}`
        const bad = yield* Effect.flip(store.getArtifact(orgId, meta.id))
        expect(bad.reason._tag).toBe("IntegrityFailure")
      }))

    it.effect("budget usage accumulates per day; setup failures auto-pause with a reason", () =>
      Effect.gen(function* () {
        const store = yield* Store
        const { orgId } = yield* store.bootstrap(undefined)
        const repo = yield* store.createRepo(orgId, { name: "budget", url: null, path: "/b", defaultBranch: "main" })
        yield* store.addUsage(repo.id, "2026-01-01", { computeMs: 1500, runs: 1 })
        yield* store.addUsage(repo.id, "2026-01-01", { computeMs: 500, runs: 1 })
        expect(yield* store.usage(repo.id, "2026-01-01")).toEqual({ day: "2026-01-01", computeMs: 2000, runs: 2 })
        expect((yield* store.usage(repo.id, "2026-01-02")).computeMs).toBe(0)
        yield* store.updateSettings(orgId, repo.id, { maxSetupFailures: 2 })
        expect((yield* store.recordSetup(repo.id, false, "install failed")).paused).toBe(false)
        const paused = yield* store.recordSetup(repo.id, false, "install failed")
        expect(paused.paused).toBe(true)
        expect(paused.pausedReason).toContain("install failed")
        const resumed = yield* store.updateSettings(orgId, repo.id, { paused: false })
        expect(resumed.settings).toMatchObject({ paused: false, pausedReason: null, consecutiveSetupFailures: 0 })
      }))
  })
}

suite("Store on PGlite", () => ({ dataDir: "memory://" }))

const pg = await startPostgres()
afterAll(() => pg?.stop())
suite("Store on PostgreSQL", () => (pg === null ? null : { url: pg.url }))
