/**
 * The API's edge as one middleware: the request id, the request log (with trace id), the headers
 * every response carries and CORS for browsers.
 *
 * The headers every response carries (those of a header middleware such as `secureHeaders`, probed
 * once; `Vary: Origin`; `X-Request-ID`) are not set through `c.header()` before the handler: that
 * makes every response build a `Headers` object which the Node adapter then copies back into a
 * plain record, the largest cost of a cached read after the socket write. Instead a handler may
 * answer with {@link Edge.plain}, a response whose headers are one plain record already holding
 * them; any other response gets them after the handler, where the handler has not set them itself.
 *
 * @since 0.2.3
 */
import type { Context, MiddlewareHandler } from "hono"
import * as Crypto from "node:crypto"
import { type LogSink, redact, silentSink, traceIdOf } from "./logger.js"
import { probeHeaders } from "./presetHeaders.js"

/**
 * Options of {@link make}.
 *
 * @since 0.2.3
 */
export interface EdgeOptions {
  /** Where request logs go; with `silentSink` no record (and no trace id) is made. */
  readonly log: LogSink
  /** The middleware whose headers every response carries (probed once; its headers must not depend on the request). */
  readonly headers: MiddlewareHandler
  /** CORS, run only for requests that carry `Origin` (browsers); it may set headers through `c.header()`. */
  readonly cors: MiddlewareHandler
}

/**
 * The edge middleware and the plain response builder that goes with it.
 *
 * @since 0.2.3
 */
export interface Edge {
  readonly middleware: MiddlewareHandler
  /**
   * A response with `body`, `status` and `contentType` whose headers are one plain record that
   * already holds the edge's headers. Only valid when nothing before the handler set headers with
   * `c.header()`: the edge's own CORS step does for browser requests, and then this falls back to
   * `c.body()`. (The auth, id and scope middleware set headers only on the responses they answer with.)
   */
  readonly plain: (c: Context, body: string, status: 200 | 201 | 202, contentType: string) => Response
}

/** What the request id may be when a caller sends one (as Hono's request-id middleware checks it). */
const CALLER_ID = /[^\w\-=]/
const MAX_ID = 100

const fresh = new WeakSet<Response>()

/**
 * Builds the edge.
 *
 * @since 0.2.3
 */
export const make = (options: EdgeOptions): Edge => {
  let probe: Promise<ReadonlyArray<readonly [string, string]>> | undefined
  let fixed: ReadonlyArray<readonly [string, string]> | undefined
  let record: Readonly<Record<string, string>> = {}
  const logging = options.log !== silentSink

  const decorate = (c: Context, rid: string) => {
    const res = c.res
    if (fresh.has(res)) return
    const missing: Array<readonly [string, string]> = []
    const headers = res.headers
    for (const entry of fixed ?? []) if (!headers.has(entry[0])) missing.push(entry)
    if (!headers.has("vary")) missing.push(["vary", "Origin"])
    missing.push(["x-request-id", rid])
    try {
      for (const [name, value] of missing) headers.set(name, value)
    } catch {
      // an immutable response (Response.redirect): Hono copies it into a mutable one
      for (const [name, value] of missing) c.header(name, value)
    }
  }

  const middleware: MiddlewareHandler = async function edge(c, next) {
    if (fixed === undefined) {
      probe ??= probeHeaders(options.headers)
      fixed = await probe
      record = Object.fromEntries(fixed)
    }
    const sent = c.req.header("x-request-id")
    const rid = sent === undefined || sent === "" || sent.length > MAX_ID || CALLER_ID.test(sent) ? Crypto.randomUUID() : sent
    c.set("requestId", rid)
    const started = logging ? performance.now() : 0
    const traceId = logging ? traceIdOf(c.req.header("traceparent")) : ""
    if (logging) c.set("traceId", traceId)
    if (c.req.header("origin") !== undefined) {
      c.set("edgePrepared", true)
      await options.cors(c, next)
    } else {
      await next()
    }
    decorate(c, rid)
    if (!logging) return
    options.log(redact({
      level: c.res.status >= 500 ? "error" : "info",
      msg: "request",
      time: new Date().toISOString(),
      requestId: rid,
      traceId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      // the caller's token by id (set once it is authenticated), never its value
      ...(c.get("tokenId") ? { tokenId: c.get("tokenId") } : {}),
      ...(c.get("logError") ? { error: c.get("logError") } : {})
    }) as Record<string, unknown>)
  }

  const plain: Edge["plain"] = (c, body, status, contentType) => {
    if (c.get("edgePrepared") === true) return c.body(body, status, { "content-type": contentType })
    const res = new Response(body, {
      status,
      headers: { ...record, vary: "Origin", "x-request-id": String(c.get("requestId")), "content-type": contentType }
    })
    fresh.add(res)
    return res
  }

  return { middleware, plain }
}
