/**
 * Stage 2 — baseline: install, build, typecheck, test and bench in an isolated workspace.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { ArtifactStore } from "./ArtifactStore.js"
import type { ResolvedConfig } from "./Config.js"
import { notImplemented, type RatchetError } from "./RatchetError.js"
import type { RepoProfile } from "./RepoProfile.js"
import type { BaselineReport } from "./Run.js"
import type { Sandbox } from "./Sandbox.js"
import type { WorkspaceHandle } from "./Workspace.js"

/** @since 0.1.0 */
export interface BaselineOptions {
  readonly profile: RepoProfile
  readonly workspace: WorkspaceHandle
  readonly config?: ResolvedConfig
}

/**
 * Runs the baseline steps the profile has, records each and parses test results.
 *
 * @since 0.1.0
 */
export const baseline = (
  _options: BaselineOptions
): Effect.Effect<BaselineReport, RatchetError, Sandbox | ArtifactStore> => Effect.fail(notImplemented("baseline"))
