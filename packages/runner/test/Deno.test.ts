/**
 * Deno projects and Yarn Plug'n'Play end to end: core's detect decides the commands, the local
 * sandbox provides Deno (the npm registry's `deno` package) or Yarn Berry when the host has none
 * on its PATH, the baseline installs, type-checks and tests (network cut after install), and a
 * second run reuses the installed dependencies (Deno's module cache, PnP's install state and
 * project cache) without installing again.
 */
import { existsSync, readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Detect, type Run } from "@ratchet/core"
import { Baseline, FileArtifactStore, GitWorkspace, LocalSandbox } from "@ratchet/runner"
import { Effect, Layer } from "effect"
import { onPath } from "../src/internal/tools.js"
import { fixtureRepo, node, tempDir } from "./helpers.js"

const toolsDir = join(import.meta.dirname, "..", "..", "..", "node_modules", ".cache", "ratchet-runner-fixtures", "tools")

const step = (report: Run.BaselineReport, name: string): Run.StepResult => {
  const found = report.steps.find((s) => s.name === name)
  if (!found) throw new Error(`no step ${name} in ${JSON.stringify(report.steps.map((s) => s.name))}`)
  return found
}

describe("Deno projects", () => {
  it.live(
    "detect → baseline: Deno provided from the npm registry, `deno task test` read through JUnit, the second run reuses the module cache offline",
    () =>
      Effect.gen(function* () {
        const repo = yield* fixtureRepo("deno-app")
        const state = yield* tempDir("ratchet-state-")
        const profile = yield* Detect.detect(repo)
        expect(profile.packageManager.name).toBe("deno")
        expect(profile.commands.install?.command).toBe("deno install --frozen")
        expect(profile.commands.test?.command).toBe("deno task test")
        expect(profile.commands.typecheck?.command).toBe("deno check")

        const hostPath = `${dirname(node)}:/usr/bin:/bin`
        expect(onPath("deno", hostPath)).toBe(false)
        const layers = Layer.mergeAll(
          LocalSandbox.layerWith({ hostEnv: { ...process.env, PATH: hostPath }, toolsDir }),
          GitWorkspace.layer({ stateDir: state }),
          FileArtifactStore.layer(join(state, "artifacts"))
        )
        const first = yield* Baseline.runBaseline({ source: repo, profile, stateDir: state, rerunFailures: false }).pipe(Effect.provide(layers))
        const steps = JSON.stringify(first.report.steps.map((s) => [s.name, s.outcome, s.reason]))
        expect(first.report.outcome, steps).toBe("passed")
        expect(step(first.report, "install").outcome).toBe("passed")
        expect(step(first.report, "typecheck").outcome).toBe("passed")
        expect(first.report.tests).toMatchObject({ passed: 2, failed: 0, skipped: 1, runner: "deno" })
        expect((first.report.tests.tests ?? []).map((t) => `${t.status}:${t.name}`).sort()).toEqual([
          "passed:./mod_test.ts > hours",
          "passed:./mod_test.ts > seconds",
          "skipped:./mod_test.ts > days (not yet)"
        ])
        // the installed cache was saved with node_modules, Deno's own SQLite caches were not shared
        const deps = join(state, "cache", "deps")
        expect(existsSync(deps) && readdirSync(deps).length).toBe(1)

        const second = yield* Baseline.runBaseline({ source: repo, profile, stateDir: state, rerunFailures: false }).pipe(Effect.provide(layers))
        expect(step(second.report, "install").outcome).toBe("reused")
        expect(second.report.outcome, JSON.stringify(second.report.steps.map((s) => [s.name, s.outcome, s.reason]))).toBe("passed")
        expect(second.report.tests).toMatchObject({ passed: 2, failed: 0, skipped: 1, runner: "deno" })
      }),
    300_000
  )
})

describe("Yarn Plug'n'Play projects", () => {
  it.live(
    "detect → baseline: Yarn 4 provided, PnP install with the cache in the project, tests load packages through .pnp.cjs; the second run reuses the PnP state",
    () =>
      Effect.gen(function* () {
        const repo = yield* fixtureRepo("yarn-pnp-app")
        const state = yield* tempDir("ratchet-state-")
        const profile = yield* Detect.detect(repo)
        expect(profile.packageManager).toMatchObject({ name: "yarn", variant: "berry", version: "4.5.3", linker: "pnp" })
        expect(profile.commands.install?.command).toBe("yarn install --immutable")
        expect(profile.commands.test?.command).toBe("yarn test")

        const hostPath = `${dirname(node)}:/usr/bin:/bin`
        expect(onPath("yarn", hostPath)).toBe(false)
        const layers = Layer.mergeAll(
          LocalSandbox.layerWith({ hostEnv: { ...process.env, PATH: hostPath }, toolsDir }),
          GitWorkspace.layer({ stateDir: state }),
          FileArtifactStore.layer(join(state, "artifacts"))
        )
        const first = yield* Baseline.runBaseline({ source: repo, profile, stateDir: state, rerunFailures: false }).pipe(Effect.provide(layers))
        expect(first.report.outcome, JSON.stringify(first.report.steps.map((s) => [s.name, s.outcome, s.reason]))).toBe("passed")
        expect(first.report.tests).toMatchObject({ passed: 2, failed: 0, runner: "node:test" })

        const second = yield* Baseline.runBaseline({ source: repo, profile, stateDir: state, rerunFailures: false }).pipe(Effect.provide(layers))
        expect(step(second.report, "install").outcome).toBe("reused")
        expect(second.report.outcome, JSON.stringify(second.report.steps.map((s) => [s.name, s.outcome, s.reason]))).toBe("passed")
        expect(second.report.tests).toMatchObject({ passed: 2, failed: 0, runner: "node:test" })
      }),
    300_000
  )
})
