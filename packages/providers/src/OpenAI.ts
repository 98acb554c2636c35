/**
 * OpenAI, through the official `openai` SDK, and any OpenAI-compatible endpoint (Ollama, vLLM,
 * LM Studio, OpenRouter, Azure-style gateways) by base URL.
 *
 * `model` speaks the Responses API (`POST /responses`): reasoning summaries, reasoning and cached
 * token counts, function calls, JSON-schema output. `compatible` speaks Chat Completions
 * (`POST /chat/completions`), which every compatible server implements; reasoning text is read
 * from `reasoning_content` / `reasoning` where the server sends it.
 *
 * The SDK's own retries are off: the `LanguageModel` service retries every provider the same way.
 * The key comes from `apiKey` or `OPENAI_API_KEY` (`OPENAI_BASE_URL` is honoured); a compatible
 * endpoint gets `apiKey` or `OPENAI_COMPATIBLE_API_KEY`, never `OPENAI_API_KEY`, so an OpenAI key is
 * not sent to another host.
 *
 * @example
 * ```ts
 * import { LanguageModel } from "@ratchet/core"
 * import { OpenAI } from "@ratchet/providers"
 *
 * const gpt = OpenAI.model("gpt-5-mini") // OPENAI_API_KEY from the environment
 * const local = OpenAI.compatible("qwen2.5-coder:7b", { baseURL: "http://127.0.0.1:11434/v1" })
 * const layer = LanguageModel.LanguageModel.layer(local)
 * ```
 *
 * @since 0.2.0
 */
import { LanguageModel } from "@ratchet/core"
import type OpenAIClient from "openai"
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParams,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption
} from "openai/resources/chat/completions"
import type {
  Response,
  ResponseCreateParams,
  ResponseInputItem,
  ResponseOutputItem,
  ResponseStreamEvent,
  Tool,
  ToolChoiceFunction,
  ToolChoiceOptions
} from "openai/resources/responses/responses"
import { type CallContext, classify, classifyThrown, field, retryAfterOf, stringField, truncated } from "./internal/errors.js"
import { type Env, fromEnv, isStrictCompatible, lazy, missingKey, parseJsonOutput, stateOf, systemText, toolCallOf, withCost } from "./internal/common.js"
import { type PriceTable, priceOf } from "./Prices.js"

/**
 * Options of an OpenAI or OpenAI-compatible model.
 *
 * @since 0.2.0
 */
export interface OpenAISettings {
  /** Default: `OPENAI_API_KEY` (`OPENAI_COMPATIBLE_API_KEY` for `compatible`). */
  readonly apiKey?: string
  /** Default: `OPENAI_BASE_URL`, else `https://api.openai.com/v1`. Required for `compatible`. */
  readonly baseURL?: string
  /** `responses` (default for `model`) or `chat` (Chat Completions; always used by `compatible`). */
  readonly api?: "responses" | "chat"
  /** Overrides of the built-in price table (`provider:model` keys). */
  readonly prices?: PriceTable
  /** The provider name reported and used for prices (default `openai` / `openai-compatible`). */
  readonly providerName?: string
  /** Extra headers on every request (e.g. OpenRouter's `HTTP-Referer`). */
  readonly headers?: Readonly<Record<string, string>>
  /** Default `max_output_tokens` when a call gives none. */
  readonly maxOutputTokens?: number
  /** Where keys and the base URL are read from (default `process.env`). */
  readonly env?: Env
  /** A fetch implementation (tests, proxies). */
  readonly fetch?: typeof globalThis.fetch
}

const DEFAULT_MAX_OUTPUT = 16_384

interface Setup {
  readonly client: () => Promise<OpenAIClient>
  readonly context: Omit<CallContext, "signal">
  readonly price: LanguageModel.Price | null
  readonly maxOutputTokens: number
  readonly compat: boolean
}

const sdk = lazy(() => import("openai"))

