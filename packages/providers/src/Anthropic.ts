/**
 * Anthropic (Claude), through the official `@anthropic-ai/sdk`, on the Messages API.
 *
 * Extended thinking is turned on by `reasoning` (a `budget_tokens`, from `budgetTokens` or the
 * effort); thinking blocks come back as the reasoning trace and, with their signatures, as provider
 * state so a tool-use conversation continues exactly. Structured output uses
 * `output_config.format` (JSON schema). Streaming reads the raw SSE events (`message_start`,
 * `content_block_*` with text, thinking, signature and tool-input deltas, `message_delta`,
 * `message_stop`, in-stream `error`).
 *
 * The key comes from `apiKey` or `ANTHROPIC_API_KEY`; `ANTHROPIC_BASE_URL` is honoured. The SDK's
 * retries are off (the `LanguageModel` service retries 429, 529 `overloaded_error` and 5xx).
 *
 * @example
 * ```ts
 * import { LanguageModel } from "@ratchet/core"
 * import { Anthropic } from "@ratchet/providers"
 *
 * const claude = LanguageModel.LanguageModel.layer(Anthropic.model("claude-sonnet-4-5"))
 * ```
 *
 * @since 0.2.0
 */
import type AnthropicClient from "@anthropic-ai/sdk"
import type {
  ContentBlockParam,
  Message,
  MessageCreateParamsBase,
  MessageParam,
  RawMessageStreamEvent,
  StopReason,
  ThinkingConfigParam,
  Tool,
  ToolChoice
} from "@anthropic-ai/sdk/resources/messages"
import { LanguageModel } from "@ratchet/core"
import { type CallContext, classify, classifyThrown, field, retryAfterOf, stringField, truncated } from "./internal/errors.js"
import { type Env, fromEnv, lazy, missingKey, parseJsonOutput, stateOf, systemText, toolCallOf, withCost } from "./internal/common.js"
import { type PriceTable, priceOf } from "./Prices.js"

/**
 * Options of an Anthropic model.
 *
 * @since 0.2.0
 */
export interface AnthropicSettings {
  /** Default: `ANTHROPIC_API_KEY`. */
  readonly apiKey?: string
  /** Default: `ANTHROPIC_BASE_URL`, else `https://api.anthropic.com`. */
  readonly baseURL?: string
  readonly prices?: PriceTable
  /** Default `max_tokens` when a call gives none (the API requires one). */
  readonly maxOutputTokens?: number
  readonly headers?: Readonly<Record<string, string>>
  readonly env?: Env
  readonly fetch?: typeof globalThis.fetch
}

const DEFAULT_MAX_OUTPUT = 16_000
const EFFORT_BUDGET = { low: 2_048, medium: 8_192, high: 24_576 } as const

interface Setup {
  readonly client: () => Promise<AnthropicClient>
  readonly context: Omit<CallContext, "signal">
  readonly price: LanguageModel.Price | null
  readonly maxOutputTokens: number
}

const PROVIDER = "anthropic"

const sdk = lazy(() => import("@anthropic-ai/sdk"))

const failureOf = (cause: unknown, context: CallContext): LanguageModel.ModelCallError => {
  if (cause instanceof LanguageModel.ModelCallError) return cause
  const mod = sdk.current()
  if (mod === undefined) return classifyThrown(cause, context)
  if (cause instanceof mod.APIError && !(cause instanceof mod.APIConnectionError) && !(cause instanceof mod.APIUserAbortError)) {
    const body: unknown = cause.error
    return classify(
      {
        status: cause.status ?? null,
        code: cause.type ?? stringField(field(body, "error"), "type"),
        message: cause.apiMessage ?? stringField(field(body, "error"), "message") ?? cause.message,
        retryAfterMs: retryAfterOf(cause.headers, Date.now(), body)
      },
      context
    )
  }
  return classifyThrown(cause, context)
}

/** Content blocks this adapter stored as provider state. */
const isBlock = (value: unknown): value is ContentBlockParam => {
  const type = field(value, "type")
  return type === "text" || type === "thinking" || type === "redacted_thinking" || type === "tool_use"
}

