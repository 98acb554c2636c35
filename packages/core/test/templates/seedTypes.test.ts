/**
 * Reducers rewritten to return their accumulator must still type-check where the original did. A type
 * checker infers the accumulator from the seed and from what the reducer returns; the rewrite returns the
 * accumulator itself, so an untyped `[]` seed alone becomes `never[]` under `strict`. Checked here with
 * TypeScript itself (`checkJs` + `strict`, as a JavaScript project that type-checks its JSDoc would), on the
 * shapes eval:scan found failing in mocha@10.8.2 and mongoose@8.9.2.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Patchgen, Templates } from "@ratchet/core"
import { Effect } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as NodePath from "node:path"
import ts from "typescript"

const scratch = mkdtempSync(NodePath.join(tmpdir(), "ratchet-seed-types-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** The semantic and syntactic diagnostics of one file, type-checked alone (`checkJs`, `strict`, ES2023 libs). */
const diagnosticsOf = (path: string, text: string): Array<string> => {
  const dir = mkdtempSync(NodePath.join(scratch, "case-"))
  const file = NodePath.join(dir, path)
  writeFileSync(file, text)
  const program = ts.createProgram([file], {
    allowJs: true,
    checkJs: true,
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2023.d.ts"],
    types: []
  })
  const source = program.getSourceFile(file)!
  return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map(
    (d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`
  )
}

/** The diagnostics of `after` that `before` does not have (a multiset: positions shift, texts do not). */
const added = (before: ReadonlyArray<string>, after: ReadonlyArray<string>): Array<string> => {
  const left = [...before]
  return after.filter((d) => {
    const i = left.indexOf(d)
    if (i === -1) return true
    left.splice(i, 1)
    return false
  })
}

const applied = (text: string, diff: string): Effect.Effect<string> =>
  Effect.promise(async () => {
    const { applyPatch } = await import("diff")
    const out = applyPatch(text, diff)
    if (out === false) throw new Error("the candidate's diff does not apply")
    return out
  })

/** The rewrite of the first finding of `template` in `text`. */
const rewrite = (template: string, path: string, text: string) =>
  Effect.gen(function* () {
    const root = mkdtempSync(NodePath.join(scratch, "repo-"))
    writeFileSync(NodePath.join(root, path), text)
    const found = Templates.scanText(path, text, [template])
    expect(found.length, `${template} should fire on ${path}`).toBeGreaterThan(0)
    const [candidate] = yield* Patchgen.patchgen({ root, opportunities: [found[0]!], plugins: Templates.builtin() })
    return yield* applied(text, candidate!.diff)
  })

const CAST = "/** @type {any[]} */ ([])"

describe("rewritten reducers with an untyped [] seed still type-check", () => {
  const cases = [
    {
      template: "reduce-spread",
      path: "watched.js",
      // mocha's getWatchedFiles: an untyped watcher, whose values the copies passed on to the accumulator
      text: [
        "/** @param {string} dir @param {string} file */",
        "const join = (dir, file) => `${dir}/${file}`",
        "/**",
        " * @param watcher - a chokidar watcher",
        " * @return {string[]} - absolute paths",
        " */",
        "export const files = (watcher) => {",
        "  const watched = watcher.getWatched()",
        "  return Object.keys(watched).reduce((acc, dir) => [...acc, ...watched[dir].map((f) => join(dir, f))], [])",
        "}",
        ""
      ].join("\n")
    },
    {
      template: "map-reduce-fusion",
      path: "keys.js",
      // mongoose's removeUnusedArrayFilters: `reduce`'s `T` overload typed `[]` by the mapped arrays
      text: [
        "/** @param {Record<string, Record<string, number>>} update */",
        "export const keysOf = (update) =>",
        "  Object.keys(update)",
        "    .map((key) => Object.keys(update[key]))",
        "    .reduce((cur, arr) => cur.concat(arr), [])",
        ""
      ].join("\n")
    }
  ]
  for (const c of cases) {
    it.effect(`${c.template}: the JS seed gets a JSDoc cast, and nothing new is reported`, () =>
      Effect.gen(function* () {
        const before = diagnosticsOf(c.path, c.text)
        const after = yield* rewrite(c.template, c.path, c.text)
        expect(after).toContain(CAST)
        expect(added(before, diagnosticsOf(c.path, after))).toEqual([])
        // without the cast the same rewrite is a type error: the check above can fail
        expect(added(before, diagnosticsOf(c.path, after.replace(CAST, "[]")))).not.toEqual([])
      })
    )
  }

  it("map-reduce-fusion in TypeScript: an untyped [] seed is left alone, an annotated accumulator is fused", () => {
    const untyped = "export const keysOf = (update: Record<string, object>) =>\n  Object.keys(update).map((key) => Object.keys(update[key])).reduce((cur, arr) => cur.concat(arr), [])\n"
    expect(Templates.scanText("keys.ts", untyped, ["map-reduce-fusion"])).toEqual([])
    const annotated = untyped.replace("(cur, arr)", "(cur: string[], arr)")
    expect(Templates.scanText("keys.ts", annotated, ["map-reduce-fusion"]).length).toBe(1)
  })

  it.effect("map-reduce-fusion in TypeScript with an annotated accumulator type-checks as before", () =>
    Effect.gen(function* () {
      const text =
        "export const keysOf = (update: Record<string, object>) =>\n  Object.keys(update).map((key) => Object.keys(update[key])).reduce((cur: string[], arr) => cur.concat(arr), [])\n"
      const after = yield* rewrite("map-reduce-fusion", "keys.ts", text)
      expect(after).not.toContain(CAST)
      expect(added(diagnosticsOf("keys.ts", text), diagnosticsOf("keys.ts", after))).toEqual([])
    })
  )
})
