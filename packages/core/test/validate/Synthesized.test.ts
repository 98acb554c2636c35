import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import {
  ArtifactStore,
  type Baseline,
  BenchRunner,
  type BenchmarkResult,
  type Candidate,
  Patchgen,
  PolicyCheck,
  type RepoProfile,
  Sandbox,
  SynthBench,
  Validate,
  Workspace
} from "@ratchet/core"
import { Effect, Layer } from "effect"

// Validate's proof paths with scripted ports: what a synthesized benchmark decides, and the reward-hack guard.
const SOURCE = `export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2)
}

export function slugs(names) {
  const out = []
  for (const name of names) out.push(name.toLowerCase())
  return out
}
`
const MEMO = SOURCE.replace(
  "export function fib(n) {\n  return n < 2 ? n : fib(n - 1) + fib(n - 2)\n}",
  "const fibCache = new Map()\n\nexport function fib(n) {\n  let value = fibCache.get(n)\n  if (value === undefined) {\n    value = n < 2 ? n : fib(n - 1) + fib(n - 2)\n    fibCache.set(n, value)\n  }\n  return value\n}"
)
const FASTER = SOURCE.replace("for (const name of names) out.push(name.toLowerCase())", "for (let i = 0; i < names.length; i++) out.push(names[i].toLowerCase())")

const repos: Array<string> = []
afterAll(() => {
  for (const dir of repos) rmSync(dir, { recursive: true, force: true })
})
const makeRepo = () => {
  const dir = mkdtempSync(join(tmpdir(), "ratchet-synth-validate-"))
  repos.push(dir)
  mkdirSync(join(dir, "src"))
  writeFileSync(join(dir, "src", "m.js"), SOURCE)
  return dir
}
const candidate = (after: string, extra: Partial<Candidate.Candidate> = {}): Candidate.Candidate => ({
  id: "c1",
  source: "plugin:test",
  rule: "test",
  opportunityId: null,
  title: "t",
  explanation: "e",
  diff: Patchgen.unifiedDiff("src/m.js", SOURCE, after),
  files: ["src/m.js"],
  kind: "performance",
  ...extra
})
const command = (c: string) => ({ command: c, cwd: ".", confidence: 1, evidence: [] })
const profile: RepoProfile.RepoProfile = {
  root: "/repo",
  packageManager: { name: "npm", variant: null, version: null, confidence: 1, evidence: [] },
  workspaces: [],
  frameworks: [],
  commands: { install: null, build: null, typecheck: null, test: command("npm test"), bench: command("node bench/run.mjs") },
  warnings: []
}
const tests = { passed: 1, failed: 0, skipped: 0, tests: [{ name: "fib", status: "passed" as const }] }
const adapter: Baseline.TestAdapter = { plan: (i) => ({ command: i.command, env: {}, runner: "fake", notes: [] }), read: () => tests }
const copying = Layer.succeed(Workspace.Workspace, {
  prepare: (options) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        const dir = mkdtempSync(join(tmpdir(), "ratchet-candidate-"))
        cpSync(options.source, dir, { recursive: true })
        return { path: dir, commit: null, purpose: options.purpose }
      }),
      (h) => Effect.sync(() => rmSync(h.path, { recursive: true, force: true }))
    )
})
const figure = (name: string, change: number, pValue = 0.001): BenchmarkResult.BenchmarkResult => ({
  name,
  baselineMedianNs: 1000,
  candidateMedianNs: 1000 * (1 + change),
  change,
  ciLow: change - 0.02,
  ciHigh: change + 0.02,
  pValue,
  samples: 12
})
const captured = (options: SynthBench.CaptureOptions, replayable = 12): SynthBench.Capture => ({
  target: options.target,
  calls: 12,
  replayable,
  tests: ["test/m.test.js:3", "test/m.test.js:9"],
  notReplayable: replayable < 12 ? [{ reason: "arguments that include a function", count: 12 - replayable }] : [],
  harness: "/tmp/h.mjs",
  warnings: []
})
const layers = (synth: Layer.Layer<SynthBench.SynthBench> | null, bench: ReadonlyArray<string> = [], faster = false) => {
  const base = Layer.mergeAll(
    copying,
    PolicyCheck.PolicyCheck.layerTest(),
    Sandbox.Sandbox.layerTest((o) => (o.command === "npm test" ? { exitCode: 0, output: "1 passed" } : undefined)),
    BenchRunner.BenchRunner.layerTest(bench, () => (faster ? [{ verdict: "faster" as const, result: figure(bench[0] ?? "fib", -0.6) }] : [])),
    ArtifactStore.ArtifactStore.layerTest
  )
  // synthesized benchmarks reach validate as its benchmark source, the way `ratchet run` and the server plug them in
  return synth === null ? base : Layer.mergeAll(base, SynthBench.benchmarkSources.pipe(Layer.provide(synth)))
}
const run = (c: Candidate.Candidate, repo = makeRepo(), benchmarks: ReadonlyArray<string> = []) =>
  Validate.validate({ testAdapter: adapter, candidate: c, profile, baseline: { steps: [], tests }, baselineWorkspace: { path: repo, commit: null, purpose: "baseline" }, source: repo, benchmarks })

