import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, ManagedRuntime } from "effect"
import * as Api from "../src/Api.js"
import * as Server from "../src/Server.js"
import { Pipeline } from "@ratchet/core"
import { Store } from "../src/Store.js"

const runtime = ManagedRuntime.make(Server.layer({ dataDir: "memory://", stages: Pipeline.Stages.layerTest({ delay: Duration.millis(5) }), scheduler: false }))
const logs: Array<Record<string, unknown>> = []
let clock = 1_000_000
// repositories connected by path live under this allowed root, each a git work tree
const srv = realpathSync(mkdtempSync(join(tmpdir(), "ratchet-api-srv-")))
const gitDir = (name: string): string => {
  const d = join(srv, name)
  mkdirSync(d, { recursive: true })
  execFileSync("git", ["init", "-q"], { cwd: d })
  return d
}
// an injected resolver: no test touches the network
const dns: Record<string, ReadonlyArray<string>> = { "repo.test": ["140.82.112.3"], "rebind.test": ["140.82.112.3", "127.0.0.1"], "metadata.test": ["fd00:ec2::254"] }
const app = Api.make(runtime, {
  repoRoots: [srv],
  resolve: async (host) => (dns[host] ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 })),
  corsOrigins: ["https://dash.example.com"],
  runsPerMinute: 3,
  maxBodyBytes: 2048,
  log: (r) => logs.push(r),
  ssePollMs: 20,
  now: () => clock
})
let token = ""

beforeAll(async () => {
  token = "rat_test_token_0123456789"
  await runtime.runPromise(Store.use((s) => s.bootstrap(token)))
}, 60_000)
afterAll(async () => {
  await runtime.dispose()
  rmSync(srv, { recursive: true, force: true })
})

const req = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
  })

const createRepo = async (name: string) => {
  const res = await req("POST", "/api/repos", { name, path: gitDir(name) })
  expect(res.status).toBe(201)
  return (await res.json()) as { id: string }
}

const waitRun = async (id: string) => {
  for (let i = 0; i < 400; i++) {
    const run = (await (await req("GET", `/api/runs/${id}`)).json()) as any
    if (["succeeded", "failed", "cancelled"].includes(run.status)) return run
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`run ${id} did not finish`)
}

const parseSse = (text: string) =>
  text.split("\n\n").filter((b) => b.trim() !== "" && !b.startsWith(":")).map((block) => {
    const field = (name: string) => block.split("\n").find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2)
    return { id: Number(field("id")), type: field("event")!, data: JSON.parse(field("data")!) }
  })