const clientOf = (apiKey: string, baseURL: string | undefined, settings: OpenAISettings): (() => Promise<OpenAIClient>) => {
  const client = lazy(async () => clientWith((await sdk.get()).default, apiKey, baseURL, settings))
  return client.get
}

const clientWith = (Client: typeof OpenAIClient, apiKey: string, baseURL: string | undefined, settings: OpenAISettings): OpenAIClient =>
  new Client({
    apiKey,
    adminAPIKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    ...(baseURL !== undefined ? { baseURL } : {}),
    maxRetries: 0,
    // The service bounds each attempt; the SDK's own timeout only backs that up.
    timeout: 3_600_000,
    logLevel: "off",
    ...(settings.headers ? { defaultHeaders: { ...settings.headers } } : {}),
    ...(settings.fetch ? { fetch: settings.fetch } : {})
  })

const failureOf = (cause: unknown, context: CallContext): LanguageModel.ModelCallError => {
  if (cause instanceof LanguageModel.ModelCallError) return cause
  const mod = sdk.current()
  if (mod === undefined) return classifyThrown(cause, context)
  const { APIError } = mod
  if (cause instanceof APIError && cause.status !== undefined) {
    const body: unknown = cause.error
    return classify(
      {
        status: cause.status,
        code: cause.code ?? cause.type ?? stringField(body, "code") ?? stringField(body, "type"),
        message: stringField(body, "message") ?? cause.message,
        retryAfterMs: retryAfterOf(cause.headers, Date.now(), body)
      },
      context
    )
  }
  if (cause instanceof APIError && cause.error !== undefined && !(cause instanceof mod.APIConnectionError) && !(cause instanceof mod.APIUserAbortError)) {
    // An error event inside a stream: no HTTP status, the body names the problem.
    const body: unknown = cause.error
    return classify(
      { status: null, code: stringField(body, "code") ?? stringField(body, "type") ?? "error", message: stringField(body, "message") ?? cause.message, retryAfterMs: null },
      context
    )
  }
  return classifyThrown(cause, context)
}

// ---------------------------------------------------------------------------------------------
// Responses API

/** Output items this adapter stored as provider state (messages, reasoning, function calls). */
const isOutputItem = (value: unknown): value is ResponseOutputItem & ResponseInputItem => {
  const type = field(value, "type")
  return type === "message" || type === "reasoning" || type === "function_call"
}

const responsesInput = (messages: ReadonlyArray<LanguageModel.Message>, provider: string): Array<ResponseInputItem> => {
  const items: Array<ResponseInputItem> = []
  for (const message of messages) {
    switch (message.role) {
      case "system":
        break
      case "user":
        items.push({ role: "user", content: message.content })
        break
      case "assistant": {
        const state = stateOf(message, provider)
        if (Array.isArray(state) && state.every(isOutputItem)) {
          // The output items exactly as returned (reasoning with encrypted content, message, calls).
          items.push(...state)
          break
        }
        if (message.content !== "") items.push({ role: "assistant", content: message.content })
        for (const call of message.toolCalls ?? []) {
          items.push({ type: "function_call", call_id: call.id, name: call.name, arguments: call.arguments })
        }
        break
      }
      case "tool":
        items.push({ type: "function_call_output", call_id: message.toolCallId, output: message.content })
        break
    }
  }
  return items
}

const responsesToolChoice = (choice: LanguageModel.ToolChoice | undefined): ToolChoiceOptions | ToolChoiceFunction | undefined =>
  choice === undefined ? undefined : typeof choice === "string" ? choice : { type: "function", name: choice.tool }

