import { describe, expect, it } from "@effect/vitest"
import { Bench } from "@ratchet/runner"

const asObject = (m: ReadonlyMap<string, ReadonlyArray<number>> | null) => (m === null ? null : Object.fromEntries(m))

describe("benchmark adapters", () => {
  it("RATCHET_BENCH lines: ns values and sample arrays, other lines ignored", () => {
    const out = [
      "starting",
      'RATCHET_BENCH {"name":"parse","ns":1200}',
      '  RATCHET_BENCH {"name":"parse","ns":1000}',
      'RATCHET_BENCH {"name":"join","samples":[10, 20, "x", -1, 30]}',
      'RATCHET_BENCH {"name":"broken", "ns": 1',
      'RATCHET_BENCH {"ns": 5}',
      "done"
    ].join("\n")
    expect(asObject(Bench.ratchetLine.parse(out, null))).toEqual({ parse: [1200, 1000], join: [10, 20, 30] })
    expect(Bench.ratchetLine.parse("nothing here", null)).toBeNull()
  })

  it("vitest --outputJson: per-iteration samples in ms, else the median; flags added for npm scripts", () => {
    const json = JSON.stringify({
      files: [
        {
          filepath: "/r/bench/a.bench.ts",
          groups: [
            {
              fullName: "bench/a.bench.ts > lookup",
              benchmarks: [
                { name: "array", samples: [0.002, 0.003], median: 0.0025 },
                { name: "set", samples: [], median: 0.001, mean: 0.0011 }
              ]
            }
          ]
        }
      ]
    })
    expect(asObject(Bench.vitest.parse("noise", json))).toEqual({
      "bench/a.bench.ts > lookup > array": [2000, 3000],
      "bench/a.bench.ts > lookup > set": [1000]
    })
    expect(Bench.vitest.parse("no json", "{not json")).toBeNull()
    expect(Bench.vitest.command?.("npm run bench", "$F")).toBe("npm run bench -- --run --outputJson $F")
    expect(Bench.vitest.command?.("npx vitest bench", "$F")).toBe("npx vitest bench --run --outputJson $F")
  })

  it("vitest text table: names with spaces and digits, grouped, time per op from hz (the mean column is rounded)", () => {
    const out = [
      " ✓ bench/sort.bench.ts > sort (2) 2437ms",
      "     name               hz     min     max    mean     p75     p99    p995    p999     rme  samples",
      "   · normal sorting 1000  6,526.82  0.1357  0.8398  0.1532  0.1498  0.2809  0.3461  0.5866  ±0.59%     3264   fastest",
      "   · reverse sorting    2,903.47  0.2996  1.0298  0.3444  0.3446  0.5806  0.6558  0.8764  ±0.62%     1452",
      "",
      " BENCH  Summary",
      "  normal sorting 1000 - bench/sort.bench.ts > sort",
      "    2.24x faster than reverse sorting"
    ].join("\n")
    const parsed = Bench.vitestText.parse(out, null)
    expect([...(parsed?.keys() ?? [])]).toEqual(["bench/sort.bench.ts > sort > normal sorting 1000", "bench/sort.bench.ts > sort > reverse sorting"])
    expect(parsed?.get("bench/sort.bench.ts > sort > reverse sorting")?.[0]).toBeCloseTo(1e9 / 2903.47, 3)
    // a 47 ns operation: its mean column reads 0.0000 ms, its hz does not
    const fast = Bench.vitestText.parse([" ✓ f.bench.ts 10ms", "     name      hz     min     max    mean     p75     p99    p995    p999     rme  samples", "   · fib  21,329,779.87  0.0000  0.0614  0.0000  0.0001  0.0001  0.0001  0.0001  ±0.15%  10664890"].join("\n"), null)
    expect(fast?.get("f.bench.ts > fib")?.[0]).toBeCloseTo(46.88, 1)
    expect(Bench.vitestText.parse("   · lonely 1 2 3", null)).toBeNull()
  })

  it("tinybench: JSON table rows (v3+ and v2), console.table boxes and task objects", () => {
    const v6 =
      '[{"Task name":"sum loop","Latency avg (ns)":"865.28 ± 47.85%","Latency med (ns)":"451.00 ± 30.00","Throughput avg (ops/s)":"2214970 ± 0.09%","Samples":57785}]'
    expect(asObject(Bench.tinybench.parse(v6, null))).toEqual({ "sum loop": [451] })
    const v2 = '[{"Task Name":"old","ops/sec":"1,000,000","Average Time (ns)":1000.5,"Margin":"±0.5%","Samples":10}]'
    expect(asObject(Bench.tinybench.parse(v2, null))).toEqual({ old: [1000.5] })
    const box = [
      "┌─────────┬────────────┬───────────────────┬───────────────────┐",
      "│ (index) │ Task name  │ Latency avg (ns)  │ Latency med (ns)  │",
      "├─────────┼────────────┼───────────────────┼───────────────────┤",
      "│ 0       │ 'sum loop' │ '865.28 ± 47.85%' │ '451.00 ± 30.00'  │",
      "│ 1       │ 'reduce'   │ '87524 ± 133.37%' │ '6,350.0 ± 111.00' │",
      "└─────────┴────────────┴───────────────────┴───────────────────┘"
    ].join("\n")
    expect(asObject(Bench.tinybench.parse(box, null))).toEqual({ "sum loop": [451], reduce: [6350] })
    const tasks = '[{"name":"t","result":{"latency":{"p50":0.002,"mean":0.003}}}]'
    expect(asObject(Bench.tinybench.parse(tasks, null))).toEqual({ t: [2000] })
  })

  it("mitata: v1 JSON, 0.x JSON and text output", () => {
    const v1 = JSON.stringify({ benchmarks: [{ alias: "fib", runs: [{ name: "fib", stats: { p50: 1234, avg: 1300 } }] }] })
    expect(asObject(Bench.mitata.parse(v1, null))).toEqual({ fib: [1234] })
    const v0 = JSON.stringify({ benchmarks: [{ name: "old", stats: { avg: 99 } }] })
    expect(asObject(Bench.mitata.parse(v0, null))).toEqual({ old: [99] })
    const text = [
      "benchmark                   avg (min … max) p75   p99",
      "------------------------------------------- -------",
      "fib(20)                      12.34 µs/iter  12.00 µs",
      "\u001b[1mjoin\u001b[0m                  1.5 ms/iter",
      "tiny                         250 ps/iter"
    ].join("\n")
    expect(asObject(Bench.mitata.parse(text, null))).toEqual({ "fib(20)": [12340], join: [1_500_000], tiny: [0.25] })
  })

  it("benchmark.js: ops/sec summaries become one ns/op value per process", () => {
    const out = "RegExp#test x 4,161,532 ops/sec ±0.99% (93 runs sampled)\nString#indexOf x 6,979,200.5 ops/sec ±0.21% (94 runs sampled)\nFastest is String#indexOf"
    const parsed = asObject(Bench.benchmarkJs.parse(out, null))
    expect(Object.keys(parsed ?? {})).toEqual(["RegExp#test", "String#indexOf"])
    expect(parsed?.["RegExp#test"][0]).toBeCloseTo(1e9 / 4_161_532, 6)
  })

  it("never throws or hangs on hostile output", () => {
    const hostile = [
      "{".repeat(100_000),
      "[".repeat(50_000) + "]".repeat(50_000),
      `RATCHET_BENCH ${"{".repeat(10_000)}`,
      'RATCHET_BENCH {"name":"__proto__","ns":5}',
      `${"a ".repeat(50_000)}x 1 ops/sec`,
      "│".repeat(10_000),
      "\u0000\u0001 x NaN ops/sec",
      JSON.stringify({ files: [{ groups: [{ benchmarks: [{ name: 1 }, null, { name: "x", median: "fast" }] }] }] })
    ]
    const started = Date.now()
    for (const text of hostile) {
      for (const adapter of Bench.adapters) {
        expect(() => adapter.parse(text, text)).not.toThrow()
      }
    }
    expect(Bench.ratchetLine.parse(hostile[3], null)?.get("__proto__")).toEqual([5])
    expect(Date.now() - started).toBeLessThan(20_000)
  })

  it("are registered as a plugin", () => {
    expect(Bench.plugin().benchmarkAdapters?.map((a) => a.name)).toEqual(["ratchet", "vitest", "vitest-report", "vitest-text", "mitata", "tinybench", "cronometro", "benchmark.js", "deno-bench", "node:test"])
  })
})
