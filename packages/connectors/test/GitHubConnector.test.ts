import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Package, Patchgen, PolicyCheck } from "@ratchet/core"
import { Effect, Layer, Ref } from "effect"
import * as GitHubConnector from "../src/GitHubConnector.js"
import { ApprovalStore, WriteGate } from "../src/index.js"
import { fakeGitHub } from "./fakeGitHub.js"
import { approve, fixture, proposalOf, sh } from "./helpers.js"

type Approval = ApprovalStore.Approval

const TOKEN = `ghp_${"T0k3nV4lu3".repeat(4)}`
const BEFORE = "const xs = [1, 2, 3]\nfor (const k in xs) console.log(xs[k])\nmodule.exports = xs\n"
const AFTER = "const xs = [1, 2, 3]\nfor (const x of xs) console.log(x)\nmodule.exports = xs\n"
const FILES = { "a.js": BEFORE, "b.js": "export const b = 1\n", "lib/c.js": "c\n" }

const gateFor = (url: string, approvals: ReadonlyArray<Approval>, extra: Partial<GitHubConnector.GitHubOptions> = {}) =>
  Effect.gen(function* () {
    const store = yield* Ref.make(approvals)
    const connector = GitHubConnector.make({ token: TOKEN, baseUrl: url, maxWaitMs: 5_000, writeSpacingMs: 0, retryBaseMs: 10, ...extra })
    return yield* WriteGate.make(connector).pipe(Effect.provide(Layer.merge(ApprovalStore.ApprovalStore.layerTest(store), PolicyCheck.PolicyCheck.layerTest())))
  })

const proposal = proposalOf("gh-1", Patchgen.unifiedDiff("a.js", BEFORE, AFTER))
const writes = (requests: ReadonlyArray<{ method: string }>) => requests.filter((r) => r.method !== "GET")

