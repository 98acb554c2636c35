/**
 * The `LanguageModel` port and the `LanguageModelV1` provider spec (AI SDK style).
 *
 * A provider implements {@link LanguageModelV1}: plain promises and async iterables, no Effect, so a
 * plugin author can wrap any HTTP API. It throws {@link ModelCallError} for failures it can classify
 * (a bad key, an unknown model, a rate limit with its `retry-after`, …) and honours `options.signal`.
 *
 * The {@link LanguageModel} service wraps such a model for the pipeline: one call policy for every
 * provider — retries with exponential backoff on rate limits, overload, server errors and broken
 * responses (honouring the provider's `retry-after`), a timeout per attempt, cancellation by
 * interruption (the request is aborted), and errors as `RatchetError` with a `ModelFailure` reason.
 *
 * @example
 * ```ts
 * import { LanguageModel } from "@ratchet/core"
 * import { Effect } from "effect"
 *
 * const answer = Effect.gen(function* () {
 *   const lm = yield* LanguageModel.LanguageModel
 *   const result = yield* lm.generate({ messages: [{ role: "user", content: "Say hi" }] })
 *   return `${result.text} (${result.usage.inputTokens} in, ${result.usage.outputTokens} out, $${result.usage.costUsd})`
 * }).pipe(Effect.provide(LanguageModel.LanguageModel.layerTest([{ text: "hi" }])))
 * ```
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer, Random, Stream } from "effect"
import { modelFailure, type RatchetError } from "./RatchetError.js"

/** @since 0.1.0 */
export interface SystemMessage {
  readonly role: "system"
  readonly content: string
}

/** @since 0.1.0 */
export interface UserMessage {
  readonly role: "user"
  readonly content: string
}

/**
 * Opaque state a provider needs to continue a conversation exactly (Anthropic thinking blocks with
 * their signatures, OpenAI reasoning items, Gemini thought signatures). Only the provider named in
 * `provider` reads it; others ignore it.
 *
 * @since 0.2.0
 */
export interface ProviderData {
  readonly provider: string
  readonly data: unknown
}

/** @since 0.2.0 */
export interface AssistantMessage {
  readonly role: "assistant"
  readonly content: string
  readonly toolCalls?: ReadonlyArray<ToolCall>
  readonly reasoning?: string | null
  readonly providerData?: ProviderData
}

/**
 * The result of a tool call, sent back to the model.
 *
 * @since 0.2.0
 */
export interface ToolMessage {
  readonly role: "tool"
  readonly toolCallId: string
  readonly toolName: string
  readonly content: string
  readonly isError?: boolean
}

/** @since 0.1.0 */
export type Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage

/**
 * A JSON schema (draft 2020-12 subset the providers accept: objects, arrays, strings, numbers, enums).
 *
 * @since 0.2.0
 */
export type JsonSchema = { readonly [key: string]: unknown }

/**
 * A tool the model may call.
 *
 * @since 0.2.0
 */
export interface ToolDefinition {
  readonly name: string
  readonly description: string
  readonly inputSchema: JsonSchema
}

/**
 * A tool call the model made.
 *
 * @since 0.2.0
 */
export interface ToolCall {
  readonly id: string
  readonly name: string
  /** The arguments, parsed; `null` when `arguments` is not valid JSON. */
  readonly input: unknown
  /** The arguments exactly as the model wrote them. */
  readonly arguments: string
}

/**
 * `auto`: the model decides; `required`: it must call some tool; `none`: no tool; `{ tool }`: that one.
 *
 * @since 0.2.0
 */
export type ToolChoice = "auto" | "required" | "none" | { readonly tool: string }

/**
 * How much the model should reason before answering, where the provider supports it.
 *
 * @since 0.2.0
 */
export interface ReasoningOptions {
  readonly effort?: "low" | "medium" | "high"
  /** A token budget for thinking (Anthropic `budget_tokens`, Gemini `thinkingBudget`). */
  readonly budgetTokens?: number
}

