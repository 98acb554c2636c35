import { describe, expect, it } from "@effect/vitest"
import { LanguageModel, type RatchetError } from "@ratchet/core"
import { Effect, Stream } from "effect"
import { Anthropic } from "../src/index.js"
import { fixture, jsonFixture, type Recorded, wireServer } from "./wire.js"

const KEY = "sk-ant-api03-T3stK3yT3stK3yT3stK3yT3stK3yT3stK3y-AAAA"
const fast = { baseDelayMs: 5, maxDelayMs: 3_000, maxRetries: 2 }

const claude = (url: string, model = "claude-haiku-4-5") =>
  LanguageModel.LanguageModel.make(Anthropic.model(model, { apiKey: KEY, baseURL: url }), fast)

const body = (r: Recorded | undefined): Record<string, unknown> => {
  const b = r?.body
  if (typeof b !== "object" || b === null || Array.isArray(b)) throw new Error(`request body is not an object: ${String(b)}`)
  return Object.fromEntries(Object.entries(b))
}

const failure = <A>(effect: Effect.Effect<A, RatchetError.RatchetError>) =>
  Effect.flip(effect).pipe(
    Effect.map((error) => {
      if (error.reason._tag !== "ModelFailure") throw new Error(`expected ModelFailure, got ${error.reason._tag}: ${error.message}`)
      return error.reason
    })
  )

const messages: ReadonlyArray<LanguageModel.Message> = [
  { role: "system", content: "You are a performance engineer." },
  { role: "user", content: "Why is dedupe slow?" }
]

const patchTool: LanguageModel.ToolDefinition = {
  name: "propose_patch",
  description: "Propose a patch as a unified diff.",
  inputSchema: {
    type: "object",
    properties: { title: { type: "string" }, explanation: { type: "string" }, diff: { type: "string" } },
    required: ["title", "explanation", "diff"],
    additionalProperties: false
  }
}

