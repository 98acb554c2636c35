/** @jsxImportSource hono/jsx */
/**
 * The benchmark chart, drawn on the server as SVG (no chart library in the browser, no CDN):
 * every timing sample before and after the change as a dot over its box plot (quartiles,
 * median, whiskers to the furthest sample within 1.5 IQR), and the relative change of the median
 * with its bootstrap 95% confidence interval against zero and the acceptance threshold.
 * Colours come from the stylesheet through classes, so the page's CSP allows no inline styles.
 *
 * @internal
 */
import type { Child } from "hono/jsx"

/** What the chart reads from a proposal's `benchmark`. */
export interface Benchmark {
  readonly name: string
  readonly baselineMedianNs: number
  readonly candidateMedianNs: number
  readonly change: number
  readonly ciLow: number
  readonly ciHigh: number
  readonly pValue: number
  readonly samples: number
  readonly baselineSamplesNs?: ReadonlyArray<number> | undefined
  readonly candidateSamplesNs?: ReadonlyArray<number> | undefined
}

/** A duration in nanoseconds, with a unit a person reads at a glance. */
export const formatNs = (ns: number): string => {
  const abs = Math.abs(ns)
  const fmt = (v: number, unit: string) => `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${unit}`
  if (abs < 1e3) return fmt(ns, "ns")
  if (abs < 1e6) return fmt(ns / 1e3, "µs")
  if (abs < 1e9) return fmt(ns / 1e6, "ms")
  return fmt(ns / 1e9, "s")
}

/** A relative change as a signed percentage (−12.3%). */
export const formatChange = (change: number): string => {
  const pct = Math.abs(change * 100).toFixed(1)
  return pct === "0.0" ? "0%" : `${change < 0 ? "−" : "+"}${pct}%`
}

/** A p-value as people write it. */
export const formatP = (p: number): string => (p < 0.0001 ? "p < 0.0001" : `p = ${p < 0.01 ? p.toFixed(4) : p.toFixed(3)}`)

const quantile = (sorted: ReadonlyArray<number>, q: number): number => {
  if (sorted.length === 0) return Number.NaN
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}

/** Round tick values covering [min, max]. */
const ticks = (min: number, max: number, count: number): ReadonlyArray<number> => {
  if (!(max > min)) return [min]
  const raw = (max - min) / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag
  const out: Array<number> = []
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)))
  return out
}

interface Box {
  readonly q1: number
  readonly median: number
  readonly q3: number
  readonly lo: number
  readonly hi: number
}

const boxOf = (samples: ReadonlyArray<number>): Box => {
  const s = [...samples].sort((a, b) => a - b)
  const q1 = quantile(s, 0.25)
  const q3 = quantile(s, 0.75)
  const iqr = q3 - q1
  const lo = s.find((v) => v >= q1 - 1.5 * iqr) ?? s[0]
  const hi = [...s].reverse().find((v) => v <= q3 + 1.5 * iqr) ?? s[s.length - 1]
  return { q1, median: quantile(s, 0.5), q3, lo, hi }
}

/**
 * The chart for one benchmark comparison. `threshold` is the minimum speedup the run required
 * (a fraction, 0.03 by default).
 */
