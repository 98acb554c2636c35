/**
 * Baseline-vs-candidate benchmark comparison: warm-up, then interleaved rounds (A B, then B A, …) each in a fresh
 * process through the `Sandbox` port, with sequential stopping by `Stats.decide`.
 *
 * **Sampling unit.** One sample per benchmark per fresh process: the median of whatever that process reported
 * (its iterations, or its single summary for tools like benchmark.js that only print one). Iterations inside one
 * process are correlated (same JIT state, heap, CPU frequency), so they are never treated as independent samples.
 * Round `i` gives `baseline[i]` and `candidate[i]`, measured back to back, so slow drift is shared within a round.
 *
 * **Multiplicity.** When several benchmarks are tested, alpha is split between them (Bonferroni), so the chance that
 * any of them falsely reads "faster" stays within alpha.
 *
 * @example
 * ```ts
 * import { Bench } from "@ratchet/runner"
 *
 * const comparison = yield* Bench.compareAll({ baselineDir, candidateDir, command: "node bench.js", maxRounds: 30 })
 * if (comparison?.verdict === "faster") console.log(comparison.reason)
 * ```
 *
 * @since 0.1.0
 */
import { BenchRunner, type BenchmarkResult, type Plugin, RatchetError, Sandbox, Stats } from "@ratchet/core"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Adapters from "./internal/bench/adapters.js"

/**
 * The built-in benchmark adapters, in auto-detection order: Ratchet's `RATCHET_BENCH` line protocol, vitest bench
 * (`--outputJson`, tried first when the command runs vitest), vitest's text table, mitata, tinybench, benchmark.js,
 * `deno bench`.
 *
 * @since 0.1.0
 */
export const adapters: ReadonlyArray<Plugin.BenchmarkAdapter> = Adapters.builtin

/**
 * `RATCHET_BENCH {"name": …, "ns": …}` lines, printed by Ratchet's synthesised microbenchmarks.
 *
 * @since 0.1.0
 */
export const ratchetLine: Plugin.BenchmarkAdapter = Adapters.ratchetLine
/**
 * vitest bench with `--outputJson` (vitest 1–4 JSON).
 *
 * @since 0.1.0
 */
export const vitest: Plugin.BenchmarkAdapter = Adapters.vitestBench
/**
 * vitest bench's text table (vitest 1–4), for scripts that run vitest without the flag.
 *
 * @since 0.1.0
 */
export const vitestText: Plugin.BenchmarkAdapter = Adapters.vitestText
/**
 * vitest 5 bench through its JSON reporter (`benchmarks` on each test).
 *
 * @since 0.2.0
 */
export const vitestReport: Plugin.BenchmarkAdapter = Adapters.vitestReport
/**
 * cronometro's result table (versions 3–6), one ns/op value per process.
 *
 * @since 0.2.0
 */
export const cronometro: Plugin.BenchmarkAdapter = Adapters.cronometro
/**
 * Per-test durations of `node:test` (spec reporter or TAP), for benchmarks written as tests.
 *
 * @since 0.2.0
 */
export const nodeTest: Plugin.BenchmarkAdapter = Adapters.nodeTest
/**
 * tinybench tables (JSON rows or `console.table`) and task result objects.
 *
 * @since 0.1.0
 */
export const tinybench: Plugin.BenchmarkAdapter = Adapters.tinybench
/**
 * mitata JSON or text output.
 *
 * @since 0.1.0
 */
export const mitata: Plugin.BenchmarkAdapter = Adapters.mitata
/**
 * benchmark.js `name x 1,234 ops/sec ±0.5% (90 runs sampled)` lines (summary only: one sample per process).
 *
 * @since 0.1.0
 */
export const benchmarkJs: Plugin.BenchmarkAdapter = Adapters.benchmarkJs
/**
 * `deno bench`: Deno 2's table (`| name | 958.0 ns | … |`) or `deno bench --json`.
 *
 * @since 0.2.0
 */
export const denoBench: Plugin.BenchmarkAdapter = Adapters.denoBench

/**
 * The built-in adapters as a plugin, registered the way a third party registers its own.
 *
 * @since 0.1.0
 */
export const plugin = (): Plugin.Plugin => ({ name: "ratchet:bench-adapters", benchmarkAdapters: adapters })

