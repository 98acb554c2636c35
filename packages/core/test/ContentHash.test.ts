import { describe, expect, it } from "@effect/vitest"
import { Package, type Proposal } from "@ratchet/core"

const proposal: Proposal.Proposal = {
  id: "p-1",
  title: "Use a Set",
  diff: "--- a/x.js\n+++ b/x.js\n@@ -1 +1 @@\n-a\n+b\n",
  files: ["x.js"],
  tests: { passed: 3, failed: 0, skipped: 0, runner: "vitest", tests: [{ name: "t", status: "passed", durationMs: 4 }] },
  benchmark: { name: "b", baselineMedianNs: 10, candidateMedianNs: 5, change: -0.5, ciLow: -0.6, ciHigh: -0.4, pValue: 0.01, samples: 8 },
  policy: [{ rule: "max-lines", severity: "WARN", file: null, message: "m" }],
  risk: "low",
  confidence: 0.9
}

describe("the content hash (the only proposal hash)", () => {
  it("is the same for the proposal as packaged, stored as JSON (keys reordered), and read back", () => {
    const hash = Package.contentHashOf(proposal)
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(proposal).reverse())))
    expect(Package.contentHashOfData(reordered)).toBe(hash)
    // fields an approval does not cover (and fields no Schema knows) do not change it
    expect(Package.contentHashOfData({ ...reordered, risk: "high", trace: [], benchmark: { ...proposal.benchmark, extra: 1 } })).toBe(hash)
  })

  it("changes with anything a reviewer approved", () => {
    const hash = Package.contentHashOf(proposal)
    expect(Package.contentHashOf({ ...proposal, title: "Use a Map" })).not.toBe(hash)
    expect(Package.contentHashOf({ ...proposal, diff: proposal.diff.replace("+b", "+c") })).not.toBe(hash)
    expect(Package.contentHashOf({ ...proposal, tests: { ...proposal.tests, passed: 2 } })).not.toBe(hash)
  })

  it("gives damaged stored data a stable hash instead of failing", () => {
    const damaged = { title: "x", files: "not a list" }
    expect(Package.contentHashOfData(damaged)).toMatch(/^[0-9a-f]{64}$/)
    expect(Package.contentHashOfData(damaged)).toBe(Package.contentHashOfData({ files: "not a list", title: "x" }))
  })
})
