/**
 * Golden profiles for the repository shapes of issue #21: Deno, Bun, loose packageManager specs,
 * nested projects, monorepo shapes, frameworks and Yarn Plug'n'Play. Each directory under
 * `test/fixtures/detect-breadth/` has a `<name>.golden.json` beside it: the profile projected to
 * what a reader checks (package manager, workspaces, frameworks, tools, commands with cwd,
 * warnings, question, projects). `UPDATE_GOLDENS=1` rewrites them; review the diff.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Detect, RepoProfile } from "@ratchet/core"
import { Effect, Schema } from "effect"

const root = path.join(import.meta.dirname, "../fixtures/detect-breadth")
const names = fs
  .readdirSync(root, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort()

const where = (e: RepoProfile.Evidence) => `${e.file}${e.line !== undefined ? `:${e.line}` : ""}: ${e.detail}`
const commandsOf = (c: RepoProfile.Commands) =>
  Object.fromEntries(Object.entries(c).map(([slot, spec]) => [slot, spec === null ? null : { command: spec.command, cwd: spec.cwd, from: spec.evidence[0] ? where(spec.evidence[0]) : null }]))

const project = (p: RepoProfile.RepoProfile) => ({
  packageManager: {
    name: p.packageManager.name,
    variant: p.packageManager.variant,
    version: p.packageManager.version,
    ...(p.packageManager.linker !== undefined ? { linker: p.packageManager.linker } : {}),
    evidence: p.packageManager.evidence.slice(0, 3).map(where)
  },
  workspaces: p.workspaces,
  frameworks: p.frameworks.map((f) => `${f.name}@${f.version}`),
  tools: (p.tools ?? []).map((t) => `${t.name}@${t.version}`),
  commands: commandsOf(p.commands),
  warnings: p.warnings,
  question: p.question ?? null,
  ...(p.projects ? { projects: p.projects.map((r) => ({ dir: r.dir, packageManager: r.packageManager.name, workspaces: r.workspaces, commands: commandsOf(r.commands) })) } : {})
})

describe("Detect breadth goldens", () => {
  for (const name of names) {
    it.effect(name, () =>
      Effect.gen(function* () {
        const profile = yield* Detect.detect(path.join(root, name))
        expect(Schema.is(RepoProfile.RepoProfile)(profile)).toBe(true)
        const actual = project(profile)
        const file = path.join(root, `${name}.golden.json`)
        if (process.env.UPDATE_GOLDENS === "1") fs.writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`)
        expect(fs.existsSync(file), `${name}.golden.json is missing: run with UPDATE_GOLDENS=1 and review it`).toBe(true)
        expect(actual).toEqual(JSON.parse(fs.readFileSync(file, "utf8")))
      }))
  }
})
