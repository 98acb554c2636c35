/**
 * `provider:model` specs (the `--llm` flag, config `llm.triage` / `llm.patch`) turned into models,
 * and the list of configured providers and models (`GET /api/llm/models`).
 *
 * Specs: `openai:MODEL`, `anthropic:MODEL`, `google:MODEL`, and `openai-compatible:MODEL@BASE_URL`
 * (the model may itself contain `:` and `@`, as Ollama tags do: the base URL starts at the last
 * `@http://` or `@https://`). Other providers are added with `providers` (plugins).
 *
 * @example
 * ```ts
 * import { Registry } from "@ratchet/providers"
 * import { Effect } from "effect"
 *
 * const model = Registry.fromSpec("openai-compatible:qwen2.5-coder:7b@http://127.0.0.1:11434/v1")
 * const models = Registry.configured(process.env) // which providers have keys, and their models
 * ```
 *
 * @since 0.2.0
 */
import { LanguageModel, RatchetError } from "@ratchet/core"
import { Effect, Layer } from "effect"
import * as Anthropic from "./Anthropic.js"
import * as Google from "./Google.js"
import type { Env } from "./internal/common.js"
import * as OpenAI from "./OpenAI.js"
import { knownModels, type PriceTable, priceOf } from "./Prices.js"

/**
 * A parsed spec.
 *
 * @since 0.2.0
 */
export interface Spec {
  readonly provider: string
  readonly model: string
  /** Only for `openai-compatible`. */
  readonly baseURL?: string
}

/**
 * What a provider factory gets.
 *
 * @since 0.2.0
 */
export interface FactoryOptions {
  readonly env: Env
  readonly prices: PriceTable
  readonly baseURL?: string
  readonly apiKey?: string
}

/**
 * Builds a model of one provider (throws `ModelCallError` of kind `auth` when its key is missing).
 *
 * @since 0.2.0
 */
export type Factory = (model: string, options: FactoryOptions) => LanguageModel.LanguageModelV1

/**
 * A provider: its factory, the variable holding its key (`null`: none needed), and whether specs
 * name a base URL.
 *
 * @since 0.2.0
 */
export interface ProviderEntry {
  readonly factory: Factory
  readonly keyVariables: ReadonlyArray<string>
  readonly needsBaseURL?: boolean
}

/**
 * The built-in providers.
 *
 * @since 0.2.0
 */
export const BUILTIN: Readonly<Record<string, ProviderEntry>> = {
  openai: {
    factory: (model, o) => OpenAI.model(model, { env: o.env, prices: o.prices, ...(o.apiKey ? { apiKey: o.apiKey } : {}), ...(o.baseURL ? { baseURL: o.baseURL } : {}) }),
    keyVariables: ["OPENAI_API_KEY"]
  },
  anthropic: {
    factory: (model, o) => Anthropic.model(model, { env: o.env, prices: o.prices, ...(o.apiKey ? { apiKey: o.apiKey } : {}), ...(o.baseURL ? { baseURL: o.baseURL } : {}) }),
    keyVariables: ["ANTHROPIC_API_KEY"]
  },
  google: {
    factory: (model, o) => Google.model(model, { env: o.env, prices: o.prices, ...(o.apiKey ? { apiKey: o.apiKey } : {}), ...(o.baseURL ? { baseURL: o.baseURL } : {}) }),
    keyVariables: ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
  },
  "openai-compatible": {
    factory: (model, o) => OpenAI.compatible(model, { env: o.env, prices: o.prices, baseURL: o.baseURL ?? "", ...(o.apiKey ? { apiKey: o.apiKey } : {}) }),
    keyVariables: [],
    needsBaseURL: true
  }
}

const EXAMPLES = "openai:gpt-5-mini, anthropic:claude-haiku-4-5, google:gemini-2.5-flash or openai-compatible:MODEL@http://127.0.0.1:11434/v1"

/**
 * Parses a spec; the error says what is wrong and shows valid forms.
 *
 * @since 0.2.0
 */
export const parseSpec = (text: string, providers: Readonly<Record<string, ProviderEntry>> = BUILTIN): Effect.Effect<Spec, RatchetError.RatchetError> =>
  Effect.suspend(() => {
    const bad = (what: string) => Effect.fail(RatchetError.badInput({ what, where: text, fix: `write PROVIDER:MODEL, e.g. ${EXAMPLES}` }))
    const colon = text.indexOf(":")
    if (colon <= 0) return bad("an LLM must be given as PROVIDER:MODEL")
    const provider = text.slice(0, colon)
    const rest = text.slice(colon + 1)
    const entry = providers[provider]
    if (entry === undefined) return bad(`unknown LLM provider "${provider}" (known: ${Object.keys(providers).join(", ")})`)
    if (!entry.needsBaseURL) return rest.trim() === "" ? bad("the model name is missing") : Effect.succeed({ provider, model: rest })
    const at = Math.max(rest.lastIndexOf("@http://"), rest.lastIndexOf("@https://"))
    if (at <= 0) return bad(`${provider} needs a base URL: ${provider}:MODEL@http(s)://HOST/v1`)
    const baseURL = rest.slice(at + 1)
    try {
      const url = new URL(baseURL)
      if (url.username !== "" || url.password !== "") return bad("the base URL must not carry credentials (set OPENAI_COMPATIBLE_API_KEY instead)")
    } catch {
      return bad(`"${baseURL}" is not a URL`)
    }
    return Effect.succeed({ provider, model: rest.slice(0, at), baseURL })
  })

