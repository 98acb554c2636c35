/**
 * GitHub as users run it, end to end on the server against the OpenAPI-validated fake GitHub:
 * signed webhook deliveries (refused unsigned, recorded once per delivery id), a labeled issue or a
 * `/ratchet …` comment becoming a prompted task that is planned by a scripted model and decided
 * (the NO-GO / DEFER replies posted back on the issue), and a pull request Ratchet opened followed
 * through CI to `done` or `needs-human`.
 */
import { randomBytes } from "node:crypto"
import { createRequire } from "node:module"
import { Pipeline } from "@ratchet/core"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { GitHubWebhook } from "@ratchet/connectors"
import { Duration, Effect, Exit, ManagedRuntime, Scope } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { fakeGitHub } from "../../connectors/test/fakeGitHub.js"
import * as Api from "../src/Api.js"
import * as Secrets from "../src/Secrets.js"
import * as Server from "../src/Server.js"
import { Store } from "../src/Store.js"
import { type LlmReply, scriptedLlm } from "./helpers/scriptedLlm.js"

// Real payloads GitHub sent, collected by Octokit (@octokit/webhooks-examples); their repository is Codertocat/Hello-World.
const examples: ReadonlyArray<{ readonly name: string; readonly examples: ReadonlyArray<Record<string, unknown>> }> = createRequire(import.meta.url)("@octokit/webhooks-examples")
const example = (name: string, action?: string): Record<string, unknown> => {
  const found = examples.find((e) => e.name === name)?.examples.find((x) => action === undefined || x.action === action)
  if (found === undefined) throw new Error(`no example for ${name}.${action}`)
  return structuredClone(found)
}

const SECRET = "webhook-secret-for-tests"
const PAT = `ghp_${"GitHubWorkTest".repeat(3)}`
const TOKEN = "rat_github_work_test_token"
const keyring = Secrets.keyringFromEnv({ RATCHET_SECRET_KEY: randomBytes(32).toString("base64") })
const github = { retryBaseMs: 10, maxWaitMs: 2_000 }
const runtime = ManagedRuntime.make(
  Server.layer({
    dataDir: "memory://",
    secretKeyring: keyring,
    stages: Pipeline.Stages.layerTest({ delay: Duration.millis(1) }),
    scheduler: false,
    github: { github, sweepMs: 25, ciPollMs: 3_600_000, publicUrl: "https://ratchet.example.com" }
  })
)
const app = Api.make(runtime, { log: () => {}, allowPrivateUrls: true, github, publish: { publicUrl: "https://ratchet.example.com" } })

const scope = Effect.runSync(Scope.make())
let gh: Effect.Success<ReturnType<typeof fakeGitHub>>
let llm: Awaited<ReturnType<typeof scriptedLlm>>
let plans: Array<unknown> = []
let repoId = ""
let connectorId = ""

const planAnswer = (over: Record<string, unknown> = {}) => ({
  summary: "Fix the spelling error in the README",
  files: ["README.md"],
  approach: "Correct the misspelt word.",
  acceptanceCriteria: [{ kind: "tests", description: "the existing tests pass", target: null }],
  nonGoals: [],
  risk: "low",
  kind: "tech-debt",
  verdict: "GO",
  reasons: ["a one-line change"],
  question: null,
  ...over
})

