import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Package, PolicyCheck, RatchetError } from "@ratchet/core"
import { PolicyEngine } from "@ratchet/policy"
import { Deferred, Effect, Fiber, Layer, Ref } from "effect"
import { ApprovalStore, type ConnectorError, ConnectorError as ConnectorErrorModule, LocalGitConnector, WriteGate } from "../src/index.js"
import { issuePermit, makeWriter, write } from "../src/internal/writer.js"
import { approve, type Fixture, fixture, lsRemote, makeDiff, proposalOf, sh } from "./helpers.js"

type Approval = ApprovalStore.Approval

/** The real policy engine (built-in rules) behind core's PolicyCheck port. */
const realPolicy = Layer.succeed(PolicyCheck.PolicyCheck, {
  check: (diff) =>
    PolicyEngine.evaluate(diff).pipe(
      Effect.mapError((e) => RatchetError.badInput({ what: e.message, where: "diff", fix: "fix the diff" }))
    )
})

const setup = (f: Fixture, approvals: ReadonlyArray<Approval> = [], policy: Layer.Layer<PolicyCheck.PolicyCheck> = realPolicy) =>
  Effect.gen(function* () {
    const store = yield* Ref.make<ReadonlyArray<Approval>>(approvals)
    const connector = LocalGitConnector.make({ outDir: f.outDir, workDir: f.root })
    const gate = yield* WriteGate.make(connector).pipe(Effect.provide(Layer.merge(ApprovalStore.ApprovalStore.layerTest(store), policy)))
    return { gate, store, connector }
  })

const reasonOf = (e: ConnectorError.ConnectorError) => e.reason._tag

const newLoop = (f: Fixture) => makeDiff(f, "a.js", "const xs = [1, 2, 3]\nfor (const x of xs) console.log(x)\nmodule.exports = xs\n")

