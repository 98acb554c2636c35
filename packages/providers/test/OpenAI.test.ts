import { describe, expect, it } from "@effect/vitest"
import { LanguageModel } from "@ratchet/core"
import { Effect, Fiber, Stream } from "effect"
import { OpenAI, Prices } from "../src/index.js"
import { fixture, jsonFixture, type Recorded, wireServer } from "./wire.js"

const KEY = "sk-test-Wr0ngK3yWr0ngK3yWr0ngK3yWr0ngK3yabcd"
const fast = { baseDelayMs: 5, maxDelayMs: 2_000, maxRetries: 2 }

const openai = (url: string, model = "gpt-5-mini") =>
  LanguageModel.LanguageModel.make(OpenAI.model(model, { apiKey: KEY, baseURL: `${url}/v1` }), fast)

const body = (r: Recorded | undefined): Record<string, unknown> => {
  const b = r?.body
  if (typeof b !== "object" || b === null || Array.isArray(b)) throw new Error(`request body is not an object: ${String(b)}`)
  return Object.fromEntries(Object.entries(b))
}

const failure = <A>(effect: Effect.Effect<A, import("@ratchet/core").RatchetError.RatchetError>) =>
  Effect.flip(effect).pipe(
    Effect.map((error) => {
      const reason = error.reason
      if (reason._tag !== "ModelFailure") throw new Error(`expected ModelFailure, got ${reason._tag}: ${error.message}`)
      return reason
    })
  )

const messages: ReadonlyArray<LanguageModel.Message> = [
  { role: "system", content: "You review JavaScript for performance problems." },
  { role: "user", content: "What is slow in dedupe()?" }
]

