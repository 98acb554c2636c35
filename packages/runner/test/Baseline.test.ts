import { createServer } from "node:net"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { ArtifactStore, Baseline as CoreBaseline, type Run } from "@ratchet/core"
import { Baseline, FileArtifactStore, GitWorkspace, LocalSandbox } from "@ratchet/runner"
import { copyFixture, enable, fixtureRepo, node, npmCache, profile, tempDir } from "./helpers.js"

const stack = (stateDir: string, hostEnv?: NodeJS.ProcessEnv) =>
  Layer.mergeAll(
    hostEnv ? LocalSandbox.layerWith({ hostEnv }) : LocalSandbox.layer,
    GitWorkspace.layer({ stateDir }),
    FileArtifactStore.layer(join(stateDir, "artifacts"))
  )

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

const artifact = (refs: ReadonlyArray<{ name: string; sha256: string }>, name: string) =>
  Effect.gen(function* () {
    const store = yield* ArtifactStore.ArtifactStore
    const ref = refs.find((r) => r.name === name)
    expect(ref, `artifact ${name}`).toBeDefined()
    return text(yield* store.get(ref?.sha256 ?? ""))
  })

const step = (report: Run.BaselineReport, name: string): Run.StepResult => {
  const found = report.steps.find((s) => s.name === name)
  if (!found) throw new Error(`no step ${name} in ${JSON.stringify(report.steps.map((s) => s.name))}`)
  return found
}

