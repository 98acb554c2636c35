/**
 * Statistics for benchmark comparisons: medians, the relative change of medians with a
 * bootstrap confidence interval, a Mann–Whitney U test, and a sequential decision procedure
 * that stops early when the answer is clear while keeping the family-wise false-positive
 * rate across its interim looks under control.
 *
 * Every function here is pure and deterministic: the bootstrap uses a seeded PRNG.
 * The unit of a sample is whatever the caller says is independent — for benchmarks that is one
 * value per fresh process (e.g. the median of that process's iterations), never the correlated
 * iterations of one process.
 *
 * @example
 * ```ts
 * import { Stats } from "@ratchet/core"
 *
 * const d = Stats.decide(baselineNs, candidateNs, { threshold: 0.03, alpha: 0.05, maxSamples: 30 })
 * if (d.verdict === "faster") console.log(`${(d.change * 100).toFixed(1)}% [${d.ciLow}, ${d.ciHigh}] p=${d.pValue}`)
 * ```
 *
 * @since 0.1.0
 */
import { badInput } from "./RatchetError.js"

// ---------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------

/**
 * A uniform random number generator on [0, 1).
 *
 * @since 0.1.0
 */
export type Random = () => number

/**
 * A seeded, fast PRNG (xoshiro128**, seeded through splitmix32). Same seed, same stream.
 *
 * @since 0.1.0
 */
export const prng = (seed: number): Random => {
  let s = seed >>> 0
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = splitmix()
  let b = splitmix()
  let c = splitmix()
  let d = splitmix()
  if ((a | b | c | d) === 0) a = 1
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0
    const t = (b << 9) >>> 0
    c ^= a
    d ^= b
    b ^= c
    a ^= d
    c ^= t
    d = rotl(d, 11)
    return result / 4294967296
  }
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0

// ---------------------------------------------------------------------------
// Input validation
// ---------------------------------------------------------------------------

const checkSamples = (xs: ReadonlyArray<number>, what: string, minLength: number): void => {
  if (!Array.isArray(xs) && !(xs instanceof Float64Array)) {
    throw badInput({ what: `${what} is not an array of numbers`, where: "Stats", fix: "pass an array of timings in ns" })
  }
  if (xs.length < minLength) {
    throw badInput({
      what: `${what} has ${xs.length} sample(s), at least ${minLength} needed`,
      where: "Stats",
      fix: "collect more benchmark runs before comparing"
    })
  }
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]
    if (typeof x !== "number" || !Number.isFinite(x) || x <= 0) {
      throw badInput({
        what: `${what}[${i}] is ${String(x)}, not a positive finite timing`,
        where: "Stats",
        fix: "drop failed or unparsable runs before comparing (timings must be > 0 ns)"
      })
    }
  }
}

const sorted = (xs: ReadonlyArray<number>): Float64Array => Float64Array.from(xs).sort()

const medianOfSorted = (s: ArrayLike<number>): number => {
  const n = s.length
  const h = n >> 1
  return n % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2
}

/**
 * The median of a sample (mean of the two middle values for even sizes).
 * Throws a `RatchetError` (BadInput) for an empty array or a non-finite value.
 *
 * @since 0.1.0
 */
export const median = (xs: ReadonlyArray<number>): number => {
  if (xs.length === 0) {
    throw badInput({ what: "median of an empty sample", where: "Stats.median", fix: "pass at least one value" })
  }
  for (const x of xs) {
    if (!Number.isFinite(x)) {
      throw badInput({ what: `median of a sample containing ${x}`, where: "Stats.median", fix: "drop non-finite values" })
    }
  }
  return medianOfSorted(sorted(xs))
}

/**
 * Relative change of medians, `median(candidate) / median(baseline) - 1`: negative means the candidate is faster
 * (for timings). `-0.05` is 5% less time.
 *
 * @since 0.1.0
 */
export const relativeChange = (baseline: ReadonlyArray<number>, candidate: ReadonlyArray<number>): number => {
  checkSamples(baseline, "baseline", 1)
  checkSamples(candidate, "candidate", 1)
  return median(candidate) / median(baseline) - 1
}

