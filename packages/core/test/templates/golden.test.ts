/**
 * Golden tests of the built-in templates.
 *
 * `fixtures/<template>/<case>.<ext>`: the template must report at least one opportunity; patchgen on
 * the first must produce exactly `<case>.<ext>.diff`. When the fixture exports `main`, the original and
 * the patched module are both run and must return the same (JSON-equal) result.
 * `fixtures/<template>/negative/<case>.<ext>`: the template must report nothing.
 *
 * Run with `UPDATE_GOLDEN=1` to (re)write the `.diff` files, then review them.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Patchgen, Templates } from "@ratchet/core"
import { Effect } from "effect"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as NodePath from "node:path"
import { pathToFileURL } from "node:url"

const root = NodePath.join(import.meta.dirname, "fixtures")
const update = process.env["UPDATE_GOLDEN"] === "1"
const isSource = (f: string) => /\.(?:[cm]?[jt]s|[jt]sx)$/.test(f)
const scratch = mkdtempSync(NodePath.join(tmpdir(), "ratchet-templates-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const run = async (file: string, text: string, tag: string): Promise<unknown> => {
  const target = NodePath.join(scratch, `${tag}-${NodePath.basename(file)}`)
  writeFileSync(target, text)
  const mod = (await import(/* @vite-ignore */ pathToFileURL(target).href)) as { main?: () => unknown }
  return JSON.parse(JSON.stringify((await mod.main?.()) ?? null))
}

const patchedText = async (source: string, diff: string): Promise<string> => {
  const { applyPatch } = await import("diff")
  const out = applyPatch(source, diff)
  if (out === false) throw new Error("diff does not apply")
  return out
}

for (const template of Templates.ids) {
  const dir = NodePath.join(root, template)
  describe(`template ${template}`, () => {
    it("has golden and negative fixtures", () => {
      expect(existsSync(dir)).toBe(true)
      expect(readdirSync(dir).filter(isSource).length).toBeGreaterThan(0)
      expect(readdirSync(NodePath.join(dir, "negative")).filter(isSource).length).toBeGreaterThan(0)
    })
    if (!existsSync(dir)) return
    for (const file of readdirSync(dir).filter(isSource)) {
      it.effect(`rewrites ${file}`, () =>
        Effect.gen(function* () {
          const relative = `${template}/${file}`
          const source = readFileSync(NodePath.join(root, relative), "utf8")
          const found = Templates.scanText(relative, source, [template])
          expect(found.length, `${template} should fire on ${relative}`).toBeGreaterThan(0)
          const candidates = yield* Patchgen.patchgen({ root, opportunities: [found[0]!], plugins: Templates.builtin() })
          expect(candidates).toHaveLength(1)
          const candidate = candidates[0]!
          expect(candidate.rule).toBe(template)
          expect(candidate.files).toEqual([relative])
          expect(candidate.opportunityId).toBe(found[0]!.id)
          const golden = NodePath.join(root, `${relative}.diff`)
          if (update || !existsSync(golden)) writeFileSync(golden, candidate.diff)
          expect(candidate.diff).toBe(readFileSync(golden, "utf8"))
          const after = yield* Effect.promise(() => patchedText(source, candidate.diff))
          expect(Patchgen.syntaxErrorOf(relative, after)).toBeNull()
          if (/export (?:async )?function main\b/.test(source)) {
            const before = yield* Effect.promise(() => run(file, source, "before"))
            const patched = yield* Effect.promise(() => run(file, after, "after"))
            expect(patched).toEqual(before)
          }
        })
      )
    }
    const negatives = NodePath.join(dir, "negative")
    if (!existsSync(negatives)) return
    for (const file of readdirSync(negatives).filter(isSource)) {
      it(`stays silent on negative/${file}`, () => {
        const relative = `${template}/negative/${file}`
        const source = readFileSync(NodePath.join(root, relative), "utf8")
        expect(Templates.scanText(relative, source, [template]).map((o) => `${o.startLine}: ${o.rationale}`)).toEqual([])
      })
    }
  })
}
