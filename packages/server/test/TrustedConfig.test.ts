/**
 * A repository whose `ratchet.config.mjs` has a code plugin (a detect hook that writes a marker file
 * where the server can see it), run twice through the server's real stages: untrusted (the default),
 * the config is evaluated as data in the sandbox, the hook does not run and the run's warnings name
 * the plugin; after an operator marks the repository trusted, the config is imported in the server's
 * process, the hook runs, and the run records that (a `config.trusted` event, a warning).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import * as Database from "../src/Database.js"
import { engineLayer, Runs, workflowLayer } from "../src/Runs.js"
import { stagesFromEnv } from "../src/Server.js"
import { type Run, Store } from "../src/Store.js"
import { committedRepo, waitForRun } from "./helpers/fixtureRepo.js"

const temp = mkdtempSync(join(tmpdir(), "ratchet-trusted-"))
afterAll(() => rmSync(temp, { recursive: true, force: true }))

const fixture = (marker: string): string => {
  const dir = join(temp, "plugin-repo")
  const files: Record<string, string> = {
    "package.json": `${JSON.stringify({ name: "plugin-repo", version: "1.0.0", private: true, type: "module", scripts: { test: "node --test" } }, null, 2)}\n`,
    "ratchet.config.mjs": [
      'import { appendFileSync } from "node:fs"',
      "export default {",
      '  profile: { commands: { install: "node -e 0", typecheck: "node -e 0", test: "node --test" } },',
      "  plugins: [{",
      '    name: "acme:marker",',
      `    detect: (profile) => { appendFileSync(${JSON.stringify(marker)}, "detect hook ran\\n"); return profile }`,
      "  }]",
      "}",
      ""
    ].join("\n"),
    "src/codes.js": ["export function keep(codes) {", "  const skip = [200, 201, 204, 301, 302, 304]", "  return codes.filter((code) => skip.indexOf(code) === -1)", "}", ""].join("\n"),
    "test/codes.test.js": [
      'import { test } from "node:test"',
      'import assert from "node:assert/strict"',
      'import { keep } from "../src/codes.js"',
      'test("keep drops success codes", () => assert.deepEqual(keep([200, 404]), [404]))',
      ""
    ].join("\n")
  }
  return committedRepo(dir, files)
}

const waitFor = (runId: string) => waitForRun(runId, { polls: 4800, everyMs: 50 })

describe("a repository's code plugin", () => {
  it.live("does not run while the repository is untrusted (the warning names it), and runs once an operator trusts it", () =>
    Effect.gen(function* () {
      const marker = join(temp, "MARKER")
      const source = fixture(marker)
      const stateDir = join(temp, "data")
      const base = Layer.mergeAll(Store.layer, engineLayer).pipe(Layer.provideMerge(Database.layer({ dataDir: "memory://" })))
      // the server's stages (configs in the sandbox by default), on the local sandbox
      const app = Runs.layer.pipe(Layer.provideMerge(workflowLayer), Layer.provide(stagesFromEnv({}, { stateDir })), Layer.provideMerge(base))

      yield* Effect.gen(function* () {
        const store = yield* Store
        const runs = yield* Runs
        const sql = yield* SqlClient
        const { orgId } = yield* store.bootstrap(undefined)
        const repo = yield* store.createRepo(orgId, { name: "plugins", url: null, path: source, defaultBranch: "main" })
        const detectWarnings = (runId: string) =>
          Effect.map(sql<{ output: unknown }>`SELECT output FROM run_stages WHERE run_id = ${runId} AND stage = 'detect'`, (rows) => {
            const output = rows[0]?.output
            const parsed = typeof output === "string" ? JSON.parse(output) : output
            return (parsed as { warnings: ReadonlyArray<string> }).warnings
          })
        const events = (runId: string) => Effect.map(store.eventsAfter(runId, 0), (all) => all.filter((e) => e.type === "config.trusted"))

        // untrusted (the default): the config is data, the hook does not run, the warning names the plugin
        const first: Run = yield* waitFor((yield* runs.start(orgId, repo.id, "api")).id)
        expect(first.status, first.error ?? "").toBe("succeeded")
        expect(existsSync(marker)).toBe(false)
        const untrusted = yield* detectWarnings(first.id)
        expect(untrusted.join("\n")).toMatch(/plugin "acme:marker" \(detect\) did not run: .*not trusted/)
        expect(untrusted.join("\n")).not.toMatch(/imported in Ratchet's process/)
        expect(yield* events(first.id)).toEqual([])

        // an operator marks it trusted
        yield* store.updateSettings(null, repo.id, { trusted: true }, { tokenId: "tok_operator", tokenName: "operator-admin", operator: true })
        const second: Run = yield* waitFor((yield* runs.start(orgId, repo.id, "api")).id)
        expect(second.status, second.error ?? "").toBe("succeeded")
        // the hook ran (in this process: the config was imported here)
        expect(readFileSync(marker, "utf8")).toContain("detect hook ran")
        const trusted = yield* detectWarnings(second.id)
        expect(trusted.join("\n")).toMatch(/ratchet\.config\.mjs was imported in Ratchet's process, not evaluated in the sandbox, because the repository is trusted: .*plugins "acme:marker" run/)
        expect(trusted.join("\n")).not.toMatch(/did not run/)
        const recorded = yield* events(second.id)
        expect(recorded).toHaveLength(1)
        expect(recorded[0]!.data).toMatchObject({ configIn: "process", markedBy: "operator-admin" })
      }).pipe(Effect.provide(app), Effect.scoped)
    }), 600_000)
})
