/**
 * Google Gemini, through the official `@google/genai` SDK (the maintained successor of
 * `@google/generative-ai`), on `generateContent` / `streamGenerateContent?alt=sse`.
 *
 * Thoughts are requested with `thinkingConfig.includeThoughts` when `reasoning` is set; parts marked
 * `thought: true` form the reasoning trace, and the parts with their `thoughtSignature` are kept as
 * provider state (Gemini 3 requires them back with function calls). Structured output uses
 * `responseMimeType: application/json` with `responseJsonSchema`. Automatic continuation is off, so
 * every HTTP request is one metered call.
 *
 * The key comes from `apiKey` or `GEMINI_API_KEY` (then `GOOGLE_API_KEY`); the Vertex AI switch of
 * the environment is ignored (this adapter speaks the Gemini API). `retry-after` and Google's
 * `RetryInfo.retryDelay` are honoured by the `LanguageModel` service.
 *
 * @example
 * ```ts
 * import { LanguageModel } from "@ratchet/core"
 * import { Google } from "@ratchet/providers"
 *
 * const gemini = LanguageModel.LanguageModel.layer(Google.model("gemini-2.5-flash"))
 * ```
 *
 * @since 0.2.0
 */
import type { Content, FinishReason, GenerateContentConfig, GenerateContentResponse, GoogleGenAI, Part } from "@google/genai"
import { LanguageModel } from "@ratchet/core"
import { type CallContext, classify, classifyThrown, field, retryAfterOf, stringField, truncated } from "./internal/errors.js"
import { type Env, fromEnv, lazy, missingKey, parseJsonOutput, stateOf, systemText, toolCallOf, withCost } from "./internal/common.js"
import { type PriceTable, priceOf } from "./Prices.js"

/**
 * Options of a Gemini model.
 *
 * @since 0.2.0
 */
export interface GoogleSettings {
  /** Default: `GEMINI_API_KEY`, then `GOOGLE_API_KEY`. */
  readonly apiKey?: string
  /** Default `https://generativelanguage.googleapis.com`. */
  readonly baseURL?: string
  /** Default `v1beta`. */
  readonly apiVersion?: string
  readonly prices?: PriceTable
  readonly maxOutputTokens?: number
  readonly headers?: Readonly<Record<string, string>>
  readonly env?: Env
  readonly fetch?: typeof globalThis.fetch
}

const PROVIDER = "google"
const sdk = lazy(() => import("@google/genai"))
type Sdk = Awaited<ReturnType<typeof sdk.get>>

interface Setup {
  readonly client: () => Promise<GoogleGenAI>
  readonly context: Omit<CallContext, "signal">
  readonly price: LanguageModel.Price | null
  readonly maxOutputTokens: number | undefined
  readonly fetch: typeof globalThis.fetch
}

/** The body of a Gemini error (`ApiError.message` is the JSON body). */
const errorBody = (message: string): unknown => {
  try {
    return JSON.parse(message)
  } catch {
    return null
  }
}

const failureOf = (cause: unknown, context: CallContext, headers: Headers | null): LanguageModel.ModelCallError => {
  if (cause instanceof LanguageModel.ModelCallError) return cause
  const mod = sdk.current()
  if (mod !== undefined && cause instanceof mod.ApiError) {
    const body = errorBody(cause.message)
    const error = field(body, "error")
    const details = field(error, "details")
    const keyInvalid = Array.isArray(details) && details.some((d) => stringField(d, "reason") === "API_KEY_INVALID")
    return classify(
      {
        status: cause.status,
        code: keyInvalid ? "unauthenticated" : stringField(error, "status"),
        message: stringField(error, "message") ?? cause.message,
        retryAfterMs: retryAfterOf(headers, Date.now(), body)
      },
      context
    )
  }
  return classifyThrown(cause, context)
}

const isPart = (value: unknown): value is Part => typeof value === "object" && value !== null && !Array.isArray(value)

const toContents = (messages: ReadonlyArray<LanguageModel.Message>): Array<Content> => {
  const out: Array<Content> = []
  const pushUser = (parts: Array<Part>) => {
    const last = out.at(-1)
    if (last !== undefined && last.role === "user") last.parts = [...(last.parts ?? []), ...parts]
    else out.push({ role: "user", parts })
  }
  for (const message of messages) {
    switch (message.role) {
      case "system":
        break
      case "user":
        pushUser([{ text: message.content }])
        break
      case "tool":
        pushUser([
          {
            functionResponse: {
              id: message.toolCallId,
              name: message.toolName,
              response: message.isError ? { error: message.content } : { output: message.content }
            }
          }
        ])
        break
      case "assistant": {
        const state = stateOf(message, PROVIDER)
        if (Array.isArray(state) && state.every(isPart)) {
          out.push({ role: "model", parts: [...state] })
          break
        }
        const parts: Array<Part> = []
        if (message.content !== "") parts.push({ text: message.content })
        for (const call of message.toolCalls ?? []) {
          const args = call.input
          parts.push({ functionCall: { id: call.id, name: call.name, args: typeof args === "object" && args !== null && !Array.isArray(args) ? Object.fromEntries(Object.entries(args)) : {} } })
        }
        out.push({ role: "model", parts })
        break
      }
    }
  }
  return out
}

