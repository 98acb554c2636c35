/**
 * Stage 1 — detect: build a `RepoProfile` from a repository's files.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { ResolvedConfig } from "./Config.js"
import { notImplemented, type RatchetError } from "./RatchetError.js"
import type { RepoProfile } from "./RepoProfile.js"

/** @since 0.1.0 */
export interface DetectOptions {
  readonly config?: ResolvedConfig
}

/**
 * Detects package manager, workspaces, frameworks and commands of the repository at `root`.
 *
 * @since 0.1.0
 */
export const detect = (_root: string, _options: DetectOptions = {}): Effect.Effect<RepoProfile, RatchetError> =>
  Effect.fail(notImplemented("detect"))