/** @since 0.1.0 */
export interface GenerateOptions {
  readonly messages: ReadonlyArray<Message>
  /** A JSON schema: the model must answer with JSON matching it (`result.json`). */
  readonly jsonSchema?: JsonSchema
  /** A name for the schema (some providers require one); default `response`. */
  readonly jsonSchemaName?: string
  readonly tools?: ReadonlyArray<ToolDefinition>
  readonly toolChoice?: ToolChoice
  readonly reasoning?: ReasoningOptions
  readonly maxOutputTokens?: number
  readonly temperature?: number
  /** Per attempt; the service's default applies when absent. */
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
}

/**
 * Token usage of one call. `inputTokens` counts every input token, including those read from or
 * written to a prompt cache; `outputTokens` includes reasoning tokens.
 *
 * @since 0.1.0
 */
export interface Usage {
  readonly inputTokens: number
  readonly outputTokens: number
  /** Input tokens read from the provider's prompt cache (billed at the cached rate). */
  readonly cachedInputTokens?: number
  /** Input tokens written to the provider's prompt cache (Anthropic bills them at a premium). */
  readonly cacheWriteTokens?: number
  /** Output tokens spent on reasoning/thinking (part of `outputTokens`). */
  readonly reasoningTokens?: number
  readonly costUsd: number
}

/** @since 0.2.0 */
export type FinishReason = "stop" | "length" | "content-filter" | "tool-calls" | "error" | "other"

/** @since 0.1.0 */
export interface GenerateResult {
  readonly text: string
  /** The reasoning/thinking trace the provider returned (a summary for some providers), or `null`. */
  readonly reasoning: string | null
  readonly toolCalls?: ReadonlyArray<ToolCall>
  readonly usage: Usage
  readonly finishReason: FinishReason
  /** Parsed JSON when `jsonSchema` was given. */
  readonly json?: unknown
  /** The answer as a message to append to the conversation (keeps provider state for the next turn). */
  readonly message?: AssistantMessage
  /** The provider's id for the response, when it gives one. */
  readonly responseId?: string
  /** The model that answered, as the provider reports it. */
  readonly modelId?: string
  /** Filled by the service: how many attempts the call took and how long it ran. */
  readonly call?: { readonly attempts: number; readonly durationMs: number }
}

/**
 * One part of a streamed answer. The last part is always `finish`, carrying the whole result.
 *
 * @since 0.2.0
 */
export type StreamPart =
  | { readonly type: "text"; readonly delta: string }
  | { readonly type: "reasoning"; readonly delta: string }
  | { readonly type: "tool-call"; readonly toolCall: ToolCall }
  | { readonly type: "finish"; readonly result: GenerateResult }

/**
 * Prices in US dollars per million tokens. `cachedInput` defaults to `input`, `cacheWrite` to
 * `input`, `reasoning` to `output`.
 *
 * @since 0.2.0
 */
export interface Price {
  readonly input: number
  readonly output: number
  readonly cachedInput?: number
  readonly cacheWrite?: number
  readonly reasoning?: number
}

/**
 * The cost of some usage at a price: uncached input, cached input, cache writes, and output (reasoning
 * tokens at the reasoning price when one is given).
 *
 * @since 0.2.0
 */
export const costOf = (usage: Omit<Usage, "costUsd">, price: Price): number => {
  const cached = usage.cachedInputTokens ?? 0
  const written = usage.cacheWriteTokens ?? 0
  const uncached = Math.max(0, usage.inputTokens - cached - written)
  const reasoning = price.reasoning === undefined ? 0 : Math.min(usage.reasoningTokens ?? 0, usage.outputTokens)
  const visible = usage.outputTokens - reasoning
  const micro =
    uncached * price.input +
    cached * (price.cachedInput ?? price.input) +
    written * (price.cacheWrite ?? price.input) +
    visible * price.output +
    reasoning * (price.reasoning ?? price.output)
  return Number((micro / 1_000_000).toFixed(9))
}

