/**
 * The proof ledger is persisted: a server restarted on the same data directory still answers
 * `GET /api/proposals/:id/ledger` with the refusals and publishes recorded before.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Pipeline } from "@ratchet/core"
import { Duration, ManagedRuntime } from "effect"
import * as Api from "../src/Api.js"
import * as Server from "../src/Server.js"
import { Store } from "../src/Store.js"

const temp = mkdtempSync(join(tmpdir(), "ratchet-ledger-"))
const dataDir = join(temp, "data")
const repoDir = join(temp, "repo")
const token = "rat_ledger_token_0123456789"
afterAll(() => rmSync(temp, { recursive: true, force: true }))

const git = (cwd: string, ...args: Array<string>) =>
  execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main", ...args], { cwd, encoding: "utf8", stdio: "pipe" })

const diff = "diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n@@ -1 +1 @@\n-export const a = 1\n+export const a = 2\n"

/** One server (everything but the listening socket) on the data directory, with its API. */
const start = () => {
  const runtime = ManagedRuntime.make(Server.layer({ dataDir, stages: Pipeline.Stages.layerTest({ delay: Duration.millis(1) }), scheduler: false }))
  const app = Api.make(runtime, { log: () => {}, publish: { patchesDir: join(temp, "patches") }, repoRoots: [temp] })
  const req = (method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
  return { runtime, req }
}

describe("the proof ledger survives a restart", () => {
  it("refusals and publishes recorded by one server are read back by the next", async () => {
    mkdirSync(repoDir, { recursive: true })
    git(repoDir, "init", "-q")
    writeFileSync(join(repoDir, "a.js"), "export const a = 1\n")
    git(repoDir, "add", "-A")
    git(repoDir, "commit", "-q", "-m", "init")

    const first = start()
    await first.runtime.runPromise(Store.use((s) => s.bootstrap(token)))
    const repo = (await (await first.req("POST", "/api/repos", { name: "ledger", path: repoDir })).json()) as { id: string }
    const run = (await (await first.req("POST", `/api/repos/${repo.id}/runs`)).json()) as { id: string }
    const data = { title: "a = 2", diff, files: ["a.js"], kind: "performance", tests: { passed: 1, failed: 0, skipped: 0 }, benchmark: null, policy: [], risk: "low", confidence: 0.9 }
    const p = await first.runtime.runPromise(Store.use((s) => s.addProposal({ id: "prop_restart", runId: run.id, repoId: repo.id, title: data.title, data })))
    expect((await first.req("POST", `/api/proposals/${p.id}/pr`)).status).toBe(409)
    expect((await first.req("POST", `/api/proposals/${p.id}/approve`, { contentHash: p.contentHash })).status).toBe(201)
    expect((await first.req("POST", `/api/proposals/${p.id}/pr`)).status).toBe(201)
    const before = await (await first.req("GET", `/api/proposals/${p.id}/ledger`)).json()
    await first.runtime.dispose()

    const second = start()
    try {
      const res = await second.req("GET", `/api/proposals/${p.id}/ledger`)
      expect(res.status).toBe(200)
      const after = (await res.json()) as { entries: Array<{ outcome: string; actor: string; contentHash: string }> }
      expect(after).toEqual(before)
      expect(after.entries.map((e) => [e.outcome, e.contentHash])).toEqual([["refused", p.contentHash], ["allowed", p.contentHash]])
      expect(after.entries.every((e) => e.actor === "token:RATCHET_TOKEN (tok_bootstrap_env)")).toBe(true)
      // the second server's gate finds the branch the first one wrote: idempotent, and recorded too
      expect((await second.req("POST", `/api/proposals/${p.id}/pr`)).status).toBe(200)
      const third = (await (await second.req("GET", `/api/proposals/${p.id}/ledger`)).json()) as { entries: Array<{ outcome: string; reason: string }> }
      expect(third.entries.map((e) => e.outcome)).toEqual(["refused", "allowed", "allowed"])
      expect(third.entries[2]!.reason).toMatch(/already published/)
    } finally {
      await second.runtime.dispose()
    }
  }, 120_000)
})
