/** @jsxImportSource hono/jsx */
/**
 * The dashboard's routes: server-rendered pages on the same `Store` and `Runs` functions the API
 * calls (not HTTP to itself), behind a session cookie opened with an API token, with a CSRF
 * token on every form and a strict Content-Security-Policy.
 *
 * @internal
 */
import type { WriteGate } from "@ratchet/connectors"
import type { RemoteHost } from "@ratchet/runner"
import { Cron, Effect, Exit, Result } from "effect"
import { type Context, Hono } from "hono"
import { getConnInfo } from "@hono/node-server/conninfo"
import { csrf } from "hono/csrf"
import { HTTPException } from "hono/http-exception"
import type { Child } from "hono/jsx"
import { requestId } from "hono/request-id"
import { secureHeaders } from "hono/secure-headers"
import * as Crypto from "node:crypto"
import { join } from "node:path"
import { streamRunEvents } from "../events.js"
import { type PublishOptions, publishAndRecord } from "../publish.js"
import * as Validate from "../validate.js"
import { jsonLogger, type LogSink, redact, stdoutSink } from "../../middleware/logger.js"
import { presetHeaders } from "../../middleware/presetHeaders.js"
import { type RateLimitOptions, rateLimit } from "../../middleware/rateLimit.js"
import { dayIn, Runs } from "../../Runs.js"
import { internal, type ServerError } from "../../ServerError.js"
import { type Principal, type Repo, Store } from "../../Store.js"
import type { Scope } from "../../Tenants.js"
import { proposalCost, view as usageView } from "../usageView.js"
import { getAssets } from "./assets.js"
import * as Audio from "./audio.js"
import { ErrorPage, LoginPage, OverviewPage, RefusedPage } from "./pages/home.js"
import { type AudioState, InboxPage, type LedgerEntry, ProposalPage, type ProposalPageData, type Publication, readProposal } from "./pages/proposals.js"
import { type FieldErrors, llmBudgetFields, NewRepoPage, RepoPage, type RepoPageData, ReposPage, type RepoSummary } from "./pages/repos.js"
import { type AttemptView, RunLive, type RunLiveData, RunPage, RunsPage, type StepView } from "./pages/runs.js"
import { UsagePage } from "./pages/usage.js"
import * as Session from "./session.js"
import { DashboardStore, type Session as SessionRecord } from "./store.js"
import { BASE, Flash, href, Layout, type Section, type Viewer } from "./ui.js"

/**
 * Options of the dashboard.
 */
export interface DashboardOptions {
  /** Accept repository URLs on private/loopback hosts (as the API). */
  readonly allowPrivateUrls?: boolean
  /** Directories under which local repositories may be connected (as the API; default none). */
  readonly repoRoots?: ReadonlyArray<string>
  /** Resolves repository URL hosts for the SSRF check (as the API; default the system resolver). */
  readonly resolve?: RemoteHost.Resolver
  /** Where "create PR" writes local patches, and the GitHub token (as the API). */
  readonly publish?: PublishOptions
  /** How long a session lasts, in ms (default 12 h). */
  readonly sessionTtlMs?: number
  /** How often the run event stream polls, in ms (default 200). */
  readonly ssePollMs?: number
  /** Run starts allowed per token per minute (default 30, like the API). */
  readonly runsPerMinute?: number
  /** Sign-in attempts allowed per client address per minute (default 10). */
  readonly signInsPerMinute?: number
  /** The espeak-ng binary for audio summaries (default `RATCHET_ESPEAK`, else `espeak-ng`). */
  readonly espeak?: string
  /** Where JSON request logs go (default stdout). */
  readonly log?: LogSink
}

/**
 * What the dashboard needs to run effects.
 */
export interface DashboardRuntime {
  readonly runPromiseExit: <A, E>(effect: Effect.Effect<A, E, Store | Runs | DashboardStore | WriteGate.WriteGate>) => Promise<Exit.Exit<A, E>>
}

/** The Hono environment of the dashboard's app. */
export type DashboardEnv = {
  Variables: {
    session: SessionRecord
    sessionCookie: string
    requestId: string
    traceId: string
    logError: string
  }
}

type Env = DashboardEnv
type R = Store | Runs | DashboardStore | WriteGate.WriteGate
type Outcome<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: ServerError }

const notices: Record<string, readonly ["ok" | "info", string]> = {
  added: ["ok", "Repository added. Check its settings, then start a run."],
  saved: ["ok", "Settings saved."],
  paused: ["ok", "Paused: no run starts until you resume."],
  resumed: ["ok", "Resumed."],
  started: ["ok", "Run started. The timeline below follows it live."],
  cancelled: ["ok", "Cancellation requested: the run stops at the next stage boundary."],
  approved: ["ok", "Approved. You can create its pull request now."],
  rejected: ["ok", "Rejected."],
  "changes-requested": ["ok", "Changes requested; your note is recorded with the decision."],
  published: ["ok", "Published through the write gate."],
  audio: ["ok", "Audio summary ready."]
}

const Notice = ({ code }: { readonly code: string | undefined }) => {
  const n = code === undefined ? undefined : notices[code]
  return n === undefined ? null : <Flash kind={n[0]}>{n[1]}</Flash>
}

const text = (s: string): string => {
  const r = redact(s)
  return typeof r === "string" ? r : s
}

const nextRunOf = (repo: Repo, now: number): string | null => {
  if (repo.settings.schedule === null || repo.settings.paused) return null
  const cron = Cron.parse(repo.settings.schedule, repo.settings.timezone)
  return Result.isFailure(cron) ? null : Cron.next(cron.success, new Date(now)).toISOString()
}

