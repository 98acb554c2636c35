/**
 * `@ratchet/providers`: LLM providers (OpenAI, Anthropic, Google, any OpenAI-compatible endpoint)
 * behind core's `LanguageModel` port, the price table, and the `provider:model` registry.
 *
 * @since 0.1.0
 */

/** @since 0.2.0 */
export * as OpenAI from "./OpenAI.js"
/** @since 0.2.0 */
export * as Prices from "./Prices.js"
/** @since 0.2.0 */
export * as Anthropic from "./Anthropic.js"
/** @since 0.2.0 */
export * as Google from "./Google.js"
/** @since 0.2.0 */
export * as Registry from "./Registry.js"
