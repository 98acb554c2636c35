import { symlinkSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { skipReasonForBytes, skipReasonForText } from "../../src/internal/scan/classify.js"
import { parseAttributes, walk } from "../../src/internal/scan/walk.js"
import { makeRepo } from "./helpers.js"

describe("scan walk", () => {
  it("honours root and nested .gitignore files, negations, and always-skipped folders", () => {
    const root = makeRepo({
      ".gitignore": "generated/\n*.tmp.js\n!keep.tmp.js\n",
      "src/a.ts": "",
      "src/b.tsx": "",
      "src/c.jsx": "",
      "src/d.mjs": "",
      "src/types.d.ts": "",
      "src/readme.md": "",
      "src/x.tmp.js": "",
      "src/keep.tmp.js": "",
      "generated/g.ts": "",
      "lib/.gitignore": "local.js\n",
      "lib/local.js": "",
      "lib/kept.js": "",
      "other/local.js": "",
      "node_modules/pkg/index.js": "",
      "dist/index.js": "",
      "build/x.js": "",
      "coverage/lcov.js": "",
      ".ratchet/cache/x.js": "",
      "lib/jquery.min.js": ""
    })
    const result = walk(root)
    expect(result.files.map((f) => f.path).sort()).toEqual(
      ["lib/kept.js", "other/local.js", "src/a.ts", "src/b.tsx", "src/c.jsx", "src/d.mjs", "src/keep.tmp.js"].sort()
    )
    expect(result.skipped).toEqual([{ path: "lib/jquery.min.js", reason: "minified (file name)" }])
  })

  it("skips what .gitattributes marks linguist-vendored or linguist-generated, with later and deeper lines winning", () => {
    const root = makeRepo({
      ".gitattributes": [
        "# third-party and generated code gets no pull requests",
        "third/** linguist-vendored",
        "third/ours/** -linguist-vendored",
        "*.gen.ts linguist-generated=true",
        "src/keep.gen.ts linguist-generated=false",
        "docs/** linguist-documentation",
        "*.js text eol=lf"
      ].join("\n"),
      "third/lib.js": "",
      "third/ours/mine.js": "",
      "src/a.ts": "",
      "src/api.gen.ts": "",
      "src/keep.gen.ts": "",
      "pkg/.gitattributes": "legacy.js linguist-vendored\n",
      "pkg/legacy.js": "",
      "pkg/index.js": "",
      "other/legacy.js": "",
      "docs/example.js": ""
    })
    const result = walk(root)
    expect(result.files.map((f) => f.path).sort()).toEqual(["other/legacy.js", "pkg/index.js", "src/a.ts", "src/keep.gen.ts", "third/ours/mine.js"].sort())
    expect(result.skipped).toEqual([
      { path: "docs/", reason: "docs (outside the default scope; an include glob naming `docs/` scans it)" },
      { path: "pkg/legacy.js", reason: "vendored (.gitattributes linguist-vendored)" },
      { path: "src/api.gen.ts", reason: "generated (.gitattributes linguist-generated)" },
      { path: "third/lib.js", reason: "vendored (.gitattributes linguist-vendored)" }
    ])
    expect(result.warnings).toEqual([])
  })

  it("parses only the linguist attributes of .gitattributes lines", () => {
    const rules = parseAttributes("a/** linguist-vendored\n!neg linguist-vendored\n[attr]binary -diff\nb linguist-generated linguist-vendored=false\n# c linguist-vendored\n")
    expect(rules.map((r) => ({ vendored: r.vendored, generated: r.generated }))).toEqual([
      { vendored: true, generated: undefined },
      { vendored: false, generated: true }
    ])
  })

  it("applies include and exclude globs and never follows symlinks", () => {
    const root = makeRepo({ "src/a.ts": "", "src/a.test.ts": "", "scripts/s.js": "" })
    symlinkSync(join(root, "src"), join(root, "loop"))
    symlinkSync(join(root, "src/a.ts"), join(root, "link.ts"))
    const result = walk(root, { include: ["src/**"], exclude: ["**/*.test.ts"] })
    expect(result.files.map((f) => f.path)).toEqual(["src/a.ts"])
    expect(walk(root).files.map((f) => f.path).sort()).toEqual(["scripts/s.js", "src/a.ts"])
  })

  it("leaves tests, docs, examples, fixtures, benchmarks and vendored folders out by default, each with its reason", () => {
    const root = makeRepo({
      "src/a.ts": "",
      "src/a.test.ts": "",
      "src/b.spec.js": "",
      "src/c.bench.ts": "",
      "src/__tests__/d.ts": "",
      "src/latest.ts": "",
      "test/t.js": "",
      "tests/t.js": "",
      "docs/assets/codemirror.js": "",
      "examples/basic/index.js": "",
      "fixtures/f.js": "",
      "packages/x/test/fixtures/y.js": "",
      "benchmarks/b.js": "",
      "bench/b.js": "",
      "vendor/v.js": "",
      "third_party/t.js": "",
      "cdn/x.js": "",
      "src/__generated__/g.ts": "",
      "lib/contest.js": "",
      "lib/testing.js": ""
    })
    const result = walk(root)
    expect(result.files.map((f) => f.path).sort()).toEqual(["lib/contest.js", "lib/testing.js", "src/a.ts", "src/latest.ts"])
    const reasons = Object.fromEntries(result.skipped.map((s) => [s.path, s.reason.split(" ")[0]]))
    expect(reasons).toEqual({
      "bench/": "benchmarks",
      "benchmarks/": "benchmarks",
      "cdn/": "generated",
      "src/__generated__/": "generated",
      "docs/": "docs",
      "examples/": "examples",
      "fixtures/": "fixtures",
      "packages/x/test/": "tests",
      "src/__tests__/": "tests",
      "src/a.test.ts": "tests",
      "src/b.spec.js": "tests",
      "src/c.bench.ts": "benchmarks",
      "test/": "tests",
      "tests/": "tests",
      "third_party/": "vendored",
      "vendor/": "vendored"
    })
  })

  it("scans a default-scope part when an include glob names it; exclude globs still win", () => {
    const root = makeRepo({ "src/a.ts": "", "src/a.test.ts": "", "examples/e.js": "", "examples/skip.js": "", "docs/d.js": "" })
    const result = walk(root, { include: ["src/**", "**/*.test.ts", "examples/**"], exclude: ["examples/skip.js"] })
    expect(result.files.map((f) => f.path).sort()).toEqual(["examples/e.js", "src/a.test.ts", "src/a.ts"])
    // `src/**` alone names no tests: the test file stays out
    expect(walk(root, { include: ["src/**"] }).files.map((f) => f.path)).toEqual(["src/a.ts"])
    // an excluded folder is not reported as skipped for scope
    expect(walk(root, { exclude: ["docs/**"] }).skipped.map((s) => s.path)).toEqual(["examples/", "src/a.test.ts"])
  })
})

describe("scan file classification", () => {
  it("skips binary and oversized content with a reason", () => {
    expect(skipReasonForBytes(new Uint8Array([0x61, 0, 0x62]), 100)).toBe("binary (NUL byte)")
    expect(skipReasonForBytes(new Uint8Array(101), 100)).toMatch(/too large \(101 bytes > 100/)
    expect(skipReasonForBytes(new TextEncoder().encode("const a = 1\n"), 100)).toBeNull()
  })

  it("detects minified bundles and generated headers, and keeps ordinary code", () => {
    const ordinary = Array.from({ length: 200 }, (_, i) => `export const v${i} = ${i} // value ${i}`).join("\n")
    expect(skipReasonForText(ordinary)).toBeNull()
    expect(skipReasonForText(`!function(){${"var a=1;".repeat(1000)}}()`)).toMatch(/^minified \(a line of/)
    expect(skipReasonForText(`${"a=1;b=2;c=3;d=4;e=5;f=6;g=7;h=8;".repeat(12)}\n`.repeat(40))).toMatch(/^minified/)
    expect(skipReasonForText("// Code generated by protoc-gen-ts. DO NOT EDIT.\nexport const x = 1\n")).toBe("generated (header marker)")
    expect(skipReasonForText("/**\n * @generated\n */\nexport const x = 1\n")).toBe("generated (header marker)")
    expect(skipReasonForText("export const x = 1\n//# sourceMappingURL=index.js.map\n")).toBe("generated (compiled output with a sourceMappingURL)")
    expect(skipReasonForText('"use strict";\nObject.defineProperty(exports, "__esModule", {\n  value: true\n});\nexports.x = 1\n')).toBe("generated (compiled output: __esModule marker)")
    expect(skipReasonForText('"use strict";\nexports.__esModule = true;\n')).toBe("generated (compiled output: __esModule marker)")
    expect(skipReasonForText('"use strict";\nvar __create = Object.create;\nvar __defProp = Object.defineProperty;\n')).toBe("generated (bundled output: bundler module helpers)")
    expect(skipReasonForText('export const x = 1\nconst note = "//# sourceMappingURL=x"\nexport const y = 2\n')).toBeNull()
    // a bundle that closes its wrapper after the comment (date-fns' cdn.js files end so)
    expect(skipReasonForText("(() => {\n  var x = 1;\n  //# sourceMappingURL=cdn.js.map\n})();\n")).toBe("generated (compiled output with a sourceMappingURL)")
    expect(skipReasonForText("(function () {\n  var x = 1;\n}());\n/*# sourceMappingURL=cdn.js.map */\n")).toBe("generated (compiled output with a sourceMappingURL)")
    // code after the comment is not a wrapper's end
    expect(skipReasonForText("export const x = 1\n//# sourceMappingURL=a.js.map\nexport const y = 2\n")).toBeNull()
    // A marker after the header (in code or a later comment) does not count.
    expect(skipReasonForText('export const note = "DO NOT EDIT"\n// @generated later\n')).toBeNull()
  })
})