const timezones = (): ReadonlyArray<string> => {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : []
  return zones.includes("UTC") ? zones : ["UTC", ...zones]
}

const formString = (v: unknown): string => (typeof v === "string" ? v : "")

/** The client's address (the socket's; unknown outside Node's server, as in `app.request`). */
const clientAddress = (c: Context): string => {
  try {
    return getConnInfo(c).remote.address ?? "unknown"
  } catch {
    return "unknown"
  }
}

/** A token bucket (the API's `rateLimit`) asked directly: `null` when allowed, else the seconds to wait. */
const bucket = (options: RateLimitOptions) => {
  const limiter = rateLimit(options)
  return async (c: Context): Promise<string | null> => {
    let allowed = false
    const refused = await limiter(c, async () => {
      allowed = true
    })
    return allowed ? null : refused instanceof Response ? (refused.headers.get("Retry-After") ?? "60") : "60"
  }
}

/** Maps a validation error's field to the form field that shows it. */
/** The settings form's fields besides the LLM budgets. */
const SETTINGS_FIELDS = ["schedule", "timezone", "provider", "model", "computeMinutesPerDay", "candidatesPerRun", "proposalsPerRun", "maxSetupFailures", "maxFiles", "maxLines", "trusted"]
/** The LLM agent's budgets (`budgets.*` of the settings API), as the form shows them; an empty field is no limit. */
const LLM_BUDGETS = llmBudgetFields.map(([name]) => name)

const formField = (field: string): string => {
  if (field.startsWith("budgets.")) return field.slice("budgets.".length)
  if (field.startsWith("policy.")) return field.slice("policy.".length)
  if (field === "url" || field === "path") return "location"
  return field
}

/**
 * Builds the dashboard app (its routes live under `/dashboard`).
 */
