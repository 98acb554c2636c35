import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Plugin, ScanFile } from "../../src/Plugin.js"
import * as Scan from "../../src/Scan.js"
import type { SyntaxNode, Tree } from "../../src/internal/treeSitter.js"
import { idleWorkerCount } from "../../src/internal/scan/pool.js"
import { makeRepo, writeFiles } from "./helpers.js"

/** A real AST rule: every `x.includes(y)` call, through the shared lazy tree. */
const includesRule: Plugin = {
  name: "test:includes",
  scan: (file: ScanFile, context) => {
    if (!file.text.includes(".includes(")) return []
    const tree = context.tree() as Tree
    return tree.rootNode
      .descendantsOfType("call_expression")
      .filter((call: SyntaxNode) => call.childForFieldName("function")?.childForFieldName("property")?.text === "includes")
      .map((call: SyntaxNode) => ({
        rule: "test:includes",
        kind: "performance" as const,
        startLine: call.startPosition.row + 1,
        endLine: call.endPosition.row + 1,
        startByte: Buffer.byteLength(file.text.slice(0, call.startIndex)),
        endByte: Buffer.byteLength(file.text.slice(0, call.endIndex)),
        rationale: "membership test",
        risk: "low" as const,
        confidence: 0.9
      }))
  }
}

const base = { builtins: false, plugins: [includesRule, Scan.textHeuristics()] } satisfies Scan.ScanOptions

const loopFile = [
  "export function outside(xs, y) {",
  "  return xs.includes(y)",
  "}",
  "export function inside(xs, ys) {",
  "  for (const y of ys) {",
  "    if (xs.includes(y)) count++",
  "  }",
  "}",
  "export function hot(xs, y) {",
  "  return xs.includes(y)",
  "}",
  "for (const y of ys) hot(xs, y)"
].join("\n")

