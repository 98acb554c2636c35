/**
 * Stage 4 — patchgen: turn opportunities into candidate patches.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Candidate } from "./Candidate.js"
import type { Opportunity } from "./Opportunity.js"
import type { Plugin } from "./Plugin.js"
import { notImplemented, type RatchetError } from "./RatchetError.js"
import type { RepoProfile } from "./RepoProfile.js"

/** @since 0.1.0 */
export interface PatchgenOptions {
  readonly root: string
  readonly opportunities: ReadonlyArray<Opportunity>
  readonly plugins?: ReadonlyArray<Plugin>
  readonly profile?: RepoProfile | null
}

/**
 * Runs the `patchgen` hooks over each opportunity; the first non-null candidate wins.
 *
 * @since 0.1.0
 */
export const patchgen = (_options: PatchgenOptions): Effect.Effect<ReadonlyArray<Candidate>, RatchetError> =>
  Effect.fail(notImplemented("patchgen"))
