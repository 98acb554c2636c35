/**
 * The real stages end to end: a tiny git repository with zero dependencies (`node --test`, no
 * bench script) goes through detect → baseline → scan → patchgen → validate → package on the real
 * runner, policy engine and worktrees, in process through `Runs`.
 *
 * The fixture has one template opportunity (`indexOf` on a local constant array inside a
 * callback: set-membership) that is proven faster by a benchmark synthesized from the calls its
 * test makes (the repository has no benchmark), and one opportunity from the repo's own
 * `ratchet.config.mjs` plugin whose candidate breaks a test, so it must be rejected.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Database from "../src/Database.js"
import { portsLayer, stagesLayer, testAdapter } from "../src/internal/pipeline.js"
import { engineLayer, Runs, workflowLayer } from "../src/Runs.js"
import { type Run, Store } from "../src/Store.js"
import { committedRepo, waitForRun } from "./helpers/fixtureRepo.js"
import { Pipeline } from "@ratchet/core"
import { GitWorkspace } from "@ratchet/runner"

const temp = mkdtempSync(join(tmpdir(), "ratchet-real-stages-"))
// Repository commands may run as an unprivileged uid: it must be able to reach the state directory.
chmodSync(temp, 0o755)
afterAll(() => rmSync(temp, { recursive: true, force: true }))

const breakerConfig = `export default {
  // a file the config keeps out of the scan: a pipeline that ignored scan.exclude would propose a change to it
  scan: { exclude: ["src/vendor/**"] },
  plugins: [{
    name: "fixture:breaker",
    scan: (file) =>
      file.text.split("\\n").flatMap((line, i) =>
        file.path.startsWith("src/") && line.includes("ratchet-fixture:break")
          ? [{ rule: "fixture:break", kind: "tech-debt", startLine: i + 1, endLine: i + 1, rationale: "fixture: a candidate that breaks a test", risk: "low", confidence: 0.9 }]
          : []),
    patchgen: (opportunity) =>
      opportunity.rule !== "fixture:break" ? null : {
        id: "fixture-break-double",
        source: "plugin:fixture:breaker",
        rule: "fixture:break",
        opportunityId: opportunity.id,
        title: "Break double (must be rejected)",
        explanation: "Replaces x * 2 with x + 2; the tests catch it.",
        diff: [
          "diff --git a/src/double.js b/src/double.js",
          "--- a/src/double.js",
          "+++ b/src/double.js",
          "@@ -1,3 +1,3 @@",
          " export function double(x) {",
          "-  return x * 2 // ratchet-fixture:break",
          "+  return x + 2 // ratchet-fixture:break",
          " }",
          ""
        ].join("\\n"),
        files: ["src/double.js"],
        kind: "tech-debt"
      }
  }]
}
`

/** Writes files into a fresh directory and commits them (a real git repository). */
const repo = (name: string, files: Record<string, string>): string => {
  return committedRepo(join(temp, name), files)
}

const fixture = repo("tiny", {
  "package.json": `${JSON.stringify({ name: "tiny", version: "1.0.0", private: true, type: "module", scripts: { test: "node --test" } }, null, 2)}\n`,
  "ratchet.config.mjs": breakerConfig,
  "src/codes.js": [
    "export function keep(codes) {",
    `  const skip = [${[...Array.from({ length: 20 }, (_, i) => 200 + i), ...Array.from({ length: 20 }, (_, i) => 300 + i)].join(", ")}]`,
    "  return codes.filter((code) => skip.indexOf(code) === -1)",
    "}",
    ""
  ].join("\n"),
  "src/double.js": ["export function double(x) {", "  return x * 2 // ratchet-fixture:break", "}", ""].join("\n"),
  "src/vendor/codes.js": [
    "export function keep(codes) {",
    "  const skip = [200, 201, 204, 301, 302, 304]",
    "  return codes.filter((code) => skip.indexOf(code) === -1)",
    "}",
    ""
  ].join("\n"),
  "test/codes.test.js": [
    'import { test } from "node:test"',
    'import assert from "node:assert/strict"',
    'import { keep } from "../src/codes.js"',
    "",
    'test("keep drops success and redirect codes", () => {',
    "  assert.deepEqual(keep([200, 404, 500, 304, 201]), [404, 500])",
    "  assert.equal(keep(Array.from({ length: 3000 }, (_, i) => 100 + ((i * 7) % 500))).length, 2760)",
    "})",
    ""
  ].join("\n"),
  "test/double.test.js": [
    'import { test } from "node:test"',
    'import assert from "node:assert/strict"',
    'import { double } from "../src/double.js"',
    "",
    'test("double doubles", () => {',
    "  assert.equal(double(5), 10)",
    "})",
    ""
  ].join("\n")
})

