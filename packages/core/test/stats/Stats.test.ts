import { describe, expect, it } from "@effect/vitest"
import { RatchetError, Stats } from "@ratchet/core"
import * as fc from "fast-check"

/** Seeded log-normal timings around `center` ns with relative spread `sigma`. */
const timings = (n: number, center: number, sigma: number, seed: number): Array<number> => {
  const random = Stats.prng(seed)
  return Array.from({ length: n }, () => {
    const u = 1 - random()
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
    return center * Math.exp(sigma * z)
  })
}

const badInputMessage = (f: () => unknown): string => {
  try {
    f()
  } catch (error) {
    expect(error).toBeInstanceOf(RatchetError.RatchetError)
    const e = error as RatchetError.RatchetError
    expect(e.reason._tag).toBe("BadInput")
    return e.message
  }
  throw new Error("expected a BadInput error")
}

describe("Stats basics", () => {
  it("median of odd and even samples", () => {
    expect(Stats.median([3, 1, 2])).toBe(2)
    expect(Stats.median([4, 1, 3, 2])).toBe(2.5)
    expect(Stats.median([7])).toBe(7)
  })

  it("rejects empty and non-finite samples with a specific message", () => {
    expect(badInputMessage(() => Stats.median([]))).toMatch(/empty/)
    expect(badInputMessage(() => Stats.median([1, Number.NaN]))).toMatch(/NaN/)
    expect(badInputMessage(() => Stats.relativeChange([1, 2], [1, -3]))).toMatch(/candidate\[1\] is -3/)
    expect(badInputMessage(() => Stats.decide([1, 2, 3], [1, 2, 3], { threshold: 2 }))).toMatch(/threshold is 2/)
    expect(badInputMessage(() => Stats.decide([1, 2, 3], [1, 2, 3], { minSamples: 10, maxSamples: 5 }))).toMatch(/maxSamples is 5/)
    expect(badInputMessage(() => Stats.bootstrapChanges([1, 2], [1, 2, 3], { paired: true }))).toMatch(/equal lengths/)
  })

  it("relative change of medians is negative when the candidate takes less time", () => {
    expect(Stats.relativeChange([100, 100, 100], [90, 90, 95])).toBeCloseTo(-0.1, 12)
    expect(Stats.relativeChange([100, 200], [150, 150])).toBe(0)
  })

  it("the PRNG is seeded and uniform-looking", () => {
    const a = Stats.prng(42)
    const b = Stats.prng(42)
    const xs = Array.from({ length: 10_000 }, () => a())
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()))
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...xs)).toBeLessThan(1)
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1)
  })
})

describe("bootstrap", () => {
  it("the fast median sampler draws from the same distribution as naive resampling", () => {
    for (const n of [5, 8, 13, 24]) {
      const s = Float64Array.from({ length: n }, (_, i) => (i + 1) ** 2)
      const fast = Stats.prng(1)
      const slow = Stats.prng(2)
      const N = 40_000
      const a = new Float64Array(N)
      const b = new Float64Array(N)
      for (let i = 0; i < N; i++) {
        a[i] = Stats.bootstrapMedian(s, fast)
        b[i] = Stats.naiveBootstrapMedian(s, slow)
      }
      a.sort()
      b.sort()
      const range = s[n - 1] - s[0]
      for (const q of [0.05, 0.25, 0.5, 0.75, 0.95]) {
        // quantiles of a discrete distribution: equal up to a neighbouring support point
        expect(Math.abs(Stats.quantile(a, q) - Stats.quantile(b, q))).toBeLessThanOrEqual(range / 4)
      }
      const mean = (x: Float64Array) => x.reduce((t, v) => t + v, 0) / x.length
      expect(Math.abs(mean(a) - mean(b)) / range).toBeLessThan(0.01)
    }
  })

  it("is reproducible for a seed and covers the true change", () => {
    const base = timings(40, 1000, 0.03, 1)
    const cand = timings(40, 900, 0.03, 2)
    const one = Stats.bootstrapInterval(base, cand, { seed: 7 })
    expect(Stats.bootstrapInterval(base, cand, { seed: 7 })).toEqual(one)
    expect(Stats.bootstrapInterval(base, cand, { seed: 8 })).not.toEqual(one)
    expect(one.low).toBeLessThan(-0.1 + 0.03)
    expect(one.high).toBeGreaterThan(-0.1 - 0.03)
    expect(one.low).toBeLessThan(one.high)
    const paired = Stats.bootstrapInterval(base, cand, { seed: 7, paired: true, level: 0.99 })
    expect(paired.low).toBeLessThan(-0.1)
    expect(paired.high).toBeLessThan(0)
  })

  it("paired resampling keeps drift shared by a round out of the interval", () => {
    // Each round has a strong common drift; the candidate is 5% faster within every round.
    const drift = timings(30, 1, 0.2, 3)
    const noise = timings(30, 1, 0.005, 4)
    const base = drift.map((d) => 1000 * d)
    const cand = drift.map((d, i) => 950 * d * noise[i])
    const unpaired = Stats.bootstrapInterval(base, cand, { seed: 1 })
    const paired = Stats.bootstrapInterval(base, cand, { seed: 1, paired: true })
    expect(paired.high - paired.low).toBeLessThan((unpaired.high - unpaired.low) / 3)
    expect(paired.high).toBeLessThan(-0.03)
  })
})

