/**
 * The dashboard's store on PGlite and on a real PostgreSQL: sessions (hashed, expiring, ended by
 * sign-out and by deleting their token), the inbox filters and the published flag, the latest run
 * per repository, a run's stage outputs, a proposal's artifacts, and the policy limits in settings.
 */
import { afterAll, expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Database from "../src/Database.js"
import { DashboardStore } from "../src/internal/dashboard/store.js"
import { Store } from "../src/Store.js"
import { startPostgres } from "./helpers/postgres.js"

const suite = (name: string, db: () => Database.DatabaseOptions | null) => {
  const options = db()
  if (options === null) return
  layer(Layer.mergeAll(Store.layer, DashboardStore.layer).pipe(Layer.provideMerge(Database.layer(options))), { timeout: 60_000, excludeTestServices: true })(name, (it) => {
    it.effect("sessions are stored hashed, expire, end at sign-out and with their token", () =>
      Effect.gen(function* () {
        const store = yield* Store
        const dash = yield* DashboardStore
        const sql = yield* SqlClient
        const { orgId } = yield* store.bootstrap(undefined)
        const { plain } = yield* store.createToken(orgId, { name: "alice", scopes: ["read"], expiresAt: null, quotas: {}, createdBy: null })
        const principal = (yield* store.authenticate(plain))!
        const { cookie, session } = yield* dash.openSession(principal, 60_000)
        expect(session.principal).toEqual(principal)
        expect(session.csrf.length).toBeGreaterThanOrEqual(40)
        const stored = yield* sql<{ id_hash: string }>`SELECT id_hash FROM dashboard_sessions`
        expect(stored.some((r) => r.id_hash === cookie)).toBe(false)
        expect((yield* dash.session(cookie))?.principal.tokenName).toBe("alice")
        expect(yield* dash.session("not-a-session-cookie-value")).toBeNull()

        const expired = yield* dash.openSession(principal, -1)
        expect(yield* dash.session(expired.cookie)).toBeNull()

        yield* dash.closeSession(cookie)
        expect(yield* dash.session(cookie)).toBeNull()

        const other = yield* dash.openSession(principal, 60_000)
        yield* sql`DELETE FROM api_tokens WHERE id = ${principal.tokenId}`
        expect(yield* dash.session(other.cookie)).toBeNull()
      }))

    it.effect("the inbox filters by status, repository and kind, and knows what was published", () =>
      Effect.gen(function* () {
        const store = yield* Store
        const dash = yield* DashboardStore
        const { orgId } = yield* store.bootstrap(undefined)
        const a = yield* store.createRepo(orgId, { name: "inbox-a", url: null, path: "/a", defaultBranch: "main" })
        const b = yield* store.createRepo(orgId, { name: "inbox-b", url: null, path: "/b", defaultBranch: "main" })
        const runA = yield* store.createRun(a.id, "api")
        const runB = yield* store.createRun(b.id, "api")
        const perf = yield* store.addProposal({ id: `prop_perf_${runA.id}`, runId: runA.id, repoId: a.id, title: "perf", data: { kind: "performance", files: ["x.ts", "y.ts"], benchmark: { change: -0.25 } } })
        yield* store.addProposal({ id: `prop_debt_${runB.id}`, runId: runB.id, repoId: b.id, title: "debt", data: { kind: "tech-debt", files: "not a list" } })
        const mine = (items: ReadonlyArray<{ readonly repoId: string }>) => items.filter((p) => p.repoId === a.id || p.repoId === b.id)
        expect(mine(yield* dash.proposals(orgId, { status: "pending" }))).toHaveLength(2)
        const onlyA = yield* dash.proposals(orgId, { repoId: a.id })
        expect(onlyA.map((p) => [p.title, p.repoName, p.kind, p.change, p.files, p.published])).toEqual([["perf", "inbox-a", "performance", -0.25, 2, false]])
        expect(mine(yield* dash.proposals(orgId, { kind: "tech-debt" })).map((p) => [p.title, p.files, p.change])).toEqual([["debt", 0, null]])
        expect(mine(yield* dash.proposals(orgId, { status: "bogus' OR 1=1 --" }))).toHaveLength(2)
        expect(yield* dash.proposals("org_other", {})).toEqual([])

        yield* store.decide(orgId, perf.id, { decision: "approved", by: { tokenId: "tok_t", tokenName: "t" }, note: null, contentHash: perf.contentHash })
        expect(mine(yield* dash.proposals(orgId, { status: "approved" })).map((p) => p.title)).toEqual(["perf"])
        yield* store.appendEvent(runA.id, "proposal.published", { proposalId: perf.id, branch: "ratchet/x" })
        expect((yield* dash.proposals(orgId, { repoId: a.id }))[0].published).toBe(true)
        expect(yield* dash.pendingCount(orgId)).toBeGreaterThanOrEqual(1)
      }))

    it.effect("runs across repositories, the latest per repository, stage outputs and artifacts", () =>
      Effect.gen(function* () {
        const store = yield* Store
        const dash = yield* DashboardStore
        const { orgId } = yield* store.bootstrap(undefined)
        const repo = yield* store.createRepo(orgId, { name: "runs-dash", url: null, path: "/r", defaultBranch: "main" })
        const first = yield* store.createRun(repo.id, "api")
        yield* Effect.sleep("5 millis")
        const second = yield* store.createRun(repo.id, "schedule")
        yield* store.stageStarted(second.id, "detect", "r1")
        yield* store.stageFinished(second.id, "detect", { ok: true, output: { root: "/r" } })
        yield* store.stageStarted(second.id, "baseline", "r1")
        yield* store.stageFinished(second.id, "baseline", { ok: false, error: "install failed", output: { logs: { install: "===== install: npm ci" } } })
        const listed = yield* dash.runs(orgId, { repoId: repo.id, limit: 10 })
        expect(listed.map((r) => [r.id, r.repoName])).toEqual([[second.id, "runs-dash"], [first.id, "runs-dash"]])
        expect(listed[0].stages.map((s) => [s.stage, s.status])).toEqual([["detect", "succeeded"], ["baseline", "failed"]])
        expect((yield* dash.runs(orgId, { status: "queued", limit: 100 })).some((r) => r.id === first.id)).toBe(true)
        expect((yield* dash.lastRuns(orgId)).get(repo.id)?.id).toBe(second.id)
        expect(yield* dash.stageOutputs(second.id)).toEqual({ detect: { root: "/r" }, baseline: { logs: { install: "===== install: npm ci" } } })

        yield* store.addAttempt(second.id, `${second.id}:a1`, { id: `${second.id}:a1`, status: "rejected", reason: "tests failed" })
        expect((yield* dash.attempts(second.id)).map((a) => a.reason)).toEqual(["tests failed"])
        const proposal = yield* store.addProposal({ id: `prop_art_${second.id}`, runId: second.id, repoId: repo.id, title: "t", data: {} })
        yield* store.putArtifact({ runId: second.id, proposalId: proposal.id, name: "summary.txt", mediaType: "text/plain", content: new TextEncoder().encode("hello") })
        expect((yield* dash.proposalArtifacts(proposal.id)).map((a) => [a.name, a.size])).toEqual([["summary.txt", 5]])
      }))

    it.effect("policy limits round-trip through the settings", () =>
      Effect.gen(function* () {
        const store = yield* Store
        const { orgId } = yield* store.bootstrap(undefined)
        const repo = yield* store.createRepo(orgId, { name: "policy-limits", url: null, path: "/p", defaultBranch: "main" })
        expect(repo.settings.policy).toEqual({ maxFiles: null, maxLines: null })
        const set = yield* store.updateSettings(orgId, repo.id, { policyMaxFiles: 2, policyMaxLines: 50 })
        expect(set.settings.policy).toEqual({ maxFiles: 2, maxLines: 50 })
        const kept = yield* store.updateSettings(orgId, repo.id, { schedule: "0 3 * * *" })
        expect(kept.settings.policy).toEqual({ maxFiles: 2, maxLines: 50 })
        const cleared = yield* store.updateSettings(orgId, repo.id, { policyMaxFiles: null })
        expect(cleared.settings.policy).toEqual({ maxFiles: null, maxLines: 50 })
      }))
  })
}

suite("DashboardStore on PGlite", () => ({ dataDir: "memory://" }))

const pg = await startPostgres()
afterAll(() => pg?.stop())
suite("DashboardStore on PostgreSQL", () => (pg === null ? null : { url: pg.url }))
