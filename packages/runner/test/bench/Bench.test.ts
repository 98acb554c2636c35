import { describe, expect, it } from "@effect/vitest"
import { RatchetError, Sandbox, Stats } from "@ratchet/core"
import { Bench, LocalSandbox } from "@ratchet/runner"
import { Effect } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const BASE = "/work/base"
const CAND = "/work/cand"

/** A scripted sandbox: each process prints RATCHET_BENCH lines drawn from seeded log-normal noise. */
const scripted = (
  centers: { readonly baseline: Record<string, number>; readonly candidate: Record<string, number> },
  options: {
    readonly sigma?: number
    /** Noise per benchmark name, overriding `sigma`. */
    readonly sigmas?: Readonly<Record<string, number>>
    readonly seed?: number
    readonly failCandidate?: boolean
    readonly failBaseline?: boolean
    readonly calls?: Array<string>
  } = {}
) => {
  const random = Stats.prng(options.seed ?? 1)
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  return Sandbox.Sandbox.layerTest((run) => {
    const side = run.cwd.startsWith(CAND) ? "candidate" : "baseline"
    options.calls?.push(side)
    if ((side === "candidate" && options.failCandidate) || (side === "baseline" && options.failBaseline)) {
      return { exitCode: 1, output: "Error: boom", stderr: "Error: boom" }
    }
    const lines = Object.entries(centers[side]).map(
      ([name, ns]) => `RATCHET_BENCH ${JSON.stringify({ name, ns: ns * Math.exp((options.sigmas?.[name] ?? options.sigma ?? 0.02) * gaussian()) })}`
    )
    const output = ["bench output", ...lines].join("\n")
    return { exitCode: 0, output, stdout: output }
  })
}

const options: Bench.CompareOptions = { baselineDir: BASE, candidateDir: CAND, command: "node bench.js", maxRounds: 30 }

