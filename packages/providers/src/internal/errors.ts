/**
 * Turning what an SDK throws into a `ModelCallError`: the kind (auth, unknown model, context
 * overflow, rate limit, …), the `retry-after` the provider asked for, and a message that says
 * what to do and never contains a key.
 */
import { LanguageModel } from "@ratchet/core"

/** What a provider adapter knows about a failed HTTP exchange. */
export interface HttpFailure {
  readonly status: number | null
  /** The provider's error type or code (`rate_limit_error`, `insufficient_quota`, `RESOURCE_EXHAUSTED`, …). */
  readonly code: string | null
  readonly message: string
  readonly retryAfterMs: number | null
}

/** The model call this failure belongs to, for messages. */
export interface CallContext {
  readonly provider: string
  readonly model: string
  /** Environment variable holding the key, for the "what to do" part of auth errors. */
  readonly keyVariable: string | null
  /** Secrets that must never appear in a message. */
  readonly secrets: ReadonlyArray<string>
  readonly signal?: AbortSignal | undefined
}

const MASK = "[REDACTED]"
/** Key-shaped strings a provider may echo back (OpenAI echoes a masked key; a proxy may echo it whole). */
const KEY_SHAPES = /\b(?:sk-[A-Za-z0-9_*-]{8,}|AIza[0-9A-Za-z_-]{20,})/g

/** Removes the known secrets and key-shaped strings from a text. */
export const redact = (text: string, secrets: ReadonlyArray<string>): string => {
  let out = text
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join(MASK)
  return out.replace(KEY_SHAPES, MASK)
}

/**
 * Milliseconds to wait from `retry-after-ms`, `retry-after` (seconds or an HTTP date) or a Google
 * `RetryInfo.retryDelay` such as `"17s"`; `null` when none is given or it does not parse.
 */
export const retryAfterOf = (headers: { get(name: string): string | null } | null | undefined, now: number, body?: unknown): number | null => {
  const ms = headers?.get("retry-after-ms")
  if (ms != null && ms.trim() !== "" && Number.isFinite(Number(ms))) return Math.max(0, Number(ms))
  const after = headers?.get("retry-after")
  if (after != null && after.trim() !== "") {
    if (/^\d+(\.\d+)?$/.test(after.trim())) return Math.max(0, Number(after) * 1000)
    const date = Date.parse(after)
    if (Number.isFinite(date)) return Math.max(0, date - now)
  }
  return googleRetryDelay(body)
}

const googleRetryDelay = (body: unknown): number | null => {
  const details = field(field(body, "error"), "details")
  if (!Array.isArray(details)) return null
  for (const detail of details) {
    const delay = field(detail, "retryDelay")
    if (typeof delay === "string") {
      const match = /^(\d+(?:\.\d+)?)s$/.exec(delay.trim())
      if (match) return Number(match[1]) * 1000
    }
  }
  return null
}

/** A property of an unknown value, or `undefined`. */
export const field = (value: unknown, key: string): unknown =>
  typeof value === "object" && value !== null ? (Reflect.get(value, key) as unknown) : undefined

/** A string property of an unknown value, or `null`. */
export const stringField = (value: unknown, key: string): string | null => {
  const v = field(value, key)
  return typeof v === "string" ? v : null
}

const CONTEXT_OVERFLOW =
  /context[_ ]length|context window|maximum context|too many tokens|prompt is too long|input is too long|exceeds the maximum number of tokens|input token count.*exceeds|reduce the length of the messages|maximum allowed input/i

