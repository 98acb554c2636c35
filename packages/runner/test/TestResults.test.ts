import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Baseline as CoreBaseline } from "@ratchet/core"
import { TestResults } from "@ratchet/runner"
import { failingNames } from "../src/internal/parsers.js"
import { fixturesDir, tempDir } from "./helpers.js"

const names = (parsed: { tests: ReadonlyArray<{ name: string; status: string }> } | null) =>
  (parsed?.tests ?? []).map((t) => `${t.status}:${t.name}`)

describe("TestResults.runnerOf", () => {
  it("recognises runners behind wrappers and env assignments", () => {
    expect(TestResults.runnerOf("vitest run")).toBe("vitest")
    expect(TestResults.runnerOf("NODE_ENV=test npx jest --coverage")).toBe("jest")
    expect(TestResults.runnerOf("cross-env CI=1 mocha 'test/**/*.js'")).toBe("mocha")
    expect(TestResults.runnerOf("c8 node --test test/")).toBe("node:test")
    expect(TestResults.runnerOf("ava --verbose")).toBe("ava")
    expect(TestResults.runnerOf("bun test")).toBe("bun")
    expect(TestResults.runnerOf("nyc tape 'test/**/*.js'")).toBe("tape")
    expect(TestResults.runnerOf("node scripts/test.js")).toBeNull()
    expect(TestResults.runnerOf("tsc -p .")).toBeNull()
  })
})

describe("TestResults.plan", () => {
  it.effect("expands npm scripts (with pretest and extra args) and injects each runner's reporter", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir("ratchet-plan-")
      mkdirSync(join(dir, "node_modules", ".bin"), { recursive: true })
      writeFileSync(
        join(dir, "package.json"),
        JSON.stringify({
          scripts: {
            pretest: "node prepare.js",
            test: "npm run lint && npm run test:unit",
            lint: "eslint .",
            "test:unit": "vitest",
            "test:jest": "jest",
            "test:mocha": "mocha",
            "test:node": "node --test test/",
            "test:ava": "ava",
            "test:bun": "bun test",
            "test:tape": 'tape "./tests/**/*.test.js" | tap-dancer  --color always',
            "test:ava-pretty": "ava --verbose | tap-spec"
          }
        })
      )
      const reportDir = join(dir, "reports")
      const vitest = TestResults.plan({ command: "npm test -- --bail=1", cwd: dir, reportDir, root: dir, hostPath: "/usr/bin" })
      expect(vitest.runner).toBe("vitest")
      expect(vitest.command).toBe(
        `node prepare.js && eslint . && vitest --bail=1 --run --reporter=default --reporter=json --outputFile.json=${reportDir}/report-vitest.json`
      )
      expect(vitest.env.PATH?.startsWith(`${join(dir, "node_modules", ".bin")}:`)).toBe(true)
      expect(vitest.env.PATH?.endsWith(":/usr/bin")).toBe(true)

      const plan = (command: string) => TestResults.plan({ command, cwd: dir, reportDir, root: dir })
      expect(plan("npm run test:jest").command).toBe(`jest --ci --json --outputFile=${reportDir}/report-jest.json`)
      expect(plan("npm run test:mocha").command).toBe(`mocha --reporter=json --reporter-option output=${reportDir}/report-mocha.json`)
      expect(plan("npm run test:node").command).toBe(
        `node --test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination=${reportDir}/report-node-test.tap --test test/`
      )
      expect(plan("pnpm run test:ava").command).toBe("ava --tap")
      // TAP read from stdout: what it was piped into (a pretty-printer) is dropped, a quoted `|` is an argument
      const tape = plan("npm run test:tape")
      expect(tape).toMatchObject({ command: 'tape "./tests/**/*.test.js"', runner: "tape", reportFile: null })
      expect(tape.notes.join("\n")).toContain("`| tap-dancer  --color always`")
      expect(plan("npm run test:ava-pretty").command).toBe("ava --verbose --tap")
      expect(plan('tape "test/a|b.js"').command).toBe('tape "test/a|b.js"')
      expect(plan("bun run test:bun").command).toBe(`bun test --reporter=junit --reporter-outfile=${reportDir}/report-bun.xml`)
      // a direct runner command is not expanded and gets no PATH change
      const direct = plan("vitest run")
      expect(direct.command).toBe(`vitest run --reporter=default --reporter=json --outputFile.json=${reportDir}/report-vitest.json`)
      expect(direct.env).toEqual({})
      // unknown runners run as they are
      const unknown = plan("make test")
      expect(unknown).toMatchObject({ command: "make test", runner: null, reportFile: null })
      // workspace-wide runs are not expanded
      expect(plan("npm test --workspaces").command).toBe("npm test --workspaces")
    })
  )

  it.effect("leaves --ci out for a jest older than 20, which refuses unknown options", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir("ratchet-plan-jest-")
      const jestAt = (version: string) => {
        mkdirSync(join(dir, "node_modules", "jest"), { recursive: true })
        writeFileSync(join(dir, "node_modules", "jest", "package.json"), JSON.stringify({ name: "jest", version }))
      }
      writeFileSync(join(dir, "package.json"), JSON.stringify({ scripts: { test: "cross-env BABEL_ENV=commonjs jest" } }))
      const reportDir = join(dir, "reports")
      const plan = () => TestResults.plan({ command: "npm test", cwd: dir, reportDir, root: dir })
      jestAt("19.0.2")
      const old = plan()
      expect(old.command).toBe(`cross-env BABEL_ENV=commonjs jest --json --outputFile=${reportDir}/report-jest.json`)
      expect(old.notes.join("\n")).toContain("no --ci")
      jestAt("29.7.0")
      expect(plan().command).toBe(`cross-env BABEL_ENV=commonjs jest --ci --json --outputFile=${reportDir}/report-jest.json`)
    })
  )
})