// ---------------------------------------------------------------------------
// Bootstrap of the median, sampled exactly and fast
// ---------------------------------------------------------------------------

// The median of a bootstrap resample of n sorted values is x(J1) (odd n) or (x(J1) + x(J2)) / 2 (even n), where
// J1, J2 are the indices of the m-th and (m+1)-th order statistics of the resample. Their distribution depends
// only on n (C_j = #draws <= j is Binomial(n, j/n)), so we tabulate it once per n and draw J1, J2 directly in
// O(log n) instead of resampling n values. This is the same distribution as naive resampling (tested), only faster.

const logFactorials: Array<number> = [0]
const logFactorial = (k: number): number => {
  for (let i = logFactorials.length; i <= k; i++) logFactorials.push(logFactorials[i - 1] + Math.log(i))
  return logFactorials[k]
}

const binomPmf = (k: number, n: number, p: number): number => {
  if (k < 0 || k > n) return 0
  if (p <= 0) return k === 0 ? 1 : 0
  if (p >= 1) return k === n ? 1 : 0
  return Math.exp(logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * Math.log(p) + (n - k) * Math.log1p(-p))
}

/** P(Binomial(n, p) >= k) */
const binomUpper = (k: number, n: number, p: number): number => {
  if (k <= 0) return 1
  let s = 0
  for (let i = k; i <= n; i++) s += binomPmf(i, n, p)
  return Math.min(1, s)
}

interface MedianTable {
  /** cdf1[j] = P(J1 <= j + 1), 0-based */
  readonly cdf1: Float64Array
  /** even n: sameNext[j] = P(J2 = J1 | J1 = j + 1) */
  readonly sameNext: Float64Array | null
}

const FAST_MAX_N = 200
const tables = new Map<number, MedianTable>()

const medianTable = (n: number): MedianTable => {
  const cached = tables.get(n)
  if (cached) return cached
  const odd = n % 2 === 1
  const m = odd ? (n + 1) / 2 : n / 2
  const cdf1 = new Float64Array(n)
  for (let j = 1; j <= n; j++) cdf1[j - 1] = j === n ? 1 : binomUpper(m, n, j / n)
  let sameNext: Float64Array | null = null
  if (!odd) {
    sameNext = new Float64Array(n)
    for (let j = 1; j <= n; j++) {
      const pJ = cdf1[j - 1] - (j > 1 ? cdf1[j - 2] : 0)
      if (j === n || pJ <= 0) {
        sameNext[j - 1] = 1
        continue
      }
      // P(C_{j-1} <= m-1, C_j >= m+1) = sum_a P(C_{j-1} = a) P(Bin(n-a, 1/(n-j+1)) >= m+1-a)
      let joint = 0
      for (let a = 0; a <= m - 1; a++) {
        const pa = binomPmf(a, n, (j - 1) / n)
        if (pa === 0) continue
        joint += pa * binomUpper(m + 1 - a, n - a, 1 / (n - j + 1))
      }
      sameNext[j - 1] = Math.min(1, Math.max(0, joint / pJ))
    }
  }
  const table = { cdf1, sameNext }
  if (tables.size > 256) tables.clear()
  tables.set(n, table)
  return table
}

/**
 * Draws the median of one bootstrap resample of `s` (sorted ascending).
 * Exported for tests; prefer {@link bootstrapChanges}.
 *
 * @since 0.1.0
 */
export const bootstrapMedian = (s: ArrayLike<number>, random: Random): number => {
  const n = s.length
  if (n === 1) return s[0]
  if (n > FAST_MAX_N) return naiveBootstrapMedian(s, random)
  const { cdf1, sameNext } = medianTable(n)
  const u = random()
  let lo = 0
  let hi = n - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (cdf1[mid] >= u) hi = mid
    else lo = mid + 1
  }
  const j1 = lo // 0-based index of J1
  if (sameNext === null) return s[j1]
  if (random() < sameNext[j1]) return s[j1]
  const rest = n - (j1 + 1) // indices above J1
  const k = n - n / 2 // draws that land above J1 when C_{J1} = m
  const w = random()
  const step = Math.min(rest, Math.floor(rest * (1 - w ** (1 / k))) + 1)
  return (s[j1] + s[j1 + step]) / 2
}

