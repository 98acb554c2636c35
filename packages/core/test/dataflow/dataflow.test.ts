/**
 * The dataflow layer the templates share: loop regions (one definition), declared types (TS and JSDoc),
 * loop invariance with its hoist target, and value-use analysis (mutation / escape).
 */
import { describe, expect, it } from "@effect/vitest"
import { arrayElementType, declaredType, excludesNumbers } from "../../src/internal/dataflow/types.js"
import { fileInfo, type FileInfo } from "../../src/internal/dataflow/fileInfo.js"
import { enclosingRegions, hoistTarget } from "../../src/internal/dataflow/flow.js"
import { enclosingLoop, loopDepthOf } from "../../src/internal/dataflow/loops.js"
import { argumentsOf } from "../../src/internal/dataflow/nodes.js"
import { bindingsOf } from "../../src/internal/dataflow/scopes.js"
import { onlyRead, type ValueKind } from "../../src/internal/dataflow/values.js"
import { languageOf, parse, type SyntaxNode } from "../../src/internal/treeSitter.js"

const load = (path: string, text: string): FileInfo => {
  const language = languageOf(path)!
  return fileInfo(path, text, language, parse(text, language))
}

/** The first call/new expression whose text starts with `prefix`. */
const callAt = (file: FileInfo, prefix: string): SyntaxNode => {
  const found = [...file.nodes("call_expression"), ...file.nodes("new_expression")]
    .filter((n) => n.text.startsWith(prefix))
    .sort((a, b) => a.text.length - b.text.length)[0]
  if (!found) throw new Error(`no call starting with ${prefix}`)
  return found
}

describe("loop regions", () => {
  const cases: ReadonlyArray<[string, string, boolean]> = [
    ["for", "for (let i = 0; i < n; i++) f()", true],
    ["for…of", "for (const x of xs) f()", true],
    ["for…in", "for (const k in o) f()", true],
    ["while", "while (ok()) f()", true],
    ["do", "do f(); while (ok())", true],
    ["map", "xs.map(() => f())", true],
    ["filter", "xs.filter(function () { return f() })", true],
    ["some", "xs.some(() => f())", true],
    ["every", "xs.every(() => f())", true],
    ["find", "xs.find(() => f())", true],
    ["findIndex", "xs.findIndex(() => f())", true],
    ["forEach", "xs.forEach(() => f())", true],
    ["reduce", "xs.reduce((a) => f(), 0)", true],
    ["flatMap", "xs.flatMap(() => f())", true],
    ["sort comparator", "xs.sort(() => f())", true],
    ["promise callback", "p.then(() => f())", false],
    ["plain function", "function g() { f() }", false],
    ["loop iterable", "for (const x of f()) g()", false]
  ]
  for (const [name, code, looped] of cases) {
    it(`${name}: ${looped ? "repeats" : "runs once"}`, () => {
      const file = load("a.js", code)
      const call = callAt(file, "f(")
      expect(enclosingLoop(call) !== null).toBe(looped)
      expect(loopDepthOf(call)).toBe(looped ? 1 : 0)
    })
  }

  it("counts nested regions and stops at a plain function", () => {
    const file = load("a.js", "for (const a of as) as.map((b) => { function h() { xs.filter(() => f()) } })")
    const call = callAt(file, "f(")
    expect(enclosingRegions(call).map((r) => r.type)).toEqual(["arrow_function"])
    expect(loopDepthOf(call)).toBe(3)
  })
})

describe("declared types", () => {
  it("reads array element types from TS and JSDoc spellings", () => {
    expect(arrayElementType("string[]")).toBe("string")
    expect(arrayElementType("readonly string[]")).toBe("string")
    expect(arrayElementType("Array<string | number>")).toBe("string | number")
    expect(arrayElementType("ReadonlyArray<'a' | 'b'>")).toBe("'a' | 'b'")
    expect(arrayElementType("Array.<string>")).toBe("string")
    expect(arrayElementType("(string | null)[]")).toBe("string | null")
    expect(arrayElementType("string[] | undefined")).toBeNull()
    expect(arrayElementType("Record<string, number>")).toBeNull()
    expect(arrayElementType("[string, number]")).toBeNull()
  })

  it("knows which element types exclude numbers", () => {
    const file = load("a.ts", "interface Item { id: string }\ntype Id = number\nenum E { A }\n")
    expect(excludesNumbers(file, "string")).toBe(true)
    expect(excludesNumbers(file, "'a' | 'b' | null")).toBe(true)
    expect(excludesNumbers(file, "Item")).toBe(true)
    expect(excludesNumbers(file, "string | number")).toBe(false)
    expect(excludesNumbers(file, "Id")).toBe(false)
    expect(excludesNumbers(file, "E")).toBe(false)
    expect(excludesNumbers(file, "any")).toBe(false)
  })

  it("finds the declared type of TS parameters and JSDoc-documented JS parameters", () => {
    const ts = load("a.ts", "export function f(xs: ReadonlyArray<string>, n = 1) { return xs }\n")
    expect(declaredType(bindingsOf(ts, "xs")[0]!)).toBe("ReadonlyArray<string>")
    const js = load(
      "a.js",
      "/**\n * @param {string[]} names\n * @param {number} [limit]\n */\nexport function f(names, limit) {}\n/** @type {Array<string>} */\nconst all = load()\nconst g = /** nope */ (x) => x\n"
    )
    expect(declaredType(bindingsOf(js, "names")[0]!)).toBe("string[]")
    expect(declaredType(bindingsOf(js, "limit")[0]!)).toBeNull()
    expect(declaredType(bindingsOf(js, "all")[0]!)).toBe("Array<string>")
    expect(declaredType(bindingsOf(js, "x")[0]!)).toBeNull()
  })
})