/**
 * Options of a comparison.
 *
 * @since 0.1.0
 */
export interface CompareOptions {
  /** Absolute path of the baseline checkout. */
  readonly baselineDir: string
  /** Absolute path of the candidate checkout. */
  readonly candidateDir: string
  /** The bench command (run by `sh -c`), e.g. `npm run bench`. */
  readonly command: string
  /** Working directory relative to each checkout. Default `.`. */
  readonly cwd?: string
  /** The adapter(s) to use; default: auto-detect among the built-ins from the first baseline run. */
  readonly adapter?: Plugin.BenchmarkAdapter | ReadonlyArray<Plugin.BenchmarkAdapter>
  /** Only these benchmarks are tested (others are ignored); default all that both sides report. */
  readonly benchmarks?: ReadonlyArray<string>
  /** Rounds (samples per side) before the first look. Default 6 (or `maxRounds` when smaller). */
  readonly minRounds?: number
  /** Budget: at most this many measured rounds (samples per side). Default 30. */
  readonly maxRounds?: number
  /** Unmeasured rounds first (each side once per round). Default 1. */
  readonly warmupRounds?: number
  /** Smallest speedup worth accepting. Default 0.03. */
  readonly threshold?: number
  /** Family-wise false-positive budget. Default 0.05. */
  readonly alpha?: number
  /** Per-process timeout. Default 120000 ms. */
  readonly timeoutMs?: number
  readonly env?: Readonly<Record<string, string>>
  /** Bootstrap seed. Default 1. */
  readonly seed?: number
}

/**
 * The outcome for one benchmark.
 *
 * @since 0.1.0
 */
export interface Outcome {
  readonly name: string
  readonly verdict: "faster" | "slower" | "not-faster"
  readonly reason: string
  readonly result: BenchmarkResult.BenchmarkResult
}

/**
 * The outcome of a comparison. `result` is the headline benchmark: the biggest accepted speedup, else a slower
 * one, else the best observed change.
 *
 * @since 0.1.0
 */
export interface Comparison {
  /** `failed`: the bench command failed on the candidate or lost benchmarks the baseline reports. */
  readonly verdict: "faster" | "slower" | "not-faster" | "failed"
  readonly reason: string
  readonly result: BenchmarkResult.BenchmarkResult | null
  readonly outcomes: ReadonlyArray<Outcome>
  /** Measured rounds run (each round: one baseline and one candidate process). */
  readonly rounds: number
  readonly adapter: string
  readonly warnings: ReadonlyArray<string>
}

const MARKER = "@@RATCHET_BENCH_OUTPUT_FILE@@"
const OUT_VAR = '"$RATCHET_BENCH_OUT"'

interface ProcessRun {
  readonly ok: boolean
  readonly exitCode: number | null
  readonly timedOut: boolean
  readonly output: string
  readonly file: string | null
  readonly durationMs: number
}

const tail = (text: string, max = 1500): string => {
  const t = text.trim()
  return t.length > max ? `…${t.slice(t.length - max)}` : t
}

const describeFailure = (run: ProcessRun): string =>
  run.timedOut ? "timed out" : `exit code ${run.exitCode === null ? "none (killed)" : run.exitCode}`

const wrap = (command: string, adapter: Plugin.BenchmarkAdapter | null): { command: string; usesFile: boolean } => {
  const withFlags = adapter?.command?.(command, OUT_VAR) ?? null
  if (withFlags === null) return { command, usesFile: false }
  return {
    usesFile: true,
    command: [
      `RATCHET_BENCH_OUT="$(mktemp 2>/dev/null || echo "\${TMPDIR:-/tmp}/ratchet-bench-$$.json")"`,
      "export RATCHET_BENCH_OUT",
      `( ${withFlags} )`,
      "__ratchet_rc=$?",
      `printf '\\n%s\\n' '${MARKER}'`,
      `cat ${OUT_VAR} 2>/dev/null`,
      `rm -f ${OUT_VAR}`,
      "exit $__ratchet_rc"
    ].join("; ")
  }
}

