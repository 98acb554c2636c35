/**
 * Built-in benchmark output parsers. Each turns one process's output into timings in ns per benchmark name.
 * They never throw: output they do not recognise gives `null`.
 */
import type { Plugin } from "@ratchet/core"

type Samples = Map<string, Array<number>>

const push = (out: Samples, name: string, ns: number): void => {
  if (!Number.isFinite(ns) || ns <= 0 || name.length === 0) return
  const list = out.get(name)
  if (list) list.push(ns)
  else out.set(name, [ns])
}

const nonEmpty = (out: Samples): Samples | null => (out.size > 0 ? out : null)

const MAX_NAME = 300
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g
/** Output without ANSI colour escapes (tools such as mitata and cronometro colour even a pipe). */
export const stripAnsi = (text: string): string => (text.includes("\u001b") ? text.replace(ANSI, "") : text)
const cleanName = (name: string): string => stripAnsi(name).replace(/\s+/g, " ").trim().slice(0, MAX_NAME)

/** Parses a JSON document, or null. Bounded: refuses documents over 64 MB. */
const parseJson = (text: string): unknown => {
  if (text.length > 64 * 1024 * 1024) return null
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const num = (u: unknown): number | null => (typeof u === "number" && Number.isFinite(u) ? u : null)

/** Top-level JSON values found in the text: whole-text JSON, or lines that are JSON objects/arrays. */
const jsonValues = (text: string): Array<unknown> => {
  const whole = text.trim()
  if (whole.startsWith("{") || whole.startsWith("[")) {
    const v = parseJson(whole)
    if (v !== null) return [v]
  }
  const out: Array<unknown> = []
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim()
    if ((t.startsWith("{") && t.endsWith("}")) || (t.startsWith("[") && t.endsWith("]"))) {
      const v = parseJson(t)
      if (v !== null) out.push(v)
    }
  }
  return out
}

/** Adds ` -- <flags>` for `npm run <script>` (npm needs the separator), plain ` <flags>` otherwise. */
const appendFlags = (command: string, flags: string): string => {
  const trimmed = command.trimEnd()
  if (/^npm\s+(run(-script)?\s+)?\S+/.test(trimmed) && !/\s--(\s|$)/.test(trimmed) && !/\bvitest\b/.test(trimmed)) {
    return `${trimmed} -- ${flags}`
  }
  return `${trimmed} ${flags}`
}

// ---------------------------------------------------------------------------
// Ratchet's own line protocol
// ---------------------------------------------------------------------------

/**
 * `RATCHET_BENCH {"name": "parse", "ns": 1234.5}` lines (or `"samples": [ns, …]`), one or more per benchmark.
 */
export const ratchetLine: Plugin.BenchmarkAdapter = {
  name: "ratchet",
  parse: (output) => {
    const out: Samples = new Map()
    for (const match of stripAnsi(output).matchAll(/^\s*RATCHET_BENCH\s+(\{.*\})\s*$/gm)) {
      const v = parseJson(match[1])
      if (!isRecord(v) || typeof v.name !== "string") continue
      const name = cleanName(v.name)
      const ns = num(v.ns)
      if (ns !== null) push(out, name, ns)
      if (Array.isArray(v.samples)) for (const s of v.samples) if (typeof s === "number") push(out, name, s)
    }
    return nonEmpty(out)
  }
}

// ---------------------------------------------------------------------------
// vitest bench --outputJson (vitest 1–4)
// ---------------------------------------------------------------------------

/**
 * vitest bench `--outputJson <file>`: `{ files: [{ groups: [{ fullName, benchmarks: [{ name, median|mean, samples }] }] }] }`
 * in ms. Per-iteration samples are used when present (vitest 1), else the process's median (or mean).
 */
export const vitestBench: Plugin.BenchmarkAdapter = {
  name: "vitest",
  command: (command, outputFile) => appendFlags(command, `--run --outputJson ${outputFile}`),
  parse: (output, file) => {
    const out: Samples = new Map()
    for (const doc of [...(file ? jsonValues(file) : []), ...jsonValues(output)]) {
      if (!isRecord(doc) || !Array.isArray(doc.files)) continue
      for (const f of doc.files) {
        if (!isRecord(f) || !Array.isArray(f.groups)) continue
        for (const g of f.groups) {
          if (!isRecord(g) || !Array.isArray(g.benchmarks)) continue
          const group = typeof g.fullName === "string" ? g.fullName : ""
          for (const b of g.benchmarks) {
            if (!isRecord(b) || typeof b.name !== "string") continue
            const name = cleanName(group ? `${group} > ${b.name}` : b.name)
            const samples = Array.isArray(b.samples) ? b.samples.filter((s): s is number => typeof s === "number") : []
            if (samples.length > 0) for (const s of samples) push(out, name, s * 1e6)
            else {
              const ms = num(b.median) ?? num(b.mean) ?? num(b.period)
              if (ms !== null) push(out, name, ms * 1e6)
            }
          }
        }
      }
    }
    return nonEmpty(out)
  }
}

