/**
 * Stage 6 — package: bundle an accepted candidate and its evidence into a `Proposal`.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { ArtifactStore } from "./ArtifactStore.js"
import type { Attempt } from "./Attempt.js"
import type { Candidate } from "./Candidate.js"
import type { Proposal } from "./Proposal.js"
import { notImplemented, type RatchetError } from "./RatchetError.js"
import type { Validation } from "./Validate.js"

/** @since 0.1.0 */
export interface PackageOptions {
  readonly candidate: Candidate
  readonly validation: Validation
  readonly trace: ReadonlyArray<Attempt>
}

/**
 * Packages a validated candidate; artifacts are stored content-addressed.
 *
 * @since 0.1.0
 */
export const packageProposal = (_options: PackageOptions): Effect.Effect<Proposal, RatchetError, ArtifactStore> =>
  Effect.fail(notImplemented("package"))
