import { describe, expect, it } from "@effect/vitest"
import { LanguageModel, type RatchetError } from "@ratchet/core"
import { Effect, Fiber, Stream } from "effect"
import { TestClock } from "effect/testing"

type Step = LanguageModel.GenerateResult | LanguageModel.ModelCallError

const result = (text: string): LanguageModel.GenerateResult => ({
  text,
  reasoning: null,
  usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.001 },
  finishReason: "stop"
})

const fail = (kind: LanguageModel.ModelErrorKind, retryAfterMs: number | null = null) =>
  new LanguageModel.ModelCallError({ kind, provider: "fake", model: "m", message: `${kind} happened`, retryAfterMs, status: kind === "rate-limit" ? 429 : null })

/** A model that answers each call with the next step and records when each call started. */
const scripted = (steps: ReadonlyArray<Step>) => {
  const calls: Array<number> = []
  let clock = () => 0
  const model: LanguageModel.LanguageModelV1 = {
    specificationVersion: "v1",
    provider: "fake",
    modelId: "m",
    generate: async () => {
      calls.push(clock())
      const step = steps[Math.min(calls.length - 1, steps.length - 1)]!
      if (step instanceof LanguageModel.ModelCallError) throw step
      return step
    }
  }
  return { model, calls, setClock: (f: () => number) => void (clock = f) }
}

const run = <A>(effect: Effect.Effect<A, RatchetError.RatchetError>, advanceMs: number) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(Effect.result(effect))
    for (let t = 0; t < advanceMs; t += 100) yield* TestClock.adjust(100)
    return yield* Fiber.join(fiber)
  })