/**
 * vitest 5 bench through its JSON reporter (`--reporter=json --outputFile.json=<file>`): every test's
 * `benchmarks: [{ name, tasks: [{ name, latency: { p50, mean } }] }]`, latencies in ms. Named
 * `<file> > <test> > <task>`.
 */
export const vitestReport: Plugin.BenchmarkAdapter = {
  name: "vitest-report",
  command: (command, outputFile) => appendFlags(command, `--run --reporter=default --reporter=json --outputFile.json=${outputFile}`),
  parse: (output, file) => {
    const out: Samples = new Map()
    for (const doc of [...(file ? jsonValues(file) : []), ...jsonValues(output)]) {
      if (!isRecord(doc) || !Array.isArray(doc.testResults)) continue
      for (const f of doc.testResults) {
        if (!isRecord(f) || !Array.isArray(f.assertionResults)) continue
        const fileName = typeof f.name === "string" ? f.name.split(/[\\/]/).slice(-2).join("/") : ""
        for (const a of f.assertionResults) {
          if (!isRecord(a) || !Array.isArray(a.benchmarks)) continue
          const test = typeof a.fullName === "string" ? a.fullName : typeof a.title === "string" ? a.title : ""
          for (const group of a.benchmarks) {
            if (!isRecord(group) || !Array.isArray(group.tasks)) continue
            for (const task of group.tasks) {
              if (!isRecord(task) || typeof task.name !== "string") continue
              const latency = isRecord(task.latency) ? task.latency : null
              const ms = latency ? (num(latency.p50) ?? num(latency.mean)) : num(task.period)
              if (ms !== null) push(out, cleanName([fileName, test, task.name].filter((x) => x.length > 0).join(" > ")), ms * 1e6)
            }
          }
        }
      }
    }
    return nonEmpty(out)
  }
}

/**
 * vitest bench's text table (vitest 1–5, no flags needed), e.g.
 * `   · normal sorting  6,526.82  0.1357  0.8398  0.1532  0.1498  0.2809  0.3461  0.5866  ±0.59%  3264  fastest`
 * under a ` ✓ bench/sort.bench.ts > sort 2437ms` group line. Columns are read from the `±rme` column leftwards, so
 * names may contain spaces and digits; the process's value is 1/hz (the mean column is rounded to 0.1 µs).
 */
export const vitestText: Plugin.BenchmarkAdapter = {
  name: "vitest-text",
  parse: (output) => {
    const out: Samples = new Map()
    let group = ""
    let fileGroup = ""
    let inTable = false
    for (const raw of output.split(/\r?\n/)) {
      const line = stripAnsi(raw)
      const header = /^\s*name\s+hz\s+min\s+max\s+mean\s+p75\s+p99\s+p995\s+p999\s+rme\s+samples\s*$/.test(line)
      if (header) {
        inTable = true
        continue
      }
      // vitest 1–4: ` ✓ file > describe 1098ms`; vitest 5: ` ✓  bench  file (2 tests) 4167ms` then `   ✓ test 1665ms`
      const groupLine = /^(\s*)[✓✔×❯↓]\s+(.+?)(?:\s+\(\d+(?:\s+tests?)?(?:\s*\|[^)]*)?\))?(?:\s+\d+(?:\.\d+)?m?s)?\s*$/.exec(line)
      if (groupLine && !/^\s*[·•]/.test(line)) {
        const label = cleanName(groupLine[2].replace(/^bench\s+/, ""))
        if (groupLine[1].length >= 3 && fileGroup !== "") group = `${fileGroup} > ${label}`
        else {
          fileGroup = groupLine[2].startsWith("bench ") ? label : ""
          group = label
        }
        inTable = false
        continue
      }
      // vitest 1–4 bullet their rows (`· name …`); vitest 5 indents them under the test
      if (!inTable || /^\s*(?:name\s+hz|[✓✔×❯↓]|Test Files|Tests\s|Start at|Duration|BENCH|RUN)\b/.test(line) || line.trim().length === 0) continue
      const tokens = line.trim().replace(/^[·•]\s+/, "").split(/\s+/)
      const rme = tokens.findIndex((t, i) => i >= 9 && /^±[\d.]+%$/.test(t))
      if (rme < 0) continue
      const numbers = tokens.slice(rme - 8, rme).map((t) => Number(t.replace(/,/g, "")))
      if (numbers.some((n) => !Number.isFinite(n))) continue
      const name = cleanName(tokens.slice(0, rme - 8).join(" "))
      // hz has full precision; the mean column is rounded to 0.0001 ms (0 for anything under 50 ns)
      const ns = numbers[0] > 0 ? 1e9 / numbers[0] : numbers[3] * 1e6
      push(out, group ? `${group} > ${name}` : name, ns)
    }
    return nonEmpty(out)
  }
}