export const BenchmarkChart = ({ benchmark: b, threshold = 0.03, id, width = 720 }: { readonly benchmark: Benchmark; readonly threshold?: number; readonly id: string; readonly width?: number }) => {
  const W = width
  const narrow = width < 500
  const LEFT = narrow ? 64 : 96
  const RIGHT = narrow ? 14 : 24
  const PLOT = W - LEFT - RIGHT
  const before = b.baselineSamplesNs ?? []
  const after = b.candidateSamplesNs ?? []
  const hasSamples = before.length > 0 && after.length > 0
  const all = hasSamples ? [...before, ...after] : [b.baselineMedianNs, b.candidateMedianNs]
  const rawMin = Math.min(...all)
  const rawMax = Math.max(...all)
  const pad = (rawMax - rawMin || rawMax * 0.1 || 1) * 0.08
  const tMin = Math.max(0, rawMin - pad)
  const tMax = rawMax + pad
  const tx = (ns: number) => LEFT + ((ns - tMin) / (tMax - tMin)) * PLOT
  const faster = b.ciHigh < -threshold

  // --- panel 1: distributions
  const rowH = 56
  const top1 = 34
  const rows = [
    { label: "Before", samples: before, median: b.baselineMedianNs, cls: "before" },
    { label: "After", samples: after, median: b.candidateMedianNs, cls: "after" }
  ]
  const axis1 = top1 + rows.length * rowH + 6
  const timeTicks = ticks(tMin, tMax, narrow ? 4 : 5)

  // --- panel 2: relative change with CI
  const top2 = axis1 + 58
  const cMin = Math.min(b.ciLow, b.change, -threshold, 0)
  const cMax = Math.max(b.ciHigh, b.change, 0)
  const cPad = (cMax - cMin || 0.05) * 0.15
  const c0 = cMin - cPad
  const c1 = cMax + cPad
  const cx = (v: number) => LEFT + ((v - c0) / (c1 - c0)) * PLOT
  const changeTicks = ticks(c0, c1, narrow ? 3 : 6)
  const height = top2 + 74

  const dots: Array<Child> = []
  rows.forEach((row, r) => {
    const mid = top1 + r * rowH + rowH / 2
    row.samples.forEach((v, i) => {
      // deterministic jitter (golden-ratio sequence) so identical samples stay visible
      const jitter = ((i * 0.618033988749895) % 1) - 0.5
      dots.push(<circle class={`dot ${row.cls}`} cx={tx(v).toFixed(1)} cy={(mid + jitter * 26).toFixed(1)} r="3" />)
    })
  })

  const summary = `${b.name}: median ${formatNs(b.baselineMedianNs)} before and ${formatNs(b.candidateMedianNs)} after, ` +
    `${formatChange(b.change)} (95% CI ${formatChange(b.ciLow)} to ${formatChange(b.ciHigh)}), ${formatP(b.pValue)}, ${b.samples} samples per side. ` +
    (faster ? `The whole interval lies past the ${(threshold * 100).toFixed(0)}% threshold.` : `The interval does not lie wholly past the ${(threshold * 100).toFixed(0)}% threshold.`)

  return (
    <svg class="chart" viewBox={`0 0 ${W} ${height}`} role="img" aria-labelledby={`${id}-t ${id}-d`} preserveAspectRatio="xMidYMid meet">
      <title id={`${id}-t`}>Benchmark {b.name}</title>
      <desc id={`${id}-d`}>{summary}</desc>
      <text class="ch-title" x={narrow ? 0 : LEFT} y="18">Time per run of {b.name}{hasSamples && !narrow ? ` — ${before.length} + ${after.length} samples` : ""}</text>
      {timeTicks.map((t) => (
        <g>
          <line class="grid" x1={tx(t).toFixed(1)} x2={tx(t).toFixed(1)} y1={top1} y2={axis1} />
          <text class="tick" x={tx(t).toFixed(1)} y={axis1 + 16} text-anchor="middle">{formatNs(t)}</text>
        </g>
      ))}
      {rows.map((row, r) => {
        const mid = top1 + r * rowH + rowH / 2
        const box = row.samples.length > 0 ? boxOf(row.samples) : null
        return (
          <g class={`row ${row.cls}`}>
            <text class="label" x={LEFT - 12} y={mid - 4} text-anchor="end">{row.label}</text>
            <text class="sub" x={LEFT - 12} y={mid + 12} text-anchor="end">{formatNs(row.median)}</text>
            {box === null ? null : (
              <g class={`box ${row.cls}`}>
                <line class="whisker" x1={tx(box.lo).toFixed(1)} x2={tx(box.q1).toFixed(1)} y1={mid} y2={mid} />
                <line class="whisker" x1={tx(box.q3).toFixed(1)} x2={tx(box.hi).toFixed(1)} y1={mid} y2={mid} />
                <rect class="iqr" x={tx(box.q1).toFixed(1)} y={mid - 15} width={Math.max(1, tx(box.q3) - tx(box.q1)).toFixed(1)} height="30" rx="3" />
              </g>
            )}
            <line class={`median ${row.cls}`} x1={tx(row.median).toFixed(1)} x2={tx(row.median).toFixed(1)} y1={mid - 19} y2={mid + 19} />
          </g>
        )
      })}
      {dots}
      {hasSamples ? null : <text class="sub" x={LEFT + PLOT / 2} y={top1 + rowH * 2 + 2} text-anchor="middle">per-sample timings were not recorded; medians shown</text>}

      <text class="ch-title" x={narrow ? 0 : LEFT} y={top2 - 22}>{narrow ? "Change of the median, 95% CI" : "Change of the median, with its 95% confidence interval"}</text>
      {changeTicks.map((t) => (
        <g>
          <line class="grid" x1={cx(t).toFixed(1)} x2={cx(t).toFixed(1)} y1={top2} y2={top2 + 40} />
          <text class="tick" x={cx(t).toFixed(1)} y={top2 + 56} text-anchor="middle">{formatChange(t)}</text>
        </g>
      ))}
      <line class="zero" x1={cx(0).toFixed(1)} x2={cx(0).toFixed(1)} y1={top2 - 4} y2={top2 + 44} />
      <line class="threshold" x1={cx(-threshold).toFixed(1)} x2={cx(-threshold).toFixed(1)} y1={top2 - 4} y2={top2 + 44} />
      <text class="sub" x={cx(-threshold) - 4} y={top2 - 6} text-anchor="end">−{(threshold * 100).toFixed(0)}% threshold</text>
      <text class="label" x={LEFT - 12} y={top2 + 24} text-anchor="end">{formatChange(b.change)}</text>
      <rect class={`ci ${faster ? "good" : "weak"}`} x={cx(b.ciLow).toFixed(1)} y={top2 + 12} width={Math.max(2, cx(b.ciHigh) - cx(b.ciLow)).toFixed(1)} height="16" rx="8" />
      <circle class={`est ${faster ? "good" : "weak"}`} cx={cx(b.change).toFixed(1)} cy={top2 + 20} r="6" />
    </svg>
  )
}
