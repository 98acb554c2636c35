import type * as Patch from "@ratchet/core/Patch"
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { Diff, PolicyError } from "../src/index.js"

const segment = fc
  .stringMatching(/^[A-Za-z0-9_.é"\\ -]{1,10}$/)
  .filter((s) => s !== "." && s !== ".." && s.trim() === s && !s.includes("\\0"))
const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join("/"))

const lineText = fc.stringMatching(/^[^\n\r]{0,20}$/)
const diffLine = fc.record({
  type: fc.constantFrom("add" as const, "del" as const, "context" as const),
  text: lineText,
  noNewlineAtEnd: fc.boolean()
})

/** A hunk whose counts agree with its lines; `only` restricts line types (added/deleted files). */
const hunk = (only?: "add" | "del"): fc.Arbitrary<Patch.Hunk> =>
  fc
    .tuple(
      fc.array(diffLine, { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 1, max: 5000 }),
      fc.integer({ min: 1, max: 5000 }),
      fc.stringMatching(/^( [a-z(){} ]{0,12})?$/)
    )
    .map(([raw, oldStart, newStart, context]) => {
      const lines = raw.map((l) => ({
        type: only ?? l.type,
        text: l.text,
        ...(l.noNewlineAtEnd ? { noNewlineAtEnd: true } : {})
      }))
      const oldLines = lines.filter((l) => l.type !== "add").length
      const newLines = lines.filter((l) => l.type !== "del").length
      return {
        oldStart: oldLines === 0 ? 0 : oldStart,
        oldLines,
        newStart: newLines === 0 ? 0 : newStart,
        newLines,
        header: context,
        lines
      }
    })

const base = { binary: false, symlink: false, similarity: null, line: 1 } as const

const filePatch: fc.Arbitrary<Patch.FilePatch> = fc.oneof(
  fc.record({ p: path, hunks: fc.array(hunk(), { minLength: 1, maxLength: 3 }) }).map(({ p, hunks }) => ({
    ...base,
    oldPath: p,
    newPath: p,
    status: "modified" as const,
    oldMode: null,
    newMode: null,
    hunks
  })),
  fc.record({ p: path, h: hunk("add"), exec: fc.boolean() }).map(({ p, h, exec }) => ({
    ...base,
    oldPath: null,
    newPath: p,
    status: "added" as const,
    oldMode: null,
    newMode: exec ? "100755" : "100644",
    hunks: [h]
  })),
  fc.record({ p: path, h: hunk("del") }).map(({ p, h }) => ({
    ...base,
    oldPath: p,
    newPath: null,
    status: "deleted" as const,
    oldMode: "100644",
    newMode: null,
    hunks: [h]
  })),
  fc
    .record({ a: path, b: path, sim: fc.integer({ min: 0, max: 100 }), hunks: fc.array(hunk(), { maxLength: 2 }), copy: fc.boolean() })
    .filter(({ a, b }) => a !== b)
    .map(({ a, b, sim, hunks, copy }) => ({
      ...base,
      oldPath: a,
      newPath: b,
      status: copy ? ("copied" as const) : ("renamed" as const),
      oldMode: null,
      newMode: null,
      similarity: sim,
      hunks
    })),
  path.map((p) => ({ ...base, oldPath: p, newPath: p, status: "modified" as const, oldMode: "100644", newMode: "100755", hunks: [] })),
  path.map((p) => ({
    ...base,
    oldPath: p,
    newPath: p,
    status: "modified" as const,
    oldMode: null,
    newMode: null,
    binary: true,
    binaryLines: ["Binary files differ"].map(() => `Binary files a/${p} and b/${p} differ`),
    hunks: []
  }))
)

const patch = fc.record({ files: fc.array(filePatch, { maxLength: 5 }), crlf: fc.boolean() }).map(({ files, crlf }) => ({
  files,
  ...(crlf && files.length > 0 ? { eol: "\r\n" as const } : {})
}))

/** The structural content of a patch, as the parser reports it. */
const shape = (p: Patch.ParsedPatch) =>
  p.files.map((f) => ({
    oldPath: f.oldPath,
    newPath: f.newPath,
    status: f.status,
    oldMode: f.oldMode,
    newMode: f.newMode,
    binary: f.binary,
    similarity: f.similarity,
    hunks: f.hunks.map((h) => ({
      oldStart: h.oldStart,
      oldLines: h.oldLines,
      newStart: h.newStart,
      newLines: h.newLines,
      lines: h.lines.map((l) => ({ type: l.type, text: l.text, noNewlineAtEnd: l.noNewlineAtEnd === true }))
    }))
  }))

describe("Diff properties", () => {
  it("random patches round-trip: parse(format(p)) has the same structure and formats to the same text", () => {
    fc.assert(
      fc.property(patch, (p) => {
        const text = Diff.format(p)
        const parsed = Diff.parseSync(text)
        expect(shape(parsed)).toEqual(shape(p))
        expect(Diff.format(parsed)).toBe(text)
      }),
      { numRuns: 300 }
    )
  })

  it("line counts survive the round trip (limits see what the applier sees)", () => {
    fc.assert(
      fc.property(patch, (p) => {
        const parsed = Diff.parseSync(Diff.format(p))
        let added = 0
        let deleted = 0
        for (const f of p.files) for (const h of f.hunks) for (const l of h.lines) l.type === "add" ? added++ : l.type === "del" ? deleted++ : 0
        const counted = parsed.files.flatMap((f) => f.hunks.flatMap((h) => h.lines))
        expect(counted.filter((l) => l.type === "add")).toHaveLength(added)
        expect(counted.filter((l) => l.type === "del")).toHaveLength(deleted)
      }),
      { numRuns: 200 }
    )
  })

  it("arbitrary text either parses or fails with DiffInvalid carrying a real line", () => {
    const noise = fc.array(
      fc.oneof(
        fc.constantFrom("diff --git a/x b/x", "--- a/x", "+++ b/x", "@@ -1 +1 @@", "@@ -1,2 +1,2 @@", "+a", "-a", " a", "\\ No newline at end of file", "", "new file mode 100644", "GIT binary patch", "literal 0", "rename from x", "rename to y"),
        fc.string({ maxLength: 12 })
      ),
      { maxLength: 30 }
    )
    fc.assert(
      fc.property(noise, (lines) => {
        const text = lines.join("\n")
        try {
          const parsed = Diff.parseSync(text)
          expect(Diff.format(parsed)).toBe(text)
        } catch (error) {
          expect(error).toBeInstanceOf(PolicyError.PolicyError)
          const reason = (error as PolicyError.PolicyError).reason as PolicyError.DiffInvalid
          expect(reason._tag).toBe("DiffInvalid")
          expect(reason.line).toBeGreaterThanOrEqual(1)
          expect(reason.line).toBeLessThanOrEqual(Math.max(1, text.split("\n").length))
        }
      }),
      { numRuns: 500 }
    )
  })
})