describe("Bench.compareAll (scripted sandbox)", () => {
  it.effect("accepts a clear speedup early, interleaving A B / B A rounds after warm-up", () =>
    Effect.gen(function* () {
      const calls: Array<string> = []
      const c = yield* Bench.compareAll(options).pipe(
        Effect.provide(scripted({ baseline: { parse: 1_000_000 }, candidate: { parse: 800_000 } }, { calls }))
      )
      expect(c?.verdict).toBe("faster")
      expect(c?.adapter).toBe("ratchet")
      expect(c?.result?.name).toBe("parse")
      expect(c?.result?.change).toBeLessThan(-0.15)
      expect(c?.result?.ciHigh).toBeLessThan(-0.03)
      expect(c?.result?.pValue).toBeLessThan(0.05)
      expect(c?.rounds).toBeLessThan(30)
      expect(c?.result?.samples).toBe(c?.rounds)
      expect(c?.result?.baselineSamplesNs).toHaveLength(c?.rounds ?? -1)
      // warm-up: baseline, candidate; then rounds alternate AB, BA, …
      expect(calls.slice(0, 6)).toEqual(["baseline", "candidate", "baseline", "candidate", "candidate", "baseline"])
      expect(calls).toHaveLength(2 + 2 * (c?.rounds ?? 0))
    })
  )

  it.effect("rejects a tempting change that is not faster, and stops early when it is ruled out", () =>
    Effect.gen(function* () {
      const c = yield* Bench.compareAll(options).pipe(
        Effect.provide(scripted({ baseline: { parse: 1_000_000 }, candidate: { parse: 1_000_000 } }, { sigma: 0.01 }))
      )
      expect(c?.verdict).toBe("not-faster")
      expect(c?.reason).toMatch(/not faster beyond noise/)
      expect(c?.rounds).toBeLessThan(30)
    })
  )

  it.effect("a true 2% speedup is below the 3% threshold: not faster", () =>
    Effect.gen(function* () {
      const c = yield* Bench.compareAll(options).pipe(
        Effect.provide(scripted({ baseline: { parse: 1_000_000 }, candidate: { parse: 980_000 } }, { sigma: 0.005 }))
      )
      expect(c?.verdict).toBe("not-faster")
    })
  )

  it.effect("reports a slowdown and tests only the requested benchmarks", () =>
    Effect.gen(function* () {
      const centers = {
        baseline: { a: 1_000_000, b: 2_000_000, other: 500_000 },
        candidate: { a: 1_300_000, b: 2_000_000, other: 100_000 }
      }
      const c = yield* Bench.compareAll({ ...options, benchmarks: ["a", "b", "missing"] }).pipe(Effect.provide(scripted(centers)))
      expect(c?.verdict).toBe("slower")
      expect(c?.outcomes.map((o) => [o.name, o.verdict])).toEqual([
        ["a", "slower"],
        ["b", "not-faster"]
      ])
      expect(c?.result?.name).toBe("a")
      expect(c?.warnings.join("\n")).toMatch(/"missing" is not reported by the baseline/)
    })
  )

  it.effect("stops sampling once one benchmark is slower beyond noise, however noisy the others", () =>
    Effect.gen(function* () {
      const centers = { baseline: { hot: 1_000_000, noisy: 1_000_000 }, candidate: { hot: 1_400_000, noisy: 1_000_000 } }
      const c = yield* Bench.compareAll(options).pipe(Effect.provide(scripted(centers, { sigma: 0.01, sigmas: { noisy: 0.5 } })))
      expect(c?.verdict).toBe("slower")
      expect(c?.rounds).toBeLessThan(15)
      expect(c?.outcomes.map((o) => [o.name, o.verdict])).toEqual([
        ["hot", "slower"],
        ["noisy", "not-faster"]
      ])
      expect(c?.outcomes[1]?.reason).toMatch(/not decided: sampling stopped once hot was slower beyond noise/)
    })
  )

  it.effect("a candidate whose bench fails is a failed verdict, not an error", () =>
    Effect.gen(function* () {
      const c = yield* Bench.compareAll(options).pipe(
        Effect.provide(scripted({ baseline: { parse: 1 }, candidate: { parse: 1 } }, { failCandidate: true }))
      )
      expect(c?.verdict).toBe("failed")
      expect(c?.reason).toMatch(/failed on the candidate \(exit code 1\)[\s\S]*boom/)
    })
  )

  it.effect("a baseline whose bench fails is an IoFailure naming the command", () =>
    Effect.gen(function* () {
      const error = yield* Bench.compareAll(options).pipe(
        Effect.provide(scripted({ baseline: { parse: 1 }, candidate: { parse: 1 } }, { failBaseline: true })),
        Effect.flip
      )
      expect(error.reason._tag).toBe("IoFailure")
      expect(error.message).toMatch(/`node bench.js` failed on the baseline/)
    })
  )

  it.effect("no recognisable benchmark output gives null", () =>
    Effect.gen(function* () {
      const c = yield* Bench.compareAll(options).pipe(
        Effect.provide(Sandbox.Sandbox.layerTest(() => ({ exitCode: 0, output: "all good", stdout: "all good" })))
      )
      expect(c).toBeNull()
      const headline = yield* Bench.compare(options).pipe(
        Effect.provide(Sandbox.Sandbox.layerTest(() => ({ exitCode: 0, output: "all good", stdout: "all good" })))
      )
      expect(headline).toBeNull()
    })
  )

  it.effect("vitest: adds --outputJson and reads the file back through the shell wrapper", () =>
    Effect.gen(function* () {
      const commands: Array<string> = []
      const json = (ms: number) =>
        JSON.stringify({ files: [{ groups: [{ fullName: "b.bench.ts", benchmarks: [{ name: "x", samples: [], median: ms }] }] }] })
      let i = 0
      const layer = Sandbox.Sandbox.layerTest((run) => {
        commands.push(run.command)
        const ms = run.cwd.startsWith(CAND) ? 0.5 : 1 + (i++ % 3) * 0.001
        const stdout = `vitest output\n@@RATCHET_BENCH_OUTPUT_FILE@@\n${json(ms)}`
        return { exitCode: 0, stdout, output: stdout }
      })
      const r = yield* Bench.compare({ ...options, command: "npx vitest bench", maxRounds: 8 }).pipe(Effect.provide(layer))
      expect(commands[0]).toMatch(/\( npx vitest bench --run --outputJson "\$RATCHET_BENCH_OUT" \)/)
      expect(r?.name).toBe("b.bench.ts > x")
      expect(r?.verdict).toBe("faster")
      expect(r?.baselineMedianNs).toBeCloseTo(1_001_000, -3)
    })
  )

  it.effect("warns when the budget can never show a speedup", () =>
    Effect.gen(function* () {
      const c = yield* Bench.compareAll({ ...options, maxRounds: 3 }).pipe(
        Effect.provide(scripted({ baseline: { parse: 1_000_000 }, candidate: { parse: 500_000 } }))
      )
      expect(c?.verdict).toBe("not-faster")
      expect(c?.warnings.join("\n")).toMatch(/maxRounds 3 is too small/)
    })
  )

  it.effect("vitest without --outputJson support falls back to its text table", () =>
    Effect.gen(function* () {
      let i = 0
      const layer = Sandbox.Sandbox.layerTest((run) => {
        if (run.command.includes("--outputJson")) return { exitCode: 1, output: "CACError: Unknown option `--outputJson`" }
        const hz = run.cwd.startsWith(CAND) ? "2,000.00" : (1000 - (i++ % 3)).toFixed(2)
        const stdout = [
          " ✓ b.bench.ts > g 1000ms",
          "     name      hz     min     max    mean     p75     p99    p995    p999     rme  samples",
          `   · x  ${hz}  0.1000  2.0000  1.0000  1.0000  1.0000  1.0000  1.0000  ±0.50%  500`
        ].join("\n")
        return { exitCode: 0, stdout, output: stdout }
      })
      const c = yield* Bench.compareAll({ ...options, command: "npx vitest bench", maxRounds: 8 }).pipe(Effect.provide(layer))
      expect(c?.adapter).toBe("vitest-text")
      expect(c?.result?.name).toBe("b.bench.ts > g > x")
      expect(c?.verdict).toBe("faster")
    })
  )

  it.effect("bad options are BadInput with what to do", () =>
    Effect.gen(function* () {
      const layer = scripted({ baseline: {}, candidate: {} })
      const e1 = yield* Bench.compareAll({ ...options, baselineDir: "relative" }).pipe(Effect.provide(layer), Effect.flip)
      expect(e1.message).toMatch(/baselineDir is "relative".*absolute path/)
      const e2 = yield* Bench.compareAll({ ...options, maxRounds: 2 }).pipe(Effect.provide(layer), Effect.flip)
      expect(e2.message).toMatch(/maxRounds is 2/)
      const e3 = yield* Bench.compareAll({ ...options, command: " " }).pipe(Effect.provide(layer), Effect.flip)
      expect(e3.reason._tag).toBe("BadInput")
      const e4 = yield* Bench.compareAll({ ...options, cwd: "../escape" }).pipe(Effect.provide(layer), Effect.flip)
      expect(e4).toBeInstanceOf(RatchetError.RatchetError)
      expect(e4.message).toMatch(/cwd/)
    })
  )
})