/**
 * Draws the median of one bootstrap resample of `s` by resampling n values (the slow reference).
 *
 * @since 0.1.0
 */
export const naiveBootstrapMedian = (s: ArrayLike<number>, random: Random): number => {
  const n = s.length
  const counts = new Uint32Array(n)
  for (let i = 0; i < n; i++) counts[Math.floor(random() * n)]++
  const odd = n % 2 === 1
  const m = odd ? (n + 1) / 2 : n / 2
  let c = 0
  let j1 = -1
  for (let j = 0; j < n; j++) {
    c += counts[j]
    if (j1 < 0 && c >= m) {
      j1 = j
      if (odd) return s[j]
    }
    if (j1 >= 0 && c >= m + 1) return (s[j1] + s[j]) / 2
  }
  return s[n - 1]
}

/**
 * Options for the bootstrap.
 *
 * @since 0.1.0
 */
export interface BootstrapOptions {
  /** Number of bootstrap resamples. Default 2000. */
  readonly resamples?: number
  /** PRNG seed; the same seed gives the same interval. Default 1. */
  readonly seed?: number
  /**
   * Resample rounds instead of each side independently: `baseline[i]` and `candidate[i]` were measured in the same
   * interleaved round, so drift shared by a round stays paired. Needs equal lengths. Default `false`.
   */
  readonly paired?: boolean
}

/**
 * The bootstrap distribution of the relative change of medians (baseline and candidate resampled
 * independently), sorted ascending.
 *
 * @since 0.1.0
 */
export const bootstrapChanges = (
  baseline: ReadonlyArray<number>,
  candidate: ReadonlyArray<number>,
  options: BootstrapOptions = {}
): Float64Array => {
  checkSamples(baseline, "baseline", 1)
  checkSamples(candidate, "candidate", 1)
  const resamples = options.resamples ?? 2000
  if (!Number.isInteger(resamples) || resamples < 100 || resamples > 1_000_000) {
    throw badInput({
      what: `resamples is ${resamples}`,
      where: "Stats.bootstrapChanges",
      fix: "use an integer between 100 and 1000000"
    })
  }
  const random = prng(options.seed ?? 1)
  const out = new Float64Array(resamples)
  if (options.paired) {
    if (baseline.length !== candidate.length) {
      throw badInput({
        what: `paired bootstrap of ${baseline.length} baseline and ${candidate.length} candidate samples`,
        where: "Stats.bootstrapChanges",
        fix: "pass one baseline and one candidate sample per round (equal lengths)"
      })
    }
    const n = baseline.length
    const orderB = rankOrder(baseline)
    const orderC = rankOrder(candidate)
    const counts = new Uint32Array(n)
    for (let i = 0; i < resamples; i++) {
      counts.fill(0)
      for (let k = 0; k < n; k++) counts[Math.floor(random() * n)]++
      out[i] = weightedMedian(candidate, orderC, counts) / weightedMedian(baseline, orderB, counts) - 1
    }
    return out.sort()
  }
  const b = sorted(baseline)
  const c = sorted(candidate)
  for (let i = 0; i < resamples; i++) out[i] = bootstrapMedian(c, random) / bootstrapMedian(b, random) - 1
  return out.sort()
}

const rankOrder = (xs: ReadonlyArray<number>): Uint32Array =>
  Uint32Array.from(xs.keys()).sort((i, j) => xs[i] - xs[j])

/** Median of `xs` where element i appears counts[i] times (total = xs.length). */
const weightedMedian = (xs: ReadonlyArray<number>, order: Uint32Array, counts: Uint32Array): number => {
  const n = xs.length
  const odd = n % 2 === 1
  const m = odd ? (n + 1) / 2 : n / 2
  let c = 0
  let first = Number.NaN
  for (let k = 0; k < n; k++) {
    const i = order[k]
    c += counts[i]
    if (Number.isNaN(first) && c >= m) {
      first = xs[i]
      if (odd) return first
    }
    if (!Number.isNaN(first) && c >= m + 1) return (first + xs[i]) / 2
  }
  return xs[order[n - 1]]
}

