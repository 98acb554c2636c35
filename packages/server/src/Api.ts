/**
 * The REST API on Hono: repositories, runs (with Server-Sent Events),
 * proposals, artifacts, organisations, tokens, usage, health and the OpenAPI
 * description. Every route under `/api` needs a bearer token, and the token's
 * scope for that route; every query is scoped to the token's organisation.
 *
 * @since 0.1.0
 */
import type { WriteGate } from "@ratchet/connectors"
import type { RemoteHost } from "@ratchet/runner"
import { Cause, Clock, type Context, Effect, Exit } from "effect"
import { type Context as HonoContext, Hono } from "hono"
import { bodyLimit } from "hono/body-limit"
import { cors } from "hono/cors"
import { secureHeaders } from "hono/secure-headers"
import { join } from "node:path"
import { streamRunEvents } from "./internal/events.js"
import type { LiveOptions } from "./internal/github/connectors.js"
import { connectorRoutes, type RouteKit, taskRoutes, webhookRoute } from "./internal/github/routes.js"
import { modelsView } from "./internal/llm.js"
import { openApiDocument } from "./internal/openapi.js"
import { type PublishOptions, publishAndRecord } from "./internal/publish.js"
import * as Validate from "./internal/validate.js"
import * as Edge from "./middleware/edge.js"
import { type LogSink, stdoutSink } from "./middleware/logger.js"
import { rateLimit } from "./middleware/rateLimit.js"
import { requireScope } from "./middleware/requireScope.js"
import * as Usage from "./internal/usageView.js"
import { validId } from "./middleware/validId.js"
import { dayIn, Runs } from "./Runs.js"
import { ServerError } from "./ServerError.js"
import { OPERATOR_ORG, type Principal, type Repo, sha256, Store, type StoreService, type TokenInfo } from "./Store.js"
import type { Scope } from "./Tenants.js"

/**
 * Options of the HTTP layer.
 *
 * @since 0.1.0
 */
export interface ApiOptions {
  /** Origins allowed by CORS (`*` for any); none by default. */
  readonly corsOrigins?: ReadonlyArray<string>
  /** Run creations allowed per token per minute (default 30). */
  readonly runsPerMinute?: number
  /** Largest accepted request body in bytes (default 1 MiB). */
  readonly maxBodyBytes?: number
  /**
   * Directories under which repositories may be connected by local `path` (symlinks resolved).
   * Default none: only `url` repositories. The CLI is not affected.
   */
  readonly repoRoots?: ReadonlyArray<string>
  /**
   * Resolves repository URL hosts for the SSRF check at creation (default the system resolver;
   * tests inject one).
   */
  readonly resolve?: RemoteHost.Resolver
  /** Accept repository URLs on private/loopback hosts. */
  readonly allowPrivateUrls?: boolean
  /** Where JSON logs go (default stdout). */
  readonly log?: LogSink
  /** How often the SSE stream polls for new events, in ms (default 200). */
  readonly ssePollMs?: number
  /** Time source for rate limiting, in ms. */
  readonly now?: () => number
  /**
   * How long a verified token is remembered, in ms (default 1 s; 0 disables). A revocation or quota
   * change made through this process applies to the next request whatever this is; one made by
   * another process sharing the database (the CLI, another server) within this time. Tokens that
   * expire are checked against the clock on every request.
   */
  readonly tokenCacheMs?: number
  /** Where LLM keys are looked up for `GET /api/llm/models` (default `process.env`). */
  readonly llmEnv?: Readonly<Record<string, string | undefined>>
  /** Where "create PR" writes local patches, and the GitHub token (default `.ratchet/patches`, no token). */
  readonly publish?: PublishOptions
  /** Options of the live GitHub connectors (tests shorten their retry delays). @since 0.2.0 */
  readonly github?: LiveOptions
}

/**
 * The Hono environment of the API: the caller's principal and request ids.
 *
 * @since 0.2.0
 */
export type Env = { Variables: { principal: Principal; requestId: string; traceId: string; logError: string; tokenId: string; edgePrepared: boolean } }

