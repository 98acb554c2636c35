/**
 * The `TestRunner` port: runs a profile's test command in a workspace and parses the results.
 * `@ratchet/runner` provides the real one (reporters injected per test framework).
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import type { RatchetError } from "./RatchetError.js"
import type { RepoProfile } from "./RepoProfile.js"
import type { StepResult } from "./Run.js"
import type { TestSummary } from "./TestSummary.js"
import type { WorkspaceHandle } from "./Workspace.js"

/**
 * One test run: the step as executed and the parsed summary (with per-test outcomes where available).
 *
 * @since 0.1.0
 */
export interface TestRun {
  readonly step: StepResult
  readonly tests: TestSummary
  /** The tail of the output, for failure reasons. */
  readonly outputTail: string
}

/**
 * Runs tests.
 *
 * @since 0.1.0
 */
export class TestRunner extends Context.Service<
  TestRunner,
  {
    /** Runs `profile.commands.test` in the workspace (network off), reruns failures once to find flaky tests. */
    readonly run: (workspace: WorkspaceHandle, profile: RepoProfile) => Effect.Effect<TestRun, RatchetError>
    /** Runs another profile command (build, typecheck) in the workspace. */
    readonly step: (
      workspace: WorkspaceHandle,
      profile: RepoProfile,
      name: "build" | "typecheck"
    ) => Effect.Effect<{ readonly step: StepResult; readonly outputTail: string } | null, RatchetError>
  }
>()("@ratchet/core/TestRunner") {
  /**
   * For tests: `results` maps a workspace path to its test summary.
   *
   * @since 0.1.0
   */
  static readonly layerTest = (results: (workspace: WorkspaceHandle) => TestSummary): Layer.Layer<TestRunner> =>
    Layer.succeed(TestRunner, {
      run: (workspace, profile) =>
        Effect.sync(() => {
          const tests = results(workspace)
          return {
            step: { name: "test", command: profile.commands.test?.command ?? "", exitCode: tests.failed > 0 ? 1 : 0, durationMs: 0 },
            tests,
            outputTail: ""
          }
        }),
      step: () => Effect.succeed(null)
    })
}
