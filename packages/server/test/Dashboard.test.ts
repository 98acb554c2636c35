/**
 * The dashboard through `app.request()`: sign-in and sessions (wrong, expired and signed-out
 * sessions refused), CSRF (a form without the token, or from another origin, changes nothing),
 * the pages on the same store as the API, the strict CSP (no inline script or style anywhere),
 * the diff viewer and the benchmark chart, decisions bound to the content hash, audio summaries.
 * The real-browser flow is in `dashboard.browser.test.ts`.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, realpathSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, ManagedRuntime } from "effect"
import * as Dashboard from "../src/Dashboard.js"
import { parseDiff } from "../src/internal/dashboard/diff.js"
import * as Server from "../src/Server.js"
import { Pipeline } from "@ratchet/core"
import { Store } from "../src/Store.js"

const runtime = ManagedRuntime.make(Server.layer({ dataDir: "memory://", stages: Pipeline.Stages.layerTest({ delay: Duration.millis(5) }), scheduler: false }))
const token = "rat_dashboard_test_token_0123456789"
const origin = "http://localhost"
/** Local repositories may be connected only under this root (the API's allow-list, shared by the dashboard). */
const repoRoot = realpathSync(mkdtempSync(join(tmpdir(), "ratchet-dashboard-repos-")))
/** A git work tree named `name` under the allowed root (created once). */
const repoAt = (name: string): string => {
  const dir = join(repoRoot, name)
  mkdirSync(dir, { recursive: true })
  execFileSync("git", ["init", "-q", dir])
  return dir
}
/** Names resolve as a test says: `internal.example` to a private address, anything else to a public one. */
const resolve = async (host: string) => [{ address: host === "internal.example" ? "10.1.2.3" : "93.184.216.34", family: 4 as const }]
const admission = { repoRoots: [repoRoot], resolve }
const app = Dashboard.make(runtime, { log: () => {}, ssePollMs: 20, espeak: "/nonexistent/espeak-ng", signInsPerMinute: 1000, ...admission })
const shortLived = Dashboard.make(runtime, { log: () => {}, sessionTtlMs: 1500, ...admission })
const guarded = Dashboard.make(runtime, { log: () => {}, signInsPerMinute: 3, ...admission })
const hasEspeak = spawnSync("espeak-ng", ["--version"]).status === 0
const withEspeak = Dashboard.make(runtime, { log: () => {}, ...admission })

beforeAll(async () => {
  await runtime.runPromise(Store.use((s) => s.bootstrap(token)))
}, 60_000)
afterAll(() => runtime.dispose())

type App = ReturnType<typeof Dashboard.make>

/** Cookies of a Set-Cookie list as a Cookie header value, merged into `jar`. */
const keep = (jar: Map<string, string>, res: Response) => {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(";")
    const eq = pair.indexOf("=")
    const name = pair.slice(0, eq)
    const value = pair.slice(eq + 1)
    if (value === "" || /max-age=0/i.test(line)) jar.delete(name)
    else jar.set(name, value)
  }
}
const cookieHeader = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join("; ")

/** A browser-like client: a cookie jar, same-origin headers on posts. */
const client = (target: App = app) => {
  const jar = new Map<string, string>()
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await target.request(path, { headers: { cookie: cookieHeader(jar), accept: "text/html", ...headers } })
    keep(jar, res)
    return res
  }
  const post = async (path: string, form: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await target.request(path, {
      method: "POST",
      headers: { cookie: cookieHeader(jar), "content-type": "application/x-www-form-urlencoded", origin, "sec-fetch-site": "same-origin", ...headers },
      body: new URLSearchParams(form).toString()
    })
    keep(jar, res)
    return res
  }
  return { jar, get, post }
}

const field = (html: string, name: string): string => {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html)
  if (m === null) throw new Error(`no field ${name} in the page`)
  return m[1]
}

const signIn = async (target: App = app) => {
  const c = client(target)
  const login = await c.get("/dashboard/login")
  const res = await c.post("/dashboard/login", { _csrf: field(await login.text(), "_csrf"), token, next: "/dashboard/" })
  expect(res.status).toBe(303)
  const home = await c.get("/dashboard/")
  expect(home.status).toBe(200)
  const csrf = field(await home.text(), "_csrf")
  return { ...c, csrf }
}