describe("LanguageModel service: one call policy for every provider", () => {
  it.effect("retries retryable failures with exponential backoff, then succeeds", () =>
    Effect.gen(function* () {
      const s = scripted([fail("server"), fail("overloaded"), result("ok")])
      const lm = LanguageModel.LanguageModel.make(s.model, { baseDelayMs: 1_000, maxRetries: 3 })
      const outcome = yield* run(lm.generate({ messages: [{ role: "user", content: "hi" }] }), 10_000)
      expect(outcome._tag).toBe("Success")
      if (outcome._tag === "Success") expect(outcome.success.call?.attempts).toBe(3)
    })
  )

  it.effect("a retry-after is waited exactly; nothing is sent before it passes", () =>
    Effect.gen(function* () {
      const s = scripted([fail("rate-limit", 5_000), result("ok")])
      const lm = LanguageModel.LanguageModel.make(s.model)
      const fiber = yield* Effect.forkChild(lm.generate({ messages: [{ role: "user", content: "hi" }] }))
      yield* TestClock.adjust(4_900)
      expect(yield* Effect.sync(() => s.calls.length)).toBe(1)
      yield* TestClock.adjust(200)
      const done = yield* Fiber.join(fiber)
      expect(done.text).toBe("ok")
    })
  )

  it.effect("a retry-after beyond the longest allowed wait fails at once, saying so", () =>
    Effect.gen(function* () {
      const s = scripted([fail("rate-limit", 120_000), result("ok")])
      const lm = LanguageModel.LanguageModel.make(s.model, { maxDelayMs: 60_000 })
      const error = yield* Effect.flip(lm.generate({ messages: [{ role: "user", content: "hi" }] }))
      expect(error.reason).toMatchObject({ _tag: "ModelFailure", kind: "rate-limit", status: 429 })
      expect(error.message).toContain("asked to wait 120 s")
      expect(s.calls).toHaveLength(1)
    })
  )

  it.effect("non-retryable kinds fail on the first attempt", () =>
    Effect.gen(function* () {
      for (const kind of ["auth", "permission", "not-found", "context-overflow", "quota", "bad-request", "invalid-output"] as const) {
        const s = scripted([fail(kind), result("ok")])
        const error = yield* Effect.flip(LanguageModel.LanguageModel.make(s.model).generate({ messages: [] }))
        expect(error.reason).toMatchObject({ _tag: "ModelFailure", kind })
        expect(error.retryable).toBe(false)
        expect(s.calls).toHaveLength(1)
      }
    })
  )

  it.effect("gives up after maxRetries and says how many attempts it made", () =>
    Effect.gen(function* () {
      const s = scripted([fail("server")])
      const lm = LanguageModel.LanguageModel.make(s.model, { maxRetries: 2, baseDelayMs: 100 })
      const outcome = yield* run(lm.generate({ messages: [] }), 5_000)
      expect(outcome._tag).toBe("Failure")
      if (outcome._tag === "Failure") expect(outcome.failure.message).toContain("gave up after 3 attempts")
      expect(s.calls).toHaveLength(3)
    })
  )

  it.effect("a call slower than the timeout fails as timeout and is retried", () =>
    Effect.gen(function* () {
      let n = 0
      const model: LanguageModel.LanguageModelV1 = {
        specificationVersion: "v1",
        provider: "fake",
        modelId: "slow",
        generate: (options) =>
          n++ === 0
            ? new Promise((_, reject) => options.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))))
            : Promise.resolve(result("second"))
      }
      const lm = LanguageModel.LanguageModel.make(model, { timeoutMs: 1_000, baseDelayMs: 10 })
      const outcome = yield* run(lm.generate({ messages: [] }), 3_000)
      expect(outcome._tag).toBe("Success")
      expect(n).toBe(2)
    })
  )

  it("retryDelay: exponential with jitter, capped; retry-after wins", () => {
    const policy = { ...LanguageModel.DEFAULT_POLICY, baseDelayMs: 1_000, maxDelayMs: 8_000, maxRetries: 5 }
    expect(LanguageModel.retryDelay(fail("server"), 1, policy, 1)).toBe(1_000)
    expect(LanguageModel.retryDelay(fail("server"), 3, policy, 1)).toBe(4_000)
    expect(LanguageModel.retryDelay(fail("server"), 5, policy, 1)).toBe(8_000)
    expect(LanguageModel.retryDelay(fail("server"), 2, policy, 0)).toBe(1_000)
    expect(LanguageModel.retryDelay(fail("rate-limit", 2_500), 1, policy, 0)).toBe(2_500)
    expect(LanguageModel.retryDelay(fail("server"), 6, policy, 0)).toBeNull()
    expect(LanguageModel.retryDelay(fail("auth"), 1, policy, 0)).toBeNull()
  })

  it("costOf: uncached, cached, cache writes, output and reasoning priced separately", () => {
    const price = { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 }
    expect(LanguageModel.costOf({ inputTokens: 1_000_000, outputTokens: 0 }, price)).toBe(3)
    expect(LanguageModel.costOf({ inputTokens: 1_000, cachedInputTokens: 600, cacheWriteTokens: 100, outputTokens: 200 }, price)).toBeCloseTo(
      (300 * 3 + 600 * 0.3 + 100 * 3.75 + 200 * 15) / 1e6,
      12
    )
    expect(LanguageModel.costOf({ inputTokens: 0, outputTokens: 100, reasoningTokens: 60 }, { input: 1, output: 10, reasoning: 20 })).toBeCloseTo(
      (40 * 10 + 60 * 20) / 1e6,
      12
    )
  })

  it.effect("streams retry only before the first part: parts already handed out are never repeated", () =>
    Effect.gen(function* () {
      let n = 0
      const model: LanguageModel.LanguageModelV1 = {
        specificationVersion: "v1",
        provider: "fake",
        modelId: "s",
        generate: () => Promise.resolve(result("x")),
        stream: async function* () {
          n++
          if (n === 1) throw fail("overloaded")
          yield { type: "text", delta: "a" }
          if (n === 2) throw fail("invalid-response")
          yield { type: "finish", result: result("a") }
        }
      }
      const lm = LanguageModel.LanguageModel.make(model, { baseDelayMs: 10 })
      const seen: Array<string> = []
      const fiber = yield* Effect.forkChild(Effect.result(Stream.runForEach(lm.stream({ messages: [] }), (p) => Effect.sync(() => void seen.push(p.type)))))
      yield* TestClock.adjust(1_000)
      const outcome = yield* Fiber.join(fiber)
      expect(outcome._tag).toBe("Failure")
      expect(seen).toEqual(["text"])
      expect(n).toBe(2)
    })
  )

  it.effect("layerTest keeps replaying scripted answers, the last one repeating", () =>
    Effect.gen(function* () {
      const lm = yield* LanguageModel.LanguageModel
      const a = yield* lm.generate({ messages: [] })
      const b = yield* lm.generate({ messages: [] })
      const c = yield* lm.generate({ messages: [] })
      expect([a.text, b.text, c.text]).toEqual(["one", "two", "two"])
    }).pipe(Effect.provide(LanguageModel.LanguageModel.layerTest([{ text: "one" }, { text: "two" }])))
  )
})