describe("WriteGate + LocalGitConnector", () => {
  it.effect("refuses to write without an approval; the remote's refs are unchanged", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      const before = lsRemote(f.remote)
      const { gate } = yield* setup(f)
      const proposal = proposalOf("p-1", newLoop(f))
      const error = yield* Effect.flip(gate.publish({ repo: f.remote, baseBranch: "main", proposal }))
      expect(reasonOf(error)).toBe("NotApproved")
      expect(error.message).toContain("no approval is recorded")
      expect(error.message).toContain("p-1")
      expect(lsRemote(f.remote)).toBe(before)
      expect(existsSync(join(f.outDir, "p-1.patch"))).toBe(false)
      const audit = yield* gate.audit
      expect(audit).toHaveLength(1)
      expect(audit[0]).toMatchObject({ outcome: "refused", proposalId: "p-1", approvedBy: null, branch: null })
      expect(audit[0].reason).toContain("no approval")
    }).pipe(Effect.scoped)
  )

  it.effect("refuses an approval of another content hash (proposal edited after approval)", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      const before = lsRemote(f.remote)
      const approved = proposalOf("p-2", newLoop(f))
      const edited = proposalOf("p-2", makeDiff(f, "a.js", "const xs = [1, 2, 3]\nxs.forEach((x) => console.log(x))\nmodule.exports = xs\n"))
      const { gate } = yield* setup(f, [approve(approved)])
      const error = yield* Effect.flip(gate.publish({ repo: f.remote, baseBranch: "main", proposal: edited }))
      expect(reasonOf(error)).toBe("ApprovalMismatch")
      expect(error.message).toContain("changed after approval")
      expect(error.message).toContain(Package.contentHashOf(approved).slice(0, 12))
      expect(lsRemote(f.remote)).toBe(before)
      // a title edit alone also changes the hash
      const retitled = { ...approved, title: "something else", contentHash: undefined }
      const { contentHash: _drop, ...noHash } = retitled
      const error2 = yield* Effect.flip(gate.publish({ repo: f.remote, baseBranch: "main", proposal: noHash }))
      expect(reasonOf(error2)).toBe("ApprovalMismatch")
      expect(lsRemote(f.remote)).toBe(before)
    }).pipe(Effect.scoped)
  )

  it.effect("refuses a proposal whose recorded contentHash no longer matches its content", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      const before = lsRemote(f.remote)
      const original = proposalOf("p-3", newLoop(f))
      // the approval matches the recorded hash, but the diff was swapped afterwards
      const tampered = { ...original, diff: makeDiff(f, "b.js", "export const b = 2\n"), files: ["b.js"] }
      const { gate } = yield* setup(f, [approve(original)])
      const error = yield* Effect.flip(gate.publish({ repo: f.remote, baseBranch: "main", proposal: tampered }))
      expect(reasonOf(error)).toBe("ApprovalMismatch")
      expect(lsRemote(f.remote)).toBe(before)
    }).pipe(Effect.scoped)
  )

  it.effect("refuses an approval that names another proposal", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      const before = lsRemote(f.remote)
      const proposal = proposalOf("p-4", newLoop(f))
      const lying = Layer.succeed(ApprovalStore.ApprovalStore, {
        find: () => Effect.succeed({ ...approve(proposal), proposalId: "p-other" })
      })
      const connector = LocalGitConnector.make({ outDir: f.outDir, workDir: f.root })
      const gate = yield* WriteGate.make(connector).pipe(Effect.provide(Layer.merge(lying, realPolicy)))
      const error = yield* Effect.flip(gate.publish({ repo: f.remote, baseBranch: "main", proposal }))
      expect(reasonOf(error)).toBe("ApprovalMismatch")
      expect(error.message).toContain("p-other")
      expect(lsRemote(f.remote)).toBe(before)
    }).pipe(Effect.scoped)
  )

  it.effect("runs the policy again at write time: a BLOCK verdict refuses an approved proposal", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      const before = lsRemote(f.remote)
      const proposal = proposalOf("p-5", newLoop(f))
      const block = PolicyCheck.PolicyCheck.layerTest(() => ({
        allowed: false,
        verdicts: [{ rule: "frozen-paths", severity: "BLOCK", file: "a.js", message: "a.js is frozen since approval" }]
      }))
      const { gate } = yield* setup(f, [approve(proposal)], block)
      const error = yield* Effect.flip(gate.publish({ repo: f.remote, baseBranch: "main", proposal }))
      expect(reasonOf(error)).toBe("PolicyBlocked")
      expect(error.message).toContain("frozen-paths: a.js is frozen since approval (a.js)")
      expect(lsRemote(f.remote)).toBe(before)
      expect(existsSync(join(f.outDir, "p-5.patch"))).toBe(false)
    }).pipe(Effect.scoped)
  )

  it.effect("the real policy engine blocks an approved diff that adds a token; the token is not echoed", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      const before = lsRemote(f.remote)
      const token = `ghp_${"A1b2C3d4E5".repeat(4)}`
      const proposal = proposalOf("p-6", makeDiff(f, "b.js", `export const b = 1\nexport const t = "${token}"\n`), ["b.js"])
      const { gate } = yield* setup(f, [approve(proposal)])
      const error = yield* Effect.flip(gate.publish({ repo: f.remote, baseBranch: "main", proposal }))
      expect(reasonOf(error)).toBe("PolicyBlocked")
      expect(error.message).not.toContain(token)
      expect(JSON.stringify(yield* gate.audit)).not.toContain(token)
      expect(lsRemote(f.remote)).toBe(before)
    }).pipe(Effect.scoped)
  )

  it.effect("fails closed when the policy check or the approval store cannot answer", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      const before = lsRemote(f.remote)
      const proposal = proposalOf("p-7", newLoop(f))
      const broken = Layer.succeed(PolicyCheck.PolicyCheck, { check: () => Effect.fail(RatchetError.internal("engine crashed")) })
      const { gate } = yield* setup(f, [approve(proposal)], broken)
      const error = yield* Effect.flip(gate.publish({ repo: f.remote, baseBranch: "main", proposal }))
      expect(reasonOf(error)).toBe("CheckUnavailable")
      expect(error.message).toContain("policy check could not be run")
      const dying = Layer.succeed(ApprovalStore.ApprovalStore, { find: () => Effect.die(new Error("db down")) })
      const gate2 = yield* WriteGate.make(LocalGitConnector.make({ outDir: f.outDir, workDir: f.root })).pipe(Effect.provide(Layer.merge(dying, realPolicy)))
      const error2 = yield* Effect.flip(gate2.publish({ repo: f.remote, baseBranch: "main", proposal }))
      expect(reasonOf(error2)).toBe("CheckUnavailable")
      expect(error2.message).toContain("db down")
      expect(lsRemote(f.remote)).toBe(before)
    }).pipe(Effect.scoped)
  )

  it.effect("an approved write creates exactly one branch whose commit's diff is the proposal's diff", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      const before = lsRemote(f.remote)
      const proposal = proposalOf("p-8", newLoop(f))
      const { gate } = yield* setup(f, [approve(proposal)])
      const result = yield* gate.publish({ repo: f.remote, baseBranch: "main", proposal, body: "Replaces for…in over an array." })
      expect(result).toMatchObject({ branch: "ratchet/p-8", created: true })
      const after = lsRemote(f.remote)
      const added = after.split("\n").filter((l) => l.length > 0 && !before.includes(l))
      expect(added).toEqual([`${result.commit}\trefs/heads/ratchet/p-8`])
      expect(after).toContain(before.trim()) // main untouched
      const inspect = join(f.root, "inspect")
      sh(f.root, "clone", "--quiet", f.remote, inspect)
      sh(inspect, "fetch", "--quiet", "origin", "ratchet/p-8")
      expect(sh(inspect, "diff", f.base, "FETCH_HEAD")).toBe(proposal.diff)
      expect(sh(inspect, "rev-parse", "FETCH_HEAD^").trim()).toBe(f.base)
      expect(sh(inspect, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%aI", "FETCH_HEAD").trim()).toBe(
        "Ratchet <ratchet@localhost>|Ratchet <ratchet@localhost>|2026-11-21T10:00:00+00:00"
      )
      const message = sh(inspect, "log", "-1", "--format=%B", "FETCH_HEAD")
      expect(message).toContain(`Ratchet-Content-Hash: ${Package.contentHashOf(proposal)}`)
      expect(message).toContain("Approved-By: alice")
      // the patch file is the same commit, appliable with git am
      const patch = readFileSync(join(f.outDir, "p-8.patch"), "utf8")
      expect(result.patchFile).toBe(join(f.outDir, "p-8.patch"))
      sh(inspect, "checkout", "--quiet", "--detach", f.base)
      writeFileSync(join(f.root, "p.patch"), patch)
      sh(inspect, "am", "--quiet", "--committer-date-is-author-date", join(f.root, "p.patch"))
      expect(sh(inspect, "diff", f.base, "HEAD")).toBe(proposal.diff)
      const audit = yield* gate.audit
      expect(audit.map((a) => [a.outcome, a.created, a.approvedBy])).toEqual([["allowed", true, "alice"]])
    }).pipe(Effect.scoped)
  )

  it.effect("publishing the same proposal twice returns the existing branch with created: false", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      const proposal = proposalOf("p-9", newLoop(f))
      const { gate } = yield* setup(f, [approve(proposal)])
      const first = yield* gate.publish({ repo: f.remote, baseBranch: "main", proposal })
      const refs = lsRemote(f.remote)
      const second = yield* gate.publish({ repo: `file://${f.remote}`, baseBranch: "main", proposal })
      expect(first.created).toBe(true)
      expect(second).toMatchObject({ branch: "ratchet/p-9", created: false, commit: first.commit })
      expect(lsRemote(f.remote)).toBe(refs)
      // a fresh gate (e.g. after a restart) sees the same
      const { gate: again } = yield* setup(f, [approve(proposal)])
      expect((yield* again.publish({ repo: f.remote, baseBranch: "main", proposal })).created).toBe(false)
      expect(lsRemote(f.remote)).toBe(refs)
    }).pipe(Effect.scoped)
  )

  it.effect("never overwrites a branch of the same name holding other content", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      sh(f.work, "push", "--quiet", "origin", "HEAD:refs/heads/ratchet/p-10")
      const before = lsRemote(f.remote)
      const proposal = proposalOf("p-10", newLoop(f))
      const { gate } = yield* setup(f, [approve(proposal)])
      const error = yield* Effect.flip(gate.publish({ repo: f.remote, baseBranch: "main", proposal }))
      expect(reasonOf(error)).toBe("BranchConflict")
      expect(lsRemote(f.remote)).toBe(before)
      expect((yield* gate.audit)[0].outcome).toBe("failed")
    }).pipe(Effect.scoped)
  )

  it.effect("serialises writes: concurrent publishes of one proposal create the branch once", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      const p = proposalOf("p-11", newLoop(f))
      const q = proposalOf("p-12", makeDiff(f, "b.js", "export const b = 2\n"), ["b.js"])
      const { gate } = yield* setup(f, [approve(p), approve(q)])
      const results = yield* Effect.all(
        [p, p, q, p].map((proposal) => gate.publish({ repo: f.remote, baseBranch: "main", proposal })),
        { concurrency: "unbounded" }
      )
      expect(results.filter((r) => r.branch === "ratchet/p-11" && r.created)).toHaveLength(1)
      expect(results.filter((r) => r.created)).toHaveLength(2)
      const audit = yield* gate.audit
      expect(audit.map((a) => a.seq)).toEqual([1, 2, 3, 4])
      expect(audit.every((a) => a.outcome === "allowed")).toBe(true)
      expect(lsRemote(f.remote).split("\n").filter((l) => l.includes("refs/heads/ratchet/"))).toHaveLength(2)
    }).pipe(Effect.scoped)
  )

  it.effect("an approved diff that no longer applies fails without touching the remote", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      const proposal = proposalOf("p-13", newLoop(f))
      writeFileSync(join(f.work, "a.js"), "// rewritten upstream\n")
      sh(f.work, "commit", "--quiet", "-am", "upstream change")
      sh(f.work, "push", "--quiet", "origin", "HEAD:refs/heads/main")
      const before = lsRemote(f.remote)
      const { gate } = yield* setup(f, [approve(proposal)])
      const error = yield* Effect.flip(gate.publish({ repo: f.remote, baseBranch: "main", proposal }))
      expect(reasonOf(error)).toBe("GitFailed")
      expect(error.message).toContain("does not apply")
      expect(lsRemote(f.remote)).toBe(before)
      // against the commit it was made on, it applies
      const ok = yield* gate.publish({ repo: f.remote, baseBranch: "main", baseCommit: f.base, proposal })
      expect(ok.created).toBe(true)
      const audit = yield* gate.audit
      expect(audit.map((a) => a.outcome)).toEqual(["failed", "allowed"])
    }).pipe(Effect.scoped)
  )

  it.effect("hostile requests are refused with specific errors and audited", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      const before = lsRemote(f.remote)
      const good = proposalOf("p-14", newLoop(f))
      const { gate } = yield* setup(f, [approve(good)])
      const cases: Array<[unknown, string]> = [
        [null, "not an object"],
        [{ repo: f.remote, baseBranch: "main" }, "Proposal schema"],
        [{ repo: "", baseBranch: "main", proposal: good }, "repository is missing"],
        [{ repo: f.remote, baseBranch: "--upload-pack=touch /tmp/pwned", proposal: good }, "branch name"],
        [{ repo: f.remote, baseBranch: "main", proposal: { ...good, id: "../../etc/passwd" } }, "proposal id"],
        [{ repo: f.remote, baseBranch: "main", proposal: { ...good, id: "x.lock" } }, ".lock"],
        [{ repo: f.remote, baseBranch: "main", baseCommit: "HEAD; rm -rf /", proposal: good }, "hex commit id"],
        [{ repo: f.remote, baseBranch: "main", proposal: { ...good, diff: "  " } }, "diff is empty"]
      ]
      for (const [request, fragment] of cases) {
        const error = yield* Effect.flip(gate.publish(request as WriteGate.WriteRequest))
        expect(reasonOf(error)).toBe("InvalidRequest")
        expect(error.message).toContain(fragment)
      }
      const error = yield* Effect.flip(gate.publish({ repo: "ext::sh -c touch% /tmp/pwned", baseBranch: "main", proposal: good }))
      expect(error.message).toContain("not supported")
      expect(lsRemote(f.remote)).toBe(before)
      const audit = yield* gate.audit
      expect(audit.slice(0, cases.length).every((a) => a.outcome === "refused")).toBe(true)
    }).pipe(Effect.scoped)
  )

  it.effect("the write capability is not reachable without the gate", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      const connector = LocalGitConnector.make({ outDir: f.outDir, workDir: f.root })
      expect(Object.isFrozen(connector.writer)).toBe(true)
      expect(Object.values(connector.writer).some((v) => typeof v === "function")).toBe(false)
      expect(Object.getOwnPropertySymbols(connector.writer)).toEqual([])
      const proposal = proposalOf("p-15", newLoop(f))
      const forged = {
        repo: f.remote,
        baseBranch: "main",
        baseCommit: null,
        proposal,
        body: "",
        contentHash: Package.contentHashOf(proposal),
        approval: approve(proposal)
      }
      const before = lsRemote(f.remote)
      const error = yield* Effect.flip(write(connector.writer, forged))
      expect(error.message).toContain("without a WriteGate permit")
      const fakeWriter = { connector: "local-git" } as unknown as WriteGate.Writer
      const error2 = yield* Effect.flip(write(fakeWriter, issuePermit(forged)))
      expect(error2.message).toContain("not a connector write handle")
      expect(lsRemote(f.remote)).toBe(before)
      // a permit is single-use
      let calls = 0
      const counting = makeWriter("count", () => Effect.sync(() => {
          calls++
          return { branch: "b", url: null, created: true, commit: null, patchFile: null }
        })
      )
      const permit = issuePermit(forged)
      yield* write(counting, permit)
      yield* Effect.flip(write(counting, permit))
      expect(calls).toBe(1)
      // the package does not export its internals
      const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))
      expect(pkg.exports["./internal/*"]).toBeNull()
    }).pipe(Effect.scoped)
  )

  it.effect("layerTest runs every check; recordingConnector writes nowhere", () =>
    Effect.gen(function* () {
      const written = yield* Ref.make<ReadonlyArray<WriteGate.WriteRequest & { readonly contentHash: string }>>([])
      const approvals = yield* Ref.make<ReadonlyArray<Approval>>([])
      const proposal = proposalOf("p-16", "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n", ["x"])
      const program = Effect.gen(function* () {
        const gate = WriteGate.bind(yield* WriteGate.WriteGate, WriteGate.recordingConnector(written))
        const refused = yield* Effect.flip(gate.publish({ repo: "org/app", baseBranch: "main", proposal }))
        expect(reasonOf(refused)).toBe("NotApproved")
        expect(yield* Ref.get(written)).toEqual([])
        yield* Ref.set(approvals, [approve(proposal)])
        expect((yield* gate.publish({ repo: "org/app", baseBranch: "main", proposal })).created).toBe(true)
        expect((yield* gate.publish({ repo: "org/app", baseBranch: "main", proposal })).created).toBe(false)
        expect((yield* Ref.get(written)).map((w) => w.contentHash)).toEqual([Package.contentHashOf(proposal)])
        expect((yield* gate.audit).map((a) => a.outcome)).toEqual(["refused", "allowed", "allowed"])
      })
      yield* program.pipe(
        Effect.provide(
          WriteGate.WriteGate.layerTest.pipe(
            Layer.provide(Layer.merge(ApprovalStore.ApprovalStore.layerTest(approvals), PolicyCheck.PolicyCheck.layerTest()))
          )
        )
      )
    })
  )
})