describe("Validate with synthesized benchmarks", () => {
  it.effect("accepts a speedup proven on captured calls, saying what was measured", () =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      const synth = SynthBench.SynthBench.layerTest({
        capture: (o) => {
          seen.push(`${o.target.file}#${o.target.name}`)
          return captured(o)
        },
        compare: (_c, mode) => ({ mode, verdict: "faster", result: figure(`synthesized: slugs (${mode} inputs)`, -0.3), reason: "faster" })
      })
      const v = yield* run(candidate(FASTER)).pipe(Effect.provide(layers(synth)))
      expect(seen).toEqual(["src/m.js#slugs"])
      expect(v.attempt.status).toBe("accepted")
      expect(v.kind).toBe("performance")
      expect(v.benchmark?.name).toBe("synthesized: slugs (repeated inputs)")
      expect(v.attempt.reason).toMatch(/^accepted: faster beyond noise — synthesized benchmark from 12 captured call\(s\) of slugs \(src\/m\.js\) from test\(s\) test\/m\.test\.js:3, test\/m\.test\.js:9: -30\.0%/)
      expect(v.synthesized?.[0]).toMatchObject({ target: { file: "src/m.js", name: "slugs" }, calls: 12, replayable: 12, repeated: { change: -0.3 } })
    })
  )

  it.effect("rejects a behaviour change with the first differing call", () =>
    Effect.gen(function* () {
      const synth = SynthBench.SynthBench.layerTest({
        capture: (o) => captured(o),
        equivalence: () => ({
          verdict: "different",
          compared: 3,
          nondeterministic: 0,
          difference: { call: 2, test: "test/m.test.js:9", args: "[ 'Ä' ]", what: "result", original: "[ 'ä' ]", candidate: "[ 'a' ]" },
          reason: "behaviour changed on a captured call of slugs: call #3 …"
        }),
        compare: () => {
          throw new Error("a candidate that behaves differently is never timed")
        }
      })
      const v = yield* run(candidate(FASTER)).pipe(Effect.provide(layers(synth)))
      expect(v.attempt).toMatchObject({ status: "rejected", reason: "behaviour changed on a captured call of slugs: call #3 …" })
    })
  )

  it.effect("with no replayable call a performance candidate stays unproven: tech-debt at most, never a speedup", () =>
    Effect.gen(function* () {
      const synth = SynthBench.SynthBench.layerTest({ capture: (o) => captured(o, 0) })
      const v = yield* run(candidate(FASTER)).pipe(Effect.provide(layers(synth)))
      expect(v.attempt.status).toBe("accepted")
      expect(v.kind).toBe("tech-debt")
      expect(v.benchmark).toBeNull()
      expect(v.attempt.reason).toBe(
        "accepted as tech-debt: tests pass; unproven: slugs: 12 captured call(s), none replayable (12 with arguments that include a function), so no speedup is claimed"
      )
    })
  )

  it.effect("a cache across calls that wins only on repeated inputs is rejected with that reason; from memoize it is accepted with both figures", () =>
    Effect.gen(function* () {
      const synth = SynthBench.SynthBench.layerTest({
        capture: (o) => captured(o),
        compare: (_c, mode) =>
          mode === "repeated"
            ? { mode, verdict: "faster", result: figure("synthesized: fib (repeated inputs)", -0.9), reason: "faster" }
            : { mode, verdict: "not-faster", result: figure("synthesized: fib (distinct inputs)", 0.04, 0.3), reason: "not faster" }
      })
      const plugin = yield* run(candidate(MEMO)).pipe(Effect.provide(layers(synth)))
      expect(plugin.attempt.status).toBe("rejected")
      expect(plugin.attempt.reason).toMatch(
        /^faster only because the benchmark repeats its inputs: the candidate adds a cache that lives across calls \(fibCache\) and is not faster on distinct inputs — .*: repeated inputs -90\.0% .*; distinct inputs \+4\.0%/
      )
      const memoize = yield* run(candidate(MEMO, { source: "template:memoize", rule: "memoize" })).pipe(Effect.provide(layers(synth)))
      expect(memoize.attempt.status).toBe("accepted")
      expect(memoize.attempt.reason).toMatch(/the gain depends on repeated arguments \(memoize, cache fibCache\): repeated inputs -90\.0% .*, distinct inputs \+4\.0%/)
      expect(memoize.synthesized?.[0]?.repeated?.change).toBe(-0.9)
      expect(memoize.synthesized?.[0]?.distinct?.change).toBe(0.04)
      // a cache that also wins on distinct inputs is fine
      const winsAnyway = SynthBench.SynthBench.layerTest({
        capture: (o) => captured(o),
        compare: (_c, mode) => ({ mode, verdict: "faster", result: figure(`synthesized: fib (${mode} inputs)`, mode === "repeated" ? -0.9 : -0.5), reason: "faster" })
      })
      const fine = yield* run(candidate(MEMO)).pipe(Effect.provide(layers(winsAnyway)))
      expect(fine.attempt.status).toBe("accepted")
      expect(fine.attempt.reason).toContain("the cache (fibCache) also wins on distinct inputs: -50.0%")
    })
  )

  it.effect("a cache measured faster by the repository's benchmark needs the distinct-input figure too", () =>
    Effect.gen(function* () {
      // no SynthBench service: nothing can measure distinct inputs
      const v = yield* run(candidate(MEMO), makeRepo(), ["fib"]).pipe(Effect.provide(layers(null, ["fib"], true)))
      expect(v.attempt.status).toBe("rejected")
      expect(v.attempt.reason).toMatch(/^faster only because the benchmark repeats its inputs: the candidate adds a cache that lives across calls \(fibCache\); fib: -60\.0% .*; no synthesized benchmark is available to measure distinct inputs$/)
    })
  )

  it.effect("a candidate that touches tests, benchmarks or the harness is rejected before anything runs, even if it would measure faster", () =>
    Effect.gen(function* () {
      for (const [file, why] of [
        ["bench/run.mjs", "bench/run.mjs (run by the bench command)"],
        ["src/m.bench.ts", "src/m.bench.ts (a benchmark)"],
        ["test/m.test.js", "test/m.test.js (a test)"],
        ["vitest.config.ts", "vitest.config.ts (test or benchmark configuration)"],
        ["synthesized-fib.mjs", "synthesized-fib.mjs (Ratchet's harness)"]
      ] as const) {
        const c = { ...candidate(FASTER), files: ["src/m.js", file] }
        const v = yield* run(c, makeRepo(), ["fib"]).pipe(Effect.provide(layers(null, ["fib"], true)))
        expect(v.attempt).toMatchObject({
          status: "rejected",
          reason: `touches what measures it: ${why}; a candidate may not change tests, benchmarks or the harness, whatever it measures`
        })
      }
    })
  )
})

