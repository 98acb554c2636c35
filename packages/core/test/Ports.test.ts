import { describe, expect, it } from "@effect/vitest"
import { ArtifactStore, LanguageModel, Package, type Proposal, Sandbox, SourceConnector, Workspace } from "@ratchet/core"
import { Effect, Ref } from "effect"

describe("ports: layerTest implementations", () => {
  it.effect("ArtifactStore stores by sha256 and verifies on read", () =>
    Effect.gen(function* () {
      const store = yield* ArtifactStore.ArtifactStore
      const ref = yield* store.put("logs.txt", "hello")
      expect(ref).toEqual({ name: "logs.txt", sha256: ArtifactStore.sha256("hello"), bytes: 5 })
      expect(new TextDecoder().decode(yield* store.get(ref.sha256))).toBe("hello")
      const missing = yield* Effect.flip(store.get("0".repeat(64)))
      expect(missing.reason._tag).toBe("IntegrityFailure")
    }).pipe(Effect.provide(ArtifactStore.ArtifactStore.layerTest))
  )

  it.effect("Sandbox.layerTest answers scripted commands and 127 for unknown ones", () =>
    Effect.gen(function* () {
      const sandbox = yield* Sandbox.Sandbox
      const ok = yield* sandbox.run({ command: "npm test", cwd: "/r" })
      expect(ok.exitCode).toBe(0)
      expect(ok.output).toBe("3 passed")
      const missing = yield* sandbox.run({ command: "nope", cwd: "/r" })
      expect(missing.exitCode).toBe(127)
    }).pipe(Effect.provide(Sandbox.Sandbox.layerTest((o) => (o.command === "npm test" ? { output: "3 passed" } : undefined))))
  )

  it.effect("Workspace.layerTest hands back the source", () =>
    Effect.gen(function* () {
      const ws = yield* Workspace.Workspace
      const handle = yield* Effect.scoped(ws.prepare({ source: "/repo", commit: "abc", purpose: "baseline" }))
      expect(handle).toEqual({ path: "/repo", commit: "abc", purpose: "baseline" })
    }).pipe(Effect.provide(Workspace.Workspace.layerTest))
  )

  it.effect("LanguageModel.layerTest replays scripted responses in order", () =>
    Effect.gen(function* () {
      const lm = yield* LanguageModel.LanguageModel
      const a = yield* lm.generate({ messages: [{ role: "user", content: "hi" }] })
      const b = yield* lm.generate({ messages: [{ role: "user", content: "again" }] })
      expect([a.text, b.text]).toEqual(["first", "second"])
      expect(lm.model.provider).toBe("test")
    }).pipe(Effect.provide(LanguageModel.LanguageModel.layerTest([{ text: "first" }, { text: "second" }])))
  )

  it.effect("SourceConnector.layerTest publishes only with a recorded approval of the proposal's current content hash", () =>
    Effect.gen(function* () {
      const published = yield* Ref.make<ReadonlyArray<SourceConnector.PublishRequest>>([])
      const approvals = yield* Ref.make<ReadonlyArray<SourceConnector.Approval>>([])
      const proposal: Proposal.Proposal = {
        id: "p1",
        title: "t",
        files: ["a.js"],
        diff: "diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n@@ -1 +1 @@\n-a\n+b\n",
        tests: { passed: 1, failed: 0, skipped: 0 },
        benchmark: null,
        policy: [],
        risk: "low",
        confidence: 0.9
      }
      const request: SourceConnector.PublishRequest = { repo: "acme/app", baseBranch: "main", proposal, actor: "ada" }
      const hash = Package.contentHashOf(proposal)
      const program = Effect.gen(function* () {
        const connector = yield* SourceConnector.SourceConnector
        expect((yield* Effect.flip(connector.publish(request))).reason._tag).toBe("WriteRefused")
        // an approval of another version of the proposal does not count
        yield* Ref.set(approvals, [{ proposalId: "p1", contentHash: "hash-v1", approvedBy: "ada", approvedAt: "2026-11-21T00:00:00Z" }])
        expect((yield* Effect.flip(connector.publish(request))).reason._tag).toBe("WriteRefused")
        expect(yield* Ref.get(published)).toHaveLength(0)
        yield* Ref.set(approvals, [{ proposalId: "p1", contentHash: hash, approvedBy: "ada", approvedAt: "2026-11-21T00:00:00Z" }])
        const ok = yield* connector.publish(request)
        expect(ok).toMatchObject({ branch: "ratchet/p1", created: true, contentHash: hash })
        expect((yield* connector.publish(request)).created).toBe(false)
        expect(yield* Ref.get(published)).toHaveLength(1)
      })
      yield* program.pipe(Effect.provide(SourceConnector.SourceConnector.layerTest(published, approvals)))
    })
  )
})
