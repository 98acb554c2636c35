/**
 * The composition root of the CLI: which adapters (layers) back core's ports. The composition
 * itself lives in `internal/pipeline.ts`, shared with the server's real stages.
 */
export { pipelineLayer, policyLayer, portsLayer, stateDir, testAdapter } from "../internal/pipeline.js"
