/**
 * The `LanguageModel` port and the `LanguageModelV1` provider spec (AI SDK style).
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import { type RatchetError, internal } from "./RatchetError.js"

/** @since 0.1.0 */
export interface Message {
  readonly role: "system" | "user" | "assistant"
  readonly content: string
}

/** @since 0.1.0 */
export interface GenerateOptions {
  readonly messages: ReadonlyArray<Message>
  /** A JSON schema: the model must answer with JSON matching it. */
  readonly jsonSchema?: Record<string, unknown>
  readonly maxOutputTokens?: number
  readonly temperature?: number
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
}

/** @since 0.1.0 */
export interface Usage {
  readonly inputTokens: number
  readonly outputTokens: number
  readonly reasoningTokens?: number
  readonly costUsd: number
}

/** @since 0.1.0 */
export interface GenerateResult {
  readonly text: string
  readonly reasoning: string | null
  readonly usage: Usage
  readonly finishReason: "stop" | "length" | "content-filter" | "tool-calls" | "error" | "other"
  /** Parsed JSON when `jsonSchema` was given. */
  readonly json?: unknown
}

/**
 * A provider implements this small versioned spec.
 *
 * @since 0.1.0
 */
export interface LanguageModelV1 {
  readonly specificationVersion: "v1"
  readonly provider: string
  readonly modelId: string
  readonly generate: (options: GenerateOptions) => Promise<GenerateResult>
  readonly stream?: (options: GenerateOptions) => AsyncIterable<{ readonly type: "text" | "reasoning"; readonly delta: string }>
}

/**
 * The language model used by LLM patchgen.
 *
 * @since 0.1.0
 */
export class LanguageModel extends Context.Service<
  LanguageModel,
  {
    readonly model: LanguageModelV1
    readonly generate: (options: GenerateOptions) => Effect.Effect<GenerateResult, RatchetError>
  }
>()("@ratchet/core/LanguageModel") {
  /**
   * Wraps a `LanguageModelV1` as the service.
   *
   * @since 0.1.0
   */
  static readonly layer = (model: LanguageModelV1): Layer.Layer<LanguageModel> =>
    Layer.succeed(LanguageModel, {
      model,
      generate: (options) =>
        Effect.tryPromise({
          try: () => model.generate(options),
          catch: (cause) => internal(`${model.provider}/${model.modelId}: ${String(cause)}`, cause)
        })
    })

  /**
   * A scripted model for tests: answers each call with the next response.
   *
   * @since 0.1.0
   */
  static readonly layerTest = (responses: ReadonlyArray<Partial<GenerateResult>>): Layer.Layer<LanguageModel> => {
    let i = 0
    return LanguageModel.layer({
      specificationVersion: "v1",
      provider: "test",
      modelId: "scripted",
      generate: async () => {
        const next = responses[Math.min(i++, responses.length - 1)] ?? {}
        return {
          text: "",
          reasoning: null,
          usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
          finishReason: "stop",
          ...next
        }
      }
    })
  }
}
