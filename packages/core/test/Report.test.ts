import { describe, expect, it } from "@effect/vitest"
import { type Proposal, Report, type Run } from "@ratchet/core"

const proposal: Proposal.Proposal = {
  id: "p-1",
  title: "Use a Set in filterAllowed",
  summary: "Set#has is O(1).",
  kind: "performance",
  files: ["src/catalog.ts"],
  diff: "diff --git a/src/catalog.ts b/src/catalog.ts\n--- a/src/catalog.ts\n+++ b/src/catalog.ts\n@@ -1 +1 @@\n-if (a.includes(x)) <b>\n+if (s.has(x)) <b>\n",
  tests: { passed: 13, failed: 0, skipped: 0 },
  benchmark: {
    name: "filterAllowed",
    baselineMedianNs: 3_000_000,
    candidateMedianNs: 150_000,
    change: -0.95,
    ciLow: -0.96,
    ciHigh: -0.94,
    pValue: 0.0002,
    samples: 12,
    baselineSamplesNs: [3_000_000, 3_100_000, 2_900_000],
    candidateSamplesNs: [150_000, 149_000, 160_000]
  },
  policy: [],
  risk: "low",
  confidence: 0.9,
  contentHash: "f".repeat(64)
}
const report: Run.RunReport = {
  runId: "run-1",
  commit: "0123456789abcdef",
  profile: {
    root: "/repo",
    packageManager: { name: "npm", variant: null, version: null, confidence: 1, evidence: [] },
    workspaces: [],
    frameworks: [],
    commands: { install: null, build: null, typecheck: null, test: null, bench: null },
    warnings: []
  },
  baseline: { steps: [{ name: "test", command: "npm test", exitCode: 0, durationMs: 1500 }], tests: { passed: 13, failed: 0, skipped: 0 } },
  attempts: [
    { id: "a1", candidateId: "c1", source: "template:set-membership", rule: "set-membership", status: "accepted", reason: "accepted: faster beyond noise" },
    { id: "a2", candidateId: "c2", source: "template:string-join", rule: "string-join", status: "rejected", reason: "not faster beyond noise | p = 0.4" }
  ],
  proposals: [proposal]
}

describe("Report", () => {
  it("the proposal Markdown carries the evidence and the diff (usable as a PR body)", () => {
    const md = Report.proposalMarkdown(proposal)
    expect(md).toContain("## Use a Set in filterAllowed")
    expect(md).toContain("**-95.0%**, 95% CI -96.0% … -94.0%")
    expect(md).toContain("13 passed, 0 failed, 0 skipped")
    expect(md).toContain("```diff\ndiff --git a/src/catalog.ts")
    expect(md).toContain(`\`${"f".repeat(64)}\``)
  })

  it("the run Markdown lists baseline steps, every attempt with its reason, and escapes table pipes", () => {
    const md = Report.markdown(report)
    expect(md).toContain("| test | `npm test` | 0 | 1.5 s |")
    expect(md).toContain("| c2 | string-join | rejected | not faster beyond noise \\| p = 0.4 |")
    expect(md).toContain("## Proposals (1)")
  })

  it("the HTML page is self-contained, escapes code, and charts every sample", () => {
    const html = Report.html(report)
    expect(html).toMatch(/^<!doctype html>/)
    expect(html).not.toMatch(/<script|<link|src="http|href="http/)
    expect(html).toContain("&lt;b&gt;")
    expect(html).not.toContain("<b>\n")
    const svg = Report.benchmarkSvg(proposal.benchmark!)
    expect(svg.match(/<circle/g)).toHaveLength(6)
    expect(html).toContain(svg)
  })
})
