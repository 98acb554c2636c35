/**
 * The runner pieces for Deno (tool spec, environment, `deno task` expansion, JUnit and summary
 * reading) and for Yarn Plug'n'Play (install state saved and linked like `node_modules`).
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Bench, Dependencies, TestResults } from "@ratchet/runner"
import { Effect } from "effect"
import { specFor, toolEnv, toolsIn } from "../src/internal/tools.js"
import { tempDir } from "./helpers.js"

const write = (root: string, files: Record<string, string>) => {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true })
    writeFileSync(join(root, file), content)
  }
}

describe("Deno in the sandbox", () => {
  it("finds deno in command lines, not in names that contain it", () => {
    expect(toolsIn("deno task test")).toEqual(["deno"])
    expect(toolsIn("cd api && deno test -A")).toEqual(["deno"])
    expect(toolsIn("npm run denoify")).toEqual([])
    expect(toolsIn("node deno.js")).toEqual([])
  })

  it.effect("takes Deno's version from .dvmrc, .tool-versions, packageManager or devEngines, nearest first; else deno@2", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir("ratchet-deno-spec-")
      write(dir, {
        "a/.dvmrc": "v2.1.4\n",
        "b/.tool-versions": "nodejs 22.12.0\ndeno 2.0.6\n",
        "c/package.json": JSON.stringify({ packageManager: "deno@2.2.0" }),
        "d/package.json": JSON.stringify({ devEngines: { runtime: { name: "deno", version: "2.3.1" } } }),
        "e/package.json": JSON.stringify({ devEngines: { runtime: { name: "deno", version: "^2" } } }),
        "a/sub/deno.json": "{}"
      })
      expect(specFor("deno", join(dir, "a", "sub"))).toBe("deno@2.1.4")
      expect(specFor("deno", join(dir, "b"))).toBe("deno@2.0.6")
      expect(specFor("deno", join(dir, "c"))).toBe("deno@2.2.0")
      expect(specFor("deno", join(dir, "d"))).toBe("deno@2.3.1")
      expect(specFor("deno", join(dir, "e"))).toBe("deno@2")
    }))

  it("gives a Deno command its cache in the workspace and the host's CA bundle; Yarn keeps its cache in the project", () => {
    const env = toolEnv("deno task test", "/ws/checkout", undefined, { SSL_CERT_FILE: "/etc/ssl/certs/ca.crt" })
    expect(env).toEqual({
      DENO_DIR: "/ws/checkout/node_modules/.ratchet-deno",
      DENO_NO_UPDATE_CHECK: "1",
      DENO_NO_PROMPT: "1",
      DENO_CERT: "/etc/ssl/certs/ca.crt",
      YARN_ENABLE_GLOBAL_CACHE: "false"
    })
    // what the caller set wins
    expect(toolEnv("deno test", "/ws", { DENO_DIR: "/elsewhere", YARN_ENABLE_GLOBAL_CACHE: "true" }, {})).toEqual({ DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" })
    expect(toolEnv("npm test", "/ws", undefined, {})).toEqual({ YARN_ENABLE_GLOBAL_CACHE: "false" })
  })
})

describe("deno test results", () => {
  it.effect("expands `deno task` from deno.jsonc (comments, object tasks, package.json scripts) and injects --junit-path", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir("ratchet-deno-plan-")
      write(dir, {
        "deno.jsonc": `{
          // tasks
          "tasks": {
            "test": "deno test -A --parallel",
            "test:unit": { "command": "deno test -A src/ -- --verbose", "description": "unit" },
            "ci": "deno task test",
          },
        }`,
        "package.json": JSON.stringify({ scripts: { "test:node": "deno test --allow-read" } })
      })
      const reportDir = join(dir, "reports")
      const plan = (command: string) => TestResults.plan({ command, cwd: dir, reportDir, root: dir })
      expect(plan("deno task test")).toMatchObject({ runner: "deno", command: `deno test --junit-path=${reportDir}/report-deno.xml -A --parallel` })
      expect(plan("deno task test:unit").command).toBe(`deno test --junit-path=${reportDir}/report-deno.xml -A src/ -- --verbose`)
      expect(plan("deno task ci").command).toBe(`deno test --junit-path=${reportDir}/report-deno.xml -A --parallel`)
      expect(plan("deno task test:node").command).toBe(`deno test --junit-path=${reportDir}/report-deno.xml --allow-read`)
      expect(plan("deno test -A").command).toBe(`deno test --junit-path=${reportDir}/report-deno.xml -A`)
      // recursive tasks run in every member: not expanded, counted from summary lines
      expect(plan("deno task --recursive test")).toMatchObject({ runner: null, command: "deno task --recursive test" })
      expect(TestResults.runnerOf("deno test -A")).toBe("deno")
      expect(TestResults.runnerOf("deno bench")).toBeNull()
    }))

  it("reads Deno's JUnit report and, without it, its summary lines", () => {
    const junit = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="3" failures="1" errors="0" time="0.448">
    <testsuite name="./b_test.ts" tests="3" disabled="1" errors="0" failures="1">
        <testcase name="a" classname="./b_test.ts" time="0.001" line="1" col="6">
        </testcase>
        <testcase name="c" classname="./b_test.ts" time="0.002" line="2" col="6">
            <failure message="Uncaught Error: boom">Error: boom</failure>
        </testcase>
        <testcase name="d" classname="./b_test.ts" time="0.000" line="3" col="6">
            <skipped/>
        </testcase>
    </testsuite>
</testsuites>`
    expect(TestResults.parsers.junit(junit)).toMatchObject({ passed: 1, failed: 1, skipped: 1 })
    expect(TestResults.parsers.summary("running 3 tests from ./b_test.ts\n\nFAILED | 2 passed (1 step) | 1 failed | 1 ignored (489ms)\n\nerror: Test failed\n")).toMatchObject({
      runner: "deno",
      passed: 2,
      failed: 1,
      skipped: 1
    })
    expect(TestResults.parsers.summary("ok | 4 passed | 0 failed (12ms)\nok | 1 passed | 0 failed | 2 filtered out (3ms)\n")).toMatchObject({ runner: "deno", passed: 5, failed: 0, skipped: 0 })
  })
})

describe("Yarn Plug'n'Play dependency reuse", () => {
  it.effect("an expanded test script runs through `yarn exec`, where PnP resolves packages and binaries", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir("ratchet-pnp-plan-")
      write(dir, { "package.json": JSON.stringify({ scripts: { test: "node --test test/" } }), ".pnp.cjs": "// pnp" })
      const reportDir = join(dir, "reports")
      const plan = TestResults.plan({ command: "yarn test", cwd: dir, reportDir, root: dir })
      expect(plan.runner).toBe("node:test")
      expect(plan.command).toBe(
        `yarn exec 'node --test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination=${reportDir}/report-node-test.tap --test test/'`
      )
      expect(plan.env).toEqual({})
    }))

  it.effect("saves and links .pnp.cjs, the loader, unplugged packages, the install state and the project cache", () =>
    Effect.gen(function* () {
      const base = yield* tempDir("ratchet-pnp-base-")
      const cache = yield* tempDir("ratchet-pnp-cache-")
      const candidate = yield* tempDir("ratchet-pnp-cand-")
      write(base, {
        "package.json": "{}",
        "yarn.lock": "__metadata:\n  version: 8\n",
        ".pnp.cjs": "// pnp runtime\n",
        ".pnp.loader.mjs": "// loader\n",
        ".yarn/install-state.gz": "state",
        ".yarn/unplugged/esbuild-npm-0.24.0/node_modules/esbuild/bin/esbuild": "binary",
        ".yarn/cache/ms-npm-2.1.3-abc.zip": "zip"
      })
      expect(Dependencies.find(base)).toEqual([])
      expect(Dependencies.findPnp(base)).toEqual([".pnp.cjs", ".pnp.loader.mjs", ".yarn/unplugged", ".yarn/install-state.gz", ".yarn/cache"])
      const k = Dependencies.key(base, "yarn")
      expect(k).not.toBeNull()
      expect(yield* Effect.promise(() => Dependencies.save(cache, k ?? "", base))).toBe(true)
      write(candidate, { "package.json": "{}", "yarn.lock": "__metadata:\n  version: 8\n", ".pnp.cjs": "// committed, stale\n" })
      expect(yield* Effect.promise(() => Dependencies.restore(cache, k ?? "", candidate))).toBe(true)
      expect(readFileSync(join(candidate, ".pnp.cjs"), "utf8")).toBe("// pnp runtime\n")
      expect(readFileSync(join(candidate, ".yarn/unplugged/esbuild-npm-0.24.0/node_modules/esbuild/bin/esbuild"), "utf8")).toBe("binary")
      // hard links: the same file, not a copy
      expect(statSync(join(candidate, ".yarn/cache/ms-npm-2.1.3-abc.zip")).ino).toBe(statSync(join(base, ".yarn/cache/ms-npm-2.1.3-abc.zip")).ino)
      // from a live baseline too
      const other = yield* tempDir("ratchet-pnp-other-")
      expect(yield* Effect.promise(() => Dependencies.linkFrom(base, other))).toBe(5)
      expect(existsSync(join(other, ".pnp.loader.mjs"))).toBe(true)
    }))

  it.effect("Deno's SQLite caches inside node_modules are never shared; its modules are", () =>
    Effect.gen(function* () {
      const base = yield* tempDir("ratchet-deno-base-")
      const candidate = yield* tempDir("ratchet-deno-cand-")
      write(base, {
        "deno.lock": '{ "version": "5" }',
        "node_modules/.ratchet-deno/npm/registry.npmjs.org/ms/2.1.3/index.js": "module.exports = 1",
        "node_modules/.ratchet-deno/dep_analysis_cache_v2": "db",
        "node_modules/.ratchet-deno/dep_analysis_cache_v2-wal": "wal",
        "node_modules/.ratchet-deno/gen/file/x.js": "emit"
      })
      expect(Dependencies.key(base, "deno")).not.toBeNull()
      expect(yield* Effect.promise(() => Dependencies.linkFrom(base, candidate))).toBe(1)
      expect(existsSync(join(candidate, "node_modules/.ratchet-deno/npm/registry.npmjs.org/ms/2.1.3/index.js"))).toBe(true)
      expect(existsSync(join(candidate, "node_modules/.ratchet-deno/dep_analysis_cache_v2"))).toBe(false)
      expect(existsSync(join(candidate, "node_modules/.ratchet-deno/dep_analysis_cache_v2-wal"))).toBe(false)
      expect(existsSync(join(candidate, "node_modules/.ratchet-deno/gen"))).toBe(false)
      expect(existsSync(join(base, "node_modules/.ratchet-deno/dep_analysis_cache_v2"))).toBe(true)
    }))
})

describe("deno bench output", () => {
  const asObject = (m: ReadonlyMap<string, ReadonlyArray<number>> | null) => (m === null ? null : Object.fromEntries(m))
  it("reads Deno 2's table and `deno bench --json`; other output is not Deno's", () => {
    const table = [
      "Check file:///w/a_bench.ts",
      "    CPU | AMD EPYC",
      "Runtime | Deno 2.9.6 (x86_64-unknown-linux-gnu)",
      "",
      "file:///w/a_bench.ts",
      "",
      "| benchmark   | time/iter (avg) |        iter/s |      (min … max)      |      p75 |      p99 |     p995 |",
      "| ----------- | --------------- | ------------- | --------------------- | -------- | -------- | -------- |",
      "| map x2      |        958.0 ns |     1,044,000 | ( 40.0 ns … 101.9 ms) |  80.0 ns | 180.0 ns | 200.0 ns |",
      "| parse big   |          1.5 ms |         666.7 | (  1.2 ms …   2.0 ms) |   1.6 ms |   1.9 ms |   2.0 ms |"
    ].join("\n")
    expect(asObject(Bench.denoBench.parse(table, null))).toEqual({ "map x2": [958], "parse big": [1_500_000] })
    const json = JSON.stringify({ version: 1, benches: [{ origin: "file:///w/a_bench.ts", group: null, name: "x", results: [{ ok: { n: 487, avg: 105.5, p75: 15 } }] }] }, null, 2)
    expect(asObject(Bench.denoBench.parse(json, null))).toEqual({ x: [105.5] })
    expect(Bench.denoBench.parse("| a | b |\n| 1 | 2 |", null)).toBeNull()
    expect(Bench.adapters.map((a) => a.name)).toContain("deno-bench")
  })
})
