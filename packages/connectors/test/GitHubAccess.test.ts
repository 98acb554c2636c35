import { execFileSync } from "node:child_process"
import { generateKeyPairSync } from "node:crypto"
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Patchgen, PolicyCheck } from "@ratchet/core"
import { Effect, Layer, Ref } from "effect"
import * as GitHubConnector from "../src/GitHubConnector.js"
import { ApprovalStore, WriteGate } from "../src/index.js"
import { type FakeOptions, fakeGitHub } from "./fakeGitHub.js"
import { approve, proposalOf } from "./helpers.js"

const BEFORE = "const xs = [1, 2, 3]\nfor (const k in xs) console.log(xs[k])\nmodule.exports = xs\n"
const AFTER = "const xs = [1, 2, 3]\nfor (const x of xs) console.log(x)\nmodule.exports = xs\n"
const FILES = { "a.js": BEFORE, "b.js": "export const b = 1\n" }
const PAT = `ghp_${"PrivAte5ecret".repeat(3)}`

// A GitHub App key pair, as GitHub hands it out (PKCS#1 PEM).
const keys = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } })
const APP = { id: 31337, publicKey: keys.publicKey, installationId: 77 }

const fast = { writeSpacingMs: 0, retryBaseMs: 10, maxWaitMs: 5_000 }

/** Every file under `dir`, recursively, as text (binary files too: a token would show in them). */
const allText = (dir: string): string =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f).toString("latin1"))
    .join("\n")

const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "ratchet-gh-access-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const publishWith = (connector: GitHubConnector.GitHub, proposal = proposalOf("app-1", Patchgen.unifiedDiff("a.js", BEFORE, AFTER))) =>
  Effect.gen(function* () {
    const store = yield* Ref.make([approve(proposal)])
    const gate = yield* WriteGate.make(connector).pipe(Effect.provide(Layer.merge(ApprovalStore.ApprovalStore.layerTest(store), PolicyCheck.PolicyCheck.layerTest())))
    return yield* gate.publish({ repo: "octo/app", baseBranch: "main", proposal, body: "Evidence." })
  })

describe("GitHub App authentication", () => {
  it.effect("exchanges a JWT for an installation token, reuses it until it nears expiry, then exchanges again", () =>
    Effect.gen(function* () {
      let clock = Date.parse("2026-05-01T10:00:00Z")
      const now = () => clock
      const gh = yield* fakeGitHub(FILES, { app: APP, private: true, now, tokens: {} })
      const connector = GitHubConnector.make({ auth: { type: "app", appId: APP.id, privateKey: keys.privateKey }, baseUrl: gh.url, now, ...fast })

      const first = yield* connector.validate("octo/app")
      expect(first).toMatchObject({ ok: true, auth: "app", identity: "ratchet-test", missing: [] })
      // the installation was looked up and one token exchanged, with a verified RS256 JWT
      expect(gh.requests.filter((r) => r.path === "/repos/octo/app/installation")).toHaveLength(2)
      expect(gh.issuedTokens).toHaveLength(1)
      const token = gh.issuedTokens[0].token
      const exchange = gh.requests.find((r) => r.path === "/app/installations/77/access_tokens")
      expect(exchange?.authorization).toMatch(/^bearer eyJ/)

      const published = yield* publishWith(connector)
      expect(published.created).toBe(true)
      // still one token: every repository request carried it
      expect(gh.issuedTokens).toHaveLength(1)
      const repoRequests = gh.requests.filter((r) => r.path.startsWith("/repos/octo/app/") && !r.path.endsWith("/installation"))
      expect(repoRequests.length).toBeGreaterThan(5)
      expect(repoRequests.every((r) => r.authorization === `token ${token}`)).toBe(true)

      // 56 minutes later the token is within the refresh margin (5 min): a new one is exchanged
      clock += 56 * 60_000
      const before = gh.requests.length
      const ci = yield* connector.ci("octo/app", published.commit as string)
      expect(ci.state).toBe("none")
      expect(gh.issuedTokens).toHaveLength(2)
      const fresh = gh.issuedTokens[1].token
      expect(fresh).not.toBe(token)
      expect(gh.requests.slice(before).filter((r) => r.path.includes("/commits/")).every((r) => r.authorization === `token ${fresh}`)).toBe(true)
      // the old token is dead on the fake's clock two hours on; the connector never sends it again
      clock += 2 * 3_600_000
      yield* connector.ci("octo/app", published.commit as string)
      expect(gh.issuedTokens).toHaveLength(3)
      expect(gh.requests.slice(before).some((r) => r.authorization === `token ${token}`)).toBe(false)
    }).pipe(Effect.scoped)
  )

  it.effect("a wrong private key or a missing installation is explained by validate", () =>
    Effect.gen(function* () {
      const gh = yield* fakeGitHub(FILES, { app: { ...APP, installed: false }, tokens: {} })
      const connector = GitHubConnector.make({ auth: { type: "app", appId: APP.id, privateKey: keys.privateKey }, baseUrl: gh.url, ...fast })
      const notInstalled = yield* connector.validate("octo/app")
      expect(notInstalled.ok).toBe(false)
      expect(notInstalled.missing.join("\n")).toContain("an installation of the App ratchet-test on octo/app")

      const other = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } })
      const wrong = GitHubConnector.make({ auth: { type: "app", appId: APP.id, privateKey: other.privateKey }, baseUrl: gh.url, ...fast })
      const refused = yield* wrong.validate("octo/app")
      expect(refused.ok).toBe(false)
      expect(refused.missing.join("\n")).toContain("valid App credentials")
      expect(JSON.stringify(refused)).not.toContain("PRIVATE KEY")

      const gh2 = yield* fakeGitHub(FILES, { app: { ...APP, permissions: { contents: "write", pull_requests: "write", metadata: "read" } }, tokens: {} })
      const partial = yield* GitHubConnector.make({ auth: { type: "app", appId: APP.id, privateKey: keys.privateKey }, baseUrl: gh2.url, ...fast }).validate("octo/app")
      expect(partial.ok).toBe(false)
      expect(partial.missing).toEqual([
        "the App permission issues: write (to reply on issues; it has none)",
        "the App permission checks: read (to follow CI; it has none)",
        "the App permission statuses: read (to follow CI; it has none)"
      ])
    }).pipe(Effect.scoped)
  )
})

