/**
 * Structured JSON request logs carrying the request id and trace id, with
 * secrets redacted.
 *
 * @since 0.1.0
 */
import type { MiddlewareHandler } from "hono"
import * as Crypto from "node:crypto"

/** A sink for one JSON log record. @since 0.1.0 */
export type LogSink = (record: Record<string, unknown>) => void

/** Discards records; the request logger then skips building them. @since 0.1.0 */
export const silentSink: LogSink = () => {}

/** Writes one JSON line to stdout. @since 0.1.0 */
export const stdoutSink: LogSink = (record) => {
  process.stdout.write(`${JSON.stringify(redact(record))}\n`)
}

const secretPatterns: ReadonlyArray<RegExp> = [
  /rat_[A-Za-z0-9_-]{8,}/g,
  /Bearer\s+[A-Za-z0-9._~+/=-]+/gi,
  /gh[pousr]_[A-Za-z0-9]{20,}/g,
  /sk-[A-Za-z0-9_-]{16,}/g,
  /(postgres(?:ql)?:\/\/[^:/\s]+:)[^@\s]+@/gi
]
const secretKeys = /^(authorization|cookie|set-cookie|token|password|secret|apikey|api_key|x-api-key)$/i

/**
 * Masks secrets in a value: known token formats in strings, and whole values under secret-looking keys.
 *
 * @since 0.1.0
 */
export const redact = (value: unknown): unknown => {
  if (typeof value === "string") {
    let s = value
    for (const p of secretPatterns) s = s.replace(p, (m, prefix) => (typeof prefix === "string" && m.startsWith(prefix) ? `${prefix}[REDACTED]@` : "[REDACTED]"))
    return s
  }
  if (Array.isArray(value)) return value.map(redact)
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secretKeys.test(k) ? "[REDACTED]" : redact(v)]))
  }
  return value
}

/**
 * The trace id of a request: from a W3C `traceparent` header when valid, else a fresh one.
 *
 * @since 0.1.0
 */
export const traceIdOf = (traceparent: string | undefined): string => {
  const m = traceparent?.match(/^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/)
  // randomUUID draws from a buffered entropy pool; a fresh randomBytes call per request is far slower
  return m && m[1] !== "0".repeat(32) ? m[1] : Crypto.randomUUID().replaceAll("-", "")
}

/**
 * Logs one record per request after it completes; sets the `traceId` variable. A `tokenId`
 * variable set by the auth middleware is logged as the caller (the token's id, never its value).
 *
 * @since 0.1.0
 */
export const jsonLogger = (sink: LogSink = stdoutSink): MiddlewareHandler => async function jsonLogger(c, next) {
  const started = performance.now()
  const traceId = traceIdOf(c.req.header("traceparent"))
  c.set("traceId" as never, traceId as never)
  await next()
  if (sink === silentSink) return
  sink(redact({
    level: c.res.status >= 500 ? "error" : "info",
    msg: "request",
    time: new Date().toISOString(),
    requestId: c.get("requestId" as never),
    traceId,
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    durationMs: Math.round((performance.now() - started) * 100) / 100,
    // the caller's token by id (set once it is authenticated), never its value
    ...(c.get("tokenId" as never) ? { tokenId: c.get("tokenId" as never) } : {}),
    ...(c.get("logError" as never) ? { error: c.get("logError" as never) } : {})
  }) as Record<string, unknown>)
}
