/**
 * Writes to one repository are serialised across server processes sharing one PostgreSQL: two
 * stores (two connection pools, as two processes have) each with its own gate, whose in-memory
 * permits know nothing of the other, race to write the same repository. The store's database lock
 * (`withWriteLock`, the gate's `serialize` in a server on PostgreSQL) must keep them apart; without
 * it the same race overlaps, which shows that the test can fail.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ApprovalStore, WriteGate } from "@ratchet/connectors"
import { Package, Pipeline, PolicyCheck, type Proposal } from "@ratchet/core"
import { Deferred, Effect, Fiber, Layer, ManagedRuntime, Ref } from "effect"
import * as Database from "../src/Database.js"
import { writeLockOf } from "../src/internal/publish.js"
import * as Server from "../src/Server.js"
import { Store } from "../src/Store.js"
import { type PostgresCluster, startPostgres } from "./helpers/postgres.js"

let pg: PostgresCluster | null = null
const runtimes: Array<{ readonly dispose: () => Promise<void> }> = []
beforeAll(async () => {
  pg = await startPostgres()
}, 120_000)
afterAll(async () => {
  for (const r of runtimes) await r.dispose()
  pg?.stop()
})

/** A store on its own pool (one "process"); built one after the other, so migrations do not race. */
const processOn = async (url: string) => {
  const runtime = ManagedRuntime.make(Store.layer.pipe(Layer.provideMerge(Database.layer({ url }))))
  runtimes.push(runtime)
  return { runtime, store: await runtime.runPromise(Effect.gen(function* () {
    return yield* Store
  })) }
}

const proposalOf = (id: string, n: number): Proposal.Proposal => {
  const p: Proposal.Proposal = {
    id,
    title: `Change ${n}`,
    files: ["x.js"],
    diff: `diff --git a/x.js b/x.js\n--- a/x.js\n+++ b/x.js\n@@ -1 +1 @@\n-a\n+b${n}\n`,
    tests: { passed: 1, failed: 0, skipped: 0 },
    benchmark: null,
    policy: [],
    risk: "low",
    confidence: 0.9
  }
  return { ...p, contentHash: Package.contentHashOf(p) }
}

/** How many writes are inside the audit step at once, and the most there ever were. */
interface Overlap {
  now: number
  most: number
}

/**
 * A gate of one process: its audit step (inside the repository's permit, and inside `serialize`)
 * takes 40 ms and persists the entry in that process's store, counting overlapping writes.
 */
const gateOf = (store: Store["Service"], approvals: Ref.Ref<ReadonlyArray<ApprovalStore.Approval>>, overlap: Overlap, databaseLock: boolean) =>
  WriteGate.makeGate({
    onAudit: (entry) =>
      Effect.gen(function* () {
        overlap.now++
        overlap.most = Math.max(overlap.most, overlap.now)
        yield* Effect.sleep("40 millis")
        yield* store.appendLedger(entry)
      }).pipe(Effect.ensuring(Effect.sync(() => void overlap.now--))),
    ...(databaseLock ? { serialize: writeLockOf(store) } : {})
  }).pipe(Effect.provide(Layer.merge(ApprovalStore.ApprovalStore.layerTest(approvals), PolicyCheck.PolicyCheck.layerTest())))

const race = (options: { readonly databaseLock: boolean; readonly repos: readonly [string, string]; readonly tag: string }) =>
  Effect.gen(function* () {
    const url = pg!.url
    const a = yield* Effect.promise(() => processOn(url))
    const b = yield* Effect.promise(() => processOn(url))
    const proposals = [1, 2, 3, 4, 5, 6].map((n) => proposalOf(`prop_${options.tag}_${n}`, n))
    const approvals = yield* Ref.make<ReadonlyArray<ApprovalStore.Approval>>(
      proposals.map((p) => ({ proposalId: p.id, contentHash: p.contentHash, approvedBy: "alice", approvedAt: "2026-12-02T06:00:00.000Z" }))
    )
    const overlap: Overlap = { now: 0, most: 0 }
    const gateA = yield* gateOf(a.store, approvals, overlap, options.databaseLock)
    const gateB = yield* gateOf(b.store, approvals, overlap, options.databaseLock)
    const written = yield* Ref.make<ReadonlyArray<WriteGate.WriteRequest & { readonly contentHash: string }>>([])
    const connector = WriteGate.recordingConnector(written)
    const results = yield* Effect.all(
      proposals.map((proposal, i) =>
        (i % 2 === 0 ? gateA : gateB).publish(connector, { repo: options.repos[i % 2]!, baseBranch: "main", proposal, actor: `actor-${i}` })
      ),
      { concurrency: "unbounded" }
    )
    // every write landed, and each is in the ledger once (the lock's transaction committed it)
    const ledger = yield* Effect.forEach(proposals, (p) => a.store.ledgerOf(p.id))
    return { results, written: yield* Ref.get(written), overlap, ledger }
  })