describe("one gate for a host", () => {
  /** A writer that records when each write starts and ends, and holds it until `release` opens. */
  const slowConnector = (name: string, log: Array<string>, release: Deferred.Deferred<void>): WriteGate.Connector => ({
    name,
    fetch: (_repo, commit) => Effect.succeed(commit),
    writer: makeWriter(name, (permit) =>
      Effect.gen(function* () {
        log.push(`start ${permit.repo} ${permit.proposal.id}`)
        yield* Deferred.await(release)
        yield* Effect.yieldNow
        log.push(`end ${permit.repo} ${permit.proposal.id}`)
        return { branch: `ratchet/${permit.proposal.id}`, url: null, created: true, commit: null, patchFile: null }
      }))
  })
  const diffOf = (n: number) => `diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b${n}\n`

  it.effect("writes to one repository are serialised; writes to different repositories are not", () =>
    Effect.gen(function* () {
      const proposals = [1, 2, 3].map((n) => proposalOf(`p-s${n}`, diffOf(n), ["x"]))
      const approvals = yield* Ref.make<ReadonlyArray<Approval>>(proposals.map((p) => approve(p)))
      const gate = yield* WriteGate.makeGate().pipe(Effect.provide(Layer.merge(ApprovalStore.ApprovalStore.layerTest(approvals), PolicyCheck.PolicyCheck.layerTest())))
      const log: Array<string> = []
      const release = yield* Deferred.make<void>()
      const connector = slowConnector("slow", log, release)
      const fibers = yield* Effect.forkChild(
        Effect.all([
          gate.publish(connector, { repo: "org/one", baseBranch: "main", proposal: proposals[0]!, actor: "ada" }),
          gate.publish(connector, { repo: "org/one", baseBranch: "main", proposal: proposals[1]!, actor: "bob" }),
          gate.publish(connector, { repo: "org/two", baseBranch: "main", proposal: proposals[2]!, actor: "cy" })
        ], { concurrency: "unbounded" })
      )
      // both repositories' first writes start while neither may finish; the second write to org/one waits
      for (let i = 0; i < 50 && log.length < 2; i++) yield* Effect.yieldNow
      expect([...log].sort()).toEqual(["start org/one p-s1", "start org/two p-s3"])
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(fibers)
      const one = log.filter((l) => l.includes("org/one"))
      expect(one).toEqual(["start org/one p-s1", "end org/one p-s1", "start org/one p-s2", "end org/one p-s2"])
      expect((yield* gate.audit).map((a) => [a.proposalId, a.actor, a.outcome]).sort()).toEqual([["p-s1", "ada", "allowed"], ["p-s2", "bob", "allowed"], ["p-s3", "cy", "allowed"]])
    })
  )

  it.effect("every attempt reaches onAudit with who asked, the proposal, the content hash and the outcome; a failing sink does not open the gate", () =>
    Effect.gen(function* () {
      const proposal = proposalOf("p-audit", diffOf(9), ["x"])
      const approvals = yield* Ref.make<ReadonlyArray<Approval>>([])
      const persisted: Array<WriteGate.AuditEntry> = []
      let failSink = false
      const gate = yield* WriteGate.makeGate({
        onAudit: (entry) => (failSink ? Effect.fail("database down") : Effect.sync(() => void persisted.push(entry)))
      }).pipe(Effect.provide(Layer.merge(ApprovalStore.ApprovalStore.layerTest(approvals), PolicyCheck.PolicyCheck.layerTest())))
      const written = yield* Ref.make<ReadonlyArray<WriteGate.WriteRequest & { readonly contentHash: string }>>([])
      const connector = WriteGate.recordingConnector(written)
      const request = { repo: "org/app", baseBranch: "main", proposal, actor: "token:ci (tok_1)" }
      expect(reasonOf(yield* Effect.flip(gate.publish(connector, request)))).toBe("NotApproved")
      failSink = true
      expect(reasonOf(yield* Effect.flip(gate.publish(connector, request)))).toBe("NotApproved")
      failSink = false
      yield* Ref.set(approvals, [approve(proposal)])
      expect((yield* gate.publish(connector, request)).created).toBe(true)
      expect(persisted.map((e) => [e.actor, e.proposalId, e.contentHash, e.outcome])).toEqual([
        ["token:ci (tok_1)", "p-audit", Package.contentHashOf(proposal), "refused"],
        ["token:ci (tok_1)", "p-audit", Package.contentHashOf(proposal), "allowed"]
      ])
      expect(persisted.every((e) => !Number.isNaN(Date.parse(e.at)))).toBe(true)
      expect((yield* gate.audit).map((a) => a.outcome)).toEqual(["refused", "refused", "allowed"])
    })
  )

  it.effect("sourceConnector presents a connector as core's SourceConnector: refusals are WriteRefused, the content hash comes back", () =>
    Effect.gen(function* () {
      const proposal = proposalOf("p-port", diffOf(7), ["x"])
      const approvals = yield* Ref.make<ReadonlyArray<Approval>>([])
      const written = yield* Ref.make<ReadonlyArray<WriteGate.WriteRequest & { readonly contentHash: string }>>([])
      const program = Effect.gen(function* () {
        const source = yield* WriteGate.sourceConnector(WriteGate.recordingConnector(written))
        const refused = yield* Effect.flip(source.publish({ repo: "org/app", baseBranch: "main", proposal, actor: "ada" }))
        expect(refused.reason._tag).toBe("WriteRefused")
        expect(refused.cause).toBeInstanceOf(ConnectorErrorModule.ConnectorError)
        yield* Ref.set(approvals, [approve(proposal)])
        const done = yield* source.publish({ repo: "org/app", baseBranch: "main", proposal, actor: "ada" })
        expect(done).toMatchObject({ branch: "ratchet/p-port", created: true, contentHash: Package.contentHashOf(proposal) })
        const bad = yield* Effect.flip(source.publish({ repo: "", baseBranch: "main", proposal, actor: "ada" }))
        expect(bad.reason._tag).toBe("BadInput")
      })
      yield* program.pipe(
        Effect.provide(WriteGate.WriteGate.layerTest.pipe(Layer.provide(Layer.merge(ApprovalStore.ApprovalStore.layerTest(approvals), PolicyCheck.PolicyCheck.layerTest()))))
      )
    })
  )

  it.effect("a prefix re-roots the verified diff; the permit keeps the approved content hash", () =>
    Effect.gen(function* () {
      const proposal = proposalOf("p-prefix", diffOf(5), ["x"])
      const approvals = yield* Ref.make<ReadonlyArray<Approval>>([approve(proposal)])
      const written = yield* Ref.make<ReadonlyArray<WriteGate.WriteRequest & { readonly contentHash: string }>>([])
      const gate = yield* WriteGate.makeGate().pipe(Effect.provide(Layer.merge(ApprovalStore.ApprovalStore.layerTest(approvals), PolicyCheck.PolicyCheck.layerTest())))
      yield* gate.publish(WriteGate.recordingConnector(written), { repo: "org/mono", baseBranch: "main", proposal, prefix: "packages/lib/" })
      const [w] = yield* Ref.get(written)
      expect(w!.contentHash).toBe(Package.contentHashOf(proposal))
      expect(w!.proposal.diff).toContain("diff --git a/packages/lib/x b/packages/lib/x")
      expect(w!.proposal.files).toEqual(["packages/lib/x"])
      const refused = yield* Effect.flip(gate.publish(WriteGate.recordingConnector(written), { repo: "org/mono", baseBranch: "main", proposal, prefix: "../x/" }))
      expect(reasonOf(refused)).toBe("InvalidRequest")
    })
  )
})
