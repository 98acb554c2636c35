/**
 * Runs, their events, the baseline report and the `ratchet run --json` report.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Attempt } from "./Attempt.js"
import { LlmRunSummary } from "./LlmCall.js"
import { Proposal } from "./Proposal.js"
import { RepoProfile } from "./RepoProfile.js"
import { TestSummary } from "./TestSummary.js"

/**
 * One executed step: command, exit code, duration and resource use.
 *
 * @since 0.1.0
 */
export const StepResult = Schema.Struct({
  name: Schema.String,
  command: Schema.String,
  cwd: Schema.optionalKey(Schema.String),
  exitCode: Schema.NullOr(Schema.Number),
  signal: Schema.optionalKey(Schema.NullOr(Schema.String)),
  durationMs: Schema.Number,
  cpuMs: Schema.optionalKey(Schema.NullOr(Schema.Number)),
  peakMemoryBytes: Schema.optionalKey(Schema.NullOr(Schema.Number)),
  timedOut: Schema.optionalKey(Schema.Boolean),
  outcome: Schema.optionalKey(Schema.String),
  reason: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** Tests that failed and then passed on the rerun (a test step that is `passed (flaky: N)`). @since 0.2.0 */
  flaky: Schema.optionalKey(Schema.Number)
})
/** @since 0.1.0 */
export type StepResult = typeof StepResult.Type

/**
 * The `ratchet baseline --json` output (also `RunReport.baseline`).
 *
 * @since 0.1.0
 */
export const BaselineReport = Schema.Struct({
  commit: Schema.optionalKey(Schema.NullOr(Schema.String)),
  steps: Schema.Array(StepResult),
  tests: TestSummary,
  outcome: Schema.optionalKey(Schema.String),
  reason: Schema.optionalKey(Schema.NullOr(Schema.String))
})
/** @since 0.1.0 */
export type BaselineReport = typeof BaselineReport.Type

/**
 * The `ratchet run --json` output.
 *
 * @since 0.1.0
 */
export const RunReport = Schema.Struct({
  runId: Schema.String,
  commit: Schema.NullOr(Schema.String),
  profile: RepoProfile,
  baseline: BaselineReport,
  attempts: Schema.Array(Attempt),
  proposals: Schema.Array(Proposal),
  /** The LLM agent's calls, tokens, cost and budget, when the run used one. @since 0.2.0 */
  llm: Schema.optionalKey(LlmRunSummary)
})
/** @since 0.1.0 */
export type RunReport = typeof RunReport.Type

/** @since 0.1.0 */
export const RunStatus = Schema.Literals(["queued", "running", "succeeded", "failed", "cancelled"])
/** @since 0.1.0 */
export type RunStatus = typeof RunStatus.Type

/** @since 0.1.0 */
export const Stage = Schema.Literals(["detect", "baseline", "scan", "patchgen", "validate", "package"])
/** @since 0.1.0 */
export type Stage = typeof Stage.Type

/**
 * A run as the server stores it.
 *
 * @since 0.1.0
 */
export const Run = Schema.Struct({
  id: Schema.String,
  repoId: Schema.String,
  status: RunStatus,
  commit: Schema.NullOr(Schema.String),
  stages: Schema.Array(Schema.Struct({ stage: Stage, status: RunStatus, durationMs: Schema.NullOr(Schema.Number) })),
  createdAt: Schema.String,
  finishedAt: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String)
})
/** @since 0.1.0 */
export type Run = typeof Run.Type

/**
 * A progress event of a run (streamed as Server-Sent Events by the server).
 *
 * @since 0.1.0
 */
export const RunEvent = Schema.Struct({
  runId: Schema.String,
  seq: Schema.Number,
  at: Schema.String,
  type: Schema.Literals(["stage-started", "stage-finished", "progress", "attempt", "proposal", "log", "finished", "failed"]),
  stage: Schema.NullOr(Stage),
  message: Schema.String,
  data: Schema.optionalKey(Schema.Unknown)
})
/** @since 0.1.0 */
export type RunEvent = typeof RunEvent.Type
