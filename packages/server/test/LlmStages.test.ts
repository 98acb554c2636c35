/**
 * The server's durable runs with a repository's stored LLM settings (provider and model): the agent
 * runs inside the validate stage on the real runner, policy engine and worktrees, against a scripted
 * OpenAI-compatible server; its candidate is validated, packaged with its model calls, and a model
 * that cannot be used leaves the run to the templates with the reason recorded.
 */
import { execFileSync } from "node:child_process"
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { afterAll, describe, expect, layer } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Database from "../src/Database.js"
import { engineLayer, Runs, workflowLayer } from "../src/Runs.js"
import { Stages } from "../src/Stages.js"
import { type Run, Store } from "../src/Store.js"
import { type LlmRequest, scriptedLlm } from "./helpers/scriptedLlm.js"

const temp = mkdtempSync(join(tmpdir(), "ratchet-llm-stages-"))
chmodSync(temp, 0o755)
afterAll(() => rmSync(temp, { recursive: true, force: true }))

const repo = (name: string, files: Record<string, string>): string => {
  const dir = join(temp, name)
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true })
    writeFileSync(join(dir, file), content)
  }
  const git = (...args: Array<string>) =>
    execFileSync("git", ["-c", "user.email=fixture@example.com", "-c", "user.name=fixture", "-c", "init.defaultBranch=main", ...args], { cwd: dir, stdio: "pipe" })
  git("init", "-q")
  git("add", "-A")
  git("commit", "-q", "-m", "fixture")
  return dir
}

// No bench script: an accepted candidate is tech-debt (tests pass), which keeps this test quick.
const fixture = repo("dedupe", {
  "package.json": `${JSON.stringify({ name: "dedupe", version: "1.0.0", private: true, type: "module", scripts: { test: "node --test" } }, null, 2)}\n`,
  "src/dedupe.js": "export function dedupe(items) {\n  const out = []\n  for (const item of items) {\n    if (!out.includes(item)) out.push(item)\n  }\n  return out\n}\n",
  "test/dedupe.test.js":
    'import { test } from "node:test"\nimport assert from "node:assert/strict"\nimport { dedupe } from "../src/dedupe.js"\n\ntest("dedupe keeps first-occurrence order", () => {\n  assert.deepEqual(dedupe([3, 1, 3, 2, 1]), [3, 1, 2])\n})\n'
})

const DIFF = "--- a/src/dedupe.js\n+++ b/src/dedupe.js\n@@ -1,7 +1,3 @@\n export function dedupe(items) {\n-  const out = []\n-  for (const item of items) {\n-    if (!out.includes(item)) out.push(item)\n-  }\n-  return out\n+  return [...new Set(items)]\n }\n"

const stateDir = join(temp, "state")
const waitFor = (runId: string) =>
  Effect.gen(function* () {
    const store = yield* Store
    for (let i = 0; i < 2400; i++) {
      const run = yield* store.getRun(null, runId)
      if (run.status === "succeeded" || run.status === "failed" || run.status === "cancelled") return run
      yield* Effect.sleep(Duration.millis(25))
    }
    return yield* Effect.die(new Error(`run ${runId} did not finish`))
  })

const base = Layer.mergeAll(Store.layer, engineLayer).pipe(Layer.provideMerge(Database.layer({ dataDir: "memory://" })))
const app = Runs.layer.pipe(Layer.provideMerge(workflowLayer), Layer.provide(Stages.layer({ stateDir })), Layer.provideMerge(base))

const validateOutput = (runId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient
    const rows = yield* sql<{ output: any }>`SELECT output FROM run_stages WHERE run_id = ${runId} AND stage = 'validate'`
    const output = rows[0]?.output
    return typeof output === "string" ? JSON.parse(output) : output
  })

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

        const output = yield* validateOutput(run.id)
        expect(output.llm).toMatchObject({ triage: `openai-compatible:scripted`, stopped: null, totals: { calls: 2 } })
        expect(output.attempts.find((a: any) => a.source.startsWith("llm:"))).toMatchObject({ status: "accepted", id: expect.stringMatching(new RegExp(`^${run.id}:`)) })

        const proposals = yield* store.listProposals(run.id)
        expect(proposals).toHaveLength(1)
        const data = proposals[0]!.data as any
        expect(data.source).toBe("llm:openai-compatible:scripted")
        expect(data.files).toEqual(["src/dedupe.js"])
        expect(data.llm.calls.map((c: any) => c.stage)).toEqual(["triage", "patch"])
        expect(data.artifacts.map((a: any) => a.name)).toEqual(["patch.diff", "evidence.json", "explanation.md", "llm-call-001-triage.json", "llm-call-002-patch.json"])
      }).pipe(Effect.scoped)
    )

    it.effect("a model that cannot be used (no key) leaves the run to the templates and records why", () =>
      Effect.gen(function* () {
        const previous = process.env.ANTHROPIC_API_KEY
        delete process.env.ANTHROPIC_API_KEY
        yield* Effect.addFinalizer(() => Effect.sync(() => (previous === undefined ? undefined : void (process.env.ANTHROPIC_API_KEY = previous))))
        const store = yield* Store
        const runs = yield* Runs
        const { orgId } = yield* store.bootstrap(undefined)
        const created = yield* store.createRepo(orgId, { name: "dedupe-nokey", url: null, path: fixture, defaultBranch: "main" })
        yield* store.updateSettings(orgId, created.id, { provider: "anthropic", model: "claude-haiku-4-5" })
        const run = yield* runs.start(orgId, created.id, "api")
        const done: Run = yield* waitFor(run.id)
        expect(done.status).toBe("succeeded")
        const output = yield* validateOutput(run.id)
        expect(output.llm.stopped).toMatch(/^the LLM agent did not run: no API key for anthropic .* Set ANTHROPIC_API_KEY/)
      }).pipe(Effect.scoped)
    )
  })
})
