import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import {
  ArtifactStore,
  BenchRunner,
  type Candidate,
  Package,
  PolicyCheck,
  type RepoProfile,
  type Run,
  type Baseline,
  Sandbox,
  Validate,
  Workspace
} from "@ratchet/core"
import { Effect, Layer } from "effect"

const SOURCE = `export function pick(items, allowed) {
  const out = []
  for (const item of items) {
    if (allowed.includes(item)) out.push(item)
  }
  return out
}

export function other() {
  return 1
}
`

const DIFF = `diff --git a/src/pick.js b/src/pick.js
--- a/src/pick.js
+++ b/src/pick.js
@@ -1,7 +1,8 @@
 export function pick(items, allowed) {
   const out = []
+  const allowedSet = new Set(allowed)
   for (const item of items) {
-    if (allowed.includes(item)) out.push(item)
+    if (allowedSet.has(item)) out.push(item)
   }
   return out
 }
`

const makeRepo = () => {
  const dir = mkdtempSync(join(tmpdir(), "ratchet-validate-"))
  mkdirSync(join(dir, "src"))
  writeFileSync(join(dir, "src", "pick.js"), SOURCE)
  return dir
}

const command = (c: string) => ({ command: c, cwd: ".", confidence: 1, evidence: [] })
const profile = (bench: boolean): RepoProfile.RepoProfile => ({
  root: "/repo",
  packageManager: { name: "npm", variant: null, version: null, confidence: 1, evidence: [] },
  workspaces: [],
  frameworks: [],
  commands: { install: null, build: null, typecheck: null, test: command("npm test"), bench: bench ? command("npm run bench") : null },
  warnings: []
})

const baselineTests = {
  passed: 2,
  failed: 0,
  skipped: 0,
  tests: [
    { name: "pick keeps allowed", status: "passed" as const },
    { name: "other", status: "passed" as const }
  ]
}
const baseline: Run.BaselineReport = { steps: [], tests: baselineTests }

const candidate = (diff = DIFF, kind: "performance" | "tech-debt" = "performance"): Candidate.Candidate => ({
  id: "c1",
  source: "template:set-membership",
  rule: "set-membership",
  opportunityId: null,
  title: "Use a Set for allowed",
  explanation: "Set#has is O(1)",
  diff,
  files: ["src/pick.js"],
  kind
})

/** Candidate workspaces are real copies, so applying a patch can never touch the baseline. */
const copyingWorkspace = Layer.succeed(Workspace.Workspace, {
  prepare: (options) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        const dir = mkdtempSync(join(tmpdir(), "ratchet-candidate-"))
        cpSync(options.source, dir, { recursive: true })
        return { path: dir, commit: null, purpose: options.purpose }
      }),
      (handle) => Effect.sync(() => rmSync(handle.path, { recursive: true, force: true }))
    )
})

const result = (name: string, change: number, verdict: "faster" | "slower" | "not-faster"): BenchRunner.BenchComparison => ({
  verdict,
  result: {
    name,
    baselineMedianNs: 1000,
    candidateMedianNs: 1000 * (1 + change),
    change,
    ciLow: change - 0.02,
    ciHigh: change + 0.02,
    pValue: verdict === "not-faster" ? 0.4 : 0.001,
    samples: 16
  }
})

/** A fake test adapter: the summary comes from `tests(workspacePath)`; the command runs in the scripted sandbox. */
const adapterFor = (tests: (path: string) => typeof baselineTests): Baseline.TestAdapter => ({
  plan: (input) => ({ command: input.command, env: {}, runner: "fake", notes: [] }),
  read: (_plan, result) => tests(result.cwd)
})

const layers = (options: {
  policy?: PolicyCheck.PolicyCheck["Service"]["check"]
  tests?: (path: string) => typeof baselineTests
  bench?: (o: BenchRunner.CompareOptions) => ReadonlyArray<BenchRunner.BenchComparison>
}) =>
  Layer.mergeAll(
    copyingWorkspace,
    options.policy
      ? Layer.succeed(PolicyCheck.PolicyCheck, { check: options.policy })
      : PolicyCheck.PolicyCheck.layerTest(),
    Sandbox.Sandbox.layerTest((o) => {
      if (o.command !== "npm test") return undefined
      const summary = (options.tests ?? (() => baselineTests))(o.cwd)
      return { exitCode: summary.failed > 0 ? 1 : 0, output: `${summary.passed} passed` }
    }),
    BenchRunner.BenchRunner.layerTest(["pick", "other"], options.bench ?? (() => [])),
    ArtifactStore.ArtifactStore.layerTest
  )

const validate = (repo: string, c: Candidate.Candidate, bench = true, tests?: (path: string) => typeof baselineTests) =>
  Validate.validate({
    testAdapter: adapterFor(tests ?? (() => baselineTests)),
    candidate: c,
    profile: profile(bench),
    baseline,
    baselineWorkspace: { path: repo, commit: null, purpose: "baseline" },
    source: repo,
    benchmarks: bench ? ["pick", "other"] : []
  })