/**
 * What kind of failure a model call ended with.
 *
 * - `auth`: the key is missing or rejected; `permission`: the key may not use this model.
 * - `not-found`: unknown model (or endpoint); `context-overflow`: the prompt is longer than the model's window.
 * - `rate-limit`: too many requests (retryable, honouring `retry-after`); `quota`: billing quota exhausted (not retryable).
 * - `overloaded`, `server`, `timeout`, `network`, `invalid-response` (malformed or truncated answer): retryable.
 * - `bad-request`: the provider refused the request; `invalid-output`: the model's answer does not parse
 *   (e.g. JSON that does not match the schema); `cancelled`: aborted by the caller.
 *
 * @since 0.2.0
 */
export type ModelErrorKind =
  | "auth"
  | "permission"
  | "not-found"
  | "context-overflow"
  | "rate-limit"
  | "quota"
  | "overloaded"
  | "server"
  | "timeout"
  | "network"
  | "invalid-response"
  | "bad-request"
  | "invalid-output"
  | "cancelled"

const RETRYABLE: ReadonlySet<ModelErrorKind> = new Set(["rate-limit", "overloaded", "server", "timeout", "network", "invalid-response"])

/**
 * Whether retrying a call that failed this way can help.
 *
 * @since 0.2.0
 */
export const isRetryable = (kind: ModelErrorKind): boolean => RETRYABLE.has(kind)

/**
 * The error a `LanguageModelV1` throws. `message` says what went wrong and what to do, and never
 * contains a key.
 *
 * @since 0.2.0
 */
export class ModelCallError extends Error {
  override readonly name = "ModelCallError"
  readonly kind: ModelErrorKind
  readonly provider: string
  readonly model: string
  readonly status: number | null
  /** How long the provider asked us to wait before retrying, when it said. */
  readonly retryAfterMs: number | null
  constructor(options: {
    readonly kind: ModelErrorKind
    readonly provider: string
    readonly model: string
    readonly message: string
    readonly status?: number | null
    readonly retryAfterMs?: number | null
  }) {
    super(options.message)
    this.kind = options.kind
    this.provider = options.provider
    this.model = options.model
    this.status = options.status ?? null
    this.retryAfterMs = options.retryAfterMs ?? null
  }
  get retryable(): boolean {
    return isRetryable(this.kind)
  }
}

/**
 * A provider implements this small versioned spec.
 *
 * @since 0.1.0
 */
export interface LanguageModelV1 {
  readonly specificationVersion: "v1"
  /** `openai`, `anthropic`, `google`, `openai-compatible`, … */
  readonly provider: string
  readonly modelId: string
  /** The price used for `usage.costUsd`, or `null` when unknown (costs then count as $0). */
  readonly price?: Price | null
  readonly generate: (options: GenerateOptions) => Promise<GenerateResult>
  readonly stream?: (options: GenerateOptions) => AsyncIterable<StreamPart>
}

/**
 * How the service calls a model: retries, delays and the timeout per attempt.
 *
 * @since 0.2.0
 */
export interface CallPolicy {
  /** Retries after the first attempt (default 3). */
  readonly maxRetries?: number
  /** First backoff delay (default 1 s), doubled each retry, with jitter. */
  readonly baseDelayMs?: number
  /** Longest backoff, and longest `retry-after` honoured (default 60 s); a longer `retry-after` fails at once. */
  readonly maxDelayMs?: number
  /** Timeout per attempt (default 10 minutes: reasoning models think for a while). */
  readonly timeoutMs?: number
}

/** @since 0.2.0 */
export const DEFAULT_POLICY: Required<CallPolicy> = { maxRetries: 3, baseDelayMs: 1_000, maxDelayMs: 60_000, timeoutMs: 600_000 }

const toModelError = (model: LanguageModelV1, cause: unknown): ModelCallError => {
  if (cause instanceof ModelCallError) return cause
  if (cause instanceof Error && cause.name === "AbortError") {
    return new ModelCallError({ kind: "cancelled", provider: model.provider, model: model.modelId, message: "the call was cancelled" })
  }
  return new ModelCallError({
    kind: "network",
    provider: model.provider,
    model: model.modelId,
    message: cause instanceof Error ? cause.message : String(cause)
  })
}