describe("Mann–Whitney U", () => {
  it("exact p-values match the tables", () => {
    expect(Stats.mannWhitney([1, 2, 3], [4, 5, 6])).toEqual({ u: 0, z: 0, pValue: 0.1, exact: true })
    expect(Stats.mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).pValue).toBeCloseTo(2 / 252, 12)
    // 3 × 4 with U = 2 (3 > 2, 4 > 2): P(U <= 2) = (1 + 1 + 2) / 35, two-sided 8/35
    expect(Stats.mannWhitney([1, 3, 4], [2, 5, 6, 7]).u).toBe(2)
    expect(Stats.mannWhitney([1, 3, 4], [2, 5, 6, 7]).pValue).toBeCloseTo(8 / 35, 12)
    expect(Stats.mannWhitney([1, 4, 5, 8], [2, 3, 6, 7]).pValue).toBe(1)
  })

  it("uses the tie-corrected normal approximation with ties", () => {
    const r = Stats.mannWhitney([1, 2, 2, 3, 5], [2, 4, 6, 7, 8])
    expect(r.exact).toBe(false)
    expect(r.u).toBe(4)
    // z = -(12.5 - 4 - 0.5) / sqrt(25/12 * (11 - 24/90))
    expect(r.z).toBeCloseTo(-8 / Math.sqrt((25 / 12) * (11 - 24 / 90)), 9)
    expect(r.pValue).toBeCloseTo(0.0907, 3)
  })

  it("exact and approximate p-values agree for moderate samples, and the test is symmetric", () => {
    for (const seed of [11, 21, 31]) {
      const a = timings(20, 1000, 0.05, seed)
      const b = timings(20, 1040, 0.05, seed + 1)
      const exact = Stats.mannWhitney(a, b)
      expect(exact.exact).toBe(true)
      const z = (Math.abs(exact.u - 200) - 0.5) / Math.sqrt((400 * 41) / 12)
      expect(Math.abs(exact.pValue - 2 * (1 - Stats.normalCdf(z)))).toBeLessThan(0.01)
      expect(Stats.mannWhitney(b, a).pValue).toBeCloseTo(exact.pValue, 12)
      expect(Stats.mannWhitney(b, a).u + exact.u).toBe(400)
    }
    // larger samples use the approximation
    expect(Stats.mannWhitney(timings(30, 1000, 0.05, 1), timings(30, 1000, 0.05, 2)).exact).toBe(false)
  })
})

describe("decide", () => {
  const options = { threshold: 0.03, alpha: 0.05, minSamples: 6, maxSamples: 30 }

  it("plans geometric looks ending at the budget and spends exactly alpha", () => {
    expect(Stats.looks(6, 30)).toEqual([6, 9, 14, 21, 30])
    expect(Stats.looks(4, 4)).toEqual([4])
    const spent = Stats.spending(Stats.looks(6, 80), 0.05)
    expect(spent.reduce((s, a) => s + a, 0)).toBeCloseTo(0.05, 12)
    expect(spent[spent.length - 1]).toBeGreaterThan(spent[0])
  })

  it("stops early for a clear win", () => {
    const d = Stats.decide(timings(6, 1000, 0.01, 1), timings(6, 800, 0.01, 2), options)
    expect(d.verdict).toBe("faster")
    expect(d.look).toBe(1)
    expect(d.change).toBeLessThan(-0.15)
    expect(d.ciHigh).toBeLessThan(-0.03)
    expect(d.pValue).toBeLessThan(0.05)
    expect(d.reason).toMatch(/^faster beyond noise/)
  })

  it("stops early for clear futility and for a clear slowdown", () => {
    const same = Stats.decide(timings(9, 1000, 0.005, 3), timings(9, 1000, 0.005, 4), options)
    expect(same.verdict).toBe("not-faster")
    expect(same.reason).toMatch(/not faster beyond noise: a 3.0% speedup is ruled out/)
    const slower = Stats.decide(timings(6, 1000, 0.01, 5), timings(6, 1300, 0.01, 6), options)
    expect(slower.verdict).toBe("slower")
  })

  it("says continue between looks and when unclear, and not-faster at the budget", () => {
    expect(Stats.decide(timings(7, 1000, 0.01, 1), timings(7, 800, 0.01, 2), options).verdict).toBe("continue")
    const noisy = Stats.decide(timings(6, 1000, 0.1, 7), timings(6, 950, 0.1, 8), options)
    expect(noisy.verdict).toBe("continue")
    expect(noisy.look).toBe(1)
    const budget = Stats.decide(timings(30, 1000, 0.1, 9), timings(30, 960, 0.1, 10), options)
    expect(budget.verdict).toBe("not-faster")
    expect(budget.look).toBe(5)
  })

  it("never accepts a change smaller than the threshold, however precise", () => {
    // A true 1% speedup with tiny noise: significant, but below the 3% threshold.
    const d = Stats.decide(timings(30, 1000, 0.001, 11), timings(30, 990, 0.001, 12), options)
    expect(d.pValue).toBeLessThan(0.001)
    expect(d.verdict).toBe("not-faster")
  })

  it("A/A comparisons almost never win (seeded, 300 sequential trials at threshold 0)", () => {
    let wins = 0
    for (let t = 0; t < 300; t++) {
      const base = timings(30, 1000, 0.05, 1000 + t)
      const cand = timings(30, 1000, 0.05, 5000 + t)
      for (const n of Stats.looks(6, 30)) {
        const d = Stats.decide(base.slice(0, n), cand.slice(0, n), { ...options, threshold: 0, resamples: 1000, seed: t })
        if (d.verdict === "faster") wins++
        if (d.verdict !== "continue") break
      }
    }
    expect(wins).toBeLessThanOrEqual(6)
  })

  it("identical samples are never faster (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1, max: 1e9, noNaN: true }), { minLength: 6, maxLength: 40 }), (xs) => {
        const d = Stats.decide(xs, xs, { ...options, maxSamples: Math.max(6, xs.length), resamples: 200 })
        return d.verdict !== "faster" && d.verdict !== "slower" && d.change === 0
      }),
      { numRuns: 60, seed: 42 }
    )
  })
})
