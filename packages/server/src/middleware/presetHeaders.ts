/**
 * Static response headers set before the handler runs.
 *
 * Hono's header middleware (e.g. `secureHeaders`) rewrites the finished response's headers after
 * `next()`, which on Node turns every response into a full `Headers` object and was the largest
 * per-request cost of the API. This wrapper asks such a middleware once, on a probe request, which
 * headers it adds, then sets exactly those through `c.header()` before the handler: Hono merges them
 * into the response as it is built. The wrapped middleware stays the single source of the values.
 *
 * Only for middleware whose headers do not depend on the request (like `secureHeaders` without
 * nonce callbacks).
 *
 * @since 0.1.0
 */
import { Hono, type MiddlewareHandler } from "hono"

const headersOf = async (middleware: MiddlewareHandler | null): Promise<Map<string, string>> => {
  const app = new Hono()
  if (middleware !== null) app.use("*", middleware)
  app.get("*", (c) => c.body(null, 204))
  const response = await app.request("/")
  return new Map(response.headers)
}

/**
 * The headers `middleware` adds to a response (names in lower case), asked once on a probe request.
 *
 * @since 0.2.3
 */
export const probeHeaders = (middleware: MiddlewareHandler): Promise<ReadonlyArray<readonly [string, string]>> =>
  Promise.all([headersOf(null), headersOf(middleware)]).then(([plain, withMiddleware]) =>
    [...withMiddleware].filter(([name, value]) => plain.get(name) !== value)
  )

/**
 * Applies the headers `middleware` adds to every response, set up front.
 *
 * @since 0.1.0
 */
export const presetHeaders = (middleware: MiddlewareHandler): MiddlewareHandler => {
  let probe: Promise<ReadonlyArray<readonly [string, string]>> | undefined
  let headers: ReadonlyArray<readonly [string, string]> | undefined
  return async function presetHeaders(c, next) {
    if (headers === undefined) {
      probe ??= probeHeaders(middleware)
      headers = await probe
    }
    for (const [name, value] of headers) c.header(name, value)
    await next()
  }
}
