/**
 * Organisations and scoped tokens through the API and the dashboard: every route checks its scope
 * (each scope allowed where it belongs and refused everywhere else, a CI token that can run but not
 * approve or publish), revocation and expiry take effect on the next request (also for dashboard
 * sessions), tokens are stored hashed and shown once, a token cannot hand out more than it holds,
 * organisations are managed by the operator only, another tenant's ids answer 404, and request
 * logs and decisions name the token by id, never by value.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Api from "../src/Api.js"
import * as Database from "../src/Database.js"
import { isScopeCheck, scopeChecked } from "../src/middleware/requireScope.js"
import { sha256, Store } from "../src/Store.js"
import type { Scope } from "../src/Tenants.js"
import { startPostgres } from "./helpers/postgres.js"
import { ALL, dashboardClient, makeTenantServer, type Minted } from "./helpers/tenants.js"

const server = makeTenantServer()
const { req, json, mkOrg, mkToken, mkRepo, runOnce } = server

let orgA = ""
let adminA: Minted
let orgB = ""
let adminB: Minted
/** One token per scope in organisation A, each holding only that scope. */
const only: Partial<Record<Scope, Minted>> = {}

beforeAll(async () => {
  await server.setup()
  orgA = await mkOrg("acme")
  orgB = await mkOrg("globex")
  adminA = await mkToken(orgA, { name: "acme-admin" })
  adminB = await mkToken(orgB, { name: "globex-admin" })
  for (const s of ALL) only[s] = await mkToken(orgA, { name: `only-${s}`, scopes: [s] }, adminA.token)
}, 120_000)
afterAll(() => server.dispose())

