/**
 * Quotas per organisation and per token, on a test clock: each refuses with 429 naming the quota,
 * its scope and subject, its limit, what is used and when it resets (with `Retry-After`), and lets
 * the next request through once its window has restarted. `GET /api/usage` shows figures that add
 * up to the runs that produced them; run and proposal views carry what their run consumed.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { Store } from "../src/Store.js"
import { llmCall, makeTenantServer } from "./helpers/tenants.js"

// 2031-05-14 09:30 UTC: the day resets in 14.5 h, the month on 2031-06-01
const START = Date.UTC(2031, 4, 14, 9, 30)
const server = makeTenantServer({ start: START, candidates: 3 })
const { req, json, mkOrg, mkToken, mkRepo, runOnce, waitRun } = server

const meter = (effect: (s: Store["Service"]) => Effect.Effect<void, unknown>) =>
  server.onClock.runPromiseExit(Store.use(effect)).then((exit) => expect(exit._tag).toBe("Success"))

/** Starts a run and returns the response (not waiting for it). */
const start = (token: string, repo: string) => req(token, "POST", `/api/repos/${repo}/runs`)

/** Expects a 429 naming `quota`; returns the quota object of the body. */
const refused = async (res: Response, quota: string, scope: "organisation" | "token", subject: string) => {
  const text = await res.text()
  expect(res.status, text).toBe(429)
  const body = JSON.parse(text)
  expect(body.error.code).toBe("QuotaExceeded")
  expect(body.error.quota).toMatchObject({ name: quota, scope, subject })
  expect(body.error.message).toContain(quota)
  expect(body.error.message).toContain(String(body.error.quota.limit))
  return { ...body.error.quota, retryAfter: Number(res.headers.get("retry-after")) }
}

beforeAll(() => server.setup(), 60_000)
afterAll(() => server.dispose())