describe("personal access tokens", () => {
  it.effect("validate says what is missing: a valid token, the repo scope, the repository, write access", () =>
    Effect.gen(function* () {
      const tokens: FakeOptions["tokens"] = {
        [PAT]: { login: "alice", scopes: "repo, workflow" },
        narrow: { login: "bob", scopes: "public_repo" },
        stranger: { login: "carol", scopes: "repo", access: "none" },
        reader: { login: "dave", scopes: null, access: "read" }
      }
      const gh = yield* fakeGitHub(FILES, { private: true, tokens })
      const check = (token: string) => GitHubConnector.make({ token, baseUrl: gh.url, ...fast }).validate("octo/app")
      expect(yield* check(PAT)).toMatchObject({ ok: true, identity: "alice", missing: [] })
      expect((yield* check("ghp_unknownTokenValue0123456789abcdef")).missing).toEqual(["a valid token: GitHub does not accept this one (revoked, expired or mistyped)"])
      expect((yield* check("narrow")).missing).toEqual(["the repo scope on the classic token (it has: public_repo)"])
      expect((yield* check("stranger")).missing[0]).toContain("access to octo/app")
      const reader = yield* check("reader")
      expect(reader.missing).toEqual(["write access to octo/app for dave (contents and pull requests: read and write)"])
      expect(reader.checks.find((c) => c.name === "token")?.detail).toContain("fine-grained")
      expect((yield* GitHubConnector.make({ token: "", baseUrl: gh.url }).validate("octo/app")).missing[0]).toContain("a token")
    }).pipe(Effect.scoped)
  )

  it.effect("a private repository is fetched with the token as an HTTP header: never in the URL, on disk or in errors", () =>
    Effect.gen(function* () {
      const gh = yield* fakeGitHub(FILES, { private: true, tokens: { [PAT]: { login: "alice", scopes: "repo" } } })
      const dir = yield* tempDir
      const connector = GitHubConnector.make({ token: PAT, baseUrl: gh.url, cloneBaseUrl: gh.url, ...fast })
      const sha = yield* connector.fetch("octo/app", "main", join(dir, "checkout"))
      expect(sha).toBe(gh.base)
      expect(readFileSync(join(dir, "checkout", "a.js"), "utf8")).toBe(BEFORE)
      // the credentials went over HTTP; the checkout (config, packed refs, logs) holds no trace of them
      expect(gh.gitRequests.some((r) => r.status === 200 && r.authorization === `Basic ${Buffer.from(`x-access-token:${PAT}`).toString("base64")}`)).toBe(true)
      const remote = execFileSync("git", ["-C", join(dir, "checkout"), "config", "--get", "remote.origin.url"], { encoding: "utf8" }).trim()
      expect(remote).toBe(`${gh.url}/octo/app.git`)
      const onDisk = allText(join(dir, "checkout"))
      expect(onDisk).not.toContain(PAT)
      expect(onDisk).not.toContain(Buffer.from(`x-access-token:${PAT}`).toString("base64"))

      // without credentials the private repository cannot be cloned, and the error names no secret
      const anonymous = GitHubConnector.make({ token: "", baseUrl: gh.url, cloneBaseUrl: gh.url })
      const refused = yield* Effect.flip(anonymous.fetch("octo/app", "main", join(dir, "anon")))
      expect(refused.reason._tag).toBe("GitFailed")
      const wrong = GitHubConnector.make({ token: "ghp_wrongWrongWrongWrongWrong0123456", baseUrl: gh.url, cloneBaseUrl: gh.url })
      const denied = yield* Effect.flip(wrong.fetch("octo/app", "main", join(dir, "wrong")))
      expect(denied.message).not.toContain("ghp_wrongWrong")
      expect(gh.gitRequests.some((r) => r.status === 401)).toBe(true)
    }).pipe(Effect.scoped)
  )

  it.effect("a private repository is fetched with a GitHub App installation token", () =>
    Effect.gen(function* () {
      const gh = yield* fakeGitHub(FILES, { private: true, app: APP, tokens: {} })
      const dir = yield* tempDir
      const connector = GitHubConnector.make({ auth: { type: "app", appId: APP.id, privateKey: keys.privateKey }, baseUrl: gh.url, cloneBaseUrl: gh.url, ...fast })
      const sha = yield* connector.fetch("octo/app", gh.base, join(dir, "checkout"))
      expect(sha).toBe(gh.base)
      expect(gh.issuedTokens).toHaveLength(1)
      const onDisk = allText(join(dir, "checkout"))
      expect(onDisk).not.toContain(gh.issuedTokens[0].token)
      expect(onDisk).not.toContain("PRIVATE KEY")
    }).pipe(Effect.scoped)
  )
})

