/**
 * "Create PR" (`POST /api/proposals/:id/pr`) goes through the WriteGate: nothing is written to the
 * repository before the proposal is approved at its current content, and the policy is re-run.
 * A real git repository on disk is the target (the local connector pushes `ratchet/<id>`).
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, ManagedRuntime } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Api from "../src/Api.js"
import * as Server from "../src/Server.js"
import { Pipeline } from "@ratchet/core"
import { Store } from "../src/Store.js"

const temp = mkdtempSync(join(tmpdir(), "ratchet-publish-"))
const patchesDir = join(temp, "patches")
const runtime = ManagedRuntime.make(Server.layer({ dataDir: "memory://", stages: Pipeline.Stages.layerTest({ delay: Duration.millis(1) }), scheduler: false }))
const app = Api.make(runtime, { log: () => {}, publish: { patchesDir }, repoRoots: [temp] })
const token = "rat_publish_token_0123456789"

const git = (cwd: string, ...args: Array<string>) =>
  execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main", ...args], { cwd, encoding: "utf8", stdio: "pipe" })

const repoDir = join(temp, "repo")
const monorepo = join(temp, "monorepo")
beforeAll(async () => {
  execFileSync("mkdir", ["-p", join(monorepo, "packages", "lib")])
  git(monorepo, "init", "-q")
  writeFileSync(join(monorepo, "packages", "lib", "search.js"), "export function count(lines) {\n  return lines.filter((l) => /^#/.test(l)).length\n}\n")
  git(monorepo, "add", "-A")
  git(monorepo, "commit", "-q", "-m", "init")
  execFileSync("mkdir", ["-p", repoDir])
  git(repoDir, "init", "-q")
  writeFileSync(join(repoDir, "search.js"), "export function count(lines) {\n  return lines.filter((l) => /^#/.test(l)).length\n}\n")
  git(repoDir, "add", "-A")
  git(repoDir, "commit", "-q", "-m", "init")
  await runtime.runPromise(Store.use((s) => s.bootstrap(token)))
}, 60_000)
afterAll(async () => {
  await runtime.dispose()
  rmSync(temp, { recursive: true, force: true })
})

const req = (method: string, path: string, body?: unknown) =>
  app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })

const diff = [
  "diff --git a/search.js b/search.js",
  "--- a/search.js",
  "+++ b/search.js",
  "@@ -1,3 +1,5 @@",
  "+const COMMENT = /^#/",
  "+",
  " export function count(lines) {",
  "-  return lines.filter((l) => /^#/.test(l)).length",
  "+  return lines.filter((l) => COMMENT.test(l)).length",
  " }",
  ""
].join("\n")

/** A stored proposal of a repository connected by path, as the package stage writes it. */
const proposalFor = async (name: string, id: string, patch = diff, path = repoDir) => {
  const repo = (await (await req("POST", "/api/repos", { name, path })).json()) as { id: string }
  const run = (await (await req("POST", `/api/repos/${repo.id}/runs`)).json()) as { id: string }
  const data = {
    title: "Hoist a constant RegExp",
    diff: patch,
    files: ["search.js"],
    kind: "performance",
    tests: { passed: 3, failed: 0, skipped: 0 },
    benchmark: null,
    policy: [],
    risk: "low",
    confidence: 0.8
  }
  return runtime.runPromise(Store.use((s) => s.addProposal({ id, runId: run.id, repoId: repo.id, title: data.title, data })))
}

const branches = () => git(repoDir, "branch", "--list", "ratchet/*").trim()

