/**
 * `@ratchet/server`: the reference server, store, scheduler and the `ratchet` CLI.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Cli from "./Cli.js"
/** @since 0.1.0 */
export * as Api from "./Api.js"
/** @since 0.2.0 */
export * as Dashboard from "./Dashboard.js"
/** @since 0.1.0 */
export * as Database from "./Database.js"
/** @since 0.1.0 */
export * as Runs from "./Runs.js"
/** @since 0.1.0 */
export * as Scheduler from "./Scheduler.js"
/** @since 0.2.0 */
export * as Secrets from "./Secrets.js"
/** @since 0.1.0 */
export * as Server from "./Server.js"
/** @since 0.1.0 */
export * as ServerError from "./ServerError.js"
/** @since 0.1.0 */
export * as Store from "./Store.js"
/** @since 0.2.0 */
export * as Tenants from "./Tenants.js"
