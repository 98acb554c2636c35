/**
 * `npm run bench:stats` — simulation study of Ratchet's benchmark statistics (packages/core/src/Stats.ts).
 *
 * Each trial is one baseline-vs-candidate comparison as `Bench.compare` runs it: interleaved rounds (A B, then B A,
 * …), one sample per fresh process, `Stats.decide` called at its planned looks until it stops. The per-process noise
 * is log-normal, with bimodal GC/JIT-like slow processes and a slow drift shared by both sides.
 *
 * It prints the A/A false-positive rate (target ≤ 1%), the power for true 5% and 10% speedups (targets ≥ 90% and
 * ≥ 99%), and the mean samples used against a fixed-sample design with the same power (target: fewer), with the
 * time per decision measured against a plain sort of the same data in the same run.
 *
 * Options: --trials N (A/A and power trials per scenario, default 2000), --seed S.
 */
import { registerHooks } from "node:module"

// Node runs the TypeScript sources directly; map their NodeNext ".js" specifiers to the ".ts" files.
registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context)
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && specifier.endsWith(".js")) {
        return next(`${specifier.slice(0, -3)}.ts`, context)
      }
      throw error
    }
  }
})

const Stats = (await import("../packages/core/src/Stats.ts")) as typeof import("../packages/core/src/Stats.ts")

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const TRIALS = arg("trials", 2000)
const SEED = arg("seed", 7)
const THRESHOLD = 0.03
const ALPHA = 0.05
const MIN_SAMPLES = arg("min", 6)
const MAX_SAMPLES = arg("max", 80)

/** The noise model (per fresh process). */
const NOISE = {
  sigma: 0.02, // log-normal spread of a process's median timing
  slowProcessProbability: 0.1, // bimodal: some processes land in a slow mode (GC / JIT tiering)
  slowProcessPenalty: 0.1, // … and are this much slower
  driftAmplitude: 0.03, // slow drift shared by both sides (thermal, frequency scaling, neighbours)
  driftPeriod: 120 // processes per drift cycle
}

const gaussian = (random: () => number): number => {
  let u = 0
  while (u === 0) u = random()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
}

/** One simulated comparison source: draws (baseline, candidate) pairs in interleaved order. */
const source = (effect: number, random: () => number) => {
  const phase = random() * 2 * Math.PI
  const slope = (random() - 0.5) * 0.0004
  let t = 0
  const one = (factor: number): number => {
    const drift = 1 + NOISE.driftAmplitude * Math.sin((2 * Math.PI * t) / NOISE.driftPeriod + phase) + slope * t
    t++
    const slow = random() < NOISE.slowProcessProbability ? 1 + NOISE.slowProcessPenalty : 1
    return 1_000_000 * factor * Math.exp(NOISE.sigma * gaussian(random)) * slow * drift
  }
  let round = 0
  return (): [number, number] => {
    const abFirst = round++ % 2 === 0
    if (abFirst) {
      const a = one(1)
      return [a, one(1 + effect)]
    }
    const b = one(1 + effect)
    return [one(1), b]
  }
}

interface Outcome {
  readonly accepted: boolean
  readonly samples: number
}

const sequentialTrial = (effect: number, random: () => number, threshold: number, seed: number): Outcome => {
  const next = source(effect, random)
  const a: Array<number> = []
  const b: Array<number> = []
  for (const look of Stats.looks(MIN_SAMPLES, MAX_SAMPLES)) {
    while (a.length < look) {
      const [x, y] = next()
      a.push(x)
      b.push(y)
    }
    const d = Stats.decide(a, b, { threshold, alpha: ALPHA, minSamples: MIN_SAMPLES, maxSamples: MAX_SAMPLES, seed })
    if (d.verdict !== "continue") return { accepted: d.verdict === "faster", samples: a.length }
  }
  throw new Error("decide never stopped")
}

/** The fixed-sample design: one look at n samples per side, 95% interval beyond the threshold and p < 0.05. */
const fixedTrial = (effect: number, random: () => number, n: number, seed: number): boolean => {
  const next = source(effect, random)
  const a: Array<number> = []
  const b: Array<number> = []
  while (a.length < n) {
    const [x, y] = next()
    a.push(x)
    b.push(y)
  }
  const ci = Stats.bootstrapInterval(a, b, { seed, paired: true })
  return ci.high < -THRESHOLD && Stats.mannWhitney(b, a).pValue < ALPHA && Stats.median(b) < Stats.median(a)
}

const run = (label: string, effect: number, trials: number, threshold = THRESHOLD) => {
  const random = Stats.prng(SEED * 1_000 + Math.round(effect * 1000) + Math.round(threshold * 100_000))
  let accepted = 0
  let samples = 0
  for (let i = 0; i < trials; i++) {
    const o = sequentialTrial(effect, random, threshold, i + 1)
    if (o.accepted) accepted++
    samples += o.samples
  }
  const rate = accepted / trials
  const se = Math.sqrt(Math.max(rate * (1 - rate), 1 / trials) / trials)
  return { label, effect, rate, se, meanSamples: samples / trials, trials }
}