const responsesRequest = (modelId: string, options: LanguageModel.GenerateOptions, setup: Setup): ResponseCreateParams => {
  const instructions = systemText(options.messages)
  const tools: Array<Tool> | undefined = options.tools?.map((tool) => ({
    type: "function",
    name: tool.name,
    description: tool.description,
    parameters: { ...tool.inputSchema },
    strict: isStrictCompatible(tool.inputSchema)
  }))
  const toolChoice = responsesToolChoice(options.toolChoice)
  return {
    model: modelId,
    input: responsesInput(options.messages, setup.context.provider),
    ...(instructions !== null ? { instructions } : {}),
    ...(tools && tools.length > 0 ? { tools } : {}),
    ...(toolChoice !== undefined && tools && tools.length > 0 ? { tool_choice: toolChoice } : {}),
    ...(options.jsonSchema
      ? {
          text: {
            format: {
              type: "json_schema",
              name: options.jsonSchemaName ?? "response",
              schema: { ...options.jsonSchema },
              strict: isStrictCompatible(options.jsonSchema)
            }
          }
        }
      : {}),
    ...(options.reasoning ? { reasoning: { effort: options.reasoning.effort ?? "medium", summary: "auto" }, include: ["reasoning.encrypted_content"] } : {}),
    max_output_tokens: options.maxOutputTokens ?? setup.maxOutputTokens,
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    store: false
  }
}

const responseResult = (response: Response, options: LanguageModel.GenerateOptions, setup: Setup): LanguageModel.GenerateResult => {
  let text = ""
  const reasoning: Array<string> = []
  const toolCalls: Array<LanguageModel.ToolCall> = []
  let refusal: string | null = null
  for (const item of response.output) {
    if (item.type === "message") {
      for (const part of item.content) {
        if (part.type === "output_text") text += part.text
        else if (part.type === "refusal") refusal = part.refusal
      }
    } else if (item.type === "reasoning") {
      const summary = item.summary.map((s) => s.text).join("\n\n")
      const full = (item.content ?? []).map((c) => c.text).join("\n\n")
      const trace = full !== "" ? full : summary
      if (trace !== "") reasoning.push(trace)
    } else if (item.type === "function_call") {
      toolCalls.push(toolCallOf(item.call_id, item.name, item.arguments))
    }
  }
  const usage = response.usage
  const finishReason: LanguageModel.FinishReason =
    response.status === "incomplete"
      ? response.incomplete_details?.reason === "content_filter"
        ? "content-filter"
        : "length"
      : refusal !== null
        ? "content-filter"
        : toolCalls.length > 0
          ? "tool-calls"
          : response.status === "completed"
            ? "stop"
            : "other"
  const reasoningText = reasoning.length > 0 ? reasoning.join("\n\n") : null
  return {
    text: text === "" && refusal !== null ? refusal : text,
    reasoning: reasoningText,
    toolCalls,
    usage: withCost(
      {
        inputTokens: usage?.input_tokens ?? 0,
        outputTokens: usage?.output_tokens ?? 0,
        cachedInputTokens: usage?.input_tokens_details?.cached_tokens ?? 0,
        reasoningTokens: usage?.output_tokens_details?.reasoning_tokens ?? 0
      },
      setup.price
    ),
    finishReason,
    ...(options.jsonSchema ? { json: parseJsonOutput(text) } : {}),
    message: {
      role: "assistant",
      content: text,
      toolCalls,
      reasoning: reasoningText,
      providerData: { provider: setup.context.provider, data: response.output }
    },
    responseId: response.id,
    modelId: response.model
  }
}


const responsesGenerate = async (modelId: string, options: LanguageModel.GenerateOptions, setup: Setup): Promise<LanguageModel.GenerateResult> => {
  const context: CallContext = { ...setup.context, signal: options.signal }
  try {
    const response = await (await setup.client()).responses.create({ ...responsesRequest(modelId, options, setup), stream: false }, { signal: options.signal ?? null })
    if (response.status === "failed") {
      throw classify(
        { status: null, code: response.error?.code ?? "server_error", message: response.error?.message ?? "the response failed", retryAfterMs: null },
        context
      )
    }
    return responseResult(response, options, setup)
  } catch (cause) {
    throw failureOf(cause, context)
  }
}