describe("TestResults parsers", () => {
  it("reads jest/vitest JSON, including files that failed to load", () => {
    const parsed = TestResults.parsers.jestJson(
      JSON.stringify({
        numPassedTests: 2,
        testResults: [
          {
            name: "/r/a.test.js",
            status: "failed",
            assertionResults: [
              { fullName: "a adds", status: "passed", duration: 3 },
              { fullName: "a breaks", status: "failed" },
              { title: "later", ancestorTitles: ["a"], status: "todo" },
              { fullName: "a skipped", status: "pending" }
            ]
          },
          { name: "/r/b.test.js", status: "failed", message: "SyntaxError", assertionResults: [] }
        ]
      })
    )
    expect(parsed).toMatchObject({ passed: 1, failed: 2, skipped: 2 })
    expect(names(parsed)).toEqual(["passed:a adds", "failed:a breaks", "skipped:a > later", "skipped:a skipped", "failed:/r/b.test.js (failed to run)"])
    expect(TestResults.parsers.jestJson("not json")).toBeNull()
  })

  it("reads mocha JSON with noise around it and hook failures", () => {
    const report = {
      stats: { passes: 1, failures: 2, pending: 1 },
      tests: [
        { title: "ok", fullTitle: "s ok", file: "/r/t.js", duration: 1, err: {} },
        { title: "bad", fullTitle: "s bad", file: "/r/t.js", err: { message: "x" } },
        { title: "later", fullTitle: "s later", err: {} }
      ],
      pending: [{ fullTitle: "s later" }],
      failures: [{ fullTitle: "s bad" }, { fullTitle: 's "before all" hook' }],
      passes: [{ fullTitle: "s ok" }]
    }
    const parsed = TestResults.parsers.mochaJson(`console noise\n${JSON.stringify(report, null, 2)}\n`)
    expect(parsed).toMatchObject({ passed: 1, failed: 2, skipped: 1 })
    expect(names(parsed)).toContain('failed:s "before all" hook')
  })

  it("reads node:test TAP, counting leaves and not suites", () => {
    const tap = [
      "TAP version 13",
      "# Subtest: a",
      "ok 1 - a",
      "  ---",
      "  duration_ms: 1",
      "  ...",
      "# Subtest: s",
      "    # Subtest: b",
      "    ok 1 - b",
      "    # Subtest: c",
      "    ok 2 - c # SKIP",
      "    # Subtest: inner",
      "        # Subtest: deep",
      "        not ok 1 - deep",
      "    not ok 3 - inner",
      "    1..3",
      "not ok 2 - s",
      "# Subtest: t",
      "ok 3 - t # TODO later",
      "1..3",
      "# tests 4",
      "# pass 1"
    ].join("\n")
    const parsed = TestResults.parsers.tap(tap)
    expect(names(parsed)).toEqual(["passed:a", "passed:s > b", "skipped:s > c", "failed:s > inner > deep", "skipped:t"])
    expect(parsed).toMatchObject({ passed: 2, failed: 1, skipped: 2 })
  })

  it("reads ava TAP", () => {
    const parsed = TestResults.parsers.tap(
      ["TAP version 13", "ok 1 - math › adds", "not ok 2 - math › fails", "  ---", "  ...", "ok 3 - math › later # SKIP", "1..3", "# tests 3"].join("\n")
    )
    expect(names(parsed)).toEqual(["passed:math › adds", "failed:math › fails", "skipped:math › later"])
  })

  it("reads JUnit XML (bun)", () => {
    const xml = `<?xml version="1.0"?>
<testsuites tests="4">
  <testsuite name="a.test.ts" file="a.test.ts">
    <testcase name="adds" classname="math" time="0.001" file="a.test.ts" />
    <testcase name="breaks &amp; burns" classname="math" time="0.002"><failure message="x">boom</failure></testcase>
    <testcase name="later" classname="math"><skipped /></testcase>
    <testcase name="errs" classname="io"><error message="e"/></testcase>
  </testsuite>
</testsuites>`
    const parsed = TestResults.parsers.junit(xml)
    expect(names(parsed)).toEqual(["passed:math > adds", "failed:math > breaks & burns", "skipped:math > later", "failed:io > errs"])
    expect(parsed?.tests[0]).toMatchObject({ file: "a.test.ts", durationMs: 1 })
  })

  it("falls back to each runner's summary lines", () => {
    const summary = TestResults.parsers.summary
    expect(summary(" Test Files  2 passed (2)\n      Tests  1 failed | 12 passed | 2 skipped | 1 todo (16)\n")).toMatchObject({
      runner: "vitest",
      passed: 12,
      failed: 1,
      skipped: 3
    })
    expect(summary("Tests:       1 failed, 2 skipped, 7 passed, 10 total\n")).toMatchObject({ runner: "jest", passed: 7, failed: 1, skipped: 2 })
    expect(summary("  5 passing (20ms)\n  1 pending\n  2 failing\n")).toMatchObject({ runner: "mocha", passed: 5, failed: 2, skipped: 1 })
    expect(summary("ℹ tests 6\nℹ suites 1\nℹ pass 4\nℹ fail 1\nℹ cancelled 0\nℹ skipped 1\nℹ todo 0\n")).toMatchObject({
      runner: "node:test",
      passed: 4,
      failed: 1,
      skipped: 1
    })
    expect(summary("\n  2 tests failed\n  1 test skipped\n  9 tests passed\n")).toMatchObject({ runner: "ava", passed: 9, failed: 2, skipped: 1 })
    expect(summary(" 8 pass\n 1 skip\n 2 fail\nRan 11 tests across 3 files. [40.00ms]\n")).toMatchObject({ runner: "bun", passed: 8, failed: 2, skipped: 1 })
    // per-package summaries of a monorepo are summed
    expect(summary("      Tests  3 passed (3)\n...\n      Tests  1 failed | 4 passed (5)\n")).toMatchObject({ passed: 7, failed: 1 })
    expect(summary("\u001b[32m  5 passing\u001b[39m (3ms)\n")).toMatchObject({ runner: "mocha", passed: 5 })
    expect(summary("nothing to see")).toBeNull()
  })

  it("read() uses the injected report, then stdout TAP, then summary lines", () => {
    const plan = { command: "x", runner: "ava" as const, reportFile: null, env: {}, notes: [] }
    const summary = TestResults.read(plan, { stdout: "TAP version 13\nok 1 - a\nnot ok 2 - b\n", output: "" })
    expect(summary).toMatchObject({ passed: 1, failed: 1, runner: "ava" })
    const fallback = TestResults.read({ ...plan, runner: null }, { stdout: "", output: "  3 passing (1ms)\n" })
    expect(fallback).toMatchObject({ passed: 3, failed: 0, runner: "mocha", tests: [] })
    // tape: assertions grouped under `# test name` comments; a failing one is named by its test
    const tape = "TAP version 13\n# parse args\nok 1 should be equal\nok 2 should be equal\n# whitespace\nnot ok 3 should be strictly equal\n  ---\n  ...\n\n1..3\n# tests 3\n# pass  2\n# fail  1\n"
    const tapeSummary = TestResults.read({ ...plan, runner: "tape" }, { stdout: tape, output: tape })
    expect(tapeSummary).toMatchObject({ passed: 2, failed: 1, runner: "tape" })
    expect(names(tapeSummary)).toEqual(["passed:parse args > should be equal", "passed:parse args > should be equal", "failed:whitespace > should be strictly equal"])
    // an unknown TAP producer is still read when it prints a plan
    expect(TestResults.read({ ...plan, runner: null }, { stdout: tape, output: tape })).toMatchObject({ passed: 2, failed: 1, runner: "tap" })
    const nothing = TestResults.read({ ...plan, runner: null }, { stdout: "", output: "segfault" })
    expect(nothing).toMatchObject({ passed: 0, failed: 0, skipped: 0, runner: null })
  })

  it("read() makes absolute test files relative to the workspace, so a test has one identity in every workspace", () => {
    const files = (root: string) => {
      const report = join(root, "report.json")
      mkdirSync(join(root, "test"), { recursive: true })
      writeFileSync(report, JSON.stringify({ testResults: [{ name: join(root, "test", "a.test.js"), assertionResults: [{ fullName: "a works", title: "works", status: "passed" }] }] }))
      const summary = TestResults.read({ command: "vitest run", runner: "vitest", reportFile: report, env: {}, notes: [], root }, { stdout: "", output: "" })
      return (summary.tests ?? []).map((t) => t.file)
    }
    const a = mkdtempSync(join(tmpdir(), "ratchet-ws-a-"))
    const b = mkdtempSync(join(tmpdir(), "ratchet-ws-b-"))
    try {
      expect(files(a)).toEqual(["test/a.test.js"])
      expect(files(b)).toEqual(files(a))
    } finally {
      rmSync(a, { recursive: true, force: true })
      rmSync(b, { recursive: true, force: true })
    }
  })
})