const toMessages = (messages: ReadonlyArray<LanguageModel.Message>): Array<MessageParam> => {
  const out: Array<MessageParam> = []
  // Consecutive tool results and user text form one user turn (tool results first, as the API wants).
  const pushUser = (blocks: Array<ContentBlockParam>) => {
    const last = out.at(-1)
    if (last !== undefined && last.role === "user" && Array.isArray(last.content)) {
      last.content.push(...blocks)
    } else {
      out.push({ role: "user", content: blocks })
    }
  }
  for (const message of messages) {
    switch (message.role) {
      case "system":
        break
      case "user":
        pushUser([{ type: "text", text: message.content }])
        break
      case "tool":
        pushUser([{ type: "tool_result", tool_use_id: message.toolCallId, content: message.content, ...(message.isError ? { is_error: true } : {}) }])
        break
      case "assistant": {
        const state = stateOf(message, PROVIDER)
        if (Array.isArray(state) && state.every(isBlock)) {
          out.push({ role: "assistant", content: [...state] })
          break
        }
        const blocks: Array<ContentBlockParam> = []
        if (message.content !== "") blocks.push({ type: "text", text: message.content })
        for (const call of message.toolCalls ?? []) blocks.push({ type: "tool_use", id: call.id, name: call.name, input: call.input ?? {} })
        out.push({ role: "assistant", content: blocks.length > 0 ? blocks : "" })
        break
      }
    }
  }
  return out
}

const toolChoiceOf = (choice: LanguageModel.ToolChoice | undefined, thinking: boolean): ToolChoice | undefined => {
  if (choice === undefined) return undefined
  // With extended thinking the API accepts only `auto` and `none`.
  if (thinking && choice !== "none") return { type: "auto" }
  if (choice === "auto") return { type: "auto" }
  if (choice === "none") return { type: "none" }
  if (choice === "required") return { type: "any" }
  return { type: "tool", name: choice.tool }
}

const request = (modelId: string, options: LanguageModel.GenerateOptions, setup: Setup): MessageCreateParamsBase => {
  const system = systemText(options.messages)
  const budget = options.reasoning ? Math.max(1_024, options.reasoning.budgetTokens ?? EFFORT_BUDGET[options.reasoning.effort ?? "medium"]) : null
  const requested = options.maxOutputTokens ?? setup.maxOutputTokens
  const thinking: ThinkingConfigParam | undefined = budget !== null ? { type: "enabled", budget_tokens: budget } : undefined
  const tools: Array<Tool> | undefined = options.tools?.map((tool) => ({
    name: tool.name,
    description: tool.description,
    input_schema: { type: "object", ...tool.inputSchema }
  }))
  const toolChoice = tools && tools.length > 0 ? toolChoiceOf(options.toolChoice, thinking !== undefined) : undefined
  return {
    model: modelId,
    // Thinking tokens count toward max_tokens, which must exceed the budget.
    max_tokens: budget !== null && requested <= budget ? budget + requested : requested,
    messages: toMessages(options.messages),
    ...(system !== null ? { system } : {}),
    ...(tools && tools.length > 0 ? { tools } : {}),
    ...(toolChoice ? { tool_choice: toolChoice } : {}),
    ...(thinking ? { thinking } : {}),
    ...(options.jsonSchema ? { output_config: { format: { type: "json_schema", schema: { ...options.jsonSchema } } } } : {})
  }
}

const finishOf = (reason: StopReason | null | undefined): LanguageModel.FinishReason => {
  switch (reason) {
    case "end_turn":
    case "stop_sequence":
      return "stop"
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length"
    case "tool_use":
      return "tool-calls"
    case "refusal":
      return "content-filter"
    default:
      return "other"
  }
}

interface Usage {
  input: number
  cacheRead: number
  cacheWrite: number
  output: number
  thinking: number
}

const usageOf = (usage: Usage, price: LanguageModel.Price | null): LanguageModel.Usage =>
  withCost(
    {
      inputTokens: usage.input + usage.cacheRead + usage.cacheWrite,
      cachedInputTokens: usage.cacheRead,
      cacheWriteTokens: usage.cacheWrite,
      outputTokens: usage.output,
      reasoningTokens: usage.thinking
    },
    price
  )