// ---------------------------------------------------------------------------
// tinybench
// ---------------------------------------------------------------------------

const leadingNumber = (u: unknown): number | null => {
  if (typeof u === "number") return Number.isFinite(u) ? u : null
  if (typeof u !== "string") return null
  const m = /^\s*'?([\d,]*\.?\d+(?:e[+-]?\d+)?)/i.exec(u)
  return m ? Number(m[1].replace(/,/g, "")) : null
}

const TASK_NAME = /^task ?name$/i
/** Column → multiplier to ns, best first. */
const LATENCY_COLUMNS: ReadonlyArray<[RegExp, number]> = [
  [/^latency med(ian)? \(ns\)$/i, 1],
  [/^latency avg \(ns\)$/i, 1],
  [/^average time \(ns\)$/i, 1],
  [/^latency med(ian)? \(ms\)$/i, 1e6],
  [/^latency avg \(ms\)$/i, 1e6]
]
const OPS_COLUMN = /^(ops\/sec|throughput (med|avg) \(ops\/s\))$/i

const tinybenchRow = (row: Record<string, unknown>, out: Samples): void => {
  const nameKey = Object.keys(row).find((k) => TASK_NAME.test(k.trim()))
  if (!nameKey || typeof row[nameKey] !== "string") return
  const name = cleanName(String(row[nameKey]).replace(/^'|'$/g, ""))
  for (const [re, scale] of LATENCY_COLUMNS) {
    const key = Object.keys(row).find((k) => re.test(k.trim()))
    const v = key ? leadingNumber(row[key]) : null
    if (v !== null) {
      push(out, name, v * scale)
      return
    }
  }
  const opsKey = Object.keys(row).find((k) => OPS_COLUMN.test(k.trim()))
  const ops = opsKey ? leadingNumber(row[opsKey]) : null
  if (ops !== null && ops > 0) push(out, name, 1e9 / ops)
}

/**
 * tinybench: `JSON.stringify(bench.table())` rows, `console.table(bench.table())` boxes, or task objects
 * `{ name, result: { latency: { p50, mean } } }` (ms).
 */
export const tinybench: Plugin.BenchmarkAdapter = {
  name: "tinybench",
  parse: (output) => {
    const out: Samples = new Map()
    for (const doc of jsonValues(output)) {
      const rows = Array.isArray(doc) ? doc : [doc]
      for (const row of rows) {
        if (!isRecord(row)) continue
        tinybenchRow(row, out)
        if (typeof row.name === "string" && isRecord(row.result)) {
          const latency = isRecord(row.result.latency) ? row.result.latency : null
          const ms = latency ? (num(latency.p50) ?? num(latency.mean)) : (num(row.result.median) ?? num(row.result.mean))
          if (ms !== null) push(out, cleanName(row.name), ms * 1e6)
        }
      }
    }
    // console.table box drawing
    let header: Array<string> | null = null
    for (const line of stripAnsi(output).split(/\r?\n/)) {
      if (!line.includes("│")) {
        if (!/[┌├└─]/.test(line)) header = null
        continue
      }
      const cells = line.split("│").slice(1, -1).map((c) => c.trim())
      if (header === null) {
        if (cells.some((c) => TASK_NAME.test(c))) header = cells
        continue
      }
      const row: Record<string, unknown> = {}
      header.forEach((h, i) => {
        row[h] = cells[i]
      })
      tinybenchRow(row, out)
    }
    return nonEmpty(out)
  }
}

// ---------------------------------------------------------------------------
// mitata
// ---------------------------------------------------------------------------

const UNIT_NS: Record<string, number> = { ps: 1e-3, ns: 1, "µs": 1e3, μs: 1e3, us: 1e3, ms: 1e6, s: 1e9 }

/**
 * mitata: JSON (`run({ format: "json" })`: `{ benchmarks: [{ alias, runs: [{ name, stats: { p50, avg, samples } }] }] }`,
 * or mitata 0.x `{ benchmarks: [{ name, stats: { avg } }] }`, ns), or its text table (`name   12.34 µs/iter …`).
 */
