import { describe, expect, it } from "@effect/vitest"
import { Baseline, Validate } from "@ratchet/core"

describe("Baseline.mergeRerun", () => {
  it("a test that flips either way is flaky; tests that keep failing are listed as failing", () => {
    const first = {
      passed: 2,
      failed: 2,
      skipped: 0,
      tests: [
        { name: "a", file: "t/a.js", status: "failed" as const },
        { name: "b", file: "t/a.js", status: "failed" as const },
        { name: "c", file: "t/a.js", status: "passed" as const },
        { name: "d", status: "passed" as const }
      ]
    }
    const rerun = {
      passed: 2,
      failed: 2,
      skipped: 0,
      tests: [
        { name: "a", file: "t/a.js", status: "passed" as const },
        { name: "b", file: "t/a.js", status: "failed" as const },
        { name: "c", file: "t/a.js", status: "failed" as const },
        { name: "d", status: "passed" as const }
      ]
    }
    const merged = Baseline.mergeRerun(first, rerun)
    expect(merged).toMatchObject({ passed: 3, failed: 1, flaky: ["t/a.js > a", "t/a.js > c"], failing: ["t/a.js > b"] })
    // flaky tests named `file > name` are left out of a candidate's comparison
    const candidate = { passed: 2, failed: 2, skipped: 0, tests: rerun.tests }
    expect(Validate.regressions(merged, candidate)).toEqual([])
  })

  it("with counts only, a rerun without failures makes every first-run failure flaky", () => {
    const merged = Baseline.mergeRerun({ passed: 10, failed: 9, skipped: 1 }, { passed: 19, failed: 0, skipped: 1 })
    expect(merged).toMatchObject({ passed: 19, failed: 0, failing: [] })
    expect(merged.flaky).toHaveLength(9)
    // a rerun that still fails changes nothing
    expect(Baseline.mergeRerun({ passed: 10, failed: 9, skipped: 1 }, { passed: 18, failed: 1, skipped: 1 })).toMatchObject({ passed: 10, failed: 9 })
  })

  it("formats a step whose failures all passed on the rerun as passed (flaky: N)", () => {
    const text = Baseline.format({
      steps: [{ name: "test", command: "npm test", exitCode: 1, durationMs: 1200, outcome: "passed", flaky: 9 }],
      tests: { passed: 19, failed: 0, skipped: 0, flaky: ["x"] },
      outcome: "passed"
    })
    expect(text).toMatch(/test\s+passed \(flaky: 9\)/)
  })
})
