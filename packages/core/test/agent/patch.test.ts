import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { Effect } from "effect"
import type { LanguageModel } from "@ratchet/core"
import { Diff, Patchgen } from "@ratchet/core"
import { applyLenient, extractPatch, renderDiff } from "../../src/internal/agent/patch.js"
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const SOURCE = `export function dedupe(items) {
  const out = []
  for (const item of items) {
    if (!out.includes(item)) out.push(item)
  }
  return out
}

export const size = (xs) => xs.length
`

const GOOD = `--- a/src/dedupe.js
+++ b/src/dedupe.js
@@ -1,7 +1,9 @@
 export function dedupe(items) {
   const out = []
+  const seen = new Set()
   for (const item of items) {
-    if (!out.includes(item)) out.push(item)
+    if (seen.has(item)) continue
+    seen.add(item)
+    out.push(item)
   }
   return out
 }
`

const result = (over: Partial<LanguageModel.GenerateResult>): LanguageModel.GenerateResult => ({
  text: "",
  reasoning: null,
  usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  finishReason: "stop",
  ...over
})

const files = (map: Record<string, string>) => (path: string) => map[path] ?? null

describe("agent patches: extraction", () => {
  it("takes a propose_patch tool call", () => {
    const extracted = extractPatch(
      result({ toolCalls: [{ id: "c1", name: "propose_patch", arguments: "{}", input: { title: "Use a Set in dedupe", explanation: "O(1) lookups", diff: GOOD } }], finishReason: "tool-calls" })
    )
    expect(extracted).toMatchObject({ ok: true, via: "tool", title: "Use a Set in dedupe", toolCallId: "c1", diff: GOOD })
  })

  it("takes a fenced diff block, with the text around it as the explanation", () => {
    const extracted = extractPatch(result({ text: `# Use a Set\n\nLookups become O(1).\n\n\`\`\`diff\n${GOOD}\`\`\`\n` }))
    expect(extracted).toMatchObject({ ok: true, via: "fenced", title: "Use a Set" })
    if (extracted.ok) expect(extracted.explanation).toContain("Lookups become O(1).")
  })

  it("anything else is a rejection with the reason", () => {
    expect(extractPatch(result({ text: "I think you should use a Set." }))).toMatchObject({ ok: false, reason: expect.stringContaining("neither a propose_patch call nor a ```diff block") })
    expect(extractPatch(result({ text: "Here is the pat", finishReason: "length" }))).toMatchObject({ ok: false, reason: expect.stringContaining("cut off") })
    expect(extractPatch(result({ toolCalls: [{ id: "c", name: "propose_patch", arguments: "{not json", input: null }] }))).toMatchObject({
      ok: false,
      toolCallId: "c",
      reason: expect.stringContaining("not valid JSON")
    })
    expect(extractPatch(result({ toolCalls: [{ id: "c", name: "run_shell", arguments: "{}", input: {} }] }))).toMatchObject({ ok: false, reason: expect.stringContaining('unknown tool "run_shell"') })
    expect(extractPatch(result({ toolCalls: [{ id: "c", name: "propose_patch", arguments: "{}", input: { title: "x" } }] }))).toMatchObject({ ok: false, reason: expect.stringContaining("no diff") })
  })
})