const toRatchetError = (error: ModelCallError): RatchetError =>
  modelFailure({ provider: error.provider, model: error.model, kind: error.kind, status: error.status, detail: error.message })

/**
 * The delay before retry number `retry` (1-based) after `error`, or `null` when the call should not
 * be retried: not retryable, out of retries, or a `retry-after` longer than the policy allows.
 *
 * @since 0.2.0
 */
export const retryDelay = (error: ModelCallError, retry: number, policy: Required<CallPolicy>, jitter: number): number | null => {
  if (!error.retryable || retry > policy.maxRetries) return null
  if (error.retryAfterMs !== null) return error.retryAfterMs <= policy.maxDelayMs ? Math.max(0, error.retryAfterMs) : null
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1))
  return Math.round(exponential * (0.5 + jitter / 2))
}

const describeWait = (error: ModelCallError, policy: Required<CallPolicy>, retry: number): string =>
  error.retryable && retry > policy.maxRetries
    ? ` (gave up after ${retry} attempts)`
    : error.retryAfterMs !== null && error.retryAfterMs > policy.maxDelayMs
      ? ` (the provider asked to wait ${(error.retryAfterMs / 1000).toFixed(0)} s, longer than the ${(policy.maxDelayMs / 1000).toFixed(0)} s allowed)`
      : ""

/**
 * Runs one model call under a policy: a timeout per attempt, retries with backoff, and interruption
 * aborting the request. `attempt` receives the `AbortSignal` of that attempt.
 */
const withPolicy = <A>(
  model: LanguageModelV1,
  policy: Required<CallPolicy>,
  timeoutMs: number,
  attempt: (signal: AbortSignal) => Promise<A>,
  outer: AbortSignal | undefined
): Effect.Effect<{ readonly value: A; readonly attempts: number }, RatchetError> => {
  const once = Effect.tryPromise({
    try: (signal) => {
      const combined = outer ? AbortSignal.any([signal, outer]) : signal
      return attempt(combined)
    },
    catch: (cause) => toModelError(model, cause)
  }).pipe(
    Effect.timeoutOrElse({
      duration: Duration.millis(timeoutMs),
      orElse: () =>
        Effect.fail(
          new ModelCallError({
            kind: "timeout",
            provider: model.provider,
            model: model.modelId,
            message: `no answer within ${(timeoutMs / 1000).toFixed(0)} s; raise llm.timeoutMs if the model needs longer`
          })
        )
    })
  )
  const loop = (retry: number): Effect.Effect<{ readonly value: A; readonly attempts: number }, ModelCallError> =>
    once.pipe(
      Effect.map((value) => ({ value, attempts: retry })),
      Effect.catch((error: ModelCallError) =>
        Effect.gen(function* () {
          if (outer?.aborted) return yield* Effect.fail(error)
          const jitter = yield* Random.next
          const delay = retryDelay(error, retry, policy, jitter)
          if (delay === null) {
            return yield* Effect.fail(
              new ModelCallError({
                kind: error.kind,
                provider: error.provider,
                model: error.model,
                status: error.status,
                retryAfterMs: error.retryAfterMs,
                message: `${error.message}${describeWait(error, policy, retry)}`
              })
            )
          }
          yield* Effect.logWarning(
            `${model.provider}/${model.modelId}: ${error.message}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${retry + 1} of ${policy.maxRetries + 1})`
          )
          yield* Effect.sleep(Duration.millis(delay))
          return yield* loop(retry + 1)
        })
      )
    )
  return loop(1).pipe(Effect.mapError(toRatchetError))
}

/**
 * Turns a streaming model into a non-streaming one (collects the parts).
 *
 * @since 0.2.0
 */
