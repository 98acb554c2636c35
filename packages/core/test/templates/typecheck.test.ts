/**
 * Every TypeScript golden fixture must still typecheck (strict) after its rewrite: templates emit
 * type annotations (`Map<…>`, `Array<unknown>`, `!`) that the validate stage's typecheck would reject if wrong.
 */
import { describe, expect, it } from "@effect/vitest"
import { Patchgen, Templates } from "@ratchet/core"
import { Effect } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import * as NodePath from "node:path"
import ts from "typescript"

const root = NodePath.join(import.meta.dirname, "fixtures")

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2023,
  lib: ["lib.es2023.d.ts"],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: ["node"],
  strict: true,
  noEmit: true,
  skipLibCheck: true
}

/** Strict diagnostics of in-memory files placed next to the fixtures (so `node:*` types resolve). */
const diagnostics = (files: ReadonlyMap<string, string>): Array<string> => {
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (name, version, onError, create) => {
    const text = files.get(NodePath.resolve(name))
    return text !== undefined ? ts.createSourceFile(name, text, version) : getSourceFile(name, version, onError, create)
  }
  const fileExists = host.fileExists.bind(host)
  host.fileExists = (name) => files.has(NodePath.resolve(name)) || fileExists(name)
  const readFile = host.readFile.bind(host)
  host.readFile = (name) => files.get(NodePath.resolve(name)) ?? readFile(name)
  const program = ts.createProgram([...files.keys()], options, host)
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file ? NodePath.basename(d.file.fileName) : "?"}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`)
}

describe("rewritten TypeScript fixtures typecheck", () => {
  it.effect("before and after every TS rewrite", () =>
    Effect.gen(function* () {
      const before = new Map<string, string>()
      const after = new Map<string, string>()
      for (const template of Templates.ids) {
        for (const file of readdirSync(NodePath.join(root, template)).filter((f) => /\.tsx?$/.test(f))) {
          const relative = `${template}/${file}`
          const source = readFileSync(NodePath.join(root, relative), "utf8")
          const found = Templates.scanText(relative, source, [template])
          const [candidate] = yield* Patchgen.patchgen({ root, opportunities: found.slice(0, 1), plugins: Templates.builtin() })
          expect(candidate, relative).toBeDefined()
          const { applyPatch } = yield* Effect.promise(() => import("diff"))
          const patched = applyPatch(source, candidate!.diff)
          expect(patched, relative).not.toBe(false)
          const name = `${template}--${file}`
          before.set(NodePath.join(root, `__before__${name}`), source)
          after.set(NodePath.join(root, `__after__${name}`), patched as string)
        }
      }
      expect(after.size).toBeGreaterThanOrEqual(8)
      expect(diagnostics(before)).toEqual([])
      expect(diagnostics(after)).toEqual([])
    })
  )
})
