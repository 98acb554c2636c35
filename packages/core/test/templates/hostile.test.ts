import { describe, expect, it } from "@effect/vitest"
import { Templates } from "@ratchet/core"

// Hostile input: nothing may throw or hang, and nothing unsafe may be reported.
describe("templates on hostile input", () => {
  it("survives deep nesting, huge lines, broken syntax and odd characters", () => {
    const deep = `export function f(x) {\n  return ${"(".repeat(3000)}x${")".repeat(3000)}\n}\n`
    const arrays = `const xs = ${"[".repeat(2000)}1${"]".repeat(2000)}\nfor (const y of ys) xs.includes(y)\n`
    const minified = `${"var a=1;".repeat(20000)}for(const q of r){s+="x"}`
    const broken = "for (const x of xs) { if (xs.includes(x) { s += 'a' }\nfunction (\n"
    const unicode = "const 名前 = ['ä', 'b', 'c', 'd', 'e', 'f']\nexport function g(xs) {\n  for (const x of xs) if (名前.includes(x)) return '✓'\n}\n"
    for (const [path, text] of [
      ["deep.js", deep],
      ["arrays.js", arrays],
      ["min.js", minified],
      ["broken.ts", broken],
      ["u.js", unicode],
      ["empty.ts", ""],
      ["bom.ts", "\uFEFFexport {}\n"]
    ] as const) {
      const found = Templates.scanText(path, text)
      expect(Array.isArray(found)).toBe(true)
      for (const o of found) {
        expect(o.startByte).toBeLessThanOrEqual(o.endByte!)
        expect(o.endByte).toBeLessThanOrEqual(Buffer.byteLength(text))
      }
    }
  })

  it("reports UTF-8 byte offsets", () => {
    const text = "const 名前 = ['ä', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']\nexport function g(xs) {\n  for (const x of xs) if (名前.includes(x)) return '✓'\n}\n"
    const found = Templates.scanText("u.js", text, ["set-membership"])
    expect(found).toHaveLength(1)
    const bytes = Buffer.from(text)
    expect(bytes.subarray(found[0]!.startByte!, found[0]!.endByte!).toString()).toBe("名前.includes(x)")
    expect(found[0]!.startLine).toBe(3)
  })
})
