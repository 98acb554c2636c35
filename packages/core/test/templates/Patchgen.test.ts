import { afterAll, describe, expect, it } from "@effect/vitest"
import { Patchgen, type Plugin } from "@ratchet/core"
import { Effect } from "effect"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as NodePath from "node:path"

const opportunity = (file: string, rule = "r") => ({
  id: `${rule}-1`,
  rule,
  kind: "performance" as const,
  file,
  startLine: 1,
  endLine: 1,
  rationale: "test",
  risk: "low" as const,
  confidence: 0.5
})

describe("Patchgen.applyEdits", () => {
  it("replaces ranges and keeps every other byte", () => {
    const source = "const a = 1\nconst b = 2\n// ünïcode ✓\nconst c = 3\n"
    const c = source.indexOf("3")
    const out = Patchgen.applyEdits(source, [
      { start: c, end: c + 1, text: "4" },
      { start: 6, end: 7, text: "x" },
      { start: 0, end: 0, text: "// head\n" }
    ])
    expect(out).toBe("// head\nconst x = 1\nconst b = 2\n// ünïcode ✓\nconst c = 4\n")
  })

  it("rejects overlapping and out-of-range edits", () => {
    expect(() =>
      Patchgen.applyEdits("abcdef", [
        { start: 1, end: 4, text: "" },
        { start: 3, end: 5, text: "" }
      ])
    ).toThrow(/overlap/)
    expect(() => Patchgen.applyEdits("abc", [{ start: 2, end: 9, text: "" }])).toThrow(/outside/)
  })
})

describe("Patchgen.fromEdits", () => {
  const base = {
    file: "src/a.ts",
    rule: "demo",
    title: "Demo",
    explanation: "because",
    kind: "performance" as const
  }

  it("renders a git-style unified diff and a deterministic id", () => {
    const source = "export const x = [1, 2, 3];\nexport const y = 1;\n"
    const candidate = Patchgen.fromEdits({ ...base, source, edits: [{ start: 17, end: 26, text: "[3, 2, 1]" }] })
    expect(candidate).not.toBeNull()
    expect(candidate!.diff).toBe(
      [
        "diff --git a/src/a.ts b/src/a.ts",
        "--- a/src/a.ts",
        "+++ b/src/a.ts",
        "@@ -1,2 +1,2 @@",
        "-export const x = [1, 2, 3];",
        "+export const x = [3, 2, 1];",
        " export const y = 1;",
        ""
      ].join("\n")
    )
    expect(candidate!.files).toEqual(["src/a.ts"])
    expect(candidate!.source).toBe("template:demo")
    expect(candidate!.opportunityId).toBeNull()
    const again = Patchgen.fromEdits({ ...base, source, edits: [{ start: 17, end: 26, text: "[3, 2, 1]" }] })
    expect(again!.id).toBe(candidate!.id)
  })

  it("rejects results with syntax errors, and no-op edits", () => {
    const source = "export function f() {\n  return 1\n}\n"
    expect(Patchgen.fromEdits({ ...base, source, edits: [{ start: source.length - 2, end: source.length - 1, text: "" }] })).toBeNull()
    expect(Patchgen.fromEdits({ ...base, source, edits: [{ start: 0, end: 6, text: "export" }] })).toBeNull()
    expect(Patchgen.syntaxErrorOf("a.ts", "const = ;")).not.toBeNull()
    expect(Patchgen.syntaxErrorOf("a.ts", "const a: number = 1")).toBeNull()
    // TS syntax is an error in a .js file.
    expect(Patchgen.syntaxErrorOf("a.js", "const a: number = 1")).not.toBeNull()
  })
})

describe("Patchgen.patchgen", () => {
  const repos: Array<string> = []
  afterAll(() => {
    for (const root of repos) rmSync(root, { recursive: true, force: true })
  })
  const withRepo = <A, E>(body: (root: string) => Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.suspend(() => {
      const root = mkdtempSync(NodePath.join(tmpdir(), "ratchet-patchgen-"))
      repos.push(root)
      mkdirSync(NodePath.join(root, "src"))
      writeFileSync(NodePath.join(root, "src/a.js"), "export const a = 1\n")
      return body(root)
    })

  it.effect("runs hooks in plugin order; the first non-null candidate wins", () =>
    withRepo((root) =>
      Effect.gen(function* () {
        const seen: Array<string> = []
        const make = (name: string, result: "null" | "edit", enforce?: "pre" | "post"): Plugin.Plugin => ({
          name,
          ...(enforce ? { enforce } : {}),
          patchgen: async (opp, ctx) => {
            seen.push(name)
            if (result === "null") return null
            const text = await ctx.readFile(opp.file)
            return Patchgen.fromEdits({
              file: opp.file,
              source: text!,
              edits: [{ start: 17, end: 18, text: name.length.toString() }],
              rule: opp.rule,
              title: name,
              explanation: name,
              kind: "performance"
            })
          }
        })
        const candidates = yield* Patchgen.patchgen({
          root,
          opportunities: [opportunity("src/a.js")],
          plugins: [make("normal-wins", "edit"), make("post", "edit", "post"), make("pre-null", "null", "pre")]
        })
        expect(seen).toEqual(["pre-null", "normal-wins"])
        expect(candidates).toHaveLength(1)
        expect(candidates[0]!.title).toBe("normal-wins")
        expect(candidates[0]!.opportunityId).toBe("r-1")
        expect(candidates[0]!.diff).toContain("+export const a = 11")
      })
    )
  )

  it.effect("gives plugins no file outside the root", () =>
    withRepo((root) =>
      Effect.gen(function* () {
        const reads: Array<string | null> = []
        const probe: Plugin.Plugin = {
          name: "probe",
          patchgen: async (_opp, ctx) => {
            reads.push(await ctx.readFile("../../../../etc/passwd"))
            reads.push(await ctx.readFile("src/missing.js"))
            reads.push(await ctx.readFile("src/a.js"))
            return null
          }
        }
        const candidates = yield* Patchgen.patchgen({ root, opportunities: [opportunity("src/a.js")], plugins: [probe] })
        expect(candidates).toEqual([])
        expect(reads).toEqual([null, null, "export const a = 1\n"])
      })
    )
  )

  it.effect("fails with a clear error for a bad root or a throwing plugin", () =>
    withRepo((root) =>
      Effect.gen(function* () {
        const missing = yield* Effect.flip(Patchgen.patchgen({ root: NodePath.join(root, "nope"), opportunities: [] }))
        expect(missing.reason._tag).toBe("BadInput")
        expect(missing.message).toContain("not a directory")
        const broken: Plugin.Plugin = {
          name: "acme:broken",
          patchgen: () => {
            throw new Error("boom")
          }
        }
        const error = yield* Effect.flip(Patchgen.patchgen({ root, opportunities: [opportunity("src/a.js")], plugins: [broken] }))
        expect(error.reason._tag).toBe("Internal")
        expect(error.message).toContain("acme:broken")
        expect(error.message).toContain("boom")
        expect(error.message).toContain("src/a.js:1")
      })
    )
  )
})