describe("failing test names from human output (recorded from the real runners)", () => {
  const recorded = (file: string) => readFileSync(join(fixturesDir, "test-output", file), "utf8")

  it("vitest 3.2, jest 30 and node:test (Node 24 spec reporter) name their failures", () => {
    expect(failingNames(recorded("vitest-3.2-fail.txt"))).toEqual(["t/math.test.mjs > math > divides by zero", "t/math.test.mjs > math > rounds half up"])
    expect(failingNames(recorded("jest-30-fail.txt"))).toEqual(["math > divides by zero", "math > rounds half up"])
    expect(failingNames(recorded("node-24-spec-fail.txt"))).toEqual(["divides by zero", "rounds half up"])
  })

  it("a summary-only read keeps the names, so a rerun can tell flaky tests from failing ones", () => {
    const plan = { command: "npm test", runner: null, reportFile: null, env: {}, notes: [] }
    const first = TestResults.read(plan, { output: recorded("vitest-3.2-fail.txt"), stdout: "" })
    expect(first).toMatchObject({ passed: 1, failed: 2, failing: ["t/math.test.mjs > math > divides by zero", "t/math.test.mjs > math > rounds half up"] })
    const rerun = { ...first, passed: 2, failed: 1, failing: ["t/math.test.mjs > math > rounds half up"] }
    expect(CoreBaseline.mergeRerun(first, rerun)).toMatchObject({
      passed: 2,
      failed: 1,
      flaky: ["t/math.test.mjs > math > divides by zero"],
      failing: ["t/math.test.mjs > math > rounds half up"]
    })
  })
})
