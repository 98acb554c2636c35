/**
 * `@ratchet/connectors`: the WriteGate (the only path to a remote write), the approval store
 * port, the GitHub and local git connectors and secret redaction.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as ApprovalStore from "./ApprovalStore.js"
/** @since 0.1.0 */
export * as ConnectorError from "./ConnectorError.js"
/** @since 0.1.0 */
export * as GitHubConnector from "./GitHubConnector.js"
/** @since 0.2.0 */
export * as GitHubWebhook from "./GitHubWebhook.js"
/** @since 0.1.0 */
export * as LocalGitConnector from "./LocalGitConnector.js"
/** @since 0.1.0 */
export * as Redact from "./Redact.js"
/** @since 0.1.0 */
export * as WriteGate from "./WriteGate.js"