const runProcess = Effect.fn("Bench.runProcess")(function* (
  dir: string,
  options: CompareOptions,
  adapter: Plugin.BenchmarkAdapter | null,
  label: string
) {
  const sandbox = yield* Sandbox.Sandbox
  const { command, usesFile } = wrap(options.command, adapter)
  const result = yield* sandbox.run({
    command,
    cwd: path.resolve(dir, options.cwd ?? "."),
    timeoutMs: options.timeoutMs ?? 120_000,
    maxOutputBytes: 16 * 1024 * 1024,
    label,
    ...(options.env ? { env: options.env } : {})
  })
  let output = result.output
  let file: string | null = null
  if (usesFile) {
    const at = result.stdout.lastIndexOf(MARKER)
    if (at >= 0) {
      file = result.stdout.slice(at + MARKER.length).replace(/^\r?\n/, "")
      output = `${result.stdout.slice(0, at)}\n${result.stderr}`
    }
  }
  return {
    ok: result.exitCode === 0 && !result.timedOut,
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    output,
    file: file !== null && file.length > 0 ? file : null,
    durationMs: result.durationMs
  } satisfies ProcessRun
})

const parseWith = (adapter: Plugin.BenchmarkAdapter, run: ProcessRun): ReadonlyMap<string, ReadonlyArray<number>> | null => {
  try {
    return adapter.parse(run.output, run.file)
  } catch {
    return null
  }
}

/** One value per benchmark for this process: the median of what it reported (valid timings only). */
const perProcess = (samples: ReadonlyMap<string, ReadonlyArray<number>> | null): Map<string, number> => {
  const out = new Map<string, number>()
  if (!samples) return out
  for (const [name, values] of samples) {
    const valid = values.filter((v) => typeof v === "number" && Number.isFinite(v) && v > 0)
    if (valid.length > 0) out.set(name, Stats.median(valid))
  }
  return out
}

const checkNumber = (value: number | undefined, name: string, ok: (n: number) => boolean, fix: string): void => {
  if (value !== undefined && !(typeof value === "number" && ok(value))) {
    throw RatchetError.badInput({ what: `${name} is ${String(value)}`, where: "Bench.compare options", fix })
  }
}

const validate = (options: CompareOptions): Effect.Effect<void, RatchetError.RatchetError> =>
  Effect.try({
    try: () => {
      for (const key of ["baselineDir", "candidateDir"] as const) {
        const dir = options[key]
        if (typeof dir !== "string" || !path.isAbsolute(dir)) {
          throw RatchetError.badInput({ what: `${key} is ${JSON.stringify(dir)}`, where: "Bench.compare options", fix: "pass an absolute path of a checkout" })
        }
      }
      if (typeof options.command !== "string" || options.command.trim().length === 0) {
        throw RatchetError.badInput({ what: "the bench command is empty", where: "Bench.compare options", fix: "pass the repository's bench command, e.g. `npm run bench`" })
      }
      if (options.cwd !== undefined && (typeof options.cwd !== "string" || path.isAbsolute(options.cwd) || options.cwd.split(/[\\/]/).includes(".."))) {
        throw RatchetError.badInput({ what: `cwd is ${JSON.stringify(options.cwd)}`, where: "Bench.compare options", fix: "pass a path relative to the checkout, without `..`" })
      }
      const int = (lo: number, hi: number) => (n: number) => Number.isInteger(n) && n >= lo && n <= hi
      checkNumber(options.maxRounds, "maxRounds", int(3, 10_000), "use an integer between 3 and 10000")
      checkNumber(options.minRounds, "minRounds", int(3, 10_000), "use an integer between 3 and maxRounds")
      checkNumber(options.warmupRounds, "warmupRounds", int(0, 100), "use an integer between 0 and 100")
      checkNumber(options.threshold, "threshold", (n) => n >= 0 && n < 1, "use a fraction in [0, 1), e.g. 0.03")
      checkNumber(options.alpha, "alpha", (n) => n > 0 && n < 0.5, "use a level in (0, 0.5), e.g. 0.05")
      checkNumber(options.timeoutMs, "timeoutMs", (n) => n > 0 && n <= 86_400_000, "use a positive number of milliseconds")
      if (options.minRounds !== undefined && options.minRounds > (options.maxRounds ?? 30)) {
        throw RatchetError.badInput({ what: `minRounds ${options.minRounds} exceeds maxRounds ${options.maxRounds ?? 30}`, where: "Bench.compare options", fix: "lower minRounds or raise maxRounds" })
      }
    },
    catch: (error) => (error instanceof RatchetError.RatchetError ? error : RatchetError.internal(String(error), error))
  })