describe("POST /api/proposals/:id/pr", () => {
  it("refuses a proposal nobody approved and writes nothing", async () => {
    const p = await proposalFor("unapproved", "prop_unapproved")
    const res = await req("POST", `/api/proposals/${p.id}/pr`)
    expect(res.status).toBe(409)
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/no approval is recorded/)
    expect(branches()).toBe("")
    expect(existsSync(join(patchesDir, `${p.id}.patch`))).toBe(false)
  })

  it("never publishes a rejected proposal, even with an approval row beside the rejection (#12 item 1)", async () => {
    const p = await proposalFor("rejected", "prop_rejected")
    expect((await req("POST", `/api/proposals/${p.id}/reject`, { contentHash: p.contentHash, note: "no" })).status).toBe(201)
    expect((await req("POST", `/api/proposals/${p.id}/approve`, { contentHash: p.contentHash })).status).toBe(409)
    // what the old race left behind: an approval recorded after the rejection
    await runtime.runPromise(Effect.gen(function* () {
      const sql = yield* SqlClient
      yield* sql`INSERT INTO approvals (id, proposal_id, decision, actor, note, content_hash, created_at)
        VALUES ('apr_stray', ${p.id}, 'approved', 'stray', null, ${p.contentHash}, now() + interval '1 minute')`
    }))
    const res = await req("POST", `/api/proposals/${p.id}/pr`)
    expect(res.status).toBe(409)
    expect(branches()).toBe("")
    expect(existsSync(join(patchesDir, `${p.id}.patch`))).toBe(false)
  })

  it("refuses a proposal changed after its approval", async () => {
    const p = await proposalFor("edited", "prop_edited")
    expect((await req("POST", `/api/proposals/${p.id}/approve`, { contentHash: p.contentHash })).status).toBe(201)
    // the stored content changes behind the reviewer's back
    await runtime.runPromise(
      Effect.gen(function* () {
        const sql = yield* SqlClient
        yield* sql`UPDATE proposals SET data = jsonb_set(data, '{title}', '"something else"') WHERE id = ${p.id}`
      })
    )
    const res = await req("POST", `/api/proposals/${p.id}/pr`)
    expect(res.status).toBe(409)
    expect(branches()).toBe("")
  })

  it("refuses, after approval, a diff the policy blocks", async () => {
    const blocked = diff.replace("+const COMMENT = /^#/", '+const COMMENT = /^#/ // ghp_abcdefghijklmnopqrstuvwxyz0123456789')
    const p = await proposalFor("blocked", "prop_blocked", blocked)
    expect((await req("POST", `/api/proposals/${p.id}/approve`, { contentHash: p.contentHash })).status).toBe(201)
    const res = await req("POST", `/api/proposals/${p.id}/pr`)
    expect(res.status).toBe(409)
    const message = ((await res.json()) as { error: { message: string } }).error.message
    expect(message).toMatch(/polic/i)
    expect(message).not.toContain("ghp_abcdefghijklmnopqrstuvwxyz0123456789")
    expect(branches()).toBe("")
  })

  it("runs a trusted repository's policy plugin at the gate, and not an untrusted one's (#17)", async () => {
    // a repository whose config has a policy plugin (code) that blocks every change
    const dir = join(temp, "plugin-policy")
    execFileSync("mkdir", ["-p", dir])
    git(dir, "init", "-q")
    writeFileSync(join(dir, "search.js"), "export function count(lines) {\n  return lines.filter((l) => /^#/.test(l)).length\n}\n")
    writeFileSync(join(dir, "ratchet.config.mjs"), [
      "export default {",
      '  plugins: [{ name: "acme:veto", policy: () => [{ rule: "acme:veto", severity: "BLOCK", file: null, message: "acme vetoes every change" }] }]',
      "}",
      ""
    ].join("\n"))
    git(dir, "add", "-A")
    git(dir, "commit", "-q", "-m", "init")
    const untrusted = await proposalFor("plugin-untrusted", "prop_plugin_untrusted", diff, dir)
    expect((await req("POST", `/api/proposals/${untrusted.id}/approve`, { contentHash: untrusted.contentHash })).status).toBe(201)
    // untrusted: the config is data, the plugin does not run, the change is published
    expect((await req("POST", `/api/proposals/${untrusted.id}/pr`)).status).toBe(201)

    const trusted = await proposalFor("plugin-trusted", "prop_plugin_trusted", diff, dir)
    expect((await req("PATCH", `/api/repos/${trusted.repoId}/settings`, { trusted: true })).status).toBe(200)
    expect((await req("POST", `/api/proposals/${trusted.id}/approve`, { contentHash: trusted.contentHash })).status).toBe(201)
    const res = await req("POST", `/api/proposals/${trusted.id}/pr`)
    expect(res.status).toBe(409)
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/acme vetoes every change/)
    expect(git(dir, "branch", "--list", `ratchet/${trusted.id}`).trim()).toBe("")
  })

  it("refuses, after approval, a diff beyond the policy limits the server sets for the repository", async () => {
    const p = await proposalFor("limited", "prop_limited")
    // the diff changes 4 lines; the repository's own config allows the defaults (200)
    const bad = await req("PATCH", `/api/repos/${p.repoId}/settings`, { policy: { maxLines: 0 } })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe("policy.maxLines")
    const set = await req("PATCH", `/api/repos/${p.repoId}/settings`, { policy: { maxLines: 3 } })
    expect(set.status).toBe(200)
    expect(((await set.json()) as { settings: { policy: unknown } }).settings.policy).toEqual({ maxFiles: null, maxLines: 3 })
    expect((await req("POST", `/api/proposals/${p.id}/approve`, { contentHash: p.contentHash })).status).toBe(201)
    const res = await req("POST", `/api/proposals/${p.id}/pr`)
    expect(res.status).toBe(409)
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/max-lines|changed lines/)
    expect(branches()).toBe("")
    // null clears the limit: the same approval now publishes
    expect((await req("PATCH", `/api/repos/${p.repoId}/settings`, { policy: { maxLines: null } })).status).toBe(200)
    const ok = await req("POST", `/api/proposals/${p.id}/pr`)
    expect(ok.status, await ok.clone().text()).toBe(201)
    git(repoDir, "branch", "-D", `ratchet/${p.id}`)
  })

  it("publishes an approved proposal as branch ratchet/<id> with one commit and a patch file, once", async () => {
    const p = await proposalFor("approved", "prop_approved")
    expect((await req("POST", `/api/proposals/${p.id}/approve`, { contentHash: p.contentHash, note: "lgtm" })).status).toBe(201)
    const res = await req("POST", `/api/proposals/${p.id}/pr`)
    const body = (await res.json()) as { branch: string; created: boolean; commit: string; patchFile: string; connector: string }
    expect(res.status, JSON.stringify(body)).toBe(201)
    expect(body).toMatchObject({ branch: `ratchet/${p.id}`, created: true, connector: "local-git" })
    expect(branches()).toBe(`ratchet/${p.id}`)
    expect(git(repoDir, "show", `ratchet/${p.id}:search.js`)).toContain("COMMENT.test(l)")
    expect(git(repoDir, "log", "-1", "--format=%B", `ratchet/${p.id}`)).toContain(`Ratchet-Content-Hash:`)
    expect(existsSync(body.patchFile)).toBe(true)
    // the default branch is untouched
    expect(git(repoDir, "show", "main:search.js")).toContain("/^#/.test(l)")
    // idempotent: a second request finds the branch (below)
    const again = await req("POST", `/api/proposals/${p.id}/pr`)
    expect(again.status).toBe(200)
    expect(((await again.json()) as { created: boolean }).created).toBe(false)
  })

  it("publishes a package of a monorepo at the repository's top level, with its paths re-rooted", async () => {
    const p = await proposalFor("package", "prop_package", diff, join(monorepo, "packages", "lib"))
    expect((await req("POST", `/api/proposals/${p.id}/approve`, { contentHash: p.contentHash })).status).toBe(201)
    const res = await req("POST", `/api/proposals/${p.id}/pr`)
    expect(res.status, await res.clone().text()).toBe(201)
    expect(git(monorepo, "show", `ratchet/${p.id}:packages/lib/search.js`)).toContain("COMMENT.test(l)")
    expect(git(monorepo, "show", `ratchet/${p.id}`, "--stat", "--format=")).toContain("packages/lib/search.js")
  })
})

