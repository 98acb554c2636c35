/**
 * Stage 5 — validate: apply a candidate in its own workspace, check policy, build, test and benchmark it.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { ArtifactStore } from "./ArtifactStore.js"
import type { Attempt } from "./Attempt.js"
import type { BenchmarkResult } from "./BenchmarkResult.js"
import type { Candidate } from "./Candidate.js"
import type { ResolvedConfig } from "./Config.js"
import type { PolicyVerdict } from "./PolicyVerdict.js"
import { notImplemented, type RatchetError } from "./RatchetError.js"
import type { RepoProfile } from "./RepoProfile.js"
import type { BaselineReport } from "./Run.js"
import type { Sandbox } from "./Sandbox.js"
import type { TestSummary } from "./TestSummary.js"
import type { Workspace, WorkspaceHandle } from "./Workspace.js"

/** @since 0.1.0 */
export interface ValidateOptions {
  readonly candidate: Candidate
  readonly profile: RepoProfile
  readonly baseline: BaselineReport
  readonly baselineWorkspace: WorkspaceHandle
  readonly source: string
  readonly config?: ResolvedConfig
}

/**
 * The result of validating one candidate.
 *
 * @since 0.1.0
 */
export interface Validation {
  readonly attempt: Attempt
  readonly tests: TestSummary | null
  readonly benchmark: BenchmarkResult | null
  readonly policy: ReadonlyArray<PolicyVerdict>
}

/**
 * Validates one candidate.
 *
 * @since 0.1.0
 */
export const validate = (
  _options: ValidateOptions
): Effect.Effect<Validation, RatchetError, Sandbox | Workspace | ArtifactStore> => Effect.fail(notImplemented("validate"))