export const make = (runtime: DashboardRuntime, options: DashboardOptions = {}): Hono<Env> => {
  const app = new Hono<Env>()
  const ttlMs = options.sessionTtlMs ?? 12 * 3600_000
  const publishOptions: PublishOptions = options.publish ?? { patchesDir: join(process.cwd(), ".ratchet", "patches") }
  const espeak = options.espeak ?? Audio.binary()
  let espeakCheck: { readonly at: number; readonly value: Audio.Availability } | undefined

  const exec = async <A,>(effect: Effect.Effect<A, ServerError, R>): Promise<Outcome<A>> => {
    const exit = await runtime.runPromiseExit(effect)
    if (Exit.isSuccess(exit)) return { ok: true, value: exit.value }
    const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
    if (failure?._tag === "Fail") return { ok: false, error: failure.error }
    throw new Error(`dashboard request failed: ${String(exit.cause)}`)
  }

  const viewer = async (c: Context<Env>): Promise<Viewer> => {
    const session = c.get("session")
    const pending = await exec(DashboardStore.use((d) => d.pendingCount(session.principal.orgId)))
    return { tokenName: session.principal.tokenName, scopes: session.principal.scopes, csrf: session.csrf, pending: pending.ok ? pending.value : 0 }
  }

  const page = async (c: Context<Env>, title: string, section: Section | undefined, body: Child, status = 200) =>
    c.html(<Layout title={title} viewer={await viewer(c)} section={section}>{body}</Layout>, status as 200)

  const failPage = (c: Context<Env>, error: ServerError) =>
    page(c, error.status === 404 ? "Not found" : "Error", undefined,
      <ErrorPage title={error.status === 404 ? "Not found" : "That did not work"} detail={text(error.message)} />, error.status)

  const principal = (c: Context<Env>): Principal => c.get("session").principal
  const org = (c: Context<Env>): string => principal(c).orgId
  const scopes = (c: Context<Env>): ReadonlyArray<Scope> => principal(c).scopes
  /** An administrator of the operator organisation: it alone marks repositories trusted, in any organisation. */
  const operatorAdmin = (c: Context<Env>): boolean => principal(c).operator && scopes(c).includes("admin")
  /** Where a repository's page and settings are looked up (`null`: any organisation, for the operator's administrators). */
  const repoOrg = (c: Context<Env>): string | null => (operatorAdmin(c) ? null : org(c))

  /** A refusal page when the session's token lacks `scope` (checked before anything is looked up), else null. */
  const lacking = (c: Context<Env>, scope: Scope, what: string): Promise<Response> | null =>
    scopes(c).includes(scope)
      ? null
      : page(c, "Not allowed", undefined, <RefusedPage title="Not allowed with this token" detail={`Your token (${principal(c).tokenName}) cannot ${what}: that needs the "${scope}" scope, and it has ${scopes(c).join(", ") || "none"}. Sign in with a token that has it.`} />, 403)

  // --- middleware, outermost first
  app.use("*", requestId({ headerName: "X-Request-ID", limitLength: 100, generator: () => Crypto.randomUUID() }))
  app.use("*", jsonLogger(options.log ?? stdoutSink))
  app.use("*", presetHeaders(secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      mediaSrc: ["'self'"],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"]
    },
    strictTransportSecurity: "max-age=31536000; includeSubDomains",
    referrerPolicy: "same-origin",
    crossOriginEmbedderPolicy: false
  })))

  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status === 403) {
      return c.html(<Layout title="Refused" viewer={null}><RefusedPage title="Request refused" detail="This form was not sent from this dashboard (its origin did not match). Reload the page and try again." /></Layout>, 403)
    }
    c.set("logError", err.stack ?? String(err))
    return c.html(<Layout title="Error" viewer={null}><RefusedPage title="Something went wrong" detail={`Internal error; quote request id ${c.get("requestId")} when reporting it.`} /></Layout>, 500)
  })

  // --- static assets (content-hashed names, no session needed)
  app.get(`${BASE}/assets/:file`, (c) => {
    const { css, js } = getAssets()
    const asset = [css, js].find((a) => a.path === `assets/${c.req.param("file")}`)
    if (asset === undefined) return c.text("Not found", 404)
    return c.body(asset.body, 200, { "Content-Type": asset.type, "Cache-Control": "public, max-age=31536000, immutable" })
  })

  // pages carry private data: never cached
  app.use(`${BASE}/*`, async function noStore(c, next) {
    await next()
    if (!c.req.path.startsWith(`${BASE}/assets/`)) c.header("Cache-Control", "no-store")
  })
  app.get(BASE, (c) => c.redirect(`${BASE}/`, 303))

  // cross-origin form posts are refused outright (Origin / Sec-Fetch-Site), before any token check
  app.use(`${BASE}/*`, csrf())

  // --- sign in / out
  app.get(`${BASE}/login`, async (c) => {
    const existing = Session.readSessionCookie(c)
    if (existing !== null) {
      const s = await exec(DashboardStore.use((d) => d.session(existing)))
      if (s.ok && s.value !== null) return c.redirect(Session.safeNext(c.req.query("next")), 303)
    }
    const reason = c.req.query("reason")
    return c.html(
      <Layout title="Sign in" viewer={null}>
        <LoginPage csrf={Session.loginToken(c)} next={Session.safeNext(c.req.query("next"))} error={reason === "expired" ? "Your session has ended (expired, signed out, or its token was revoked). Sign in again." : undefined} />
      </Layout>
    )
  })
  // sign-in attempts are limited per client address (tokens are long and random; this keeps logs quiet)
  const signInLimit = bucket({ limit: options.signInsPerMinute ?? 10, windowMs: 60_000, key: clientAddress })
  app.post(`${BASE}/login`, async (c) => {
    const body = await c.req.parseBody()
    const next = Session.safeNext(body.next)
    const wait = await signInLimit(c)
    if (wait !== null) {
      return c.html(<Layout title="Sign in" viewer={null}><LoginPage csrf={Session.loginToken(c)} next={next} error={`Too many sign-in attempts from this address; wait ${wait} s and try again.`} /></Layout>, 429)
    }
    if (!Session.loginTokenValid(c, body._csrf)) {
      return c.html(<Layout title="Sign in" viewer={null}><LoginPage csrf={Session.loginToken(c)} next={next} error="The sign-in form expired; it has been refreshed. Enter the token again." /></Layout>, 403)
    }
    const token = formString(body.token).trim()
    const found = token.length === 0 || token.length > 500 ? { ok: true as const, value: { _tag: "Unknown" as const } } : await exec(Store.use((s) => s.identify(token)))
    if (!found.ok) return c.html(<Layout title="Sign in" viewer={null}><LoginPage csrf={Session.loginToken(c)} next={next} error="Cannot check the token right now; retry." /></Layout>, 503)
    const refusal = (error: string, status: 401 | 403) => c.html(<Layout title="Sign in" viewer={null}><LoginPage csrf={Session.loginToken(c)} next={next} error={error} /></Layout>, status)
    if (found.value._tag === "Unknown") return refusal("Unknown or revoked token. Use the token printed on the server's first start, RATCHET_TOKEN, or one an administrator created for you.", 401)
    if (found.value._tag === "Revoked") return refusal(`This token was revoked at ${found.value.at}; ask an administrator for a new one.`, 401)
    if (found.value._tag === "Expired") return refusal(`This token expired at ${found.value.at}; ask an administrator for a new one.`, 401)
    const principalFound = found.value.principal
    if (!principalFound.scopes.includes("read")) {
      return refusal(`This token (${principalFound.tokenName}) has no "read" scope (it has ${principalFound.scopes.join(", ")}), so it cannot use the dashboard; it still works with the API.`, 403)
    }
    const opened = await exec(DashboardStore.use((d) => d.openSession(principalFound, ttlMs)))
    if (!opened.ok) return c.html(<Layout title="Sign in" viewer={null}><LoginPage csrf={Session.loginToken(c)} next={next} error="Cannot open a session right now; retry." /></Layout>, 503)
    Session.writeSessionCookie(c, opened.value.cookie, ttlMs)
    return c.redirect(next, 303)
  })

  // --- everything else needs a live session
  app.use(`${BASE}/*`, async function requireSession(c, next) {
    const cookie = Session.readSessionCookie(c)
    const found = cookie === null ? null : await exec(DashboardStore.use((d) => d.session(cookie)))
    if (found !== null && !found.ok) return c.text("Cannot check the session right now; retry.", 503)
    if (cookie === null || found === null || found.value === null) {
      if (cookie !== null) Session.clearSessionCookie(c)
      const wanted = c.req.method === "GET" ? c.req.path + (new URL(c.req.url).search || "") : `${BASE}/`
      if (c.req.method === "GET" && c.req.header("accept")?.includes("text/html") !== false && !c.req.path.endsWith("/events") && !c.req.path.endsWith("/live")) {
        return c.redirect(href("/login", { next: wanted, reason: cookie === null ? undefined : "expired" }), 303)
      }
      return c.html(<Layout title="Signed out" viewer={null}><RefusedPage title="Not signed in" detail="Your session is missing, expired or was signed out, so this request was refused. Sign in again." /></Layout>, 401)
    }
    c.set("session", found.value)
    c.set("sessionCookie", cookie)
    await next()
  })

  // every form of a session carries its CSRF token
  app.use(`${BASE}/*`, async function requireCsrfToken(c, next) {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next()
    const type = c.req.header("content-type") ?? ""
    const body = type.includes("application/x-www-form-urlencoded") || type.includes("multipart/form-data") ? await c.req.parseBody() : {}
    const submitted = body._csrf ?? c.req.header("x-csrf-token")
    if (!Session.tokensMatch(submitted, c.get("session").csrf)) {
      return c.html(<Layout title="Refused" viewer={null}><RefusedPage title="Request refused" detail="This form did not carry this session's security token (CSRF), so nothing was changed. Go back, reload the page and try again." /></Layout>, 403)
    }
    await next()
  })

  app.post(`${BASE}/logout`, async (c) => {
    const cookie = c.get("sessionCookie")
    await exec(DashboardStore.use((d) => d.closeSession(cookie)))
    Session.clearSessionCookie(c)
    return c.redirect(href("/login"), 303)
  })

  // --- repository summaries (list, overview, repository page)
  const summarize = (orgId: string, repos: ReadonlyArray<Repo>, now: number): Effect.Effect<ReadonlyArray<RepoSummary>, ServerError, R> =>
    Effect.gen(function* () {
      const store = yield* Store
      const dash = yield* DashboardStore
      const last = yield* dash.lastRuns(orgId)
      const pending = yield* dash.proposals(orgId, { status: "pending", limit: 1000 })
      return yield* Effect.forEach(repos, (repo) =>
        Effect.map(store.usage(repo.id, dayIn(now, repo.settings.timezone)), (used): RepoSummary => ({
          repo,
          lastRun: last.get(repo.id) ?? null,
          nextRun: nextRunOf(repo, now),
          usedMinutes: used.computeMs / 60_000,
          runsToday: used.runs,
          pending: pending.filter((p) => p.repoId === repo.id).length
        })))
    })

  // --- overview
  app.get(`${BASE}/`, async (c) => {
    const now = Date.now()
    const orgId = org(c)
    const data = await exec(Effect.gen(function* () {
      const store = yield* Store
      const dash = yield* DashboardStore
      const repos = yield* summarize(orgId, yield* store.listRepos(orgId), now)
      const pending = yield* dash.proposals(orgId, { status: "pending", limit: 50 })
      const approved = yield* dash.proposals(orgId, { status: "approved", limit: 50 })
      const runs = yield* dash.runs(orgId, { limit: 20 })
      return { repos, pending, approved, runs }
    }))
    if (!data.ok) return failPage(c, data.error)
    return page(c, "Overview", "overview", <OverviewPage {...data.value} now={now} />)
  })

  // --- repositories
  app.get(`${BASE}/repos`, async (c) => {
    const now = Date.now()
    const orgId = org(c)
    const data = await exec(Effect.flatMap(Store.use((s) => s.listRepos(orgId)), (repos) => summarize(orgId, repos, now)))
    if (!data.ok) return failPage(c, data.error)
    return page(c, "Repositories", "repos", <ReposPage items={data.value} now={now} />)
  })
  app.get(`${BASE}/repos/new`, (c) => lacking(c, "admin", "connect repositories") ?? page(c, "Add a repository", "repos", <NewRepoPage csrf={c.get("session").csrf} values={{}} errors={{}} />))
  app.post(`${BASE}/repos`, async (c) => {
    const refused = lacking(c, "admin", "connect repositories")
    if (refused !== null) return refused
    const form = await c.req.parseBody()
    const values = { name: formString(form.name).trim(), location: formString(form.location).trim(), defaultBranch: formString(form.defaultBranch).trim() }
    const again = (errors: FieldErrors, error?: string, status = 400) =>
      page(c, "Add a repository", "repos", <NewRepoPage csrf={c.get("session").csrf} values={values} errors={errors} error={error} />, status)
    if (values.location === "") return again({ location: "required: an https:// git URL or an absolute path on this server" })
    const isPath = values.location.startsWith("/") || /^[A-Za-z]:[\\/]/.test(values.location)
    const body = {
      name: values.name,
      ...(isPath ? { path: values.location } : { url: values.location }),
      ...(values.defaultBranch === "" ? {} : { defaultBranch: values.defaultBranch })
    }
    // the API's own admission (shape, SSRF by resolved address, local-path allow-list), with the API's options
    const v = await Validate.admitRepo(body, { allowPrivateUrls: options.allowPrivateUrls ?? false, repoRoots: options.repoRoots ?? [], resolve: options.resolve })
    if (!v.ok) {
      const field = v.error.reason._tag === "Invalid" ? v.error.reason.field : "name"
      return again({ [formField(field)]: v.error.reason._tag === "Invalid" ? v.error.reason.detail : v.error.message })
    }
    const orgId = org(c)
    const created = await exec(Store.use((s) => s.createRepo(orgId, v.value)))
    if (!created.ok) return created.error.status === 409 ? again({ name: created.error.message }, undefined, 409) : again({}, text(created.error.message), created.error.status)
    return c.redirect(href(`/repos/${created.value.id}`, { notice: "added" }), 303)
  })

  const repoPage = async (c: Context<Env>, extra: { readonly values?: Readonly<Record<string, string>>; readonly errors?: FieldErrors; readonly status?: number; readonly error?: string } = {}) => {
    const now = Date.now()
    const id = c.req.param("id") ?? ""
    const data = await exec(Effect.gen(function* () {
      // the operator's administrators open any organisation's repository by id (to mark it trusted)
      const repo = yield* Store.use((s) => s.getRepo(repoOrg(c), id))
      const orgId = repo.orgId
      const [summary] = yield* summarize(orgId, [repo], now)
      const runs = yield* DashboardStore.use((d) => d.runs(orgId, { repoId: repo.id, limit: 25 }))
      const audit = yield* Store.use((s) => s.auditOf(orgId, repo.id))
      const tasks = (yield* Store.use((s) => s.listTasks(orgId, repo.id))).slice(0, 25)
      return { summary, runs, tasks, lastTrustChange: audit.findLast((e) => e.action === "repository.trusted") ?? null }
    }))
    if (!data.ok) return failPage(c, data.error)
    const ownOrg = data.value.summary.repo.orgId === org(c)
    // another organisation's repository (seen by the operator's administrators): its settings, not its runs' actions
    const p: RepoPageData = { ...data.value, operator: operatorAdmin(c), scopes: ownOrg ? scopes(c) : scopes(c).filter((s) => s === "read" || s === "admin"), csrf: c.get("session").csrf, now, timezones: timezones(), values: extra.values, errors: extra.errors }
    const notice = extra.error !== undefined ? <Flash kind="error">{extra.error}</Flash> : <Notice code={c.req.query("notice")} />
    return page(c, data.value.summary.repo.name, "repos", <RepoPage p={p} notice={notice} />, extra.status ?? 200)
  }
  app.get(`${BASE}/repos/:id`, (c) => repoPage(c))

  app.post(`${BASE}/repos/:id/settings`, async (c) => {
    const refused = lacking(c, "admin", "change a repository's settings")
    if (refused !== null) return refused
    const form = await c.req.parseBody()
    const values = Object.fromEntries([...SETTINGS_FIELDS, ...LLM_BUDGETS].map((k) => [k, formString(form[k]).trim()]))
    const num = (k: string): unknown => (values[k] === "" ? undefined : /^-?\d+$/.test(values[k]) ? Number(values[k]) : values[k])
    // an LLM budget left empty is no limit; a decimal is allowed (US$)
    const limit = (k: string): unknown => (values[k] === "" ? null : /^\d+(\.\d+)?$/.test(values[k]) ? Number(values[k]) : values[k])
    const orNull = (k: string): string | null => (values[k] === "" ? null : values[k])
    const body = {
      schedule: orNull("schedule"),
      ...(values.timezone === "" ? {} : { timezone: values.timezone }),
      provider: orNull("provider"),
      model: orNull("model"),
      budgets: {
        ...Object.fromEntries(["computeMinutesPerDay", "candidatesPerRun", "proposalsPerRun"].map((k) => [k, num(k)]).filter(([, v]) => v !== undefined)),
        ...Object.fromEntries(LLM_BUDGETS.map((k) => [k, limit(k)]))
      },
      // an empty limit clears it (the repository's config or the defaults apply)
      policy: { maxFiles: num("maxFiles") ?? null, maxLines: num("maxLines") ?? null },
      ...(num("maxSetupFailures") === undefined ? {} : { maxSetupFailures: num("maxSetupFailures") }),
      // the form has the field only for the operator's administrators; the store refuses anyone else
      ...(values.trusted === "" ? {} : { trusted: values.trusted === "yes" ? true : values.trusted === "no" ? false : values.trusted })
    }
    const v = Validate.settingsPatch(body)
    if (!v.ok) {
      const field = v.error.reason._tag === "Invalid" ? formField(v.error.reason.field) : "schedule"
      return repoPage(c, { values, errors: { [field]: v.error.reason._tag === "Invalid" ? v.error.reason.detail : v.error.message }, status: 400 })
    }
    const id = c.req.param("id")
    const by = { tokenId: principal(c).tokenId, tokenName: principal(c).tokenName, operator: operatorAdmin(c) }
    const saved = await exec(Store.use((s) => s.updateSettings(repoOrg(c), id, v.value, by)))
    if (!saved.ok) return saved.error.status === 404 ? failPage(c, saved.error) : repoPage(c, { values, error: text(saved.error.message), status: saved.error.status })
    return c.redirect(href(`/repos/${id}`, { notice: "saved" }), 303)
  })

  for (const [action, paused] of [["pause", true], ["resume", false]] as const) {
    app.post(`${BASE}/repos/:id/${action}`, async (c) => {
      const refused = lacking(c, "admin", `${action} a repository`)
      if (refused !== null) return refused
      const id = c.req.param("id")
      const saved = await exec(Store.use((s) => s.updateSettings(repoOrg(c), id, { paused })))
      if (!saved.ok) return failPage(c, saved.error)
      return c.redirect(href(`/repos/${id}`, { notice: paused ? "paused" : "resumed" }), 303)
    })
  }

  // run starts are limited per token like the API's (the same rate, counted by the dashboard)
  const runStartLimit = bucket({ limit: options.runsPerMinute ?? 30, windowMs: 60_000, key: (c) => (c as Context<Env>).get("session").principal.tokenId })
  app.post(`${BASE}/repos/:id/runs`, async (c) => {
    const refused = lacking(c, "run", "start runs")
    if (refused !== null) return refused
    const wait = await runStartLimit(c)
    if (wait !== null) return repoPage(c, { error: `Too many runs started: wait ${wait} s and try again.`, status: 429 })
    const orgId = org(c)
    const id = c.req.param("id")
    const started = await exec(Runs.use((r) => r.start(orgId, id, `dashboard:${principal(c).tokenName}`, undefined, principal(c).tokenId)))
    if (!started.ok) return started.error.status === 404 ? failPage(c, started.error) : repoPage(c, { error: text(started.error.message), status: started.error.status })
    return c.redirect(href(`/runs/${started.value.id}`, { notice: "started" }), 303)
  })

  // --- runs
  app.get(`${BASE}/runs`, async (c) => {
    const now = Date.now()
    const orgId = org(c)
    const repo = c.req.query("repo") || undefined
    const status = c.req.query("status") || undefined
    const data = await exec(Effect.gen(function* () {
      const repos = yield* Store.use((s) => s.listRepos(orgId))
      const runs = yield* DashboardStore.use((d) => d.runs(orgId, { repoId: repo, status, limit: 100 }))
      return { repos, runs }
    }))
    if (!data.ok) return failPage(c, data.error)
    return page(c, "Runs", "runs", <RunsPage runs={data.value.runs} repos={data.value.repos} filter={{ repo, status }} now={now} />)
  })

  const runData = (c: Context<Env>): Effect.Effect<RunLiveData, ServerError, R> => {
    const orgId = org(c)
    const id = c.req.param("id") ?? ""
    const csrfToken = c.get("session").csrf
    const held = scopes(c)
    return Effect.gen(function* () {
      const store = yield* Store
      const dash = yield* DashboardStore
      const run = yield* store.getRunView(orgId, id)
      const repo = yield* store.getRepo(orgId, run.repoId)
      const events = yield* store.eventsAfter(run.id, 0, 1000)
      const outputs = yield* dash.stageOutputs(run.id)
      const stored = yield* dash.attempts(run.id)
      return { run, repo, events: events.map((e) => ({ ...e, data: redact(e.data) })), attempts: attemptsOf(outputs, stored), steps: stepsOf(outputs), now: Date.now(), csrf: csrfToken, scopes: held }
    })
  }

  app.get(`${BASE}/runs/:id`, async (c) => {
    const data = await exec(runData(c))
    if (!data.ok) return failPage(c, data.error)
    return page(c, `Run ${data.value.run.id}`, "runs", <RunPage data={data.value} notice={<Notice code={c.req.query("notice")} />} />)
  })
  app.get(`${BASE}/runs/:id/live`, async (c) => {
    const data = await exec(runData(c))
    if (!data.ok) return c.text(data.error.message, data.error.status as 404)
    return c.html(<RunLive data={data.value} />)
  })
  app.get(`${BASE}/runs/:id/events`, async (c) => {
    const orgId = org(c)
    const id = c.req.param("id")
    const run = await exec(Store.use((s) => s.getRun(orgId, id)))
    if (!run.ok) return c.text(run.error.message, run.error.status as 404)
    return streamRunEvents(c, runtime, id, options.ssePollMs ?? 200)
  })
  app.post(`${BASE}/runs/:id/cancel`, async (c) => {
    const refused = lacking(c, "run", "cancel runs")
    if (refused !== null) return refused
    const orgId = org(c)
    const id = c.req.param("id")
    const done = await exec(Runs.use((r) => r.cancel(orgId, id)))
    if (!done.ok) return failPage(c, done.error)
    return c.redirect(href(`/runs/${id}`, { notice: "cancelled" }), 303)
  })

  // --- proposals
  app.get(`${BASE}/proposals`, async (c) => {
    const now = Date.now()
    const orgId = org(c)
    const status = c.req.query("status") || "pending"
    const repo = c.req.query("repo") || undefined
    const kind = c.req.query("kind") || undefined
    const data = await exec(Effect.gen(function* () {
      const repos = yield* Store.use((s) => s.listRepos(orgId))
      const items = yield* DashboardStore.use((d) => d.proposals(orgId, { status: status === "all" ? undefined : status, repoId: repo, kind, limit: 200 }))
      return { repos, items }
    }))
    if (!data.ok) return failPage(c, data.error)
    return page(c, "Proposals", "proposals", <InboxPage items={data.value.items} repos={data.value.repos} filter={{ status, repo, kind }} now={now} />)
  })

  const audioState = async (orgId: string, artifacts: ReadonlyArray<{ readonly id: string; readonly name: string; readonly size: number }>): Promise<AudioState> => {
    const wav = artifacts.find((a) => a.name === "summary.wav")
    if (wav !== undefined) {
      const txt = artifacts.find((a) => a.name === "summary.txt")
      const transcript = txt === undefined ? null : await exec(Store.use((s) => s.getArtifact(orgId, txt.id)))
      return { kind: "ready", artifactId: wav.id, bytes: wav.size, transcript: transcript === null || !transcript.ok ? null : new TextDecoder().decode(transcript.value.content) }
    }
    const now = Date.now()
    if (espeakCheck === undefined || now - espeakCheck.at > 60_000) {
      espeakCheck = { at: now, value: await Effect.runPromise(Audio.availability(espeak)) }
    }
    return espeakCheck.value.ok ? { kind: "available" } : { kind: "missing", detail: espeakCheck.value.detail }
  }

  const proposalPage = async (c: Context<Env>, extra: { readonly error?: string; readonly status?: number } = {}) => {
    const orgId = org(c)
    const id = c.req.param("id") ?? ""
    const viewParam = c.req.query("view")
    const view = viewParam === "split" || viewParam === "unified" ? viewParam : "auto"
    const data = await exec(Effect.gen(function* () {
      const store = yield* Store
      const proposal = yield* store.getProposal(orgId, id)
      const repo = yield* store.getRepo(orgId, proposal.repoId)
      const artifacts = yield* DashboardStore.use((d) => d.proposalArtifacts(proposal.id))
      const events = yield* store.eventsAfter(proposal.runId, 0, 5000)
      const runUsage = yield* store.runConsumption(proposal.runId)
      const writes = yield* store.ledgerOf(proposal.id)
      return { proposal, repo, artifacts, events, runUsage, writes }
    }))
    if (!data.ok) return failPage(c, data.error)
    const { proposal, repo, artifacts, events, runUsage, writes } = data.value
    const publications: Array<Publication> = events
      .filter((e) => e.type === "proposal.published")
      .map((e) => ({ d: (e.data ?? {}) as Record<string, unknown>, at: e.createdAt }))
      .filter(({ d }) => d.proposalId === proposal.id)
      .map(({ d, at }) => ({
        branch: String(d.branch ?? ""),
        url: typeof d.url === "string" ? d.url : null,
        connector: String(d.connector ?? ""),
        commit: typeof d.commit === "string" ? d.commit : null,
        patchFile: typeof d.patchFile === "string" ? d.patchFile : null,
        at,
        requestedBy: typeof d.requestedBy === "string" ? d.requestedBy : null
      }))
    const ledger: Array<LedgerEntry> = [
      ...proposal.decisions.map((d): LedgerEntry => ({
        at: d.createdAt,
        who: d.actor,
        what: <><b>{d.decision === "approved" ? "Approved" : d.decision === "rejected" ? "Rejected" : "Changes requested"}</b> content <span class="hash">{d.contentHash.slice(0, 12)}</span>{d.note === null ? null : <> — “{d.note}”</>}</>
      })),
      // the WriteGate's persisted ledger: every write it allowed, refused or saw fail
      ...writes.map((w): LedgerEntry => ({
        at: w.at,
        who: w.actor,
        what: w.outcome === "allowed"
          ? <><b>{w.created === false ? "Already published" : "Published"}</b> via {w.connector}{w.branch === null ? null : <>: branch <code>{w.branch}</code></>}{w.commit === null ? null : <> commit <span class="hash">{w.commit.slice(0, 12)}</span></>}{w.contentHash === null ? null : <> content <span class="hash">{w.contentHash.slice(0, 12)}</span></>}</>
          : <><b>{w.outcome === "refused" ? "Write refused" : "Write failed"}</b> via {w.connector}: {w.reason}</>
      }))
    ].sort((a, b) => a.at.localeCompare(b.at))
    const audio = await audioState(orgId, artifacts)
    const p: ProposalPageData = {
      proposal,
      data: readProposal(proposal.data),
      repo,
      audio,
      ledger,
      publications,
      artifacts: artifacts.map((a) => ({ id: a.id, name: a.name, size: a.size })),
      csrf: c.get("session").csrf,
      now: Date.now(),
      view,
      threshold: 0.03,
      scopes: scopes(c),
      cost: proposalCost(proposal.data, runUsage)
    }
    const notice = extra.error !== undefined ? <Flash kind="error">{extra.error}</Flash> : <Notice code={c.req.query("notice")} />
    return page(c, proposal.title, "proposals", <ProposalPage p={p} notice={notice} />, extra.status ?? 200)
  }
  app.get(`${BASE}/proposals/:id`, (c) => proposalPage(c))

  app.post(`${BASE}/proposals/:id/decide`, async (c) => {
    const refused = lacking(c, "approve", "approve, reject or request changes")
    if (refused !== null) return refused
    const form = await c.req.parseBody()
    const action = formString(form.decision)
    const decision = action === "approve" ? "approved" : action === "reject" ? "rejected" : action === "request-changes" ? "changes-requested" : null
    if (decision === null) return proposalPage(c, { error: "Pick approve, request changes or reject.", status: 400 })
    const note = formString(form.note).trim()
    const v = Validate.decision({ contentHash: formString(form.contentHash) || undefined, ...(note === "" ? {} : { note }) }, decision === "approved")
    if (!v.ok) return proposalPage(c, { error: text(v.error.message), status: 400 })
    const orgId = org(c)
    const id = c.req.param("id")
    // the decision is recorded under the session's token identity (never a client-supplied name)
    const by = { tokenId: principal(c).tokenId, tokenName: principal(c).tokenName }
    const done = await exec(Store.use((s) => s.decide(orgId, id, { decision, by, note: v.value.note, contentHash: v.value.contentHash })))
    if (!done.ok) return done.error.status === 404 ? failPage(c, done.error) : proposalPage(c, { error: text(done.error.message), status: done.error.status })
    return c.redirect(href(`/proposals/${id}`, { notice: decision }), 303)
  })

  app.post(`${BASE}/proposals/:id/pr`, async (c) => {
    const refused = lacking(c, "publish", "create pull requests")
    if (refused !== null) return refused
    const id = c.req.param("id")
    const done = await exec(publishAndRecord(principal(c), id, publishOptions))
    if (!done.ok) return done.error.status === 404 ? failPage(c, done.error) : proposalPage(c, { error: text(done.error.message), status: done.error.status })
    return c.redirect(href(`/proposals/${id}`, { notice: "published" }), 303)
  })

  app.post(`${BASE}/proposals/:id/audio`, async (c) => {
    const orgId = org(c)
    const id = c.req.param("id")
    const available = await Effect.runPromise(Audio.availability(espeak))
    espeakCheck = { at: Date.now(), value: available }
    if (!available.ok) return proposalPage(c, { error: `Cannot make the audio summary: ${available.detail}`, status: 409 })
    const made = await exec(Effect.gen(function* () {
      const store = yield* Store
      const proposal = yield* store.getProposal(orgId, id)
      const repo = yield* store.getRepo(orgId, proposal.repoId)
      const words = Audio.summaryText(proposal.title, readProposal(proposal.data), repo.name)
      const wav = yield* Audio.speak(espeak, words).pipe(Effect.mapError((e) => internal(`espeak-ng failed: ${e.message.split("\n")[0]}`)))
      yield* store.putArtifact({ runId: proposal.runId, proposalId: proposal.id, name: "summary.txt", mediaType: "text/plain; charset=utf-8", content: new TextEncoder().encode(words) })
      return yield* store.putArtifact({ runId: proposal.runId, proposalId: proposal.id, name: "summary.wav", mediaType: "audio/wav", content: wav })
    }))
    if (!made.ok) return proposalPage(c, { error: text(made.error.message), status: made.error.status })
    return c.redirect(href(`/proposals/${id}`, { notice: "audio" }), 303)
  })

  // captions of the audio summary (its transcript, timed over the audio's length)
  app.get(`${BASE}/proposals/:id/summary.vtt`, async (c) => {
    const orgId = org(c)
    const id = c.req.param("id")
    const found = await exec(Effect.gen(function* () {
      const store = yield* Store
      const proposal = yield* store.getProposal(orgId, id)
      const artifacts = yield* DashboardStore.use((d) => d.proposalArtifacts(proposal.id))
      const wav = artifacts.find((a) => a.name === "summary.wav")
      const txt = artifacts.find((a) => a.name === "summary.txt")
      if (wav === undefined || txt === undefined) return null
      const audio = yield* store.getArtifact(orgId, wav.id)
      const words = yield* store.getArtifact(orgId, txt.id)
      return Audio.captions(new TextDecoder().decode(words.content), Audio.wavSeconds(audio.content) ?? 0)
    }))
    if (!found.ok) return c.text(found.error.message, found.error.status as 404)
    if (found.value === null) return c.text("This proposal has no audio summary yet.", 404)
    return c.body(found.value, 200, { "Content-Type": "text/vtt; charset=utf-8" })
  })

  // --- usage and quotas (the same figures as GET /api/usage)
  app.get(`${BASE}/usage`, async (c) => {
    const now = Date.now()
    const data = await exec(usageView(principal(c)))
    if (!data.ok) return failPage(c, data.error)
    return page(c, "Usage", "usage", <UsagePage u={data.value} now={now} />)
  })

  // --- artifacts (verified against their sha256 before sending, like the API)
  app.get(`${BASE}/artifacts/:id`, async (c) => {
    const orgId = org(c)
    const id = c.req.param("id")
    const found = await exec(Store.use((s) => s.getArtifact(orgId, id)))
    if (!found.ok) return failPage(c, found.error)
    const { meta, content } = found.value
    const inline = meta.mediaType.startsWith("audio/") && c.req.query("download") === undefined
    c.header("Content-Type", meta.mediaType)
    c.header("ETag", `"${meta.sha256}"`)
    c.header("Content-Disposition", `${inline ? "inline" : "attachment"}; filename="${meta.name.replace(/[^A-Za-z0-9._-]/g, "_")}"`)
    return c.body(content as Uint8Array<ArrayBuffer>)
  })

  app.notFound((c) => c.html(<Layout title="Not found" viewer={null}><RefusedPage title="Not found" detail={`There is no page at ${c.req.path}.`} /></Layout>, 404))

  return app
}

