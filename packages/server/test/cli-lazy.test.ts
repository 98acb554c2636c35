import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"

// The built `ratchet` binary, with a resolve hook that records every module it loads.
const bin = join(import.meta.dirname, "..", "dist", "bin.js")
const hook = join(import.meta.dirname, "helpers", "record-imports.mjs")
const temp = mkdtempSync(join(tmpdir(), "ratchet-cli-lazy-"))
afterAll(() => rmSync(temp, { recursive: true, force: true }))

const loadedBy = (...args: Array<string>): ReadonlyArray<string> => {
  const log = join(temp, `imports-${args[0]}.log`)
  writeFileSync(log, "")
  const result = spawnSync(process.execPath, ["--import", hook, bin, ...args], {
    encoding: "utf8",
    timeout: 60_000,
    cwd: temp,
    env: { ...process.env, RATCHET_IMPORT_LOG: log, NODE_DISABLE_COMPILE_CACHE: "1" }
  })
  expect(result.status, result.stderr).toBe(0)
  return readFileSync(log, "utf8").split("\n").filter((l) => l.length > 0)
}

const serverOnly = /pglite|@effect\/sql-pg|@hono\/node-server|effect\/cluster|effect\/workflow/

describe("the CLI loads the server only for serve", () => {
  const repo = join(temp, "repo")
  writeFileSync(join(temp, "change.diff"), "--- a/x.js\n+++ b/x.js\n@@ -1 +1 @@\n-a\n+b\n")

  it("detect, scan and policy load no database, workflow engine or HTTP server", () => {
    spawnSync("mkdir", ["-p", repo])
    writeFileSync(join(repo, "package.json"), JSON.stringify({ name: "lazy", scripts: { test: "node --test" } }))
    writeFileSync(join(repo, "index.js"), "export const one = 1\n")
    for (const args of [["detect", repo, "--json"], ["scan", repo, "--json"], ["policy", join(temp, "change.diff"), "--json"]]) {
      const loaded = loadedBy(...args)
      expect(loaded.length, `${args[0]} loaded nothing? the hook did not run`).toBeGreaterThan(10)
      expect(loaded.filter((s) => serverOnly.test(s)), `ratchet ${args[0]}`).toEqual([])
    }
  })

  it("serve --help still works (the server is imported when serve runs)", () => {
    const loaded = loadedBy("serve", "--help")
    expect(loaded.filter((s) => serverOnly.test(s))).toEqual([])
  })
})