describe("pull requests, replies and CI", () => {
  it.effect("pull requests are drafts unless configured otherwise", () =>
    Effect.gen(function* () {
      const gh = yield* fakeGitHub(FILES)
      yield* publishWith(GitHubConnector.make({ token: PAT, baseUrl: gh.url, ...fast }))
      expect(gh.pulls[0].draft).toBe(true)
      const gh2 = yield* fakeGitHub(FILES)
      yield* publishWith(GitHubConnector.make({ token: PAT, baseUrl: gh2.url, draft: false, ...fast }))
      expect(gh2.pulls[0].draft).toBe(false)
    }).pipe(Effect.scoped)
  )

  it.effect("roles, replies, pull request state and CI (check runs and statuses)", () =>
    Effect.gen(function* () {
      const gh = yield* fakeGitHub(FILES, { permissions: { alice: "admin", bob: "maintain", carol: "triage", mallory: "none" } })
      const connector = GitHubConnector.make({ token: PAT, baseUrl: gh.url, ...fast })
      expect(yield* connector.role("octo/app", "alice")).toBe("admin")
      expect(yield* connector.role("octo/app", "bob")).toBe("maintain")
      expect(yield* connector.role("octo/app", "carol")).toBe("triage")
      expect(yield* connector.role("octo/app", "dave")).toBe("read")
      expect(yield* connector.role("octo/app", "mallory")).toBe("none")
      expect(GitHubConnector.canWrite("maintain")).toBe(true)
      expect(GitHubConnector.canWrite("triage")).toBe(false)
      expect((yield* Effect.flip(connector.role("octo/app", "../x"))).reason._tag).toBe("InvalidRequest")

      const reply = yield* connector.comment("octo/app", 3, `NO-GO: too large. (token ${PAT} must never be echoed)`)
      expect(reply.url).toContain("/issues/3#issuecomment-")
      expect(gh.comments[0].body).toContain("NO-GO: too large.")
      expect(gh.comments[0].body).not.toContain(PAT)

      const published = yield* publishWith(connector)
      const head = published.commit as string
      expect(yield* connector.pull("octo/app", 1)).toMatchObject({ number: 1, state: "open", merged: false, draft: true, headSha: head })
      expect((yield* connector.ci("octo/app", head)).state).toBe("none")
      gh.setCheck(head, "test", "in_progress")
      gh.setStatus(head, "lint", "success")
      expect(yield* connector.ci("octo/app", head)).toMatchObject({ state: "pending", summary: "1 passed, 0 failed, 1 pending (test)" })
      gh.setCheck(head, "test", "completed", "failure")
      expect(yield* connector.ci("octo/app", head)).toMatchObject({ state: "failure", summary: "1 passed, 1 failed (test), 0 pending" })
      gh.setCheck(head, "test", "completed", "success")
      gh.setCheck(head, "docs", "completed", "skipped")
      expect((yield* connector.ci("octo/app", head)).state).toBe("success")
      gh.setStatus(head, "deploy", "error")
      expect((yield* connector.ci("octo/app", head)).state).toBe("failure")
      gh.closePull(1, true)
      expect(yield* connector.pull("octo/app", 1)).toMatchObject({ state: "closed", merged: true })
    }).pipe(Effect.scoped)
  )

  // it.live: the retries really wait
  it.live("reads are retried after a 5xx; a branch creation is not repeated; writes are spaced", () =>
    Effect.gen(function* () {
      const gh = yield* fakeGitHub(FILES)
      gh.faults.push({ method: "GET", path: /\/git\/commits\//, status: 502, body: { message: "Server Error" }, times: 1 })
      const connector = GitHubConnector.make({ token: PAT, baseUrl: gh.url, retryBaseMs: 10, writeSpacingMs: 150 })
      const ok = yield* publishWith(connector)
      expect(ok.created).toBe(true)
      expect(gh.requests.filter((r) => r.method === "GET" && r.path.includes("/git/commits/"))).toHaveLength(2)
      const posts = gh.requests.filter((r) => r.method === "POST")
      // Bottleneck starts writes ≥ 150 ms apart. Arrival is measured on this process's event loop, which may
      // see one request late and the next on time: allow 30 ms of that per gap, and none over the whole run.
      // Unspaced writes arrive one round trip apart (about 40 ms here).
      expect(posts.length).toBeGreaterThanOrEqual(3)
      for (let i = 1; i < posts.length; i++) expect(posts[i].at - posts[i - 1].at).toBeGreaterThanOrEqual(120)
      expect(posts.at(-1)!.at - posts[0].at).toBeGreaterThanOrEqual((posts.length - 1) * 150 - 30)

      const gh2 = yield* fakeGitHub(FILES)
      gh2.faults.push({ method: "POST", path: /\/git\/refs$/, status: 502, body: { message: "Server Error" }, times: 1 })
      const error = yield* Effect.flip(publishWith(GitHubConnector.make({ token: PAT, baseUrl: gh2.url, ...fast })))
      expect(error.reason._tag).toBe("RemoteFailed")
      expect(gh2.requests.filter((r) => r.method === "POST" && r.path.endsWith("/git/refs"))).toHaveLength(1)
    }).pipe(Effect.scoped)
  )
})

describe("the fake GitHub is held to GitHub's OpenAPI description", () => {
  it.effect("a response that breaks the description is caught", () =>
    Effect.gen(function* () {
      const gh = yield* fakeGitHub(FILES)
      gh.breakNext(/\/git\/ref\//)
      const connector = GitHubConnector.make({ token: PAT, baseUrl: gh.url, ...fast })
      yield* Effect.ignore(connector.pull("octo/app", 99))
      expect(gh.violations).toEqual([])
      yield* Effect.ignore(publishWith(connector))
      expect(gh.violations.join("\n")).toContain("GET /repos/{owner}/{repo}/git/ref/{ref} 404: /url must be string")
      // a request body the API would refuse is caught too
      gh.violations.splice(0)
      yield* Effect.promise(() =>
        fetch(`${gh.url}/repos/octo/app/git/refs`, { method: "POST", headers: { authorization: `token ${PAT}`, "content-type": "application/json" }, body: JSON.stringify({ ref: 1 }) })
      )
      expect(gh.violations.join("\n")).toContain("must have required property 'sha'")
      gh.violations.splice(0)
    }).pipe(Effect.scoped)
  )
})