// --- reading stage outputs for the run page

const rec = (u: unknown): Record<string, unknown> => (typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : {})
const list = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])

/** The run's attempts in validation order, with their candidates' titles and files. */
const attemptsOf = (outputs: Readonly<Record<string, unknown>>, stored: ReadonlyArray<Record<string, unknown>>): ReadonlyArray<AttemptView> => {
  const fromOutput = list(rec(outputs.validate).attempts).map(rec)
  const attempts = fromOutput.length > 0 ? fromOutput : stored
  const candidates = new Map(list(rec(outputs.patchgen).candidates).map(rec).map((c) => [String(c.id ?? ""), c]))
  return attempts.map((a): AttemptView => {
    const candidate = candidates.get(String(a.candidateId ?? a.candidate ?? ""))
    return {
      id: String(a.id ?? ""),
      title: typeof candidate?.title === "string" ? candidate.title : null,
      rule: String(a.rule ?? candidate?.rule ?? ""),
      source: String(a.source ?? candidate?.source ?? ""),
      status: String(a.status ?? ""),
      reason: text(String(a.reason ?? "")),
      durationMs: typeof a.durationMs === "number" ? a.durationMs : null,
      files: list(candidate?.files ?? (a.file === undefined ? [] : [a.file])).map(String)
    }
  })
}

/** The baseline's steps, with their logs when the stage recorded them. */
const stepsOf = (outputs: Readonly<Record<string, unknown>>): ReadonlyArray<StepView> => {
  const baseline = rec(outputs.baseline)
  const logs = rec(baseline.logs)
  return list(rec(baseline.baseline).steps).map(rec).map((s): StepView => {
    const name = String(s.name ?? "")
    const log = logs[name]
    return {
      name,
      command: text(String(s.command ?? "")),
      exitCode: typeof s.exitCode === "number" ? s.exitCode : null,
      durationMs: typeof s.durationMs === "number" ? s.durationMs : null,
      outcome: String(s.outcome ?? (s.exitCode === 0 ? "passed" : "failed")),
      reason: typeof s.reason === "string" ? text(s.reason) : null,
      log: typeof log === "string" ? text(log) : null
    }
  })
}