/**
 * The `q`-quantile (0..1) of an ascending array, linearly interpolated.
 *
 * @since 0.1.0
 */
export const quantile = (ascending: ArrayLike<number>, q: number): number => {
  const n = ascending.length
  if (n === 0) return Number.NaN
  const pos = Math.min(1, Math.max(0, q)) * (n - 1)
  const lo = Math.floor(pos)
  const hi = Math.min(n - 1, lo + 1)
  return ascending[lo] + (ascending[hi] - ascending[lo]) * (pos - lo)
}

/**
 * A confidence interval.
 *
 * @since 0.1.0
 */
export interface Interval {
  readonly low: number
  readonly high: number
}

/**
 * Percentile-bootstrap confidence interval of the relative change of medians. Default level 0.95.
 *
 * @since 0.1.0
 */
export const bootstrapInterval = (
  baseline: ReadonlyArray<number>,
  candidate: ReadonlyArray<number>,
  options: BootstrapOptions & { readonly level?: number } = {}
): Interval => {
  const level = checkLevel(options.level ?? 0.95, "Stats.bootstrapInterval")
  const changes = bootstrapChanges(baseline, candidate, options)
  const tail = (1 - level) / 2
  return { low: quantile(changes, tail), high: quantile(changes, 1 - tail) }
}

const checkLevel = (level: number, where: string): number => {
  if (!(level > 0 && level < 1)) {
    throw badInput({ what: `confidence level ${level}`, where, fix: "use a number strictly between 0 and 1, e.g. 0.95" })
  }
  return level
}

// ---------------------------------------------------------------------------
// Mann–Whitney U
// ---------------------------------------------------------------------------

/**
 * Result of a two-sided Mann–Whitney U test.
 *
 * @since 0.1.0
 */
export interface MannWhitney {
  /** U of the first sample: the number of pairs (a, b) with a > b (ties count 1/2). */
  readonly u: number
  /** Normal approximation z (with tie and continuity correction); 0 when the exact test was used. */
  readonly z: number
  /** Two-sided p-value. */
  readonly pValue: number
  /** `true` when the exact distribution was used (no ties, n1 + n2 <= 50). */
  readonly exact: boolean
}

/**
 * Standard normal CDF (via erfc, |error| < 1.2e-7).
 *
 * @since 0.1.0
 */
export const normalCdf = (z: number): number => 0.5 * erfc(-z / Math.SQRT2)

const erfc = (x: number): number => {
  const z = Math.abs(x)
  const t = 1 / (1 + 0.5 * z)
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    )
  return x >= 0 ? r : 2 - r
}

const exactCache = new Map<string, Float64Array>()

/** Cumulative distribution of U for sizes (m, n) without ties: cdf[u] = P(U <= u). */
const exactUCdf = (m: number, n: number): Float64Array => {
  const key = m <= n ? `${m},${n}` : `${n},${m}`
  const cached = exactCache.get(key)
  if (cached) return cached
  const a = Math.min(m, n)
  const b = Math.max(m, n)
  // Gaussian binomial coefficient [a+b choose a]_q = prod_{i=1..a} (1 - q^{b+i}) / (1 - q^i); coefficient k counts
  // the arrangements with U = k.
  const deg = a * b
  let poly = new Float64Array(deg + 1)
  poly[0] = 1
  for (let i = 1; i <= a; i++) {
    const next = new Float64Array(deg + 1)
    for (let k = 0; k <= deg; k++) next[k] = poly[k] - (k >= b + i ? poly[k - b - i] : 0)
    for (let k = i; k <= deg; k++) next[k] += next[k - i]
    poly = next
  }
  let total = 0
  for (let k = 0; k <= deg; k++) total += poly[k]
  const cdf = new Float64Array(deg + 1)
  let acc = 0
  for (let k = 0; k <= deg; k++) {
    acc += poly[k]
    cdf[k] = acc / total
  }
  if (exactCache.size > 512) exactCache.clear()
  exactCache.set(key, cdf)
  return cdf
}