export const collect = async (parts: AsyncIterable<StreamPart>): Promise<GenerateResult> => {
  for await (const part of parts) if (part.type === "finish") return part.result
  throw new Error("the stream ended without a finish part")
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
    /** One call under the service's policy (retries, timeout, cancellation). */
    readonly generate: (options: GenerateOptions) => Effect.Effect<GenerateResult, RatchetError>
    /**
     * A streamed call. Retries happen only before the first part arrives (parts already handed out
     * are never repeated); the last part is `finish` with the whole result.
     */
    readonly stream: (options: GenerateOptions) => Stream.Stream<StreamPart, RatchetError>
  }
>()("@ratchet/core/LanguageModel") {
  /**
   * Wraps a `LanguageModelV1` as the service, under a {@link CallPolicy}.
   *
   * @since 0.1.0
   */
  static readonly layer = (model: LanguageModelV1, policy: CallPolicy = {}): Layer.Layer<LanguageModel> =>
    Layer.succeed(LanguageModel, LanguageModel.make(model, policy))

  /**
   * The service value for a model (what {@link LanguageModel.layer} provides).
   *
   * @since 0.2.0
   */
  static readonly make = (model: LanguageModelV1, policy: CallPolicy = {}): LanguageModel["Service"] => {
    const full: Required<CallPolicy> = { ...DEFAULT_POLICY, ...policy }
    return {
      model,
      generate: (options) =>
        Effect.gen(function* () {
          const started = yield* Clock.currentTimeMillis
          const { value, attempts } = yield* withPolicy(
            model,
            full,
            options.timeoutMs ?? full.timeoutMs,
            (signal) => model.generate({ ...options, signal }),
            options.signal
          )
          const ended = yield* Clock.currentTimeMillis
          return { ...value, call: { attempts, durationMs: ended - started } }
        }).pipe(Effect.withSpan("LanguageModel.generate", { attributes: { provider: model.provider, model: model.modelId } })),
      stream: (options) => {
        const streamOf = model.stream
        if (streamOf === undefined) {
          return Stream.fromEffect(
            Effect.gen(function* () {
              const started = yield* Clock.currentTimeMillis
              const { value, attempts } = yield* withPolicy(model, full, options.timeoutMs ?? full.timeoutMs, (signal) => model.generate({ ...options, signal }), options.signal)
              const ended = yield* Clock.currentTimeMillis
              return { type: "finish", result: { ...value, call: { attempts, durationMs: ended - started } } } satisfies StreamPart
            })
          )
        }
        const attempt = (retry: number): Stream.Stream<StreamPart, RatchetError> =>
          Stream.suspend(() => {
            let emitted = false
            const controller = new AbortController()
            const signal = options.signal ? AbortSignal.any([controller.signal, options.signal]) : controller.signal
            return Stream.fromAsyncIterable(streamOf({ ...options, signal }), (cause) => toModelError(model, cause)).pipe(
              Stream.tap(() => Effect.sync(() => void (emitted = true))),
              Stream.ensuring(Effect.sync(() => controller.abort())),
              Stream.catch((error: ModelCallError) =>
                Stream.unwrap(
                  Effect.gen(function* () {
                    const jitter = yield* Random.next
                    const delay = emitted || options.signal?.aborted ? null : retryDelay(error, retry, full, jitter)
                    if (delay === null) return Stream.fail(toRatchetError(error))
                    yield* Effect.logWarning(
                      `${model.provider}/${model.modelId}: ${error.message}; retrying the stream in ${(delay / 1000).toFixed(1)} s (attempt ${retry + 1} of ${full.maxRetries + 1})`
                    )
                    yield* Effect.sleep(Duration.millis(delay))
                    return attempt(retry + 1)
                  })
                )
              )
            )
          })
        return attempt(1)
      }
    }
  }

  /**
   * A scripted model for tests: answers each call with the next response (the last one repeats).
   *
   * @since 0.1.0
   */
  static readonly layerTest = (responses: ReadonlyArray<Partial<GenerateResult>>): Layer.Layer<LanguageModel> => {
    let i = 0
    return LanguageModel.layer({
      specificationVersion: "v1",
      provider: "test",
      modelId: "scripted",
      price: null,
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