describe("repository writes across server processes on one PostgreSQL", () => {
  it.live("two processes' gates write one repository one at a time with the database lock", () =>
    Effect.gen(function* () {
      if (pg === null) return
      const { results, written, overlap, ledger } = yield* race({ databaseLock: true, repos: ["org/one", "org/one"], tag: "locked" })
      expect(results.every((r) => r.created)).toBe(true)
      expect(written).toHaveLength(6)
      expect(overlap.most).toBe(1)
      expect(ledger.map((entries) => entries.map((e) => e.outcome))).toEqual(Array.from({ length: 6 }, () => ["allowed"]))
    }), 120_000)

  it.live("without it the same race overlaps (each gate's permits are its own process's)", () =>
    Effect.gen(function* () {
      if (pg === null) return
      const { overlap } = yield* race({ databaseLock: false, repos: ["org/one", "org/one"], tag: "unlocked" })
      expect(overlap.most).toBeGreaterThan(1)
    }), 120_000)

  it.live("writes to different repositories do not wait for each other", () =>
    Effect.gen(function* () {
      if (pg === null) return
      const { overlap } = yield* race({ databaseLock: true, repos: ["org/one", "org/two"], tag: "two" })
      expect(overlap.most).toBe(2)
    }), 120_000)

  it.live("a refused write's ledger entry survives the lock's transaction", () =>
    Effect.gen(function* () {
      if (pg === null) return
      const a = yield* Effect.promise(() => processOn(pg!.url))
      const approvals = yield* Ref.make<ReadonlyArray<ApprovalStore.Approval>>([])
      const gate = yield* gateOf(a.store, approvals, { now: 0, most: 0 }, true)
      const written = yield* Ref.make<ReadonlyArray<WriteGate.WriteRequest & { readonly contentHash: string }>>([])
      const proposal = proposalOf("prop_refused_1", 9)
      const refused = yield* Effect.flip(gate.publish(WriteGate.recordingConnector(written), { repo: "org/one", baseBranch: "main", proposal, actor: "mallory" }))
      expect(refused.reason._tag).toBe("NotApproved")
      expect((yield* a.store.ledgerOf(proposal.id)).map((e) => [e.outcome, e.actor])).toEqual([["refused", "mallory"]])
      expect(yield* Ref.get(written)).toEqual([])
    }), 120_000)

  it.live("the lock works on the embedded database too (one process: the gate does not take it there, a caller may)", () =>
    Effect.gen(function* () {
      const runtime = ManagedRuntime.make(Store.layer.pipe(Layer.provideMerge(Database.layer({ dataDir: "memory://" }))))
      runtimes.push(runtime)
      const store = yield* Effect.promise(() => runtime.runPromise(Effect.gen(function* () {
        return yield* Store
      })))
      const order: Array<string> = []
      const write = (name: string) =>
        store.withWriteLock("local\0/srv/repo", Effect.gen(function* () {
          order.push(`start ${name}`)
          yield* Effect.sleep("20 millis")
          order.push(`end ${name}`)
        }))
      yield* Effect.all([write("a"), write("b")], { concurrency: "unbounded" })
      expect(order).toEqual(["start a", "end a", "start b", "end b"])
      const failed = yield* Effect.flip(store.withWriteLock("local\0/srv/repo", Effect.andThen(store.appendLedger({
        at: "2026-12-02T06:00:00.000Z", proposalId: "prop_pglite", connector: "local", repo: "/srv/repo", actor: "ann", contentHash: null,
        approvedBy: null, outcome: "refused", reason: "not approved", branch: null, created: null, commit: null
      }), Effect.fail("refused" as const))))
      expect(failed).toBe("refused")
      expect((yield* store.ledgerOf("prop_pglite")).map((e) => e.outcome)).toEqual(["refused"])
    }), 120_000)

  it.live("a server on PostgreSQL takes the lock for every write: its gate waits while another process holds the repository", () =>
    Effect.gen(function* () {
      if (pg === null) return
      const other = yield* Effect.promise(() => processOn(pg!.url))
      const server = ManagedRuntime.make(Server.layer({ dataDir: "memory://", databaseUrl: pg.url, stages: Pipeline.Stages.layerTest(), scheduler: false }))
      runtimes.push(server)
      const gate = yield* Effect.promise(() => server.runPromise(Effect.gen(function* () {
        return yield* WriteGate.WriteGate
      })))
      const written = yield* Ref.make<ReadonlyArray<WriteGate.WriteRequest & { readonly contentHash: string }>>([])
      const connector = WriteGate.recordingConnector(written)
      const order: Array<string> = []
      const release = yield* Deferred.make<void>()
      const held = yield* Deferred.make<void>()
      // the other process holds the lock of ("test", "org/held") until released
      const holder = yield* Effect.forkChild(other.store.withWriteLock(`${connector.name}\0org/held`, Effect.gen(function* () {
        yield* Deferred.succeed(held, undefined)
        yield* Deferred.await(release)
        order.push("released")
      })))
      yield* Deferred.await(held)
      const publishing = yield* Effect.forkChild(
        Effect.flip(gate.publish(connector, { repo: "org/held", baseBranch: "main", proposal: proposalOf("prop_server_held", 7), actor: "ann" })).pipe(
          Effect.tap(() => Effect.sync(() => void order.push("refused")))
        )
      )
      // another repository is not held up
      const free = yield* Effect.flip(gate.publish(connector, { repo: "org/free", baseBranch: "main", proposal: proposalOf("prop_server_free", 8), actor: "ann" }))
      expect(free.reason._tag).toBe("NotApproved")
      yield* Effect.sleep("300 millis")
      expect(order).toEqual([])
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(holder)
      const refused = yield* Fiber.join(publishing)
      expect(refused.reason._tag).toBe("NotApproved")
      expect(order).toEqual(["released", "refused"])
    }), 120_000)
})