async function* responsesStream(modelId: string, options: LanguageModel.GenerateOptions, setup: Setup): AsyncGenerator<LanguageModel.StreamPart> {
  const context: CallContext = { ...setup.context, signal: options.signal }
  let final: Response | null = null
  try {
    const events = await (await setup.client()).responses.create({ ...responsesRequest(modelId, options, setup), stream: true }, { signal: options.signal ?? null })
    for await (const event of events as AsyncIterable<ResponseStreamEvent>) {
      switch (event.type) {
        case "response.output_text.delta":
          yield { type: "text", delta: event.delta }
          break
        case "response.reasoning_summary_text.delta":
        case "response.reasoning_text.delta":
          yield { type: "reasoning", delta: event.delta }
          break
        case "response.output_item.done":
          if (event.item.type === "function_call") {
            yield { type: "tool-call", toolCall: toolCallOf(event.item.call_id, event.item.name, event.item.arguments) }
          }
          break
        case "response.completed":
        case "response.incomplete":
          final = event.response
          break
        case "response.failed":
          throw classify(
            {
              status: null,
              code: event.response.error?.code ?? "server_error",
              message: event.response.error?.message ?? "the response failed",
              retryAfterMs: null
            },
            context
          )
        case "error":
          throw classify({ status: null, code: event.code ?? "error", message: event.message, retryAfterMs: null }, context)
        default:
          break
      }
    }
  } catch (cause) {
    throw failureOf(cause, context)
  }
  if (final === null) throw truncated(context, "response.completed")
  yield { type: "finish", result: responseResult(final, options, setup) }
}

// ---------------------------------------------------------------------------------------------
// Chat Completions

const chatMessage = (message: LanguageModel.Message): ChatCompletionMessageParam => {
  if (message.role === "system" || message.role === "user") return { role: message.role, content: message.content }
  if (message.role === "tool") return { role: "tool", tool_call_id: message.toolCallId, content: message.content }
  return {
    role: "assistant",
    content: message.content,
    ...(message.toolCalls && message.toolCalls.length > 0
      ? { tool_calls: message.toolCalls.map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.arguments } })) }
      : {})
  }
}

const chatMessages = (messages: ReadonlyArray<LanguageModel.Message>): Array<ChatCompletionMessageParam> => messages.map(chatMessage)

const chatToolChoice = (choice: LanguageModel.ToolChoice | undefined): ChatCompletionToolChoiceOption | undefined =>
  choice === undefined ? undefined : typeof choice === "string" ? choice : { type: "function", function: { name: choice.tool } }

const chatRequest = (modelId: string, options: LanguageModel.GenerateOptions, setup: Setup): ChatCompletionCreateParams => {
  const tools: Array<ChatCompletionTool> | undefined = options.tools?.map((tool) => ({
    type: "function",
    function: { name: tool.name, description: tool.description, parameters: { ...tool.inputSchema }, strict: isStrictCompatible(tool.inputSchema) }
  }))
  const toolChoice = chatToolChoice(options.toolChoice)
  const max = options.maxOutputTokens ?? setup.maxOutputTokens
  return {
    model: modelId,
    messages: chatMessages(options.messages),
    ...(tools && tools.length > 0 ? { tools } : {}),
    ...(toolChoice !== undefined && tools && tools.length > 0 ? { tool_choice: toolChoice } : {}),
    ...(options.jsonSchema
      ? {
          response_format: {
            type: "json_schema",
            json_schema: { name: options.jsonSchemaName ?? "response", schema: { ...options.jsonSchema }, strict: isStrictCompatible(options.jsonSchema) }
          }
        }
      : {}),
    ...(options.reasoning?.effort ? { reasoning_effort: options.reasoning.effort } : {}),
    // Compatible servers know `max_tokens`; OpenAI's reasoning models only `max_completion_tokens`.
    ...(setup.compat ? { max_tokens: max } : { max_completion_tokens: max }),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {})
  }
}

