/**
 * Token-bucket rate limiting per key (the caller's token by default):
 * `429 Too Many Requests` with `Retry-After` in seconds when empty.
 *
 * @since 0.1.0
 */
import type { Context, MiddlewareHandler } from "hono"

/** @since 0.1.0 */
export interface RateLimitOptions {
  /** Requests allowed in a burst. */
  readonly limit: number
  /** Window over which `limit` requests refill, in ms. */
  readonly windowMs: number
  /** The bucket key; defaults to the Authorization header. */
  readonly key?: (c: Context) => string
  /** Time source (ms), for tests. */
  readonly now?: () => number
}

/**
 * Creates the middleware.
 *
 * @since 0.1.0
 */
export const rateLimit = (options: RateLimitOptions): MiddlewareHandler => {
  const buckets = new Map<string, { tokens: number; at: number }>()
  const now = options.now ?? Date.now
  const perMs = options.limit / options.windowMs
  return async function rateLimit(c, next) {
    const key = options.key?.(c) ?? c.req.header("authorization") ?? "anonymous"
    const t = now()
    const b = buckets.get(key) ?? { tokens: options.limit, at: t }
    b.tokens = Math.min(options.limit, b.tokens + (t - b.at) * perMs)
    b.at = t
    if (b.tokens < 1) {
      buckets.set(key, b)
      const retryAfter = Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000))
      c.header("Retry-After", String(retryAfter))
      return c.json({
        error: {
          code: "RateLimited",
          message: `Too many requests: at most ${options.limit} per ${Math.round(options.windowMs / 1000)} s. Retry after ${retryAfter} s.`,
          // the request id (set by the request-id middleware) to quote when reporting
          requestId: String(c.get("requestId") ?? "")
        }
      }, 429)
    }
    b.tokens -= 1
    buckets.set(key, b)
    if (buckets.size > 10_000) {
      for (const [k, v] of buckets) if (t - v.at > options.windowMs) buckets.delete(k)
    }
    await next()
  }
}
