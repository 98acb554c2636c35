/**
 * Baseline logs split per step (the baseline stage's `logs`): each step's section, its tail within
 * a byte budget (never cutting a UTF-8 character).
 */
import { describe, expect, it } from "@effect/vitest"
import { stepLogs, tail } from "../src/internal/pipeline/logs.js"

const logs = [
  "===== install: npm ci",
  "===== cwd: /tmp/w",
  "added 1 package",
  "===== exit 0 signal - in 900 ms",
  "",
  "===== test: npm test",
  "===== cwd: /tmp/w",
  "===== environment: Node 24.1.0 from the registry",
  "ok 1 - adds",
  "token rat_abcdefghijklmnopqrstuvwxyz leaked",
  "===== exit 0 signal - in 400 ms",
  "===== warnings: network off",
  "",
  "===== test (rerun): npm test",
  "===== cwd: /tmp/w",
  "ok",
  "===== exit 0 signal - in 300 ms",
  ""
].join("\n")

describe("stepLogs", () => {
  it("splits a baseline's logs.txt by step", () => {
    const steps = stepLogs(logs, ["install", "test", "test (rerun)", "bench"])
    expect(Object.keys(steps)).toEqual(["install", "test", "test (rerun)"])
    expect(steps.install).toBe("===== install: npm ci\n===== cwd: /tmp/w\nadded 1 package\n===== exit 0 signal - in 900 ms")
    expect(steps.test).toContain("===== warnings: network off")
    expect(steps.test).toContain("===== environment: Node 24.1.0")
  })

  it("keeps the tail within the budget, from a line start, without splitting a character", () => {
    const text = `${"é".repeat(50)}\n${"line\n".repeat(100)}last`
    const kept = tail(text, 64)
    expect(kept).toMatch(/^… \d+ earlier bytes left out …\n/)
    expect(kept.endsWith("last")).toBe(true)
    expect(Buffer.byteLength(kept.split("\n").slice(1).join("\n"), "utf8")).toBeLessThanOrEqual(64)
    expect(kept).not.toContain("\uFFFD")
    expect(tail("short", 64)).toBe("short")
  })
})