describe("Scan.scan", () => {
  it.effect("ranks opportunities inside loops and hot call sites first, with stable ids and UTF-8 byte ranges", () =>
    Effect.gen(function* () {
      const root = makeRepo({ "src/a.js": loopFile, "src/ü.ts": 'const s = "ümlaut"; ok = list.includes(s)\n' })
      const result = yield* Scan.scan(root, { ...base, cache: false })
      expect(result.stats.files).toBe(2)
      expect(result.stats.bytes).toBe(Buffer.byteLength(loopFile) + Buffer.byteLength('const s = "ümlaut"; ok = list.includes(s)\n'))
      expect(result.opportunities.map((o) => `${o.file}:${o.startLine}`)).toEqual(["src/a.js:6", "src/a.js:10", "src/a.js:2", "src/ü.ts:1"])
      const umlaut = result.opportunities[3]!
      const bytes = readFileSync(join(root, "src/ü.ts"))
      expect(bytes.subarray(umlaut.startByte!, umlaut.endByte!).toString()).toBe("list.includes(s)")
      expect(new Set(result.opportunities.map((o) => o.id)).size).toBe(4)
      const again = yield* Scan.scan(root, { ...base, cache: false })
      expect(again.opportunities.map((o) => o.id)).toEqual(result.opportunities.map((o) => o.id))
      // Editing the code of one opportunity changes its id, not the others'.
      writeFileSync(join(root, "src/a.js"), loopFile.replace("return xs.includes(y)\n}\nexport function inside", "return xs.includes(z)\n}\nexport function inside"))
      const edited = yield* Scan.scan(root, { ...base, cache: false })
      const ids = (r: Scan.ScanReport) => new Set(r.opportunities.map((o) => o.id))
      expect([...ids(edited)].filter((id) => !ids(result).has(id))).toHaveLength(1)
    })
  )

  it("ranks low-benefit performance findings (a hoisted regex literal) after every finding that can pay", () => {
    const literal = Scan.score({ kind: "performance", confidence: 0.5, risk: "low", benefit: 0.05, loopDepth: 3, hot: true })
    const modest = Scan.score({ kind: "performance", confidence: 0.4, risk: "medium", benefit: 0.2, loopDepth: 0 })
    expect(literal).toBeLessThan(modest)
    expect(Scan.score({ kind: "performance", confidence: 0.5, risk: "low", loopDepth: 0 })).toBeGreaterThan(literal)
  })

  it.effect("ranks findings in functions a CPU profile shows as hot first, and start-up / build code last", () =>
    Effect.gen(function* () {
      const fn = (name: string) => `export function ${name}(xs, y) {\n  return xs.includes(y)\n}\n`
      const root = makeRepo({ "src/a.js": fn("plain"), "src/b.js": `${fn("other")}${fn("busy")}`, "scripts/build.js": fn("build"), "src/cli.js": fn("main") })
      const at = (file: string, line: number) => ({ functionName: "f", url: pathToFileURL(join(root, file)).href, lineNumber: line - 1, columnNumber: 0 })
      // `busy` (src/b.js line 4) takes 30% of the samples, `plain` 0.5% (through a call it makes): below the 1% share
      const profile = {
        nodes: [
          { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, hitCount: 0, children: [2, 3, 4] },
          { id: 2, callFrame: at("src/b.js", 4), hitCount: 60 },
          { id: 3, callFrame: at("src/a.js", 1), hitCount: 0, children: [5] },
          { id: 4, callFrame: { functionName: "(idle)", url: "", lineNumber: -1 }, hitCount: 139 },
          { id: 5, callFrame: { functionName: "includes", url: "", lineNumber: -1 }, hitCount: 1 }
        ]
      }
      writeFileSync(join(root, "profile.cpuprofile"), JSON.stringify(profile))
      const result = yield* Scan.scan(root, { builtins: false, plugins: [includesRule], cache: false, profile: "profile.cpuprofile" })
      expect(result.opportunities.map((o) => `${o.file}:${o.startLine}`)).toEqual(["src/b.js:5", "src/a.js:2", "src/b.js:2", "scripts/build.js:2", "src/cli.js:2"])
      const broken = yield* Effect.flip(Scan.scan(root, { builtins: false, plugins: [includesRule], cache: false, profile: "missing.cpuprofile" }))
      expect(broken.message).toMatch(/cannot read the CPU profile/)
      expect(Scan.isStartupPath("bin/cli.js")).toBe(true)
      expect(Scan.isStartupPath("webpack.config.js")).toBe(true)
      expect(Scan.isStartupPath("src/builder.js")).toBe(false)
    })
  )

  it.effect("a method called from an iteration callback is a hot call site (private methods too)", () =>
    Effect.gen(function* () {
      const text = [
        "export class C {",
        "  #cold(xs, y) {",
        "    return xs.includes(y)",
        "  }",
        "  #hot(xs, y) {",
        "    return xs.includes(y)",
        "  }",
        "  warm(xs, y) {",
        "    return xs.includes(y)",
        "  }",
        "  run(xs, ys) {",
        "    this.#cold(xs, 1)",
        "    ys.forEach((y) => this.#hot(xs, y))",
        "    for (const y of ys) this.warm(xs, y)",
        "  }",
        "}"
      ].join("\n")
      const root = makeRepo({ "src/c.js": text })
      const result = yield* Scan.scan(root, { ...base, cache: false })
      expect(result.opportunities.map((o) => o.startLine)).toEqual([6, 9, 3])
    })
  )

  it.effect("caches per-file results on disk: a re-scan after editing one file reparses only that file", () =>
    Effect.gen(function* () {
      const files: Record<string, string> = {}
      for (let i = 0; i < 12; i++) files[`src/f${i}.ts`] = `export const f${i} = (xs: number[], y: number) => xs.includes(y + ${i})\n`
      const root = makeRepo(files)
      // the cache lives outside the repository (by default under the user's cache directory)
      const cached = { ...base, cache: `${root}-cache` }
      const cold = yield* Scan.scan(root, cached)
      expect(cold.stats).toMatchObject({ files: 12, cached: 0, parsed: 12 })
      const warm = yield* Scan.scan(root, cached)
      expect(warm.stats).toMatchObject({ files: 12, cached: 12, parsed: 0 })
      expect(warm.opportunities).toEqual(cold.opportunities)
      // A warm scan of an unchanged repository leaves the index file alone …
      const index = join(`${root}-cache`, "index.json")
      const written = statSync(index, { bigint: true })
      expect((yield* Scan.scan(root, cached)).stats).toMatchObject({ cached: 12, parsed: 0 })
      const after = statSync(index, { bigint: true })
      expect([after.ino, after.mtimeNs]).toEqual([written.ino, written.mtimeNs])
      // … and an index another process replaced is read again, not the copy this process remembers.
      const replaced = JSON.parse(readFileSync(index, "utf8")) as { files: Record<string, { result: { opportunities: Array<unknown> } }> }
      replaced.files["src/f0.ts"]!.result.opportunities = []
      writeFileSync(`${index}.other`, JSON.stringify(replaced))
      renameSync(`${index}.other`, index)
      expect((yield* Scan.scan(root, cached)).opportunities.some((o) => o.file === "src/f0.ts")).toBe(false)
      writeFiles(root, { "src/f0.ts": `${files["src/f0.ts"]}// edited\n` })
      expect((yield* Scan.scan(root, cached)).opportunities.some((o) => o.file === "src/f0.ts")).toBe(true)
      writeFiles(root, { "src/f3.ts": "export const f3 = (xs: number[]) => xs.includes(3) || xs.includes(4)\n" })
      const edited = yield* Scan.scan(root, cached)
      expect(edited.stats).toMatchObject({ files: 12, cached: 11, parsed: 1 })
      expect(edited.opportunities.filter((o) => o.file === "src/f3.ts")).toHaveLength(2)
      // Touching a file without changing it costs a hash, not a parse.
      const f5 = join(root, "src/f5.ts")
      writeFileSync(f5, readFileSync(f5))
      expect((yield* Scan.scan(root, cached)).stats).toMatchObject({ cached: 12, parsed: 0 })
      // A different rule set does not reuse the cache.
      const other = yield* Scan.scan(root, { ...cached, plugins: [includesRule] })
      expect(other.stats.cached).toBe(0)
      // A corrupt cache is rebuilt with a warning.
      expect(existsSync(join(root, ".ratchet"))).toBe(false)
      writeFileSync(join(`${root}-cache`, "index.json"), "{not json")
      const rebuilt = yield* Scan.scan(root, { ...cached, plugins: [includesRule] })
      expect(rebuilt.warnings.some((w) => w.includes("corrupt"))).toBe(true)
      expect(rebuilt.opportunities).toHaveLength(13)
    })
  )

  it.effect("scans on worker threads with config-file plugins, with the same results as in-thread", () =>
    Effect.gen(function* () {
      const files: Record<string, string> = {
        "ratchet.config.mjs": [
          "export default {",
          "  plugins: [{",
          '    name: "acme:todo",',
          "    scan: (file) => file.text.split('\\n').flatMap((line, i) => line.includes('TO' + 'DO') ? [{ rule: 'acme:todo', kind: 'tech-debt', startLine: i + 1, endLine: i + 1, rationale: 'a to-do note', risk: 'low', confidence: 0.5 }] : [])",
          "  }]",
          "}"
        ].join("\n")
      }
      const filler = `${"// filler line to make the file big enough for workers\n".repeat(400)}`
      for (let i = 0; i < 16; i++) files[`src/m${i}.js`] = `${filler}// TODO ${i}\nfor (const x of xs) { await save(x) }\n`
      const root = makeRepo(files)
      const config = yield* (yield* Effect.promise(() => import("../../src/Config.js"))).loadConfig(root)
      const parallel = yield* Scan.scan(root, { builtins: false, plugins: config.plugins, config, cache: false, concurrency: 2 })
      expect(parallel.stats.workers).toBe(2)
      expect(parallel.warnings).toEqual([])
      // Copies of the plugins are not the config file's own objects: they run on the main thread.
      const serial = yield* Scan.scan(root, { builtins: false, plugins: config.plugins.map((p) => ({ ...p })), config, cache: false })
      expect(serial.stats.workers).toBe(0)
      expect(parallel.opportunities).toEqual(serial.opportunities)
      expect(parallel.opportunities.map((o) => `${o.file}:${o.startLine}`)).toHaveLength(16)
      // With the built-ins, workers load the templates and text heuristics themselves.
      const withBuiltins = yield* Scan.scan(root, { plugins: config.plugins, config, cache: false, concurrency: 2, rules: { "ratchet:*": "off", "ratchet:text-heuristics": "on" } })
      expect(withBuiltins.stats.workers).toBe(2)
      expect(withBuiltins.warnings).toEqual([])
      expect(withBuiltins.opportunities.filter((o) => o.rule === "text:await-in-loop")).toHaveLength(16)
      expect(withBuiltins.opportunities.filter((o) => o.rule === "acme:todo")).toHaveLength(16)
      expect(withBuiltins.opportunities).toHaveLength(32)
    })
  )

  it.live("built-in scans of a large tree use concurrency − 1 workers next to the main thread, with the same results", () =>
    Effect.gen(function* () {
      const files: Record<string, string> = {}
      const body = (i: number) =>
        [
          `export function f${i}(xs) {`,
          "  let out = ''",
          "  for (const x of xs) {",
          "    if (/^a+b$/.test(x)) out += `${x},`",
          "  }",
          "  return out",
          "}",
          ""
        ].join("\n")
      // ~0.9 MB of sources: past the size where starting a worker pays off
      for (let i = 0; i < 60; i++) files[`src/m${i}.js`] = `${"// padding so the tree is large enough for a worker pool\n".repeat(260)}${body(i)}`
      const root = makeRepo(files)
      // On a busy machine the main thread may scan every file before a new worker is ready: that worker is
      // kept all the same, and the next scan takes it once it is ready.
      const first = yield* Scan.scan(root, { cache: false, concurrency: 2 })
      expect(first.warnings).toEqual([])
      expect(idleWorkerCount()).toBe(1)
      for (let waited = 0; idleWorkerCount("ready") === 0 && waited < 20_000; waited += 20) yield* Effect.sleep("20 millis")
      expect(idleWorkerCount("ready")).toBe(1)
      const parallel = yield* Scan.scan(root, { cache: false, concurrency: 2 })
      expect(parallel.stats.workers).toBe(1)
      expect(parallel.warnings).toEqual([])
      expect(idleWorkerCount("ready")).toBe(1)
      const serial = yield* Scan.scan(root, { cache: false, concurrency: 1 })
      expect(serial.stats.workers).toBe(0)
      expect(parallel.opportunities).toEqual(serial.opportunities)
      expect(first.opportunities).toEqual(serial.opportunities)
      expect(parallel.opportunities.filter((o) => o.rule === "regexp-hoist")).toHaveLength(60)
      expect(parallel.opportunities.filter((o) => o.rule === "string-join")).toHaveLength(60)
      // The next scan reuses the idle worker, here for another repository: same results as in-thread.
      const other = makeRepo(Object.fromEntries(Object.entries(files).map(([path, text]) => [path.replace("src/", "lib/"), text])))
      const again = yield* Scan.scan(other, { cache: false, concurrency: 2 })
      expect(again.stats.workers).toBe(1)
      expect(again.warnings).toEqual([])
      expect(idleWorkerCount()).toBe(1)
      const otherSerial = yield* Scan.scan(other, { cache: false, concurrency: 1 })
      expect(again.opportunities).toEqual(otherSerial.opportunities)
      expect(again.opportunities.every((o) => o.file.startsWith("lib/"))).toBe(true)
    })
  )
})