/**
 * What the API needs to run effects: a `ManagedRuntime` or `{ runPromiseExit: Effect.runPromiseExitWith(context) }`.
 *
 * @since 0.1.0
 */
export interface AppRuntime {
  readonly runPromiseExit: <A, E>(effect: Effect.Effect<A, E, Store | Runs | WriteGate.WriteGate>) => Promise<Exit.Exit<A, E>>
  /**
   * Runs an effect and hands back its exit at once when it finishes without waiting (a read served
   * from a cache), else a promise of it: the read routes then answer without a promise and a
   * microtask turn per request. Optional; without it every effect goes through `runPromiseExit`.
   * {@link runtimeOf} builds both.
   *
   * @since 0.2.3
   */
  readonly runExit?: <A, E>(effect: Effect.Effect<A, E, Store | Runs | WriteGate.WriteGate>) => Exit.Exit<A, E> | Promise<Exit.Exit<A, E>>
}

/**
 * An {@link AppRuntime} (and dashboard runtime) on a built context: `runPromiseExit`, and `runExit`,
 * which starts the fiber and returns its exit directly when it has already finished.
 *
 * @example
 * ```ts
 * const context = yield* Layer.build(Server.layer({ dataDir: "memory://" }))
 * const app = Api.make(Api.runtimeOf(context))
 * ```
 *
 * @since 0.2.3
 */
export const runtimeOf = <R>(context: Context.Context<R>): {
  readonly runPromiseExit: <A, E>(effect: Effect.Effect<A, E, R>) => Promise<Exit.Exit<A, E>>
  readonly runExit: <A, E>(effect: Effect.Effect<A, E, R>) => Exit.Exit<A, E> | Promise<Exit.Exit<A, E>>
} => {
  const runFork = Effect.runForkWith(context)
  return {
    runPromiseExit: Effect.runPromiseExitWith(context),
    runExit: <A, E>(effect: Effect.Effect<A, E, R>) => {
      const fiber = runFork(effect)
      const done = fiber.pollUnsafe()
      return done !== undefined ? done : new Promise<Exit.Exit<A, E>>((resolve) => fiber.addObserver(resolve))
    }
  }
}

const errorBody = (code: string, message: string, requestId: string, field?: string, extra: Record<string, unknown> = {}) => ({
  error: { code, message, requestId, ...(field === undefined ? {} : { field }), ...extra }
})

/**
 * Builds the Hono app on a runtime that provides `Store` and `Runs`.
 *
 * @example
 * ```ts
 * const app = Api.make(runtime, { corsOrigins: ["https://dash.example.com"] })
 * const res = await app.request("/health")
 * ```
 *
 * @since 0.1.0
 */
