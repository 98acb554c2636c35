import { describe, expect, it } from "@effect/vitest"
import { Patchgen, SynthBench } from "@ratchet/core"

const original = [
  "import { helper } from './helper.js'",
  "",
  "export function slow(xs: number[], ys: number[]): number[] {",
  "  const out: number[] = []",
  "  for (const x of xs) if (ys.includes(x)) out.push(x)",
  "  return out",
  "}",
  "",
  "export const twice = (n: number) => helper(n) * 2",
  "",
  "class Box {",
  "  size() { return 1 }",
  "}",
  "",
  "async function load(id: string) {",
  "  return { id }",
  "}",
  ""
].join("\n")

describe("SynthBench source helpers", () => {
  it("finds the module-level functions a diff changes, and says why other changes have none", () => {
    const changed = original
      .replace("if (ys.includes(x))", "if (set.has(x))")
      .replace("  const out: number[] = []", "  const out: number[] = []\n  const set = new Set(ys)")
      .replace("size() { return 1 }", "size() { return 2 }")
      .replace("export const twice", "const cache = new Map()\nexport const twice")
    const diff = Patchgen.unifiedDiff("src/a.ts", original, changed)
    const { targets, skipped } = SynthBench.targetsOf(diff, (f) => (f === "src/a.ts" ? original : null))
    expect(targets).toEqual([{ file: "src/a.ts", name: "slow", line: 3 }])
    expect(skipped, JSON.stringify(skipped)).toEqual(["src/a.ts:9: lines added at module level", "src/a.ts:12: a class method (only module-level functions are captured)"])
  })

  it("instruments declarations (body inside the runtime's call) and expressions (wrapped), keeps TypeScript checkable", () => {
    const out = SynthBench.instrument(original, "src/a.ts", ["slow", "twice", "load", "Box"], "/tmp/hook.cjs")
    expect(out.instrumented).toEqual(["slow", "twice", "load"])
    expect(out.skipped).toEqual([{ name: "Box", reason: "Box is not a module-level function of src/a.ts" }])
    expect(out.source.startsWith("// @ts-nocheck\n")).toBe(true)
    expect(out.source).toContain('export function slow(xs: number[], ys: number[]): number[] { return __ratchet_rt().call("src/a.ts#slow", this, arguments, () => {')
    expect(out.source).toContain('export const twice = __ratchet_rt().wrap("src/a.ts#twice", (n: number) => helper(n) * 2, "twice")')
    expect(out.source).toContain('async function load(id: string) { return __ratchet_rt().call("src/a.ts#load", this, arguments, async () => {')
    expect(out.source).toContain('__ratchet_rt().register("src/a.ts#slow", slow)')
    expect(out.source).toContain('var path = "/tmp/hook.cjs"')
    // the result still parses
    expect(Patchgen.syntaxErrorOf("src/a.ts", out.source)).toBeNull()
  })

  it("CommonJS exports that are functions are targets too: module.exports = function f, exports.g = () => …", () => {
    const cjs = [
      "'use strict'",
      "module.exports = function score (type) {",
      "  return /^x-/.test(type) ? 1 : 2",
      "}",
      "exports.rank = (a, b) => a - b",
      "module.exports.label = function (t) { return t.trim() }",
      "exports = function ignored () {}",
      ""
    ].join("\n")
    const changed = cjs.replace("/^x-/.test(type)", "type.startsWith('x-')").replace("a - b", "b - a").replace("t.trim()", "t")
    const { targets } = SynthBench.targetsOf(Patchgen.unifiedDiff("m.js", cjs, changed), () => cjs)
    expect(targets).toEqual([
      { file: "m.js", name: "score", line: 2 },
      { file: "m.js", name: "rank", line: 5 },
      { file: "m.js", name: "label", line: 6 }
    ])
    const out = SynthBench.instrument(cjs, "m.js", ["score", "rank", "label", "ignored"], "/tmp/hook.cjs")
    expect(out.instrumented).toEqual(["score", "rank", "label"])
    expect(out.references).toEqual({ score: "module.exports", rank: "exports.rank", label: "module.exports.label" })
    expect(out.source).toContain('module.exports = __ratchet_rt().wrap("m.js#score", function score (type) {')
    expect(out.source).toContain('__ratchet_rt().register("m.js#score", module.exports)')
    expect(out.source).toContain('__ratchet_rt().register("m.js#rank", exports.rank)')
    // runs the same without a capture runtime
    const module = { exports: {} as Record<string, unknown> }
    new Function("module", "exports", out.source)(module, module.exports)
    expect(typeof module.exports).toBe("function")
  })

  it("instrumented JavaScript runs the same without a capture runtime", async () => {
    const js = "export function add(a, b) { return a + b }\nexport const neg = (x) => -x\n"
    const out = SynthBench.instrument(js, "m.js", ["add", "neg"], "/nonexistent/hook.cjs")
    const mod = await import(`data:text/javascript,${encodeURIComponent(out.source)}`)
    expect(mod.add(2, 3)).toBe(5)
    expect(mod.neg(4)).toBe(-4)
    expect(mod.neg.name).toBe("neg")
  })

  it("finds a cache across calls a candidate adds, and nothing else", () => {
    const memo = original.replace(
      "export const twice = (n: number) => helper(n) * 2",
      "const twiceCache = new Map<number, number>()\nexport const twice = (n: number) => {\n  let v = twiceCache.get(n)\n  if (v === undefined) twiceCache.set(n, (v = helper(n) * 2))\n  return v\n}"
    )
    expect(SynthBench.cachesAdded(original, memo, "src/a.ts")).toEqual(["twiceCache"])
    const objectCache = original.replace("export const twice", "const seen = {}\nfunction remember(k) { seen[k] = true }\nexport const twice")
    expect(SynthBench.cachesAdded(original, objectCache, "src/a.ts")).toEqual(["seen"])
    // a constant table is not a cache: nothing writes to it
    const table = original.replace("export const twice", "const LIMITS = new Set([1, 2])\nexport const twice")
    expect(SynthBench.cachesAdded(original, table, "src/a.ts")).toEqual([])
  })

  it("describes what was measured in plain words", () => {
    const capture: SynthBench.Capture = { target: { file: "src/a.ts", name: "slow" }, calls: 9, replayable: 7, tests: ["t/a.test.ts > one", "t/a.test.ts > two", "t/b.test.ts:4", "t/c.test.ts:9"], notReplayable: [], harness: null, warnings: [] }
    expect(SynthBench.describe(capture)).toBe("synthesized benchmark from 7 captured call(s) of slow (src/a.ts) from test(s) t/a.test.ts > one, t/a.test.ts > two, t/b.test.ts:4 and 1 more")
  })
})
