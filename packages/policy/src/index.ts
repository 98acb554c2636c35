/**
 * `@ratchet/policy`: the unified-diff parser and the policy engine with its built-in rules.
 * Pure: it gets diff text and options and returns data.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Diff from "./Diff.js"
/** @since 0.1.0 */
export * as PolicyError from "./PolicyError.js"
/** @since 0.1.0 */
export * as PolicyEngine from "./PolicyEngine.js"
/** @since 0.1.0 */
export * as PolicyRules from "./PolicyRules.js"