describe("quotas", () => {
  it("runsPerDay of an organisation: the run one too many gets 429 until 00:00 UTC, then runs start again", async () => {
    const org = await mkOrg("daily", { runsPerDay: 2 })
    const admin = await mkToken(org, { name: "admin" })
    const repo = await mkRepo(admin.token, "daily")
    await runOnce(admin.token, repo)
    await runOnce(admin.token, repo)
    const q = await refused(await start(admin.token, repo), "runsPerDay", "organisation", org)
    expect(q).toMatchObject({ limit: 2, used: 2, unit: "runs", resetsAt: "2031-05-15T00:00:00.000Z" })
    expect(q.retryAfter).toBe((Date.UTC(2031, 4, 15) - server.now()) / 1000)
    // another token of the organisation is bound too: the quota is the organisation's
    const other = await mkToken(org, { name: "other", scopes: ["read", "run"] }, admin.token)
    await refused(await start(other.token, repo), "runsPerDay", "organisation", org)
    // one second before midnight: still refused; at midnight: it resets
    await server.adjust(Date.UTC(2031, 4, 15) - server.now() - 1000)
    await refused(await start(admin.token, repo), "runsPerDay", "organisation", org)
    await server.adjust(1000)
    const again = await start(admin.token, repo)
    expect(again.status, await again.clone().text()).toBe(202)
    await waitRun(admin.token, (await json(again)).id)
    // usage shows the new day
    const usage = await json(await req(admin.token, "GET", "/api/usage"))
    expect(usage.organisation.quotas.find((x: { name: string }) => x.name === "runsPerDay")).toMatchObject({ limit: 2, used: 1, remaining: 1, resetsAt: "2031-05-16T00:00:00.000Z" })
    expect(usage.organisation.month.runs).toBe(3)
  })

  it("runsPerDay of a token binds that token only; the organisation's other tokens go on", async () => {
    const org = await mkOrg("per-token")
    const admin = await mkToken(org, { name: "admin" })
    const ci = await mkToken(org, { name: "ci", scopes: ["read", "run"], quotas: { runsPerDay: 1 } }, admin.token)
    const repo = await mkRepo(admin.token, "per-token")
    await runOnce(ci.token, repo)
    const q = await refused(await start(ci.token, repo), "runsPerDay", "token", ci.id)
    expect(q).toMatchObject({ limit: 1, used: 1 })
    await runOnce(admin.token, repo)
    // the administrator raises it: the next request goes through
    expect((await req(admin.token, "PATCH", `/api/tokens/${ci.id}`, { quotas: { runsPerDay: 2 } })).status).toBe(200)
    await runOnce(ci.token, repo)
    // and removing it lifts the limit
    expect((await req(admin.token, "PATCH", `/api/tokens/${ci.id}`, { quotas: { runsPerDay: null } })).status).toBe(200)
    await runOnce(ci.token, repo)
  })

  it("computeMinutesPerDay refuses once the day's metered compute reaches it, and resets at midnight", async () => {
    const org = await mkOrg("compute", { computeMinutesPerDay: 1 })
    const admin = await mkToken(org, { name: "admin" })
    const repo = await mkRepo(admin.token, "compute")
    const run = await runOnce(admin.token, repo)
    await start(admin.token, repo).then((r) => r.json()).then((r) => waitRun(admin.token, r.id))
    // a long stage: 61 s of sandbox time metered for the first run
    await meter((s) => s.meterCompute(run.id, 61_000))
    const q = await refused(await start(admin.token, repo), "computeMinutesPerDay", "organisation", org)
    expect(q.limit).toBe(1)
    expect(q.used).toBeGreaterThan(1)
    expect(q.unit).toBe("compute minutes")
    await server.adjust(Date.UTC(2031, 4, 16) - server.now())
    expect((await start(admin.token, repo)).status).toBe(202)
  })

  it("LLM token and money quotas refuse runs of a repository that uses a model, per day and per month", async () => {
    const org = await mkOrg("llm", { llmUsdPerDay: 0.5 })
    const admin = await mkToken(org, { name: "admin" })
    const bot = await mkToken(org, { name: "bot", scopes: ["read", "run"], quotas: { llmTokensPerMonth: 10_000 } }, admin.token)
    const repo = await mkRepo(admin.token, "llm")
    const plain = await mkRepo(admin.token, "templates-only")
    expect((await req(admin.token, "PATCH", `/api/repos/${repo}/settings`, { provider: "openai", model: "gpt-4o-mini" })).status).toBe(200)
    const run = await runOnce(bot.token, repo)
    await meter((s) => s.meterLlm(run.id, { provider: "openai", model: "gpt-4o-mini", inputTokens: 8_000, outputTokens: 2_000, costUsd: 0.12 }))
    // the bot's month is used up (10 000 tokens); the organisation's money is not
    const tokens = await refused(await start(bot.token, repo), "llmTokensPerMonth", "token", bot.id)
    expect(tokens).toMatchObject({ limit: 10_000, used: 10_000, resetsAt: "2031-06-01T00:00:00.000Z", unit: "LLM tokens" })
    // a repository without a model is not bound by LLM quotas
    expect((await start(bot.token, plain)).status).toBe(202)
    // the administrator's runs spend the organisation's money
    const big = await runOnce(admin.token, repo)
    await meter((s) => s.meterLlm(big.id, { provider: "anthropic", model: "claude", inputTokens: 100, outputTokens: 100, costUsd: 0.4 }))
    const usd = await refused(await start(admin.token, repo), "llmUsdPerDay", "organisation", org)
    expect(usd.limit).toBe(0.5)
    expect(usd.used).toBeCloseTo(0.52, 6)
    // next day: the money resets, the bot's monthly tokens do not
    await server.adjust(Date.UTC(2031, 4, 17) - server.now())
    expect((await start(admin.token, repo)).status).toBe(202)
    await refused(await start(bot.token, repo), "llmTokensPerMonth", "token", bot.id)
    // next month: they do
    await server.adjust(Date.UTC(2031, 5, 1) - server.now())
    expect((await start(bot.token, repo)).status).toBe(202)
  })

  it("proposalsPerRun of the token that started a run caps the proposals it packages", async () => {
    const org = await mkOrg("capped")
    const admin = await mkToken(org, { name: "admin" })
    const one = await mkToken(org, { name: "one", scopes: ["read", "run"], quotas: { proposalsPerRun: 1 } }, admin.token)
    const repo = await mkRepo(admin.token, "capped")
    const uncapped = await runOnce(admin.token, repo)
    expect(uncapped.proposals.length).toBe(3)
    const capped = await runOnce(one.token, repo)
    expect(capped.proposals.length).toBe(1)
    const events = await server.runtime.runPromise(Store.use((s) => s.eventsAfter(capped.id, 0)))
    expect(events.find((e) => e.type === "quota.applied")?.data).toMatchObject({ quota: "proposalsPerRun", scope: "token", limit: 1 })
  })

  it("quotas are validated: unknown names, negative or fractional counts are 400 naming the field", async () => {
    for (const [quotas, field] of [
      [{ coffeePerDay: 1 }, "quotas.coffeePerDay"],
      [{ runsPerDay: -1 }, "quotas.runsPerDay"],
      [{ runsPerDay: 1.5 }, "quotas.runsPerDay"],
      [{ llmUsdPerDay: "5" }, "quotas.llmUsdPerDay"],
      [[1], "quotas"]
    ] as const) {
      const res = await req(server.rootToken, "POST", "/api/orgs", { name: `bad-${field.length}-${Math.random().toString(36).slice(2, 6)}`, quotas })
      expect(res.status).toBe(400)
      expect((await json(res)).error.field).toBe(field)
    }
  })
})

