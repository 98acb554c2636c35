/**
 * The templates' text prefilters decide which files are parsed at all, so they must never reject a file on
 * which the template's `find` reports: each prefilter is a necessary condition of its safety rules.
 * Checked on every golden and negative fixture, and on sources written to stress the gates (unusual
 * spacing, optional chaining, declaration lists, type annotations, aliases).
 */
import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import * as NodePath from "node:path"
import { all } from "../../src/internal/templates/all.js"
import { fileInfo, nodesOfType } from "../../src/internal/dataflow/fileInfo.js"
import { isModuleLevelAt, mayBeInLoopAt, mayBeLookupArray, mayBeProvableArray, mayBeProvableArrayAt, receiversOf } from "../../src/internal/templates/gates.js"
import { enclosingLoop } from "../../src/internal/dataflow/loops.js"
import type { SyntaxNode } from "../../src/internal/treeSitter.js"
import { languageOf, parse } from "../../src/internal/treeSitter.js"

const root = NodePath.join(import.meta.dirname, "fixtures")
const isSource = (f: string) => /\.(?:[cm]?[jt]s|[jt]sx)$/.test(f)

/** Findings of a template with its prefilter bypassed. */
const findAll = (path: string, text: string, id: string): number => {
  const language = languageOf(path)!
  const template = all.find((t) => t.id === id)!
  return template.find(fileInfo(path, text, language, parse(text, language))).length
}
const prefilterOf = (id: string) => all.find((t) => t.id === id)!.prefilter