describe("agent patches: lenient application", () => {
  it("applies a correct diff and renders a clean git-style diff that validate's strict applier accepts", () => {
    const applied = applyLenient(GOOD, files({ "src/dedupe.js": SOURCE }))
    if (!applied.ok) throw new Error(applied.reason)
    const diff = renderDiff(applied.files)
    expect(diff).toBe(Patchgen.unifiedDiff("src/dedupe.js", SOURCE, applied.files[0]!.after!))
    const dir = mkdtempSync(join(tmpdir(), "ratchet-agent-patch-"))
    mkdirSync(join(dir, "src"))
    writeFileSync(join(dir, "src/dedupe.js"), SOURCE)
    Effect.runSync(Diff.apply(dir, diff))
    expect(readFileSync(join(dir, "src/dedupe.js"), "utf8")).toBe(applied.files[0]!.after)
  })

  it("ignores wrong line numbers and hunk counts, and trailing-whitespace or indentation drift in context", () => {
    const sloppy = GOOD.replace("@@ -1,7 +1,9 @@", "@@ -40,3 +40,99 @@").replace("   return out\n", "   return out   \n").replace(" export function dedupe(items) {", "     export function dedupe(items) {")
    const applied = applyLenient(sloppy, files({ "src/dedupe.js": SOURCE }))
    if (!applied.ok) throw new Error(applied.reason)
    // context lines keep the file's own text
    expect(applied.files[0]!.after).toContain("export function dedupe(items) {\n  const out = []\n  const seen = new Set()")
    expect(applied.files[0]!.after).toContain("  return out\n}")
  })

  it("a hunk whose lines are not in the file rejects the patch, naming the hunk", () => {
    const stale = GOOD.replace("if (!out.includes(item)) out.push(item)", "if (out.indexOf(item) < 0) out.push(item)")
    const applied = applyLenient(stale, files({ "src/dedupe.js": SOURCE }))
    expect(applied).toMatchObject({ ok: false, reason: expect.stringMatching(/^hunk 1 of src\/dedupe.js .* does not match the file/) })
  })

  it("paths must stay inside the repository", () => {
    for (const path of ["../etc/passwd", "/etc/passwd", "src/../../x.js"]) {
      const diff = `--- a/${path}\n+++ b/${path}\n@@ -1 +1 @@\n-a\n+b\n`
      const applied = applyLenient(diff, () => "a\n")
      expect(applied.ok, path).toBe(false)
    }
  })

  it("missing files, renames and no-op patches are refused with the reason", () => {
    expect(applyLenient(GOOD, files({}))).toMatchObject({ ok: false, reason: "src/dedupe.js does not exist in the repository" })
    expect(applyLenient("--- a/a.js\n+++ b/b.js\n@@ -1 +1 @@\n-a\n+b\n", () => "a\n")).toMatchObject({ ok: false, reason: expect.stringContaining("renames") })
    expect(applyLenient("--- a/a.js\n+++ b/a.js\n@@ -1 +1 @@\n-a\n+a\n", () => "a\n")).toMatchObject({ ok: false, reason: "the patch changes nothing" })
    expect(applyLenient("just prose", () => "a\n")).toMatchObject({ ok: false, reason: expect.stringContaining("does not parse") })
  })

  it("creates and deletes files with git's new/deleted file headers", () => {
    const applied = applyLenient("--- /dev/null\n+++ b/src/util.js\n@@ -0,0 +1,2 @@\n+export const one = 1\n+export const two = 2\n", files({}))
    if (!applied.ok) throw new Error(applied.reason)
    const diff = renderDiff(applied.files)
    expect(diff).toMatch(/^diff --git a\/src\/util.js b\/src\/util.js\nnew file mode 100644\n--- \/dev\/null\n\+\+\+ b\/src\/util.js\n/)
    const dir = mkdtempSync(join(tmpdir(), "ratchet-agent-new-"))
    Effect.runSync(Diff.apply(dir, diff))
    expect(readFileSync(join(dir, "src/util.js"), "utf8")).toBe("export const one = 1\nexport const two = 2\n")
  })

  it("property: any edit of a file, as a diff with scrambled hunk headers, applies back to the same text", () => {
    const line = fc.stringMatching(/^[a-z(){} ]{0,12}$/)
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 30 }), fc.array(line, { minLength: 1, maxLength: 30 }), fc.nat(50), (a, b, shift) => {
        const before = `${a.join("\n")}\n`
        const after = `${b.join("\n")}\n`
        fc.pre(before !== after)
        const clean = Patchgen.unifiedDiff("f.js", before, after)
        const scrambled = clean.replace(/^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@/gm, (_m, o, _oc, n) => `@@ -${Number(o) + shift} +${Number(n) + shift} @@`)
        const applied = applyLenient(scrambled, (p) => (p === "f.js" ? before : null))
        if (!applied.ok) return applied.reason.includes("changes nothing")
        return applied.files[0]!.after === after
      })
    )
  })
})