const waitRun = async (id: string) => {
  for (let i = 0; i < 400; i++) {
    const run = await runtime.runPromise(Store.use((s) => s.getRun(null, id)))
    if (["succeeded", "failed", "cancelled"].includes(run.status)) return run
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`run ${id} did not finish`)
}

/** Checks that a page obeys the strict CSP: no inline script, no style attribute or element, no external URL. */
const expectStrictPage = (html: string) => {
  expect(html).not.toMatch(/<script(?![^>]*\bsrc="\/dashboard\/assets\/)[^>]*>/)
  expect(html).not.toMatch(/\sstyle="/)
  expect(html).not.toMatch(/<style/)
  expect(html).not.toMatch(/(src|href)="https?:/)
  // every visible form control has a label (keyboard and screen-reader users)
  const labelled = new Set([...html.matchAll(/<label for="([^"]+)"/g)].map((m) => m[1]))
  for (const control of html.matchAll(/<(input|select|textarea)\b([^>]*)>/g)) {
    if (/type="hidden"/.test(control[2])) continue
    const id = /\bid="([^"]+)"/.exec(control[2])?.[1]
    expect(id !== undefined && labelled.has(id), `unlabelled ${control[0]}`).toBe(true)
  }
}

describe("Dashboard: sign-in, sessions and CSRF", () => {
  it("sends a visitor without a session to the sign-in page, which has a strict CSP", async () => {
    const c = client()
    const home = await c.get("/dashboard/proposals?status=all")
    expect(home.status).toBe(303)
    expect(home.headers.get("location")).toBe("/dashboard/login?next=%2Fdashboard%2Fproposals%3Fstatus%3Dall")
    const login = await c.get("/dashboard/login")
    expect(login.status).toBe(200)
    const csp = login.headers.get("content-security-policy") ?? ""
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("style-src 'self'")
    expect(csp).not.toContain("unsafe-inline")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(login.headers.get("cache-control")).toBe("no-store")
    expectStrictPage(await login.text())
  })

  it("refuses a wrong token, and a sign-in form without its token", async () => {
    const c = client()
    const html = await (await c.get("/dashboard/login")).text()
    const wrong = await c.post("/dashboard/login", { _csrf: field(html, "_csrf"), token: "rat_not_a_token_at_all" })
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).toContain("Unknown or revoked token")
    expect(c.jar.has("ratchet_session")).toBe(false)
    const noCsrf = await c.post("/dashboard/login", { token })
    expect(noCsrf.status).toBe(403)
    expect(c.jar.has("ratchet_session")).toBe(false)
  })

  it("limits sign-in attempts per client address", async () => {
    const c = client(guarded)
    const html = await (await c.get("/dashboard/login")).text()
    const statuses: Array<number> = []
    for (let i = 0; i < 4; i++) statuses.push((await c.post("/dashboard/login", { _csrf: field(html, "_csrf"), token: "rat_wrong_000000000000" })).status)
    expect(statuses).toEqual([401, 401, 401, 429])
    const limited = await c.post("/dashboard/login", { _csrf: field(html, "_csrf"), token })
    expect(limited.status).toBe(429)
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/)
    expect(await limited.text()).toContain("Too many sign-in attempts")
    expect(c.jar.has("ratchet_session")).toBe(false)
  })

  it("opens an HttpOnly, SameSite=Strict session and returns to the page asked for, never to another site", async () => {
    const c = client()
    const html = await (await c.get("/dashboard/login")).text()
    const res = await c.post("/dashboard/login", { _csrf: field(html, "_csrf"), token, next: "//evil.example/x" })
    expect(res.status).toBe(303)
    expect(res.headers.get("location")).toBe("/dashboard/")
    const cookie = res.headers.getSetCookie().find((l) => l.startsWith("ratchet_session="))
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    expect(cookie).toMatch(/Path=\/dashboard/)
    const home = await c.get("/dashboard/")
    expect(home.status).toBe(200)
    const text = await home.text()
    expect(text).toContain("Signed in with token")
    expectStrictPage(text)
  })

  it("refuses a made-up session cookie", async () => {
    const c = client()
    c.jar.set("ratchet_session", "A".repeat(43))
    const page = await c.get("/dashboard/")
    expect(page.status).toBe(303)
    expect(page.headers.get("location")).toContain("reason=expired")
    c.jar.set("ratchet_session", "A".repeat(43))
    const post = await c.post("/dashboard/repos", { _csrf: "x", name: "nope", location: repoAt("nope") })
    expect(post.status).toBe(401)
    const repos = await runtime.runPromise(Store.use((s) => s.listRepos("org_default")))
    expect(repos.some((r) => r.name === "nope")).toBe(false)
  })

  it("refuses an expired session", async () => {
    const c = await signIn(shortLived)
    await new Promise((r) => setTimeout(r, 1600))
    const page = await c.get("/dashboard/repos")
    expect(page.status).toBe(303)
    expect(page.headers.get("location")).toMatch(/^\/dashboard\/login\?next=%2Fdashboard%2Frepos&reason=expired$/)
  })

  it("refuses the old cookie after signing out", async () => {
    const c = await signIn()
    const old = c.jar.get("ratchet_session")!
    const out = await c.post("/dashboard/logout", { _csrf: c.csrf })
    expect(out.status).toBe(303)
    expect(c.jar.has("ratchet_session")).toBe(false)
    c.jar.set("ratchet_session", old)
    expect((await c.get("/dashboard/")).status).toBe(303)
  })

  it("refuses a form without the CSRF token, with a wrong one, and from another origin; nothing changes", async () => {
    const c = await signIn()
    const missing = await c.post("/dashboard/repos", { name: "csrf-missing", location: repoAt("csrf-missing") })
    expect(missing.status).toBe(403)
    expect(await missing.text()).toContain("security token")
    const wrong = await c.post("/dashboard/repos", { _csrf: "wrong", name: "csrf-wrong", location: repoAt("csrf-wrong") })
    expect(wrong.status).toBe(403)
    const crossSite = await c.post("/dashboard/repos", { _csrf: c.csrf, name: "csrf-cross", location: repoAt("csrf-cross") }, { origin: "https://evil.example", "sec-fetch-site": "cross-site" })
    expect(crossSite.status).toBe(403)
    const repos = await runtime.runPromise(Store.use((s) => s.listRepos("org_default")))
    expect(repos.filter((r) => r.name.startsWith("csrf-"))).toEqual([])
    const ok = await c.post("/dashboard/repos", { _csrf: c.csrf, name: "csrf-ok", location: repoAt("csrf-ok") })
    expect(ok.status).toBe(303)
  })
})

describe("Dashboard: repositories", () => {
  it("adds a repository with the API's validation and shows its errors next to the fields", async () => {
    const c = await signIn()
    const badName = await c.post("/dashboard/repos", { _csrf: c.csrf, name: "no spaces", location: repoAt("x") })
    expect(badName.status).toBe(400)
    const badHtml = await badName.text()
    expect(badHtml).toContain("1-100 characters of letters")
    expect(badHtml).toContain('value="no spaces"')
    const relative = await c.post("/dashboard/repos", { _csrf: c.csrf, name: "rel", location: "srv/x" })
    expect(relative.status).toBe(400)
    expect(await relative.text()).toContain("not a URL")
    const privateUrl = await c.post("/dashboard/repos", { _csrf: c.csrf, name: "priv", location: "https://127.0.0.1/x.git" })
    expect(privateUrl.status).toBe(400)
    expect(await privateUrl.text()).toContain("private, loopback or link-local")
    const added = await c.post("/dashboard/repos", { _csrf: c.csrf, name: "shop", location: repoAt("shop"), defaultBranch: "trunk" })
    expect(added.status).toBe(303)
    expect(added.headers.get("location")).toMatch(/^\/dashboard\/repos\/repo_[\w-]+\?notice=added$/)
    const dup = await c.post("/dashboard/repos", { _csrf: c.csrf, name: "shop", location: repoAt("shop2") })
    expect(dup.status).toBe(409)
    expect(await dup.text()).toContain("already exists")
    const repo = (await runtime.runPromise(Store.use((s) => s.listRepos("org_default")))).find((r) => r.name === "shop")!
    expect(repo.path).toBe(repoAt("shop"))
    expect(repo.defaultBranch).toBe("trunk")
    const list = await (await c.get("/dashboard/repos")).text()
    expect(list).toContain("shop")
    expectStrictPage(list)
  })

  it("admits repositories exactly as the API does: the local-path allow-list and the SSRF check by resolved address", async () => {
    const c = await signIn()
    const outside = mkdtempSync(join(tmpdir(), "ratchet-dashboard-outside-"))
    execFileSync("git", ["init", "-q", outside])
    const cases: ReadonlyArray<readonly [string, string, string]> = [
      ["etc", "/etc", "outside the allowed repository roots"],
      ["outside", outside, "outside the allowed repository roots"],
      ["missing", join(repoRoot, "does-not-exist"), "does not exist"],
      ["escape", join(repoRoot, "..", "..", "etc"), "outside the allowed repository roots"],
      ["internal", "https://internal.example/acme/x.git", "10.1.2.3"]
    ]
    for (const [name, location, why] of cases) {
      const res = await c.post("/dashboard/repos", { _csrf: c.csrf, name: `admit-${name}`, location })
      expect(res.status, location).toBe(400)
      expect(await res.text(), location).toContain(why)
    }
    mkdirSync(join(repoRoot, "not-git"))
    const notGit = await c.post("/dashboard/repos", { _csrf: c.csrf, name: "admit-not-git", location: join(repoRoot, "not-git") })
    expect(notGit.status).toBe(400)
    expect(await notGit.text()).toContain("not a git work tree")
    const repos = await runtime.runPromise(Store.use((s) => s.listRepos("org_default")))
    expect(repos.filter((r) => r.name.startsWith("admit-"))).toEqual([])
    const publicUrl = await c.post("/dashboard/repos", { _csrf: c.csrf, name: "admit-public", location: "https://git.example/acme/x.git" })
    expect(publicUrl.status).toBe(303)
    const noRoots = await signIn(Dashboard.make(runtime, { log: () => {}, signInsPerMinute: 1000, resolve }))
    const refused = await noRoots.post("/dashboard/repos", { _csrf: noRoots.csrf, name: "admit-no-roots", location: repoAt("admit-no-roots") })
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain("local paths are not enabled on this server")
  })

  it("saves settings through the API's validation; a bad cron names the field; pause and resume", async () => {
    const c = await signIn()
    const created = await c.post("/dashboard/repos", { _csrf: c.csrf, name: "settings-repo", location: repoAt("settings-repo") })
    const path = created.headers.get("location")!.split("?")[0]
    const id = path.split("/").pop()!
    const base = { _csrf: c.csrf, timezone: "Europe/Paris", computeMinutesPerDay: "45", candidatesPerRun: "4", proposalsPerRun: "2", maxSetupFailures: "3", provider: "", model: "", maxFiles: "", maxLines: "" }
    const bad = await c.post(`${path}/settings`, { ...base, schedule: "every night" })
    expect(bad.status).toBe(400)
    const badHtml = await bad.text()
    expect(badHtml).toMatch(/id="schedule-error"[^>]*>not a cron expression/)
    expect(badHtml).toContain('value="every night"')
    const badBudget = await c.post(`${path}/settings`, { ...base, schedule: "", candidatesPerRun: "many" })
    expect(badBudget.status).toBe(400)
    expect(await badBudget.text()).toMatch(/id="candidatesPerRun-error"[^>]*>must be an integer from 0 to 1000/)
    const badLimit = await c.post(`${path}/settings`, { ...base, schedule: "", maxLines: "0" })
    expect(badLimit.status).toBe(400)
    expect(await badLimit.text()).toMatch(/id="maxLines-error"[^>]*>must be null/)
    const ok = await c.post(`${path}/settings`, { ...base, schedule: "0 2 * * *", provider: "anthropic", model: "claude-sonnet-4-5", maxFiles: "2", maxLines: "" })
    expect(ok.status).toBe(303)
    const repo = await runtime.runPromise(Store.use((s) => s.getRepo(null, id)))
    expect(repo.settings).toMatchObject({ schedule: "0 2 * * *", timezone: "Europe/Paris", provider: "anthropic", model: "claude-sonnet-4-5", budgets: { computeMinutesPerDay: 45, candidatesPerRun: 4, proposalsPerRun: 2 }, policy: { maxFiles: 2, maxLines: null } })
    // the LLM agent's budgets: an empty field is no limit, a bad one is named, decimals are US$
    const badLlm = await c.post(`${path}/settings`, { ...base, schedule: "", llmUsdPerDay: "lots" })
    expect(badLlm.status).toBe(400)
    expect(await badLlm.text()).toMatch(/id="llmUsdPerDay-error"[^>]*>must be null \(no limit\) or US dollars/)
    const llm = await c.post(`${path}/settings`, { ...base, schedule: "0 2 * * *", provider: "anthropic", model: "claude-sonnet-4-5", maxFiles: "2", llmUsdPerRun: "0.5", llmUsdPerDay: "", llmTokensPerRun: "", llmTokensPerDay: "200000" })
    expect(llm.status).toBe(303)
    const withLlm = await runtime.runPromise(Store.use((s) => s.getRepo(null, id)))
    expect(withLlm.settings.budgets).toMatchObject({ computeMinutesPerDay: 45, llmUsdPerRun: 0.5, llmUsdPerDay: null, llmTokensPerRun: null, llmTokensPerDay: 200000 })
    const page = await (await c.get(path)).text()
    expectStrictPage(page)
    expectStrictPage(await (await c.get("/dashboard/repos/new")).text())
    expect(page).toMatch(/id="llmUsdPerRun"[^>]*value="0.5"/)
    expect(page).toMatch(/id="llmTokensPerDay"[^>]*value="200000"/)
    expect(page).toContain("Europe/Paris")
    expect(page).toMatch(/Next scheduled[\s\S]*in \d+ (min|h)/)
    expect((await c.post(`${path}/pause`, { _csrf: c.csrf })).status).toBe(303)
    expect((await runtime.runPromise(Store.use((s) => s.getRepo(null, id)))).settings.paused).toBe(true)
    const refused = await c.post(`${path}/runs`, { _csrf: c.csrf })
    expect(refused.status).toBe(409)
    expect(await refused.text()).toContain("paused")
    expect((await c.post(`${path}/resume`, { _csrf: c.csrf })).status).toBe(303)
    expect((await runtime.runPromise(Store.use((s) => s.getRepo(null, id)))).settings.paused).toBe(false)
  })

  it("shows a repository's prompted tasks: the request, where it came from, the decision and its reason", async () => {
    const c = await signIn()
    const created = await c.post("/dashboard/repos", { _csrf: c.csrf, name: "tasks-repo", location: repoAt("tasks-repo") })
    const path = created.headers.get("location")!.split("?")[0]!
    const id = path.split("/").pop()!
    expect(await (await c.get(path)).text()).toContain("No tasks yet")
    await runtime.runPromise(
      Store.use((s) =>
        Effect.gen(function* () {
          const repo = yield* s.getRepo(null, id)
          const source = { via: "label" as const, connectorId: null, deliveryId: null, repo: "octo/tasks", issue: 7, commentId: null, sender: "mona" }
          const task = yield* s.createTask({ orgId: repo.orgId, repoId: id, instruction: "Rewrite the build in <script>Rust</script>\nall of it", paths: [], source })
          yield* s.moveTask(task.id, ["queued"], "planning")
          yield* s.moveTask(task.id, ["planning"], "no-go", { decision: { verdict: "NO-GO", reasons: ["too large: the plan touches 40 files (the limit is 5)"], question: null } })
          yield* s.createTask({ orgId: repo.orgId, repoId: id, instruction: "Fix the typo", paths: [], source: { ...source, via: "api", repo: null, issue: null, sender: null } })
        })
      )
    )
    const page = await (await c.get(path)).text()
    expectStrictPage(page)
    expect(page).toMatch(/<h2 id="tasks-h">Tasks<\/h2>/)
    // the request is escaped, first line only
    expect(page).toContain("Rewrite the build in &lt;script&gt;Rust&lt;/script&gt;")
    expect(page).not.toContain("all of it")
    expect(page).toContain("label on octo/tasks#7 by @mona")
    expect(page).toMatch(/class="pill failed">no go</)
    expect(page).toContain("too large: the plan touches 40 files (the limit is 5)")
    expect(page).toMatch(/Fix the typo<div class="sub">API</)
    expect(page).toMatch(/class="pill queued">queued</)
  })
})

describe("Dashboard: runs and proposals", () => {
  it("starts a run, shows its timeline, streams its events with the session cookie, and lists its proposals", async () => {
    const c = await signIn()
    const created = await c.post("/dashboard/repos", { _csrf: c.csrf, name: "run-repo", location: repoAt("run-repo") })
    const path = created.headers.get("location")!.split("?")[0]
    const started = await c.post(`${path}/runs`, { _csrf: c.csrf })
    expect(started.status).toBe(303)
    const runPath = started.headers.get("location")!.split("?")[0]
    const runId = runPath.split("/").pop()!
    const run = await waitRun(runId)
    expect(run.status).toBe("succeeded")
    const page = await (await c.get(runPath)).text()
    expectStrictPage(page)
    for (const stage of ["detect", "baseline", "scan", "patchgen", "validate", "package"]) {
      expect(page).toContain(`data-stage="${stage}" data-status="succeeded"`)
    }
    expect(page).toContain("tests pass") // the fake attempts' reason
    const live = await c.get(`${runPath}/live`)
    expect(live.status).toBe(200)
    expect(await live.text()).toContain('data-stage="package" data-status="succeeded"')
    const events = await c.get(`${runPath}/events`, { accept: "text/event-stream" })
    expect(events.headers.get("content-type")).toContain("text/event-stream")
    const stream = await events.text()
    expect(stream).toContain("event: run.queued")
    expect(stream).toContain("event: stage.completed")
    expect(stream).toContain("event: run.succeeded")
    const other = client()
    expect((await other.get(`${runPath}/events`, { accept: "text/event-stream" })).status).toBe(401)
    const inbox = await (await c.get("/dashboard/proposals")).text()
    expect(inbox).toContain("Speed up src/f0.ts")
    expectStrictPage(inbox)
  })

  it("shows a proposal with its chart and highlighted diff, and binds approval to the content hash", async () => {
    const c = await signIn()
    const created = await c.post("/dashboard/repos", { _csrf: c.csrf, name: "judge-repo", location: repoAt("judge-repo") })
    const repoId = created.headers.get("location")!.split("?")[0].split("/").pop()!
    const run = await runtime.runPromise(Store.use((s) => s.createRun(repoId, "test")))
    const diff = [
      "diff --git a/src/search.ts b/src/search.ts",
      "--- a/src/search.ts",
      "+++ b/src/search.ts",
      "@@ -1,3 +1,5 @@",
      "+const RE = new RegExp(\"^\\\\s*(#|//)\")",
      "+",
      " export function commentLines(lines: ReadonlyArray<string>): Array<string> {",
      "-  return lines.filter((line) => new RegExp(\"^\\\\s*(#|//)\").test(line))",
      "+  return lines.filter((line) => RE.test(line))",
      " }",
      ""
    ].join("\n")
    const proposal = await runtime.runPromise(Store.use((s) => s.addProposal({
      id: `prop_judge_${run.id}`,
      runId: run.id,
      repoId,
      title: "Hoist a constant RegExp (src/search.ts:2)",
      data: {
        id: "p1", title: "Hoist a constant RegExp (src/search.ts:2)", summary: "The regex is rebuilt on every call.", kind: "performance",
        files: ["src/search.ts"], diff,
        tests: { passed: 13, failed: 0, skipped: 0, runner: "node:test", tests: [{ name: "commentLines > finds comments", status: "passed" }] },
        benchmark: { name: "commentLines", baselineMedianNs: 258138, candidateMedianNs: 42411, change: -0.8357, ciLow: -0.8835, ciHigh: -0.7368, pValue: 0.0022, samples: 6, baselineSamplesNs: [299757, 266718, 249558, 303128, 169979, 251000], candidateSamplesNs: [39289, 24501, 47010, 48993, 37626, 44000] },
        policy: [], risk: "low", confidence: 0.95,
        trace: [{ id: "a1", source: "template:regexp-hoist", rule: "regexp-hoist", status: "accepted", reason: "accepted: faster beyond noise" }],
        thinking: { model: "scripted-model", reasoning: "The regex is constant.", inputTokens: 1200, outputTokens: 340, costUsd: 0.0042 }
      }
    })))
    const path = `/dashboard/proposals/${proposal.id}`
    const html = await (await c.get(path)).text()
    expectStrictPage(html)
    expect(html).toContain("−83.6%")
    // the chart (a wide and a phone layout): one dot per sample, the CI bar, an accessible description
    expect(html.match(/class="dot before"/g)).toHaveLength(12)
    expect(html.match(/class="dot after"/g)).toHaveLength(12)
    expect(html).toContain('class="ci good"')
    expect(html).toMatch(/<desc id="bench-d">commentLines: median 258 µs before and 42.4 µs after/)
    // the diff: side by side and unified, highlighted with classes, changed words marked
    expect(html).toContain('class="diff-scroll split"')
    expect(html).toContain('class="diff-scroll unified"')
    expect(html).toMatch(/<span class="l[0-9a-f]{6} d[0-9a-f]{6}">const<\/span>/)
    expect(html).toMatch(/class="[^"]*wc[^"]*">RE/)
    expect(html).toContain(`value="${proposal.contentHash}"`)
    expect(html).toContain("Model reasoning (scripted-model; 1200 in / 340 out tokens, $0.0042)")
    // audio: espeak-ng is "missing" for this app, and the page says how to enable it
    expect(html).toContain("apt-get install espeak-ng")

    const stale = await c.post(`${path}/decide`, { _csrf: c.csrf, decision: "approve", contentHash: "0".repeat(64) })
    expect(stale.status).toBe(409)
    expect(await stale.text()).toContain("Reload it and review again")
    const noHash = await c.post(`${path}/decide`, { _csrf: c.csrf, decision: "approve" })
    expect(noHash.status).toBe(400)
    expect((await runtime.runPromise(Store.use((s) => s.getProposal(null, proposal.id)))).status).toBe("pending")
    const approved = await c.post(`${path}/decide`, { _csrf: c.csrf, decision: "approve", contentHash: proposal.contentHash, note: "checked the regex" })
    expect(approved.status).toBe(303)
    const after = await runtime.runPromise(Store.use((s) => s.getProposal(null, proposal.id)))
    expect(after.status).toBe("approved")
    expect(after.decisions[0]).toMatchObject({ decision: "approved", actor: "RATCHET_TOKEN", tokenId: "tok_bootstrap_env", note: "checked the regex", contentHash: proposal.contentHash })
    const page = await (await c.get(path)).text()
    expect(page).toContain("Create pull request")
    expect(page).toMatch(/<ol class="ledger">[\s\S]*Approved[\s\S]*checked the regex/)
    // the ledger also shows the WriteGate's persisted entries, refusals included (not the run's events)
    await runtime.runPromise(Store.use((s) => s.appendLedger({
      at: new Date(Date.now() + 1000).toISOString(), proposalId: proposal.id, connector: "local-git", repo: "/srv/x", actor: "token:ci (tok_ci)",
      contentHash: proposal.contentHash, approvedBy: null, outcome: "refused", reason: "the policy blocks it: max-files", branch: null, created: null, commit: null
    })))
    const withLedger = await (await c.get(path)).text()
    expect(withLedger).toMatch(/<ol class="ledger">[\s\S]*Approved[\s\S]*Write refused<\/b> via local-git: the policy blocks it: max-files/)
    expect(withLedger).toContain("token:ci (tok_ci)")
  })

  it.skipIf(!hasEspeak)("renders the audio summary with espeak-ng and serves it as a verified artifact", async () => {
    const c = await signIn(withEspeak)
    const repo = await runtime.runPromise(Store.use((s) => s.createRepo("org_default", { name: "audio-repo", url: null, path: "/srv/audio-repo", defaultBranch: "main" })))
    const run = await runtime.runPromise(Store.use((s) => s.createRun(repo.id, "test")))
    const proposal = await runtime.runPromise(Store.use((s) => s.addProposal({
      id: `prop_audio_${run.id}`, runId: run.id, repoId: repo.id, title: "Use a Set for membership",
      data: { files: ["src/a.ts"], diff: "--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1 @@\n-a\n+b\n", tests: { passed: 3, failed: 0, skipped: 0 }, benchmark: null, policy: [], risk: "low", confidence: 0.6, kind: "tech-debt" }
    })))
    const path = `/dashboard/proposals/${proposal.id}`
    expect(await (await c.get(path)).text()).toContain("Generate audio summary")
    const made = await c.post(`${path}/audio`, { _csrf: c.csrf })
    expect(made.status).toBe(303)
    const html = await (await c.get(path)).text()
    const src = /<audio controls="" preload="none" src="([^"]+)"/.exec(html)?.[1]
    expect(src).toMatch(/^\/dashboard\/artifacts\/art_/)
    const wav = await c.get(src!)
    expect(wav.status).toBe(200)
    expect(wav.headers.get("content-type")).toBe("audio/wav")
    const bytes = new Uint8Array(await wav.arrayBuffer())
    expect(new TextDecoder().decode(bytes.slice(0, 4))).toBe("RIFF")
    expect(bytes.byteLength).toBeGreaterThan(20_000)
    // captions: the transcript, timed over the audio
    expect(html).toContain("Ratchet proposal for audio-repo: Use a Set for membership.")
    const vtt = await (await c.get(`${path}/summary.vtt`)).text()
    expect(vtt).toMatch(/^WEBVTT\n\n00:00:00\.000 --> 00:00:0\d\.\d{3}\nRatchet proposal for audio-repo: Use a Set for membership\./)
    expect(vtt).toContain("Risk: low.")
  })
})