/** The answer from its content blocks (as a param array, ready to be sent back). */
const resultOf = (
  blocks: ReadonlyArray<ContentBlockParam>,
  stop: StopReason | null | undefined,
  usage: Usage,
  options: LanguageModel.GenerateOptions,
  setup: Setup,
  meta: { id: string; model: string }
): LanguageModel.GenerateResult => {
  let text = ""
  const thoughts: Array<string> = []
  const toolCalls: Array<LanguageModel.ToolCall> = []
  for (const block of blocks) {
    if (block.type === "text") text += block.text
    else if (block.type === "thinking") thoughts.push(block.thinking)
    else if (block.type === "redacted_thinking") thoughts.push("[redacted thinking]")
    else if (block.type === "tool_use") toolCalls.push(toolCallOf(block.id, block.name, JSON.stringify(block.input ?? {})))
  }
  const reasoning = thoughts.length > 0 ? thoughts.join("\n\n") : null
  return {
    text,
    reasoning,
    toolCalls,
    usage: usageOf(usage, setup.price),
    finishReason: finishOf(stop),
    ...(options.jsonSchema ? { json: parseJsonOutput(text) } : {}),
    message: { role: "assistant", content: text, toolCalls, reasoning, providerData: { provider: PROVIDER, data: [...blocks] } },
    responseId: meta.id,
    modelId: meta.model
  }
}

const paramsOf = (message: Message): Array<ContentBlockParam> =>
  message.content.flatMap((block): Array<ContentBlockParam> => {
    switch (block.type) {
      case "text":
        return [{ type: "text", text: block.text }]
      case "thinking":
        return [{ type: "thinking", thinking: block.thinking, signature: block.signature }]
      case "redacted_thinking":
        return [{ type: "redacted_thinking", data: block.data }]
      case "tool_use":
        return [{ type: "tool_use", id: block.id, name: block.name, input: block.input }]
      default:
        return []
    }
  })

const usageFrom = (u: {
  input_tokens?: number | null
  cache_read_input_tokens?: number | null
  cache_creation_input_tokens?: number | null
  output_tokens?: number | null
  output_tokens_details?: { thinking_tokens: number } | null
}): Usage => ({
  input: u.input_tokens ?? 0,
  cacheRead: u.cache_read_input_tokens ?? 0,
  cacheWrite: u.cache_creation_input_tokens ?? 0,
  output: u.output_tokens ?? 0,
  thinking: u.output_tokens_details?.thinking_tokens ?? 0
})

const generate = async (modelId: string, options: LanguageModel.GenerateOptions, setup: Setup): Promise<LanguageModel.GenerateResult> => {
  const context: CallContext = { ...setup.context, signal: options.signal }
  try {
    const message = await (await setup.client()).messages.create({ ...request(modelId, options, setup), stream: false }, { signal: options.signal ?? null })
    return resultOf(paramsOf(message), message.stop_reason, usageFrom(message.usage), options, setup, { id: message.id, model: message.model })
  } catch (cause) {
    throw failureOf(cause, context)
  }
}

interface OpenBlock {
  type: "text" | "thinking" | "redacted_thinking" | "tool_use" | "other"
  text: string
  signature: string
  data: string
  id: string
  name: string
  json: string
  input: unknown
}

const closeBlock = (block: OpenBlock): ContentBlockParam | null => {
  switch (block.type) {
    case "text":
      return { type: "text", text: block.text }
    case "thinking":
      return { type: "thinking", thinking: block.text, signature: block.signature }
    case "redacted_thinking":
      return { type: "redacted_thinking", data: block.data }
    case "tool_use": {
      let input: unknown = block.input
      if (block.json !== "") {
        try {
          input = JSON.parse(block.json)
        } catch {
          input = null
        }
      }
      return { type: "tool_use", id: block.id, name: block.name, input: input ?? {} }
    }
    default:
      return null
  }
}