describe("the published commit is bound to the approved content (#12 item 9)", () => {
  it("carries Ratchet-Content-Hash: <the content hash the approval covers>, also for a package of a monorepo", async () => {
    for (const [name, id, path, top] of [["bound", "prop_bound", repoDir, repoDir], ["bound-package", "prop_bound_package", join(monorepo, "packages", "lib"), monorepo]] as const) {
      const p = await proposalFor(name, id, diff, path)
      expect((await req("POST", `/api/proposals/${p.id}/approve`, { contentHash: p.contentHash })).status).toBe(201)
      const res = await req("POST", `/api/proposals/${p.id}/pr`)
      const body = (await res.json()) as { contentHash: string }
      expect(res.status, JSON.stringify(body)).toBe(201)
      expect(body.contentHash).toBe(p.contentHash)
      const trailers = git(top, "log", "-1", "--format=%(trailers:key=Ratchet-Content-Hash,valueonly)", `ratchet/${p.id}`).trim()
      expect(trailers).toBe(p.contentHash)
    }
  })
})

type Ledger = { proposalId: string; entries: Array<{ seq: number; at: string; actor: string | null; contentHash: string | null; outcome: string; reason: string; branch: string | null; connector: string }> }

describe("GET /api/proposals/:id/ledger (the WriteGate's proof ledger)", () => {
  it("returns the persisted refusals and publishes: who asked, the content hash, the outcome, when", async () => {
    const p = await proposalFor("ledger", "prop_ledger")
    expect((await req("POST", `/api/proposals/${p.id}/pr`)).status).toBe(409)
    expect((await req("POST", `/api/proposals/${p.id}/approve`, { contentHash: p.contentHash })).status).toBe(201)
    expect((await req("POST", `/api/proposals/${p.id}/pr`)).status).toBe(201)
    const res = await req("GET", `/api/proposals/${p.id}/ledger`)
    expect(res.status).toBe(200)
    const ledger = (await res.json()) as Ledger
    expect(ledger.proposalId).toBe(p.id)
    expect(ledger.entries.map((e) => [e.outcome, e.actor, e.contentHash, e.connector])).toEqual([
      ["refused", "token:RATCHET_TOKEN (tok_bootstrap_env)", p.contentHash, "local-git"],
      ["allowed", "token:RATCHET_TOKEN (tok_bootstrap_env)", p.contentHash, "local-git"]
    ])
    expect(ledger.entries[0]!.reason).toMatch(/no approval is recorded/)
    expect(ledger.entries[1]!.branch).toBe(`ratchet/${p.id}`)
    expect(ledger.entries[0]!.seq).toBeLessThan(ledger.entries[1]!.seq)
    expect(Date.parse(ledger.entries[0]!.at)).toBeLessThanOrEqual(Date.parse(ledger.entries[1]!.at))
    // an unknown proposal is 404
    expect((await req("GET", "/api/proposals/prop_nope/ledger")).status).toBe(404)
  })

  it("publishes of one repository through the server's one gate all land, each recorded once", async () => {
    const ps = await Promise.all(["a", "b", "c"].map(async (n, i) => {
      const patch = diff.replace("const COMMENT = /^#/", `const COMMENT = /^#${"#".repeat(i)}/`)
      return proposalFor(`serial-${n}`, `prop_serial_${n}`, patch)
    }))
    for (const p of ps) expect((await req("POST", `/api/proposals/${p.id}/approve`, { contentHash: p.contentHash })).status).toBe(201)
    const results = await Promise.all(ps.map((p) => req("POST", `/api/proposals/${p.id}/pr`)))
    expect(results.map((r) => r.status)).toEqual([201, 201, 201])
    for (const p of ps) {
      expect(git(repoDir, "rev-parse", "--verify", "-q", `ratchet/${p.id}`).trim()).toMatch(/^[0-9a-f]{40}$/)
      const ledger = (await (await req("GET", `/api/proposals/${p.id}/ledger`)).json()) as Ledger
      expect(ledger.entries.map((e) => e.outcome)).toEqual(["allowed"])
    }
  })
})