/** Classifies an HTTP failure. */
export const classify = (failure: HttpFailure, context: CallContext): LanguageModel.ModelCallError => {
  const { status, code } = failure
  const detail = redact(failure.message, context.secrets).slice(0, 600)
  const make = (kind: LanguageModel.ModelErrorKind, message: string) =>
    new LanguageModel.ModelCallError({
      kind,
      provider: context.provider,
      model: context.model,
      status,
      retryAfterMs: failure.retryAfterMs,
      message: redact(message, context.secrets)
    })
  const http = status === null ? "" : ` (HTTP ${status})`
  const lowerCode = (code ?? "").toLowerCase()
  if (context.signal?.aborted) return make("cancelled", "the call was cancelled")
  if (status === 401 || lowerCode === "authentication_error" || lowerCode === "invalid_api_key" || lowerCode === "unauthenticated") {
    return make(
      "auth",
      `the API key was rejected${http}: ${detail}. ${context.keyVariable ? `Set ${context.keyVariable} to a valid key` : "Check the key configured for this endpoint"}`
    )
  }
  if (status === 403 || lowerCode === "permission_error" || lowerCode === "permission_denied") {
    return make("permission", `the key may not use model "${context.model}"${http}: ${detail}. Use a model the key has access to`)
  }
  if (CONTEXT_OVERFLOW.test(failure.message) || lowerCode === "context_length_exceeded" || lowerCode === "request_too_large" || status === 413) {
    return make("context-overflow", `the prompt does not fit the model's context window${http}: ${detail}. Lower llm.contextTokens or pick a model with a larger window`)
  }
  if (status === 404 || lowerCode === "model_not_found" || lowerCode === "not_found_error" || lowerCode === "not_found") {
    return make("not-found", `unknown model "${context.model}"${http}: ${detail}. Check the model name (GET /api/llm/models lists the known ones)`)
  }
  if (lowerCode === "insufficient_quota" || lowerCode === "billing_error" || status === 402) {
    return make("quota", `the account's quota or credit is exhausted${http}: ${detail}. Add credit or raise the limit with the provider`)
  }
  if (status === 429 || lowerCode === "rate_limit_error" || lowerCode === "resource_exhausted" || lowerCode === "rate_limit_exceeded") {
    return make("rate-limit", `rate limited${http}: ${detail}`)
  }
  if (status === 529 || lowerCode === "overloaded_error" || lowerCode === "unavailable" || status === 503) {
    return make("overloaded", `the provider is overloaded${http}: ${detail}`)
  }
  if (status === 408 || status === 504 || lowerCode === "timeout_error" || lowerCode === "deadline_exceeded") {
    return make("timeout", `the provider timed out${http}: ${detail}`)
  }
  if (status !== null && status >= 500) return make("server", `the provider failed${http}: ${detail}`)
  if (status === null && lowerCode !== "") {
    // An error event inside a stream (no HTTP status): overload and rate limits are named by type.
    return make(lowerCode.includes("overload") ? "overloaded" : "server", `the provider reported an error in the stream (${code}): ${detail}`)
  }
  return make("bad-request", `the provider refused the request${http}: ${detail}`)
}

/** A failure that is not an HTTP error: abort, timeout, connection, malformed body. */
export const classifyThrown = (cause: unknown, context: CallContext): LanguageModel.ModelCallError => {
  const message = cause instanceof Error ? cause.message : String(cause)
  const name = cause instanceof Error ? cause.name : ""
  const make = (kind: LanguageModel.ModelErrorKind, text: string) =>
    new LanguageModel.ModelCallError({ kind, provider: context.provider, model: context.model, message: redact(text, context.secrets) })
  if (context.signal?.aborted || name === "AbortError" || name === "APIUserAbortError") return make("cancelled", "the call was cancelled")
  if (name === "SyntaxError" || /JSON|Unexpected token|Incomplete JSON|unexpected end/i.test(message)) {
    return make("invalid-response", `the provider sent a malformed answer: ${message}`)
  }
  const cause2 = cause instanceof Error ? cause.cause : undefined
  const chain = `${message} ${cause2 instanceof Error ? cause2.message : ""} ${stringField(cause2, "code") ?? ""}`
  if (/terminated|other side closed|socket hang up|premature close|UND_ERR_SOCKET|ECONNRESET/i.test(chain)) {
    return make("invalid-response", `the connection closed before the answer was complete (truncated): ${message}`)
  }
  if (name === "APIConnectionTimeoutError" || /timed? ?out/i.test(message)) return make("timeout", `the request timed out: ${message}`)
  const code = stringField(cause2, "code")
  return make("network", `could not reach the provider: ${message}${code ? ` (${code})` : ""}`)
}

/** A stream that ended before the provider said it was done. */
export const truncated = (context: CallContext, what: string): LanguageModel.ModelCallError =>
  context.signal?.aborted
    ? new LanguageModel.ModelCallError({ kind: "cancelled", provider: context.provider, model: context.model, message: "the call was cancelled" })
    : new LanguageModel.ModelCallError({
        kind: "invalid-response",
        provider: context.provider,
        model: context.model,
        message: `the stream ended before ${what} (truncated answer)`
      })