const noTests = repo("no-tests", {
  "package.json": `${JSON.stringify({ name: "no-tests", version: "1.0.0", private: true, type: "module" }, null, 2)}\n`,
  "src/index.js": "export const one = 1\n"
})

const stateDir = join(temp, "state")
/** An administrator of the operator organisation, who marks the fixture repository trusted. */
const operator = { tokenId: "tok_operator", tokenName: "operator-admin", operator: true }

const waitFor = (runId: string) => waitForRun(runId, { polls: 1200, everyMs: 25 })

const base = Layer.mergeAll(Store.layer, engineLayer).pipe(Layer.provideMerge(Database.layer({ dataDir: "memory://" })))
const app = Runs.layer.pipe(
  Layer.provideMerge(workflowLayer),
  Layer.provide(stagesLayer({ stateDir })),
  Layer.provideMerge(base)
)

const worktrees = () => {
  const dir = GitWorkspace.worktreesDirOf(stateDir)
  return existsSync(dir) ? readdirSync(dir) : []
}

layer(app, { timeout: 120_000, excludeTestServices: true })("real stages (in process, PGlite)", (it) => {
  it.effect("a run on a local repository succeeds with recorded attempts and a proposal that carries its diff and evidence", () =>
    Effect.gen(function* () {
      const store = yield* Store
      const runs = yield* Runs
      const sql = yield* SqlClient
      const { orgId } = yield* store.bootstrap(undefined)
      const created = yield* store.createRepo(orgId, { name: "tiny", url: null, path: fixture, defaultBranch: "main" })
      // its config's plugin is code: it runs in a server run only when an operator trusts the repository (#17)
      yield* store.updateSettings(null, created.id, { trusted: true }, operator)
      const run = yield* runs.start(orgId, created.id, "api")
      const done: Run = yield* waitFor(run.id)
      expect(done.error).toBeNull()
      expect(done.status).toBe("succeeded")
      expect(done.stages.map((s) => [s.stage, s.status, s.executions])).toEqual([
        ["detect", "succeeded", 1],
        ["baseline", "succeeded", 1],
        ["scan", "succeeded", 1],
        ["patchgen", "succeeded", 1],
        ["validate", "succeeded", 1],
        ["package", "succeeded", 1]
      ])

      // Every attempt is recorded with its status and reason.
      const rows = yield* sql<{ id: string; data: any }>`SELECT id, data FROM attempts WHERE run_id = ${run.id} ORDER BY id`
      const attempts = rows.map((r) => (typeof r.data === "string" ? JSON.parse(r.data) : r.data))
      expect(attempts).toHaveLength(2)
      for (const a of attempts) {
        expect(a.id.startsWith(`${run.id}:`)).toBe(true)
        expect(a.reason.length).toBeGreaterThan(0)
      }
      const accepted = attempts.find((a) => a.rule === "set-membership")
      expect(accepted?.status).toBe("accepted")
      expect(accepted?.reason).toContain("synthesized benchmark from 2 captured call(s) of keep (src/codes.js)")
      const rejected = attempts.find((a) => a.rule === "fixture:break")
      expect(rejected?.status).toBe("rejected")
      expect(rejected?.reason).toContain("tests failed")
      expect(rejected?.reason).toContain("double doubles")

      // One proposal, with the diff, the evidence and the stored diff artifact.
      const proposals = yield* store.listProposals(run.id)
      expect(proposals).toHaveLength(1)
      expect(done.counts).toEqual({ candidates: 2, proposals: 1 })
      const proposal = proposals[0]
      const data = proposal.data as any
      expect(proposal.id.startsWith(`prop_${run.id}_p-`)).toBe(true)
      expect(data.files).toEqual(["src/codes.js"])
      expect(data.diff).toContain("+++ b/src/codes.js")
      expect(data.diff).toContain("new Set(")
      expect(data.kind).toBe("performance")
      expect(data.benchmark).toMatchObject({ name: "synthesized: keep (repeated inputs)" })
      expect(data.benchmark.change).toBeLessThan(-0.03)
      expect(data.tests).toMatchObject({ passed: 2, failed: 0 })
      expect(Array.isArray(data.policy)).toBe(true)
      expect(["low", "medium", "high"]).toContain(data.risk)
      expect(data.candidateId).toBe(accepted?.candidateId)
      expect(data.rule).toBe("set-membership")
      expect(data.trace.map((a: any) => a.id)).toContain(accepted?.id)
      expect(data.artifacts.map((a: any) => a.name)).toEqual(["patch.diff", "evidence.json", "explanation.md", "synthesized-keep.mjs"])
      expect(proposal.contentHash).toMatch(/^[0-9a-f]{64}$/)

      // Approvals bind to the stored content hash.
      const stale = yield* Effect.flip(store.decide(orgId, proposal.id, { decision: "approved", by: { tokenId: "tok_test", tokenName: "test" }, note: null, contentHash: "0".repeat(64) }))
      expect(stale.message).toContain("changed")
      const approval = yield* store.decide(orgId, proposal.id, { decision: "approved", by: { tokenId: "tok_test", tokenName: "test" }, note: null, contentHash: proposal.contentHash })
      expect(approval.contentHash).toBe(proposal.contentHash)

      // The baseline's steps are stored with their logs (split by step) for people to read.
      const [baselineRow] = yield* sql<{ output: any }>`SELECT output FROM run_stages WHERE run_id = ${run.id} AND stage = 'baseline'`
      const baselineOutput = typeof baselineRow.output === "string" ? JSON.parse(baselineRow.output) : baselineRow.output
      expect(Object.keys(baselineOutput.logs)).toContain("test")
      expect(baselineOutput.logs.test).toMatch(/^===== test: /)
      expect(baselineOutput.logs.test, JSON.stringify(baselineOutput.logs).slice(0, 2000)).toContain("===== exit 0")

      // The baseline workspace is released once validate is done.
      expect(worktrees()).toEqual([])
    }))

  it.effect("a repository without a test command fails at baseline, as a setup failure with the reason", () =>
    Effect.gen(function* () {
      const store = yield* Store
      const runs = yield* Runs
      const { orgId } = yield* store.bootstrap(undefined)
      const created = yield* store.createRepo(orgId, { name: "no-tests", url: null, path: noTests, defaultBranch: "main" })
      const done = yield* waitFor((yield* runs.start(orgId, created.id, "api")).id)
      expect(done.status).toBe("failed")
      expect(done.stages.map((s) => [s.stage, s.status])).toEqual([["detect", "succeeded"], ["baseline", "failed"]])
      expect(done.error).toContain("baseline failed")
      expect(done.error).toContain("no test command")
      // what the failed baseline recorded is kept with the stage (its steps, and their logs)
      const sql = yield* SqlClient
      const [row] = yield* sql<{ output: any }>`SELECT output FROM run_stages WHERE run_id = ${done.id} AND stage = 'baseline'`
      const output = typeof row.output === "string" ? JSON.parse(row.output) : row.output
      expect(output.baseline.reason ?? output.baseline.outcome).toBeDefined()
      expect(typeof output.logs).toBe("object")
      const settings = (yield* store.getRepo(orgId, created.id)).settings
      expect(settings.consecutiveSetupFailures).toBe(1)
      expect(worktrees()).toEqual([])
    }))
})