/**
 * Two-sided Mann–Whitney U test (Wilcoxon rank-sum) of `a` against `b`. Exact when there are no ties and the total
 * size is at most 50; otherwise the normal approximation with tie correction and continuity correction.
 *
 * @since 0.1.0
 */
export const mannWhitney = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): MannWhitney => {
  checkFinite(a, "first sample")
  checkFinite(b, "second sample")
  const n1 = a.length
  const n2 = b.length
  const all = new Array<{ v: number; g: 0 | 1 }>(n1 + n2)
  for (let i = 0; i < n1; i++) all[i] = { v: a[i], g: 0 }
  for (let i = 0; i < n2; i++) all[n1 + i] = { v: b[i], g: 1 }
  all.sort((x, y) => x.v - y.v)
  const n = n1 + n2
  let rankSumA = 0
  let tieTerm = 0
  let ties = false
  for (let i = 0; i < n; ) {
    let j = i
    while (j + 1 < n && all[j + 1].v === all[i].v) j++
    const t = j - i + 1
    const avgRank = (i + j) / 2 + 1
    if (t > 1) {
      ties = true
      tieTerm += t * t * t - t
    }
    for (let k = i; k <= j; k++) if (all[k].g === 0) rankSumA += avgRank
    i = j + 1
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2
  if (!ties && n <= 50) {
    const cdf = exactUCdf(n1, n2)
    const lower = cdf[Math.round(u)]
    const upper = 1 - (u >= 1 ? cdf[Math.round(u) - 1] : 0)
    return { u, z: 0, pValue: Math.min(1, 2 * Math.min(lower, upper)), exact: true }
  }
  const mean = (n1 * n2) / 2
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)))
  if (variance <= 0) return { u, z: 0, pValue: 1, exact: false }
  const diff = u - mean
  const corrected = Math.max(0, Math.abs(diff) - 0.5)
  const z = (Math.sign(diff) * corrected) / Math.sqrt(variance)
  return { u, z, pValue: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))), exact: false }
}

const checkFinite = (xs: ReadonlyArray<number>, what: string): void => {
  if (xs.length === 0) {
    throw badInput({ what: `${what} is empty`, where: "Stats.mannWhitney", fix: "pass at least one value per sample" })
  }
  for (let i = 0; i < xs.length; i++) {
    if (typeof xs[i] !== "number" || !Number.isFinite(xs[i])) {
      throw badInput({ what: `${what}[${i}] is ${String(xs[i])}`, where: "Stats.mannWhitney", fix: "drop non-finite values" })
    }
  }
}

// ---------------------------------------------------------------------------
// Sequential decision
// ---------------------------------------------------------------------------

/**
 * Options of the sequential decision.
 *
 * @since 0.1.0
 */
export interface DecideOptions {
  /** Smallest relative speedup worth accepting. Default 0.03 (3% less time). */
  readonly threshold?: number
  /** Family-wise false-positive budget over all looks. Default 0.05. */
  readonly alpha?: number
  /** Samples per side at the first look. Default 6. */
  readonly minSamples?: number
  /** Samples per side at the last look (the budget). Default 30. */
  readonly maxSamples?: number
  /** Bootstrap resamples. Default 2000. */
  readonly resamples?: number
  /** Bootstrap seed. Default 1. */
  readonly seed?: number
}

/**
 * A decision at one point of a sequential comparison.
 *
 * - `faster`: the candidate is faster by more than the threshold, beyond noise; stop.
 * - `slower`: the mirror image of `faster` — slower by more than the threshold, beyond noise; stop.
 * - `not-faster`: the data rule out a threshold-sized speedup, or the budget is spent; stop.
 * - `continue`: collect more samples (not at a planned look yet, or not clear yet).
 *
 * `change`/`ciLow`/`ciHigh` are the relative change of medians and its bootstrap 95% interval; `pValue` is the raw
 * two-sided Mann–Whitney p. The decision itself uses the stricter per-look level `lookAlpha`.
 *
 * @since 0.1.0
 */