describe("Baseline (node:test, zero dependencies)", () => {
  it.live("builds, runs tests, parses per-test outcomes, marks a flipping test flaky and stores artifacts", () =>
    Effect.gen(function* () {
      const repo = yield* fixtureRepo("node-test")
      const state = yield* tempDir("ratchet-state-")
      const progress: Array<string> = []
      const result = yield* Baseline.runBaseline({
        source: repo,
        profile: profile(repo, { build: "npm run build", test: "npm test" }),
        stateDir: state,
        onStep: (s) => Effect.sync(() => progress.push(`${s.name}:${s.outcome}`))
      }).pipe(Effect.provide(stack(state)))
      const { report } = result
      expect(report.commit).toMatch(/^[0-9a-f]{40}$/)
      expect(step(report, "build")).toMatchObject({ command: "npm run build", exitCode: 0, outcome: "passed" })
      expect(step(report, "build").durationMs).toBeGreaterThan(0)
      expect(step(report, "test")).toMatchObject({ outcome: "passed", flaky: 1 })
      expect(step(report, "test (rerun)")).toBeDefined()
      expect(report.tests).toMatchObject({ passed: 4, failed: 0, skipped: 1, runner: "node:test" })
      expect(report.tests.flaky).toEqual(["sometimes fails"])
      const names = (report.tests.tests ?? []).map((t) => `${t.status}:${t.name}`).sort()
      expect(names).toEqual(["passed:adds", "passed:mul > multiplies", "passed:mul > multiplies by zero", "passed:sometimes fails", "skipped:mul > big numbers (skipped)"])
      expect(report.outcome).toBe("passed")
      expect(progress).toEqual(["build:passed", "test:failed", "test (rerun):passed"])
      expect(result.artifacts.map((a) => a.name)).toEqual(["logs.txt", "baseline.json", "trace.json"])
      const logs = yield* artifact(result.artifacts, "logs.txt").pipe(Effect.provide(FileArtifactStore.layer(join(state, "artifacts"))))
      expect(logs).toContain("build ok")
      const stored = JSON.parse(yield* artifact(result.artifacts, "baseline.json").pipe(Effect.provide(FileArtifactStore.layer(join(state, "artifacts")))))
      expect(stored).toEqual(JSON.parse(JSON.stringify(report)))
      const trace = JSON.parse(yield* artifact(result.artifacts, "trace.json").pipe(Effect.provide(FileArtifactStore.layer(join(state, "artifacts")))))
      expect(trace.events.some((e: { note?: string }) => e.note?.includes("test runner: node:test"))).toBe(true)
      // the human format names steps and counts
      const human = CoreBaseline.format(report)
      expect(human).toMatch(/build\s+passed\s+0/)
      expect(human).toContain("tests: 4 passed, 0 failed, 1 skipped, 1 flaky (node:test)")
      expect(human).toMatch(/test\s+passed \(flaky: 1\)/)
    })
  )

  it.live("tests that keep failing are failures with their names", () =>
    Effect.gen(function* () {
      const repo = yield* fixtureRepo("node-test", (dir) => enable(dir, "test/failing.test.js"))
      const state = yield* tempDir("ratchet-state-")
      const { report } = yield* Baseline.runBaseline({ source: repo, profile: profile(repo, { test: "npm test" }), stateDir: state }).pipe(
        Effect.provide(stack(state))
      )
      expect(report.tests).toMatchObject({ passed: 4, failed: 1, skipped: 1 })
      expect(report.outcome).toBe("tests-failed")
      expect(report.reason).toContain("always fails")
      expect(step(report, "test").outcome).toBe("tests-failed")
    })
  )

  const failure = (name: string, commands: Parameters<typeof profile>[1], expectOutcome: string, reason: RegExp, extra: Partial<Baseline.RunBaselineOptions> = {}) =>
    it.live(name, () =>
      Effect.gen(function* () {
        const repo = yield* fixtureRepo("node-test")
        const state = yield* tempDir("ratchet-state-")
        const { report } = yield* Baseline.runBaseline({ source: repo, profile: profile(repo, commands), stateDir: state, ...extra }).pipe(
          Effect.provide(stack(state))
        )
        expect(report.outcome).toBe(expectOutcome)
        expect(report.reason).toMatch(reason)
        // later steps are recorded as not run, with the reason
        const later = report.steps.filter((s) => s.outcome === "skipped")
        for (const s of later) expect(s.reason).toMatch(/^not run: the \w+ step/)
        return report
      })
    )

  failure("install fails (npm ci without a lockfile)", { install: "npm ci", test: "npm test" }, "install-failed", /install failed with exit code \d+: npm error code EUSAGE \| npm error The `npm ci` command can only install with an existing package-lock\.json/)
  failure("build fails", { build: `node -e "console.error('tsc: 3 errors'); process.exit(2)"`, test: "npm test" }, "build-failed", /build failed with exit code 2: tsc: 3 errors/)
  failure("a command is missing", { build: "ratchet-no-such-tool --flag", test: "npm test" }, "build-missing-command", /command not found: ratchet-no-such-tool/)
  failure("a step times out", { test: `node -e "for(;;){}"` }, "test-timed-out", /test timed out after \d+ ms/, { timeoutsMs: { test: 1500 } })
  failure("the disk fills", { build: `node -e "require('fs').writeFileSync('/dev/full', 'x'.repeat(65536))"`, test: "npm test" }, "build-disk-full", /disk is full/)

  it.live("a directory that is not a git repository is copied with a warning; a missing one is bad input", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("node-test")
      const state = yield* tempDir("ratchet-state-")
      const result = yield* Baseline.runBaseline({ source: dir, profile: profile(dir, { build: "npm run build" }), stateDir: state }).pipe(Effect.provide(stack(state)))
      expect(result.report.commit).toBeNull()
      expect(result.report.outcome).toBe("passed")
      expect(result.warnings.join("\n")).toMatch(/is not a git repository/)
      const error = yield* Baseline.runBaseline({ source: join(dir, "nope"), profile: profile(dir, {}), stateDir: state }).pipe(
        Effect.provide(stack(state)),
        Effect.flip
      )
      expect(error.reason._tag).toBe("BadInput")
      expect(error.message).toContain("does not exist")
    })
  )
})