const configOf = (mod: Sdk, options: LanguageModel.GenerateOptions, setup: Setup, fetch: typeof globalThis.fetch): GenerateContentConfig => {
  const { FunctionCallingConfigMode, ThinkingLevel } = mod
  const effortLevel = { low: ThinkingLevel.LOW, medium: ThinkingLevel.MEDIUM, high: ThinkingLevel.HIGH } as const
  const system = systemText(options.messages)
  const tools = options.tools ?? []
  const choice = options.toolChoice
  const mode =
    choice === undefined || choice === "auto"
      ? FunctionCallingConfigMode.AUTO
      : choice === "none"
        ? FunctionCallingConfigMode.NONE
        : FunctionCallingConfigMode.ANY
  const reasoning = options.reasoning
  const maxOutputTokens = options.maxOutputTokens ?? setup.maxOutputTokens
  return {
    ...(system !== null ? { systemInstruction: system } : {}),
    ...(tools.length > 0
      ? {
          tools: [{ functionDeclarations: tools.map((t) => ({ name: t.name, description: t.description, parametersJsonSchema: { ...t.inputSchema } })) }],
          toolConfig: {
            functionCallingConfig: {
              mode,
              ...(typeof choice === "object" ? { allowedFunctionNames: [choice.tool] } : {})
            }
          }
        }
      : {}),
    ...(options.jsonSchema ? { responseMimeType: "application/json", responseJsonSchema: { ...options.jsonSchema } } : {}),
    ...(reasoning
      ? {
          thinkingConfig: {
            includeThoughts: true,
            ...(reasoning.budgetTokens !== undefined ? { thinkingBudget: reasoning.budgetTokens } : { thinkingLevel: effortLevel[reasoning.effort ?? "medium"] })
          }
        }
      : {}),
    ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.signal ? { abortSignal: options.signal } : {}),
    automaticContinuation: false,
    httpOptions: { fetch }
  }
}

const finishOf = (finish: FinishReason | undefined, toolCalls: number, blocked: boolean): LanguageModel.FinishReason => {
  if (blocked) return "content-filter"
  const reason: string | undefined = finish
  switch (reason) {
    case "STOP":
      return toolCalls > 0 ? "tool-calls" : "stop"
    case "MAX_TOKENS":
      return "length"
    case "SAFETY":
    case "RECITATION":
    case "BLOCKLIST":
    case "PROHIBITED_CONTENT":
    case "SPII":
    case "IMAGE_SAFETY":
    case "IMAGE_PROHIBITED_CONTENT":
      return "content-filter"
    case "MALFORMED_FUNCTION_CALL":
    case "UNEXPECTED_TOOL_CALL":
      return "error"
    default:
      return toolCalls > 0 ? "tool-calls" : "other"
  }
}

const usageOf = (response: GenerateContentResponse | null, price: LanguageModel.Price | null): LanguageModel.Usage => {
  const u = response?.usageMetadata
  const thoughts = u?.thoughtsTokenCount ?? 0
  return withCost(
    {
      inputTokens: (u?.promptTokenCount ?? 0) + (u?.toolUsePromptTokenCount ?? 0),
      cachedInputTokens: u?.cachedContentTokenCount ?? 0,
      outputTokens: (u?.candidatesTokenCount ?? 0) + thoughts,
      reasoningTokens: thoughts
    },
    price
  )
}

const resultOf = (
  parts: ReadonlyArray<Part>,
  last: GenerateContentResponse | null,
  reason: FinishReason | undefined,
  options: LanguageModel.GenerateOptions,
  setup: Setup
): LanguageModel.GenerateResult => {
  let text = ""
  let thoughts = ""
  const toolCalls: Array<LanguageModel.ToolCall> = []
  for (const [index, part] of parts.entries()) {
    if (part.functionCall) {
      const call = part.functionCall
      toolCalls.push(toolCallOf(call.id ?? `call_${index}`, call.name ?? "", JSON.stringify(call.args ?? {})))
    } else if (typeof part.text === "string") {
      if (part.thought) thoughts += part.text
      else text += part.text
    }
  }
  const blocked = (last?.candidates?.length ?? 0) === 0 && last?.promptFeedback?.blockReason !== undefined
  const reasoning = thoughts === "" ? null : thoughts
  return {
    text,
    reasoning,
    toolCalls,
    usage: usageOf(last, setup.price),
    finishReason: finishOf(reason, toolCalls.length, blocked),
    ...(options.jsonSchema ? { json: parseJsonOutput(text) } : {}),
    message: { role: "assistant", content: text, toolCalls, reasoning, providerData: { provider: PROVIDER, data: [...parts] } },
    ...(last?.responseId ? { responseId: last.responseId } : {}),
    ...(last?.modelVersion ? { modelId: last.modelVersion } : {})
  }
}