async function* stream(modelId: string, options: LanguageModel.GenerateOptions, setup: Setup): AsyncGenerator<LanguageModel.StreamPart> {
  const context: CallContext = { ...setup.context, signal: options.signal }
  const open = new Map<number, OpenBlock>()
  const closed: Array<[number, ContentBlockParam]> = []
  let usage: Usage = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, thinking: 0 }
  let stop: StopReason | null = null
  let meta = { id: "", model: modelId }
  let finished = false
  try {
    const events = await (await setup.client()).messages.create({ ...request(modelId, options, setup), stream: true }, { signal: options.signal ?? null })
    for await (const event of events as AsyncIterable<RawMessageStreamEvent>) {
      switch (event.type) {
        case "message_start":
          meta = { id: event.message.id, model: event.message.model }
          usage = usageFrom(event.message.usage)
          break
        case "content_block_start": {
          const b = event.content_block
          const block: OpenBlock = { type: "other", text: "", signature: "", data: "", id: "", name: "", json: "", input: null }
          if (b.type === "text") Object.assign(block, { type: "text", text: b.text })
          else if (b.type === "thinking") Object.assign(block, { type: "thinking", text: b.thinking, signature: b.signature })
          else if (b.type === "redacted_thinking") Object.assign(block, { type: "redacted_thinking", data: b.data })
          else if (b.type === "tool_use") Object.assign(block, { type: "tool_use", id: b.id, name: b.name, input: b.input })
          open.set(event.index, block)
          break
        }
        case "content_block_delta": {
          const block = open.get(event.index)
          if (block === undefined) break
          const d = event.delta
          if (d.type === "text_delta") {
            block.text += d.text
            yield { type: "text", delta: d.text }
          } else if (d.type === "thinking_delta") {
            block.text += d.thinking
            yield { type: "reasoning", delta: d.thinking }
          } else if (d.type === "signature_delta") {
            block.signature = d.signature
          } else if (d.type === "input_json_delta") {
            block.json += d.partial_json
          }
          break
        }
        case "content_block_stop": {
          const block = open.get(event.index)
          open.delete(event.index)
          const param = block ? closeBlock(block) : null
          if (param !== null) {
            closed.push([event.index, param])
            if (param.type === "tool_use") yield { type: "tool-call", toolCall: toolCallOf(param.id, param.name, JSON.stringify(param.input)) }
          }
          break
        }
        case "message_delta": {
          stop = event.delta.stop_reason ?? stop
          const u = event.usage
          usage = {
            input: u.input_tokens ?? usage.input,
            cacheRead: u.cache_read_input_tokens ?? usage.cacheRead,
            cacheWrite: u.cache_creation_input_tokens ?? usage.cacheWrite,
            output: u.output_tokens,
            thinking: u.output_tokens_details?.thinking_tokens ?? usage.thinking
          }
          break
        }
        case "message_stop":
          finished = true
          break
      }
    }
  } catch (cause) {
    throw failureOf(cause, context)
  }
  if (!finished) throw truncated(context, "message_stop")
  const blocks = closed.sort(([a], [b]) => a - b).map(([, block]) => block)
  yield { type: "finish", result: resultOf(blocks, stop, usage, options, setup, meta) }
}

/**
 * A Claude model. Throws a `ModelCallError` of kind `auth` when no key is configured.
 *
 * @since 0.2.0
 */
export const model = (modelId: string, settings: AnthropicSettings = {}): LanguageModel.LanguageModelV1 => {
  const env = settings.env ?? process.env
  const apiKey = settings.apiKey ?? fromEnv(env, ["ANTHROPIC_API_KEY"])
  if (apiKey === undefined) throw missingKey(PROVIDER, modelId, "ANTHROPIC_API_KEY")
  const baseURL = settings.baseURL ?? fromEnv(env, ["ANTHROPIC_BASE_URL"]) ?? "https://api.anthropic.com"
  const setup: Setup = {
    client: lazy(async () => {
      const { default: Client } = await sdk.get()
      return new Client({
        apiKey,
        baseURL,
        maxRetries: 0,
        timeout: 3_600_000,
        logLevel: "off",
        ...(settings.headers ? { defaultHeaders: { ...settings.headers } } : {}),
        ...(settings.fetch ? { fetch: settings.fetch } : {})
      })
    }).get,
    context: { provider: PROVIDER, model: modelId, keyVariable: settings.apiKey ? null : "ANTHROPIC_API_KEY", secrets: [apiKey] },
    price: priceOf(PROVIDER, modelId, settings.prices),
    maxOutputTokens: settings.maxOutputTokens ?? DEFAULT_MAX_OUTPUT
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
