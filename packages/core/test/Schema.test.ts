import { describe, expect, it } from "@effect/vitest"
import {
  Attempt,
  BenchmarkResult,
  Candidate,
  Opportunity,
  PolicyVerdict,
  Proposal,
  RepoProfile,
  Run,
  TestSummary
} from "@ratchet/core"
import { Schema } from "effect"

const evidence = [{ file: "package.json", line: 7, detail: 'scripts.test = "vitest"' }, { file: ".nvmrc", detail: "24" }]
const command = { command: "npx vitest run", cwd: ".", confidence: 0.9, evidence }
const profile: RepoProfile.RepoProfile = {
  root: "/repo",
  packageManager: { name: "pnpm", variant: null, version: "9.1.0", confidence: 1, evidence },
  workspaces: ["packages/*"],
  frameworks: [{ name: "next", version: "15.0.0", evidence }],
  commands: { install: command, build: null, typecheck: command, test: command, bench: null },
  warnings: ["two lockfiles"]
}
const tests: TestSummary.TestSummary = {
  passed: 10,
  failed: 1,
  skipped: 2,
  flaky: ["flips"],
  runner: "vitest",
  tests: [{ name: "adds", file: "a.test.ts", status: "passed", durationMs: 3 }]
}
const benchmark: BenchmarkResult.BenchmarkResult = {
  name: "lookup",
  baselineMedianNs: 1000,
  candidateMedianNs: 800,
  change: -0.2,
  ciLow: -0.25,
  ciHigh: -0.15,
  pValue: 0.001,
  samples: 20
}
const verdict: PolicyVerdict.PolicyVerdict = { rule: "max-files", severity: "WARN", file: null, message: "6 files" }
const attempt: Attempt.Attempt = { id: "a1", source: "template:set-membership", rule: "set-membership", status: "rejected", reason: "not faster beyond noise" }
const opportunity: Opportunity.Opportunity = {
  id: "o1",
  rule: "set-membership",
  kind: "performance",
  file: "src/a.ts",
  startLine: 3,
  endLine: 5,
  startByte: 40,
  endByte: 90,
  rationale: "includes() inside a loop",
  risk: "low",
  confidence: 0.8
}
const candidate: Candidate.Candidate = {
  id: "c1",
  source: "template:set-membership",
  rule: "set-membership",
  opportunityId: "o1",
  title: "Use a Set",
  explanation: "O(1) membership",
  diff: "diff --git a/src/a.ts b/src/a.ts\n",
  files: ["src/a.ts"],
  kind: "performance",
  thinking: { model: "m", reasoning: "r", inputTokens: 1, outputTokens: 2, costUsd: 0.01 }
}
const proposal: Proposal.Proposal = {
  id: "p1",
  title: "Use a Set",
  files: ["src/a.ts"],
  diff: candidate.diff,
  tests,
  benchmark,
  policy: [verdict],
  risk: "low",
  confidence: 0.9,
  trace: [attempt],
  artifacts: [{ name: "diff.patch", sha256: "ab".repeat(32), bytes: 10 }]
}
const baseline: Run.BaselineReport = {
  steps: [{ name: "test", command: "npm test", exitCode: 0, durationMs: 1200, cpuMs: 900, peakMemoryBytes: 1e8, signal: null }],
  tests
}
const report: Run.RunReport = { runId: "r1", commit: "abc", profile, baseline, attempts: [attempt], proposals: [proposal] }
const run: Run.Run = {
  id: "r1",
  repoId: "repo1",
  status: "running",
  commit: null,
  stages: [{ stage: "detect", status: "succeeded", durationMs: 12 }],
  createdAt: "2026-11-21T00:00:00.000Z",
  finishedAt: null,
  error: null
}
const event: Run.RunEvent = { runId: "r1", seq: 1, at: "2026-11-21T00:00:00.000Z", type: "progress", stage: "scan", message: "1/3", data: { n: 1 } }

const cases: ReadonlyArray<readonly [string, Schema.Top, unknown]> = [
  ["Evidence", RepoProfile.Evidence, evidence[0]],
  ["CommandSpec", RepoProfile.CommandSpec, command],
  ["RepoProfile", RepoProfile.RepoProfile, profile],
  ["Opportunity", Opportunity.Opportunity, opportunity],
  ["ScanResult", Opportunity.ScanResult, { opportunities: [opportunity], stats: { files: 1, bytes: 2, durationMs: 3 } }],
  ["Candidate", Candidate.Candidate, candidate],
  ["Attempt", Attempt.Attempt, attempt],
  ["TestSummary", TestSummary.TestSummary, tests],
  ["BenchmarkResult", BenchmarkResult.BenchmarkResult, benchmark],
  ["PolicyVerdict", PolicyVerdict.PolicyVerdict, verdict],
  ["PolicyDecision", PolicyVerdict.PolicyDecision, { allowed: false, verdicts: [verdict] }],
  ["Proposal", Proposal.Proposal, proposal],
  ["BaselineReport", Run.BaselineReport, baseline],
  ["RunReport", Run.RunReport, report],
  ["Run", Run.Run, run],
  ["RunEvent", Run.RunEvent, event]
]

describe("domain model JSON round trips", () => {
  for (const [name, schema, value] of cases) {
    it(`${name}: decode(JSON.parse(JSON.stringify(encode(x)))) equals x`, () => {
      const codec = Schema.toCodecJson(schema as Schema.Codec<unknown, unknown>)
      const encoded = Schema.encodeUnknownSync(codec)(value)
      const decoded = Schema.decodeUnknownSync(codec)(JSON.parse(JSON.stringify(encoded)))
      expect(decoded).toEqual(value)
    })
  }

  it("rejects a confidence outside [0, 1]", () => {
    expect(() => Schema.decodeUnknownSync(RepoProfile.CommandSpec)({ ...command, confidence: 1.5 })).toThrow(/1/)
  })

  it("rejects an unknown package manager", () => {
    expect(() =>
      Schema.decodeUnknownSync(RepoProfile.PackageManager)({ ...profile.packageManager, name: "npx" })
    ).toThrow()
  })

  it("rejects a RunReport missing its baseline", () => {
    const { baseline: _omit, ...rest } = report
    expect(() => Schema.decodeUnknownSync(Run.RunReport)(rest)).toThrow(/baseline/)
  })
})
