/**
 * `@ratchet/runner`: isolated workspaces, the local sandbox, the artifact store, test-result parsers
 * and the baseline runner.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as LocalSandbox from "./LocalSandbox.js"
/** @since 0.2.0 */
export * as BwrapSandbox from "./BwrapSandbox.js"
/** @since 0.2.0 */
export * as SandboxBackend from "./SandboxBackend.js"
/** @since 0.1.0 */
export * as FileArtifactStore from "./FileArtifactStore.js"
/** @since 0.1.0 */
export * as Dependencies from "./Dependencies.js"
/** @since 0.1.0 */
export * as RemoteHost from "./RemoteHost.js"
/** @since 0.1.0 */
export * as GitWorkspace from "./GitWorkspace.js"
/** @since 0.1.0 */
export * as TestResults from "./TestResults.js"
/** @since 0.1.0 */
export * as Baseline from "./Baseline.js"
/** @since 0.1.0 */
export * as Bench from "./Bench.js"
/** @since 0.2.0 */
export * as Synth from "./Synth.js"
