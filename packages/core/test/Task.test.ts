import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { ArtifactStore, LanguageModel, PolicyCheck, type RepoProfile, Task } from "../src/index.js"

const profile: RepoProfile.RepoProfile = {
  root: "/repo",
  packageManager: { name: "npm", variant: null, version: null, confidence: 1, evidence: [] },
  workspaces: [],
  frameworks: [],
  commands: { install: null, build: null, typecheck: null, test: { command: "npm test", cwd: ".", confidence: 1, evidence: [] }, bench: null },
  warnings: []
}

const repo = Effect.acquireRelease(
  Effect.sync(() => {
    const root = mkdtempSync(join(tmpdir(), "ratchet-task-"))
    const files: Record<string, string> = {
      "src/parse.js": "export function parse(s) {\n  return JSON.parse(JSON.stringify(JSON.parse(s)))\n}\n",
      "src/util.js": "export const id = (x) => x\n",
      "test/parse.test.js": "import { parse } from '../src/parse.js'\n"
    }
    for (const [p, c] of Object.entries(files)) {
      mkdirSync(dirname(join(root, p)), { recursive: true })
      writeFileSync(join(root, p), c)
    }
    return root
  }),
  (root) => Effect.sync(() => rmSync(root, { recursive: true, force: true }))
)

const answer = (over: Record<string, unknown> = {}) => ({
  summary: "Parse once instead of three times",
  files: ["src/parse.js"],
  approach: "Drop the JSON round trip: JSON.parse already returns a fresh value.",
  acceptanceCriteria: [
    { kind: "tests", description: "the existing tests pass", target: null },
    { kind: "benchmark", description: "parse gets faster", target: "parse" }
  ],
  nonGoals: ["changing the parse API"],
  risk: "low",
  kind: "performance",
  verdict: "GO",
  reasons: ["a local change in one function"],
  question: null,
  ...over
})

// the policy as the built-in rules see a change to a test file
const policy = PolicyCheck.PolicyCheck.layerTest((diff) =>
  /\+\+\+ b\/test\//.test(diff) ? { allowed: false, verdicts: [{ rule: "no-test-changes", severity: "BLOCK", message: "tests are not changed by Ratchet" }] } : { allowed: true, verdicts: [] }
)

const planWith = (json: unknown, request: Task.Request = { instruction: "make parse() faster", paths: [] }) =>
  Effect.gen(function* () {
    const root = yield* repo
    const model = LanguageModel.LanguageModel.make({
      specificationVersion: "v1",
      provider: "test",
      modelId: "planner",
      generate: async () => ({ text: JSON.stringify(json), json, reasoning: null, usage: { inputTokens: 900, outputTokens: 120, costUsd: 0.001 }, finishReason: "stop" })
    })
    return yield* Task.plan({ root, request, profile, model, policy: { maxFiles: 2 } })
  }).pipe(Effect.provide(Layer.merge(policy, ArtifactStore.ArtifactStore.layerTest)))

describe("Task.plan", () => {
  it.effect("a small plan within the policy is a GO, with the call recorded", () =>
    Effect.gen(function* () {
      const planned = yield* planWith(answer())
      expect(planned.decision.verdict).toBe("GO")
      expect(planned.decision.reasons.join("\n")).toContain("1 file (src/parse.js), within the policy's limit of 2")
      expect(planned.plan).toMatchObject({ files: ["src/parse.js"], kind: "performance", risk: "low" })
      expect(planned.call).toMatchObject({ stage: "plan", provider: "test", model: "planner", inputTokens: 900, costUsd: 0.001 })
      expect(planned.call.artifact?.name).toBe("llm-call-plan.json")
    }).pipe(Effect.scoped)
  )

  it.effect("NO-GO when the policy would block a planned file, when it is too large, or outside the requested paths", () =>
    Effect.gen(function* () {
      const tests = yield* planWith(answer({ files: ["src/parse.js", "test/parse.test.js"] }))
      expect(tests.decision.verdict).toBe("NO-GO")
      expect(tests.decision.reasons).toEqual(["the policy would block it: test/parse.test.js: no-test-changes — tests are not changed by Ratchet"])
      const large = yield* planWith(answer({ files: ["src/parse.js", "src/util.js", "src/new.js"] }))
      expect(large.decision.verdict).toBe("NO-GO")
      expect(large.decision.reasons[0]).toContain("too large: the plan touches 3 files")
      const outside = yield* planWith(answer({ files: ["src/util.js"] }), { instruction: "tidy", paths: ["src/parse.js"] })
      expect(outside.decision.reasons[0]).toContain("outside the requested paths (src/parse.js)")
      const escaping = yield* planWith(answer({ files: ["../etc/passwd"] }))
      expect(escaping.decision.verdict).toBe("NO-GO")
      // the model cannot turn a blocked plan into a GO, but can refuse one
      const refused = yield* planWith(answer({ verdict: "NO-GO", reasons: ["rewriting the parser is not a small change"] }))
      expect(refused.decision).toEqual({ verdict: "NO-GO", reasons: ["the planner refused it: rewriting the parser is not a small change"], question: null })
    }).pipe(Effect.scoped)
  )

  it.effect("DEFER asks one precise question: the model's, or which file when the plan names none", () =>
    Effect.gen(function* () {
      const asked = yield* planWith(answer({ verdict: "DEFER", reasons: ["two functions are called parse"], question: "Do you mean parse in src/parse.js or in src/cli/parse.js?" }))
      expect(asked.decision).toEqual({ verdict: "DEFER", reasons: ["two functions are called parse"], question: "Do you mean parse in src/parse.js or in src/cli/parse.js?" })
      const vague = yield* planWith(answer({ files: [] }))
      expect(vague.decision).toMatchObject({ verdict: "DEFER", question: "Which file (or function) should this change touch?" })
      const garbage = yield* planWith("not json at all")
      expect(garbage.decision.verdict).toBe("DEFER")
    }).pipe(Effect.scoped)
  )
})

describe("Task.evidenceOf", () => {
  it("turns acceptance criteria into evidence from the proposal's tests and benchmark", () => {
    const plan = { ...Task.readAnswer(answer())!.plan }
    const faster = { name: "parse", baselineMedianNs: 1000, candidateMedianNs: 600, change: -0.4, ciLow: -0.45, ciHigh: -0.35, pValue: 0.001, samples: 30 }
    expect(Task.evidenceOf(plan, { tests: { passed: 12, failed: 0, skipped: 1 }, benchmark: faster }).map((e) => e.status)).toEqual(["met", "met"])
    const evidence = Task.evidenceOf(plan, { tests: { passed: 12, failed: 0, skipped: 1 }, benchmark: null })
    expect(evidence[0].evidence).toContain("12 passed, 0 failed, 1 skipped")
    expect(evidence[1]).toMatchObject({ status: "not-measured", evidence: "no benchmark measured the changed code" })
    expect(Task.evidenceOf(plan, { tests: { passed: 3, failed: 1, skipped: 0 }, benchmark: { ...faster, ciHigh: 0.01 } }).map((e) => e.status)).toEqual(["not-met", "not-met"])
  })
})
