import { execFileSync, spawnSync } from "node:child_process"
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"

// `ratchet run` on a repository with tests and no benchmark at all: every performance candidate is proven (or
// refuted) through a benchmark synthesized from the calls its tests make. The fixture's config plugin proposes a
// behaviour change the tests do not assert and a cache that only wins when inputs repeat; the built-in map-index
// template finds a real speedup.
const bin = join(import.meta.dirname, "..", "dist", "bin.js")
const fixture = join(import.meta.dirname, "fixtures", "synth-repo")
const work = mkdtempSync(join(tmpdir(), "ratchet-synth-e2e-"))
chmodSync(work, 0o755) // the sandbox's unprivileged user must reach the state directory below it
afterAll(() => (process.env.KEEP ? undefined : rmSync(work, { recursive: true, force: true })))

const git = (cwd: string, ...args: Array<string>) => execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd, stdio: "pipe", encoding: "utf8" })

interface Report {
  readonly baseline: { readonly tests: { readonly passed: number; readonly failed: number } }
  readonly attempts: ReadonlyArray<{ readonly rule: string; readonly status: string; readonly reason: string }>
  readonly proposals: ReadonlyArray<{
    readonly id: string
    readonly files: ReadonlyArray<string>
    readonly diff: string
    readonly benchmark: { readonly name: string; readonly change: number; readonly ciHigh: number; readonly pValue: number } | null
    readonly artifacts?: ReadonlyArray<{ readonly name: string }>
  }>
}

describe("ratchet run (a repository with tests and no benchmark)", () => {
  it("proves a real speedup through a synthesized benchmark, rejects a behaviour change with the differing call, and a cache that only wins on repeated inputs", () => {
    const repo = join(work, "stockroom")
    cpSync(fixture, repo, { recursive: true })
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fixture")
    const out = join(work, "report")
    const result = spawnSync(process.execPath, [bin, "run", repo, "--json", "--out", out], {
      encoding: "utf8",
      timeout: 560_000,
      env: { ...process.env, RATCHET_HOME: join(work, "state") }
    })
    expect(result.status, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout) as Report
    expect(report.baseline.tests).toMatchObject({ passed: 7, failed: 0 })
    const byRule = new Map(report.attempts.map((a) => [a.rule, a]))

    // 1. a real speedup, proven on the calls the tests make
    const index = byRule.get("map-index")
    expect(index?.status, index?.reason).toBe("accepted")
    expect(index?.reason).toMatch(
      /^accepted: faster beyond noise — synthesized benchmark from 3 captured call\(s\) of remaining \(src\/inventory\.ts\) from test\(s\) test\/inventory\.test\.ts:\d+, test\/inventory\.test\.ts:\d+, test\/inventory\.test\.ts:\d+: -\d/
    )
    expect(index?.reason).toContain("identical results, errors and argument mutations on 3 captured call(s) of remaining")
    const proposal = report.proposals.find((p) => p.benchmark?.name === "synthesized: remaining (repeated inputs)")
    expect(proposal, JSON.stringify(report.proposals.map((p) => p.benchmark))).toBeDefined()
    expect(proposal?.benchmark?.change).toBeLessThan(-0.03)
    expect(proposal?.benchmark?.ciHigh).toBeLessThan(-0.03)
    expect(proposal?.benchmark?.pValue).toBeLessThan(0.05)
    expect(proposal?.artifacts?.map((a) => a.name)).toContain("synthesized-remaining.mjs")

    // 2. a behaviour change the tests do not assert: rejected with the first differing call
    const split = byRule.get("acme:label-split")
    expect(split?.status).toBe("rejected")
    expect(split?.reason).toMatch(
      /^behaviour changed on a captured call of label: call #\d+ \(from test test\/inventory\.test\.ts:\d+\) with arguments 'Blue\\twidget': result differs — original 'Blue widget', candidate 'Blue\\twidget'$/
    )

    // 3. a cache across calls that only wins because the inputs repeat
    const cache = byRule.get("acme:distance-cache")
    expect(cache?.status).toBe("rejected")
    expect(cache?.reason).toMatch(/^faster only because the benchmark repeats its inputs: the candidate adds a cache that lives across calls \(distanceCache\)/)
    expect(cache?.reason).toMatch(/of distance \(src\/inventory\.ts\).*repeated inputs -\d.*; distinct inputs [-+]?\d/)
    expect(report.proposals.some((p) => p.diff.includes("distanceCache") || p.diff.includes(".split("))).toBe(false)

    // the harness next to the report re-runs the check with one command
    const harness = join(out, "synthesized-remaining.mjs")
    expect(existsSync(harness)).toBe(true)
    const candidate = join(work, "candidate")
    cpSync(repo, candidate, { recursive: true })
    git(candidate, "apply", join(out, `${proposal?.id}.patch`))
    expect(readFileSync(join(candidate, "src", "inventory.ts"), "utf8")).not.toBe(readFileSync(join(repo, "src", "inventory.ts"), "utf8"))
    const byHand = execFileSync(process.execPath, [harness, repo, candidate], { encoding: "utf8", timeout: 200_000 })
    expect(byHand).toContain("equivalence: identical on 3 call(s)")
    expect(byHand).toMatch(/repeated inputs: baseline median \d+ ns, candidate median \d+ ns per pass, change -\d/)
  }, 600_000)
})
