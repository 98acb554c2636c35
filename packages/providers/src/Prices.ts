/**
 * The price table: US dollars per million tokens, per model and token kind, turning usage into money.
 *
 * Keys are `provider:model`. A model id matches its own key or, failing that, the longest key it
 * starts with (`gpt-5-2025-08-07` is priced as `gpt-5`, `gpt-5-mini` as `gpt-5-mini`). Overrides
 * (config `llm.prices`) win over the built-in table; a model nobody prices costs `null`, which
 * callers report (costs then count as $0 and only token budgets bind).
 *
 * The built-in figures are the providers' public list prices (standard tier, prompts up to 200k
 * tokens) as of {@link AS_OF}; prices change, so set `llm.prices` when exact money matters.
 *
 * @example
 * ```ts
 * import { Prices } from "@ratchet/providers"
 *
 * Prices.priceOf("openai", "gpt-5-mini") // { input: 0.25, cachedInput: 0.025, output: 2 }
 * Prices.priceOf("openai", "my-finetune", { "openai:my-finetune": { input: 3, output: 12 } })
 * ```
 *
 * @since 0.2.0
 */
import type { LanguageModel } from "@ratchet/core"

/**
 * Prices keyed by `provider:model`.
 *
 * @since 0.2.0
 */
export type PriceTable = Readonly<Record<string, LanguageModel.Price>>

/**
 * When the built-in figures were taken from the providers' price pages.
 *
 * @since 0.2.0
 */
export const AS_OF = "2025-11"

/**
 * The built-in prices.
 *
 * @since 0.2.0
 */
export const DEFAULT_PRICES: PriceTable = {
  "openai:gpt-5": { input: 1.25, cachedInput: 0.125, output: 10 },
  "openai:gpt-5.1": { input: 1.25, cachedInput: 0.125, output: 10 },
  "openai:gpt-5-mini": { input: 0.25, cachedInput: 0.025, output: 2 },
  "openai:gpt-5-nano": { input: 0.05, cachedInput: 0.005, output: 0.4 },
  "openai:gpt-5-codex": { input: 1.25, cachedInput: 0.125, output: 10 },
  "openai:gpt-4.1": { input: 2, cachedInput: 0.5, output: 8 },
  "openai:gpt-4.1-mini": { input: 0.4, cachedInput: 0.1, output: 1.6 },
  "openai:gpt-4.1-nano": { input: 0.1, cachedInput: 0.025, output: 0.4 },
  "openai:gpt-4o": { input: 2.5, cachedInput: 1.25, output: 10 },
  "openai:gpt-4o-mini": { input: 0.15, cachedInput: 0.075, output: 0.6 },
  "openai:o3": { input: 2, cachedInput: 0.5, output: 8 },
  "openai:o4-mini": { input: 1.1, cachedInput: 0.275, output: 4.4 },
  "anthropic:claude-opus-4-5": { input: 5, cachedInput: 0.5, cacheWrite: 6.25, output: 25 },
  "anthropic:claude-opus-4-1": { input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
  "anthropic:claude-opus-4-20250514": { input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
  "anthropic:claude-sonnet-4-5": { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
  "anthropic:claude-sonnet-4-20250514": { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
  "anthropic:claude-haiku-4-5": { input: 1, cachedInput: 0.1, cacheWrite: 1.25, output: 5 },
  "anthropic:claude-3-5-haiku": { input: 0.8, cachedInput: 0.08, cacheWrite: 1, output: 4 },
  "google:gemini-3-pro-preview": { input: 2, cachedInput: 0.2, output: 12 },
  "google:gemini-2.5-pro": { input: 1.25, cachedInput: 0.125, output: 10 },
  "google:gemini-2.5-flash": { input: 0.3, cachedInput: 0.03, output: 2.5 },
  "google:gemini-2.5-flash-lite": { input: 0.1, cachedInput: 0.01, output: 0.4 }
}

const lookup = (table: PriceTable, provider: string, model: string): LanguageModel.Price | null => {
  const exact = table[`${provider}:${model}`]
  if (exact !== undefined) return exact
  let best: { key: string; price: LanguageModel.Price } | null = null
  for (const [key, price] of Object.entries(table)) {
    const [p, ...rest] = key.split(":")
    const m = rest.join(":")
    if (p !== provider || m === "" || !model.startsWith(m)) continue
    // A prefix must end at a word boundary: `gpt-5-mini` is not priced as `gpt-5-m`.
    const next = model.charAt(m.length)
    if (next !== "" && next !== "-" && next !== "@" && next !== ":") continue
    if (best === null || m.length > best.key.length) best = { key: m, price }
  }
  return best?.price ?? null
}

/**
 * The price of a model: the overrides first, then the built-in table; `null` when neither knows it.
 *
 * @since 0.2.0
 */
export const priceOf = (provider: string, model: string, overrides: PriceTable = {}): LanguageModel.Price | null =>
  lookup(overrides, provider, model) ?? lookup(DEFAULT_PRICES, provider, model)

/**
 * The models the built-in table prices for a provider.
 *
 * @since 0.2.0
 */
export const knownModels = (provider: string, overrides: PriceTable = {}): ReadonlyArray<string> =>
  [...new Set([...Object.keys(DEFAULT_PRICES), ...Object.keys(overrides)])]
    .filter((key) => key.startsWith(`${provider}:`))
    .map((key) => key.slice(provider.length + 1))
    .sort()