const req = async (method: string, path: string, body?: unknown) => {
  const res = await app.request(path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  return { status: res.status, body: text === "" ? null : JSON.parse(text) }
}

/** Sends a delivery as GitHub does: raw JSON body, event and delivery headers, HMAC signature. */
const deliver = async (event: string, payload: unknown, options: { readonly delivery?: string; readonly secret?: string; readonly signature?: string } = {}) => {
  const body = JSON.stringify(payload)
  const signature = options.signature ?? (await GitHubWebhook.sign(options.secret ?? SECRET, body))
  const delivery = options.delivery ?? crypto.randomUUID()
  const started = performance.now()
  const res = await app.request("/api/webhooks/github", {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": event, "x-github-delivery": delivery, "x-hub-signature-256": signature },
    body
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, delivery, ms: performance.now() - started }
}

const sql = <A>(f: (sql: SqlClient) => Effect.Effect<A, unknown>) =>
  runtime.runPromise(
    Effect.gen(function* () {
      const client = yield* SqlClient
      return yield* Effect.orDie(f(client))
    })
  )

/** Waits for a condition the background work makes true. */
const eventually = async <A>(read: () => Promise<A>, ok: (a: A) => boolean, what: string, ms = 15_000): Promise<A> => {
  const until = Date.now() + ms
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const tasksOf = async (): Promise<ReadonlyArray<TaskView>> => (await req("GET", `/api/repos/${repoId}/tasks`)).body.items

interface TaskView {
  readonly id: string
  readonly status: string
  readonly instruction: string
  readonly decision: { readonly verdict: string; readonly reasons: ReadonlyArray<string> }
  readonly replies: ReadonlyArray<unknown>
}

beforeAll(async () => {
  llm = await scriptedLlm((request) => {
    const next = plans.shift()
    if (next === undefined) return { kind: "text", text: `no scripted answer for ${request.body.messages.at(-1)?.content?.slice(0, 80)}` }
    return next as LlmReply
  })
  gh = await Effect.runPromise(
    fakeGitHub(
      {
        "README.md": "Helo world\n",
        "index.js": "module.exports = 1\n",
        // a config with code: the server may evaluate it only as data in the sandbox, never import it
        "ratchet.config.mjs": "globalThis.__ratchetPlanningImported = true\nexport default { plugins: [{ name: \"probe\", validate: () => null }] }\n"
      },
      { owner: "Codertocat", repo: "Hello-World", tokens: { [PAT]: { login: "ratchet-bot", scopes: "repo" } }, permissions: { Codertocat: "admin", reader: "read" } }
    ).pipe(Scope.provide(scope))
  )
  await runtime.runPromise(Store.use((s) => s.bootstrap(TOKEN)))
  const connector = await req("POST", "/api/connectors", { name: "gh", auth: "token", token: PAT, webhookSecret: SECRET, baseUrl: gh.url, cloneBaseUrl: gh.url, label: "bug" })
  expect(connector.status, JSON.stringify(connector.body)).toBe(201)
  connectorId = connector.body.id
  // a GitHub repository (stored directly: the API would resolve github.com for its SSRF check)
  const repo = await runtime.runPromise(
    Effect.gen(function* () {
      const store = yield* Store
      const principal = yield* store.authenticate(TOKEN)
      const created = yield* store.createRepo(principal!.orgId, { name: "hello", url: "https://github.com/Codertocat/Hello-World", path: null, defaultBranch: "main" })
      yield* store.updateSettings(null, created.id, { provider: "openai-compatible", model: `planner@${llm.url}/v1` })
      return created
    })
  )
  repoId = repo.id
}, 120_000)
afterAll(async () => {
  await runtime.dispose()
  await llm.close()
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

describe("POST /api/webhooks/github", () => {
  it("refuses a bad or missing signature with 401 and records nothing", async () => {
    const payload = example("issues", "labeled")
    const before = await sql((s) => s<{ n: number }>`SELECT count(*)::int AS n FROM webhook_deliveries`)
    const wrong = await deliver("issues", payload, { secret: "not-the-secret" })
    expect(wrong.status).toBe(401)
    expect(String(wrong.body.error)).toContain("X-Hub-Signature-256")
    const missing = await deliver("issues", payload, { signature: "" })
    expect(missing.status).toBe(401)
    // a valid signature over another body
    const other = await deliver("issues", payload, { signature: await GitHubWebhook.sign(SECRET, "{}") })
    expect(other.status).toBe(401)
    // signed, but not JSON: refused, nothing recorded
    const notJson = await app.request("/api/webhooks/github", {
      method: "POST",
      headers: { "x-github-event": "issues", "x-github-delivery": "d-not-json", "x-hub-signature-256": await GitHubWebhook.sign(SECRET, "not json") },
      body: "not json"
    })
    expect(notJson.status).toBe(400)
    const after = await sql((s) => s<{ n: number }>`SELECT count(*)::int AS n FROM webhook_deliveries`)
    expect(after[0]!.n).toBe(before[0]!.n)
    expect(await tasksOf()).toEqual([])
    // no bearer token is needed, and one does not replace the signature
    const noHeaders = await app.request("/api/webhooks/github", { method: "POST", body: "{}" })
    expect(noHeaders.status).toBe(400)
  })

  it("a labeled issue becomes a task; the planner says NO-GO and the reason is posted on the issue; a redelivery is ignored", async () => {
    plans = [{ kind: "json", value: planAnswer({ files: ["README.md", ".github/workflows/ci.yml"], verdict: "GO" }) }]
    const payload = example("issues", "labeled")
    const first = await deliver("issues", payload)
    expect(first.status).toBe(202)
    expect(first.body).toEqual({ delivery: first.delivery, queued: true })
    expect(first.ms).toBeLessThan(1_000)
    const again = await deliver("issues", payload, { delivery: first.delivery })
    expect(again.status).toBe(200)
    expect(again.body).toEqual({ delivery: first.delivery, duplicate: true })
    // a captured delivery replayed under a fresh id (the signature covers only the body) is ignored too
    const replayed = await deliver("issues", payload)
    expect(replayed.status).toBe(200)
    expect(replayed.body).toEqual({ delivery: replayed.delivery, duplicate: true })

    const [task] = await eventually(tasksOf, (ts) => ts.length === 1 && ts[0]!.status === "no-go", "the task to be decided")
    expect(task).toMatchObject({ status: "no-go", source: { via: "label", repo: "Codertocat/Hello-World", issue: 1, sender: "Codertocat", deliveryId: first.delivery } })
    expect(task!.instruction).toMatch(/^Spelling error in the README file\n\nIt looks like/)
    expect(task!.decision.verdict).toBe("NO-GO")
    expect(task!.decision.reasons.join("\n")).toContain(".github/workflows/ci.yml")
    const reply = await eventually(async () => gh.comments.filter((c) => c.issue === 1), (cs) => cs.length === 1, "the NO-GO reply")
    expect(reply[0]!.body).toContain("@Codertocat **NO-GO**")
    expect(reply[0]!.body).toContain(".github/workflows/ci.yml")
    await eventually(tasksOf, (ts) => ts[0]!.replies.length === 1, "the reply to be recorded")
    // the planner was asked once: the redelivery did nothing
    expect(llm.requests).toHaveLength(1)
    expect(llm.requests[0]!.body.messages[1]!.content).toContain("Spelling error in the README file")
    const stored = await sql((s) => s<{ status: string; attempts: number }>`SELECT status, attempts FROM webhook_deliveries WHERE id = ${first.delivery}`)
    expect(stored).toEqual([{ status: "processed", attempts: expect.any(Number) }])
  })

  it("a /ratchet comment from someone without write access is refused with a reply; a DEFER asks its question", async () => {
    const comment = example("issue_comment", "created")
    const c = comment.comment as Record<string, unknown>
    c.body = "/ratchet make it faster"
    const author = c.user as Record<string, unknown>
    author.login = "reader"
    const refused = await deliver("issue_comment", comment)
    expect(refused.status).toBe(202)
    await eventually(async () => gh.comments.filter((x) => x.body.startsWith("@reader")), (cs) => cs.length === 1, "the refusal")
    expect(gh.comments.at(-1)!.body).toContain("write access")

    plans = [{ kind: "json", value: planAnswer({ verdict: "DEFER", files: [], reasons: ["which function?"], question: "Which function should get faster?" }) }]
    author.login = "Codertocat"
    const asked = await deliver("issue_comment", comment)
    expect(asked.status).toBe(202)
    const tasks = await eventually(tasksOf, (ts) => ts.some((t) => t.status === "deferred"), "the DEFER")
    expect(tasks.find((t) => t.status === "deferred")).toMatchObject({ instruction: "make it faster", source: { via: "comment", commentId: c.id } })
    await eventually(async () => gh.comments.filter((x) => x.body.includes("**DEFER**")), (cs) => cs.length === 1, "the question")
    expect(gh.comments.at(-1)!.body).toContain("> Which function should get faster?")
  })

  it("ping and unknown events are recorded and answered; an installation is bookkept on the connector", async () => {
    const ping = await deliver("ping", example("ping"))
    expect(ping.status).toBe(202)
    await eventually(
      () => sql((s) => s<{ result: unknown }>`SELECT result FROM webhook_deliveries WHERE id = ${ping.delivery}`),
      (rows) => JSON.stringify(rows[0]?.result ?? null).includes("pong"),
      "the ping"
    )
    const installed = await deliver("installation", example("installation", "created"))
    expect(installed.status).toBe(202)
    const connector = await eventually(async () => (await req("GET", `/api/connectors/${connectorId}`)).body, (c) => c.installations.length === 1, "the installation")
    expect(connector.installations[0]).toMatchObject({ installationId: 957387, account: "Codertocat", repositories: ["Codertocat/Hello-World"], suspended: false, deleted: false })
    // larger than the API's 1 MiB body limit: GitHub's payloads go up to 25 MB
    const star = await deliver("star", { action: "created", padding: "x".repeat(2 * 1024 * 1024) })
    expect(star.status).toBe(202)
    await eventually(
      () => sql((s) => s<{ status: string; result: unknown }>`SELECT status, result FROM webhook_deliveries WHERE id = ${star.delivery}`),
      (rows) => rows[0]?.status === "processed",
      "the ignored event"
    )
  })
})

describe("POST /api/repos/:id/tasks", () => {
  it("queues a task from the API; bad bodies are refused with the field", async () => {
    plans = [{ kind: "json", value: planAnswer({ files: ["a.js", "b.js", "c.js", "d.js", "e.js", "f.js"] }) }]
    const created = await req("POST", `/api/repos/${repoId}/tasks`, { instruction: "Rename everything", paths: [] })
    expect(created.status, JSON.stringify(created.body)).toBe(202)
    expect(created.body).toMatchObject({ status: "queued", instruction: "Rename everything", source: { via: "api" } })
    const done = await eventually(async () => (await req("GET", `/api/tasks/${created.body.id}`)).body, (t) => t.status === "no-go", "the NO-GO")
    expect(done.decision.reasons[0]).toContain("too large: the plan touches 6 files")
    for (const [body, field] of [
      [{}, "instruction"],
      [{ instruction: "x", paths: ["../etc"] }, "paths"],
      [{ instruction: "x", extra: 1 }, "extra"]
    ] as const) {
      const res = await req("POST", `/api/repos/${repoId}/tasks`, body)
      expect(res.status).toBe(400)
      expect(res.body.error.field).toBe(field)
    }
    expect((await req("POST", "/api/repos/repo_missing/tasks", { instruction: "x" })).status).toBe(404)
  })

  it("planning evaluates the repository's config only in the sandbox, never in the server process", async () => {
    // the checkout's config has a code plugin and sets a global when it is imported
    plans = [{ kind: "json", value: planAnswer({ verdict: "NO-GO", reasons: ["not wanted"] }) }]
    const created = await req("POST", `/api/repos/${repoId}/tasks`, { instruction: "Fix the spelling" })
    const done = await eventually(async () => (await req("GET", `/api/tasks/${created.body.id}`)).body, (t) => t.status !== "queued" && t.status !== "planning", "the decision")
    expect(done.status, JSON.stringify(done)).toBe("no-go")
    expect(Reflect.get(globalThis, "__ratchetPlanningImported")).toBeUndefined()
  })

  it("planning calls are metered against the repository's daily LLM budget; once it is spent, a task fails without calling the model", async () => {
    const planned = () =>
      sql((s) => s<{ calls: number; tokens: number }>`SELECT count(*)::int AS calls, COALESCE(sum(input_tokens + output_tokens), 0)::int AS tokens
        FROM usage_records WHERE repo_id = ${repoId} AND kind = 'llm' AND run_id IS NULL`).then((rows) => rows[0]!)
    const before = await planned()
    plans = [{ kind: "json", value: planAnswer({ verdict: "NO-GO", reasons: ["not wanted"] }) }]
    const first = await req("POST", `/api/repos/${repoId}/tasks`, { instruction: "Tidy the README" })
    await eventually(async () => (await req("GET", `/api/tasks/${first.body.id}`)).body, (t) => t.status === "no-go", "the NO-GO")
    const after = await planned()
    // the scripted model reports 1 200 input and 150 output tokens per call
    expect(after).toEqual({ calls: before.calls + 1, tokens: before.tokens + 1_350 })
    // the usage API counts the planning call with the repository's
    const usage = await req("GET", "/api/usage?by=repo")
    expect(JSON.stringify(usage.body)).toContain(repoId)

    await runtime.runPromise(Store.use((s) => s.updateSettings(null, repoId, { llmTokensPerDay: after.tokens })))
    const calls = llm.requests.length
    const refused = await req("POST", `/api/repos/${repoId}/tasks`, { instruction: "Tidy the README again" })
    const failed = await eventually(async () => (await req("GET", `/api/tasks/${refused.body.id}`)).body, (t) => t.status === "failed", "the refusal")
    expect(failed.error).toContain(`LLM budget of ${after.tokens} tokens`)
    expect(failed.error).toContain("llmTokensPerDay")
    expect(llm.requests.length).toBe(calls)
    expect(await planned()).toEqual(after)
    await runtime.runPromise(Store.use((s) => s.updateSettings(null, repoId, { llmTokensPerDay: null })))
  })
})

describe("a pull request Ratchet opened is followed through CI", () => {
  it("an approved proposal becomes a draft pull request with the evidence body; a failing check run moves it to needs-human", async () => {
    const run = await req("POST", `/api/repos/${repoId}/runs`)
    expect(run.status).toBe(202)
    const data = {
      title: "Fix a spelling error",
      diff: "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-Helo world\n+Hello world\n",
      files: ["README.md"],
      kind: "tech-debt",
      summary: "Corrects a misspelt word in the README.",
      tests: { passed: 12, failed: 0, skipped: 1 },
      benchmark: { name: "parse", baselineMedianNs: 2_000, candidateMedianNs: 1_500, change: -0.25, ciLow: -0.3, ciHigh: -0.2, pValue: 0.001, samples: 30 },
      policy: [],
      risk: "low",
      confidence: 0.8
    }
    const proposal = await runtime.runPromise(Store.use((s) => s.addProposal({ id: "prop_ci", runId: run.body.id, repoId, title: data.title, data })))
    expect((await req("POST", `/api/proposals/${proposal.id}/approve`, { contentHash: proposal.contentHash, note: "ok" })).status).toBe(201)
    const pr = await req("POST", `/api/proposals/${proposal.id}/pr`)
    expect(pr.status, JSON.stringify(pr.body)).toBe(201)
    const opened = gh.pulls.at(-1)!
    expect(opened.draft).toBe(true)
    expect(opened.body).toContain("| parse | 2.00 µs | 1.50 µs | -25.0% | -30.0% … -20.0% | 0.001 | 30 |")
    expect(opened.body).toContain("12 passed, 0 failed, 1 skipped")
    // the content hash the approval is bound to, as the commit's trailer carries it
    const hash = /ratchet-content-hash: ([0-9a-f]{64})/.exec(opened.body)?.[1]
    expect(opened.body).toContain(`**Content hash:** \`${hash}\``)
    expect(opened.body).toContain("https://ratchet.example.com/dashboard/proposals/prop_ci")
    const followed = await req("GET", `/api/proposals/${proposal.id}/pull-request`)
    expect(followed.body).toMatchObject({ state: "verifying-ci", number: opened.number, headSha: opened.sha })

    // CI fails; GitHub says so with a check_run delivery
    gh.setCheck(opened.sha, "test", "completed", "failure")
    const event = example("check_run", "completed")
    const checkRun = event.check_run as Record<string, unknown>
    checkRun.head_sha = opened.sha
    const delivered = await deliver("check_run", event)
    expect(delivered.status).toBe(202)
    const settled = await eventually(async () => (await req("GET", `/api/proposals/${proposal.id}/pull-request`)).body, (p) => p.state !== "verifying-ci", "CI to settle")
    expect(settled.state).toBe("needs-human")
    expect((await req("GET", `/api/proposals/${proposal.id}`)).body.pullRequest).toMatchObject({ state: "needs-human", url: opened.html_url })
    const note = await eventually(async () => gh.comments.filter((c) => c.issue === opened.number && c.body.includes("CI failed")), (cs) => cs.length === 1, "the CI comment")
    expect(note.at(-1)!.body).toContain("test (failure)")

    // merged afterwards on GitHub
    gh.closePull(opened.number, true)
    const closed = example("pull_request", "closed")
    ;(closed.pull_request as Record<string, unknown>).number = opened.number
    ;(closed.pull_request as Record<string, unknown>).merged = true
    closed.number = opened.number
    await deliver("pull_request", closed)
    await eventually(async () => (await req("GET", `/api/proposals/${proposal.id}/pull-request`)).body, (p) => p.state === "merged", "the merge")
  })

  it("green checks and statuses move it to done, with a comment on the pull request", async () => {
    const run = await req("POST", `/api/repos/${repoId}/runs`)
    const data = {
      title: "Fix another spelling error",
      diff: "diff --git a/index.js b/index.js\n--- a/index.js\n+++ b/index.js\n@@ -1 +1 @@\n-module.exports = 1\n+module.exports = 2\n",
      files: ["index.js"],
      kind: "tech-debt",
      tests: { passed: 3, failed: 0, skipped: 0 },
      benchmark: null,
      policy: [],
      risk: "low",
      confidence: 0.7
    }
    const proposal = await runtime.runPromise(Store.use((s) => s.addProposal({ id: "prop_green", runId: run.body.id, repoId, title: data.title, data })))
    expect((await req("POST", `/api/proposals/${proposal.id}/approve`, { contentHash: proposal.contentHash })).status).toBe(201)
    expect((await req("POST", `/api/proposals/${proposal.id}/pr`)).status).toBe(201)
    const opened = gh.pulls.at(-1)!
    expect(opened.body).toContain("no speedup is claimed")
    // one check still running: nothing settles
    gh.setCheck(opened.sha, "build", "completed", "success")
    gh.setCheck(opened.sha, "test", "in_progress")
    const status = example("status")
    status.sha = opened.sha
    expect((await deliver("status", status)).status).toBe(202)
    await new Promise((r) => setTimeout(r, 300))
    expect((await req("GET", `/api/proposals/${proposal.id}/pull-request`)).body.state).toBe("verifying-ci")
    gh.setCheck(opened.sha, "test", "completed", "success")
    gh.setStatus(opened.sha, "lint", "success")
    status.context = "lint"
    expect((await deliver("status", status)).status).toBe(202)
    const done = await eventually(async () => (await req("GET", `/api/proposals/${proposal.id}/pull-request`)).body, (p) => p.state !== "verifying-ci", "CI to pass")
    expect(done.state).toBe("done")
    await eventually(async () => gh.comments.filter((c) => c.issue === opened.number && c.body.startsWith("CI passed")), (cs) => cs.length === 1, "the CI comment")
  })
})