export interface Decision {
  readonly verdict: "faster" | "slower" | "not-faster" | "continue"
  readonly change: number
  readonly ciLow: number
  readonly ciHigh: number
  readonly pValue: number
  /** Samples per side used (the smaller of the two). */
  readonly samples: number
  /** 1-based index of the planned look, or 0 when `samples` is not a planned look. */
  readonly look: number
  readonly looks: ReadonlyArray<number>
  /** The two-sided level spent at this look (0 when not a look). */
  readonly lookAlpha: number
  /** The interval at level 1 - lookAlpha used for the decision (NaN when not a look). */
  readonly decisionLow: number
  readonly decisionHigh: number
  /** One sentence a person can read. */
  readonly reason: string
}

/**
 * The planned looks between `minSamples` and `maxSamples` (samples per side): a geometric schedule
 * (ratio ≈ 1.5) that always ends at `maxSamples`.
 *
 * @since 0.1.0
 */
export const looks = (minSamples: number, maxSamples: number): ReadonlyArray<number> => {
  if (!Number.isInteger(minSamples) || minSamples < 3) {
    throw badInput({ what: `minSamples is ${minSamples}`, where: "Stats.looks", fix: "use an integer >= 3" })
  }
  if (!Number.isInteger(maxSamples) || maxSamples < minSamples || maxSamples > 100_000) {
    throw badInput({
      what: `maxSamples is ${maxSamples} (minSamples ${minSamples})`,
      where: "Stats.looks",
      fix: "use an integer between minSamples and 100000"
    })
  }
  const out: Array<number> = []
  let n = minSamples
  while (n < maxSamples) {
    out.push(n)
    n = Math.max(n + 1, Math.round(n * 1.5))
  }
  // merge a last look that would be too close to the budget
  if (out.length > 0 && maxSamples - out[out.length - 1] < Math.max(2, out[out.length - 1] * 0.25)) out.pop()
  out.push(maxSamples)
  return out
}

/**
 * The two-sided level spent at each look (alpha spending): the first look gets just enough to stop on a clear
 * result (2.5× the smallest exact Mann–Whitney p at its size, at most alpha / 4); the rest is split in proportion to
 * n^1.5 (n samples per side), so later looks, where the test has most power, get more. The levels sum to alpha, so by the union bound the chance of a false
 * "faster" at any look is at most alpha whatever the correlation between looks.
 *
 * @since 0.1.0
 */
export const spending = (plan: ReadonlyArray<number>, alpha: number): ReadonlyArray<number> => {
  if (plan.length === 1) return [alpha]
  // The first look gets just enough to be able to stop (an exact Mann–Whitney p of 2.5× its smallest possible value,
  // i.e. at most one out-of-order pair), capped at alpha / 4; the rest is split in proportion to n^1.5.
  const first = Math.min(alpha / 4, 2.5 * minimumExactP(plan[0], plan[0]))
  const rest = plan.slice(1)
  const total = rest.reduce((s, n) => s + n ** 1.5, 0)
  return [first, ...rest.map((n) => ((alpha - first) * n ** 1.5) / total)]
}

/** The smallest two-sided exact Mann–Whitney p-value for sizes m, n: 2 / C(m + n, m). */
const minimumExactP = (m: number, n: number): number =>
  Math.min(1, 2 * Math.exp(logFactorial(m) + logFactorial(n) - logFactorial(m + n)))

/**
 * Sequential decision for a baseline-vs-candidate comparison of timings (lower is better).
 *
 * Call it whenever a new pair of samples arrives: between planned looks it answers `continue`. At a look it accepts
 * (`faster`) only when the whole interval at the look's level lies below `-threshold` **and** the Mann–Whitney p is
 * below the look's level (both are stricter than the 95% interval / p < 0.05 they imply); `slower` is the mirror
 * image above `+threshold`; it stops for futility
 * (`not-faster`) when that interval's lower end is above `-threshold`; at the budget anything not accepted is
 * `not-faster`. Throws a `RatchetError` (BadInput) on invalid samples or options.
 *
 * @since 0.1.0
 */
