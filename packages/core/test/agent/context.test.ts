import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { accumulator, repoPath } from "../../src/internal/agent/cpuProfile.js"
import { estimateTokens, mapRepository, renderMap, symbolsOf } from "../../src/internal/agent/repoMap.js"

describe("agent context: CPU profiles", () => {
  it("a real `node --cpu-prof` run ranks the repository's hot function first, by self time", () => {
    const root = mkdtempSync(join(tmpdir(), "ratchet-cpuprof-"))
    mkdirSync(join(root, "src"))
    writeFileSync(
      join(root, "src", "work.mjs"),
      "export function slow(n) { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i) % 7; return s }\nexport function cheap() { return 1 }\n"
    )
    writeFileSync(join(root, "main.mjs"), "import { slow, cheap } from './src/work.mjs'\nlet t = 0\nfor (let k = 0; k < 60; k++) t += slow(200000) + cheap()\nconsole.log(t > 0)\n")
    const dir = join(root, "prof")
    execFileSync(process.execPath, ["main.mjs"], { cwd: root, env: { ...process.env, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` } })
    const acc = accumulator(root)
    for (const f of readdirSync(dir)) expect(acc.add(JSON.parse(readFileSync(join(dir, f), "utf8")))).toBe(true)
    const hot = acc.hotspots()
    expect(hot[0]).toMatchObject({ file: "src/work.mjs", name: "slow", line: 1 })
    expect(hot[0]!.share).toBeGreaterThan(0.3)
    expect(hot[0]!.selfMs).toBeGreaterThan(0)
    expect(hot.every((h) => !h.file.includes("node_modules"))).toBe(true)
  })

  it("only repository files count: not node_modules, not Node internals, not other directories", () => {
    expect(repoPath("file:///repo/src/a.js", "/repo")).toBe("src/a.js")
    expect(repoPath("/repo/src/a.ts?v=123", "/repo")).toBe("src/a.ts")
    expect(repoPath("file:///repo/node_modules/x/i.js", "/repo")).toBeNull()
    expect(repoPath("node:internal/modules/cjs/loader", "/repo")).toBeNull()
    expect(repoPath("file:///other/a.js", "/repo")).toBeNull()
    expect(accumulator("/repo").add({ not: "a profile" })).toBe(false)
  })

  it("a sample in a builtin or a dependency belongs to the nearest repository function below it on the stack", () => {
    const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber })
    const acc = accumulator("/repo")
    acc.add({
      startTime: 0,
      endTime: 4_000,
      nodes: [
        { id: 1, callFrame: frame("(root)", ""), children: [2] },
        { id: 2, callFrame: frame("dedupe", "file:///repo/src/dedupe.js", 1), children: [3, 4] },
        { id: 3, callFrame: frame("includes", "", -1) },
        { id: 4, callFrame: frame("isEqual", "file:///repo/node_modules/lodash/isEqual.js", 9) }
      ],
      samples: [3, 3, 4, 2],
      timeDeltas: [1_000, 1_000, 1_000, 1_000]
    })
    expect(acc.hotspots()).toEqual([{ file: "src/dedupe.js", name: "dedupe", line: 2, samples: 4, selfMs: 4, share: 1 }])
  })
})

describe("agent context: the repository map", () => {
  it("functions, arrow functions, methods and classes with signatures and the calls they make", () => {
    const symbols = symbolsOf(
      "src/a.ts",
      `export function dedupe<T>(items: ReadonlyArray<T>): Array<T> {
  return items.filter((x, i) => items.indexOf(x) === i)
}
export const total = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
class Cart {
  add(item: string) { this.items.push(item); log(item) }
}
`
    )
    expect(symbols.map((s) => [s.kind, s.name, s.startLine])).toEqual([
      ["function", "dedupe", 1],
      ["function", "total", 4],
      ["class", "Cart", 5],
      ["method", "add", 6]
    ])
    expect(symbols[0]!.signature).toBe("export function dedupe<T>(items: ReadonlyArray<T>): Array<T>")
    expect(symbols[0]!.calls).toEqual(["filter", "indexOf"])
    expect(symbols[1]!.signature).toBe("export const total = (xs: number[]): number =>")
    expect(symbols[3]!.calls).toEqual(["push", "log"])
  })

  it("renders focus files first and stays within the token budget, saying what it left out", () => {
    const root = mkdtempSync(join(tmpdir(), "ratchet-map-"))
    mkdirSync(join(root, "src"))
    for (let i = 0; i < 40; i++) writeFileSync(join(root, "src", `m${i}.js`), `export function f${i}(x) { return g${i}(x) }\nfunction g${i}(y) { return y + ${i} }\n`)
    writeFileSync(join(root, "src", "hot.js"), "export function hot(xs) { return xs.map(f3) }\n")
    const files = mapRepository(root)
    expect(files).toHaveLength(41)
    const map = renderMap(files, { focus: ["src/hot.js"], focusSymbols: ["f3"], budgetTokens: 120 })
    expect(map.split("\n")[0]).toBe("src/hot.js (2 lines)")
    expect(estimateTokens(map)).toBeLessThan(160)
    expect(map).toMatch(/… \d+ more file\(s\) left out to stay within 120 tokens$/)
  })
})
