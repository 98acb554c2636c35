/**
 * Pieces every provider adapter shares: tool calls, JSON output, cost, strict schemas, keys.
 */
import { LanguageModel } from "@ratchet/core"

/** A tool call with its arguments parsed (`null` when they are not JSON). */
export const toolCallOf = (id: string, name: string, args: string): LanguageModel.ToolCall => {
  let input: unknown = null
  try {
    input = args.trim() === "" ? {} : JSON.parse(args)
  } catch {
    input = null
  }
  return { id, name, arguments: args, input }
}

/** The JSON an answer holds (a fenced ```json block is unwrapped), or `undefined`. */
export const parseJsonOutput = (text: string): unknown => {
  const trimmed = text.trim()
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/.exec(trimmed)
  try {
    return JSON.parse(fenced ? fenced[1]! : trimmed)
  } catch {
    return undefined
  }
}

/** Usage with its cost at `price` (0 when the price is unknown). */
export const withCost = (usage: Omit<LanguageModel.Usage, "costUsd">, price: LanguageModel.Price | null): LanguageModel.Usage => ({
  ...usage,
  costUsd: price === null ? 0 : LanguageModel.costOf(usage, price)
})

/**
 * Whether a JSON schema can be sent in OpenAI's strict mode: every object closes
 * (`additionalProperties: false`) and requires all its properties.
 */
export const isStrictCompatible = (schema: unknown): boolean => {
  if (Array.isArray(schema)) return schema.every(isStrictCompatible)
  if (typeof schema !== "object" || schema === null) return true
  const properties: unknown = Reflect.get(schema, "properties")
  if (Reflect.get(schema, "type") === "object" || properties !== undefined) {
    if (Reflect.get(schema, "additionalProperties") !== false) return false
    const required: unknown = Reflect.get(schema, "required")
    const keys = typeof properties === "object" && properties !== null ? Object.keys(properties) : []
    if (!Array.isArray(required) || !keys.every((k) => required.includes(k))) return false
  }
  return Object.values(schema).every(isStrictCompatible)
}

/** The text of the system messages, joined. */
export const systemText = (messages: ReadonlyArray<LanguageModel.Message>): string | null => {
  const parts = messages.filter((m): m is LanguageModel.SystemMessage => m.role === "system").map((m) => m.content)
  return parts.length === 0 ? null : parts.join("\n\n")
}

/** Provider state of an assistant message, when it belongs to `provider`. */
export const stateOf = (message: LanguageModel.AssistantMessage, provider: string): unknown =>
  message.providerData !== undefined && message.providerData.provider === provider ? message.providerData.data : undefined

/** Environment variables a provider may read. */
export type Env = Readonly<Record<string, string | undefined>>

/** The first non-empty value among the given environment variables. */
export const fromEnv = (env: Env, names: ReadonlyArray<string>): string | undefined => {
  for (const name of names) {
    const value = env[name]
    if (value !== undefined && value.trim() !== "") return value.trim()
  }
  return undefined
}

/** The error for a missing key: names the variable to set. */
export const missingKey = (provider: string, model: string, variable: string): LanguageModel.ModelCallError =>
  new LanguageModel.ModelCallError({
    kind: "auth",
    provider,
    model,
    message: `no API key: set ${variable} (or pass apiKey)`
  })

/**
 * A value loaded once, on first use (the SDKs are imported only when a model is called, so importing
 * `@ratchet/providers` stays cheap). `current()` is the value once loaded.
 */
export const lazy = <T>(load: () => Promise<T>): { readonly get: () => Promise<T>; readonly current: () => T | undefined } => {
  let value: T | undefined
  let pending: Promise<T> | undefined
  return {
    get: () => {
      pending ??= load().then((v) => {
        value = v
        return v
      })
      return pending
    },
    current: () => value
  }
}