/**
 * Options of {@link fromSpec}.
 *
 * @since 0.2.0
 */
export interface FromSpecOptions {
  /** Default `process.env`. */
  readonly env?: Env
  /** Overrides of the built-in prices (config `llm.prices`). */
  readonly prices?: PriceTable
  /** A key from a secret store, used instead of the environment's. */
  readonly apiKey?: string
  /** A base URL for the provider (config `llm.baseURL`; for `openai-compatible` the spec's wins). */
  readonly baseURL?: string
  /** Providers beyond the built-in ones (plugins), by name. */
  readonly providers?: Readonly<Record<string, ProviderEntry>>
}

/**
 * The model a spec names. A missing key or a malformed spec is bad input (exit 2 in the CLI), with
 * the variable to set.
 *
 * @since 0.2.0
 */
export const fromSpec = (text: string, options: FromSpecOptions = {}): Effect.Effect<LanguageModel.LanguageModelV1, RatchetError.RatchetError> =>
  Effect.gen(function* () {
    const providers = { ...BUILTIN, ...options.providers }
    const spec = yield* parseSpec(text, providers)
    const entry = providers[spec.provider]!
    const baseURL = spec.baseURL ?? options.baseURL
    return yield* Effect.try({
      try: () =>
        entry.factory(spec.model, {
          env: options.env ?? process.env,
          prices: options.prices ?? {},
          ...(baseURL ? { baseURL } : {}),
          ...(options.apiKey ? { apiKey: options.apiKey } : {})
        }),
      catch: (cause) =>
        cause instanceof LanguageModel.ModelCallError && cause.kind === "auth"
          ? RatchetError.badInput({
              what: `no API key for ${spec.provider}`,
              where: text,
              fix: `set ${entry.keyVariables.join(" or ")} (or store a key for the repository on the server)`
            })
          : RatchetError.badInput({ what: `cannot use ${text}: ${cause instanceof Error ? cause.message : String(cause)}`, where: text, fix: "check the provider settings" })
    })
  })

/**
 * The `LanguageModel` service for a spec, under a call policy.
 *
 * @since 0.2.0
 */
export const layer = (
  text: string,
  options: FromSpecOptions & { readonly policy?: LanguageModel.CallPolicy } = {}
): Layer.Layer<LanguageModel.LanguageModel, RatchetError.RatchetError> =>
  Layer.effect(
    LanguageModel.LanguageModel,
    Effect.map(fromSpec(text, options), (model) => LanguageModel.LanguageModel.make(model, options.policy))
  )

/**
 * A provider as `GET /api/llm/models` lists it.
 *
 * @since 0.2.0
 */
export interface ConfiguredProvider {
  readonly provider: string
  /** Whether a key is available (always true for providers that need none). */
  readonly configured: boolean
  readonly keyVariables: ReadonlyArray<string>
  readonly models: ReadonlyArray<{ readonly id: string; readonly spec: string; readonly price: LanguageModel.Price | null }>
}

/**
 * The providers, whether each has a key in `env` (or in `keys`, e.g. a secret store), and the models
 * known for each: the priced ones plus any given in `extra` specs (config `llm.triage`, `llm.patch`).
 *
 * @since 0.2.0
 */
export const configured = (
  env: Env,
  options: { readonly prices?: PriceTable; readonly keys?: ReadonlyArray<string>; readonly extra?: ReadonlyArray<string> } = {}
): ReadonlyArray<ConfiguredProvider> =>
  Object.entries(BUILTIN).map(([provider, entry]) => {
    const hasKey =
      entry.keyVariables.length === 0 ||
      (options.keys ?? []).includes(provider) ||
      entry.keyVariables.some((v) => (env[v] ?? "").trim() !== "")
    const extra = (options.extra ?? []).filter((s) => s.startsWith(`${provider}:`))
    const ids = [...new Set([...knownModels(provider, options.prices), ...extra.map((s) => s.slice(provider.length + 1))])]
    return {
      provider,
      configured: hasKey,
      keyVariables: entry.keyVariables,
      models: ids.map((id) => ({ id, spec: `${provider}:${id}`, price: priceOf(provider, id.split("@http")[0] ?? id, options.prices) }))
    }
  })
