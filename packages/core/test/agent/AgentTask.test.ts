import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Agent, ArtifactStore, type Attempt, type Candidate, LanguageModel, type RepoProfile, type Task, type Validate } from "@ratchet/core"
import { Effect } from "effect"

const SOURCE = "export function copy(value) {\n  return JSON.parse(JSON.stringify(value))\n}\n"
const profile: RepoProfile.RepoProfile = {
  root: "/r",
  packageManager: { name: "npm", variant: null, version: null, confidence: 1, evidence: [] },
  workspaces: [],
  frameworks: [],
  commands: { install: null, build: null, typecheck: null, test: { command: "npm test", cwd: "", confidence: 1, evidence: [] }, bench: null },
  warnings: []
}
const request: Task.Request = { instruction: "Use structuredClone in copy() instead of the JSON round trip", paths: ["src"] }
const plan: Task.Plan = {
  summary: "copy() uses structuredClone",
  files: ["src/copy.js", "src/clone.js"],
  approach: "Replace the JSON round trip; re-export from a new module.",
  acceptanceCriteria: [{ kind: "tests", description: "tests pass", target: null }],
  nonGoals: [],
  risk: "low",
  kind: "tech-debt"
}
const DIFF = [
  "--- a/src/copy.js",
  "+++ b/src/copy.js",
  "@@ -1,3 +1,3 @@",
  " export function copy(value) {",
  "-  return JSON.parse(JSON.stringify(value))",
  "+  return structuredClone(value)",
  " }",
  "--- /dev/null",
  "+++ b/src/clone.js",
  "@@ -0,0 +1 @@",
  "+export { copy as clone } from './copy.js'",
  ""
].join("\n")

describe("Agent.run with a prompted task", () => {
  it.effect("skips triage, shows every planned file, and validates one candidate for the whole plan", () =>
    Effect.gen(function* () {
      const root = mkdtempSync(join(tmpdir(), "ratchet-agent-task-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(root, { recursive: true, force: true })))
      mkdirSync(join(root, "src"))
      writeFileSync(join(root, "src", "copy.js"), SOURCE)
      const requests: Array<LanguageModel.GenerateOptions> = []
      const model = LanguageModel.LanguageModel.make(
        {
          specificationVersion: "v1",
          provider: "fake",
          modelId: "writer",
          generate: async (r) => {
            requests.push(r)
            return {
              text: "",
              reasoning: null,
              finishReason: "tool-calls",
              usage: { inputTokens: 100, outputTokens: 50, costUsd: 0 },
              toolCalls: [{ id: "c1", name: "propose_patch", arguments: "", input: { title: "structuredClone in copy()", explanation: "as asked", diff: DIFF } }]
            }
          }
        },
        { maxRetries: 0 }
      )
      const seen: Array<Candidate.Candidate> = []
      const rejected: Array<Attempt.Attempt> = []
      const summary = yield* Agent.run({
        root,
        repo: root,
        profile,
        opportunities: [],
        hotspots: [],
        profiled: false,
        models: { triage: model, patch: model },
        task: { request, plan },
        validate: (candidate) =>
          Effect.sync((): Validate.Validation => {
            seen.push(candidate)
            return { attempt: { id: "a1", candidateId: candidate.id, source: candidate.source, rule: candidate.rule, status: "accepted", reason: "accepted as tech-debt: build and tests pass" }, tests: null, benchmark: null, policy: [], kind: "tech-debt", confidence: 0.5 }
          }),
        reject: (a) => Effect.sync(() => void rejected.push(a))
      }).pipe(Effect.provide(ArtifactStore.ArtifactStore.layerTest))

      expect(requests).toHaveLength(1)
      expect(requests[0]!.jsonSchema).toBeUndefined()
      const prompt = String(requests[0]!.messages[1]!.content)
      expect(prompt).toContain("<request>\nUse structuredClone in copy() instead of the JSON round trip\n</request>")
      expect(prompt).toContain("src/clone.js: (does not exist yet; create it)")
      expect(prompt).toContain(SOURCE.trim())
      expect(String(requests[0]!.messages[0]!.content)).toContain("Ratchet's engineer")
      expect(rejected).toEqual([])
      expect(seen).toHaveLength(1)
      expect(seen[0]).toMatchObject({ rule: "prompt", kind: "tech-debt", files: ["src/copy.js", "src/clone.js"] })
      expect(seen[0]!.id).toMatch(/^task-[0-9a-f]{16}$/)
      expect(seen[0]!.explanation).toContain("Plan: copy() uses structuredClone")
      expect(summary.calls.map((c) => c.stage)).toEqual(["patch"])
      expect(summary.targets[0]!.outcome).toContain("accepted in round 1")
    }).pipe(Effect.scoped)
  )
})