/** Reasoning text compatible servers add to a message or delta (`reasoning_content`, `reasoning`). */
const reasoningField = (value: unknown): string | null => stringField(value, "reasoning_content") ?? stringField(value, "reasoning")

const chatFinish = (reason: string | null | undefined, toolCalls: number): LanguageModel.FinishReason =>
  reason === "stop"
    ? toolCalls > 0
      ? "tool-calls"
      : "stop"
    : reason === "length"
      ? "length"
      : reason === "tool_calls" || reason === "function_call"
        ? "tool-calls"
        : reason === "content_filter"
          ? "content-filter"
          : "other"

const chatUsage = (usage: ChatCompletion["usage"] | null | undefined, price: LanguageModel.Price | null): LanguageModel.Usage =>
  withCost(
    {
      inputTokens: usage?.prompt_tokens ?? 0,
      outputTokens: usage?.completion_tokens ?? 0,
      cachedInputTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
      reasoningTokens: usage?.completion_tokens_details?.reasoning_tokens ?? 0
    },
    price
  )

const chatResult = (
  parts: { text: string; reasoning: string | null; toolCalls: Array<LanguageModel.ToolCall>; finish: string | null | undefined },
  usage: LanguageModel.Usage,
  options: LanguageModel.GenerateOptions,
  meta: { id: string; model: string }
): LanguageModel.GenerateResult => ({
  text: parts.text,
  reasoning: parts.reasoning,
  toolCalls: parts.toolCalls,
  usage,
  finishReason: chatFinish(parts.finish, parts.toolCalls.length),
  ...(options.jsonSchema ? { json: parseJsonOutput(parts.text) } : {}),
  message: { role: "assistant", content: parts.text, toolCalls: parts.toolCalls, reasoning: parts.reasoning },
  responseId: meta.id,
  modelId: meta.model
})

const chatGenerate = async (modelId: string, options: LanguageModel.GenerateOptions, setup: Setup): Promise<LanguageModel.GenerateResult> => {
  const context: CallContext = { ...setup.context, signal: options.signal }
  try {
    const completion = await (await setup.client()).chat.completions.create({ ...chatRequest(modelId, options, setup), stream: false }, { signal: options.signal ?? null })
    const choice = completion.choices?.[0]
    if (choice === undefined) {
      throw new LanguageModel.ModelCallError({ kind: "invalid-response", provider: context.provider, model: context.model, message: "the answer has no choices" })
    }
    const message = choice.message
    const toolCalls = (message.tool_calls ?? []).flatMap((c) => (c.type === "function" ? [toolCallOf(c.id, c.function.name, c.function.arguments)] : []))
    const text = message.content ?? message.refusal ?? ""
    return chatResult(
      { text, reasoning: reasoningField(message), toolCalls, finish: choice.finish_reason },
      chatUsage(completion.usage, setup.price),
      options,
      { id: completion.id, model: completion.model }
    )
  } catch (cause) {
    throw failureOf(cause, context)
  }
}

async function* chatStream(modelId: string, options: LanguageModel.GenerateOptions, setup: Setup): AsyncGenerator<LanguageModel.StreamPart> {
  const context: CallContext = { ...setup.context, signal: options.signal }
  let text = ""
  let reasoning = ""
  let finish: string | null = null
  let usage: ChatCompletionChunk["usage"] | null = null
  let meta = { id: "", model: modelId }
  const calls = new Map<number, { id: string; name: string; args: string }>()
  try {
    const chunks = await (await setup.client()).chat.completions.create(
      { ...chatRequest(modelId, options, setup), stream: true, stream_options: { include_usage: true } },
      { signal: options.signal ?? null }
    )
    for await (const chunk of chunks) {
      meta = { id: chunk.id, model: chunk.model }
      if (chunk.usage) usage = chunk.usage
      const choice = chunk.choices?.[0]
      if (choice === undefined) continue
      const delta = choice.delta
      const thought = reasoningField(delta)
      if (thought) {
        reasoning += thought
        yield { type: "reasoning", delta: thought }
      }
      if (delta.content) {
        text += delta.content
        yield { type: "text", delta: delta.content }
      }
      for (const call of delta.tool_calls ?? []) {
        const current = calls.get(call.index) ?? { id: "", name: "", args: "" }
        calls.set(call.index, {
          id: call.id ?? current.id,
          name: current.name + (call.function?.name ?? ""),
          args: current.args + (call.function?.arguments ?? "")
        })
      }
      if (choice.finish_reason) finish = choice.finish_reason
    }
  } catch (cause) {
    throw failureOf(cause, context)
  }
  if (finish === null) throw truncated(context, "a finish_reason")
  const toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => toolCallOf(c.id, c.name, c.args))
  for (const toolCall of toolCalls) yield { type: "tool-call", toolCall }
  yield {
    type: "finish",
    result: chatResult({ text, reasoning: reasoning === "" ? null : reasoning, toolCalls, finish }, chatUsage(usage, setup.price), options, meta)
  }
}

