import { describe, expect, it } from "@effect/vitest"
import { LanguageModel, type RatchetError } from "@ratchet/core"
import { Effect, Stream } from "effect"
import { Google } from "../src/index.js"
import { fixture, jsonFixture, type Recorded, wireServer } from "./wire.js"

const KEY = "AIzaSyT3stK3yT3stK3yT3stK3yT3stK3yT3st"
const fast = { baseDelayMs: 5, maxDelayMs: 3_000, maxRetries: 2 }

const gemini = (url: string, model = "gemini-2.5-flash") => LanguageModel.LanguageModel.make(Google.model(model, { apiKey: KEY, baseURL: url }), fast)

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
  { role: "user", content: "Why is slugify slow?" }
]

describe("Gemini generateContent through the official @google/genai SDK (wire fixtures on loopback)", () => {
  it.live("thoughts and text: the request shape, the trace, usage (thoughts count as output) and cost", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ json: jsonFixture("google/generate-thoughts.json") }])
      const result = yield* gemini(wire.url).generate({ messages, reasoning: { budgetTokens: 1024 }, maxOutputTokens: 800, temperature: 0.2 })
      const sent = wire.requests[0]!
      expect(sent.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent")
      expect(sent.headers["x-goog-api-key"]).toBe(KEY)
      expect(body(sent)).toEqual({
        contents: [{ role: "user", parts: [{ text: "Why is slugify slow?" }] }],
        systemInstruction: { parts: [{ text: "You are a performance engineer." }], role: "user" },
        generationConfig: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 }, maxOutputTokens: 800, temperature: 0.2 }
      })
      expect(result.text).toBe("Hoist the RegExp to module scope so it is compiled once.")
      expect(result.reasoning).toContain("builds a RegExp per call")
      expect(result.finishReason).toBe("stop")
      expect(result.modelId).toBe("gemini-2.5-flash")
      expect(result.usage).toMatchObject({ inputTokens: 1400, cachedInputTokens: 1024, outputTokens: 24 + 196, reasoningTokens: 196 })
      // gemini-2.5-flash: 376 × $0.30 + 1024 × $0.03 + 220 × $2.50 per million tokens.
      expect(result.usage.costUsd).toBeCloseTo((376 * 0.3 + 1024 * 0.03 + 220 * 2.5) / 1e6, 12)
    }).pipe(Effect.scoped)
  )

  it.live("function calls: declared with a JSON schema, forced by name; the next turn keeps the thought signature and sends the response", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ json: jsonFixture("google/generate-function-call.json") }, { json: jsonFixture("google/generate-thoughts.json") }])
      const lm = gemini(wire.url, "gemini-2.5-pro")
      const schema = { type: "object", properties: { title: { type: "string" }, diff: { type: "string" } }, required: ["title", "diff"] }
      const tools = [{ name: "propose_patch", description: "Propose a patch.", inputSchema: schema }]
      const first = yield* lm.generate({ messages, tools, toolChoice: { tool: "propose_patch" } })
      expect(body(wire.requests[0])).toMatchObject({
        tools: [{ functionDeclarations: [{ name: "propose_patch", description: "Propose a patch.", parametersJsonSchema: schema }] }],
        toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["propose_patch"] } }
      })
      expect(first.finishReason).toBe("tool-calls")
      const call = first.toolCalls![0]!
      expect(call).toMatchObject({ name: "propose_patch", input: { title: "Hoist the RegExp" } })
      expect(first.usage.costUsd).toBeCloseTo((2100 * 1.25 + 190 * 10) / 1e6, 12)
      yield* lm.generate({ messages: [...messages, first.message!, { role: "tool", toolCallId: call.id, toolName: call.name, content: "applied" }], tools })
      expect(body(wire.requests[1]).contents).toEqual([
        { role: "user", parts: [{ text: "Why is slugify slow?" }] },
        { role: "model", parts: [expect.objectContaining({ functionCall: expect.objectContaining({ name: "propose_patch" }), thoughtSignature: expect.stringMatching(/^CiwB/) })] },
        { role: "user", parts: [{ functionResponse: { id: call.id, name: "propose_patch", response: { output: "applied" } } }] }
      ])
    }).pipe(Effect.scoped)
  )

  it.live("structured output: responseMimeType and responseJsonSchema", () =>
    Effect.gen(function* () {
      const reply = { ...Object(jsonFixture("google/generate-thoughts.json")) }
      reply.candidates = [{ content: { parts: [{ text: '{"targets":["slugify"]}' }], role: "model" }, finishReason: "STOP", index: 0 }]
      const wire = yield* wireServer([{ json: reply }])
      const schema = { type: "object", properties: { targets: { type: "array", items: { type: "string" } } } }
      const result = yield* gemini(wire.url).generate({ messages, jsonSchema: schema })
      expect(body(wire.requests[0]).generationConfig).toMatchObject({ responseMimeType: "application/json", responseJsonSchema: schema })
      expect(result.json).toEqual({ targets: ["slugify"] })
    }).pipe(Effect.scoped)
  )

  it.live("streaming over SSE: thought and text deltas, usage from the last chunk", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ sse: fixture("google/stream.sse") }])
      const parts = yield* Stream.runCollect(gemini(wire.url).stream({ messages, reasoning: { effort: "low" } }))
      expect(wire.requests[0]!.path).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
      expect(body(wire.requests[0]).generationConfig).toMatchObject({ thinkingConfig: { includeThoughts: true, thinkingLevel: "LOW" } })
      expect(parts.map((p) => p.type)).toEqual(["reasoning", "reasoning", "text", "text", "finish"])
      const finish = parts.at(-1)
      if (finish?.type !== "finish") throw new Error("no finish")
      expect(finish.result.text).toBe("Collect the pieces in an array and join once.")
      expect(finish.result.usage).toMatchObject({ inputTokens: 800, outputTokens: 81, reasoningTokens: 70 })
    }).pipe(Effect.scoped)
  )

  it.live("429 RESOURCE_EXHAUSTED: the RetryInfo delay in the body is honoured; 503 UNAVAILABLE is retried", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([
        { status: 429, json: jsonFixture("google/error-429.json") },
        { status: 503, json: jsonFixture("google/error-503.json") },
        { json: jsonFixture("google/generate-thoughts.json") }
      ])
      const result = yield* gemini(wire.url).generate({ messages })
      expect(wire.requests).toHaveLength(3)
      expect(wire.requests[1]!.at - wire.requests[0]!.at).toBeGreaterThanOrEqual(990)
      expect(result.call?.attempts).toBe(3)
    }).pipe(Effect.scoped)
  )

  it.live("a retry-after header is honoured too", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([
        { status: 503, json: jsonFixture("google/error-503.json"), headers: { "retry-after": "1" } },
        { json: jsonFixture("google/generate-thoughts.json") }
      ])
      yield* gemini(wire.url).generate({ messages })
      expect(wire.requests[1]!.at - wire.requests[0]!.at).toBeGreaterThanOrEqual(990)
    }).pipe(Effect.scoped)
  )

  it.live("an invalid key (400 API_KEY_INVALID), an unknown model and a context overflow", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([
        { status: 400, json: jsonFixture("google/error-400-key.json") },
        { status: 404, json: jsonFixture("google/error-404.json") },
        { status: 400, json: jsonFixture("google/error-context.json") }
      ])
      const lm = LanguageModel.LanguageModel.make(Google.model("gemini-2.5-flash", { baseURL: wire.url, env: { GEMINI_API_KEY: KEY } }), fast)
      const auth = yield* failure(lm.generate({ messages }))
      expect(auth.kind).toBe("auth")
      expect(auth.message).toContain("GEMINI_API_KEY")
      expect(auth.message).not.toContain(KEY)
      const unknown = yield* failure(gemini(wire.url, "gemini-9-pro").generate({ messages }))
      expect(unknown.kind).toBe("not-found")
      const overflow = yield* failure(gemini(wire.url).generate({ messages }))
      expect(overflow.kind).toBe("context-overflow")
      expect(wire.requests).toHaveLength(3)
    }).pipe(Effect.scoped)
  )

  it.live("a stream without a finishReason is truncated; an unterminated last chunk is malformed", () =>
    Effect.gen(function* () {
      const full = fixture("google/stream.sse")
      const events = full.split("\r\n\r\n").filter((e) => e !== "")
      const wire = yield* wireServer([{ sse: `${events.slice(0, 3).join("\r\n\r\n")}\r\n\r\n` }, { sse: `${events[0]}\r\n\r\ndata: {"candidates":[` }])
      const cut = yield* Effect.flip(Stream.runDrain(LanguageModel.LanguageModel.make(Google.model("gemini-2.5-flash", { apiKey: KEY, baseURL: wire.url }), { ...fast, maxRetries: 0 }).stream({ messages })))
      expect(cut.reason).toMatchObject({ _tag: "ModelFailure", kind: "invalid-response" })
      expect(cut.message).toContain("finishReason")
      const malformed = yield* Effect.flip(Stream.runDrain(LanguageModel.LanguageModel.make(Google.model("gemini-2.5-flash", { apiKey: KEY, baseURL: wire.url }), { ...fast, maxRetries: 0 }).stream({ messages })))
      expect(malformed.reason).toMatchObject({ _tag: "ModelFailure", kind: "invalid-response" })
    }).pipe(Effect.scoped)
  )

  it.live("malformed JSON in a 200 answer is an invalid response", () =>
    Effect.gen(function* () {
      const wire = yield* wireServer([{ body: '{"candidates":[{"content":', contentType: "application/json" }])
      const reason = yield* failure(LanguageModel.LanguageModel.make(Google.model("gemini-2.5-flash", { apiKey: KEY, baseURL: wire.url }), { ...fast, maxRetries: 0 }).generate({ messages }))
      expect(reason.kind).toBe("invalid-response")
    }).pipe(Effect.scoped)
  )

  it("without a key the model cannot be built; the Vertex switch in the environment is ignored", () => {
    expect(() => Google.model("gemini-2.5-flash", { env: { GOOGLE_GENAI_USE_VERTEXAI: "true" } })).toThrow(/GEMINI_API_KEY/)
  })
})