export const mitata: Plugin.BenchmarkAdapter = {
  name: "mitata",
  parse: (output) => {
    const out: Samples = new Map()
    for (const doc of jsonValues(output)) {
      if (!isRecord(doc) || !Array.isArray(doc.benchmarks)) continue
      for (const b of doc.benchmarks) {
        if (!isRecord(b)) continue
        const runs = Array.isArray(b.runs) ? b.runs : [b]
        for (const r of runs) {
          if (!isRecord(r) || !isRecord(r.stats)) continue
          const name = typeof r.name === "string" ? r.name : typeof b.alias === "string" ? b.alias : null
          if (name === null) continue
          const ns = num(r.stats.p50) ?? num(r.stats.avg)
          if (ns !== null) push(out, cleanName(name), ns)
        }
      }
    }
    if (out.size > 0) return out
    for (const raw of stripAnsi(output).split(/\r?\n/)) {
      // markdown format: `| name | \`  6.50 µs/iter\` | …`
      const md = /^\s*\|\s*(\S[^|]*?)\s*\|\s*`?\s*([\d.]+)\s*(ps|ns|µs|μs|us|ms|s)\/iter`?\s*\|/.exec(raw)
      if (md) {
        push(out, cleanName(md[1]), Number(md[2]) * UNIT_NS[md[3]])
        continue
      }
      const m = /^\s*(\S.*?)\s+([\d.]+)\s*(ps|ns|µs|μs|us|ms|s)\/iter\b/.exec(raw)
      if (m) push(out, cleanName(m[1]), Number(m[2]) * UNIT_NS[m[3]])
    }
    return nonEmpty(out)
  }
}

// ---------------------------------------------------------------------------
// benchmark.js
// ---------------------------------------------------------------------------

/**
 * benchmark.js `String(bench)` lines: `name x 1,234.5 ops/sec ±0.50% (90 runs sampled)`. Only a summary exists, so a
 * process contributes exactly one sample (1e9 / hz ns per op).
 */
export const benchmarkJs: Plugin.BenchmarkAdapter = {
  name: "benchmark.js",
  parse: (output) => {
    const out: Samples = new Map()
    for (const match of stripAnsi(output).matchAll(/^\s*(\S.*?) x ([\d,]+(?:\.\d+)?) ops\/sec\b.*$/gm)) {
      const hz = Number(match[2].replace(/,/g, ""))
      if (hz > 0) push(out, cleanName(match[1]), 1e9 / hz)
    }
    return nonEmpty(out)
  }
}

// ---------------------------------------------------------------------------
// cronometro
// ---------------------------------------------------------------------------

/**
 * cronometro's result table (versions 3–6): `║ name │ 2000 │ 42728.97 op/sec │ ± 58.75 % ║` rows under its
 * "Slower tests" and "Fastest test" headings. Only a summary exists: one ns/op value per process (1e9 / op/sec).
 */
export const cronometro: Plugin.BenchmarkAdapter = {
  name: "cronometro",
  parse: (output) => {
    const out: Samples = new Map()
    for (const raw of stripAnsi(output).split(/\r?\n/)) {
      if (!raw.includes("op/sec")) continue
      const cells = raw
        .replace(/^\s*[║|]/, "")
        .replace(/[║|]\s*$/, "")
        .split("│")
        .map((c) => c.trim())
      if (cells.length < 3) continue
      const result = cells.find((c) => /^[\d,]+(?:\.\d+)?\s+op\/sec$/.test(c))
      if (result === undefined || /^(Slower tests|Fastest test)$/.test(cells[0])) continue
      const ops = Number(result.replace(/\s*op\/sec$/, "").replace(/,/g, ""))
      if (ops > 0) push(out, cleanName(cells[0]), 1e9 / ops)
    }
    return nonEmpty(out)
  }
}

// ---------------------------------------------------------------------------
// node:test-style timings
// ---------------------------------------------------------------------------

/**
 * Benchmarks written as `node:test` tests, each timing a workload: the per-test durations of the spec reporter
 * (`✔ name (530.89ms)`, nested under `▶ suite`) or of TAP (`ok 1 - name` with `duration_ms:` in its YAML block,
 * nested under `# Subtest:`). Suites are left out (their time is the sum of their tests); names are
 * `suite > test`. Read only when nothing else recognises the output, since every node:test run has this shape.
 */