describe("Dashboard: diff parsing", () => {
  it("pairs removed and added lines side by side with their numbers, and keeps context on both sides", () => {
    const [file] = parseDiff("--- a/x.js\n+++ b/x.js\n@@ -3,4 +3,3 @@\n a()\n-b(1)\n-c()\n+b(2)\n d()\n")
    expect(file.newName).toBe("x.js")
    expect(file.added).toBe(1)
    expect(file.removed).toBe(2)
    const rows = file.rows.filter((r) => r.type === "line")
    expect(rows.map((r) => r.type === "line" ? [r.left?.no ?? null, r.left?.kind ?? null, r.right?.no ?? null, r.right?.kind ?? null] : [])).toEqual([
      [3, "ctx", 3, "ctx"],
      [4, "del", 4, "add"],
      [5, "del", null, null],
      [6, "ctx", 5, "ctx"]
    ])
    const changed = rows[1]
    expect(changed.type === "line" ? changed.left?.marks : null).toEqual([[2, 3]])
    expect(changed.type === "line" ? changed.right?.marks : null).toEqual([[2, 3]])
  })

  it("reads new and deleted files", () => {
    const files = parseDiff("diff --git a/n.ts b/n.ts\nnew file mode 100644\n--- /dev/null\n+++ b/n.ts\n@@ -0,0 +1 @@\n+export {}\n")
    expect(files[0].oldName).toBeNull()
    expect(files[0].newName).toBe("n.ts")
  })
})