describe("GitHubConnector (against a fake GitHub on loopback)", () => {
  it.effect("sends nothing at all to GitHub without an approval", () =>
    Effect.gen(function* () {
      const gh = yield* fakeGitHub(FILES)
      const gate = yield* gateFor(gh.url, [])
      const error = yield* Effect.flip(gate.publish({ repo: "octo/app", baseBranch: "main", proposal }))
      expect(error.reason._tag).toBe("NotApproved")
      expect(gh.requests).toEqual([])
      expect([...gh.refs.keys()]).toEqual(["heads/main"])
    }).pipe(Effect.scoped)
  )

  it.effect("creates blobs, tree, commit, branch and PR through the Git Data API; the branch holds exactly the diff", () =>
    Effect.gen(function* () {
      const gh = yield* fakeGitHub(FILES)
      const gate = yield* gateFor(gh.url, [approve(proposal)])
      const result = yield* gate.publish({ repo: "octo/app", baseBranch: "main", proposal, body: "Faster loop." })
      expect(result).toMatchObject({ branch: "ratchet/gh-1", created: true, url: "https://github.example/octo/app/pull/1" })
      const head = gh.refs.get("heads/ratchet/gh-1") as string
      expect(head).toBe(result.commit)
      const commit = gh.commits.get(head)
      expect(commit?.parents).toEqual([gh.base])
      expect(commit?.author).toEqual({ name: "Ratchet", email: "ratchet@localhost", date: "2026-11-21T10:00:00.000Z" })
      expect(commit?.message).toContain(`Ratchet-Content-Hash: ${Package.contentHashOf(proposal)}`)
      expect(gh.fileAt(head, "a.js")).toBe(AFTER)
      expect(gh.fileAt(head, "b.js")).toBe(FILES["b.js"])
      expect(gh.fileAt(head, "lib/c.js")).toBe(FILES["lib/c.js"])
      expect(Patchgen.unifiedDiff("a.js", gh.fileAt(gh.base, "a.js") as string, gh.fileAt(head, "a.js") as string)).toBe(proposal.diff)
      expect(gh.pulls).toHaveLength(1)
      expect(gh.pulls[0]).toMatchObject({ head: "ratchet/gh-1", base: "main" })
      expect(gh.pulls[0].body).toContain("Faster loop.")
      expect(gh.pulls[0].body).toContain(GitHubConnector.bodyMarker(Package.contentHashOf(proposal)))
      expect(writes(gh.requests).map((r) => r.path)).toEqual([
        "/repos/octo/app/git/blobs",
        "/repos/octo/app/git/trees",
        "/repos/octo/app/git/commits",
        "/repos/octo/app/git/refs",
        "/repos/octo/app/pulls"
      ])
      expect(gh.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true)
    }).pipe(Effect.scoped)
  )

  it.effect("is idempotent: an existing PR for the branch is returned with created: false and nothing is written", () =>
    Effect.gen(function* () {
      const gh = yield* fakeGitHub(FILES)
      const gate = yield* gateFor(gh.url, [approve(proposal)])
      const first = yield* gate.publish({ repo: "octo/app", baseBranch: "main", proposal })
      const before = writes(gh.requests).length
      const second = yield* gate.publish({ repo: "octo/app", baseBranch: "main", proposal })
      expect(second).toMatchObject({ created: false, url: first.url, branch: first.branch })
      expect(writes(gh.requests)).toHaveLength(before)
      expect(gh.pulls).toHaveLength(1)
    }).pipe(Effect.scoped)
  )

  it.effect("a branch left without a PR (crash) is reused; a branch with other content is refused", () =>
    Effect.gen(function* () {
      const gh = yield* fakeGitHub(FILES)
      // the PR creation fails for good once: the branch exists, no PR
      gh.faults.push({ method: "POST", path: /\/pulls$/, status: 422, body: { message: "Validation Failed", documentation_url: "https://docs.github.com/rest" }, times: 1 })
      const gate = yield* gateFor(gh.url, [approve(proposal)])
      const error = yield* Effect.flip(gate.publish({ repo: "octo/app", baseBranch: "main", proposal }))
      expect(error.reason._tag).toBe("RemoteFailed")
      expect(gh.refs.has("heads/ratchet/gh-1")).toBe(true)
      const commitsBefore = gh.commits.size
      const retried = yield* gate.publish({ repo: "octo/app", baseBranch: "main", proposal })
      expect(retried.created).toBe(true)
      expect(gh.commits.size).toBe(commitsBefore)
      expect(gh.pulls).toHaveLength(1)
      // someone else's branch of the same name
      const other = proposalOf("gh-2", Patchgen.unifiedDiff("b.js", FILES["b.js"], "export const b = 2\n"), ["b.js"])
      gh.refs.set("heads/ratchet/gh-2", gh.base)
      const gate2 = yield* gateFor(gh.url, [approve(other)])
      const conflict = yield* Effect.flip(gate2.publish({ repo: "octo/app", baseBranch: "main", proposal: other }))
      expect(conflict.reason._tag).toBe("BranchConflict")
      expect(gh.refs.get("heads/ratchet/gh-2")).toBe(gh.base)
    }).pipe(Effect.scoped)
  )

  // it.live: the retry really sleeps (it.effect's TestClock would never advance)
  it.live("honours retry-after on a rate limit, and gives up on a wait longer than allowed", () =>
    Effect.gen(function* () {
      const gh = yield* fakeGitHub(FILES)
      gh.faults.push({ method: "POST", path: /\/pulls$/, status: 429, headers: { "retry-after": "1" }, body: { message: "secondary rate limit" }, times: 1 })
      const gate = yield* gateFor(gh.url, [approve(proposal)])
      const result = yield* gate.publish({ repo: "octo/app", baseBranch: "main", proposal })
      expect(result.created).toBe(true)
      const posts = gh.requests.filter((r) => r.method === "POST" && r.path.endsWith("/pulls"))
      expect(posts).toHaveLength(2)
      expect(posts[1].at - posts[0].at).toBeGreaterThanOrEqual(950)

      const gh2 = yield* fakeGitHub(FILES)
      gh2.faults.push({ method: "GET", path: /\/pulls$/, status: 403, headers: { "retry-after": "3600" }, body: { message: "rate limited" }, times: 5 })
      const gate2 = yield* gateFor(gh2.url, [approve(proposal)])
      const error = yield* Effect.flip(gate2.publish({ repo: "octo/app", baseBranch: "main", proposal }))
      expect(error.reason._tag).toBe("RemoteFailed")
      expect(error.message).toContain("rate limited for 3600s")
      expect(error.message).toContain("retry after 3600s")
      expect(error.retryable).toBe(true)
      expect(gh2.requests).toHaveLength(1)
    }).pipe(Effect.scoped)
  )

  it.effect("the token never appears in errors, even when GitHub echoes it", () =>
    Effect.gen(function* () {
      const gh = yield* fakeGitHub(FILES)
      gh.faults.push({ method: "GET", path: /\/pulls$/, status: 401, body: { message: `Bad credentials: ${TOKEN} (Authorization: token ${TOKEN})` }, times: 1 })
      const other = "not-a-known-format-s3cr3t"
      const gate = yield* gateFor(gh.url, [approve(proposal)], { token: other })
      gh.faults[0] = { ...gh.faults[0], body: { message: `Bad credentials: ${other}` } }
      const error = yield* Effect.flip(gate.publish({ repo: "octo/app", baseBranch: "main", proposal }))
      expect(error.reason._tag).toBe("RemoteFailed")
      expect(error.message).toContain("HTTP 401")
      expect(error.message).not.toContain(other)
      expect(JSON.stringify(error)).not.toContain(other)
      expect(JSON.stringify(yield* gate.audit)).not.toContain(other)
      // a known token format is removed even if the connector was not told about it
      gh.faults.push({ method: "GET", path: /\/pulls$/, status: 401, body: { message: `leaked ${TOKEN}` }, times: 1 })
      const error2 = yield* Effect.flip(gate.publish({ repo: "octo/app", baseBranch: "main", proposal }))
      expect(error2.message).not.toContain(TOKEN)
    }).pipe(Effect.scoped)
  )

  it.effect("a diff that no longer applies creates no branch and no PR; bad repository names are refused", () =>
    Effect.gen(function* () {
      const gh = yield* fakeGitHub(FILES)
      gh.pushToMain("a.js", "// rewritten upstream\n")
      const gate = yield* gateFor(gh.url, [approve(proposal)])
      const error = yield* Effect.flip(gate.publish({ repo: "octo/app", baseBranch: "main", proposal }))
      expect(error.reason._tag).toBe("GitFailed")
      expect(error.message).toContain("does not apply")
      expect([...gh.refs.keys()]).toEqual(["heads/main"])
      expect(gh.pulls).toEqual([])
      // against the commit it was made on, it applies
      const ok = yield* gate.publish({ repo: "octo/app", baseBranch: "main", baseCommit: gh.base, proposal })
      expect(ok.created).toBe(true)
      for (const repo of ["octo", "octo/app/extra", "../x", "octo/..", "https://github.com/octo/app"]) {
        const bad = yield* Effect.flip(gate.publish({ repo, baseBranch: "main", proposal }))
        expect(bad.message).toContain("owner/name")
      }
      // a diff that escapes the repository is refused before any write
      const escaping = proposalOf("gh-3", Patchgen.unifiedDiff("../etc/passwd", "x\n", "y\n"), ["../etc/passwd"])
      const gate3 = yield* gateFor(gh.url, [approve(escaping)])
      const before = writes(gh.requests).length
      const esc = yield* Effect.flip(gate3.publish({ repo: "octo/app", baseBranch: "main", proposal: escaping }))
      expect(esc.message).toContain("'..'")
      expect(writes(gh.requests)).toHaveLength(before)
    }).pipe(Effect.scoped)
  )

  it.effect("fetch clones owner/name at a commit with real git", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      const hosted = mkdtempSync(join(tmpdir(), "ratchet-gh-clone-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(hosted, { recursive: true, force: true })))
      sh(hosted, "clone", "--quiet", "--bare", f.remote, join(hosted, "octo", "app.git"))
      const connector = GitHubConnector.make({ token: TOKEN, cloneBaseUrl: `file://${hosted}` })
      const sha = yield* connector.fetch("octo/app", f.base, join(f.root, "gh-checkout"))
      expect(sha).toBe(f.base)
      expect(readFileSync(join(f.root, "gh-checkout", "b.js"), "utf8")).toBe("export const b = 1\n")
      const error = yield* Effect.flip(connector.fetch("octo/missing", "main", join(f.root, "gh-missing")))
      expect(error.reason._tag).toBe("GitFailed")
      expect(error.message).not.toContain(TOKEN)
      const bad = yield* Effect.flip(connector.fetch("not a repo", "main", join(f.root, "gh-bad")))
      expect(bad.message).toContain("owner/name")
    }).pipe(Effect.scoped)
  )
})