describe("Anthropic Messages API through the official SDK (wire fixtures on loopback)", () => {
  it.live("thinking and text: the request shape, the trace, cached-token usage and cost", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ json: jsonFixture("anthropic/message-thinking.json"), headers: { "request-id": "req_1" } }])
      const result = yield* claude(wire.url).generate({ messages, reasoning: { budgetTokens: 4000 }, maxOutputTokens: 2000 })
      const sent = wire.requests[0]!
      expect(sent.path).toBe("/v1/messages")
      // This SDK version sends the key as a bearer token (older ones used x-api-key).
      expect([sent.headers["x-api-key"], sent.headers.authorization]).toContain(sent.headers["x-api-key"] === KEY ? KEY : `Bearer ${KEY}`)
      expect(JSON.stringify(sent.headers)).toContain(KEY)
      expect(sent.headers["anthropic-version"]).toBeDefined()
      expect(body(sent)).toEqual({
        model: "claude-haiku-4-5",
        system: "You are a performance engineer.",
        messages: [{ role: "user", content: [{ type: "text", text: "Why is dedupe slow?" }] }],
        // max_tokens must exceed the thinking budget: the budget plus the requested output.
        max_tokens: 6000,
        thinking: { type: "enabled", budget_tokens: 4000 },
        stream: false
      })
      expect(result.text).toBe("Replace the array with a Set for the membership test.")
      expect(result.reasoning).toContain("quadratic")
      expect(result.finishReason).toBe("stop")
      expect(result.usage).toMatchObject({ inputTokens: 412 + 2048, cachedInputTokens: 2048, cacheWriteTokens: 0, outputTokens: 530, reasoningTokens: 402 })
      // claude-haiku-4-5: 412 × $1 + 2048 × $0.10 + 530 × $5 per million tokens.
      expect(result.usage.costUsd).toBeCloseTo((412 * 1 + 2048 * 0.1 + 530 * 5) / 1e6, 12)
    }).pipe(Effect.scoped)
  )

  it.live("tool use with thinking: the forced choice becomes auto; the next turn replays thinking with its signature and the tool result", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ json: jsonFixture("anthropic/message-tool-use.json") }, { json: jsonFixture("anthropic/message-thinking.json") }])
      const lm = claude(wire.url)
      const first = yield* lm.generate({ messages, tools: [patchTool], toolChoice: { tool: "propose_patch" }, reasoning: { effort: "low" } })
      expect(body(wire.requests[0])).toMatchObject({
        tools: [{ name: "propose_patch", description: "Propose a patch as a unified diff.", input_schema: patchTool.inputSchema }],
        tool_choice: { type: "auto" },
        thinking: { type: "enabled", budget_tokens: 2048 }
      })
      expect(first.finishReason).toBe("tool-calls")
      const call = first.toolCalls![0]!
      expect(call).toMatchObject({ id: "toolu_01D7FLrfh4GYq7yT1ULFeyMV", name: "propose_patch", input: { title: "Hoist the RegExp" } })
      // Cache writes are billed at the write price.
      expect(first.usage).toMatchObject({ inputTokens: 4300, cacheWriteTokens: 1200 })
      expect(first.usage.costUsd).toBeCloseTo((3100 * 1 + 1200 * 1.25 + 260 * 5) / 1e6, 12)

      yield* lm.generate({
        messages: [
          ...messages,
          first.message!,
          { role: "tool", toolCallId: call.id, toolName: call.name, content: "tests failed: dedupe keeps order", isError: true },
          { role: "user", content: "Fix it." }
        ],
        tools: [patchTool]
      })
      expect(body(wire.requests[1]).messages).toEqual([
        { role: "user", content: [{ type: "text", text: "Why is dedupe slow?" }] },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "I will hoist the RegExp out of the loop.", signature: expect.stringMatching(/^ErcB/) },
            { type: "tool_use", id: call.id, name: "propose_patch", input: call.input }
          ]
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: call.id, content: "tests failed: dedupe keeps order", is_error: true },
            { type: "text", text: "Fix it." }
          ]
        }
      ])
    }).pipe(Effect.scoped)
  )

  it.live("structured output goes in output_config.format", () =>
    Effect.gen(function* () {
      const reply = { ...Object(jsonFixture("anthropic/message-thinking.json")) }
      reply.content = [{ type: "text", text: '{"targets":[]}', citations: null }]
      const wire = yield* wireServer([{ json: reply }])
      const schema = { type: "object", properties: { targets: { type: "array" } }, required: ["targets"], additionalProperties: false }
      const result = yield* claude(wire.url).generate({ messages, jsonSchema: schema })
      expect(body(wire.requests[0]).output_config).toEqual({ format: { type: "json_schema", schema } })
      expect(result.json).toEqual({ targets: [] })
    }).pipe(Effect.scoped)
  )

  it.live("streaming: thinking deltas, text deltas, the signature kept for the next turn, usage from message_delta", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ sse: fixture("anthropic/stream-thinking.sse") }])
      const parts = yield* Stream.runCollect(claude(wire.url).stream({ messages, reasoning: { effort: "low" } }))
      expect(body(wire.requests[0]).stream).toBe(true)
      expect(parts.map((p) => p.type)).toEqual(["reasoning", "reasoning", "text", "text", "finish"])
      const finish = parts.at(-1)
      if (finish?.type !== "finish") throw new Error("no finish")
      expect(finish.result).toMatchObject({ text: "Parse the config once, at module load.", reasoning: "JSON.parse runs on every call with the same constant string.", finishReason: "stop" })
      expect(finish.result.usage).toMatchObject({ inputTokens: 950, outputTokens: 88, reasoningTokens: 60 })
      expect(finish.result.message?.providerData?.data).toEqual([
        { type: "thinking", thinking: "JSON.parse runs on every call with the same constant string.", signature: expect.stringMatching(/^EqQB/) },
        { type: "text", text: "Parse the config once, at module load." }
      ])
    }).pipe(Effect.scoped)
  )

  it.live("streaming tool input: input_json_delta pieces assembled into one call", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ sse: fixture("anthropic/stream-tool.sse") }])
      const parts = yield* Stream.runCollect(claude(wire.url).stream({ messages, tools: [patchTool] }))
      const calls = parts.flatMap((p) => (p.type === "tool-call" ? [p.toolCall] : []))
      expect(calls).toEqual([expect.objectContaining({ id: "toolu_01T1x9fJQ2xWTuqkpfbe8nSk", input: expect.objectContaining({ title: "Hoist JSON.parse" }) })])
      const finish = parts.at(-1)
      expect(finish?.type === "finish" && finish.result.finishReason).toBe("tool-calls")
    }).pipe(Effect.scoped)
  )

  it.live("an overloaded_error event inside the stream, before any part, is retried", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ sse: fixture("anthropic/stream-overloaded.sse") }, { sse: fixture("anthropic/stream-thinking.sse") }])
      const parts = yield* Stream.runCollect(claude(wire.url).stream({ messages }))
      expect(parts.at(-1)?.type).toBe("finish")
      expect(wire.requests).toHaveLength(2)
    }).pipe(Effect.scoped)
  )

  it.live("429 with retry-after in seconds is honoured; 529 overloaded is retried", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([
        { status: 429, json: jsonFixture("anthropic/error-429.json"), headers: { "retry-after": "1" } },
        { status: 529, json: jsonFixture("anthropic/error-529.json") },
        { json: jsonFixture("anthropic/message-thinking.json") }
      ])
      const result = yield* claude(wire.url).generate({ messages })
      expect(wire.requests).toHaveLength(3)
      expect(wire.requests[1]!.at - wire.requests[0]!.at).toBeGreaterThanOrEqual(990)
      expect(result.call?.attempts).toBe(3)
    }).pipe(Effect.scoped)
  )

  it.live("a retry-after longer than the policy allows fails at once with the reason", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ status: 429, json: jsonFixture("anthropic/error-429.json"), headers: { "retry-after": "120" } }])
      const reason = yield* failure(claude(wire.url).generate({ messages }))
      expect(reason.kind).toBe("rate-limit")
      expect(reason.message).toContain("asked to wait 120 s")
      expect(wire.requests).toHaveLength(1)
    }).pipe(Effect.scoped)
  )

  it.live("a bad key, an unknown model and a context overflow, each with its own kind", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([
        { status: 401, json: jsonFixture("anthropic/error-401.json") },
        { status: 404, json: jsonFixture("anthropic/error-404.json") },
        { status: 400, json: jsonFixture("anthropic/error-context.json") }
      ])
      const lm = LanguageModel.LanguageModel.make(Anthropic.model("claude-haiku-4-5", { env: { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: wire.url } }), fast)
      const auth = yield* failure(lm.generate({ messages }))
      expect(auth.kind).toBe("auth")
      expect(auth.message).toContain("ANTHROPIC_API_KEY")
      expect(auth.message).not.toContain(KEY)
      const unknown = yield* failure(claude(wire.url, "claude-sonnet-9").generate({ messages }))
      expect(unknown.kind).toBe("not-found")
      const overflow = yield* failure(claude(wire.url).generate({ messages }))
      expect(overflow.kind).toBe("context-overflow")
      expect(overflow.message).toContain("prompt is too long")
      expect(wire.requests).toHaveLength(3)
    }).pipe(Effect.scoped)
  )

  it.live("a stream cut before message_stop is a truncated answer", () =>
    Effect.gen(function* () {
      const full = fixture("anthropic/stream-thinking.sse")
      const wire = yield* wireServer([{ sse: full.slice(0, full.indexOf("event: message_delta")) }])
      const error = yield* Effect.flip(Stream.runDrain(claude(wire.url).stream({ messages })))
      expect(error.reason).toMatchObject({ _tag: "ModelFailure", kind: "invalid-response" })
      expect(error.message).toContain("message_stop")
      expect(wire.requests).toHaveLength(1)
    }).pipe(Effect.scoped)
  )

  it.live("malformed JSON in a 200 answer is an invalid response", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ body: '{"id":"msg_01","type":"message","content":[{"type":"te', contentType: "application/json" }])
      const lm = LanguageModel.LanguageModel.make(Anthropic.model("claude-haiku-4-5", { apiKey: KEY, baseURL: wire.url }), { ...fast, maxRetries: 0 })
      const reason = yield* failure(lm.generate({ messages }))
      expect(reason.kind).toBe("invalid-response")
    }).pipe(Effect.scoped)
  )

  it("without a key the model cannot be built", () => {
    expect(() => Anthropic.model("claude-haiku-4-5", { env: {} })).toThrow(/ANTHROPIC_API_KEY/)
  })
})
