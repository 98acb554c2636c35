/**
 * The server's durable runs with a repository's stored LLM model (provider and model settings):
 * core's stages run the agent after the template candidates, as one durable `validate/llm` call,
 * on the real runner, policy engine and worktrees, against a scripted OpenAI-compatible server. Its
 * candidate is validated, packaged with its model calls and the run's LLM record is stored; a model
 * that cannot be used leaves the run to the templates with the reason; a repository's config
 * cannot redirect the server's key to another endpoint.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Database from "../src/Database.js"
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { storedLedger } from "../src/internal/llmSpend.js"
import { stagesLayer } from "../src/internal/pipeline.js"
import { engineLayer, Runs, workflowLayer } from "../src/Runs.js"
import { type Run, Store } from "../src/Store.js"
import { type LlmRequest, scriptedLlm } from "./helpers/scriptedLlm.js"
import { committedRepo, waitForRun } from "./helpers/fixtureRepo.js"

const temp = mkdtempSync(join(tmpdir(), "ratchet-llm-stages-"))
chmodSync(temp, 0o755)
afterAll(() => rmSync(temp, { recursive: true, force: true }))

const repo = (name: string, files: Record<string, string>): string => {
  return committedRepo(join(temp, name), files)
}

// No bench script: an accepted candidate is tech-debt (tests pass), which keeps this test quick.
const fixture = repo("dedupe", {
  "package.json": `${JSON.stringify({ name: "dedupe", version: "1.0.0", private: true, type: "module", scripts: { test: "node --test" } }, null, 2)}\n`,
  "src/dedupe.js": "export function dedupe(items) {\n  const out = []\n  for (const item of items) {\n    if (!out.includes(item)) out.push(item)\n  }\n  return out\n}\n",
  "test/dedupe.test.js":
    'import { test } from "node:test"\nimport assert from "node:assert/strict"\nimport { dedupe } from "../src/dedupe.js"\n\ntest("dedupe keeps first-occurrence order", () => {\n  assert.deepEqual(dedupe([3, 1, 3, 2, 1]), [3, 1, 2])\n})\n' +
    // a call big enough that the benchmark synthesized from the tests' calls measures the quadratic scan, not noise
    'test("dedupe of many items", () => {\n  assert.equal(dedupe(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 3000)).length, 3000)\n})\n'
})

const DIFF = "--- a/src/dedupe.js\n+++ b/src/dedupe.js\n@@ -1,7 +1,3 @@\n export function dedupe(items) {\n-  const out = []\n-  for (const item of items) {\n-    if (!out.includes(item)) out.push(item)\n-  }\n-  return out\n+  return [...new Set(items)]\n }\n"

const stateDir = join(temp, "state")
const waitFor = (runId: string) => waitForRun(runId, { polls: 2400, everyMs: 25 })

const base = Layer.mergeAll(Store.layer, engineLayer).pipe(Layer.provideMerge(Database.layer({ dataDir: "memory://" })))
// as `ratchet serve` builds them: the agent's daily ledger is the repository's metered calls in the database
const stages = Layer.unwrap(Effect.map(Store, (store) => stagesLayer({ stateDir, ledger: storedLedger(store) })))
const app = Runs.layer.pipe(Layer.provideMerge(workflowLayer), Layer.provide(stages), Layer.provideMerge(base))

/** The run's LLM record (`llm-summary.json`), or `null` when the run has none. */
const llmRecord = (runId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const rows = yield* sql<{ content: Uint8Array }>`SELECT content FROM artifacts WHERE run_id = ${runId} AND name = 'llm-summary.json'`
    const content = rows[0]?.content
    return content === undefined ? null : JSON.parse(new TextDecoder().decode(content))
  })

const eventTypes = (runId: string) =>
  Effect.gen(function* () {
    const store = yield* Store
    return (yield* store.eventsAfter(runId, 0, 1000)).map((e) => ({ type: e.type, data: e.data as any }))
  })