export const decide = (
  baseline: ReadonlyArray<number>,
  candidate: ReadonlyArray<number>,
  options: DecideOptions = {}
): Decision => {
  const threshold = options.threshold ?? 0.03
  const alpha = options.alpha ?? 0.05
  if (!(threshold >= 0 && threshold < 1)) {
    throw badInput({ what: `threshold is ${threshold}`, where: "Stats.decide", fix: "use a fraction in [0, 1), e.g. 0.03" })
  }
  if (!(alpha > 0 && alpha < 0.5)) {
    throw badInput({ what: `alpha is ${alpha}`, where: "Stats.decide", fix: "use a level in (0, 0.5), e.g. 0.05" })
  }
  const plan = looks(options.minSamples ?? 6, options.maxSamples ?? 30)
  checkSamples(baseline, "baseline", 1)
  checkSamples(candidate, "candidate", 1)
  const n = Math.min(baseline.length, candidate.length)
  // Use the first n of each side so the two stay paired in time (interleaved rounds).
  const b = baseline.length === n ? baseline : baseline.slice(0, n)
  const c = candidate.length === n ? candidate : candidate.slice(0, n)
  const change = median(c) / median(b) - 1
  const mw = mannWhitney(c, b)
  const lookIndex = plan.indexOf(n)
  const isLast = n >= plan[plan.length - 1]
  const look = lookIndex >= 0 ? lookIndex + 1 : isLast ? plan.length : 0
  const bootstrap = (): Float64Array =>
    bootstrapChanges(b, c, { resamples: options.resamples ?? 2000, seed: options.seed ?? 1, paired: true })
  if (look === 0) {
    const changes = n >= 2 ? bootstrap() : null
    return {
      verdict: "continue",
      change,
      ciLow: changes ? quantile(changes, 0.025) : Number.NaN,
      ciHigh: changes ? quantile(changes, 0.975) : Number.NaN,
      pValue: mw.pValue,
      samples: n,
      look: 0,
      looks: plan,
      lookAlpha: 0,
      decisionLow: Number.NaN,
      decisionHigh: Number.NaN,
      reason: n < plan[0] ? `collecting samples (${n}/${plan[0]} before the first look)` : `collecting samples (${n}, next look at ${plan.find((x) => x > n)})`
    }
  }
  const lookAlpha = spending(plan, alpha)[look - 1]
  const changes = bootstrap()
  const ciLow = quantile(changes, 0.025)
  const ciHigh = quantile(changes, 0.975)
  const decisionLow = quantile(changes, lookAlpha / 2)
  const decisionHigh = quantile(changes, 1 - lookAlpha / 2)
  const base = { change, ciLow, ciHigh, pValue: mw.pValue, samples: n, look, looks: plan, lookAlpha, decisionLow, decisionHigh }
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`
  const summary = `change ${pct(change)} (95% CI ${pct(ciLow)} to ${pct(ciHigh)}), p = ${mw.pValue.toPrecision(2)}, ${n} samples per side`
  if (decisionHigh < -threshold && mw.pValue < lookAlpha && change < 0) {
    return { ...base, verdict: "faster", reason: `faster beyond noise: ${summary}` }
  }
  if (decisionLow > threshold && mw.pValue < lookAlpha && change > 0) {
    return { ...base, verdict: "slower", reason: `slower beyond noise: ${summary}` }
  }
  if (decisionLow > -threshold) {
    return {
      ...base,
      verdict: "not-faster",
      reason: `not faster beyond noise: a ${pct(threshold)} speedup is ruled out; ${summary}`
    }
  }
  if (isLast) {
    return { ...base, verdict: "not-faster", reason: `not faster beyond noise: budget spent without a clear answer; ${summary}` }
  }
  return { ...base, verdict: "continue", reason: `not clear yet at look ${look}/${plan.length}: ${summary}` }
}