/** Core's stage functions in a "process" of their own: a fresh Stages layer, released at the end (its worktrees removed). */
const inProcess = <A, E>(f: (stages: Pipeline.StageFunctions) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    return yield* f(yield* Pipeline.Stages)
  }).pipe(Effect.provide(stagesLayer({ stateDir })))

describe("core's stages across a restart", () => {
  const run = (runId: string, source: string, commit: string | null = null): Pipeline.RunRef => ({ runId, source, commit, configFile: null })

  it.live("validate prepares the baseline workspace again when the process that ran the baseline is gone", () =>
    Effect.gen(function* () {
      // First "process": detect and baseline, then it stops (its worktrees are removed).
      const first = yield* inProcess((stages) =>
        Effect.gen(function* () {
          const detected = yield* stages.detect({ run: run("run_restart", fixture) })
          const baseline = yield* stages.baseline({ run: run("run_restart", fixture, detected.commit), profile: detected.profile })
          return { detected, baseline }
        })
      )
      expect(first.detected.commit).toMatch(/^[0-9a-f]{40}$/)
      expect(first.baseline.baseline.tests.passed).toBe(2)
      expect(first.baseline.blocked).toBeNull()
      expect(worktrees()).toEqual([])

      // Second "process": the remaining stages, from the recorded outputs only.
      const ref = run("run_restart", fixture, first.detected.commit)
      const profile = first.detected.profile
      const packaged = yield* inProcess((stages) =>
        Effect.gen(function* () {
          const scanned = yield* stages.scan({ run: ref, profile, baseline: first.baseline })
          const generated = yield* stages.patchgen({ run: ref, profile, baseline: first.baseline, opportunities: scanned.opportunities, budget: 10 })
          const validations = yield* Effect.forEach(generated.candidates, (candidate) => stages.validate({ run: ref, profile, baseline: first.baseline, candidate }))
          expect(validations.map((v) => [v.attempt.rule, v.attempt.status]).sort()).toEqual([["fixture:break", "rejected"], ["set-membership", "accepted"]])
          // the baseline was re-run at the recorded commit, and the attempts say so
          expect(validations.every((v) => v.attempt.reason.includes(`re-run at ${ref.commit?.slice(0, 12)}`))).toBe(true)
          const accepted = generated.candidates.flatMap((candidate, i) => {
            const validation = validations[i]!
            return validation.attempt.status === "accepted" ? [{ candidate, validation, trace: validations.map((v) => v.attempt), opportunityRisk: null }] : []
          })
          return yield* stages.package({ run: ref, accepted })
        })
      )
      expect(packaged.proposals).toHaveLength(1)
      expect(packaged.proposals[0]?.diff).toContain("new Set(")
      expect(worktrees()).toEqual([])
    }), 180_000)

  it.live("a repository connected by URL is checked out at the recorded commit; an unreachable one fails with a specific message", () =>
    inProcess((stages) =>
      Effect.gen(function* () {
        const url = `file://${fixture}`
        const detected = yield* stages.detect({ run: run("run_url", url) })
        expect(detected.profile.commands.test?.command).toBe("npm test")
        const ref = run("run_url", url, detected.commit)
        const baseline = yield* stages.baseline({ run: ref, profile: detected.profile })
        const scanned = yield* stages.scan({ run: ref, profile: detected.profile, baseline })
        const generated = yield* stages.patchgen({ run: ref, profile: detected.profile, baseline, opportunities: scanned.opportunities, budget: 10 })
        // the repository's own ratchet.config.mjs was loaded from the checkout: its plugin's candidate is there
        expect(generated.candidates.map((c) => c.rule).sort()).toEqual(["fixture:break", "set-membership"])
        yield* stages.release("run_url")
        expect(worktrees()).toEqual([])

        const failure = yield* Effect.flip(stages.detect({ run: run("run_unreachable", "https://example.com/x.git") }))
        expect(failure.message).toContain("https://example.com/x.git")
      })
    ), 180_000)

  it.live("the candidate budget is respected", () =>
    inProcess((stages) =>
      Effect.gen(function* () {
        const detected = yield* stages.detect({ run: run("run_budget", fixture) })
        const ref = run("run_budget", fixture, detected.commit)
        const baseline = yield* stages.baseline({ run: ref, profile: detected.profile })
        const scanned = yield* stages.scan({ run: ref, profile: detected.profile, baseline })
        const generated = yield* stages.patchgen({ run: ref, profile: detected.profile, baseline, opportunities: scanned.opportunities, budget: 1 })
        expect(generated.found).toBe(2)
        expect(generated.candidates).toHaveLength(1)
        yield* stages.release("run_budget")
      })
    ), 180_000)
})