const pct = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)}%`
const started = performance.now()
console.log(
  `bench:stats — up to ${TRIALS} trials per scenario (see table), threshold ${pct(THRESHOLD, 0)}, alpha ${ALPHA}, looks ${Stats.looks(MIN_SAMPLES, MAX_SAMPLES).join(", ")} samples per side`
)
console.log(
  `noise: log-normal sigma ${NOISE.sigma}, ${pct(NOISE.slowProcessProbability, 0)} slow processes (+${pct(NOISE.slowProcessPenalty, 0)}), drift ±${pct(NOISE.driftAmplitude, 0)} (period ${NOISE.driftPeriod} processes) + random linear drift; interleaved ABBA rounds`
)

const aa = run("A/A (no change)", 0, TRIALS)
const aaStrict = run("A/A, threshold 0 (machinery stress)", 0, Math.round(TRIALS / 5), 0)
const boundary = run("true 3% speedup (at the threshold)", -0.03, Math.round(TRIALS / 5))
const p5 = run("true 5% speedup", -0.05, Math.round(TRIALS / 2))
const p10 = run("true 10% speedup", -0.1, Math.round(TRIALS / 2))
const slower = run("true 5% slowdown", 0.05, Math.round(TRIALS / 5))

// Fixed-sample design with the same power at 5%: the smallest n whose power reaches the sequential power.
const fixedPower = (n: number, trials: number): number => {
  const random = Stats.prng(SEED * 31 + n)
  let ok = 0
  for (let i = 0; i < trials; i++) if (fixedTrial(-0.05, random, n, i + 1)) ok++
  return ok / trials
}
const fixedTrials = Math.max(200, Math.round(TRIALS / 6))
let lo = MIN_SAMPLES
let hi = MAX_SAMPLES * 2
while (fixedPower(hi, fixedTrials) < p5.rate && hi < 1000) hi *= 2
while (lo < hi) {
  const mid = (lo + hi) >> 1
  if (fixedPower(mid, fixedTrials) >= p5.rate) hi = mid
  else lo = mid + 1
}
const fixedN = lo
const fixedPowerAtN = fixedPower(fixedN, fixedTrials)
const sequentialMean = (aa.meanSamples + p5.meanSamples + p10.meanSamples) / 3

console.log("")
console.log("scenario                                   trials   accepted   ± 1 s.e.   mean samples/side")
for (const r of [aa, aaStrict, boundary, p5, p10, slower]) {
  console.log(
    `${r.label.padEnd(42)} ${String(r.trials).padStart(6)}   ${pct(r.rate, 2).padStart(8)}   ${pct(r.se, 2).padStart(8)}   ${r.meanSamples.toFixed(1).padStart(10)}`
  )
}
console.log("")
const check = (ok: boolean): string => (ok ? "PASS" : "FAIL")
console.log(`A/A false-positive rate: ${pct(aa.rate, 2)} (target ≤ 1%) ${check(aa.rate <= 0.01)}`)
console.log(`power, true 5% speedup:  ${pct(p5.rate, 1)} (target ≥ 90%) ${check(p5.rate >= 0.9)}`)
console.log(`power, true 10% speedup: ${pct(p10.rate, 1)} (target ≥ 99%) ${check(p10.rate >= 0.99)}`)
console.log(
  `mean samples per side (A/A, 5%, 10% averaged): sequential ${sequentialMean.toFixed(1)} vs fixed-sample design ${fixedN} with the same power (fixed power ${pct(fixedPowerAtN, 1)} at 5%, ${fixedTrials} trials per n): ratio ${(sequentialMean / fixedN).toFixed(2)} ${check(sequentialMean < fixedN)}`
)

// Cost of one decision at the budget, against sorting the same samples (reference measured in this run).
{
  const random = Stats.prng(99)
  const a = Array.from({ length: MAX_SAMPLES }, () => 1e6 * (1 + random()))
  const b = Array.from({ length: MAX_SAMPLES }, () => 1e6 * (1 + random()))
  const reps = 200
  let t0 = performance.now()
  for (let i = 0; i < reps; i++) Stats.decide(a, b, { minSamples: MIN_SAMPLES, maxSamples: MAX_SAMPLES, seed: i + 1 })
  const decideMs = (performance.now() - t0) / reps
  t0 = performance.now()
  let sink = 0
  for (let i = 0; i < reps * 100; i++) sink += Float64Array.from(a).sort()[0]
  const sortMs = (performance.now() - t0) / (reps * 100)
  console.log(
    `one decision at ${MAX_SAMPLES} samples/side (2000 bootstrap resamples): ${decideMs.toFixed(2)} ms; reference (sort ${MAX_SAMPLES} values): ${(sortMs * 1000).toFixed(2)} µs; ratio ${(decideMs / sortMs).toFixed(0)}× ${sink > 0 ? "" : ""}`
  )
}
console.log(`simulation took ${((performance.now() - started) / 1000).toFixed(1)} s`)
