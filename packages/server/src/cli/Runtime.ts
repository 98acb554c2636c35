/**
 * The composition root of the CLI: which adapters (layers) back core's ports. The composition
 * itself lives in `internal/pipeline.ts`, shared with the server.
 */
export { policyLayer, portsLayer, stagesLayer, stateDir, testAdapter } from "../internal/pipeline.js"