layer(app, { timeout: 300_000, excludeTestServices: true })("one pipeline", (it) => {
  it.effect("`ratchet run` and a server run on the same repository produce the same proposals and attempts", () =>
    Effect.gen(function* () {
      // the CLI's path: Pipeline.run on the local adapters
      const report = yield* Pipeline.run({ source: fixture, testAdapter }).pipe(Effect.provide(portsLayer({ stateDir })))
      // the server's path: a durable run through the workflow engine
      const store = yield* Store
      const runs = yield* Runs
      const { orgId } = yield* store.bootstrap(undefined)
      const created = yield* store.createRepo(orgId, { name: "tiny-twice", url: null, path: fixture, defaultBranch: "main" })
      // its config's plugin is code: it runs in a server run only when an operator trusts the repository (#17)
      yield* store.updateSettings(null, created.id, { trusted: true }, operator)
      const done = yield* waitFor((yield* runs.start(orgId, created.id, "api")).id)
      expect(done.status).toBe("succeeded")
      const stored = yield* store.listProposals(done.id)

      const shape = (p: { readonly title: string; readonly diff: string; readonly files: ReadonlyArray<string>; readonly kind?: string | undefined; readonly risk: string; readonly contentHash?: string | undefined }) =>
        ({ title: p.title, diff: p.diff, files: p.files, kind: p.kind, risk: p.risk })
      expect(report.proposals.length).toBeGreaterThan(0)
      expect(stored.map((p) => shape(p.data as Parameters<typeof shape>[0]))).toEqual(report.proposals.map(shape))
      // the same content hash function on both paths (test durations differ between runs, so compare each to its own content)
      for (const p of stored) expect(p.contentHash).toBe((p.data as { contentHash: string }).contentHash)
      const rows = yield* (yield* SqlClient)<{ data: unknown }>`SELECT data FROM attempts WHERE run_id = ${done.id}`
      const attempts = rows.map((r) => (typeof r.data === "string" ? JSON.parse(r.data) : r.data) as { rule: string; status: string })
      expect(attempts.map((a) => [a.rule, a.status]).sort()).toEqual(report.attempts.map((a) => [a.rule, a.status]).sort())
      expect(report.commit).toMatch(/^[0-9a-f]{40}$/)
    }), 300_000)
})
