import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Registry } from "../src/index.js"

describe("Registry: provider:model specs", () => {
  it.effect("parses the four built-in forms; Ollama tags keep their colons", () =>
    Effect.gen(function* () {
      expect(yield* Registry.parseSpec("openai:gpt-5-mini")).toEqual({ provider: "openai", model: "gpt-5-mini" })
      expect(yield* Registry.parseSpec("anthropic:claude-haiku-4-5")).toEqual({ provider: "anthropic", model: "claude-haiku-4-5" })
      expect(yield* Registry.parseSpec("google:gemini-2.5-flash")).toEqual({ provider: "google", model: "gemini-2.5-flash" })
      expect(yield* Registry.parseSpec("openai-compatible:qwen2.5-coder:7b@http://127.0.0.1:11434/v1")).toEqual({
        provider: "openai-compatible",
        model: "qwen2.5-coder:7b",
        baseURL: "http://127.0.0.1:11434/v1"
      })
    })
  )

  it.effect("bad specs are bad input that say what is wrong and show the valid forms", () =>
    Effect.gen(function* () {
      for (const [spec, what] of [
        ["gpt-5", "PROVIDER:MODEL"],
        ["mistral:large", 'unknown LLM provider "mistral"'],
        ["openai:", "model name is missing"],
        ["openai-compatible:llama3", "needs a base URL"],
        ["openai-compatible:llama3@https://user:pw@example.com/v1", "must not carry credentials"]
      ] as const) {
        const error = yield* Effect.flip(Registry.parseSpec(spec))
        expect(error.reason._tag).toBe("BadInput")
        expect(error.message).toContain(what)
        expect(error.message).toContain("openai-compatible:MODEL@")
      }
    })
  )

  it.effect("a missing key is bad input naming the variable to set", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Registry.fromSpec("anthropic:claude-haiku-4-5", { env: {} }))
      expect(error.reason._tag).toBe("BadInput")
      expect(error.message).toContain("ANTHROPIC_API_KEY")
      const model = yield* Registry.fromSpec("openai-compatible:llama3@http://127.0.0.1:9/v1", { env: {} })
      expect(model).toMatchObject({ provider: "openai-compatible", modelId: "llama3", price: null })
      const keyed = yield* Registry.fromSpec("google:gemini-2.5-flash", { env: {}, apiKey: "AIzaFromTheSecretStore" })
      expect(keyed.price).toMatchObject({ input: 0.3 })
    })
  )

  it("configured: which providers have keys, and their models with prices", () => {
    const list = Registry.configured({ OPENAI_API_KEY: "sk-x" }, { extra: ["openai-compatible:llama3@http://127.0.0.1:11434/v1", "openai:gpt-5.2"] })
    const byName = Object.fromEntries(list.map((p) => [p.provider, p]))
    expect(byName.openai?.configured).toBe(true)
    expect(byName.anthropic?.configured).toBe(false)
    expect(byName.google?.keyVariables).toEqual(["GEMINI_API_KEY", "GOOGLE_API_KEY"])
    expect(byName["openai-compatible"]?.configured).toBe(true)
    expect(byName.openai?.models).toContainEqual({ id: "gpt-5-mini", spec: "openai:gpt-5-mini", price: expect.objectContaining({ input: 0.25 }) })
    expect(byName.openai?.models).toContainEqual({ id: "gpt-5.2", spec: "openai:gpt-5.2", price: null })
    expect(byName["openai-compatible"]?.models.map((m) => m.spec)).toEqual(["openai-compatible:llama3@http://127.0.0.1:11434/v1"])
  })
})
