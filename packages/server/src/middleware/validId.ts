/**
 * Ids are checked at the edge: a path id with characters no id has (NUL bytes, slashes, spaces),
 * or longer than any id, is a 400 before any query; one with another kind's prefix is a 404. The
 * store never sees a malformed id, so it can never turn one into a 5xx.
 */
import type { Context, MiddlewareHandler } from "hono"

/** What every id the server hands out is made of (prefix, base64url body, `_`, `:` and `.` joints). */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/

/** The longest id the server accepts. */
export const MAX_ID_LENGTH = 200

/** Options of {@link validId}. */
export interface ValidIdOptions {
  /** The route parameter holding the id. */
  readonly param: string
  /** The prefix every id of this kind starts with (`repo_`, `run_`, `prop_`, `art_`). */
  readonly prefix: string
  /** The kind's name in messages ("repository"). */
  readonly kind: string
  /** Builds the error response. */
  readonly error: (c: Context, code: "Invalid" | "NotFound", message: string, status: 400 | 404, field?: string) => Response
}

/**
 * Middleware refusing malformed ids in a route parameter.
 */
export const validId = (options: ValidIdOptions): MiddlewareHandler =>
  async function validIdMiddleware(c, next) {
    const id = c.req.param(options.param) ?? ""
    if (!ID_PATTERN.test(id)) {
      const what = id.length > MAX_ID_LENGTH ? `is longer than ${MAX_ID_LENGTH} characters` : "has characters no id has (ids are letters, digits and _ . : -)"
      return options.error(c, "Invalid", `Invalid ${options.kind} id: it ${what}; ${options.kind} ids look like ${options.prefix}…`, 400, options.param)
    }
    if (!id.startsWith(options.prefix)) {
      return options.error(c, "NotFound", `No ${options.kind} with id ${JSON.stringify(id)}: ${options.kind} ids start with ${options.prefix}`, 404)
    }
    await next()
  }