describe("template prefilters", () => {
  for (const template of all) {
    it(`${template.id}: passes every fixture it has findings on`, () => {
      const dir = NodePath.join(root, template.id)
      const files = [
        ...readdirSync(dir).filter(isSource).map((f) => NodePath.join(dir, f)),
        ...readdirSync(NodePath.join(dir, "negative")).filter(isSource).map((f) => NodePath.join(dir, "negative", f))
      ]
      // every template's fixtures, so a gate is also checked on code written for the others
      const others = all.flatMap((t) => readdirSync(NodePath.join(root, t.id)).filter(isSource).map((f) => NodePath.join(root, t.id, f)))
      let positives = 0
      for (const file of [...files, ...others]) {
        const text = readFileSync(file, "utf8")
        if (findAll(file, text, template.id) === 0) continue
        positives++
        expect(template.prefilter(text), `${template.id} prefilter rejected ${NodePath.relative(root, file)}`).toBe(true)
      }
      expect(positives).toBeGreaterThan(0)
    })
  }

  const stress: ReadonlyArray<{ id: string; path: string; text: string }> = [
    {
      id: "match-test",
      path: "named.js",
      text: "const PATTERN = /^\\s+$/\nexport function blank(node) {\n  if (node.value.match(PATTERN)) return true\n  return false\n}\n"
    },
    {
      id: "set-membership",
      path: "spacing.ts",
      text: "const ALLOWED = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']\nexport const f = (xs: string[]) => {\n  let n = 0\n  for (const x of xs) if (ALLOWED\n    .includes (x)) n++\n  return n\n}\n"
    },
    {
      id: "set-membership",
      path: "list.js",
      text: "const other = 1, KEYS = Object.keys(globalThis)\nexport function f(xs) {\n  let n = 0\n  for (const x of xs) if (KEYS.includes(x)) n++\n  return n + other\n}\n"
    },
    {
      id: "set-membership",
      path: "jsdoc.js",
      text: "/**\n * @param {Array<{ id: string }>} items\n * @param {string[]} [unused]\n * @param { string[] } allowed\n */\nexport function f(items, unused, allowed) {\n  return items.filter((i) => allowed.includes(i.id))\n}\n"
    },
    {
      id: "set-membership",
      path: "mapped.js",
      text: "export function f(items, rows) {\n  const ids = items\n    .filter(Boolean)\n    .map((i) => i.id)\n  return rows.filter((r) => ids.includes(r.id))\n}\n"
    },
    {
      id: "set-membership",
      path: "typed.js",
      text: "/** @type {Array<string>} */\nconst names = load()\nexport function f(rows) {\n  return rows.filter((r) => names.includes(r.name))\n}\n"
    },
    {
      id: "set-membership",
      path: "field.ts",
      text: "export class Filter {\n  private readonly allowed: string[]\n  constructor(allowed: string[]) {\n    this.allowed = allowed\n  }\n  keep(xs: string[]): string[] {\n    return xs.filter((x) => this.allowed.includes(x))\n  }\n}\n"
    },
    {
      id: "set-membership",
      path: "alias.ts",
      text: "const BASE = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] as const\nconst NAMES: readonly string[] = BASE\nexport const f = (xs: string[]) => xs.filter((x) => { for (;;) return NAMES.includes(x) })\n"
    },
    {
      id: "set-membership",
      path: "definite.ts",
      text: "export class Filter {\n  allowed!: ReadonlyArray<string>\n  keep(xs: string[]): string[] {\n    return xs.filter((x) => this . allowed\n      .includes(x))\n  }\n}\n"
    },
    {
      id: "set-membership",
      path: "property.ts",
      text: "export class Filter {\n  constructor(private readonly allowed: (string | boolean)[]) {}\n  keep(xs: string[]): string[] {\n    return xs.filter((x) => this.allowed.includes(x))\n  }\n}\n"
    },
    {
      id: "loop-invariant",
      path: "forhead.js",
      text: "export function f(rows, text) {\n  for (let i = 0, n = rows.length; i < n && rows[i]; i++) for (const k of Object.keys(rows[i])) if (k === JSON.parse(text).key) n++\n  return n\n}\nlet n = 0\n"
    },
    {
      id: "map-index",
      path: "param.ts",
      text: "export function f(users: Array<{ id: string }>, ids: string[]) {\n  const out = []\n  for (const id of ids) out.push(users.find((u) => u.id === id))\n  return out\n}\n"
    },
    {
      id: "for-of",
      path: "forin.ts",
      text: "export function f(xs: number[]) {\n  let s = 0\n  for (const i in (xs)) {\n    s += xs[i]\n  }\n  return s\n}\n"
    },
    {
      id: "for-of",
      path: "keys.js",
      text: "export function f(o) {\n  const out = []\n  Object.keys(o)\n    .forEach((k) => { out.push(k) })\n  return out\n}\n"
    },
    {
      id: "json-hoist",
      path: "json.js",
      text: "const HEADERS = { accept: 'json' }\nexport function f(xs) {\n  return xs.map((x) => JSON.stringify((HEADERS), null, 2) + x)\n}\n"
    },
    {
      id: "string-join",
      path: "join.js",
      text: "export function f(xs) {\n  let a = 0, s = ''\n  for (const x of xs) s  += `${x},`\n  return s + a\n}\n"
    },
    {
      id: "promise-all",
      path: "await.js",
      text: "async function load(x) { return x }\nexport async function f(xs) {\n  for (const [x] of xs) {\n    await load(x)\n  }\n}\n"
    },
    {
      id: "promise-all",
      path: "push.js",
      text: "async function load(x) { return x }\nexport async function f(xs) {\n  const out = []\n  for (const x of xs.filter(Boolean)) out\n    .push(await load(x))\n  return out\n}\n"
    },
    {
      id: "regexp-hoist",
      path: "class.js",
      text: "export function f(xs) {\n  return xs.filter((x) => /[/a-z]+\\/x/i.test(x))\n}\n"
    },
    {
      id: "regexp-hoist",
      path: "assign.js",
      text: "export function f(s) {\n  let m\n  if ( m = /^(\\w+)\\((.*)\\)/.exec( s ) ) return m[1]\n  return null\n}\n"
    },
    {
      id: "map-filter-fusion",
      path: "chain.ts",
      text: "export function f(xs: number[]) {\n  const out = xs\n    .filter((x) => x > 1)\n    .map((x) => x * 2)\n  return out\n}\n"
    }
  ]
  for (const c of stress) {
    it(`${c.id}: gate passes ${c.path}`, () => {
      expect(findAll(c.path, c.text, c.id), "the case must be a real finding").toBeGreaterThan(0)
      expect(prefilterOf(c.id)(c.text)).toBe(true)
    })
  }

  it("regexp-hoist's gate ignores regexes it could never hoist", () => {
    const gate = prefilterOf("regexp-hoist")
    // a `g` regex used as a replace/split pattern can be shared (they leave lastIndex at 0); with test it cannot
    expect(gate("export const f = (s) => s.replace(/a/g, 'b')\n")).toBe(true)
    expect(gate("export const f = (s) => /a/g.test(s)\n")).toBe(false)
    expect(gate("export const f = (s) => s.split(/,/y)\n")).toBe(false)
    expect(gate("// see https://example.com/a/b\nexport const f = (a, b) => a / b\n")).toBe(false)
    expect(gate("export const f = (s) => new RegExp('a').test(s)\n")).toBe(true)
    expect(gate("export const f = (s) => new RegExp('a' + s).test(s)\n")).toBe(false)
    // after `=`: a `var`/`let` or a plain assignment can change, a `const` or a direct use cannot
    expect(gate("export function f(s) {\n  var re = /a+/\n  return re.test(s)\n}\n")).toBe(false)
    expect(gate("export function f(s) {\n  const re = /a+/\n  return re.test(s)\n}\n")).toBe(true)
    expect(gate("export function f(s) {\n  let m\n  if ((m = /^(a+)$/.exec(s))) return m[1]\n}\n")).toBe(true)
    // object property values and later arguments are never hoisted; string-method patterns are
    expect(gate("export const tokens = () => [{ name: 'id', pattern: /[a-z]+/ }]\n")).toBe(false)
    expect(gate("export const f = (s) => s.replace(/a/, 'b')\n")).toBe(true)
    expect(gate("export const f = (s) => s.split((/,/))\n")).toBe(true)
    // in a comment or a string there is no regex; a module-level `const` is created once already
    expect(gate("/*\nconst debug = (n) => { if ( /^(a|b)/.test( n ) ) log(n) }\n*/\nexport class A {}\n")).toBe(false)
    expect(gate("export const doc = 'use /a+/.test(s) to check'\n")).toBe(false)
    expect(gate("const PATH_RE = /(\\w+)(\\])?/g\nexport function f(s) {\n  return s.match(PATH_RE)\n}\n")).toBe(false)
    expect(gate("export class A {\n  m(s) {\n    const re = /a+/\n    return re.test(s)\n  }\n}\n")).toBe(true)
  })

  it("for-of's gate looks for the array's declaration where the for…in loop can see it", () => {
    const gate = prefilterOf("for-of")
    // `values` is an array only in another function
    expect(gate("function a() {\n  const values = []\n  return values\n}\nfunction b(values) {\n  for (const k in values) use(values[k])\n}\n")).toBe(false)
    expect(gate("const values = []\nfunction b() {\n  for (const k in values) use(values[k])\n}\n")).toBe(true)
    expect(gate("function b(values: string[]) {\n  for (const k in values) use(values[k])\n}\n")).toBe(true)
    expect(gate("class A {\n  /** @param {string[]} values */\n  m(values) {\n    for (const k in values) use(values[k])\n  }\n}\n")).toBe(true)
    const text = "function a() { if (x) { var xs = [1] } }\nfunction b() { for (const i in xs) f(xs[i]) }\n"
    expect(mayBeProvableArrayAt(text, "xs", text.indexOf("for"))).toBe(false)
    expect(mayBeProvableArrayAt(text, "xs", text.indexOf("if"))).toBe(true) // `var` escapes the block, not the function
    expect(mayBeProvableArrayAt("const xs = [1]\n}}", "xs", 16)).toBe(true) // unbalanced: maybe
  })

  it("constant-constructor's gate skips module-level constants only", () => {
    const gate = prefilterOf("constant-constructor")
    expect(gate("export const KINDS = new Set(['a', 'b'])\nexport const f = (k) => KINDS.has(k)\n")).toBe(false)
    expect(gate("const m = new Map([[1, 2]]), n = 1\n")).toBe(false)
    expect(gate("export function f(k) {\n  const kinds = new Set(['a', 'b'])\n  return kinds.has(k)\n}\n")).toBe(true)
    // a brace-less loop body at module level can hold an expression, or a `var`, but no `const`
    expect(gate("for (const k of ks) ok = new Set(['a']).has(k)\n")).toBe(true)
    expect(gate("for (const k of ks) var s = new Set(['a'])\n")).toBe(true)
    expect(gate("class A {\n  kinds = new Set(['a'])\n}\n")).toBe(true)
  })

  it("isModuleLevelAt is true outside every bracket only", () => {
    const text = "const a = /x/\nfunction f() { const b = /y/ }\nfor (;;) c = /z/\n"
    expect(isModuleLevelAt(text, text.indexOf("/x/"))).toBe(true)
    expect(isModuleLevelAt(text, text.indexOf("/y/"))).toBe(false)
    expect(isModuleLevelAt(text, text.indexOf("/z/"))).toBe(true)
    // unbalanced brackets (the masker misread something): never "module level"
    expect(isModuleLevelAt("const a = /x/\n}", 10)).toBe(false)
  })

  it("string-join's gate needs a loop between the string `let` and the append", () => {
    const gate = prefilterOf("string-join")
    expect(gate("export function f(e) {\n  let msg = 'lost'\n  if (e) msg += ` (${e})`\n  return msg\n}\n")).toBe(false)
    expect(gate("export function f(xs) {\n  let s = ''\n  while (xs.length) s += xs.pop()\n  return s\n}\n")).toBe(true)
  })

  it("receiversOf takes bare names only", () => {
    const text = "a.includes(x); b ?. includes (y); this.c.includes(z); d.e.includes(w); [...f].includes(v); ...g.includes(u); 1.includes(t)"
    expect([...receiversOf(text, ["includes"])].sort()).toEqual(["a", "b", "g"])
  })

  it("mayBeProvableArray needs an array-shaped declaration", () => {
    expect(mayBeProvableArray("const xs = [1, 2]", "xs")).toBe(true)
    expect(mayBeProvableArray("let a = 1, xs = Array.from(s)", "xs")).toBe(true)
    expect(mayBeProvableArray("const xs = ys;", "xs")).toBe(true)
    expect(mayBeProvableArray("function f(xs: readonly T[]) {}", "xs")).toBe(true)
    expect(mayBeProvableArray("const xs = items.map((i) => i.id)", "xs")).toBe(true)
    expect(mayBeProvableArray("const xs = line.trim().split(',')", "xs")).toBe(true)
    expect(mayBeProvableArray("/** @param {string[]} xs */\nfunction f(xs) {}", "xs")).toBe(true)
    expect(mayBeProvableArray("/** @type {Array<number>} */\nconst xs = load()", "xs")).toBe(true)
    expect(mayBeProvableArray("/** @param {string} xs */\nfunction f(xs) {}", "xs")).toBe(false)
    expect(mayBeProvableArray("const xs = 'abc'", "xs")).toBe(false)
    expect(mayBeProvableArray("const xs = ys[0]", "xs")).toBe(false)
    expect(mayBeProvableArray("o.xs = [1]; f({ xs: 1 })", "xs")).toBe(false)
    // a keyword is no alias of an array
    expect(mayBeProvableArray("let start = null, xs = null, end = null", "xs")).toBe(false)
    expect(mayBeProvableArray("let xs = this;", "xs")).toBe(false)
    expect(mayBeProvableArray("/** @type {string[]} */\nlet xs = null", "xs")).toBe(true)
    // small literals still count for the templates that do not look at sizes (for…in over an array)
    expect(mayBeProvableArray("const xs = []", "xs")).toBe(true)
  })

  it("mayBeLookupArray leaves out declarations with a small literal, and only those", () => {
    const small = [
      "const handlers = [];\nhandlers.push(h)",
      "let xs = ['a', 'b']",
      "const xs = [1, 2, 3, 4, 5, 6, 7, 8]",
      "const xs = [f(a, b), [c, d], { e, g }]",
      "const xs = ['a,b,c,d,e,f,g,h,i', `j,k,${l},m`] // commas in strings",
      "const xs = ['a', 'b'] as const;",
      "const xs: string[] = []\nconst ys = 1",
      "/** @type {string[]} */\nconst xs = []",
      "let a = 1, xs = [], b = 2",
      "{ const xs = [] }",
      "const xs = [...ys, 'z'] // a spread is one element, as the templates count"
    ]
    for (const text of small) {
      expect(mayBeProvableArray(text, "xs") || text.includes("handlers"), text).toBe(true)
      expect(mayBeLookupArray(text, text.includes("handlers") ? "handlers" : "xs"), text).toBe(false)
    }
    const large = [
      "const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9]",
      "const xs = [].concat(a)",
      "const xs = []\n.concat(a)",
      "const xs = []\n  in o",
      "const xs = [a, , b] // a hole",
      "const xs = ['a'] as string[]",
      "const xs = ['a']\n[0]",
      "const xs = []; function f(xs: string[]) {}",
      "const xs = ys"
    ]
    for (const text of large) expect(mayBeLookupArray(text, "xs"), text).toBe(mayBeProvableArray(text, "xs"))
    expect(mayBeLookupArray("const xs = [].concat(a)", "xs")).toBe(true)
    expect(mayBeLookupArray("const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9]", "xs")).toBe(true)
  })

  it("mayBeInLoopAt says yes wherever enclosingLoop finds a loop region", () => {
    const loops = [
      "for (const x of xs) use(JSON.parse(x))\n",
      "for (const x of xs)\n  if (x) a(); else if (b) c(); else d(JSON.parse(x))\n",
      "for (let i = 0; i < n; i++) try { a() } catch (e) { b(e) } finally { c(JSON.parse(s)) }\n",
      "async function f() { for await (const x of xs) { await g(JSON.parse(x)) } }\n",
      "while (ok()) { const o = { a: 1 }, r = Object.keys(o) }\n",
      "do h(JSON.parse(s)); while (more())\n",
      "do { h(JSON.parse(s)) } while (more())\n",
      "for (const x of xs) obj = {\n  a: 1\n}, later(JSON.parse(x))\n",
      "xs.map(function named(x) { return JSON.parse(x) })\n",
      "xs?.forEach(async (x) => { await JSON.parse(x) })\n",
      "xs.filter?.((x) => Object.keys(x).length)\n",
      "xs.sort((a, b) => { return Object.keys(a).length - Object.keys(b).length })\n",
      "const f = () => { for (const k in o) g(() => 1, `${k}`, new Set(o[k])) }\n",
      "label: for (;;) { inner: while (x) { if (y) { z(new Map(m)) } } }\n",
      "class A { m(xs) { for (const x of xs) this.n(new RegExp(x)) } }\n",
      "for (const x of xs) switch (x) { case 1: g(JSON.parse(x)); break; default: h(JSON.parse(x)) }\n",
      "for (const x of xs) f(x, (y) => y, g(JSON.parse(x)))\n",
      "for (const x of xs) if (a) {\n  b()\n}\nelse c(JSON.parse(x))\n",
      "const s = `a ${xs.map((x) => `b ${JSON.parse(x)}`).join('')} c`\n",
      "/* for ( */ const re = /[({]/; xs.every((x) => /}/.test(JSON.parse(x)))\n"
    ]
    const sources: Array<[string, string]> = loops.map((text, i) => [`loop${i}.${i % 2 === 0 ? "js" : "ts"}`, text])
    for (const template of all) {
      for (const dir of [NodePath.join(root, template.id), NodePath.join(root, template.id, "negative")])
        for (const f of readdirSync(dir).filter(isSource)) sources.push([f, readFileSync(NodePath.join(dir, f), "utf8")])
    }
    let inLoop = 0
    for (const [path, text] of sources) {
      const tree = parse(text, languageOf(path)!)
      const visit = (node: SyntaxNode): void => {
        if (node.type === "call_expression" || node.type === "new_expression") {
          if (enclosingLoop(node) !== null) {
            inLoop++
            expect(mayBeInLoopAt(text, node.startIndex), `${path}: ${node.text.slice(0, 60)}`).toBe(true)
          }
        }
        for (const child of node.namedChildren) visit(child)
      }
      visit(tree.rootNode)
    }
    expect(inLoop).toBeGreaterThan(200)
  })

  it("mayBeInLoopAt says no for code outside loop regions (gates can rule such files out)", () => {
    const at = (text: string, marker: string): boolean => mayBeInLoopAt(text, text.indexOf(marker))
    expect(at("export function f(o) {\n  for (const x of o.xs) g(x);\n  return Object.keys(o)\n}\n", "Object")).toBe(false)
    expect(at("export function f(o) {\n  for (const x of o.xs) { g(x) }\n  const k = Object.keys(o)\n}\n", "Object")).toBe(false)
    expect(at("for (const x of xs) { setTimeout(function () { JSON.parse(x) }) }\n", "JSON")).toBe(false)
    expect(at("for (const x of xs) { const o = { m() { return JSON.parse(x) } } }\n", "JSON")).toBe(false)
    expect(at("xs.map(wrap((x) => { return JSON.parse(x) }))\n", "JSON")).toBe(false)
    expect(at("toJSON() {\n  if (Object.keys(this.userData).length > 0) out.userData = this.userData\n}\n", "Object")).toBe(false)
    // unbalanced brackets (the masker misread something): every position may be in a loop
    expect(at("function f() { const s = a / b / c) ; JSON.parse(s) }\n", "JSON")).toBe(true)
  })

  it("nodesOfType finds exactly what tree-sitter's descendantsOfType finds", () => {
    const tricky = [
      "const a = 1 / 2 / 3 // a / comment /x/\n",
      "if (ok) /re/.test(s)\nconst u = 'http://x/y', r = /[/]+\\//g\n",
      "const t = `a/${ /b/.source }/c` /* /d/ */\nfor (const k in o) {}\nfor (;;) break\nwhile (x) do y(); while (z)\n",
      "export async function f() { function g() {} }\nconst h = function () {}\nlabel: for (const x of xs) continue label\n"
    ].join("")
    const sources: Array<[string, string]> = [["tricky.js", tricky], ["tricky.ts", `${tricky}let v: Array<number> = [1] as number[]\n`]]
    for (const template of all) {
      for (const f of readdirSync(NodePath.join(root, template.id)).filter(isSource)) {
        sources.push([f, readFileSync(NodePath.join(root, template.id, f), "utf8")])
      }
    }
    const types = ["regex", "for_statement", "for_in_statement", "while_statement", "do_statement", "function_declaration"]
    let seen = 0
    for (const [path, text] of sources) {
      const tree = parse(text, languageOf(path)!)
      for (const type of types) {
        const expected = tree.rootNode.descendantsOfType(type).map((n) => n.startIndex)
        seen += expected.length
        expect(nodesOfType(tree.rootNode, text, type).map((n) => n.startIndex), `${type} in ${path}`).toEqual(expected)
      }
    }
    expect(seen).toBeGreaterThan(50)
  })
})