describe("OpenAI Responses API through the official SDK (wire fixtures on loopback)", () => {
  it.live("text with a reasoning summary: what is sent, what comes back, usage and cost", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ json: jsonFixture("openai/responses-text.json"), headers: { "x-request-id": "req_1" } }])
      const result = yield* openai(wire.url).generate({ messages, reasoning: { effort: "low" }, maxOutputTokens: 2048 })

      expect(wire.requests).toHaveLength(1)
      const sent = wire.requests[0]!
      expect(sent.method).toBe("POST")
      expect(sent.path).toBe("/v1/responses")
      expect(sent.headers.authorization).toBe(`Bearer ${KEY}`)
      expect(body(sent)).toMatchObject({
        model: "gpt-5-mini",
        instructions: "You review JavaScript for performance problems.",
        input: [{ role: "user", content: "What is slow in dedupe()?" }],
        reasoning: { effort: "low", summary: "auto" },
        include: ["reasoning.encrypted_content"],
        max_output_tokens: 2048,
        store: false
      })
      expect(body(sent).stream).toBe(false)

      expect(result.text).toBe("Use a Set for the membership test inside the loop.")
      expect(result.reasoning).toContain("quadratic")
      expect(result.finishReason).toBe("stop")
      expect(result.modelId).toBe("gpt-5-mini-2025-08-07")
      expect(result.usage).toMatchObject({ inputTokens: 1834, cachedInputTokens: 1536, outputTokens: 412, reasoningTokens: 320 })
      // gpt-5-mini: (1834 − 1536) × $0.25 + 1536 × $0.025 + 412 × $2 per million tokens.
      expect(result.usage.costUsd).toBeCloseTo((298 * 0.25 + 1536 * 0.025 + 412 * 2) / 1e6, 12)
      expect(result.call?.attempts).toBe(1)
    }).pipe(Effect.scoped)
  )

  it.live("structured output: the JSON schema is sent in strict mode and the answer parsed", () =>
    Effect.gen(function* () {
      const answer = { targets: [{ file: "src/a.js", symbol: "dedupe" }] }
      const response = { ...Object(jsonFixture("openai/responses-text.json")) }
      response.output = [
        { id: "msg_1", type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", annotations: [], text: JSON.stringify(answer) }] }
      ]
      const wire = yield* wireServer([{ json: response }])
      const schema = {
        type: "object",
        properties: { targets: { type: "array", items: { type: "object", properties: { file: { type: "string" }, symbol: { type: "string" } }, required: ["file", "symbol"], additionalProperties: false } } },
        required: ["targets"],
        additionalProperties: false
      }
      const result = yield* openai(wire.url).generate({ messages, jsonSchema: schema, jsonSchemaName: "triage" })
      expect(body(wire.requests[0]).text).toEqual({ format: { type: "json_schema", name: "triage", schema, strict: true } })
      expect(result.json).toEqual(answer)
    }).pipe(Effect.scoped)
  )

  it.live("a function call comes back parsed; the next turn replays the reasoning item and sends the tool output", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ json: jsonFixture("openai/responses-tool-call.json") }, { json: jsonFixture("openai/responses-text.json") }])
      const lm = openai(wire.url, "gpt-5")
      const tools: ReadonlyArray<LanguageModel.ToolDefinition> = [
        {
          name: "propose_patch",
          description: "Propose a patch as a unified diff.",
          inputSchema: {
            type: "object",
            properties: { title: { type: "string" }, explanation: { type: "string" }, diff: { type: "string" } },
            required: ["title", "explanation", "diff"],
            additionalProperties: false
          }
        }
      ]
      const first = yield* lm.generate({ messages, tools, toolChoice: { tool: "propose_patch" }, reasoning: { effort: "medium" } })
      expect(body(wire.requests[0])).toMatchObject({
        tools: [{ type: "function", name: "propose_patch", description: "Propose a patch as a unified diff.", strict: true }],
        tool_choice: { type: "function", name: "propose_patch" }
      })
      expect(first.finishReason).toBe("tool-calls")
      expect(first.toolCalls).toHaveLength(1)
      const call = first.toolCalls![0]!
      expect(call).toMatchObject({ id: "call_Q2hlY2tpbmcgdGhlIGxvb3A", name: "propose_patch" })
      expect(call.input).toMatchObject({ title: "Use a Set for membership", diff: expect.stringContaining("+++ b/src/a.js") })
      expect(first.usage.costUsd).toBeCloseTo((5120 * 1.25 + 980 * 10) / 1e6, 12)

      yield* lm.generate({
        messages: [...messages, first.message!, { role: "tool", toolCallId: call.id, toolName: call.name, content: "patch does not apply: hunk 1 failed" }],
        tools
      })
      const input = body(wire.requests[1]).input
      expect(input).toEqual([
        { role: "user", content: "What is slow in dedupe()?" },
        expect.objectContaining({ type: "reasoning", encrypted_content: expect.stringMatching(/^gAAAA/) }),
        expect.objectContaining({ type: "function_call", call_id: call.id, name: "propose_patch" }),
        { type: "function_call_output", call_id: call.id, output: "patch does not apply: hunk 1 failed" }
      ])
    }).pipe(Effect.scoped)
  )

  it.live("streaming: reasoning and text deltas in order, then one finish part with usage", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ sse: fixture("openai/responses-stream.sse") }])
      const parts = yield* Stream.runCollect(openai(wire.url).stream({ messages }))
      expect(body(wire.requests[0]).stream).toBe(true)
      const kinds = parts.map((p) => p.type)
      expect(kinds).toEqual(["reasoning", "reasoning", "text", "text", "text", "finish"])
      const text = parts.flatMap((p) => (p.type === "text" ? [p.delta] : [])).join("")
      expect(text).toBe("Hoist the array into a Set.")
      const finish = parts.at(-1)
      if (finish?.type !== "finish") throw new Error("no finish part")
      expect(finish.result.text).toBe(text)
      expect(finish.result.reasoning).toContain("quadratic")
      expect(finish.result.usage).toMatchObject({ inputTokens: 1834, outputTokens: 150, reasoningTokens: 128 })
    }).pipe(Effect.scoped)
  )

  it.live("streaming a function call: one tool-call part with the assembled arguments", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ sse: fixture("openai/responses-stream-tool.sse") }])
      const parts = yield* Stream.runCollect(openai(wire.url).stream({ messages }))
      const calls = parts.flatMap((p) => (p.type === "tool-call" ? [p.toolCall] : []))
      expect(calls).toHaveLength(1)
      expect(calls[0]!.input).toMatchObject({ title: "Hoist the RegExp", diff: expect.stringContaining("+++ b/src/x.js") })
      const finish = parts.at(-1)
      expect(finish?.type === "finish" && finish.result.usage.cachedInputTokens).toBe(2048)
    }).pipe(Effect.scoped)
  )

  it.live("429 with retry-after-ms: waits at least that long, retries once, succeeds", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([
        { status: 429, json: jsonFixture("openai/error-429.json"), headers: { "retry-after-ms": "300", "x-ratelimit-reset-tokens": "375ms" } },
        { json: jsonFixture("openai/responses-text.json") }
      ])
      const result = yield* openai(wire.url).generate({ messages })
      expect(wire.requests).toHaveLength(2)
      expect(wire.requests[1]!.at - wire.requests[0]!.at).toBeGreaterThanOrEqual(290)
      expect(result.call?.attempts).toBe(2)
      // The SDK's own retries are off: every attempt is the service's, and each is sent once.
      expect(wire.requests.map((r) => r.headers["x-stainless-retry-count"])).toEqual(["0", "0"])
    }).pipe(Effect.scoped)
  )

  it.live("429 insufficient_quota is not retried: retrying cannot add credit", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ status: 429, json: jsonFixture("openai/error-quota.json") }])
      const reason = yield* failure(openai(wire.url).generate({ messages }))
      expect(reason.kind).toBe("quota")
      expect(wire.requests).toHaveLength(1)
    }).pipe(Effect.scoped)
  )

  it.live("500 then success: retried with backoff", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ status: 500, json: jsonFixture("openai/error-500.json") }, { json: jsonFixture("openai/responses-text.json") }])
      const result = yield* openai(wire.url).generate({ messages })
      expect(wire.requests).toHaveLength(2)
      expect(result.text).toContain("Set")
    }).pipe(Effect.scoped)
  )

  it.live("a bad key: an auth error naming OPENAI_API_KEY, never the key, and no retry", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ status: 401, json: jsonFixture("openai/error-401.json") }])
      const lm = LanguageModel.LanguageModel.make(OpenAI.model("gpt-5-mini", { env: { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: `${wire.url}/v1` } }), fast)
      const reason = yield* failure(lm.generate({ messages }))
      expect(reason.kind).toBe("auth")
      expect(reason.status).toBe(401)
      expect(reason.message).toContain("OPENAI_API_KEY")
      expect(reason.message).not.toContain(KEY)
      expect(reason.message).not.toContain("sk-test-Wr0ngK3yW")
      expect(wire.requests).toHaveLength(1)
      expect(wire.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`)
    }).pipe(Effect.scoped)
  )

  it.live("an unknown model and a context overflow are told apart", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([
        { status: 404, json: jsonFixture("openai/error-404-model.json") },
        { status: 400, json: jsonFixture("openai/error-context.json") }
      ])
      const unknown = yield* failure(openai(wire.url, "gpt-9-turbo").generate({ messages }))
      expect(unknown.kind).toBe("not-found")
      expect(unknown.message).toContain('unknown model "gpt-9-turbo"')
      const overflow = yield* failure(openai(wire.url).generate({ messages }))
      expect(overflow.kind).toBe("context-overflow")
      expect(overflow.message).toContain("context window")
      expect(wire.requests).toHaveLength(2)
    }).pipe(Effect.scoped)
  )

  it.live("a malformed JSON body is a retryable invalid response; it fails after the retries", () =>
    Effect.gen(function* () {
      const truncatedJson = fixture("openai/responses-text.json").slice(0, 400)
      const wire = yield* wireServer([{ body: truncatedJson, contentType: "application/json" }])
      const reason = yield* failure(openai(wire.url).generate({ messages }))
      expect(reason.kind).toBe("invalid-response")
      expect(wire.requests).toHaveLength(3)
      expect(reason.message).toContain("gave up after 3 attempts")
    }).pipe(Effect.scoped)
  )

  it.live("a stream cut after parts were handed out fails as truncated and is not repeated", () =>
    Effect.gen(function* () {
      const full = fixture("openai/responses-stream.sse")
      const cut = Buffer.byteLength(full.slice(0, full.indexOf("response.output_text.done")))
      const wire = yield* wireServer([{ sse: full, cutAfterBytes: cut }])
      const seen: Array<string> = []
      const error = yield* Effect.flip(
        Stream.runForEach(openai(wire.url).stream({ messages }), (p) => Effect.sync(() => void seen.push(p.type)))
      )
      expect(error.reason).toMatchObject({ _tag: "ModelFailure", kind: "invalid-response" })
      expect(error.message).toContain("truncated")
      expect(seen).toContain("text")
      expect(wire.requests).toHaveLength(1)
    }).pipe(Effect.scoped)
  )

  it.live("a stream cut before its first part is retried", () =>
    Effect.gen(function* () {
      const full = fixture("openai/responses-stream.sse")
      const wire = yield* wireServer([{ sse: full, cutAfterBytes: 60 }, { sse: full }])
      const parts = yield* Stream.runCollect(openai(wire.url).stream({ messages }))
      expect(parts.at(-1)?.type).toBe("finish")
      expect(wire.requests).toHaveLength(2)
    }).pipe(Effect.scoped)
  )

  it.live("a timeout per attempt aborts the request", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ hang: true }])
      const lm = LanguageModel.LanguageModel.make(OpenAI.model("gpt-5-mini", { apiKey: KEY, baseURL: `${wire.url}/v1` }), { ...fast, maxRetries: 0 })
      const reason = yield* failure(lm.generate({ messages, timeoutMs: 150 }))
      expect(reason.kind).toBe("timeout")
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 50)))
      expect(wire.aborted()).toBe(1)
    }).pipe(Effect.scoped)
  )

  it.live("interrupting a call cancels the HTTP request", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ hang: true }])
      const fiber = yield* Effect.forkChild(openai(wire.url).generate({ messages }))
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 150)))
      expect(wire.requests).toHaveLength(1)
      yield* Fiber.interrupt(fiber)
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 50)))
      expect(wire.aborted()).toBe(1)
    }).pipe(Effect.scoped)
  )

  it("without a key the model cannot be built, and the error names the variable", () => {
    expect(() => OpenAI.model("gpt-5", { env: {} })).toThrow(/OPENAI_API_KEY/)
  })

  it("prices: exact ids, dated ids and overrides", () => {
    expect(Prices.priceOf("openai", "gpt-5-mini-2025-08-07")).toEqual(Prices.DEFAULT_PRICES["openai:gpt-5-mini"])
    expect(Prices.priceOf("openai", "gpt-5.2")).toBeNull()
    expect(Prices.priceOf("openai", "gpt-5", { "openai:gpt-5": { input: 1, output: 2 } })).toEqual({ input: 1, output: 2 })
  })
})

describe("OpenAI-compatible endpoints (Chat Completions) through the official SDK", () => {
  const compat = (url: string, model: string, env: Record<string, string> = {}) =>
    LanguageModel.LanguageModel.make(OpenAI.compatible(model, { baseURL: `${url}/v1`, env }), fast)

  it.live("JSON output with reasoning_content; the OpenAI key is never sent to another host", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ json: jsonFixture("openai/chat-text.json") }])
      const lm = compat(wire.url, "qwen3-coder-30b-a3b", { OPENAI_API_KEY: KEY })
      const result = yield* lm.generate({ messages, jsonSchema: { type: "object", properties: { targets: { type: "array" } } }, maxOutputTokens: 1000 })
      const sent = wire.requests[0]!
      expect(sent.path).toBe("/v1/chat/completions")
      expect(JSON.stringify(sent.headers)).not.toContain(KEY)
      expect(body(sent)).toMatchObject({
        model: "qwen3-coder-30b-a3b",
        messages: [
          { role: "system", content: "You review JavaScript for performance problems." },
          { role: "user", content: "What is slow in dedupe()?" }
        ],
        response_format: { type: "json_schema", json_schema: { name: "response", strict: false } },
        max_tokens: 1000
      })
      expect(result.json).toMatchObject({ targets: [{ file: "src/dedupe.js" }] })
      expect(result.reasoning).toContain("61% self time")
      expect(result.usage).toMatchObject({ inputTokens: 912, outputTokens: 98, cachedInputTokens: 512, reasoningTokens: 40, costUsd: 0 })
      expect(lm.model.price).toBeNull()
    }).pipe(Effect.scoped)
  )

  it.live("OPENAI_COMPATIBLE_API_KEY is sent as the bearer token", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ json: jsonFixture("openai/chat-text.json") }])
      yield* compat(wire.url, "m", { OPENAI_COMPATIBLE_API_KEY: "or-key-123456" }).generate({ messages })
      expect(wire.requests[0]!.headers.authorization).toBe("Bearer or-key-123456")
    }).pipe(Effect.scoped)
  )

  it.live("tool calls: parsed, and the next turn carries the assistant tool_calls and the tool message", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ json: jsonFixture("openai/chat-tool-call.json") }, { json: jsonFixture("openai/chat-text.json") }])
      const lm = compat(wire.url, "llama-3.3-70b-instruct")
      const tools = [{ name: "propose_patch", description: "Propose a patch.", inputSchema: { type: "object", properties: { diff: { type: "string" } } } }]
      const first = yield* lm.generate({ messages, tools, toolChoice: "required" })
      expect(body(wire.requests[0])).toMatchObject({
        tools: [{ type: "function", function: { name: "propose_patch", description: "Propose a patch.", strict: false } }],
        tool_choice: "required"
      })
      expect(first.finishReason).toBe("tool-calls")
      expect(first.toolCalls![0]).toMatchObject({ id: "chatcmpl-tool-5b2e9d8c7a6f4e3d", name: "propose_patch", input: { title: "Use a Set" } })
      const call = first.toolCalls![0]!
      yield* lm.generate({ messages: [...messages, first.message!, { role: "tool", toolCallId: call.id, toolName: call.name, content: "ok" }] })
      expect(body(wire.requests[1]).messages).toEqual([
        expect.objectContaining({ role: "system" }),
        expect.objectContaining({ role: "user" }),
        { role: "assistant", content: "", tool_calls: [{ id: call.id, type: "function", function: { name: "propose_patch", arguments: call.arguments } }] },
        { role: "tool", tool_call_id: call.id, content: "ok" }
      ])
    }).pipe(Effect.scoped)
  )

  it.live("streaming: reasoning_content and content deltas, usage from the last chunk", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ sse: fixture("openai/chat-stream.sse") }])
      const parts = yield* Stream.runCollect(compat(wire.url, "deepseek-reasoner").stream({ messages }))
      expect(body(wire.requests[0])).toMatchObject({ stream: true, stream_options: { include_usage: true } })
      expect(parts.map((p) => p.type)).toEqual(["reasoning", "reasoning", "reasoning", "text", "text", "text", "finish"])
      const finish = parts.at(-1)
      if (finish?.type !== "finish") throw new Error("no finish")
      expect(finish.result).toMatchObject({ text: "Hoist JSON.parse out of the loop.", reasoning: "The loop re-parses JSON on each call.", finishReason: "stop" })
      expect(finish.result.usage).toMatchObject({ inputTokens: 700, outputTokens: 60, reasoningTokens: 25 })
    }).pipe(Effect.scoped)
  )

  it.live("streaming tool-call deltas are assembled into one call", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ sse: fixture("openai/chat-stream-tool.sse") }])
      const parts = yield* Stream.runCollect(compat(wire.url, "qwen2.5-coder:32b").stream({ messages }))
      const calls = parts.flatMap((p) => (p.type === "tool-call" ? [p.toolCall] : []))
      expect(calls).toEqual([expect.objectContaining({ id: "call_k2j3h4g5f6d7", name: "propose_patch", input: expect.objectContaining({ title: "Hoist RegExp" }) })])
      const finish = parts.at(-1)
      expect(finish?.type === "finish" && finish.result.finishReason).toBe("tool-calls")
    }).pipe(Effect.scoped)
  )

  it.live("a stream without finish_reason or [DONE] is a truncated answer", () =>
    Effect.gen(function* () {
      const full = fixture("openai/chat-stream.sse")
      const wire = yield* wireServer([{ sse: full.slice(0, full.indexOf('"finish_reason":"stop"')).replace(/data: [^\n]*$/, "") }])
      const error = yield* Effect.flip(Stream.runDrain(compat(wire.url, "deepseek-reasoner").stream({ messages })))
      expect(error.reason).toMatchObject({ _tag: "ModelFailure", kind: "invalid-response" })
    }).pipe(Effect.scoped)
  )
})
