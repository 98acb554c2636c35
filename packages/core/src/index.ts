/**
 * `@ratchet/core`: domain model, pipeline stages, plugin API and ports.
 *
 * @since 0.1.0
 */

/** @since 0.2.0 */
export * as Agent from "./Agent.js"
/** @since 0.1.0 */
export * as ArtifactStore from "./ArtifactStore.js"
/** @since 0.1.0 */
export * as Attempt from "./Attempt.js"
/** @since 0.1.0 */
export * as Baseline from "./Baseline.js"
/** @since 0.1.0 */
export * as BenchmarkResult from "./BenchmarkResult.js"
/** @since 0.1.0 */
export * as Candidate from "./Candidate.js"
/** @since 0.1.0 */
export * as Config from "./Config.js"
/** @since 0.1.0 */
export * as Detect from "./Detect.js"
/** @since 0.2.0 */
export * as Diff from "./Diff.js"
/** @since 0.1.0 */
export * as LanguageModel from "./LanguageModel.js"
/** @since 0.2.0 */
export * as LlmCall from "./LlmCall.js"
/** @since 0.1.0 */
export * as Opportunity from "./Opportunity.js"
/** @since 0.1.0 */
export * as Package from "./Package.js"
/** @since 0.1.0 */
export * as Patch from "./Patch.js"
/** @since 0.1.0 */
export * as Patchgen from "./Patchgen.js"
/** @since 0.1.0 */
export * as Plugin from "./Plugin.js"
/** @since 0.1.0 */
export * as PolicyVerdict from "./PolicyVerdict.js"
/** @since 0.1.0 */
export * as Proposal from "./Proposal.js"
/** @since 0.1.0 */
export * as RatchetError from "./RatchetError.js"
/** @since 0.1.0 */
export * as RepoProfile from "./RepoProfile.js"
/** @since 0.1.0 */
export * as Run from "./Run.js"
/** @since 0.1.0 */
export * as Sandbox from "./Sandbox.js"
/** @since 0.1.0 */
export * as Scan from "./Scan.js"
/** @since 0.2.0 */
export * as ScanRule from "./ScanRule.js"
/** @since 0.1.0 */
export * as SourceConnector from "./SourceConnector.js"
/** @since 0.1.0 */
export * as Stats from "./Stats.js"
/** @since 0.2.0 */
export * as SynthBench from "./SynthBench.js"
/** @since 0.2.0 */
export * as Task from "./Task.js"
/** @since 0.1.0 */
export * as Templates from "./Templates.js"
/** @since 0.1.0 */
export * as TestSummary from "./TestSummary.js"
/** @since 0.1.0 */
export * as Validate from "./Validate.js"
/** @since 0.1.0 */
export * as Workspace from "./Workspace.js"

export { defineConfig } from "./Config.js"
export { definePlugin } from "./Plugin.js"
/** @since 0.1.0 */
export * as BenchRunner from "./BenchRunner.js"
/** @since 0.1.0 */
export * as Pipeline from "./Pipeline.js"
/** @since 0.1.0 */
export * as PolicyCheck from "./PolicyCheck.js"
/** @since 0.1.0 */
export * as Report from "./Report.js"