// ---------------------------------------------------------------------------------------------

const build = (modelId: string, setup: Setup, api: "responses" | "chat"): LanguageModel.LanguageModelV1 => ({
  specificationVersion: "v1",
  provider: setup.context.provider,
  modelId,
  price: setup.price,
  generate: (options) => (api === "responses" ? responsesGenerate(modelId, options, setup) : chatGenerate(modelId, options, setup)),
  stream: (options) => (api === "responses" ? responsesStream(modelId, options, setup) : chatStream(modelId, options, setup))
})

/**
 * An OpenAI model (Responses API unless `api: "chat"`). Throws a `ModelCallError` of kind `auth`
 * when no key is configured.
 *
 * @since 0.2.0
 */
export const model = (modelId: string, settings: OpenAISettings = {}): LanguageModel.LanguageModelV1 => {
  const env = settings.env ?? process.env
  const provider = settings.providerName ?? "openai"
  const apiKey = settings.apiKey ?? fromEnv(env, ["OPENAI_API_KEY"])
  if (apiKey === undefined) throw missingKey(provider, modelId, "OPENAI_API_KEY")
  const baseURL = settings.baseURL ?? fromEnv(env, ["OPENAI_BASE_URL"])
  const setup: Setup = {
    client: clientOf(apiKey, baseURL, settings),
    context: { provider, model: modelId, keyVariable: settings.apiKey ? null : "OPENAI_API_KEY", secrets: [apiKey] },
    price: priceOf(provider, modelId, settings.prices),
    maxOutputTokens: settings.maxOutputTokens ?? DEFAULT_MAX_OUTPUT,
    compat: false
  }
  return build(modelId, setup, settings.api ?? "responses")
}

/**
 * A model behind any OpenAI-compatible endpoint (Chat Completions). `baseURL` is required (e.g.
 * `http://127.0.0.1:11434/v1`); the key is `apiKey` or `OPENAI_COMPATIBLE_API_KEY`, and may be
 * absent for local servers.
 *
 * @since 0.2.0
 */
export const compatible = (modelId: string, settings: OpenAISettings & { readonly baseURL: string }): LanguageModel.LanguageModelV1 => {
  const env = settings.env ?? process.env
  const provider = settings.providerName ?? "openai-compatible"
  const apiKey = settings.apiKey ?? fromEnv(env, ["OPENAI_COMPATIBLE_API_KEY"])
  const setup: Setup = {
    // The SDK insists on a key; local servers ignore the header.
    client: clientOf(apiKey ?? "not-needed", settings.baseURL, settings),
    context: { provider, model: modelId, keyVariable: "OPENAI_COMPATIBLE_API_KEY", secrets: apiKey ? [apiKey] : [] },
    price: priceOf(provider, modelId, settings.prices),
    maxOutputTokens: settings.maxOutputTokens ?? DEFAULT_MAX_OUTPUT,
    compat: true
  }
  return build(modelId, setup, settings.api ?? "chat")
}