describe("usage", () => {
  it("GET /api/usage adds up to the runs that produced it, by organisation, token and repository; run and proposal views carry their run's consumption", async () => {
    const org = await mkOrg("metered")
    const admin = await mkToken(org, { name: "admin" })
    const ci = await mkToken(org, { name: "ci", scopes: ["read", "run"] }, admin.token)
    const r1 = await mkRepo(admin.token, "metered-one")
    const r2 = await mkRepo(admin.token, "metered-two")
    const runs = [await runOnce(ci.token, r1, admin.token), await runOnce(ci.token, r2, admin.token), await runOnce(admin.token, r1)]
    await meter((s) => s.meterLlm(runs[0].id, { provider: "openai", model: "gpt-4o-mini", inputTokens: 1200, outputTokens: 300, costUsd: 0.0105 }))
    await meter((s) => s.meterLlm(runs[0].id, { provider: "openai", model: "gpt-4o-mini", inputTokens: 800, outputTokens: 200, costUsd: 0.007 }))
    await meter((s) => s.meterLlm(runs[2].id, { provider: "google", model: "gemini", inputTokens: 10, outputTokens: 5, costUsd: 0.001 }))
    const views = await Promise.all(runs.map(async (r) => json(await req(admin.token, "GET", `/api/runs/${r.id}`))))
    // every run was metered: one compute record per stage
    for (const v of views) expect(v.usage.computeMs).toBeGreaterThan(0)
    expect(views[0].usage).toMatchObject({ llmCalls: 2, inputTokens: 2000, outputTokens: 500 })
    expect(views[0].usage.costUsd).toBeCloseTo(0.0175, 9)
    const sum = (f: (u: any) => number, of = views) => of.reduce((n, v) => n + f(v.usage), 0)
    const minutes = (ms: number) => Math.round((ms / 60_000) * 1000) / 1000

    const usage = await json(await req(admin.token, "GET", "/api/usage"))
    expect(usage.organisation.id).toBe(org)
    expect(usage.organisation.today).toMatchObject({
      runs: 3,
      llmCalls: 3,
      inputTokens: 2010,
      outputTokens: 505,
      llmTokens: 2515,
      computeMinutes: minutes(sum((u) => u.computeMs))
    })
    expect(usage.organisation.today.costUsd).toBeCloseTo(0.0185, 9)
    expect(usage.organisation.month).toMatchObject({ runs: 3, llmCalls: 3 })
    // the caller's own token started one run
    expect(usage.token).toMatchObject({ id: admin.id, today: { runs: 1, llmCalls: 1 } })
    const byToken = Object.fromEntries(usage.byToken.map((g: any) => [g.id, g]))
    expect(byToken[ci.id]).toMatchObject({ name: "ci", runs: 2, llmCalls: 2, computeMinutes: minutes(sum((u) => u.computeMs, views.slice(0, 2))) })
    expect(byToken[admin.id]).toMatchObject({ name: "admin", runs: 1, llmCalls: 1 })
    const byRepo = Object.fromEntries(usage.byRepository.map((g: any) => [g.id, g]))
    expect(byRepo[r1]).toMatchObject({ name: "metered-one", runs: 2, llmCalls: 3, inputTokens: 2010 })
    expect(byRepo[r2]).toMatchObject({ name: "metered-two", runs: 1, llmCalls: 0, computeMinutes: minutes(views[1].usage.computeMs) })
    // the ci token reads its own figures
    const own = await json(await req(ci.token, "GET", "/api/usage"))
    expect(own.token).toMatchObject({ id: ci.id, today: { runs: 2, llmCalls: 2 } })
    // a proposal shows what its run consumed
    const prop = await json(await req(admin.token, "GET", `/api/proposals/${views[0].proposals[0].id}`))
    expect(prop.cost.run).toMatchObject({ llmCalls: 2, inputTokens: 2000, outputTokens: 500 })
    // another organisation's usage is its own: nothing of this one
    const stranger = await mkToken(await mkOrg("stranger"), { name: "s" })
    const theirs = await json(await req(stranger.token, "GET", "/api/usage"))
    expect(theirs.organisation.today.runs).toBe(0)
    expect(JSON.stringify(theirs)).not.toContain(org)
  })

  it("the dashboard shows usage and quotas, and a run's cost", async () => {
    const org = await mkOrg("seen", { runsPerDay: 50 })
    const admin = await mkToken(org, { name: "admin" })
    const repo = await mkRepo(admin.token, "seen")
    const run = await runOnce(admin.token, repo)
    await meter((s) => s.meterLlm(run.id, { provider: "openai", model: "gpt-4o-mini", inputTokens: 1000, outputTokens: 1000, costUsd: 0.25 }))
    const { dashboardClient } = await import("./helpers/tenants.js")
    const browser = dashboardClient(server)
    expect((await browser.signIn(admin.token)).status).toBe(303)
    const page = await browser.get("/dashboard/usage")
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain("runsPerDay")
    expect(html).toContain("$0.25")
    const runPage = await (await browser.get(`/dashboard/runs/${run.id}`)).text()
    expect(runPage).toContain("$0.25")
  })
})