describe("Bench with real processes (LocalSandbox)", () => {
  const workload = (iterations: number) => `
const t0 = process.hrtime.bigint()
let s = 0
for (let r = 0; r < 20; r++) {
  const t = process.hrtime.bigint()
  for (let i = 0; i < ${iterations}; i++) s = (s + i * i) % 1000003
  console.log("RATCHET_BENCH " + JSON.stringify({ name: "loop", ns: Number(process.hrtime.bigint() - t) }))
}
if (s < 0) console.log(t0)
`
  const checkout = (iterations: number): string => {
    const dir = mkdtempSync(join(tmpdir(), "ratchet-bench-"))
    writeFileSync(join(dir, "bench.mjs"), workload(iterations))
    return dir
  }
  const command = `"${process.execPath}" bench.mjs`

  it.effect("a candidate doing a third of the work is faster; the same work is not", () =>
    Effect.gen(function* () {
      const base = checkout(300_000)
      const fast = checkout(100_000)
      const same = checkout(300_000)
      const win = yield* Bench.compareAll({ baselineDir: base, candidateDir: fast, command, maxRounds: 8, minRounds: 4 })
      expect(win?.verdict).toBe("faster")
      expect(win?.result?.change).toBeLessThan(-0.4)
      const tie = yield* Bench.compareAll({ baselineDir: base, candidateDir: same, command, maxRounds: 8, minRounds: 4, threshold: 0.1 })
      expect(tie?.verdict).toBe("not-faster")
      const names = yield* Bench.list(base, command)
      expect(names).toEqual(["loop"])
    }).pipe(Effect.provide(LocalSandbox.layer))
  )

  it.effect("parses real tinybench output", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "ratchet-tinybench-"))
      const tinybench = new URL(import.meta.resolve("tinybench")).pathname
      writeFileSync(
        join(dir, "bench.mjs"),
        `import { Bench } from ${JSON.stringify(tinybench)}
const bench = new Bench({ time: 20 })
bench.add("sum", () => { let s = 0; for (let i = 0; i < 1000; i++) s += i; return s })
await bench.run()
console.log(JSON.stringify(bench.table()))`
      )
      const names = yield* Bench.list(dir, `"${process.execPath}" bench.mjs`)
      expect(names).toEqual(["sum"])
    }).pipe(Effect.provide(LocalSandbox.layer))
  )
})

describe("Bench.inspect (local sandbox)", () => {
  const repo = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), "ratchet-bench-inspect-"))
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
    return dir
  }
  const recordedCronometro = join(import.meta.dirname, "..", "fixtures", "bench-output", "cronometro-6.0.3.txt")

  it.live("picks the adapter from the library the bench script uses, and reads its real output", () =>
    Effect.gen(function* () {
      const dir = repo({
        "package.json": JSON.stringify({ scripts: { "benchmark:parse": "node bench.mjs" } }),
        // the script names cronometro (as `import cronometro from "cronometro"` would) and prints its recorded table
        "bench.mjs": `import { readFileSync } from "node:fs"\nconst tool = "cronometro"\nprocess.stdout.write(readFileSync(${JSON.stringify(recordedCronometro)}, "utf8"))\n`
      })
      const found = yield* Bench.inspect(dir, "npm run benchmark:parse").pipe(Effect.provide(LocalSandbox.layer))
      expect(found).toEqual({ names: ["sum reduce", "sum loop"], adapter: "cronometro", warning: null })
    })
  )

  it.live("an output no adapter reads is a warning naming the command, not a silent empty list", () =>
    Effect.gen(function* () {
      const dir = repo({ "bench.mjs": `console.log("parse: 1.2M per second"); console.log("done")` })
      const found = yield* Bench.inspect(dir, "node bench.mjs").pipe(Effect.provide(LocalSandbox.layer))
      expect(found.names).toEqual([])
      expect(found.warning).toMatch(/^the bench command `node bench\.mjs` ran, but no benchmark adapter \(ratchet, vitest, .*\) could read its output/)
      expect(found.warning).toContain("parse: 1.2M per second | done")
    })
  )
})
