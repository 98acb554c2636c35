/**
 * The web dashboard of the reference server, under `/dashboard`: server-rendered pages (Hono JSX,
 * no browser build, no CDN) to connect repositories and set their schedules and budgets, follow
 * runs live, judge proposals (side-by-side diff, benchmark chart, tests and policy evidence,
 * trace, ledger, audio summary), approve them and create their pull requests.
 *
 * It calls the same `Store` and `Runs` functions as the API. People sign in with an API token;
 * the browser then holds an `HttpOnly`, `SameSite=Strict` session cookie, every form carries a CSRF
 * token, and the Content-Security-Policy allows nothing but the server's own stylesheet, script
 * and media.
 *
 * @example
 * ```ts
 * import { Dashboard } from "@ratchet/server"
 *
 * const dashboard = Dashboard.make(runtime, { sessionTtlMs: 8 * 3600_000 })
 * const fetch = Dashboard.withDashboard(api.fetch, dashboard)   // "/" and "/dashboard/*" go to the dashboard
 * ```
 *
 * @since 0.2.0
 */
import type { Hono } from "hono"
import * as App from "./internal/dashboard/app.js"
import * as DashStore from "./internal/dashboard/store.js"

/**
 * Options of the dashboard: the API's repository and publishing options, the session lifetime,
 * the espeak-ng binary for audio summaries.
 *
 * @since 0.2.0
 */
export type DashboardOptions = App.DashboardOptions

/**
 * What the dashboard needs to run effects: `Store`, `Runs` and {@link DashboardStore}.
 *
 * @since 0.2.0
 */
export type DashboardRuntime = App.DashboardRuntime

/**
 * The Hono environment of the dashboard's app (the signed-in session and request ids).
 *
 * @since 0.2.0
 */
export type DashboardEnv = App.DashboardEnv

/**
 * The dashboard's own storage: browser sessions and the read queries of its pages.
 *
 * @since 0.2.0
 */
export const DashboardStore = DashStore.DashboardStore

/**
 * The {@link DashboardStore} service type.
 *
 * @since 0.2.0
 */
export type DashboardStore = DashStore.DashboardStore

/**
 * Builds the dashboard's Hono app; its routes live under `/dashboard`.
 *
 * @since 0.2.0
 */
export const make: (runtime: DashboardRuntime, options?: DashboardOptions) => Hono<App.DashboardEnv> = App.make

/**
 * The path of an absolute URL as `new URL(url).pathname` gives it, without parsing the URL: a
 * request's `url` is already normalised (the Node adapter resolves dot segments and encodes what
 * needs it), so the path is what lies between the authority and the query. Parsing a URL per
 * request was a measurable share of the API's read path.
 */
const pathOf = (url: string): string => {
  const scheme = url.indexOf("://")
  if (scheme === -1) return new URL(url).pathname
  const start = url.indexOf("/", scheme + 3)
  if (start === -1) return "/"
  let end = url.length
  for (let i = start; i < url.length; i++) {
    const ch = url.charCodeAt(i)
    if (ch === 63 /* ? */ || ch === 35 /* # */) {
      end = i
      break
    }
  }
  return url.slice(start, end)
}

/**
 * A fetch handler that sends `/`, `/dashboard` and `/dashboard/*` to the dashboard (`/` redirects
 * to it) and everything else to `other` (the API).
 *
 * @since 0.2.0
 */
export const withDashboard = (other: Hono["fetch"], dashboard: { readonly fetch: Hono["fetch"] }): Hono["fetch"] =>
  (request, env, executionCtx) => {
    const path = pathOf(request.url)
    if (path === "/") return Response.redirect(new URL("/dashboard/", request.url), 303)
    return path === "/dashboard" || path.startsWith("/dashboard/") ? dashboard.fetch(request, env, executionCtx) : other(request, env, executionCtx)
  }
