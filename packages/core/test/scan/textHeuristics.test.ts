import { describe, expect, it } from "@effect/vitest"
import type { OpportunityInput, ScanContext } from "../../src/Plugin.js"
import { maskCode, textHeuristics } from "../../src/internal/scan/textHeuristics.js"

const run = (text: string, path = "src/file.ts"): ReadonlyArray<OpportunityInput> => {
  const plugin = textHeuristics()
  const context: ScanContext = { root: "/repo", tree: () => { throw new Error("text rules must not parse") } }
  return (plugin.scan as (f: unknown, c: ScanContext) => ReadonlyArray<OpportunityInput>)({ path, text, language: "typescript" }, context)
}
const rules = (text: string): Array<string> => run(text).map((o) => `${o.rule}@${o.startLine}`)

describe("maskCode", () => {
  it("blanks comments, strings, template text and regex literals, keeping offsets and code", () => {
    const src = [
      'const a = "for (x) { await y }" // await z',
      "/* readFileSync( */ const b = 'reduce'",
      "const c = `t ${a + `in ${b}`} await`",
      "const d = x / 2 / y, e = /await\\/[/]/g.test(s)",
      "return /for (/.source"
    ].join("\n")
    const masked = maskCode(src)
    expect(masked.length).toBe(src.length)
    expect(masked.split("\n").length).toBe(5)
    expect(masked).not.toMatch(/await|readFileSync|reduce|for \(/)
    expect(masked).toContain("const a = \"")
    expect(masked).toContain("${a + `")
    expect(masked).toContain("${b}`}")
    expect(masked).toContain("const d = x / 2 / y")
    expect(masked).toContain(".test(s)")
  })
})

describe("text:await-in-loop", () => {
  it("reports a for loop whose body awaits independent work", () => {
    const found = run(["async function load(ids) {", "  const out = []", "  for (const id of ids) {", "    out.push(await fetchOne(id))", "  }", "  return out", "}"].join("\n"))
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({ rule: "text:await-in-loop", kind: "performance", startLine: 3, endLine: 5, risk: "medium" })
  })

  it("stays silent on early exits, for-await, awaits in nested functions, strings and comments", () => {
    expect(rules("async function f(xs) { for (const x of xs) { if (await ok(x)) break } }")).toEqual([])
    expect(rules("async function f(xs) { for (const x of xs) { const r = await get(x); if (r) return r } }")).toEqual([])
    expect(rules("async function f(s) { for await (const chunk of s) { await write(chunk) } }")).toEqual([])
    expect(rules("function f(xs) { for (const x of xs) { tasks.push(async () => { await run(x) }) } }")).toEqual([])
    expect(rules("function f(xs) { for (const x of xs) { tasks.push(async () => await run(x)) } }")).toEqual([])
    expect(rules('function f(xs) { for (const x of xs) { log("await me") } } // for (;;) { await x }')).toEqual([])
    expect(rules("async function f() { while (more) { more = await page() } }")).toEqual([])
  })
})

describe("text:sync-fs-in-handler", () => {
  it("reports synchronous fs calls inside Express, Next.js and Hono handlers", () => {
    const express = ['app.get("/users", (req, res) => {', '  const data = fs.readFileSync("users.json", "utf8")', "  res.json(JSON.parse(data))", "})"].join("\n")
    expect(rules(express)).toEqual(["text:sync-fs-in-handler@2"])
    const next = ["export async function GET(request: Request) {", "  if (existsSync(path)) return new Response(readFileSync(path))", "}"].join("\n")
    expect(rules(next)).toEqual(["text:sync-fs-in-handler@2", "text:sync-fs-in-handler@2"])
    const hono = ['app.post("/x", async (c) => {', "  writeFileSync(out, await c.req.text())", '  return c.text("ok")', "})"].join("\n")
    expect(rules(hono)).toEqual(["text:sync-fs-in-handler@2"])
  })

  it("stays silent outside handlers, on other objects' methods, and in strings", () => {
    expect(rules('const config = JSON.parse(fs.readFileSync("config.json", "utf8"))\napp.get("/", (req, res) => res.json(config))')).toEqual([])
    expect(rules("function build() { return readFileSync(p) }")).toEqual([])
    expect(rules('app.get("/", (req, res) => { cache.readFileSync(k); res.send("readFileSync(x)") })')).toEqual([])
  })
})

describe("text:spread-in-reduce", () => {
  it("reports reducers that copy their accumulator every step", () => {
    expect(rules("const all = xs.reduce((acc, x) => [...acc, x * 2], [])")).toEqual(["text:spread-in-reduce@1"])
    expect(rules("const byId = xs.reduce((acc, x) => ({ ...acc, [x.id]: x }), {})")).toEqual(["text:spread-in-reduce@1"])
    expect(rules("const m = xs.reduce((memo: Record<string, X>, x) => {\n  return { ...memo, [x.k]: x }\n}, {})")).toEqual(["text:spread-in-reduce@1"])
  })

  it("stays silent when the accumulator is mutated or another value is spread", () => {
    expect(rules("const all = xs.reduce((acc, x) => { acc.push(x); return acc }, [])")).toEqual([])
    expect(rules("const all = xs.reduce((acc, x) => [...x.items, acc], [])")).toEqual([])
    expect(rules("const sum = xs.reduce((a, b) => a + b, 0)")).toEqual([])
  })
})

describe("text heuristics on hostile input", () => {
  it("terminates on unbalanced, deeply repeated constructs", () => {
    const hostile = [
      "await x",
      "for (a) { function f(".repeat(20_000),
      "app.get('/', (req, res) => {".repeat(5_000) + "readFileSync(p)".repeat(5_000),
      "xs.reduce((acc, x) => ".repeat(20_000),
      "for (;;) { await y ".repeat(20_000)
    ].join("\n")
    const found = run(hostile)
    expect(Array.isArray(found)).toBe(true)
    expect(found.every((o) => o.rule.startsWith("text:"))).toBe(true)
  })
})

describe("text heuristics offsets", () => {
  it("reports UTF-8 byte offsets on non-ASCII text", () => {
    const text = 'const é = "ü"\nconst all = xs.reduce((acc, x) => [...acc, x], [])'
    const [found] = run(text)
    const bytes = Buffer.from(text, "utf8")
    expect(bytes.subarray(found!.startByte!, found!.startByte! + 6).toString()).toBe("reduce")
  })
})