/** The package.json scripts a bench command runs (`npm run bench` → the `bench` script's body), else the command. */
const expandScript = (dir: string, options: CompareOptions): string => {
  const script = /^(?:npm\s+(?:run(?:-script)?\s+)?|pnpm\s+(?:run\s+)?|yarn\s+(?:run\s+)?|bun\s+run\s+)([\w:.-]+)(?:\s+--\s.*)?\s*$/.exec(options.command.trim())?.[1]
  if (script === undefined) return options.command
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, options.cwd ?? ".", "package.json"), "utf8")) as { scripts?: Record<string, unknown> }
    const body = pkg.scripts?.[script]
    return typeof body === "string" ? `${options.command}\n${body}` : options.command
  } catch {
    return options.command
  }
}

/** The major version of the vitest installed for `dir` (nearest `node_modules/vitest`), or `null`. */
const vitestMajor = (dir: string): number | null => {
  for (let at = dir; ; at = path.dirname(at)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(at, "node_modules", "vitest", "package.json"), "utf8")) as { version?: unknown }
      const major = typeof pkg.version === "string" ? Number(pkg.version.split(".")[0]) : Number.NaN
      return Number.isInteger(major) ? major : null
    } catch {
      // not here
    }
    if (path.dirname(at) === at || fs.existsSync(path.join(at, ".git"))) return null
  }
}