export const make = (runtime: AppRuntime, options: ApiOptions = {}): Hono<Env> => {
  const app = new Hono<Env>()
  const log = options.log ?? stdoutSink
  const maxBody = options.maxBodyBytes ?? 1024 * 1024

  const runExit = runtime.runExit ?? runtime.runPromiseExit
  // an effect that finishes at once (a cached read) is answered without awaiting anything
  const respond = <A>(c: HonoContext<Env>, effect: Effect.Effect<A, ServerError, Store | Runs | WriteGate.WriteGate>, ok: (a: A) => Response | Promise<Response>): Response | Promise<Response> => {
    const exit = runExit(effect)
    return Exit.isExit(exit) ? answer(c, exit, ok) : exit.then((e) => answer(c, e, ok))
  }
  const answer = <A>(c: HonoContext<Env>, exit: Exit.Exit<A, ServerError>, ok: (a: A) => Response | Promise<Response>): Response | Promise<Response> =>
    Exit.isSuccess(exit) ? ok(exit.value) : failed(c, exit.cause)
  const failed = async (c: HonoContext<Env>, cause: Cause.Cause<ServerError>): Promise<Response> => {
    const failure = cause.reasons.find((r) => r._tag === "Fail")
    const rid = c.get("requestId")
    if (failure?._tag === "Fail" && failure.error instanceof ServerError) {
      const e = failure.error
      if (e.status >= 500) c.set("logError", e.message)
      if (e.reason._tag === "Busy") c.header("Retry-After", String(Math.ceil(e.reason.retryAfterSeconds)))
      if (e.reason._tag === "QuotaExceeded") {
        const q = e.reason
        const nowMs = await runtime.runPromiseExit(Clock.currentTimeMillis)
        if (q.resetsAt !== null && Exit.isSuccess(nowMs)) c.header("Retry-After", String(Math.max(1, Math.ceil((Date.parse(q.resetsAt) - nowMs.value) / 1000))))
        return c.json(errorBody(q._tag, e.message, rid, undefined, {
          quota: { name: q.quota, scope: q.scope, subject: q.subject, limit: q.limit, used: q.used, unit: q.unit, resetsAt: q.resetsAt }
        }), 429)
      }
      if (e.reason._tag === "Forbidden") return c.json(errorBody(e.reason._tag, e.message, rid, undefined, { scope: e.reason.scope }), 403)
      return c.json(errorBody(e.reason._tag, e.message, rid, e.reason._tag === "Invalid" ? e.reason.field : undefined), e.status as 400)
    }
    c.set("logError", Cause.pretty(cause))
    return c.json(errorBody("Internal", `Internal error; quote request id ${rid} when reporting it`, rid), 500)
  }

  const readJson = async (c: HonoContext<Env>): Promise<{ ok: true; value: unknown } | { ok: false; res: Response }> => {
    const text = await c.req.text()
    if (text.trim() === "") return { ok: true, value: undefined }
    const type = c.req.header("content-type") ?? ""
    if (!type.includes("application/json")) {
      return { ok: false, res: c.json(errorBody("Invalid", "Send the body as JSON with Content-Type: application/json", c.get("requestId"), "content-type"), 415 as 400) }
    }
    try {
      return { ok: true, value: JSON.parse(text) }
    } catch (e) {
      return { ok: false, res: c.json(errorBody("Invalid", `Malformed JSON: ${(e as Error).message}`, c.get("requestId"), "body"), 400) }
    }
  }

  const invalid = (c: HonoContext<Env>, error: ServerError) =>
    c.json(errorBody("Invalid", error.message, c.get("requestId"), error.reason._tag === "Invalid" ? error.reason.field : undefined), 400)

  // --- middleware, outermost first
  // The edge: request id, request log, the headers every response carries (secure headers, Vary,
  // X-Request-ID) and CORS, which concerns browsers (they always send Origin; other clients skip it).
  const edge = Edge.make({
    log,
    headers: secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      strictTransportSecurity: "max-age=31536000; includeSubDomains"
    }),
    cors: cors({
      origin: (origin) => {
        const allowed = options.corsOrigins ?? []
        return allowed.includes("*") ? origin : allowed.includes(origin) ? origin : null
      },
      allowHeaders: ["Authorization", "Content-Type", "Last-Event-ID", "X-Request-ID", "traceparent"],
      allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
      exposeHeaders: ["X-Request-ID", "Retry-After", "Location"],
      maxAge: 600
    })
  })
  app.use("*", edge.middleware)
  const limitBody = bodyLimit({
    maxSize: maxBody,
    onError: (c) => c.json(errorBody("PayloadTooLarge", `Request body is larger than ${maxBody} bytes`, c.get("requestId")), 413)
  })
  // GitHub sends webhook payloads of up to 25 MB (signed, so they cannot be trimmed)
  const limitWebhookBody = bodyLimit({
    maxSize: Math.max(maxBody, 25 * 1024 * 1024),
    onError: (c) => c.json(errorBody("PayloadTooLarge", "Webhook payload is larger than GitHub's 25 MB", c.get("requestId")), 413)
  })
  // only requests that carry a body are limited (looking for a body makes Node build a full Request)
  app.use("*", async function limitRequestBody(c, next) {
    if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "OPTIONS") return next()
    return c.req.path === "/api/webhooks/github" ? limitWebhookBody(c, next) : limitBody(c, next)
  })

  app.notFound((c) => c.json(errorBody("NotFound", `No route ${c.req.method} ${c.req.path}; see /openapi.json`, c.get("requestId")), 404))
  app.onError((err, c) => {
    c.set("logError", err.stack ?? String(err))
    return c.json(errorBody("Internal", `Internal error; quote request id ${c.get("requestId")} when reporting it`, c.get("requestId")), 500)
  })

  app.get("/health", (c) =>
    respond(c, Store.use((s) => s.authenticate("health-probe")), () => c.json({ status: "ok" })))
  app.get("/openapi.json", (c) => c.json(openApiDocument))

  const kit: RouteKit<Env> = {
    respond,
    readJson,
    invalid,
    allowPrivateUrls: options.allowPrivateUrls ?? false,
    ...(options.github === undefined ? {} : { github: options.github }),
    background: (effect) => void runtime.runPromiseExit(effect),
    scope: (needed) => scope(needed)
  }
  // GitHub's webhooks carry no bearer token: their signature authenticates them (checked first)
  webhookRoute(app, kit)

  // --- auth for everything under /api
  // Known tokens are remembered briefly (by hash, never in plain text) to spare a query per request;
  // a write to tokens or organisations through this process drops them all (the store's generation).
  const tokenCache = new Map<string, { readonly principal: Principal; readonly until: number; readonly generation: number }>()
  const tokenCacheMs = options.tokenCacheMs ?? 1_000
  // the store, looked up once: the token generation and the run-view cache are read without an effect
  let store: StoreService | undefined
  const storeOnce = async (): Promise<StoreService | undefined> => {
    if (store === undefined) {
      const exit = await runtime.runPromiseExit(Store.use((s) => Effect.succeed(s)))
      if (Exit.isSuccess(exit)) store = exit.value
    }
    return store
  }
  const unauthorized = (c: HonoContext<Env>, message: string, invalidToken: boolean) => {
    c.header("WWW-Authenticate", invalidToken ? "Bearer realm=\"ratchet\", error=\"invalid_token\"" : "Bearer realm=\"ratchet\"")
    return c.json(errorBody("Unauthorized", message, c.get("requestId")), 401)
  }
  app.use("/api/*", async function authenticate(c, next) {
    const header = c.req.header("authorization") ?? ""
    const m = header.match(/^Bearer\s+(\S{1,500})$/i)
    if (!m) return unauthorized(c, "Missing bearer token: send Authorization: Bearer <token> (the token printed on first start, RATCHET_TOKEN, or one made with ratchet token create / POST /api/tokens)", false)
    const key = sha256(m[1])
    const cached = tokenCache.get(key)
    const generation = (store ?? await storeOnce())?.tokensGeneration() ?? -1
    let principal: Principal
    if (cached !== undefined && cached.until > Date.now() && cached.generation === generation) {
      principal = cached.principal
    } else {
      const exit = await runtime.runPromiseExit(Store.use((s) => s.identify(m[1])))
      if (Exit.isFailure(exit)) return c.json(errorBody("StoreFailure", "Cannot check the token right now; retry", c.get("requestId")), 503)
      const found = exit.value
      if (found._tag === "Unknown") return unauthorized(c, "Unknown token: check that you copied it whole (tokens are shown once, when created)", true)
      if (found._tag === "Revoked") return unauthorized(c, `This token was revoked at ${found.at}; ask an administrator for a new one`, true)
      if (found._tag === "Expired") return unauthorized(c, `This token expired at ${found.at}; ask an administrator for a new one`, true)
      principal = found.principal
      // a token that expires is checked against the clock on every request (never served from the cache)
      if (principal.expiresAt === null && tokenCacheMs > 0) {
        if (tokenCache.size > 1000) tokenCache.clear()
        tokenCache.set(key, { principal, until: Date.now() + tokenCacheMs, generation })
      }
    }
    c.set("principal", principal)
    // the request log names the token by id, never by value
    c.set("tokenId", principal.tokenId)
    await next()
  })

  const scope = (needed: Scope, unless?: (c: HonoContext<Env>) => boolean) =>
    requireScope(needed, {
      scopesOf: (c) => (c as HonoContext<Env>).get("principal")?.scopes ?? null,
      refuse: (c, s, message) => c.json(errorBody("Forbidden", message, (c as HonoContext<Env>).get("requestId"), undefined, { scope: s }), 403),
      ...(unless === undefined ? {} : { unless: (c) => unless(c as HonoContext<Env>) })
    })
  const read = scope("read")

  // --- ids are validated at the edge: malformed ones never reach the store
  for (const [path, prefix, kind] of [
    ["/api/repos/:id", "repo_", "repository"],
    ["/api/runs/:id", "run_", "run"],
    ["/api/proposals/:id", "prop_", "proposal"],
    ["/api/artifacts/:id", "art_", "artifact"],
    ["/api/orgs/:id", "org_", "organisation"],
    ["/api/tokens/:id", "tok_", "token"]
  ] as const) {
    const check = validId({
      param: "id",
      prefix,
      kind,
      error: (c, code, message, status, field) => c.json(errorBody(code, message, (c as HonoContext<Env>).get("requestId"), field), status)
    })
    app.use(path, check)
    app.use(`${path}/*`, check)
  }

  const org = (c: HonoContext<Env>) => c.get("principal").orgId
  /** An administrator of the operator organisation: it manages every organisation, and it alone marks repositories trusted. */
  const operatorAdmin = (c: HonoContext<Env>): boolean => c.get("principal").operator && c.get("principal").scopes.includes("admin")
  /** The organisation a repository's settings and audit log are looked up in (`null`: any, for the operator's administrators). */
  const repoOrg = (c: HonoContext<Env>): string | null => (operatorAdmin(c) ? null : org(c))
  const repoView = (repo: Repo) => ({ ...repo, orgId: undefined })

  // --- repositories
  app.post("/api/repos", scope("admin"), async (c) => {
    const body = await readJson(c)
    if (!body.ok) return body.res
    const v = await Validate.admitRepo(body.value, { allowPrivateUrls: options.allowPrivateUrls ?? false, repoRoots: options.repoRoots ?? [], resolve: options.resolve })
    if (!v.ok) return invalid(c, v.error)
    const create = v.value
    return respond(c, Store.use((s) => s.createRepo(org(c), create)), (repo) => {
      c.header("Location", `/api/repos/${repo.id}`)
      return c.json(repoView(repo), 201)
    })
  })
  app.get("/api/repos", read, (c) => respond(c, Store.use((s) => s.listRepos(org(c))), (repos) => c.json({ items: repos.map(repoView) })))
  app.get("/api/repos/:id", read, (c) => respond(c, Store.use((s) => s.getRepo(org(c), c.req.param("id"))), (r) => c.json(repoView(r))))
  app.patch("/api/repos/:id/settings", scope("admin"), async (c) => {
    const body = await readJson(c)
    if (!body.ok) return body.res
    const v = Validate.settingsPatch(body.value)
    if (!v.ok) return invalid(c, v.error)
    // `trusted` only from the operator's administrators (the store refuses anyone else, changing nothing), audited
    const principal = c.get("principal")
    const by = { tokenId: principal.tokenId, tokenName: principal.tokenName, operator: operatorAdmin(c) }
    return respond(c, Store.use((s) => s.updateSettings(repoOrg(c), c.req.param("id"), v.value, by)), (r) => c.json(repoView(r)))
  })
  // the audit log of a repository's settings: who marked it trusted or untrusted, when, old → new
  app.get("/api/repos/:id/audit", read, (c) =>
    respond(c, Effect.gen(function* () {
      const s = yield* Store
      const repo = yield* s.getRepo(repoOrg(c), c.req.param("id"))
      return yield* s.auditOf(repo.orgId, repo.id)
    }), (items) => c.json({ items })))
  // --- LLM providers and models: which have keys, their models and prices, each repository's model
  app.get("/api/llm/models", read, (c) => respond(c, Store.use((s) => s.listRepos(org(c))), (repos) => c.json(modelsView(repos, options.llmEnv ?? process.env))))
  app.get("/api/repos/:id/budgets", read, (c) =>
    respond(c, Effect.gen(function* () {
      const s = yield* Store
      const repo = yield* s.getRepo(org(c), c.req.param("id"))
      const day = dayIn(Date.now(), repo.settings.timezone)
      const used = yield* s.usage(repo.id, day)
      return {
        day,
        timezone: repo.settings.timezone,
        limits: repo.settings.budgets,
        used: { computeMinutes: Math.round(used.computeMs / 600) / 100, runs: used.runs },
        remaining: { computeMinutes: Math.max(0, repo.settings.budgets.computeMinutesPerDay - used.computeMs / 60_000) },
        paused: repo.settings.paused,
        pausedReason: repo.settings.pausedReason
      }
    }), (b) => c.json(b)))

  // --- runs
  app.post("/api/repos/:id/runs", scope("run"), rateLimit({
    limit: options.runsPerMinute ?? 30,
    windowMs: 60_000,
    key: (c) => (c as HonoContext<Env>).get("principal").tokenId,
    ...(options.now ? { now: options.now } : {})
  }), (c) =>
    respond(c, Runs.use((r) => r.start(org(c), c.req.param("id"), "api", undefined, c.get("principal").tokenId)), (run) => {
      c.header("Location", `/api/runs/${run.id}`)
      return c.json({ id: run.id, status: run.status, repoId: run.repoId, createdAt: run.createdAt }, 202)
    }))
  app.get("/api/repos/:id/runs", read, (c) => {
    const limit = Math.min(200, Math.max(1, Number(c.req.query("limit") ?? 50) || 50))
    return respond(c, Effect.gen(function* () {
      const s = yield* Store
      const repo = yield* s.getRepo(org(c), c.req.param("id"))
      return yield* s.listRuns(repo.id, limit)
    }), (items) => c.json({ items }))
  })
  // the store hands out the same view object while it is fresh, so its JSON is encoded once
  const encodedViews = new WeakMap<object, string>()
  const encodeView = (view: object): string => {
    let text = encodedViews.get(view)
    if (text === undefined) {
      text = JSON.stringify(view)
      encodedViews.set(view, text)
    }
    return text
  }
  // a view fresh in the store's cache is answered without running an effect (the store's cache is
  // timed by the runtime's Clock, the system clock in a server; under any other clock this misses)
  app.get("/api/runs/:id", read, (c) => {
    const cached = store?.peekRunView(org(c), c.req.param("id"), Date.now())
    if (cached !== undefined) return edge.plain(c, encodeView(cached), 200, "application/json")
    return respond(c, Store.use((s) => s.getRunView(org(c), c.req.param("id"))), (r) => edge.plain(c, encodeView(r), 200, "application/json"))
  })
  app.post("/api/runs/:id/cancel", scope("run"), (c) =>
    respond(c, Runs.use((r) => r.cancel(org(c), c.req.param("id"))), (run) => c.json({ id: run.id, status: run.status, cancelRequested: true }, 202)))

  app.get("/api/runs/:id/events", read, async (c) => {
    const runId = c.req.param("id")
    const orgId = org(c)
    const first = await runtime.runPromiseExit(Store.use((s) => s.getRun(orgId, runId)))
    if (Exit.isFailure(first)) return respond(c, Store.use((s) => s.getRun(orgId, runId)), () => c.body(null))
    return streamRunEvents(c, runtime, runId, options.ssePollMs ?? 200)
  })

  // --- proposals
  app.get("/api/proposals/:id", read, (c) =>
    respond(c, Effect.gen(function* () {
      const s = yield* Store
      const proposal = yield* s.getProposal(org(c), c.req.param("id"))
      // after "create PR": the pull request and where its CI stands
      return { ...proposal, cost: Usage.proposalCost(proposal.data, yield* s.runConsumption(proposal.runId)), pullRequest: yield* s.getPullRequest(proposal.id) }
    }), (p) => c.json(p)))
  for (const [action, decision] of [["approve", "approved"], ["reject", "rejected"], ["request-changes", "changes-requested"]] as const) {
    app.post(`/api/proposals/:id/${action}`, scope("approve"), async (c) => {
      const body = await readJson(c)
      if (!body.ok) return body.res
      const v = Validate.decision(body.value, decision === "approved")
      if (!v.ok) return invalid(c, v.error)
      const principal = c.get("principal")
      return respond(c, Store.use((s) =>
        s.decide(principal.orgId, c.req.param("id"), {
          decision,
          by: { tokenId: principal.tokenId, tokenName: principal.tokenName },
          note: v.value.note,
          contentHash: v.value.contentHash
        })), (a) => c.json(a, 201))
    })
  }

  // "Create PR": only through the WriteGate, which refuses anything not approved at its current content
  const publishOptions: PublishOptions = options.publish ?? { patchesDir: join(process.cwd(), ".ratchet", "patches") }
  app.post("/api/proposals/:id/pr", scope("publish"), (c) => {
    const principal = c.get("principal")
    return respond(c, publishAndRecord(principal, c.req.param("id"), publishOptions), (p) => c.json(p, p.created ? 201 : 200))
  })

  // the proof ledger: every write the server's WriteGate allowed or refused for this proposal
  app.get("/api/proposals/:id/ledger", read, (c) =>
    respond(c, Effect.gen(function* () {
      const store = yield* Store
      const proposal = yield* store.getProposal(org(c), c.req.param("id"))
      return { proposalId: proposal.id, entries: yield* store.ledgerOf(proposal.id) }
    }), (ledger) => c.json(ledger)))

  // --- source connectors and provider keys (secrets sealed at rest), prompted tasks
  connectorRoutes(app, kit)
  taskRoutes(app, kit)

  // --- organisations (administrators of the operator organisation manage them all; others see their own)
  const operatorOnly = (c: HonoContext<Env>, what: string): Response | null =>
    c.get("principal").operator
      ? null
      : c.json(errorBody("Forbidden", `Only administrators of the operator organisation (${OPERATOR_ORG}, where the bootstrap token lives) can ${what}.`, c.get("requestId"), undefined, { scope: "admin" }), 403)
  const visibleOrg = (c: HonoContext<Env>): string | null => (c.get("principal").operator ? null : org(c))
  app.get("/api/orgs", scope("admin"), (c) => respond(c, Store.use((s) => s.listOrgs(visibleOrg(c))), (items) => c.json({ items })))
  app.post("/api/orgs", scope("admin"), async (c) => {
    const refused = operatorOnly(c, "create organisations")
    if (refused !== null) return refused
    const body = await readJson(c)
    if (!body.ok) return body.res
    const v = Validate.newOrg(body.value)
    if (!v.ok) return invalid(c, v.error)
    return respond(c, Store.use((s) => s.createOrg(v.value.name, v.value.quotas)), (o) => {
      c.header("Location", `/api/orgs/${o.id}`)
      return c.json(o, 201)
    })
  })
  app.get("/api/orgs/:id", scope("admin"), (c) => respond(c, Store.use((s) => s.getOrg(visibleOrg(c), c.req.param("id"))), (o) => c.json(o)))
  app.patch("/api/orgs/:id", scope("admin"), async (c) => {
    // another tenant's administrator learns nothing: its own id is the only one it may name
    if (!c.get("principal").operator && c.req.param("id") !== org(c)) return respond(c, Store.use((s) => s.getOrg(org(c), c.req.param("id"))), (o) => c.json(o))
    const refused = operatorOnly(c, "change an organisation's quotas (a tenant cannot raise its own)")
    if (refused !== null) return refused
    const body = await readJson(c)
    if (!body.ok) return body.res
    const v = Validate.quotasPatch(body.value)
    if (!v.ok) return invalid(c, v.error)
    return respond(c, Store.use((s) => s.updateOrgQuotas(c.req.param("id"), v.value)), (o) => c.json(o))
  })

  // --- tokens of the caller's organisation (the operator's administrators: of any organisation)
  const tokenView = (t: TokenInfo) => t
  app.get("/api/tokens", scope("admin"), (c) => {
    const wanted = c.req.query("orgId")
    const principal = c.get("principal")
    const orgId = wanted === undefined ? principal.orgId : wanted
    if (!principal.operator && orgId !== principal.orgId) return c.json({ items: [] })
    return respond(c, Store.use((s) => s.listTokens(orgId === "all" && principal.operator ? null : orgId)), (items) => c.json({ items: items.map(tokenView) }))
  })
  app.post("/api/tokens", scope("admin"), async (c) => {
    const body = await readJson(c)
    if (!body.ok) return body.res
    const principal = c.get("principal")
    const nowMs = await runtime.runPromiseExit(Clock.currentTimeMillis)
    const v = Validate.newToken(body.value, { scopes: principal.scopes, expiresAt: principal.expiresAt }, Exit.isSuccess(nowMs) ? nowMs.value : Date.now())
    if (!v.ok) return invalid(c, v.error)
    const input = v.value
    const orgId = input.orgId ?? principal.orgId
    return respond(c, Effect.gen(function* () {
      const s = yield* Store
      // naming another organisation: only the operator's administrators may; to anyone else it does not exist
      yield* s.getOrg(principal.operator ? null : principal.orgId, orgId)
      return yield* s.createToken(orgId, { name: input.name, scopes: input.scopes, expiresAt: input.expiresAt, quotas: input.quotas, createdBy: principal.tokenId })
    }), ({ token, plain }) => {
      c.header("Location", `/api/tokens/${token.id}`)
      c.header("Cache-Control", "no-store")
      return c.json({ ...tokenView(token), token: plain, note: "This is the only time the token is shown: it is stored hashed. Keep it in a secret store." }, 201)
    })
  })
  const tokenOrg = (c: HonoContext<Env>): string | null => (c.get("principal").operator ? null : org(c))
  app.get("/api/tokens/:id", scope("admin"), (c) => respond(c, Store.use((s) => s.getToken(tokenOrg(c), c.req.param("id"))), (t) => c.json(tokenView(t))))
  app.patch("/api/tokens/:id", scope("admin"), async (c) => {
    const body = await readJson(c)
    if (!body.ok) return body.res
    const v = Validate.quotasPatch(body.value)
    if (!v.ok) return invalid(c, v.error)
    return respond(c, Store.use((s) => s.updateTokenQuotas(tokenOrg(c), c.req.param("id"), v.value)), (t) => c.json(tokenView(t)))
  })
  // any token may revoke itself; revoking others needs admin
  app.delete("/api/tokens/:id", scope("admin", (c) => c.req.param("id") === c.get("principal").tokenId), (c) => {
    const self = c.req.param("id") === c.get("principal").tokenId
    return respond(c, Store.use((s) => s.revokeToken(self ? null : tokenOrg(c), c.req.param("id"))), (t) => {
      // this process forgets the token at once (the store's generation moved); say so for clients that cache
      tokenCache.clear()
      return c.json(tokenView(t))
    })
  })

  // --- usage and quotas of the caller's organisation and token
  app.get("/api/usage", read, (c) => respond(c, Usage.view(c.get("principal")), (u) => c.json(u)))

  // --- artifacts
  app.get("/api/artifacts/:id", read, (c) =>
    respond(c, Store.use((s) => s.getArtifact(org(c), c.req.param("id"))), ({ content, meta }) => {
      c.header("Content-Type", meta.mediaType)
      c.header("ETag", `"${meta.sha256}"`)
      c.header("Digest", `sha-256=${Buffer.from(meta.sha256, "hex").toString("base64")}`)
      c.header("Content-Disposition", `attachment; filename="${meta.name.replace(/[^A-Za-z0-9._-]/g, "_")}"`)
      return c.body(content as Uint8Array<ArrayBuffer>)
    }))

  return app
}
