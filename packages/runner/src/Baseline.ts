/**
 * Runs a whole baseline from a directory or git URL: prepares an isolated worktree, runs core's
 * baseline stage through the local sandbox with the built-in test-result adapter, caches the
 * installed dependencies for later workspaces, and stores the artifacts.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Baseline } from "@ratchet/runner"
 *
 * const program = Baseline.runBaseline({ source: ".", profile }).pipe(
 *   Effect.provide(Baseline.layer({ stateDir: ".ratchet" }))
 * )
 * // => { report: { commit, steps, tests, outcome, reason }, artifacts, warnings, workspace }
 * ```
 *
 * @since 0.1.0
 */
import { join, resolve } from "node:path"
import { Effect, Layer } from "effect"
import {
  type ArtifactStore,
  Baseline as CoreBaseline,
  type Config,
  type Proposal,
  type RatchetError,
  type RepoProfile,
  type Run,
  type Sandbox,
  Workspace
} from "@ratchet/core"
import * as FileArtifactStore from "./FileArtifactStore.js"
import * as GitWorkspace from "./GitWorkspace.js"
import * as LocalSandbox from "./LocalSandbox.js"
import * as TestResults from "./TestResults.js"

/**
 * The built-in test adapter (vitest, jest, mocha, node:test, ava, bun).
 *
 * @since 0.1.0
 */
export const testAdapter: CoreBaseline.TestAdapter = {
  plan: (input) => TestResults.plan(input),
  read: (plan, result) => TestResults.read(plan as TestResults.TestPlan, result)
}

/**
 * Options of {@link runBaseline}.
 *
 * @since 0.1.0
 */
export interface RunBaselineOptions {
  /** A local directory or a git URL. */
  readonly source: string
  readonly profile: RepoProfile.RepoProfile
  /** A commit-ish; default `HEAD`. */
  readonly commit?: string
  readonly config?: Config.ResolvedConfig
  /** Ratchet's state directory, for the dependency cache. Default `.ratchet`. */
  readonly stateDir?: string
  readonly timeoutsMs?: CoreBaseline.BaselineOptions["timeoutsMs"]
  readonly limits?: Sandbox.Limits
  readonly onStep?: CoreBaseline.BaselineOptions["onStep"]
  /** Extra environment for every step (e.g. `npm_config_cache`). */
  readonly env?: Readonly<Record<string, string>>
  /** Extra directories the steps may write (e.g. a package-manager cache). */
  readonly writable?: ReadonlyArray<string>
  /** Rerun failing tests once to find flaky ones. Default `true`. */
  readonly rerunFailures?: boolean
}

/**
 * What {@link runBaseline} returns.
 *
 * @since 0.1.0
 */
export interface BaselineResult {
  readonly report: Run.BaselineReport
  readonly artifacts: ReadonlyArray<Proposal.ArtifactRef>
  readonly warnings: ReadonlyArray<string>
}

/**
 * Prepares a workspace and runs the baseline in it. Bad input (a missing path, a rejected URL, an
 * unknown commit) fails with `BadInput`; everything that goes wrong while running (install, build,
 * tests, timeouts, missing commands, a full disk, a failed clone) is an outcome in the report.
 *
 * @since 0.1.0
 */
export const runBaseline = Effect.fn("Baseline.runBaseline")(function* (options: RunBaselineOptions) {
  const workspaces = yield* Workspace.Workspace
  return yield* Effect.scoped(
    Effect.gen(function* () {
      const prepared = yield* workspaces
        .prepare({
          source: options.source,
          purpose: "baseline",
          packageManager: options.profile.packageManager.name,
          ...(options.commit !== undefined ? { commit: options.commit } : {})
        })
        .pipe(
          Effect.map((handle) => ({ ok: true as const, handle })),
          Effect.catchIf(
            (error: RatchetError.RatchetError) => error.reason._tag !== "BadInput",
            (error) => Effect.succeed({ ok: false as const, error })
          )
        )
      if (!prepared.ok) {
        const report: Run.BaselineReport = {
          commit: null,
          steps: [],
          tests: { passed: 0, failed: 0, skipped: 0, runner: null, tests: [] },
          outcome: "workspace-failed",
          reason: `could not prepare a workspace: ${prepared.error.message}`
        }
        return { report, artifacts: [], warnings: [] } satisfies BaselineResult
      }
      const handle = prepared.handle
      const result = yield* CoreBaseline.run({
        profile: options.profile,
        workspace: handle,
        testAdapter,
        ...(options.config ? { config: options.config } : {}),
        ...(options.timeoutsMs ? { timeoutsMs: options.timeoutsMs } : {}),
        ...(options.limits ? { limits: options.limits } : {}),
        ...(options.onStep ? { onStep: options.onStep } : {}),
        ...(options.env ? { env: options.env } : {}),
        ...(options.writable ? { writable: options.writable } : {}),
        ...(options.rerunFailures !== undefined ? { rerunFailures: options.rerunFailures } : {})
      })
      const install = result.report.steps.find((s) => s.name === "install")
      const warnings = [...result.warnings]
      if (install?.outcome === "passed") {
        yield* GitWorkspace.saveDependencies(handle, { packageManager: options.profile.packageManager.name, ...(options.stateDir ? { stateDir: options.stateDir } : {}) }).pipe(
          Effect.catch((error) => Effect.sync(() => warnings.push(`dependencies not cached: ${error.message}`)))
        )
      }
      return { report: result.report, artifacts: result.artifacts, warnings } satisfies BaselineResult
    })
  )
})

/**
 * Sandbox + Workspace + ArtifactStore for the CLI: a sandbox (the local one unless `sandbox` names
 * another layer, e.g. the one `SandboxBackend.select` chose), git worktrees under `<stateDir>` and
 * the content-addressed store under `<stateDir>/artifacts`.
 *
 * @since 0.1.0
 */
export const layer = (
  options: { readonly stateDir?: string; readonly sandbox?: Layer.Layer<Sandbox.Sandbox> } & GitWorkspace.GitWorkspaceOptions = {}
): Layer.Layer<Sandbox.Sandbox | Workspace.Workspace | ArtifactStore.ArtifactStore> => {
  const stateDir = resolve(options.stateDir ?? ".ratchet")
  return Layer.mergeAll(options.sandbox ?? LocalSandbox.layer, GitWorkspace.layer({ ...options, stateDir }), FileArtifactStore.layer(join(stateDir, "artifacts")))
}
