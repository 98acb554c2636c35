/**
 * A labeled issue all the way to a draft pull request and its CI, on the server with the REAL
 * stages: a private repository on the OpenAPI-validated fake GitHub (fetched through the connector),
 * a scripted model that plans GO and writes the patch, the one pipeline proving it faster, a
 * person's approval, a draft pull request whose body carries the evidence, and a failing check
 * moving it to `needs-human` with replies on the issue.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs"
import { randomBytes } from "node:crypto"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { GitHubWebhook } from "@ratchet/connectors"
import { Effect, Exit, ManagedRuntime, Scope } from "effect"
import { fakeGitHub } from "../../connectors/test/fakeGitHub.js"
import * as Api from "../src/Api.js"
import * as Secrets from "../src/Secrets.js"
import * as Server from "../src/Server.js"
import { Store } from "../src/Store.js"
import { DEDUPE_FILES, DEDUPE_PLAN, GOOD } from "./helpers/dedupeRepo.js"
import { scriptedLlm } from "./helpers/scriptedLlm.js"

const examples: ReadonlyArray<{ readonly name: string; readonly examples: ReadonlyArray<Record<string, unknown>> }> = createRequire(import.meta.url)("@octokit/webhooks-examples")
const example = (name: string, action?: string): Record<string, unknown> => {
  const found = examples.find((e) => e.name === name)?.examples.find((x) => action === undefined || x.action === action)
  if (found === undefined) throw new Error(`no example for ${name}.${action}`)
  return structuredClone(found)
}

const temp = mkdtempSync(join(tmpdir(), "ratchet-github-task-"))
chmodSync(temp, 0o755) // repository commands may run as an unprivileged uid under the state directory
const SECRET = "e2e-webhook-secret"
const PAT = `ghp_${"GitHubTaskE2E".repeat(3)}`
const TOKEN = "rat_github_task_e2e_token"
const github = { retryBaseMs: 10, maxWaitMs: 2_000 }
const runtime = ManagedRuntime.make(
  Server.layer({
    dataDir: "memory://",
    secretKeyring: Secrets.keyringFromEnv({ RATCHET_SECRET_KEY: randomBytes(32).toString("base64") }),
    stages: Server.stagesFromEnv({}, { stateDir: join(temp, "state") }),
    scheduler: false,
    github: { github, sweepMs: 50, ciPollMs: 3_600_000, publicUrl: "https://ratchet.example.com" }
  })
)
const app = Api.make(runtime, { log: () => {}, allowPrivateUrls: true, github, publish: { publicUrl: "https://ratchet.example.com" } })

const scope = Effect.runSync(Scope.make())
let gh: Effect.Success<ReturnType<typeof fakeGitHub>>
let llm: Awaited<ReturnType<typeof scriptedLlm>>

const req = async (method: string, path: string, body?: unknown) => {
  const res = await app.request(path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  return { status: res.status, body: text === "" ? null : JSON.parse(text) }
}

const deliver = async (event: string, payload: unknown) => {
  const body = JSON.stringify(payload)
  const res = await app.request("/api/webhooks/github", {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": event, "x-github-delivery": crypto.randomUUID(), "x-hub-signature-256": await GitHubWebhook.sign(SECRET, body) },
    body
  })
  return res.status
}

const eventually = async <A>(read: () => Promise<A>, ok: (a: A) => boolean, what: string, ms = 240_000): Promise<A> => {
  const until = Date.now() + ms
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

beforeAll(async () => {
  llm = await scriptedLlm((request) =>
    request.body.response_format?.json_schema?.name === "plan"
      ? { kind: "json", value: DEDUPE_PLAN }
      : { kind: "tool", name: "propose_patch", args: { title: "Use a Set for membership in dedupe", explanation: "Set#has is O(1); the order is kept.", diff: GOOD } }
  )
  gh = await Effect.runPromise(
    fakeGitHub(DEDUPE_FILES, { owner: "Codertocat", repo: "Hello-World", private: true, tokens: { [PAT]: { login: "ratchet-bot", scopes: "repo" } }, permissions: { Codertocat: "admin" } }).pipe(Scope.provide(scope))
  )
  await runtime.runPromise(Store.use((s) => s.bootstrap(TOKEN)))
  expect((await req("POST", "/api/connectors", { name: "gh", auth: "token", token: PAT, webhookSecret: SECRET, baseUrl: gh.url, cloneBaseUrl: gh.url, label: "bug" })).status).toBe(201)
  await runtime.runPromise(
    Effect.gen(function* () {
      const store = yield* Store
      const principal = yield* store.authenticate(TOKEN)
      const repo = yield* store.createRepo(principal!.orgId, { name: "hello", url: "https://github.com/Codertocat/Hello-World", path: null, defaultBranch: "main" })
      yield* store.updateSettings(null, repo.id, { provider: "openai-compatible", model: `planner@${llm.url}` })
    })
  )
}, 120_000)
afterAll(async () => {
  await runtime.dispose()
  await llm.close()
  await Effect.runPromise(Scope.close(scope, Exit.void))
  rmSync(temp, { recursive: true, force: true })
})

describe("a labeled issue on a private repository, end to end with the real stages", () => {
  it("task → plan → GO → proven proposal → approval → draft PR with the evidence → CI failure → needs-human", async () => {
    const issue = example("issues", "labeled")
    ;(issue.issue as Record<string, unknown>).title = "dedupe is quadratic"
    ;(issue.issue as Record<string, unknown>).body = "Make dedupe faster; it shows up in our profiles."
    expect(await deliver("issues", issue)).toBe(202)

    const [repo] = (await req("GET", "/api/repos")).body.items
    const proposed = await eventually(
      async () => (await req("GET", `/api/repos/${repo.id}/tasks`)).body.items[0],
      (t) => t !== undefined && !["queued", "planning", "running"].includes(t.status),
      "the task's run"
    )
    expect(proposed.status, JSON.stringify(proposed)).toBe("proposed")
    expect(proposed.decision.verdict).toBe("GO")
    // the run's only candidate was the planned change, proven faster
    const run = (await req("GET", `/api/runs/${proposed.runId}`)).body
    expect(run.proposals, JSON.stringify(run)).toHaveLength(1)
    const proposal = (await req("GET", `/api/proposals/${proposed.proposalId}`)).body
    expect(proposal.data.rule).toBe("prompt")
    expect(proposal.data.trace.map((a: { rule: string }) => a.rule)).toEqual(["prompt"])
    expect(proposal.data.trace[0].reason).toMatch(/^accepted: faster beyond noise/)
    expect(llm.requests.map((r) => (r.body.response_format?.json_schema?.name === "plan" ? "plan" : "patch"))).toEqual(["plan", "patch"])
    // the repository is private: every clone carried the connector's credentials
    expect(gh.gitRequests.length).toBeGreaterThan(0)
    expect(gh.gitRequests.every((g) => g.status === 200 && g.authorization !== undefined)).toBe(true)
    // GO and the proven proposal were posted on the issue
    const onIssue = () => gh.comments.filter((c) => c.issue === 1).map((c) => c.body)
    await eventually(async () => onIssue(), (cs) => cs.some((c) => c.startsWith("Ratchet proved a change")), "the proposal reply")
    expect(onIssue()[0]).toContain("**GO** — dedupe tracks seen items in a Set")

    expect((await req("POST", `/api/proposals/${proposal.id}/approve`, { contentHash: proposal.contentHash, note: "ok" })).status).toBe(201)
    const pr = await req("POST", `/api/proposals/${proposal.id}/pr`)
    expect(pr.status, JSON.stringify(pr.body)).toBe(201)
    const opened = gh.pulls.at(-1)!
    expect(opened.draft).toBe(true)
    expect(opened.body).toContain("Requested in #1 by @Codertocat: dedupe is quadratic")
    expect(opened.body).toMatch(/\| dedupe \| [\d.]+ [µm]?s \| [\d.]+ [µm]?s \| -\d/)
    expect(opened.body).toContain("✅ the existing tests pass (order, NaN, empty)")
    expect(opened.body).toContain("✅ the dedupe benchmark gets faster")
    expect(gh.fileAt(opened.sha, "src/dedupe.js")).toContain("seen.has(item)")
    await eventually(async () => (await req("GET", `/api/tasks/${proposed.id}`)).body.status, (s) => s === "verifying-ci", "verifying-ci")

    gh.setCheck(opened.sha, "test", "completed", "failure")
    const suite = example("check_suite", "completed")
    ;(suite.check_suite as Record<string, unknown>).head_sha = opened.sha
    expect(await deliver("check_suite", suite)).toBe(202)
    const settled = await eventually(async () => (await req("GET", `/api/tasks/${proposed.id}`)).body, (t) => t.status === "needs-human", "needs-human", 30_000)
    expect(settled.pullRequest).toMatchObject({ state: "needs-human", number: opened.number })
    await eventually(async () => onIssue(), (cs) => cs.some((c) => c.startsWith("CI failed") && c.includes("test (failure)")), "the CI reply on the issue", 30_000)
  }, 420_000)
})