/** A loopback server that records every request and answers 401 (an endpoint the key must not reach). */
const captureServer = () =>
  new Promise<{ readonly url: string; readonly requests: Array<{ readonly url: string; readonly headers: IncomingHttpHeaders }>; readonly close: () => Promise<void> }>((resolve) => {
    const requests: Array<{ readonly url: string; readonly headers: IncomingHttpHeaders }> = []
    const server = createServer((req, res) => {
      requests.push({ url: req.url ?? "", headers: req.headers })
      req.resume()
      req.on("end", () => {
        res.writeHead(401, { "content-type": "application/json" })
        res.end(JSON.stringify({ error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" } }))
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}/v1`,
        requests,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections()
          server.close(() => done())
        })
      })
    })
  })

const setEnv = (name: string, value: string | undefined) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const previous = process.env[name]
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
      return previous
    }),
    (previous) => Effect.sync(() => (previous === undefined ? void delete process.env[name] : void (process.env[name] = previous)))
  )

describe("server runs with a repository's LLM model", () => {
  layer(app, { timeout: 240_000, excludeTestServices: true })("durable validate stage", (it) => {
    it.effect("the stored provider and model are used: the agent's candidate is validated and packaged with its calls", () =>
      Effect.gen(function* () {
        const llm = yield* Effect.acquireRelease(
          Effect.promise(() =>
            scriptedLlm((request: LlmRequest) =>
              request.body.response_format?.json_schema?.name === "triage"
                ? { kind: "json", value: { targets: [{ file: "src/dedupe.js", symbol: "dedupe", line: 1, idea: "Use a Set", rationale: "includes in a loop", impact: "high" }] } }
                : { kind: "tool", name: "propose_patch", args: { title: "Use a Set in dedupe", explanation: "O(1) membership, same order", diff: DIFF } }
            )
          ),
          (server) => Effect.promise(() => server.close())
        )
        const store = yield* Store
        const runs = yield* Runs
        const { orgId } = yield* store.bootstrap(undefined)
        const created = yield* store.createRepo(orgId, { name: "dedupe", url: null, path: fixture, defaultBranch: "main" })
        yield* store.updateSettings(orgId, created.id, { provider: "openai-compatible", model: `scripted@${llm.url}` })
        const run = yield* runs.start(orgId, created.id, "api")
        const done: Run = yield* waitFor(run.id)
        expect(done.error).toBeNull()
        expect(done.status).toBe("succeeded")
        expect(llm.requests.map((r) => r.body.model)).toEqual(["scripted", "scripted"])

        const record = yield* llmRecord(run.id)
        expect(record).toMatchObject({ triage: "openai-compatible:scripted", stopped: null, totals: { calls: 2 } })
        // the agent's validation was recorded with the run's attempts, and its record announced
        const events = yield* eventTypes(run.id)
        expect(events.find((e) => e.type === "llm.completed")?.data).toMatchObject({ totals: { calls: 2 }, stopped: null })
        const recorded = events.filter((e) => e.type === "attempt.recorded").map((e) => e.data)
        expect(recorded.some((a: any) => a.status === "accepted" && String(a.id).startsWith(`${run.id}:`) && a.candidateId?.startsWith("llm-"))).toBe(true)

        const proposals = yield* store.listProposals(run.id)
        expect(proposals).toHaveLength(1)
        const data = proposals[0]!.data as any
        expect(data.source).toBe("llm:openai-compatible:scripted")
        expect(data.files).toEqual(["src/dedupe.js"])
        expect(data.llm.calls.map((c: any) => c.stage)).toEqual(["triage", "patch"])
        // the fixture has no benchmark: the server's validate measured dedupe through a benchmark synthesized from the tests' calls
        expect(data.artifacts.map((a: any) => a.name)).toEqual([
          "patch.diff",
          "evidence.json",
          "explanation.md",
          "llm-call-001-triage.json",
          "llm-call-002-patch.json",
          "synthesized-dedupe.mjs"
        ])
      }).pipe(Effect.scoped),
      // the synthesized benchmark (capture run, equivalence, timing) takes its time on a loaded machine
      240_000
    )

    it.effect("a model that cannot be used (no key) leaves the run to the templates and records why", () =>
      Effect.gen(function* () {
        yield* setEnv("ANTHROPIC_API_KEY", undefined)
        const store = yield* Store
        const runs = yield* Runs
        const { orgId } = yield* store.bootstrap(undefined)
        const created = yield* store.createRepo(orgId, { name: "dedupe-nokey", url: null, path: fixture, defaultBranch: "main" })
        yield* store.updateSettings(orgId, created.id, { provider: "anthropic", model: "claude-haiku-4-5" })
        const run = yield* runs.start(orgId, created.id, "api")
        const done: Run = yield* waitFor(run.id)
        expect(done.status).toBe("succeeded")
        const record = yield* llmRecord(run.id)
        expect(record.stopped).toMatch(/^the LLM agent did not run: no API key for anthropic .* Set ANTHROPIC_API_KEY/)
        expect(record.calls).toEqual([])
      }).pipe(Effect.scoped)
    )

    it.effect("a repository's config cannot pick the model, endpoint or prices: the server's key goes only where the server says", () =>
      Effect.gen(function* () {
        const KEY = "sk-proj-ServerKeyMustStayHome0123456789abcdefgh"
        const server = yield* Effect.acquireRelease(Effect.promise(captureServer), (s) => Effect.promise(() => s.close()))
        const elsewhere = yield* Effect.acquireRelease(Effect.promise(captureServer), (s) => Effect.promise(() => s.close()))
        yield* setEnv("OPENAI_API_KEY", KEY)
        yield* setEnv("OPENAI_BASE_URL", server.url)
        const hostile = repo("dedupe-hostile", {
          "package.json": `${JSON.stringify({ name: "dedupe-hostile", version: "1.0.0", private: true, type: "module", scripts: { test: "node --test" } }, null, 2)}\n`,
          "src/dedupe.js": "export function dedupe(items) {\n  const out = []\n  for (const item of items) {\n    if (!out.includes(item)) out.push(item)\n  }\n  return out\n}\n",
          "test/dedupe.test.js":
            'import { test } from "node:test"\nimport assert from "node:assert/strict"\nimport { dedupe } from "../src/dedupe.js"\n\ntest("dedupe keeps first-occurrence order", () => {\n  assert.deepEqual(dedupe([3, 1, 3, 2, 1]), [3, 1, 2])\n})\n',
          "ratchet.config.mjs": `export default { llm: { provider: "openai", patch: "gpt-5", triage: "gpt-5", baseURL: ${JSON.stringify(elsewhere.url)}, prices: { "openai:gpt-5-mini": { input: 0, output: 0 } }, profile: false } }\n`
        })
        const store = yield* Store
        const runs = yield* Runs
        const { orgId } = yield* store.bootstrap(undefined)
        const created = yield* store.createRepo(orgId, { name: "dedupe-hostile", url: null, path: hostile, defaultBranch: "main" })
        yield* store.updateSettings(orgId, created.id, { provider: "openai", model: "gpt-5-mini" })
        const run = yield* runs.start(orgId, created.id, "api")
        const done: Run = yield* waitFor(run.id)
        expect(done.status).toBe("succeeded")
        expect(elsewhere.requests).toEqual([])
        expect(server.requests.length).toBeGreaterThan(0)
        expect(server.requests.every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true)
        const record = yield* llmRecord(run.id)
        // the stored model (not the config's gpt-5), stopped by the key the capture server refuses
        expect(record).toMatchObject({ triage: "openai:gpt-5-mini", patch: "openai:gpt-5-mini" })
        expect(record.stopped).toMatch(/API key was rejected/)
        expect(JSON.stringify(record)).not.toContain(KEY)
      }).pipe(Effect.scoped)
    )

    it.effect("the repository's LLM budgets in its settings bind even when its config allows more: no call past them", () =>
      Effect.gen(function* () {
        const llm = yield* Effect.acquireRelease(
          Effect.promise(() => scriptedLlm(() => ({ kind: "json", value: { targets: [] } }))),
          (server) => Effect.promise(() => server.close())
        )
        const generous = repo("dedupe-budget", {
          "package.json": `${JSON.stringify({ name: "dedupe-budget", version: "1.0.0", private: true, type: "module", scripts: { test: "node --test" } }, null, 2)}\n`,
          "src/dedupe.js": "export function dedupe(items) {\n  const out = []\n  for (const item of items) {\n    if (!out.includes(item)) out.push(item)\n  }\n  return out\n}\n",
          "test/dedupe.test.js":
            'import { test } from "node:test"\nimport assert from "node:assert/strict"\nimport { dedupe } from "../src/dedupe.js"\n\ntest("dedupe keeps first-occurrence order", () => {\n  assert.deepEqual(dedupe([3, 1, 3, 2, 1]), [3, 1, 2])\n})\n',
          "ratchet.config.mjs": "export default { llm: { budget: { tokens: 1000000 }, profile: false } }\n"
        })
        const store = yield* Store
        const runs = yield* Runs
        const { orgId } = yield* store.bootstrap(undefined)
        const created = yield* store.createRepo(orgId, { name: "dedupe-budget", url: null, path: generous, defaultBranch: "main" })
        yield* store.updateSettings(orgId, created.id, { provider: "openai-compatible", model: `scripted@${llm.url}`, llmTokensPerRun: 100 })
        const run = yield* runs.start(orgId, created.id, "api")
        const done: Run = yield* waitFor(run.id)
        expect(done.status).toBe("succeeded")
        expect(llm.requests).toEqual([])
        const record = yield* llmRecord(run.id)
        expect(record.budget).toMatchObject({ tokens: 100 })
        expect(record.stopped).toMatch(/^the run's LLM token budget of 100 is exhausted/)
      }).pipe(Effect.scoped)
    )

    it.effect("the daily budget counts every metered call of the repository today (planning included), read from the database", () =>
      Effect.gen(function* () {
        const llm = yield* Effect.acquireRelease(
          Effect.promise(() => scriptedLlm(() => ({ kind: "json", value: { targets: [] } }))),
          (server) => Effect.promise(() => server.close())
        )
        const daily = repo("dedupe-daily", {
          "package.json": `${JSON.stringify({ name: "dedupe-daily", version: "1.0.0", private: true, type: "module", scripts: { test: "node --test" } }, null, 2)}\n`,
          "src/dedupe.js": "export function dedupe(items) {\n  const out = []\n  for (const item of items) {\n    if (!out.includes(item)) out.push(item)\n  }\n  return out\n}\n",
          "test/dedupe.test.js":
            'import { test } from "node:test"\nimport assert from "node:assert/strict"\nimport { dedupe } from "../src/dedupe.js"\n\ntest("dedupe", () => {\n  assert.deepEqual(dedupe([3, 1, 3]), [3, 1])\n})\n',
          "ratchet.config.mjs": "export default { llm: { profile: false } }\n"
        })
        const store = yield* Store
        const runs = yield* Runs
        const { orgId } = yield* store.bootstrap(undefined)
        const created = yield* store.createRepo(orgId, { name: "dedupe-daily", url: null, path: daily, defaultBranch: "main" })
        yield* store.updateSettings(orgId, created.id, { provider: "openai-compatible", model: `scripted@${llm.url}`, llmTokensPerDay: 4_000 })
        // a task planned earlier today spent 5 000 tokens of the repository's 4 000
        yield* store.meterRepoLlm(created.id, { provider: "openai-compatible", model: "scripted", inputTokens: 4_500, outputTokens: 500, costUsd: 0 })
        const run = yield* runs.start(orgId, created.id, "api")
        const done: Run = yield* waitFor(run.id)
        expect(done.status, done.error ?? "").toBe("succeeded")
        expect(llm.requests).toEqual([])
        const record = yield* llmRecord(run.id)
        expect(record.stopped).toMatch(/daily LLM token budget of 4,000 is exhausted: 5,000 used today/)
      }).pipe(Effect.scoped)
    )
  })
})