export const nodeTest: Plugin.BenchmarkAdapter = {
  name: "node:test",
  parse: (output) => {
    const out: Samples = new Map()
    const lines = stripAnsi(output).split(/\r?\n/)
    const tap = lines.some((l) => /^TAP version \d+/.test(l))
    if (tap) {
      // `# Subtest: name` opens a level at its indentation; `ok N - name` closes it; a YAML block follows
      const open: Array<{ indent: number; name: string; children: number }> = []
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]
        const sub = /^(\s*)# Subtest: (.+)$/.exec(line)
        if (sub) {
          if (open.length > 0) open[open.length - 1].children++
          open.push({ indent: sub[1].length, name: cleanName(sub[2]), children: 0 })
          continue
        }
        const point = /^(\s*)ok \d+ - (.+?)(?:\s+#\s*(SKIP|TODO)\b.*)?$/.exec(line)
        if (!point) continue
        const indent = point[1].length
        while (open.length > 0 && open[open.length - 1].indent > indent) open.pop()
        const current = open.length > 0 && open[open.length - 1].indent === indent ? open.pop() : undefined
        if (point[3] !== undefined) continue
        let duration: number | null = null
        let suite = (current?.children ?? 0) > 0
        for (let j = i + 1; j < lines.length && j < i + 20; j++) {
          const y = lines[j].trim()
          if (y === "...") break
          const d = /^duration_ms:\s*([\d.]+)/.exec(y)
          if (d) duration = Number(d[1])
          if (/^type:\s*'suite'/.test(y)) suite = true
        }
        if (duration === null || suite) continue
        const path = [...open.map((o) => o.name), cleanName(point[2])]
        push(out, path.join(" > "), duration * 1e6)
      }
      return nonEmpty(out)
    }
    // spec reporter: `▶ suite` opens a level, `✔ name (12.3ms)` is a test (or closes the suite of that name)
    const open: Array<{ indent: number; name: string }> = []
    for (const line of lines) {
      if (/^✖ failing tests:/.test(line)) break
      const suite = /^(\s*)▶ (.+)$/.exec(line)
      if (suite) {
        open.push({ indent: suite[1].length, name: cleanName(suite[2]) })
        continue
      }
      const test = /^(\s*)✔ (.+?) \(([\d.]+)ms\)\s*(?:#.*)?$/.exec(line)
      if (!test) continue
      const indent = test[1].length
      while (open.length > 0 && open[open.length - 1].indent > indent) open.pop()
      if (open.length > 0 && open[open.length - 1].indent === indent && open[open.length - 1].name === cleanName(test[2])) {
        open.pop()
        continue
      }
      push(out, [...open.map((o) => o.name), cleanName(test[2])].join(" > "), Number(test[3]) * 1e6)
    }
    return nonEmpty(out)
  }
}

// ---------------------------------------------------------------------------
// deno bench
// ---------------------------------------------------------------------------

const DURATION = /^([\d.,]+)\s*(ps|ns|µs|μs|us|ms|s)$/

/**
 * `deno bench`: its table (`| name | 958.0 ns | … |`, Deno 2) or `deno bench --json` (`benches[].results[].ok.avg`
 * in ns). Deno 1's `958.0 ns/iter` lines are mitata's format and read there.
 */
export const denoBench: Plugin.BenchmarkAdapter = {
  name: "deno-bench",
  parse: (output) => {
    const out: Samples = new Map()
    for (const doc of jsonValues(output)) {
      if (!isRecord(doc) || !Array.isArray(doc.benches)) continue
      for (const b of doc.benches) {
        if (!isRecord(b) || typeof b.name !== "string" || !Array.isArray(b.results)) continue
        for (const r of b.results) {
          const ns = isRecord(r) && isRecord(r.ok) ? num(r.ok.avg) : null
          if (ns !== null) push(out, cleanName(b.name), ns)
        }
      }
    }
    if (out.size > 0) return out
    let column = -1
    for (const raw of stripAnsi(output).split(/\r?\n/)) {
      const line = raw.trim()
      if (!line.startsWith("|")) {
        column = -1
        continue
      }
      const cells = line.split("|").slice(1, -1).map((c) => c.trim())
      const header = cells.findIndex((c) => c.startsWith("time/iter"))
      if (header !== -1) {
        column = header
        continue
      }
      if (column === -1 || cells.every((c) => /^-*$/.test(c))) continue
      const m = DURATION.exec(cells[column] ?? "")
      if (m && cells[0]) push(out, cleanName(cells[0]), Number(m[1].replace(/,/g, "")) * UNIT_NS[m[2]])
    }
    return nonEmpty(out)
  }
}

/** The built-in adapters in detection order (node:test last: any node:test run has its shape). */
export const builtin: ReadonlyArray<Plugin.BenchmarkAdapter> = [ratchetLine, vitestBench, vitestReport, vitestText, mitata, tinybench, cronometro, benchmarkJs, denoBench, nodeTest]
