import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Bench } from "@ratchet/runner"
import { fixturesDir } from "../helpers.js"

// Every file here is real output of the tool, recorded through a pipe (see fixtures/bench-output/README.md).
const recorded = (file: string) => readFileSync(join(fixturesDir, "bench-output", file), "utf8")
const read = (adapter: { parse: (output: string, file: string | null) => ReadonlyMap<string, ReadonlyArray<number>> | null }, output: string, file: string | null = null) => {
  const parsed = adapter.parse(output, file)
  return parsed === null ? null : Object.fromEntries([...parsed].map(([name, values]) => [name, values.map((v) => Math.round(v * 100) / 100)]))
}
/** The first built-in adapter that reads the output (detection by shape, as Bench does without a hint). */
const detect = (output: string, file: string | null = null) => Bench.adapters.find((a) => (a.parse(output, file)?.size ?? 0) > 0)?.name ?? null

describe("benchmark adapters on recorded output of the real tools", () => {
  it("vitest 3.2 bench: the text table (ns/op from hz) and --outputJson (the median, ms → ns)", () => {
    expect(read(Bench.vitestText, recorded("vitest-3.2.7-bench.txt"))).toEqual({
      "vb/sum.bench.mjs > sum > sum loop": [Math.round((1e9 / 24_162.46) * 100) / 100],
      "vb/sum.bench.mjs > sum > sum reduce": [Math.round((1e9 / 12_652.96) * 100) / 100]
    })
    expect(read(Bench.vitest, "", recorded("vitest-3.2.7-bench.json"))).toEqual({
      "vb/sum.bench.mjs > sum > sum loop": [550],
      "vb/sum.bench.mjs > sum > sum reduce": [8834]
    })
    expect(detect(recorded("vitest-3.2.7-bench.txt"))).toBe("vitest-text")
  })

  it("vitest 5.1 bench (a test-context fixture): the text table under each test, and the JSON reporter's benchmarks", () => {
    expect(read(Bench.vitestText, recorded("vitest-5.1.2-bench.txt"))).toEqual({
      "vb/sum.bench.mjs > sum > sum loop": [Math.round((1e9 / 2_622_067.08) * 100) / 100],
      "vb/sum.bench.mjs > sum > sum reduce": [Math.round((1e9 / 165_015.89) * 100) / 100],
      "vb/sum.bench.mjs > single > sum loop alone": [Math.round((1e9 / 2_167_358.25) * 100) / 100]
    })
    expect(read(Bench.vitestReport, "", recorded("vitest-5.1.2-bench-report.json"))).toEqual({
      "vb/sum.bench.mjs > sum > sum loop": [551],
      "vb/sum.bench.mjs > sum > sum reduce": [8703],
      "vb/sum.bench.mjs > single > sum loop alone": [551]
    })
    expect(Bench.vitestReport.command?.("npm run bench", "$F")).toBe("npm run bench -- --run --reporter=default --reporter=json --outputFile.json=$F")
  })

  it("tinybench 6 (console.table and JSON rows: the median latency) and tinybench 2 (console.table: the average time)", () => {
    expect(read(Bench.tinybench, recorded("tinybench-6.2.5-table.txt"))).toEqual({ "sum loop": [1161], "sum reduce": [351] })
    expect(read(Bench.tinybench, recorded("tinybench-6.2.5.json"))).toEqual({ "sum loop": [1161], "sum reduce": [351] })
    expect(read(Bench.tinybench, recorded("tinybench-2.9.0-table.txt"))).toEqual({ "sum loop": [7961.68], "sum reduce": [1545.85] })
    for (const f of ["tinybench-6.2.5-table.txt", "tinybench-6.2.5.json", "tinybench-2.9.0-table.txt"]) expect(detect(recorded(f))).toBe("tinybench")
  })

  it("mitata 1.0: coloured and plain text, markdown, and JSON (p50)", () => {
    expect(read(Bench.mitata, recorded("mitata-1.0.34.txt"))).toEqual({ "sum loop": [4810], "sum reduce": [4630] })
    expect(Object.keys(read(Bench.mitata, recorded("mitata-1.0.34-no-color.txt")) ?? {})).toEqual(["sum loop", "sum reduce"])
    expect(read(Bench.mitata, recorded("mitata-1.0.34-markdown.txt"))).toEqual({ "sum loop": [6500], "sum reduce": [39_490] })
    expect(read(Bench.mitata, recorded("mitata-1.0.34.json"))).toEqual({ "sum loop": [1482], "sum reduce": [3461.8] })
    for (const f of ["mitata-1.0.34.txt", "mitata-1.0.34-no-color.txt", "mitata-1.0.34-markdown.txt", "mitata-1.0.34.json"]) expect(detect(recorded(f))).toBe("mitata")
  })

  it("benchmark.js 2.1: `x ops/sec ±y% (n runs sampled)`", () => {
    expect(read(Bench.benchmarkJs, recorded("benchmark.js-2.1.4.txt"))).toEqual({
      "sum loop": [Math.round((1e9 / 190_047) * 100) / 100],
      "sum reduce": [Math.round((1e9 / 87_122) * 100) / 100]
    })
    expect(detect(recorded("benchmark.js-2.1.4.txt"))).toBe("benchmark.js")
  })

  it("cronometro 3 and 6: the coloured result table (op/sec)", () => {
    expect(read(Bench.cronometro, recorded("cronometro-3.0.2.txt"))).toEqual({
      "sum reduce": [Math.round((1e9 / 42_728.97) * 100) / 100],
      "sum loop": [Math.round((1e9 / 274_751.54) * 100) / 100]
    })
    expect(read(Bench.cronometro, recorded("cronometro-6.0.3.txt"))).toEqual({
      "sum reduce": [Math.round((1e9 / 11_618.08) * 100) / 100],
      "sum loop": [Math.round((1e9 / 69_867.66) * 100) / 100]
    })
    for (const f of ["cronometro-3.0.2.txt", "cronometro-6.0.3.txt"]) expect(detect(recorded(f))).toBe("cronometro")
  })

  it("node:test timings: spec reporter and TAP (Node 24 and Node 20), tests only, named suite > test", () => {
    const expected = ["sum > sum loop", "sum > sum reduce", "top level reduce"]
    expect(read(Bench.nodeTest, recorded("node-test-24-spec.txt"))).toEqual({ "sum > sum loop": [530_893_086], "sum > sum reduce": [779_594_777], "top level reduce": [70_157_860] })
    expect(Object.keys(read(Bench.nodeTest, recorded("node-test-24-tap.txt")) ?? {})).toEqual(expected)
    expect(read(Bench.nodeTest, recorded("node-test-20-tap.txt"))?.["sum > sum loop"]).toEqual([233_282_338])
    expect(Object.keys(read(Bench.nodeTest, recorded("node-test-20-tap.txt")) ?? {})).toEqual(expected)
    for (const f of ["node-test-24-spec.txt", "node-test-24-tap.txt", "node-test-20-tap.txt"]) expect(detect(recorded(f))).toBe("node:test")
  })

  it("an adapter never claims another tool's recorded output", () => {
    const files = {
      "vitest-text": ["vitest-3.2.7-bench.txt", "vitest-5.1.2-bench.txt"],
      tinybench: ["tinybench-6.2.5-table.txt", "tinybench-2.9.0-table.txt"],
      mitata: ["mitata-1.0.34.txt", "mitata-1.0.34-markdown.txt"],
      "benchmark.js": ["benchmark.js-2.1.4.txt"],
      cronometro: ["cronometro-3.0.2.txt", "cronometro-6.0.3.txt"],
      "node:test": ["node-test-24-spec.txt", "node-test-20-tap.txt"]
    }
    for (const [owner, list] of Object.entries(files)) {
      for (const file of list) {
        const claimed = Bench.adapters.filter((a) => a.name !== owner && (a.parse(recorded(file), null)?.size ?? 0) > 0).map((a) => a.name)
        expect(claimed, file).toEqual([])
      }
    }
  })

  it("an unreadable output gives a warning that names the command", () => {
    const warning = Bench.unreadableWarning("npm run benchmark:parse", "Running...\nall done in 3 minutes\n", ["vitest", "mitata"])
    expect(warning).toContain("`npm run benchmark:parse`")
    expect(warning).toContain("no benchmark adapter (vitest, mitata) could read its output")
    expect(warning).toContain("all done in 3 minutes")
  })
})
