/**
 * Scope checks per route: the caller's token (set by the auth middleware as the `principal`
 * variable) must hold the route's scope, else `403 Forbidden` naming the scope. It runs before the
 * handler looks anything up, so a refusal never says whether an id exists.
 *
 * @since 0.2.0
 */
import type { Context, MiddlewareHandler } from "hono"
import type { Scope } from "../Tenants.js"

/**
 * What the middleware reads from the request.
 *
 * @since 0.2.0
 */
export interface RequireScopeOptions {
  /** The caller's scopes (`null`: no caller; the auth middleware answers that case first). */
  readonly scopesOf: (c: Context) => ReadonlyArray<Scope> | null
  /** Builds the refusal. */
  readonly refuse: (c: Context, scope: Scope, message: string) => Response
  /** Lets a request through without the scope (a token revoking itself). */
  readonly unless?: (c: Context) => boolean
}

/** What each scope is for, in refusals. */
const purpose: Readonly<Record<Scope, string>> = {
  read: "read repositories, runs, proposals, artifacts and usage",
  run: "start and cancel runs",
  approve: "approve, reject or request changes on proposals",
  publish: "create pull requests of approved proposals",
  admin: "connect repositories, change their settings and manage the organisation's tokens"
}

/**
 * Creates the middleware for one route.
 *
 * @example
 * ```ts
 * app.post("/api/proposals/:id/approve", requireScope("approve", options), handler)
 * ```
 *
 * @since 0.2.0
 */
export const requireScope = (scope: Scope, options: RequireScopeOptions): MiddlewareHandler => {
  const handler: MiddlewareHandler = async function requireScope(c, next) {
    const held = options.scopesOf(c) ?? []
    if (!held.includes(scope) && options.unless?.(c) !== true) {
      return options.refuse(
        c,
        scope,
        `This token lacks the "${scope}" scope, needed to ${purpose[scope]}; it has ${held.length === 0 ? "no scopes" : held.map((s) => `"${s}"`).join(", ")}. Use a token with "${scope}" (an administrator can create one: POST /api/tokens or ratchet token create).`
      )
    }
    await next()
  }
  checks.set(handler, scope)
  return handler
}

const checks = new WeakMap<object, Scope>()

/**
 * The scope a route's middleware checks, or `null` when it is no scope check: a test can check
 * that every route has one, and that the OpenAPI description names the same.
 *
 * @since 0.2.0
 */
export const scopeChecked = (handler: unknown): Scope | null => (typeof handler === "function" ? (checks.get(handler) ?? null) : null)

/**
 * Whether a route's middleware is a scope check.
 *
 * @since 0.2.0
 */
export const isScopeCheck = (handler: unknown): boolean => scopeChecked(handler) !== null