describe("loop invariance and hoist targets", () => {
  const target = (code: string, prefix: string) => {
    const file = load("a.js", code)
    const call = callAt(file, prefix)
    return hoistTarget(file, call, argumentsOf(call))
  }

  it("hoists before the outermost region the inputs are invariant in", () => {
    const t = target("function f(rows, cols, json) {\n  for (const r of rows) {\n    for (const c of cols) g(JSON.parse(json), r, c)\n  }\n}\n", "JSON.parse")
    expect(t?.before.text.startsWith("for (const r of rows)")).toBe(true)
  })

  it("stops at the region that declares or writes an input", () => {
    const declared = target("function f(rows) {\n  for (const r of rows) {\n    for (const c of r.cols) out.push(JSON.parse(r.json).a + c)\n  }\n}\n", "JSON.parse")
    expect(declared?.before.text.startsWith("for (const c of r.cols)")).toBe(true)
    const written = target("function f(rows, json) {\n  for (const r of rows) {\n    json = r\n    for (const c of rows) g(JSON.parse(json), c)\n  }\n}\n", "JSON.parse")
    expect(written?.before.text.startsWith("for (const c of rows)")).toBe(true)
  })

  it("refuses inputs written by a closure, `this` across a function expression, and globals that may change", () => {
    expect(target("function f(xs) {\n  let p = 'a'\n  const w = () => { p = 'b' }\n  return xs.filter((x) => RegExp(p).test(x))\n}\n", "RegExp(")).toBeNull()
    expect(target("function f(xs) {\n  return xs.filter(function (x) { return RegExp(this.p).test(x) })\n}\n", "RegExp(")).toBeNull()
    expect(target("function f(xs) {\n  return xs.filter((x) => RegExp(window.p).test(x))\n}\n", "RegExp(")).toBeNull()
  })

  it("turns an expression-bodied arrow into the place to declare", () => {
    const t = target("const f = (xs, p) => xs.filter((x) => RegExp(p).test(x))\n", "RegExp(")
    expect(t?.arrowBody).toBe(true)
  })

  it("treats property reads as invariant only while nothing may change the object", () => {
    expect(target("function f(xs, o) {\n  return xs.map((x) => JSON.parse(o.json).a + x)\n}\n", "JSON.parse")).not.toBeNull()
    expect(target("function f(xs, o) {\n  return xs.map((x) => { o.json = x; return JSON.parse(o.json).a })\n}\n", "JSON.parse")).toBeNull()
    expect(target("function f(xs, o) {\n  return xs.map((x) => { touch(); return JSON.parse(o.json).a })\n}\n", "JSON.parse")).toBeNull()
    expect(target("function f(xs, o) {\n  return xs.map((x) => { o.reload(); return JSON.parse(o.json).a })\n}\n", "JSON.parse")).toBeNull()
  })
})

describe("value uses", () => {
  const read = (code: string, prefix: string, kind: ValueKind) => {
    const file = load("a.js", code)
    return onlyRead(file, callAt(file, prefix), kind)
  }

  it("accepts reads of parsed data, through aliases, destructuring and read-only callbacks", () => {
    expect(read("const a = JSON.parse(s).items.some((i) => i.id === k)", "JSON.parse", "data")).toBe(true)
    expect(read("const { items, limit } = JSON.parse(s); use(items.length > limit)", "JSON.parse", "data")).toBe(true)
    expect(read("for (const { id } of JSON.parse(s)) total += id", "JSON.parse", "data")).toBe(true)
  })

  it("refuses parsed data that is mutated, kept or handed on", () => {
    expect(read("const o = JSON.parse(s); o.x = 1", "JSON.parse", "data")).toBe(false)
    expect(read("out.push(JSON.parse(s))", "JSON.parse", "data")).toBe(false)
    expect(read("const o = JSON.parse(s); return o.items", "JSON.parse", "data")).toBe(false)
    expect(read("JSON.parse(s).items.sort()", "JSON.parse", "data")).toBe(false)
    expect(read("const o = JSON.parse(s); delete o.x", "JSON.parse", "data")).toBe(false)
  })

  it("separates stateless regex uses from those that read lastIndex", () => {
    expect(read("RegExp(p).test(s)", "RegExp", "regexp")).toBe(true)
    expect(read("s.replace(RegExp(p, 'g'), '')", "RegExp", "regexp-global")).toBe(true)
    expect(read("RegExp(p, 'g').test(s)", "RegExp", "regexp-global")).toBe(false)
    expect(read("const re = RegExp(p); re.lastIndex = 3", "RegExp", "regexp")).toBe(false)
  })

  it("lets sets be looked up but not changed", () => {
    expect(read("if (new Set(xs).has(v)) n++", "new Set", "set")).toBe(true)
    expect(read("const s = new Set(xs); s.add(v)", "new Set", "set")).toBe(false)
  })
})
