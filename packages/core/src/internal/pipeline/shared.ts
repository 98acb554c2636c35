/**
 * What the pipeline's public module and its stage implementations share (kept here so that
 * neither imports the other at run time).
 *
 * @internal
 */
import { Context, type Effect } from "effect"
import type { Candidate } from "../../Candidate.js"
import type { ResolvedConfig } from "../../Config.js"
import type { Opportunity } from "../../Opportunity.js"
import type { RatchetError } from "../../RatchetError.js"
import type { RepoProfile } from "../../RepoProfile.js"
import type { BaselineReport } from "../../Run.js"

/** A patch source: candidates from the scanned opportunities and the checkout. */
export interface PatchSource {
  readonly name: string
  readonly generate: (context: {
    readonly root: string
    readonly profile: RepoProfile
    readonly opportunities: ReadonlyArray<Opportunity>
    readonly config: ResolvedConfig
    /** How many candidates the run can still validate. */
    readonly budget: number
  }) => Effect.Effect<ReadonlyArray<Candidate>, RatchetError>
}

/** The extra patch sources of the real stages (default: none). */
export class PatchSources extends Context.Reference<ReadonlyArray<PatchSource>>("@ratchet/core/Pipeline/PatchSources", {
  defaultValue: () => []
}) {}

/** The steps whose failure stops a run before any candidate is tried. */
export const blockingFailure = (report: BaselineReport): string | null => {
  const test = report.steps.find((s) => s.name === "test")
  if (test === undefined) return "the repository has no test command: a candidate cannot be proven without tests"
  const broken = report.steps.find(
    (s) => (s.name === "install" || s.name === "build") && s.outcome !== undefined && !["passed", "reused", "skipped"].includes(s.outcome)
  )
  if (broken) return `baseline ${broken.name} failed: ${broken.reason ?? `exit ${broken.exitCode ?? broken.signal}`}`
  if (test.outcome === "skipped") return `the test step did not run: ${test.reason ?? report.reason ?? "an earlier step failed"}`
  if (test.timedOut) return `baseline tests timed out: ${test.reason ?? ""}`.trim()
  if (report.tests.passed === 0) {
    return `the baseline passed no test (${test.reason ?? `exit ${test.exitCode ?? test.signal}`}): a candidate cannot be proven without passing tests`
  }
  return null
}
