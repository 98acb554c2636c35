/**
 * The server's agent resolver: the model only from the repository's settings (`RunRef.llm`), the
 * config's `llm` section only tuning it, and the settings' LLM budgets binding with the config's.
 */
import { describe, expect, it } from "@effect/vitest"
import { Config } from "@ratchet/core"
import { Effect } from "effect"
import { serverResolver, stricter } from "../src/internal/llm.js"

const config = (llm: Config.LlmConfig | undefined) => Config.resolved({ ...(llm ? { llm } : {}) }, [], null)
const resolve = serverResolver({ stateDir: "/nonexistent-ratchet-state", env: {} })
const run = { runId: "run-1", source: "/repo", commit: null, configFile: null }

describe("serverResolver", () => {
  it.effect("no model in the settings: no agent, whatever the config names", () =>
    Effect.gen(function* () {
      expect(yield* resolve({ run, config: config({ provider: "openai-compatible", patch: "m", baseURL: "http://127.0.0.1:9/v1" }) })).toBeNull()
      expect(yield* resolve({ run: { ...run, llm: null }, config: config(undefined) })).toBeNull()
    })
  )

  it.effect("each budget is the stricter of the settings' and the config's; the config cannot raise one", () =>
    Effect.gen(function* () {
      const agent = yield* resolve({
        run: { ...run, llm: { model: "openai-compatible:m@http://127.0.0.1:9/v1", budget: { usd: 0.5, dailyTokens: 1_000 } } },
        config: config({ budget: { usd: 10, dailyUsd: 5 }, repairAttempts: 1 })
      })
      expect(agent?.settings?.budget).toEqual({ usd: 0.5, dailyUsd: 5, dailyTokens: 1_000 })
      expect(agent?.settings?.repairAttempts).toBe(1)
      expect(agent?.models.patch.model.modelId).toBe("m")
    })
  )

  it("stricter takes the smaller limit and keeps one-sided ones", () => {
    expect(stricter({ usd: 1, tokens: 10 }, { usd: 2, dailyUsd: 3 })).toEqual({ usd: 1, tokens: 10, dailyUsd: 3 })
    expect(stricter({}, {})).toEqual({})
    expect(stricter({ usd: 0 }, { usd: 5 })).toEqual({ usd: 0 })
  })
})