describe("Baseline with hostile repositories", () => {
  it.live("repository code cannot read Ratchet's secrets", () =>
    Effect.gen(function* () {
      const repo = yield* fixtureRepo("hostile")
      const state = yield* tempDir("ratchet-state-")
      const hostEnv = { ...process.env, GITHUB_TOKEN: "ghp_topsecret", DATABASE_URL: "postgres://u:topsecret@h/db", OPENAI_API_KEY: "sk-topsecret" }
      const result = yield* Baseline.runBaseline({ source: repo, profile: profile(repo, { test: `"${node}" env-reader.js` }), stateDir: state }).pipe(
        Effect.provide(stack(state, hostEnv))
      )
      const logs = yield* artifact(result.artifacts, "logs.txt").pipe(Effect.provide(FileArtifactStore.layer(join(state, "artifacts"))))
      expect(logs).toContain('"found":{}')
      expect(logs).not.toContain("topsecret")
    })
  )

  it.live("install reaches the network only through the egress proxy, later steps not at all (loopback target only)", () =>
    Effect.gen(function* () {
      const repo = yield* fixtureRepo("hostile")
      const state = yield* tempDir("ratchet-state-")
      const server = createServer((s) => s.end())
      yield* Effect.promise(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve())))
      yield* Effect.addFinalizer(() => Effect.sync(() => server.close()))
      const port = (server.address() as { port: number }).port
      const script = `"${node}" net-after-install.js ${port}`
      const result = yield* Baseline.runBaseline({
        source: repo,
        // install tries a direct connection and then Ratchet's own loopback through the proxy, and goes on either way
        profile: profile(repo, { install: `${script}; "${node}" proxy-probe.js 127.0.0.1:${port}; true`, test: script }),
        stateDir: state
      }).pipe(Effect.provide(stack(state)))
      const logs = yield* artifact(result.artifacts, "logs.txt").pipe(Effect.provide(FileArtifactStore.layer(join(state, "artifacts"))))
      if (LocalSandbox.capabilities().netns) {
        expect(step(result.report, "install").outcome).toBe("passed")
        expect(logs).not.toContain("NETWORK-REACHED")
        expect(logs).toMatch(/PROXY-ANSWER HTTP\/1\.1 403/)
        expect(result.warnings.join("\n")).toMatch(new RegExp(`egress refused 127\\.0\\.0\\.1:${port}`))
        expect(step(result.report, "test").exitCode).toBe(3)
        expect(logs).toContain("NETWORK-BLOCKED")
      } else {
        expect(step(result.report, "test").outcome).toBe("refused")
      }
    })
  )

  it.live("a 1 GB printer, an infinite loop and a fork bomb are contained", () =>
    Effect.gen(function* () {
      const repo = yield* fixtureRepo("hostile")
      const state = yield* tempDir("ratchet-state-")
      const result = yield* Baseline.runBaseline({
        source: repo,
        profile: profile(repo, { build: `"${node}" print-1gb.js`, typecheck: "sh fork-bomb.sh", test: `"${node}" infinite-loop.js` }),
        stateDir: state,
        // 1 GB through a pipe takes seconds on an idle machine, minutes on a loaded one
        timeoutsMs: { build: 240_000, typecheck: 3000, test: 1500 },
        limits: { maxProcesses: 64 }
      }).pipe(Effect.provide(stack(state)))
      expect(step(result.report, "build").outcome).toBe("passed")
      // the fork bomb runs into the process limit; then the timeout kills it, or its shell gives up when
      // one of its own forks fails (which happens first depends on scheduling)
      const bomb = step(result.report, "typecheck")
      expect(["timed-out", "failed"]).toContain(bomb.outcome)
      expect(step(result.report, "test").outcome).toBe("timed-out")
      expect(result.report.outcome).toBe(`typecheck-${bomb.outcome}`)
      const logs = yield* artifact(result.artifacts, "logs.txt").pipe(Effect.provide(FileArtifactStore.layer(join(state, "artifacts"))))
      expect(logs.length).toBeLessThan(4 * 1024 * 1024)
      expect(logs).toMatch(/bytes of output dropped/)
      expect(logs).toMatch(/fork|Resource temporarily unavailable/i)
    }),
    360_000
  )
})

describe("Baseline (vitest, real install)", () => {
  it.live("installs from the registry (cached), parses vitest's JSON report, and reuses dependencies next time", () =>
    Effect.gen(function* () {
      const repo = yield* fixtureRepo("vitest-repo")
      const state = yield* tempDir("ratchet-state-")
      const options = {
        source: repo,
        profile: profile(repo, { install: "npm install --prefer-offline --no-audit --no-fund", test: "npm test" }),
        stateDir: state,
        env: { npm_config_cache: npmCache },
        writable: [npmCache]
      }
      const first = yield* Baseline.runBaseline(options).pipe(Effect.provide(stack(state)))
      expect(step(first.report, "install").outcome, JSON.stringify(first.report.steps)).toBe("passed")
      expect(first.report.tests).toMatchObject({ passed: 2, failed: 1, skipped: 1, runner: "vitest" })
      expect(first.report.tests.flaky ?? []).toEqual([])
      const failed = (first.report.tests.tests ?? []).filter((t) => t.status === "failed")
      expect(failed.map((t) => t.name)).toEqual(["sum is wrong on purpose"])
      expect(failed[0].file).toMatch(/test\/sum\.test\.js$/)
      expect(first.report.outcome).toBe("tests-failed")

      const second = yield* Baseline.runBaseline(options).pipe(Effect.provide(stack(state)))
      expect(step(second.report, "install").outcome).toBe("reused")
      expect(second.report.tests).toMatchObject({ passed: 2, failed: 1, skipped: 1, runner: "vitest" })
    }),
    180_000
  )
})