describe("scopes", () => {
  it("every /api route checks a scope before its handler", () => {
    const api = Api.make(server.onClock)
    const routes = new Map<string, boolean>()
    for (const r of api.routes) {
      // GitHub's webhook deliveries carry no token: their signature authenticates them (see GitHubWork.test.ts)
      if (!r.path.startsWith("/api/") || r.path.endsWith("*") || r.method === "ALL" || r.path === "/api/webhooks/github") continue
      const key = `${r.method} ${r.path}`
      routes.set(key, (routes.get(key) ?? false) || isScopeCheck(r.handler))
    }
    expect(routes.size).toBeGreaterThan(20)
    expect([...routes].filter(([, checked]) => !checked).map(([k]) => k)).toEqual([])
  })

  it("/openapi.json describes every /api route with the scope the route checks", async () => {
    const api = Api.make(server.onClock)
    const doc = JSON.parse(await (await api.request("/openapi.json")).text())
    const described: Array<string> = []
    const checked: Array<string> = []
    for (const r of api.routes) {
      const scope = scopeChecked(r.handler)
      if (scope === null || !r.path.startsWith("/api/")) continue
      const path = r.path.replace(/:(\w+)/g, "{$1}")
      checked.push(`${r.method} ${path} ${scope}`)
      const op = doc.paths[path]?.[r.method.toLowerCase()]
      if (op !== undefined) described.push(`${r.method} ${path} ${op["x-ratchet-scope"]}`)
    }
    expect(described.sort()).toEqual(checked.sort())
  })

  it("each route allows the token holding its scope and refuses (403, naming the scope) every other scope", async () => {
    const repo = await mkRepo(adminA.token, "scoped")
    const run = await runOnce(adminA.token, repo)
    expect(run.status).toBe("succeeded")
    const [p1, p2, p3] = run.proposals as Array<{ id: string; contentHash: string }>
    const prop = await json(await req(adminA.token, "GET", `/api/proposals/${p1!.id}`))
    const art = (await server.runtime.runPromise(Effect.gen(function* () {
      const sql = yield* SqlClient
      return yield* sql<{ id: string }>`SELECT id FROM artifacts WHERE proposal_id = ${p1!.id}`
    })))[0]!.id
    let n = 0
    const routes: ReadonlyArray<{ readonly method: string; readonly path: string; readonly scope: Scope; readonly body?: () => unknown; readonly operatorOnly?: boolean }> = [
      { method: "GET", path: "/api/repos", scope: "read" },
      { method: "POST", path: "/api/repos", scope: "admin", body: () => ({ name: `more-${n++}`, path: server.gitDir(`more-${n}`) }) },
      { method: "GET", path: `/api/repos/${repo}`, scope: "read" },
      { method: "PATCH", path: `/api/repos/${repo}/settings`, scope: "admin", body: () => ({ timezone: "UTC" }) },
      // marking a repository trusted: the operator's administrators only (its config then runs in the server's process)
      { method: "PATCH", path: `/api/repos/${repo}/settings`, scope: "admin", operatorOnly: true, body: () => ({ trusted: true }) },
      { method: "GET", path: `/api/repos/${repo}/audit`, scope: "read" },
      { method: "GET", path: `/api/repos/${repo}/budgets`, scope: "read" },
      { method: "POST", path: `/api/repos/${repo}/runs`, scope: "run" },
      { method: "GET", path: `/api/repos/${repo}/runs`, scope: "read" },
      { method: "GET", path: `/api/runs/${run.id}`, scope: "read" },
      { method: "POST", path: `/api/runs/${run.id}/cancel`, scope: "run" },
      { method: "GET", path: `/api/runs/${run.id}/events`, scope: "read" },
      { method: "GET", path: `/api/proposals/${p1!.id}`, scope: "read" },
      { method: "POST", path: `/api/proposals/${p2!.id}/reject`, scope: "approve", body: () => ({}) },
      { method: "POST", path: `/api/proposals/${p3!.id}/request-changes`, scope: "approve", body: () => ({}) },
      { method: "POST", path: `/api/proposals/${p1!.id}/approve`, scope: "approve", body: () => ({ contentHash: prop.contentHash }) },
      { method: "POST", path: `/api/proposals/${p1!.id}/pr`, scope: "publish" },
      { method: "GET", path: `/api/proposals/${p1!.id}/ledger`, scope: "read" },
      { method: "GET", path: `/api/artifacts/${art}`, scope: "read" },
      { method: "GET", path: "/api/usage", scope: "read" },
      { method: "GET", path: "/api/llm/models", scope: "read" },
      { method: "GET", path: "/api/orgs", scope: "admin" },
      { method: "GET", path: `/api/orgs/${orgA}`, scope: "admin" },
      { method: "POST", path: "/api/orgs", scope: "admin", operatorOnly: true, body: () => ({ name: `org-${n++}` }) },
      { method: "PATCH", path: `/api/orgs/${orgA}`, scope: "admin", operatorOnly: true, body: () => ({ quotas: { runsPerDay: 1000 } }) },
      { method: "GET", path: "/api/tokens", scope: "admin" },
      { method: "POST", path: "/api/tokens", scope: "admin", body: () => ({ name: `made-${n++}`, scopes: ["read"] }) },
      { method: "GET", path: `/api/tokens/${only.read!.id}`, scope: "admin" },
      { method: "PATCH", path: `/api/tokens/${only.read!.id}`, scope: "admin", body: () => ({ quotas: { runsPerDay: 1000 } }) },
      { method: "DELETE", path: "/api/tokens/VICTIM", scope: "admin" },
      // connectors, provider keys and prompted tasks (GitHub); bodies that do not validate are enough
      // to tell the scope check from the handler
      { method: "POST", path: "/api/connectors", scope: "admin", body: () => ({}) },
      { method: "GET", path: "/api/connectors", scope: "read" },
      { method: "GET", path: "/api/connectors/conn_missing", scope: "read" },
      { method: "PATCH", path: "/api/connectors/conn_missing", scope: "admin", body: () => ({}) },
      { method: "POST", path: "/api/connectors/conn_missing/validate", scope: "admin" },
      { method: "PUT", path: `/api/repos/${repo}/connector`, scope: "admin", body: () => ({}) },
      { method: "GET", path: "/api/providers", scope: "read" },
      { method: "PUT", path: "/api/providers/nosuchprovider/key", scope: "admin", body: () => ({}) },
      { method: "DELETE", path: "/api/providers/nosuchprovider/key", scope: "admin" },
      { method: "POST", path: `/api/repos/${repo}/tasks`, scope: "run", body: () => ({}) },
      { method: "GET", path: `/api/repos/${repo}/tasks`, scope: "read" },
      { method: "GET", path: "/api/tasks/task_missing", scope: "read" },
      { method: "GET", path: `/api/proposals/${p1!.id}/pull-request`, scope: "read" }
    ]
    // the table covers every /api route the app has
    const api = Api.make(server.onClock)
    // (GitHub's webhook deliveries are authenticated by their signature, not a token)
    const declared = new Set(api.routes.filter((r) => r.path.startsWith("/api/") && !r.path.endsWith("*") && r.method !== "ALL" && r.path !== "/api/webhooks/github").map((r) => `${r.method} ${r.path}`))
    const covered = new Set(routes.map((r) => `${r.method} ${r.path.replace(/(repo|run|prop|art|org|tok|conn|task)_[A-Za-z0-9_:-]+|VICTIM/g, ":id").replace("/nosuchprovider/", "/:name/").replace(/\/:id\/[^/]+$/, (m) => m)}`))
    expect([...declared].filter((d) => !covered.has(d))).toEqual([])

    for (const route of routes) {
      for (const s of ALL) {
        const victim = route.path.includes("VICTIM") ? await mkToken(orgA, { name: "victim", scopes: ["read"] }, adminA.token) : null
        const path = victim === null ? route.path : route.path.replace("VICTIM", victim.id)
        const res = await req(only[s]!.token, route.method, path, route.body?.())
        const text = await res.text()
        const what = `${route.method} ${route.path} with a "${s}" token: ${res.status} ${text.slice(0, 200)}`
        if (s === route.scope && route.operatorOnly !== true) {
          expect(res.status, what).not.toBe(403)
          expect(res.status, what).toBeLessThan(500)
        } else {
          expect(res.status, what).toBe(403)
          const body = JSON.parse(text)
          expect(body.error.code, what).toBe("Forbidden")
          expect(body.error.scope, what).toBe(route.scope)
        }
      }
    }
    // the operator's administrators may do what tenants' administrators may not
    expect((await req(server.rootToken, "POST", "/api/orgs", { name: "initech" })).status).toBe(201)
    expect((await req(server.rootToken, "PATCH", `/api/orgs/${orgA}`, { quotas: { runsPerDay: null } })).status).toBe(200)
  })

  it("a CI token with read and run starts runs but cannot approve or publish what they propose", async () => {
    const repo = await mkRepo(adminA.token, "ci-target")
    const ci = await mkToken(orgA, { name: "ci", scopes: ["read", "run"] }, adminA.token)
    const run = await runOnce(ci.token, repo)
    expect(run.tokenId).toBe(ci.id)
    const proposal = await json(await req(ci.token, "GET", `/api/proposals/${run.proposals[0].id}`))
    const approve = await req(ci.token, "POST", `/api/proposals/${proposal.id}/approve`, { contentHash: proposal.contentHash })
    expect(approve.status).toBe(403)
    expect((await json(approve)).error.message).toContain('lacks the "approve" scope')
    expect((await req(ci.token, "POST", `/api/proposals/${proposal.id}/pr`)).status).toBe(403)
    // nothing was recorded
    expect((await json(await req(ci.token, "GET", `/api/proposals/${proposal.id}`))).decisions).toEqual([])
    // a reviewer's token decides, under its own identity
    const reviewer = await mkToken(orgA, { name: "reviewer", scopes: ["read", "approve"] }, adminA.token)
    const decided = await req(reviewer.token, "POST", `/api/proposals/${proposal.id}/approve`, { contentHash: proposal.contentHash })
    expect(decided.status).toBe(201)
    expect(await json(decided)).toMatchObject({ actor: "reviewer", tokenId: reviewer.id })
  })

  it("a token hands out only scopes it holds, and never a token that outlives it", async () => {
    const limited = await mkToken(orgA, { name: "limited-admin", scopes: ["read", "admin"], expiresIn: "2h" }, adminA.token)
    const wider = await req(limited.token, "POST", "/api/tokens", { name: "wider", scopes: ["read", "approve"] })
    expect(wider.status).toBe(400)
    expect((await json(wider)).error).toMatchObject({ field: "scopes" })
    const longer = await req(limited.token, "POST", "/api/tokens", { name: "longer", scopes: ["read"], expiresIn: "3h" })
    expect(longer.status).toBe(400)
    expect((await json(longer)).error.field).toBe("expiresAt")
    const inherited = await json(await req(limited.token, "POST", "/api/tokens", { name: "inherits", scopes: ["read"] }))
    expect(inherited.expiresAt).toBe((await json(await req(adminA.token, "GET", `/api/tokens/${limited.id}`))).expiresAt)
    for (const [body, field] of [
      [{ name: "x", scopes: [] }, "scopes"],
      [{ name: "x", scopes: ["root"] }, "scopes"],
      [{ name: "", scopes: ["read"] }, "name"],
      [{ name: "x", scopes: ["read"], expiresAt: "2001-01-01T00:00:00Z" }, "expiresAt"],
      [{ name: "x", scopes: ["read"], expiresIn: "soon" }, "expiresIn"],
      [{ name: "x", scopes: ["read"], quotas: { runsPerWeek: 3 } }, "quotas.runsPerWeek"],
      [{ name: "x", scopes: ["read"], quotas: { runsPerDay: -1 } }, "quotas.runsPerDay"],
      [{ name: "x", scopes: ["read"], token: "rat_chosen" }, "token"]
    ] as const) {
      const res = await req(adminA.token, "POST", "/api/tokens", body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect((await json(res)).error.field, JSON.stringify(body)).toBe(field)
    }
  })
})

describe("tokens", () => {
  it("are stored hashed and shown once: listing and reading never return the value", async () => {
    const made = await req(adminA.token, "POST", "/api/tokens", { name: "shown-once", scopes: ["read"] })
    expect(made.headers.get("cache-control")).toBe("no-store")
    const body = await json(made)
    expect(body.token).toMatch(/^rat_[A-Za-z0-9_-]{32}$/)
    const rows = await server.runtime.runPromise(Effect.gen(function* () {
      const sql = yield* SqlClient
      return yield* sql<{ token_hash: string }>`SELECT token_hash FROM api_tokens WHERE id = ${body.id}`
    }))
    expect(rows[0]!.token_hash).toBe(sha256(body.token))
    for (const path of ["/api/tokens", `/api/tokens/${body.id}`, "/api/usage"]) {
      const text = await (await req(adminA.token, "GET", path)).text()
      if (path !== "/api/usage") expect(text, path).toContain(body.id)
      expect(text, path).not.toContain(body.token)
      expect(text, path).not.toContain(rows[0]!.token_hash)
    }
  })

  it("revocation takes effect on the next request, for the API and for dashboard sessions", async () => {
    const t = await mkToken(orgA, { name: "to-revoke", scopes: ["read"] }, adminA.token)
    expect((await req(t.token, "GET", "/api/repos")).status).toBe(200)
    expect((await req(t.token, "GET", "/api/repos")).status).toBe(200) // remembered by the token cache now
    const browser = dashboardClient(server)
    expect((await browser.signIn(t.token)).status).toBe(303)
    expect((await browser.get("/dashboard/repos")).status).toBe(200)

    const revoked = await req(adminA.token, "DELETE", `/api/tokens/${t.id}`)
    expect(revoked.status).toBe(200)
    const first = await json(revoked)
    expect(first).toMatchObject({ id: t.id, status: "revoked" })
    const refused = await req(t.token, "GET", "/api/repos")
    expect(refused.status).toBe(401)
    expect((await json(refused)).error.message).toMatch(/revoked at \d{4}-/)
    const page = await browser.get("/dashboard/repos")
    expect(page.status).toBe(303)
    expect(page.headers.get("location")).toContain("/dashboard/login")
    const again = dashboardClient(server)
    const signIn = await again.signIn(t.token)
    expect(signIn.status).toBe(401)
    expect(await signIn.text()).toContain("revoked")
    // revoking again is idempotent and keeps the first time
    expect((await json(await req(adminA.token, "DELETE", `/api/tokens/${t.id}`))).revokedAt).toBe(first.revokedAt)
  })

  it("any token may revoke itself; another organisation's token is 404 to revoke, read or change", async () => {
    const self = await mkToken(orgA, { name: "self", scopes: ["read"] }, adminA.token)
    expect((await req(self.token, "DELETE", `/api/tokens/${self.id}`)).status).toBe(200)
    expect((await req(self.token, "GET", "/api/repos")).status).toBe(401)
    const mine = await mkToken(orgA, { name: "mine", scopes: ["read"] }, adminA.token)
    for (const [method, body] of [["GET", undefined], ["PATCH", { quotas: { runsPerDay: 1 } }], ["DELETE", undefined]] as const) {
      const res = await req(adminB.token, method, `/api/tokens/${mine.id}`, body)
      expect(res.status, method).toBe(404)
    }
    expect((await req(mine.token, "GET", "/api/repos")).status).toBe(200)
    expect(JSON.stringify(await json(await req(adminB.token, "GET", "/api/tokens")))).not.toContain(mine.id)
    expect(await json(await req(adminB.token, "GET", `/api/tokens?orgId=${orgA}`))).toEqual({ items: [] })
    const foreign = await req(adminB.token, "POST", "/api/tokens", { name: "in-acme", scopes: ["read"], orgId: orgA })
    expect(foreign.status).toBe(404)
  })

  it("expiry takes effect on the next request (test clock), for the API and for dashboard sessions", async () => {
    const t = await mkToken(orgA, { name: "hour", scopes: ["read"], expiresIn: "1h" }, adminA.token)
    expect((await req(t.token, "GET", "/api/repos")).status).toBe(200)
    const browser = dashboardClient(server)
    expect((await browser.signIn(t.token)).status).toBe(303)
    await server.adjust(59 * 60_000)
    expect((await req(t.token, "GET", "/api/repos")).status).toBe(200)
    expect((await browser.get("/dashboard/repos")).status).toBe(200)
    await server.adjust(60_000)
    const refused = await req(t.token, "GET", "/api/repos")
    expect(refused.status).toBe(401)
    expect((await json(refused)).error.message).toMatch(/expired at/)
    expect((await browser.get("/dashboard/repos")).status).toBe(303)
    expect((await json(await req(adminA.token, "GET", `/api/tokens/${t.id}`))).status).toBe("expired")
  })
})

describe("organisations", () => {
  it("the operator creates and lists them; a tenant's administrator sees only its own, and nothing of another", async () => {
    const all = await json(await req(server.rootToken, "GET", "/api/orgs"))
    expect(all.items.map((o: any) => o.id)).toEqual(expect.arrayContaining(["org_default", orgA, orgB]))
    expect((await json(await req(adminA.token, "GET", "/api/orgs"))).items.map((o: any) => o.id)).toEqual([orgA])
    expect((await req(adminA.token, "GET", `/api/orgs/${orgB}`)).status).toBe(404)
    expect((await req(adminA.token, "PATCH", `/api/orgs/${orgB}`, { quotas: { runsPerDay: 1 } })).status).toBe(404)
    const raise = await req(adminA.token, "PATCH", `/api/orgs/${orgA}`, { quotas: { runsPerDay: 1000 } })
    expect(raise.status).toBe(403)
    expect((await json(raise)).error.message).toContain("operator organisation")
    const dup = await req(server.rootToken, "POST", "/api/orgs", { name: "acme" })
    expect(dup.status).toBe(409)
    expect((await req(server.rootToken, "POST", "/api/orgs", { name: "../x" })).status).toBe(400)
  })

  it("another tenant's repository, run, proposal and artifact ids answer 404 on every route", async () => {
    const repo = await mkRepo(adminA.token, "private-a")
    const run = await runOnce(adminA.token, repo)
    const prop = run.proposals[0]
    const art = (await server.runtime.runPromise(Effect.gen(function* () {
      const sql = yield* SqlClient
      return yield* sql<{ id: string }>`SELECT id FROM artifacts WHERE proposal_id = ${prop.id}`
    })))[0]!.id
    for (const [method, path, body] of [
      ["GET", `/api/repos/${repo}`],
      ["PATCH", `/api/repos/${repo}/settings`, { paused: true }],
      ["GET", `/api/repos/${repo}/budgets`],
      ["POST", `/api/repos/${repo}/runs`],
      ["GET", `/api/repos/${repo}/runs`],
      ["GET", `/api/runs/${run.id}`],
      ["POST", `/api/runs/${run.id}/cancel`],
      ["GET", `/api/runs/${run.id}/events`],
      ["GET", `/api/proposals/${prop.id}`],
      ["POST", `/api/proposals/${prop.id}/approve`, { contentHash: prop.contentHash }],
      ["POST", `/api/proposals/${prop.id}/reject`, {}],
      ["POST", `/api/proposals/${prop.id}/pr`],
      ["GET", `/api/artifacts/${art}`]
    ] as const) {
      const res = await req(adminB.token, method, path, body)
      expect(res.status, `${method} ${path}`).toBe(404)
    }
    // and nothing changed
    expect((await json(await req(adminA.token, "GET", `/api/repos/${repo}`))).settings.paused).toBe(false)
    expect((await json(await req(adminA.token, "GET", `/api/proposals/${prop.id}`))).status).toBe("pending")
  })

  it("the same content stored by two tenants stays each tenant's own artifact", async () => {
    const a = await runOnce(adminA.token, await mkRepo(adminA.token, "same-a"))
    const b = await runOnce(adminB.token, await mkRepo(adminB.token, "same-b"))
    const artifactsOf = (proposalId: string) =>
      server.runtime.runPromise(Effect.gen(function* () {
        const sql = yield* SqlClient
        return yield* sql<{ id: string; sha256: string }>`SELECT id, sha256 FROM artifacts WHERE proposal_id = ${proposalId}`
      }))
    const [artA] = await artifactsOf(a.proposals[0].id)
    const [artB] = await artifactsOf(b.proposals[0].id)
    expect(artA!.sha256).toBe(artB!.sha256) // the fake stages write the same diff
    expect(artA!.id).not.toBe(artB!.id)
    expect((await req(adminB.token, "GET", `/api/artifacts/${artB!.id}`)).status).toBe(200)
    expect((await req(adminB.token, "GET", `/api/artifacts/${artA!.id}`)).status).toBe(404)
  })
})

describe("request logs and the ledger", () => {
  it("name the token by id and never contain a token", async () => {
    const repo = await mkRepo(adminA.token, "logged")
    const run = await runOnce(only.run!.token, repo, adminA.token)
    const prop = await json(await req(adminA.token, "GET", `/api/proposals/${run.proposals[0].id}`))
    await req(only.approve!.token, "POST", `/api/proposals/${prop.id}/approve`, { contentHash: prop.contentHash })
    const mine = server.logs.filter((l) => l.tokenId === only.run!.id && l.path === `/api/repos/${repo}/runs`)
    expect(mine.length).toBe(1)
    const decided = await json(await req(adminA.token, "GET", `/api/proposals/${prop.id}`))
    expect(decided.decisions[0]).toMatchObject({ tokenId: only.approve!.id, actor: "only-approve" })
    const events = await server.runtime.runPromise(Store.use((s) => s.eventsAfter(run.id, 0)))
    expect(events.find((e) => e.type === "run.queued")?.data).toMatchObject({ tokenId: only.run!.id })
    const everything = JSON.stringify(server.logs) + JSON.stringify(events) + JSON.stringify(decided)
    for (const t of [server.rootToken, adminA.token, adminB.token, ...Object.values(only).map((m) => m!.token)]) {
      expect(everything).not.toContain(t)
    }
  })
})

const pg = await startPostgres()
afterAll(() => pg?.stop())

describe.skipIf(pg === null)("a revocation by another process sharing PostgreSQL", () => {
  it("applies within the token cache time", async () => {
    const one = ManagedRuntime.make(Store.layer.pipe(Layer.provideMerge(Database.layer({ url: pg!.url }))))
    const two = ManagedRuntime.make(Store.layer.pipe(Layer.provideMerge(Database.layer({ url: pg!.url }))))
    try {
      const api = Api.make(one, { log: () => {}, tokenCacheMs: 300 })
      await one.runPromise(Store.use((s) => s.bootstrap("rat_pg_root_token_0123456789")))
      const { plain, token } = await two.runPromise(Store.use((s) => s.createToken("org_default", { name: "elsewhere", scopes: ["read"], expiresAt: null, quotas: {}, createdBy: null })))
      const call = () => api.request("/api/repos", { headers: { authorization: `Bearer ${plain}` } })
      expect((await call()).status).toBe(200)
      // the other process revokes it (as the CLI does with DATABASE_URL)
      await two.runPromise(Store.use((s) => s.revokeToken(null, token.id)))
      await new Promise((r) => setTimeout(r, 350))
      expect((await call()).status).toBe(401)
    } finally {
      await one.dispose()
      await two.dispose()
    }
  })
})