describe("Dashboard: mounting", () => {
  it("sends / and /dashboard/* to the dashboard and everything else to the API", async () => {
    const api = async (request: Request) => new Response(`api ${new URL(request.url).pathname}`)
    const fetch = Dashboard.withDashboard(api, app)
    const root = await fetch(new Request("http://127.0.0.1:7420/"))
    expect(root.status).toBe(303)
    expect(root.headers.get("location")).toBe("http://127.0.0.1:7420/dashboard/")
    expect((await fetch(new Request("http://127.0.0.1:7420/dashboard/login"))).headers.get("content-security-policy")).toContain("default-src 'none'")
    expect(await (await fetch(new Request("http://127.0.0.1:7420/api/repos"))).text()).toBe("api /api/repos")
    expect(await (await fetch(new Request("http://127.0.0.1:7420/dashboardx"))).text()).toBe("api /dashboardx")
  })
})

describe("Dashboard: malformed input", () => {
  it("shows a diff it cannot parse as text instead of failing the page", async () => {
    const c = await signIn()
    const repo = await runtime.runPromise(Store.use((s) => s.createRepo("org_default", { name: "bad-diff-repo", url: null, path: "/srv/bad-diff-repo", defaultBranch: "main" })))
    const run = await runtime.runPromise(Store.use((s) => s.createRun(repo.id, "test")))
    const proposal = await runtime.runPromise(Store.use((s) => s.addProposal({
      id: `prop_bad_${run.id}`, runId: run.id, repoId: repo.id, title: "Bad diff",
      data: { files: ["a.ts"], diff: "--- a/a.ts\n+++ b/a.ts\n@@ -1,5 +1,5 @@\n-a\n+b\n", tests: null, benchmark: null, policy: [] }
    })))
    const res = await c.get(`/dashboard/proposals/${proposal.id}`)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain("could not be parsed")
    expect(html).toContain("+b")
  })
})