describe("LLM metering from the agent", () => {
  // the agent reports two calls, with the usage and cost the providers answered
  const calls = [
    llmCall(0, { provider: "openai", model: "gpt-4o-mini", inputTokens: 3000, outputTokens: 400, costUsd: 0.0021 }),
    llmCall(1, { provider: "openai", model: "gpt-4o-mini", inputTokens: 5000, outputTokens: 1200, costUsd: 0.00447 })
  ]
  const withAgent = makeTenantServer({ start: START, llm: calls })
  beforeAll(() => withAgent.setup(), 60_000)
  afterAll(() => withAgent.dispose())

  it("records each call of a run's agent per run, repository, organisation and token, and the LLM quotas then bind", async () => {
    const org = await withAgent.mkOrg("agents", { llmUsdPerDay: 0.01 })
    const admin = await withAgent.mkToken(org, { name: "admin" })
    const repo = await withAgent.mkRepo(admin.token, "agents")
    expect((await withAgent.req(admin.token, "PATCH", `/api/repos/${repo}/settings`, { provider: "openai", model: "gpt-4o-mini" })).status).toBe(200)
    const run = await withAgent.runOnce(admin.token, repo)
    expect(run.status).toBe("succeeded")
    expect(run.usage).toMatchObject({ llmCalls: 2, inputTokens: 8000, outputTokens: 1600 })
    expect(run.usage.costUsd).toBeCloseTo(0.00657, 9)
    const usage = await withAgent.json(await withAgent.req(admin.token, "GET", "/api/usage"))
    expect(usage.organisation.today).toMatchObject({ runs: 1, llmCalls: 2, llmTokens: 9600 })
    expect(usage.token.today).toMatchObject({ llmCalls: 2 })
    expect(usage.byRepository[0]).toMatchObject({ id: repo, llmCalls: 2 })
    // a second run spends as much again: 0.01314 > 0.01, so the third is refused
    await withAgent.runOnce(admin.token, repo)
    const res = await withAgent.req(admin.token, "POST", `/api/repos/${repo}/runs`)
    expect(res.status).toBe(429)
    expect((await withAgent.json(res)).error.quota).toMatchObject({ name: "llmUsdPerDay", limit: 0.01 })
  })
})

describe("an LLM quota used up while a run is under way", () => {
  const calls = [llmCall(0, { provider: "anthropic", model: "claude-haiku", inputTokens: 100, outputTokens: 10, costUsd: 0.0001 })]
  // slow stages: the quota changes before the run reaches its agent
  const slow = makeTenantServer({ start: START, llm: calls, stageDelayMs: 400 })
  beforeAll(() => slow.setup(), 60_000)
  afterAll(() => slow.dispose())

  it("stops the agent before its next model call, naming the quota; the run itself finishes", async () => {
    const org = await slow.mkOrg("mid-run")
    const admin = await slow.mkToken(org, { name: "admin" })
    const ci = await slow.mkToken(org, { name: "ci", scopes: ["read", "run"] }, admin.token)
    const repo = await slow.mkRepo(admin.token, "mid-run")
    expect((await slow.req(admin.token, "PATCH", `/api/repos/${repo}/settings`, { provider: "anthropic", model: "claude-haiku" })).status).toBe(200)
    const started = await slow.req(ci.token, "POST", `/api/repos/${repo}/runs`)
    expect(started.status).toBe(202)
    expect((await slow.req(admin.token, "PATCH", `/api/tokens/${ci.id}`, { quotas: { llmTokensPerDay: 0 } })).status).toBe(200)
    const run = await slow.waitRun(admin.token, (await slow.json(started)).id)
    expect(run.status).toBe("succeeded")
    expect(run.usage.llmCalls).toBe(0)
    const summary = await slow.runtime.runPromise(Effect.gen(function* () {
      const sql = yield* SqlClient
      return yield* sql<{ content: Uint8Array }>`SELECT content FROM artifacts WHERE run_id = ${run.id} AND name = 'llm-summary.json'`
    }))
    expect(JSON.parse(new TextDecoder().decode(summary[0]!.content)).stopped).toContain("llmTokensPerDay")
  })
})