describe("API", () => {
  it("/health and /openapi.json need no token; every response has X-Request-ID and security headers", async () => {
    const health = await app.request("/health")
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: "ok" })
    expect(health.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
    expect(health.headers.get("x-content-type-options")).toBe("nosniff")
    expect(health.headers.get("x-frame-options")).toBe("SAMEORIGIN")
    expect(health.headers.get("content-security-policy")).toContain("default-src 'none'")
    const doc = (await (await app.request("/openapi.json")).json()) as any
    expect(doc.openapi).toBe("3.1.0")
    for (const p of ["/api/repos", "/api/repos/{id}/runs", "/api/runs/{id}/events", "/api/proposals/{id}/approve", "/api/artifacts/{id}"]) expect(doc.paths[p]).toBeDefined()
    const given = await app.request("/health", { headers: { "x-request-id": "abc-123" } })
    expect(given.headers.get("x-request-id")).toBe("abc-123")
  })

  it("rejects missing and wrong tokens with 401", async () => {
    const none = await app.request("/api/repos")
    expect(none.status).toBe(401)
    expect(none.headers.get("www-authenticate")).toContain("Bearer")
    expect(((await none.json()) as any).error.code).toBe("Unauthorized")
    const wrong = await app.request("/api/repos", { headers: { authorization: "Bearer rat_nope" } })
    expect(wrong.status).toBe(401)
    expect(none.headers.get("x-request-id")).not.toBeNull()
  })

  it("CORS allows only configured origins", async () => {
    const ok = await app.request("/api/repos", { method: "OPTIONS", headers: { origin: "https://dash.example.com", "access-control-request-method": "POST" } })
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://dash.example.com")
    const evil = await app.request("/health", { headers: { origin: "https://evil.example" } })
    expect(evil.headers.get("access-control-allow-origin")).toBeNull()
  })

  it("repositories: create, list, get, settings; validation names the field; 404 for unknown ids", async () => {
    const repo = await createRepo("api-demo")
    const list = (await (await req("GET", "/api/repos")).json()) as any
    expect(list.items.map((r: any) => r.name)).toContain("api-demo")
    expect(((await (await req("GET", `/api/repos/${repo.id}`)).json()) as any).path).toBe(join(srv, "api-demo"))
    expect((await req("GET", "/api/repos/repo_missing")).status).toBe(404)

    const cases: Array<[unknown, string]> = [
      [{ path: "/x" }, "name"],
      [{ name: "bad name!", path: "/x" }, "name"],
      [{ name: "x" }, "url"],
      [{ name: "x", url: "http://github.com/a/b" }, "url"],
      [{ name: "x", url: "https://127.0.0.1/a.git" }, "url"],
      [{ name: "x", url: "https://169.254.169.254/latest" }, "url"],
      [{ name: "x", url: "https://rebind.test/a.git" }, "url"],
      [{ name: "x", url: "https://metadata.test/latest" }, "url"],
      [{ name: "x", url: "https://unknown.test/a.git" }, "url"],
      [{ name: "x", path: "relative/dir" }, "path"],
      [{ name: "x", path: "/a\u0000b" }, "path"],
      [{ name: "x", path: "/a", extra: 1 }, "extra"],
      [[1, 2], "body"]
    ]
    for (const [body, field] of cases) {
      const res = await req("POST", "/api/repos", body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(((await res.json()) as any).error.field).toBe(field)
    }
    expect((await req("POST", "/api/repos", { name: "by-url", url: "https://repo.test/a/b.git" })).status).toBe(201)
    const malformed = await req("POST", "/api/repos", "{not json")
    expect(malformed.status).toBe(400)
    expect((await req("POST", "/api/repos", { name: "api-demo", path: gitDir("another") })).status).toBe(409)

    const patched = await req("PATCH", `/api/repos/${repo.id}/settings`, { schedule: "0 2 * * *", timezone: "Europe/Paris", budgets: { proposalsPerRun: 1 } })
    expect(patched.status).toBe(200)
    expect(((await patched.json()) as any).settings).toMatchObject({ schedule: "0 2 * * *", timezone: "Europe/Paris", budgets: { proposalsPerRun: 1 } })
    const badCron = await req("PATCH", `/api/repos/${repo.id}/settings`, { schedule: "every night" })
    expect(((await badCron.json()) as any).error.field).toBe("schedule")
    const badTz = await req("PATCH", `/api/repos/${repo.id}/settings`, { timezone: "Mars/Olympus" })
    expect(((await badTz.json()) as any).error.field).toBe("timezone")
    const badBudget = await req("PATCH", `/api/repos/${repo.id}/settings`, { budgets: { candidatesPerRun: -1 } })
    expect(((await badBudget.json()) as any).error.field).toBe("budgets.candidatesPerRun")
    expect((await req("PATCH", "/api/repos/repo_missing/settings", { paused: true })).status).toBe(404)
  })

  it("413 for bodies over the limit", async () => {
    const res = await req("POST", "/api/repos", { name: "big", path: `/${"a".repeat(4000)}` })
    expect(res.status).toBe(413)
    expect(((await res.json()) as any).error.code).toBe("PayloadTooLarge")
  })

  it("a run read from the run-view cache carries every header other routes carry, CORS for browsers and the caller's request id", async () => {
    clock += 120_000
    const repo = await createRepo("api-run-headers")
    const started = (await (await req("POST", `/api/repos/${repo.id}/runs`)).json()) as { id: string }
    await waitRun(started.id)
    const first = await req("GET", `/api/runs/${started.id}`)
    const cached = await req("GET", `/api/runs/${started.id}`, undefined, { "x-request-id": "rid-cached" })
    const other = await req("GET", `/api/repos/${repo.id}`)
    const names = (r: Response) => [...r.headers.keys()].filter((n) => n !== "content-length").sort()
    expect(names(cached)).toEqual(names(other))
    expect(cached.headers.get("content-security-policy")).toBe(other.headers.get("content-security-policy"))
    expect(cached.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains")
    expect(cached.headers.get("vary")).toBe("Origin")
    expect(cached.headers.get("content-type")).toBe("application/json")
    expect(cached.headers.get("x-request-id")).toBe("rid-cached")
    expect(first.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
    expect(await cached.text()).toBe(await first.text())
    // a refused token never reaches the cache
    expect((await app.request(`/api/runs/${started.id}`, { headers: { authorization: "Bearer rat_nope" } })).status).toBe(401)
    const browser = await req("GET", `/api/runs/${started.id}`, undefined, { origin: "https://dash.example.com" })
    expect(browser.headers.get("access-control-allow-origin")).toBe("https://dash.example.com")
    expect(browser.headers.get("access-control-expose-headers")).toContain("X-Request-ID")
    expect(browser.headers.get("x-frame-options")).toBe("SAMEORIGIN")
    expect(browser.headers.get("vary")).toContain("Origin")
    expect(await browser.text()).toBe(await (await req("GET", `/api/runs/${started.id}`)).text())
  })

  it("runs: 202 queued, completes with stages and counts; proposal approval bound to content hash; artifact download", async () => {
    const repo = await createRepo("api-runs")
    const started = await req("POST", `/api/repos/${repo.id}/runs`)
    expect(started.status).toBe(202)
    const body = (await started.json()) as any
    expect(body).toMatchObject({ status: "queued" })
    expect(started.headers.get("location")).toBe(`/api/runs/${body.id}`)
    const run = await waitRun(body.id)
    expect(run.status).toBe("succeeded")
    expect(run.stages.map((s: any) => s.stage)).toEqual(["detect", "baseline", "scan", "patchgen", "validate", "package"])
    expect(run.counts.proposals).toBe(3)
    const listed = (await (await req("GET", `/api/repos/${repo.id}/runs`)).json()) as any
    expect(listed.items[0].id).toBe(body.id)
    expect((await req("GET", "/api/runs/run_missing")).status).toBe(404)
    expect((await req("POST", `/api/runs/${body.id}/cancel`)).status).toBe(409)

    const pid = run.proposals[0].id
    const proposal = (await (await req("GET", `/api/proposals/${pid}`)).json()) as any
    expect(proposal.contentHash).toMatch(/^[0-9a-f]{64}$/)
    const noHash = await req("POST", `/api/proposals/${pid}/approve`, { note: "ok" })
    expect(((await noHash.json()) as any).error.field).toBe("contentHash")
    const stale = await req("POST", `/api/proposals/${pid}/approve`, { contentHash: "a".repeat(64) })
    expect(stale.status).toBe(409)
    // the approver is who the token says: a client-supplied actor is refused, not recorded
    const spoofed = await req("POST", `/api/proposals/${pid}/approve`, { contentHash: proposal.contentHash, note: "lgtm", actor: "the-cto" })
    expect(spoofed.status).toBe(400)
    expect(((await spoofed.json()) as any).error.field).toBe("actor")
    const approved = await req("POST", `/api/proposals/${pid}/approve`, { contentHash: proposal.contentHash, note: "lgtm" })
    expect(approved.status).toBe(201)
    expect(await approved.json()).toMatchObject({ decision: "approved", actor: "RATCHET_TOKEN", tokenId: "tok_bootstrap_env", note: "lgtm", contentHash: proposal.contentHash })
    const changes = await req("POST", `/api/proposals/${run.proposals[1].id}/request-changes`, { note: "use a Set" })
    expect(((await changes.json()) as any).actor).toBe("RATCHET_TOKEN")
    expect((await req("POST", "/api/proposals/prop_missing/reject")).status).toBe(404)

    const metaRows = await runtime.runPromise(Effect.gen(function* () {
      const { SqlClient } = yield* Effect.promise(() => import("effect/sql/SqlClient"))
      const sql = yield* SqlClient
      return yield* sql<{ id: string; sha256: string }>`SELECT id, sha256 FROM artifacts WHERE proposal_id = ${pid}`
    }).pipe(Effect.orDie) as any) as Array<{ id: string; sha256: string }>
    const art = await req("GET", `/api/artifacts/${metaRows[0].id}`)
    expect(art.status).toBe(200)
    expect(art.headers.get("etag")).toBe(`"${metaRows[0].sha256}"`)
    expect(await art.text()).toContain("+++ b/")
    expect((await req("GET", "/api/artifacts/art_missing")).status).toBe(404)

    const budgets = (await (await req("GET", `/api/repos/${repo.id}/budgets`)).json()) as any
    expect(budgets.used.runs).toBe(1)
    expect(budgets.limits.computeMinutesPerDay).toBe(60)
  })

  it("rate-limits run creation with 429 and Retry-After", async () => {
    const repo = await createRepo("api-rate")
    clock += 120_000
    const statuses: Array<number> = []
    for (let i = 0; i < 4; i++) statuses.push((await req("POST", `/api/repos/${repo.id}/runs`)).status)
    expect(statuses).toEqual([202, 202, 202, 429])
    const limited = await req("POST", `/api/repos/${repo.id}/runs`)
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
    clock += 60_000
    expect((await req("POST", `/api/repos/${repo.id}/runs`)).status).toBe(202)
  })

  it("SSE streams a run's events in order and replays after Last-Event-ID", async () => {
    const repo = await createRepo("api-sse")
    clock += 120_000
    const { id } = (await (await req("POST", `/api/repos/${repo.id}/runs`)).json()) as any
    const res = await req("GET", `/api/runs/${id}/events`)
    expect(res.headers.get("content-type")).toContain("text/event-stream")
    const text = await res.text()
    const events = parseSse(text)
    expect(events[0].type).toBe("run.queued")
    expect(events.at(-1)?.type).toBe("run.succeeded")
    expect(events.filter((e) => e.type === "stage.completed").map((e) => e.data.stage)).toEqual(["detect", "baseline", "scan", "patchgen", "validate", "package"])
    const ids = events.map((e) => e.id)
    expect([...ids].sort((a, b) => a - b)).toEqual(ids)
    const cut = events[3].id
    const replay = await (await req("GET", `/api/runs/${id}/events`, undefined, { "last-event-id": String(cut) })).text()
    const replayIds = parseSse(replay).map((e) => e.id)
    expect(replayIds).toEqual(ids.filter((i) => i > cut))
    expect((await req("GET", "/api/runs/run_missing/events")).status).toBe(404)
  })

  it("logs one JSON record per request with request and trace ids and no secrets", async () => {
    logs.length = 0
    await app.request("/api/repos", { headers: { authorization: `Bearer ${token}`, traceparent: `00-${"ab".repeat(16)}-${"cd".repeat(8)}-01`, "x-request-id": "rid-1" } })
    expect(logs).toHaveLength(1)
    expect(logs[0]).toMatchObject({ msg: "request", requestId: "rid-1", traceId: "ab".repeat(16), status: 200, method: "GET", path: "/api/repos" })
    expect(JSON.stringify(logs)).not.toContain(token)
  })
})