describe("Validate.BenchmarkSources", () => {
  const source = (name: string, answer: ReadonlyArray<{ readonly verdict: "faster" | "slower" | "not-faster"; readonly change: number }> | null, seen: Array<string>): Validate.BenchmarkSource => ({
    name,
    measure: (context) =>
      Effect.sync(() => {
        seen.push(`${name}: ${context.symbols.join(",")} caches=${context.caches.join(",")}`)
        return answer === null ? null : answer.map((a) => ({ verdict: a.verdict, result: figure(`${name}: slugs`, a.change) }))
      })
  })
  const withSources = (sources: ReadonlyArray<Validate.BenchmarkSource>, bench: ReadonlyArray<string> = [], faster = false) =>
    Layer.mergeAll(layers(null, bench, faster), Layer.succeed(Validate.BenchmarkSources, sources))

  it.effect("a source's plain comparisons are judged like the repository's benchmarks; a source with nothing to say is skipped", () =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      const v = yield* run(candidate(FASTER)).pipe(Effect.provide(withSources([source("silent", null, seen), source("timer", [{ verdict: "faster", change: -0.2 }], seen)])))
      expect(seen).toEqual(["silent: slugs caches=", "timer: slugs caches="])
      expect(v.attempt).toMatchObject({ status: "accepted" })
      expect(v.attempt.reason).toMatch(/^accepted: faster beyond noise — timer: slugs: -20\.0%/)
      expect(v).toMatchObject({ kind: "performance", benchmark: { name: "timer: slugs" } })
      const slower = yield* run(candidate(FASTER)).pipe(Effect.provide(withSources([source("timer", [{ verdict: "faster", change: -0.2 }, { verdict: "slower", change: 0.1 }], []) ])))
      expect(slower.attempt.reason).toMatch(/^not faster beyond noise — slower beyond noise: timer: slugs: \+10\.0%/)
    })
  )

  it.effect("sources are not consulted when a repository benchmark measures the change (unless it adds a cache)", () =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      const v = yield* run(candidate(FASTER), makeRepo(), ["slugs"]).pipe(Effect.provide(withSources([source("timer", [{ verdict: "slower", change: 0.5 }], seen)], ["slugs"], true)))
      expect(seen).toEqual([])
      expect(v.attempt.status).toBe("accepted")
      // a cache: the repository's benchmark said faster, the source is asked about distinct inputs and has no verdict to give
      const cached = yield* run(candidate(MEMO), makeRepo(), ["fib"]).pipe(Effect.provide(withSources([source("timer", [{ verdict: "faster", change: -0.5 }], seen)], ["fib"], true)))
      expect(seen).toEqual(["timer: fib caches=fibCache"])
      expect(cached.attempt.status).toBe("rejected")
      expect(cached.attempt.reason).toMatch(/^faster only because the benchmark repeats its inputs: the candidate adds a cache that lives across calls \(fibCache\)/)
    })
  )
})