describe("Validate.validate", () => {
  it.effect("rejects a candidate the policy blocks, before anything runs", () =>
    Effect.gen(function* () {
      let testsRan = false
      const v = yield* validate(makeRepo(), candidate()).pipe(
        Effect.provide(
          layers({
            policy: () => Effect.succeed({ allowed: false, verdicts: [{ rule: "max-files", severity: "BLOCK", message: "too many files" }] }),
            tests: () => {
              testsRan = true
              return baselineTests
            }
          })
        )
      )
      expect(v.attempt.status).toBe("rejected")
      expect(v.attempt.reason).toBe("policy blocked: max-files: too many files")
      expect(testsRan).toBe(false)
    })
  )

  it.effect("rejects a patch that does not apply", () =>
    Effect.gen(function* () {
      const v = yield* validate(makeRepo(), candidate(DIFF.replace("allowed.includes(item)", "allowed.indexOf(item) >= 0"))).pipe(
        Effect.provide(layers({}))
      )
      expect(v.attempt.status).toBe("rejected")
      expect(v.attempt.reason).toMatch(/^does not apply: the hunks for src\/pick\.js do not apply/)
    })
  )

  it.effect("rejects a candidate whose tests regress, naming them", () =>
    Effect.gen(function* () {
      const failing = () => ({
        ...baselineTests,
        passed: 1,
        failed: 1,
        tests: [
          { name: "pick keeps allowed", status: "failed" as const },
          { name: "other", status: "passed" as const }
        ]
      })
      const v = yield* validate(makeRepo(), candidate(), true, failing).pipe(Effect.provide(layers({ tests: failing })))
      expect(v.attempt.status).toBe("rejected")
      expect(v.attempt.reason).toBe("tests failed: pick keeps allowed")
    })
  )

  it.effect("accepts a speedup on the benchmark that measures the changed function, applying the patch only to the candidate", () =>
    Effect.gen(function* () {
      const repo = makeRepo()
      let asked: ReadonlyArray<string> = []
      let candidateSource = ""
      const v = yield* validate(repo, candidate()).pipe(
        Effect.provide(
          layers({
            bench: (o) => {
              asked = o.benchmarks
              candidateSource = readFileSync(join(o.candidate.path, "src", "pick.js"), "utf8")
              return [result("pick", -0.4, "faster")]
            }
          })
        )
      )
      expect(asked).toEqual(["pick"])
      expect(candidateSource).toContain("allowedSet.has(item)")
      expect(readFileSync(join(repo, "src", "pick.js"), "utf8")).toBe(SOURCE)
      expect(v.attempt.status).toBe("accepted")
      expect(v.kind).toBe("performance")
      expect(v.benchmark?.name).toBe("pick")
      expect(v.attempt.reason).toMatch(/^accepted: faster beyond noise — pick: -40\.0%/)
    })
  )

  it.effect("rejects a change that is not faster beyond noise", () =>
    Effect.gen(function* () {
      const v = yield* validate(makeRepo(), candidate()).pipe(
        Effect.provide(layers({ bench: () => [result("pick", -0.01, "not-faster")] }))
      )
      expect(v.attempt.status).toBe("rejected")
      expect(v.attempt.reason).toMatch(/^not faster beyond noise/)
      expect(v.benchmark?.name).toBe("pick")
    })
  )

  it.effect("rejects a change that is slower beyond noise", () =>
    Effect.gen(function* () {
      const v = yield* validate(makeRepo(), candidate()).pipe(Effect.provide(layers({ bench: () => [result("pick", 0.2, "slower")] })))
      expect(v.attempt.reason).toMatch(/^not faster beyond noise — slower beyond noise: pick: \+20\.0%/)
    })
  )

  it.effect("accepts as tech-debt, never as a speedup, when the repository has no benchmark", () =>
    Effect.gen(function* () {
      const v = yield* validate(makeRepo(), candidate(), false).pipe(Effect.provide(layers({})))
      expect(v.attempt.status).toBe("accepted")
      expect(v.kind).toBe("tech-debt")
      expect(v.benchmark).toBeNull()
      expect(v.confidence).toBeLessThan(0.6)
    })
  )

  it.effect("packages an accepted candidate with verified content-addressed artifacts", () =>
    Effect.gen(function* () {
      const v = yield* validate(makeRepo(), candidate()).pipe(
        Effect.provide(layers({ bench: () => [result("pick", -0.4, "faster")] }))
      )
      const store = yield* ArtifactStore.ArtifactStore
      const proposal = yield* Package.packageProposal({ candidate: candidate(), validation: v, trace: [v.attempt] })
      expect(proposal.contentHash).toBe(Package.contentHashOf(proposal))
      expect(proposal.id).toBe(`p-${proposal.contentHash!.slice(0, 12)}`)
      const patch = proposal.artifacts!.find((a) => a.name === "patch.diff")!
      expect(new TextDecoder().decode(yield* store.get(patch.sha256))).toBe(DIFF)
      expect(proposal.benchmark?.change).toBe(-0.4)
      expect(proposal.risk).toBe("low")
    }).pipe(Effect.provide(ArtifactStore.ArtifactStore.layerTest))
  )

  it.effect("rejects a candidate whose build fails when the baseline build passed", () =>
    Effect.gen(function* () {
      const repo = makeRepo()
      const withBuild: RepoProfile.RepoProfile = { ...profile(false), commands: { ...profile(false).commands, build: command("npm run build") } }
      const v = yield* Validate.validate({
        candidate: candidate(),
        profile: withBuild,
        baseline: { ...baseline, steps: [{ name: "build", command: "npm run build", exitCode: 0, durationMs: 1 }] },
        baselineWorkspace: { path: repo, commit: null, purpose: "baseline" },
        source: repo,
        testAdapter: adapterFor(() => baselineTests)
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            copyingWorkspace,
            PolicyCheck.PolicyCheck.layerTest(),
            Sandbox.Sandbox.layerTest((o) =>
              o.command === "npm run build" ? { exitCode: 2, output: "src/pick.js(3,1): error TS2304: Cannot find name 'allowedSet'" } : { output: "ok" }
            ),
            BenchRunner.BenchRunner.layerTest([], () => []),
            ArtifactStore.ArtifactStore.layerTest
          )
        )
      )
      expect(v.attempt.status).toBe("rejected")
      expect(v.attempt.reason).toMatch(/^build failed \(exit 2\): .*TS2304/)
    })
  )
})
