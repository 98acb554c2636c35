import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Buffer } from "node:buffer"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import * as Scan from "../../src/Scan.js"
import * as ScanRule from "../../src/ScanRule.js"
import { makeRepo } from "./helpers.js"

const syncFs = (extra: Partial<ScanRule.QueryRuleOptions> = {}) =>
  ScanRule.query({
    name: "acme:sync-fs",
    query: `(call_expression
              function: (member_expression
                object: (identifier) @object
                property: (property_identifier) @method (#match? @method "Sync$"))) @match`,
    prefilter: "Sync(",
    where: (m) => m.captures.object!.text === "fs" && m.captures.method!.text !== "existsSync",
    kind: "performance",
    risk: "low",
    confidence: 0.6,
    rationale: (m) => `\`fs.${m.captures.method!.text}\` blocks the event loop`,
    ...extra
  })

describe("ScanRule.query", () => {
  it.effect("reports what the query and the predicate keep, with lines and UTF-8 byte ranges, in JS and TS", () =>
    Effect.gen(function* () {
      const js = "// héllo\nimport fs from 'node:fs'\nexport const a = () => fs.readFileSync('a')\nexport const b = () => fs.existsSync('b')\nexport const c = () => other.readFileSync('c')\n"
      const ts = "import * as fs from 'node:fs'\nexport function f(p: string): string {\n  return fs.readFileSync(p, 'utf8') as string\n}\n"
      const root = makeRepo({ "src/a.js": js, "src/b.ts": ts, "src/none.js": "export const x = 1\n" })
      const report = yield* Scan.scan(root, { builtins: false, plugins: [syncFs()], cache: false })
      expect(report.opportunities.map((o) => [o.rule, o.file, o.startLine, o.rationale])).toEqual([
        ["acme:sync-fs", "src/a.js", 3, "`fs.readFileSync` blocks the event loop"],
        ["acme:sync-fs", "src/b.ts", 3, "`fs.readFileSync` blocks the event loop"]
      ])
      const a = report.opportunities[0]!
      const bytes = Buffer.from(js, "utf8")
      expect(bytes.subarray(a.startByte!, a.endByte!).toString("utf8")).toBe("fs.readFileSync('a')")
      // the prefilter kept the file without `Sync(` from being parsed
      expect(report.stats.parsed).toBe(2)
    })
  )

  it.effect("reports the first capture when there is no `@match`, and can be limited to some languages", () =>
    Effect.gen(function* () {
      const root = makeRepo({ "a.js": "debugger\n", "b.ts": "debugger\n" })
      const rule = ScanRule.query({
        name: "acme:debugger",
        query: "(debugger_statement) @stmt",
        languages: ["typescript"],
        kind: "tech-debt",
        risk: "low",
        confidence: 0.9,
        rationale: "a debugger statement left in"
      })
      const report = yield* Scan.scan(root, { builtins: false, plugins: [rule], cache: false })
      expect(report.opportunities.map((o) => [o.file, o.startLine, o.rationale])).toEqual([["b.ts", 1, "a debugger statement left in"]])
    })
  )

  it.effect("runs from a ratchet.config on the scanner's worker threads, with the in-thread results", () =>
    Effect.gen(function* () {
      const scanRule = pathToFileURL(join(import.meta.dirname, "..", "..", "src", "ScanRule.ts")).href
      const files: Record<string, string> = {
        "ratchet.config.mjs": [
          `import { query } from ${JSON.stringify(scanRule)}`,
          "export default { plugins: [query({ name: 'acme:debugger', query: '(debugger_statement) @match', kind: 'tech-debt', risk: 'low', confidence: 0.9, rationale: 'debugger left in' })] }"
        ].join("\n")
      }
      const filler = "// filler so the tree is worth a worker\n".repeat(300)
      for (let i = 0; i < 12; i++) files[`src/m${i}.js`] = `${filler}export function f${i}() {\n  debugger\n}\n`
      const root = makeRepo(files)
      const config = yield* (yield* Effect.promise(() => import("../../src/Config.js"))).loadConfig(root)
      const parallel = yield* Scan.scan(root, { builtins: false, plugins: config.plugins, config, cache: false, concurrency: 2 })
      expect(parallel.warnings).toEqual([])
      expect(parallel.stats.workers).toBe(2)
      const serial = yield* Scan.scan(root, { builtins: false, plugins: config.plugins.map((p) => ({ ...p })), config, cache: false })
      expect(parallel.opportunities).toEqual(serial.opportunities)
      expect(parallel.opportunities.map((o) => `${o.file}:${o.startLine}`)).toHaveLength(12)
    })
  )

  it.effect("a config evaluated as data: workers rebuild its declarative rules and never import the file", () =>
    Effect.gen(function* () {
      const files: Record<string, string> = {
        // were this file imported here or on a worker, the marker would appear
        "ratchet.config.mjs": "import { writeFileSync } from 'node:fs'\nwriteFileSync(new URL('./IMPORTED', import.meta.url), 'x')\nexport default {}\n"
      }
      const filler = "// filler so the tree is worth a worker\n".repeat(300)
      for (let i = 0; i < 12; i++) files[`src/m${i}.js`] = `${filler}export function f${i}() {\n  debugger\n}\n`
      const root = makeRepo(files)
      const rule: ScanRule.QueryRuleData = { name: "acme:debugger", query: "(debugger_statement) @match", prefilter: { regexp: "debug+er" }, kind: "tech-debt", risk: "low", confidence: 0.9, rationale: "debugger left in" }
      const plugins = [ScanRule.fromData(rule)]
      const config = { plugins, file: join(root, "ratchet.config.mjs"), queryRules: [rule] }
      const parallel = yield* Scan.scan(root, { builtins: false, plugins, config, cache: false, concurrency: 2 })
      expect(parallel.warnings).toEqual([])
      expect(parallel.stats.workers).toBe(2)
      expect(parallel.opportunities).toHaveLength(12)
      expect(existsSync(join(root, "IMPORTED"))).toBe(false)
      expect(() => ScanRule.fromData({ ...rule, prefilter: { regexp: "(" } })).toThrow(/prefilter is not a valid regular expression/)
    })
  )

  it.effect("workers that ran a repository's rules never serve a scan without them", () =>
    Effect.gen(function* () {
      const files: Record<string, string> = {}
      const filler = "// filler so the tree is worth a worker\n".repeat(300)
      for (let i = 0; i < 12; i++) files[`src/m${i}.js`] = `${filler}export function f${i}() {\n  debugger\n}\n`
      const rule: ScanRule.QueryRuleData = { name: "acme:debugger", query: "(debugger_statement) @match", kind: "tech-debt", risk: "low", confidence: 0.9, rationale: "debugger left in" }
      const plugins = [ScanRule.fromData(rule)]
      const withRules = makeRepo(files)
      const ruled = yield* Scan.scan(withRules, { builtins: false, plugins, config: { plugins, file: join(withRules, "ratchet.config.mjs"), queryRules: [rule] }, cache: false, concurrency: 2 })
      expect(ruled.opportunities).toHaveLength(12)
      // another repository, large enough for a worker next to the main thread, scanned without any rule
      const big: Record<string, string> = {}
      for (let i = 0; i < 40; i++) big[`lib/m${i}.js`] = `${filler.repeat(2)}export function g${i}() {\n  debugger\n}\n`
      const plain = yield* Scan.scan(makeRepo(big), { builtins: false, plugins: [], cache: false, concurrency: 2 })
      expect(plain.opportunities).toEqual([])
    })
  )

  it("refuses a broken query when the rule is made, naming the plugin, the language and the reason", () => {
    const make = () => syncFs({ query: "(call_expression function: (no_such_node)) @match" })
    expect(make).toThrow(/the query is not valid for javascript/)
    try {
      make()
    } catch (error) {
      const e = error as { reason: { _tag: string }; message: string }
      expect(e.reason._tag).toBe("BadInput")
      expect(e.message).toContain('ScanRule.query("acme:sync-fs")')
    }
    expect(() => syncFs({ confidence: 2 })).toThrow(/confidence must be a number in \[0, 1\]/)
    expect(() => syncFs({ languages: ["cobol" as never] })).toThrow(/unknown language "cobol"/)
    // a query that uses a TypeScript-only node is fine once limited to TypeScript
    expect(() => ScanRule.query({ name: "t", query: "(type_annotation) @match", kind: "tech-debt", risk: "low", confidence: 0.5, rationale: "x" })).toThrow(/not valid for javascript/)
    expect(() => ScanRule.query({ name: "t", query: "(type_annotation) @match", languages: ["typescript", "tsx"], kind: "tech-debt", risk: "low", confidence: 0.5, rationale: "x" })).not.toThrow()
  })
})