/** Benchmark libraries a script imports, and the adapter that reads their output. */
const LIBRARIES: ReadonlyArray<readonly [RegExp, Plugin.BenchmarkAdapter]> = [
  [/["'](?:cronometro)["']/, Adapters.cronometro],
  [/["'](?:mitata)["']/, Adapters.mitata],
  [/["'](?:tinybench)["']/, Adapters.tinybench],
  [/["'](?:benchmark)["']/, Adapters.benchmarkJs],
  [/["']node:test["']/, Adapters.nodeTest]
]

/**
 * Adapters the command itself points at: vitest (directly or through a package.json script), or the benchmark
 * library imported by the script file it runs with node (`node bench/parse.mjs`).
 */
const byCommand = (dir: string, options: CompareOptions): ReadonlyArray<Plugin.BenchmarkAdapter> => {
  const expanded = expandScript(dir, options)
  if (/\bvitest\b/.test(expanded)) {
    const major = vitestMajor(path.resolve(dir, options.cwd ?? "."))
    return major !== null && major >= 5 ? [Adapters.vitestReport] : [Adapters.vitestBench]
  }
  const found: Array<Plugin.BenchmarkAdapter> = []
  for (const m of expanded.matchAll(/\b(?:node|tsx|ts-node|bun)\s+(?:--?[\w-]+(?:=\S+)?\s+)*([^\s;&|]+\.[cm]?[jt]s)\b/g)) {
    let source: string
    try {
      source = fs.readFileSync(path.resolve(dir, options.cwd ?? ".", m[1]), "utf8").slice(0, 200_000)
    } catch {
      continue
    }
    if (/\bnode --test\b/.test(expanded)) found.push(Adapters.nodeTest)
    for (const [re, adapter] of LIBRARIES) if (re.test(source) && !found.includes(adapter)) found.push(adapter)
  }
  if (/\bnode\s+(?:--[\w-]+\s+)*--test\b/.test(expanded) && !found.includes(Adapters.nodeTest)) found.push(Adapters.nodeTest)
  return found
}

/**
 * Picks the adapter for a command: the given one(s) that parse the first baseline output, else the built-in the
 * command points at (vitest and its flags, or the library its script imports), else the first built-in that
 * reads the output (detection by shape).
 */
const resolveAdapter = Effect.fn("Bench.resolveAdapter")(function* (dir: string, options: CompareOptions) {
  const given = options.adapter === undefined ? null : Array.isArray(options.adapter) ? options.adapter : [options.adapter as Plugin.BenchmarkAdapter]
  const preferred = given === null ? byCommand(dir, options) : []
  const pool: ReadonlyArray<Plugin.BenchmarkAdapter> = given ?? [...preferred, ...adapters.filter((a) => !preferred.includes(a))]
  // Adapters that need their own flags are tried with them; the others share one plain run.
  let plainRun: ProcessRun | null = null
  let failed: ProcessRun | null = null
  for (const adapter of pool) {
    let run: ProcessRun
    if (adapter.command) {
      // a built-in flag adapter runs only when the command points at its tool
      if (given === null && !preferred.includes(adapter)) continue
      run = yield* runProcess(dir, options, adapter, "bench:warmup:baseline")
      // e.g. a tool version without the reporter flag: fall back to the plain command and the other adapters
      if (!run.ok) {
        failed ??= run
        continue
      }
    } else {
      plainRun ??= yield* runProcess(dir, options, null, "bench:warmup:baseline")
      run = plainRun
      if (!run.ok) return { adapter: null, run }
    }
    const parsed = parseWith(adapter, run)
    if (parsed && perProcess(parsed).size > 0) return { adapter, run }
  }
  return { adapter: null, run: plainRun ?? failed }
})

/**
 * The warning for a bench command whose output no adapter reads: it names the command and what was tried.
 *
 * @since 0.2.0
 */
export const unreadableWarning = (command: string, output: string, adapterNames: ReadonlyArray<string>): string => {
  const lines = Adapters.stripAnsi(output)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
  return `the bench command \`${command}\` ran, but no benchmark adapter (${adapterNames.join(", ")}) could read its output, so no benchmark can measure a candidate; print results in one of those formats, or RATCHET_BENCH {"name": …, "ns": …} lines, or add a benchmark adapter plugin. Last output lines: ${lines.slice(-3).join(" | ").slice(0, 300) || "(none)"}`
}

/**
 * Compares baseline and candidate and returns every tested benchmark's outcome, or `null` when the baseline's
 * bench output contains no benchmark any adapter recognises. Fails with a `RatchetError` on bad options or when the
 * bench command fails on the baseline; a failure on the candidate is a `failed` verdict, not an error.
 *
 * @since 0.1.0
 */
export const compareAll = Effect.fn("Bench.compareAll")(function* (options: CompareOptions) {
  yield* validate(options)
  const maxRounds = options.maxRounds ?? 30
  const minRounds = Math.min(options.minRounds ?? 6, maxRounds)
  const threshold = options.threshold ?? 0.03
  const alpha = options.alpha ?? 0.05
  const warnings: Array<string> = []

  // Warm-up (and adapter detection) on the baseline.
  const detected = yield* resolveAdapter(options.baselineDir, options)
  if (detected.run && !detected.run.ok) {
    return yield* Effect.fail(
      RatchetError.ioFailure(
        options.baselineDir,
        `the bench command \`${options.command}\` failed on the baseline (${describeFailure(detected.run)}); fix the bench script or disable benchmarks. Output:\n${tail(detected.run.output)}`
      )
    )
  }
  const adapter = detected.adapter
  if (adapter === null) {
    const tried = options.adapter === undefined ? adapters : Array.isArray(options.adapter) ? options.adapter : [options.adapter as Plugin.BenchmarkAdapter]
    if (detected.run !== null) yield* Effect.logWarning(`Ratchet: ${unreadableWarning(options.command, detected.run.output, tried.map((a) => a.name))}`)
    return null
  }
  if (adapter === Adapters.benchmarkJs) {
    warnings.push("benchmark.js prints only a summary per benchmark: each process run counts as one sample")
  }
  const baselineNames = [...perProcess(parseWith(adapter, detected.run!)).keys()]

  const finish = (verdict: Comparison["verdict"], reason: string, outcomes: ReadonlyArray<Outcome>, rounds: number): Comparison => {
    const faster = outcomes.filter((o) => o.verdict === "faster").sort((a, b) => a.result.change - b.result.change)
    const slower = outcomes.filter((o) => o.verdict === "slower").sort((a, b) => b.result.change - a.result.change)
    const best = [...outcomes].sort((a, b) => a.result.change - b.result.change)
    const headline = slower[0] ?? faster[0] ?? best[0]
    return { verdict, reason, result: headline?.result ?? null, outcomes, rounds, adapter: adapter.name, warnings }
  }

  // Candidate warm-up: it must run and report what we test.
  const warmups = Math.max(1, options.warmupRounds ?? 1)
  let candidateWarm: ProcessRun | null = null
  for (let i = 0; i < warmups; i++) {
    if (i > 0) {
      const again = yield* runProcess(options.baselineDir, options, adapter, "bench:warmup:baseline")
      if (!again.ok) {
        return yield* Effect.fail(RatchetError.ioFailure(options.baselineDir, `the bench command \`${options.command}\` failed on the baseline during warm-up (${describeFailure(again)}):\n${tail(again.output)}`))
      }
    }
    candidateWarm = yield* runProcess(options.candidateDir, options, adapter, "bench:warmup:candidate")
    if (!candidateWarm.ok) {
      return finish("failed", `the bench command failed on the candidate (${describeFailure(candidateWarm)}):\n${tail(candidateWarm.output)}`, [], 0)
    }
  }
  const candidateNames = new Set(perProcess(parseWith(adapter, candidateWarm!)).keys())
  const requested = options.benchmarks && options.benchmarks.length > 0 ? options.benchmarks : baselineNames
  const tested: Array<string> = []
  for (const name of requested) {
    if (!baselineNames.includes(name)) warnings.push(`benchmark "${name}" is not reported by the baseline; skipped`)
    else if (!candidateNames.has(name)) {
      return finish("failed", `the candidate no longer reports benchmark "${name}"`, [], 0)
    } else tested.push(name)
  }
  if (tested.length === 0) {
    return finish("not-faster", `none of the requested benchmarks (${requested.join(", ")}) is reported by the bench command`, [], 0)
  }

  // Interleaved rounds with sequential looks per benchmark.
  const perBenchAlpha = alpha / tested.length
  const plan = Stats.looks(Math.max(3, minRounds), maxRounds)
  const last = plan[plan.length - 1]
  const bestP = Stats.mannWhitney(
    Array.from({ length: last }, (_, i) => i + 1),
    Array.from({ length: last }, (_, i) => last + i + 1)
  ).pValue
  if (bestP >= Stats.spending(plan, perBenchAlpha)[plan.length - 1]) {
    warnings.push(
      `maxRounds ${maxRounds} is too small to ever show a speedup for ${tested.length} benchmark(s) at alpha ${alpha}: raise maxRounds (or test fewer benchmarks)`
    )
  }
  const samples = new Map(tested.map((n) => [n, { baseline: [] as Array<number>, candidate: [] as Array<number>, look: 0 }]))
  const decided = new Map<string, Outcome>()
  const maxFailures = Math.max(2, Math.ceil(maxRounds * 0.1))
  let failures = 0
  let rounds = 0
  const toOutcome = (name: string, b: ReadonlyArray<number>, c: ReadonlyArray<number>, d: Stats.Decision, verdict: Outcome["verdict"], reason: string): Outcome => ({
    name,
    verdict,
    reason: `${name}: ${reason}`,
    result: {
      name,
      baselineMedianNs: Stats.median(b),
      candidateMedianNs: Stats.median(c),
      change: d.change,
      ciLow: d.ciLow,
      ciHigh: d.ciHigh,
      pValue: d.pValue,
      samples: d.samples,
      baselineSamplesNs: [...b],
      candidateSamplesNs: [...c]
    }
  })
  // One benchmark slower beyond noise rejects the candidate whatever the others show: stop sampling then.
  const anySlower = (): boolean => [...decided.values()].some((o) => o.verdict === "slower")
  while (decided.size < tested.length && !anySlower() && rounds < maxRounds + maxFailures) {
    const baselineFirst = rounds % 2 === 0
    const first = yield* runProcess(baselineFirst ? options.baselineDir : options.candidateDir, options, adapter, baselineFirst ? "bench:baseline" : "bench:candidate")
    const second = yield* runProcess(baselineFirst ? options.candidateDir : options.baselineDir, options, adapter, baselineFirst ? "bench:candidate" : "bench:baseline")
    rounds++
    const [base, cand] = baselineFirst ? [first, second] : [second, first]
    if (!cand.ok && base.ok) {
      return finish("failed", `the bench command failed on the candidate in round ${rounds} (${describeFailure(cand)}):\n${tail(cand.output)}`, [...decided.values()], rounds)
    }
    if (!base.ok) {
      failures++
      warnings.push(`round ${rounds}: the baseline bench run failed (${describeFailure(base)}); round skipped`)
      if (failures > maxFailures) {
        return yield* Effect.fail(RatchetError.ioFailure(options.baselineDir, `the bench command \`${options.command}\` failed on the baseline in ${failures} rounds; last output:\n${tail(base.output)}`))
      }
      continue
    }
    const b = perProcess(parseWith(adapter, base))
    const c = perProcess(parseWith(adapter, cand))
    for (const name of tested) {
      if (decided.has(name)) continue
      const s = samples.get(name)!
      const bv = b.get(name)
      const cv = c.get(name)
      if (bv === undefined || cv === undefined) {
        warnings.push(`round ${rounds}: benchmark "${name}" missing from the ${bv === undefined ? "baseline" : "candidate"} output; round skipped for it`)
        continue
      }
      s.baseline.push(bv)
      s.candidate.push(cv)
      const nextLook = plan[s.look]
      if (s.baseline.length < nextLook) continue
      s.look++
      const bs = s.baseline.slice(0, nextLook)
      const cs = s.candidate.slice(0, nextLook)
      const d = Stats.decide(bs, cs, {
        threshold,
        alpha: perBenchAlpha,
        minSamples: plan[0],
        maxSamples: maxRounds,
        seed: (options.seed ?? 1) + tested.indexOf(name)
      })
      if (d.verdict !== "continue") decided.set(name, toOutcome(name, bs, cs, d, d.verdict, d.reason))
    }
  }
  const slowerFirst = [...decided.values()].find((o) => o.verdict === "slower")
  for (const name of tested) {
    if (decided.has(name)) continue
    const s = samples.get(name)!
    if (slowerFirst !== undefined && s.baseline.length >= 2) {
      const d = Stats.decide(s.baseline, s.candidate, { threshold, alpha: perBenchAlpha, minSamples: plan[0], maxSamples: maxRounds, seed: options.seed ?? 1 })
      decided.set(name, toOutcome(name, s.baseline, s.candidate, d, "not-faster", `not decided: sampling stopped once ${slowerFirst.name} was slower beyond noise; ${d.reason}`))
      continue
    }
    if (s.baseline.length < 2) {
      warnings.push(`benchmark "${name}" collected ${s.baseline.length} sample(s); not tested`)
      continue
    }
    const d = Stats.decide(s.baseline, s.candidate, { threshold, alpha: perBenchAlpha, minSamples: plan[0], maxSamples: maxRounds, seed: options.seed ?? 1 })
    decided.set(name, toOutcome(name, s.baseline, s.candidate, d, "not-faster", `not faster beyond noise: budget spent after ${s.baseline.length} usable rounds; ${d.reason}`))
  }
  const outcomes = tested.flatMap((n) => (decided.has(n) ? [decided.get(n)!] : []))
  const slower = outcomes.filter((o) => o.verdict === "slower")
  const faster = outcomes.filter((o) => o.verdict === "faster").sort((a, b) => a.result.change - b.result.change)
  if (slower.length > 0) return finish("slower", slower.map((o) => o.reason).join("; "), outcomes, rounds)
  if (faster.length > 0) return finish("faster", faster[0].reason, outcomes, rounds)
  const best = [...outcomes].sort((a, b) => a.result.change - b.result.change)[0]
  return finish("not-faster", best ? best.reason : "no benchmark collected samples", outcomes, rounds)
})

/**
 * The headline of {@link compareAll} as a `BenchmarkResult` (with its `verdict` and `reason`), or `null` when there
 * is no benchmark to compare (no recognised output, or a candidate whose bench failed — see `verdict` in
 * {@link compareAll} for that case).
 *
 * @since 0.1.0
 */
export const compare = (
  options: CompareOptions
): Effect.Effect<
  (BenchmarkResult.BenchmarkResult & { readonly verdict: Comparison["verdict"]; readonly reason: string }) | null,
  RatchetError.RatchetError,
  Sandbox.Sandbox
> =>
  Effect.map(compareAll(options), (c) => (c === null || c.result === null ? null : { ...c.result, verdict: c.verdict, reason: c.reason }))

/**
 * What the bench command reports in `dir` (one run): benchmark names, the adapter that read them, and a warning
 * naming the command when it ran but no adapter could read its output.
 *
 * @since 0.2.0
 */
export const inspect = Effect.fn("Bench.inspect")(function* (
  dir: string,
  command: string,
  options: { readonly cwd?: string; readonly adapter?: CompareOptions["adapter"]; readonly timeoutMs?: number; readonly env?: Readonly<Record<string, string>> } = {}
) {
  const all: CompareOptions = { ...options, baselineDir: dir, candidateDir: dir, command }
  yield* validate(all)
  const { adapter, run } = yield* resolveAdapter(dir, all)
  if (adapter === null || run === null) {
    const tried = options.adapter === undefined ? adapters : Array.isArray(options.adapter) ? options.adapter : [options.adapter as Plugin.BenchmarkAdapter]
    const warning =
      run === null
        ? `the bench command \`${command}\` did not run`
        : !run.ok
          ? `the bench command \`${command}\` failed (${describeFailure(run)}): ${tail(run.output, 300)}`
          : unreadableWarning(command, run.output, tried.map((a) => a.name))
    yield* Effect.logWarning(`Ratchet: ${warning}`)
    return { names: [] as ReadonlyArray<string>, adapter: null, warning }
  }
  return { names: [...perProcess(parseWith(adapter, run)).keys()] as ReadonlyArray<string>, adapter: adapter.name, warning: null }
})

/**
 * Names of the benchmarks the command reports in `dir` (one run), or `[]` when there are none (with a logged
 * warning naming the command when its output was unreadable — see {@link inspect}).
 *
 * @since 0.1.0
 */
export const list = Effect.fn("Bench.list")(function* (
  dir: string,
  command: string,
  options: { readonly cwd?: string; readonly adapter?: CompareOptions["adapter"]; readonly timeoutMs?: number; readonly env?: Readonly<Record<string, string>> } = {}
) {
  return (yield* inspect(dir, command, options)).names
})

/**
 * Core's `BenchRunner` port backed by this module and a `Sandbox`.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<BenchRunner.BenchRunner, never, Sandbox.Sandbox> = Layer.effect(
  BenchRunner.BenchRunner,
  Effect.gen(function* () {
    const sandbox = yield* Sandbox.Sandbox
    const provide = <A, E>(effect: Effect.Effect<A, E, Sandbox.Sandbox>) => Effect.provideService(effect, Sandbox.Sandbox, sandbox)
    // a config's own adapters come first, then the built-ins (auto-detection among the built-ins otherwise)
    const adapterOf = (extra: ReadonlyArray<Plugin.BenchmarkAdapter> | undefined) =>
      extra === undefined || extra.length === 0 ? {} : { adapter: [...extra, ...adapters] }
    return {
      list: (workspace, profile, listOptions) =>
        profile.commands.bench === null
          ? Effect.succeed([])
          : provide(list(workspace.path, profile.commands.bench.command, { cwd: profile.commands.bench.cwd, ...adapterOf(listOptions?.adapters) })),
      inspect: (workspace, profile, listOptions) =>
        profile.commands.bench === null
          ? Effect.succeed({ names: [], warning: null })
          : provide(inspect(workspace.path, profile.commands.bench.command, { cwd: profile.commands.bench.cwd, ...adapterOf(listOptions?.adapters) })),
      compare: (options) => {
        const bench = options.profile.commands.bench
        if (bench === null) return Effect.succeed([])
        return provide(
          compareAll({
            baselineDir: options.baseline.path,
            candidateDir: options.candidate.path,
            command: bench.command,
            cwd: bench.cwd,
            benchmarks: options.benchmarks,
            threshold: options.threshold,
            ...(options.maxRounds !== undefined ? { maxRounds: options.maxRounds } : {}),
            ...adapterOf(options.adapters)
          })
        ).pipe(
          Effect.map((c) =>
            c === null ? [] : c.outcomes.map((o): BenchRunner.BenchComparison => ({ result: o.result, verdict: o.verdict }))
          )
        )
      }
    }
  })
)