/** A fetch that remembers the last response's headers (Gemini's errors do not carry them). */
const capturing = (inner: typeof globalThis.fetch) => {
  const seen: { headers: Headers | null } = { headers: null }
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const response = await inner(input, init)
    seen.headers = response.headers
    return response
  }
  return { fetch, seen }
}

const generate = async (modelId: string, options: LanguageModel.GenerateOptions, setup: Setup): Promise<LanguageModel.GenerateResult> => {
  const context: CallContext = { ...setup.context, signal: options.signal }
  const { fetch, seen } = capturing(setup.fetch)
  try {
    const client = await setup.client()
    const response = await client.models.generateContent({ model: modelId, contents: toContents(options.messages), config: configOf(await sdk.get(), options, setup, fetch) })
    const candidate = response.candidates?.[0]
    return resultOf(candidate?.content?.parts ?? [], response, candidate?.finishReason, options, setup)
  } catch (cause) {
    throw failureOf(cause, context, seen.headers)
  }
}

async function* stream(modelId: string, options: LanguageModel.GenerateOptions, setup: Setup): AsyncGenerator<LanguageModel.StreamPart> {
  const context: CallContext = { ...setup.context, signal: options.signal }
  const { fetch, seen } = capturing(setup.fetch)
  const parts: Array<Part> = []
  let last: GenerateContentResponse | null = null
  let reason: FinishReason | undefined
  let blockedStream = false
  try {
    const client = await setup.client()
    const chunks = await client.models.generateContentStream({ model: modelId, contents: toContents(options.messages), config: configOf(await sdk.get(), options, setup, fetch) })
    for await (const chunk of chunks) {
      last = chunk
      const candidate = chunk.candidates?.[0]
      for (const part of candidate?.content?.parts ?? []) {
        parts.push(part)
        if (part.functionCall) {
          yield { type: "tool-call", toolCall: toolCallOf(part.functionCall.id ?? `call_${parts.length - 1}`, part.functionCall.name ?? "", JSON.stringify(part.functionCall.args ?? {})) }
        } else if (typeof part.text === "string" && part.text !== "") {
          yield part.thought ? { type: "reasoning", delta: part.text } : { type: "text", delta: part.text }
        }
      }
      if (candidate?.finishReason) reason = candidate.finishReason
      if ((chunk.candidates?.length ?? 0) === 0 && chunk.promptFeedback?.blockReason !== undefined) blockedStream = true
    }
  } catch (cause) {
    throw failureOf(cause, context, seen.headers)
  }
  if (reason === undefined && !blockedStream) throw truncated(context, "a finishReason")
  yield { type: "finish", result: resultOf(parts, last, reason, options, setup) }
}

/**
 * A Gemini model. Throws a `ModelCallError` of kind `auth` when no key is configured.
 *
 * @since 0.2.0
 */
export const model = (modelId: string, settings: GoogleSettings = {}): LanguageModel.LanguageModelV1 => {
  const env = settings.env ?? process.env
  const apiKey = settings.apiKey ?? fromEnv(env, ["GEMINI_API_KEY", "GOOGLE_API_KEY"])
  if (apiKey === undefined) throw missingKey(PROVIDER, modelId, "GEMINI_API_KEY")
  const setup: Setup = {
    client: lazy(async () => {
      const { GoogleGenAI: Client } = await sdk.get()
      return new Client({
        apiKey,
        vertexai: false,
        apiVersion: settings.apiVersion ?? "v1beta",
        httpOptions: {
          baseUrl: settings.baseURL ?? "https://generativelanguage.googleapis.com",
          ...(settings.headers ? { headers: { ...settings.headers } } : {})
        }
      })
    }).get,
    context: { provider: PROVIDER, model: modelId, keyVariable: settings.apiKey ? null : "GEMINI_API_KEY", secrets: [apiKey] },
    price: priceOf(PROVIDER, modelId, settings.prices),
    maxOutputTokens: settings.maxOutputTokens,
    fetch: settings.fetch ?? globalThis.fetch
  }
  return {
    specificationVersion: "v1",
    provider: PROVIDER,
    modelId,
    price: setup.price,
    generate: (options) => generate(modelId, options, setup),
    stream: (options) => stream(modelId, options, setup)
  }
}
