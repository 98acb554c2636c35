/**
 * `@ratchet/server`: the reference server, store, scheduler and the `ratchet` CLI.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Cli from "./Cli.js"
