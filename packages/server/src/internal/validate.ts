import { Registry } from "@ratchet/providers"
import { RemoteHost } from "@ratchet/runner"
import { Cron, DateTime, Result } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"
import { invalid, type ServerError } from "../ServerError.js"
import type { SettingsPatch } from "../Store.js"
import { isScope, parseDuration, parseQuotas, type QuotaName, type Quotas, type Scope, scopes as allScopes } from "../Tenants.js"

type V<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: ServerError }
const ok = <A>(value: A): V<A> => ({ ok: true, value })
const bad = (field: string, detail: string): V<never> => ({ ok: false, error: invalid(field, detail) })

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const unknownKeys = (body: Record<string, unknown>, allowed: ReadonlyArray<string>): string | undefined =>
  Object.keys(body).find((k) => !allowed.includes(k))

const privateHost = (host: string): boolean => {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase()
  if (h === "localhost" || h.endsWith(".localhost") || h.endsWith(".internal") || h.endsWith(".local")) return true
  if (Net.isIPv4(h)) {
    const [a, b] = h.split(".").map(Number)
    return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)
  }
  if (Net.isIPv6(h)) return h === "::1" || h === "::" || h.startsWith("fc") || h.startsWith("fd") || h.startsWith("fe80") || h.startsWith("::ffff:")
  return false
}

/**
 * Checks a local repository path against the operator's allow-list: it must lie (symlinks
 * resolved) under one of `roots`, exist, be a directory and be inside a git work tree. Returns
 * the real path to store, or the reason it is refused. With no roots, no local path is allowed.
 */
export const allowedPath = async (path: string, roots: ReadonlyArray<string>): Promise<V<string>> => {
  if (roots.length === 0) {
    return bad("path", "local paths are not enabled on this server; connect the repository by https \"url\", or start the server with --repo-root DIR (or RATCHET_REPO_ROOTS) naming where local repositories may live")
  }
  let real: string
  try {
    real = await Fs.promises.realpath(path)
  } catch {
    return bad("path", `${path} does not exist`)
  }
  const realRoots = await Promise.all(roots.map((r) => Fs.promises.realpath(r).catch(() => Path.resolve(r))))
  const inside = realRoots.some((root) => {
    const rel = Path.relative(root, real)
    return rel === "" || (!rel.startsWith("..") && !Path.isAbsolute(rel))
  })
  if (!inside) {
    return bad("path", `${path}${real === path ? "" : ` (really ${real})`} is outside the allowed repository roots (${realRoots.join(", ")}); move the repository under one of them or ask the operator to allow its directory`)
  }
  const stat = await Fs.promises.stat(real).catch(() => null)
  if (stat === null || !stat.isDirectory()) return bad("path", `${path} is not a directory`)
  const isWorkTree = await new Promise<boolean>((resolve) =>
    ChildProcess.execFile("git", ["-C", real, "rev-parse", "--is-inside-work-tree"], { timeout: 10_000 }, (error, stdout) => resolve(error === null && stdout.trim() === "true"))
  )
  if (!isWorkTree) return bad("path", `${path} is not a git work tree (run git init there, or connect the repository by "url")`)
  return ok(real)
}

export interface NewRepo {
  readonly name: string
  readonly url: string | null
  readonly path: string | null
  readonly defaultBranch: string
}

export const newRepo = (body: unknown, options: { readonly allowPrivateUrls: boolean }): V<NewRepo> => {
  if (!isObject(body)) return bad("body", "expected a JSON object like {\"name\": \"demo\", \"path\": \"/srv/demo\"}")
  const extra = unknownKeys(body, ["name", "url", "path", "defaultBranch"])
  if (extra) return bad(extra, "unknown field; allowed: name, url, path, defaultBranch")
  const { name, url, path, defaultBranch } = body
  if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) {
    return bad("name", "required; 1-100 characters of letters, digits, '.', '_' or '-', starting with a letter or digit")
  }
  if ((url === undefined) === (path === undefined)) return bad("url", "give exactly one of \"url\" (https git URL) or \"path\" (absolute local path)")
  if (url !== undefined) {
    if (typeof url !== "string" || url.length > 2000) return bad("url", "must be a string of at most 2000 characters")
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return bad("url", `not a URL: ${JSON.stringify(url.slice(0, 100))}`)
    }
    if (parsed.protocol !== "https:") return bad("url", "only https:// URLs are accepted")
    if (parsed.username || parsed.password) return bad("url", "must not embed credentials; configure a connector secret instead")
    if (!options.allowPrivateUrls && privateHost(parsed.hostname)) {
      return bad("url", `host ${parsed.hostname} is private, loopback or link-local; set RATCHET_ALLOW_PRIVATE_URLS=1 to allow it`)
    }
  }
  if (path !== undefined) {
    if (typeof path !== "string" || path.length === 0 || path.length > 4096) return bad("path", "must be a non-empty string")
    if (path.includes("\0")) return bad("path", "must not contain NUL bytes")
    if (!Path.isAbsolute(path)) return bad("path", `must be absolute, got ${JSON.stringify(path)}`)
  }
  if (defaultBranch !== undefined && (typeof defaultBranch !== "string" || !/^[A-Za-z0-9._/-]{1,200}$/.test(defaultBranch) || defaultBranch.includes(".."))) {
    return bad("defaultBranch", "must be a git branch name")
  }
  return ok({
    name,
    url: (url as string | undefined) ?? null,
    path: path === undefined ? null : Path.normalize(path as string),
    defaultBranch: (defaultBranch as string | undefined) ?? "main"
  })
}

/**
 * What decides whether a repository may be connected: the operator's allow-list of local roots,
 * whether private URL hosts are allowed, and how URL hosts are resolved for the SSRF check.
 */
export interface AdmissionOptions {
  readonly allowPrivateUrls: boolean
  readonly repoRoots: ReadonlyArray<string>
  readonly resolve?: RemoteHost.Resolver | undefined
}

/**
 * The one admission check for a new repository, shared by the API and the dashboard: the body's
 * shape ({@link newRepo}), then the SSRF check of a URL host by what it resolves to, then the
 * local path allow-list ({@link allowedPath}). Returns what to store (the real path for a local one).
 */
export const admitRepo = async (body: unknown, options: AdmissionOptions): Promise<V<NewRepo>> => {
  const v = newRepo(body, { allowPrivateUrls: options.allowPrivateUrls })
  if (!v.ok) return v
  const input = v.value
  if (input.url !== null && !options.allowPrivateUrls) {
    // SSRF by name: the host is judged by what it resolves to (the clone pins the address again)
    const checked = await RemoteHost.check(new URL(input.url), options.resolve ?? RemoteHost.systemResolver)
    if (!checked.ok) return bad("url", `${checked.reason}; repository URLs must reach a public host (RATCHET_ALLOW_PRIVATE_URLS=1 allows private ones)`)
  }
  if (input.path === null) return v
  const allowed = await allowedPath(input.path, options.repoRoots)
  return allowed.ok ? ok({ ...input, path: allowed.value }) : allowed
}

const int = (body: Record<string, unknown>, field: string, min: number, max: number): V<number | undefined> => {
  const v = body[field]
  if (v === undefined) return ok(undefined)
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) return bad(field, `must be an integer from ${min} to ${max}`)
  return ok(v)
}

const nullableString = (body: Record<string, unknown>, field: string, max: number): V<string | null | undefined> => {
  const v = body[field]
  if (v === undefined || v === null) return ok(v as undefined | null)
  if (typeof v !== "string" || v.length === 0 || v.length > max) return bad(field, `must be null or a non-empty string of at most ${max} characters`)
  return ok(v)
}

export const settingsPatch = (body: unknown): V<SettingsPatch> => {
  if (!isObject(body)) return bad("body", "expected a JSON object")
  const allowed = ["schedule", "timezone", "provider", "model", "budgets", "policy", "maxSetupFailures", "paused", "trusted"]
  const extra = unknownKeys(body, allowed)
  if (extra) return bad(extra, `unknown field; allowed: ${allowed.join(", ")}`)
  const schedule = nullableString(body, "schedule", 100)
  if (!schedule.ok) return schedule
  const timezone = body.timezone
  if (timezone !== undefined && (typeof timezone !== "string" || DateTime.zoneMakeNamed(timezone)._tag === "None")) {
    return bad("timezone", `unknown IANA time zone ${JSON.stringify(timezone)}; use a name like "Europe/Paris" or "UTC"`)
  }
  if (typeof schedule.value === "string") {
    const parsed = Cron.parse(schedule.value, (timezone as string | undefined) ?? "UTC")
    if (Result.isFailure(parsed)) return bad("schedule", `not a cron expression (${parsed.failure.message}); e.g. "0 2 * * *" for 02:00 every night`)
  }
  const provider = nullableString(body, "provider", 100)
  if (!provider.ok) return provider
  const model = nullableString(body, "model", 200)
  if (!model.ok) return model
  // The LLM model of the repository's runs: a known provider, and a model a spec can be made of.
  const providers = Object.keys(Registry.BUILTIN)
  if (typeof provider.value === "string" && !providers.includes(provider.value)) {
    return bad("provider", `unknown LLM provider ${JSON.stringify(provider.value)}; use one of ${providers.join(", ")} (or null for template-only runs)`)
  }
  if (typeof model.value === "string" && /^\s*$/.test(model.value)) return bad("model", "must not be blank; use null for template-only runs")
  if (provider.value === "openai-compatible" && typeof model.value === "string" && !/@https?:\/\/\S+$/.test(model.value)) {
    return bad("model", 'an openai-compatible model names its endpoint: "MODEL@http(s)://HOST/v1"')
  }
  const budgets = body.budgets === undefined ? {} : body.budgets
  const budgetNames = ["computeMinutesPerDay", "candidatesPerRun", "proposalsPerRun", "llmUsdPerRun", "llmUsdPerDay", "llmTokensPerRun", "llmTokensPerDay"]
  if (!isObject(budgets)) return bad("budgets", `expected an object with ${budgetNames.join(", ")}`)
  const extraBudget = unknownKeys(budgets, budgetNames)
  if (extraBudget) return bad(`budgets.${extraBudget}`, `unknown budget; allowed: ${budgetNames.join(", ")}`)
  // The LLM agent's budgets: null (none) or a limit; the stricter of these and the repository's config applies.
  const usd = (field: string): V<number | null | undefined> => {
    const value = budgets[field]
    if (value === undefined || value === null) return ok(value)
    return typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 1_000_000
      ? ok(value)
      : bad(`budgets.${field}`, "must be null (no limit) or US dollars from 0 to 1000000, e.g. 0.5")
  }
  const tokens = (field: string): V<number | null | undefined> => {
    if (budgets[field] === null) return ok(null)
    const value = int(budgets, field, 0, 10_000_000_000)
    return value.ok ? value : bad(`budgets.${field}`, "must be null (no limit) or a whole number of tokens from 0 to 10000000000")
  }
  const llmUsdPerRun = usd("llmUsdPerRun")
  if (!llmUsdPerRun.ok) return llmUsdPerRun
  const llmUsdPerDay = usd("llmUsdPerDay")
  if (!llmUsdPerDay.ok) return llmUsdPerDay
  const llmTokensPerRun = tokens("llmTokensPerRun")
  if (!llmTokensPerRun.ok) return llmTokensPerRun
  const llmTokensPerDay = tokens("llmTokensPerDay")
  if (!llmTokensPerDay.ok) return llmTokensPerDay
  const compute = int(budgets, "computeMinutesPerDay", 0, 24 * 60)
  if (!compute.ok) return bad("budgets.computeMinutesPerDay", "must be an integer from 0 to 1440")
  const candidates = int(budgets, "candidatesPerRun", 0, 1000)
  if (!candidates.ok) return bad("budgets.candidatesPerRun", "must be an integer from 0 to 1000")
  const proposals = int(budgets, "proposalsPerRun", 0, 100)
  if (!proposals.ok) return bad("budgets.proposalsPerRun", "must be an integer from 0 to 100")
  const policy = body.policy === undefined ? {} : body.policy
  if (!isObject(policy)) return bad("policy", "expected an object with maxFiles and maxLines (each null or a positive integer)")
  const extraPolicy = unknownKeys(policy, ["maxFiles", "maxLines"])
  if (extraPolicy) return bad(`policy.${extraPolicy}`, "unknown policy limit; allowed: maxFiles, maxLines")
  const maxFiles = policy.maxFiles === null ? ok(null) : int(policy, "maxFiles", 1, 1000)
  if (!maxFiles.ok) return bad("policy.maxFiles", "must be null (the repository's config or the default of 5) or an integer from 1 to 1000")
  const maxLines = policy.maxLines === null ? ok(null) : int(policy, "maxLines", 1, 100_000)
  if (!maxLines.ok) return bad("policy.maxLines", "must be null (the repository's config or the default of 200) or an integer from 1 to 100000")
  const maxSetup = int(body, "maxSetupFailures", 1, 100)
  if (!maxSetup.ok) return maxSetup
  if (body.paused !== undefined && typeof body.paused !== "boolean") return bad("paused", "must be true or false")
  const trusted = body.trusted
  if (trusted !== undefined && typeof trusted !== "boolean") return bad("trusted", "must be true (import the repository's config in the server's process: its code plugins run) or false (evaluate it as data in the sandbox)")
  return ok({
    schedule: schedule.value,
    timezone: timezone as string | undefined,
    provider: provider.value,
    model: model.value,
    computeMinutesPerDay: compute.value,
    candidatesPerRun: candidates.value,
    proposalsPerRun: proposals.value,
    llmUsdPerRun: llmUsdPerRun.value,
    llmUsdPerDay: llmUsdPerDay.value,
    llmTokensPerRun: llmTokensPerRun.value,
    llmTokensPerDay: llmTokensPerDay.value,
    maxSetupFailures: maxSetup.value,
    paused: body.paused as boolean | undefined,
    policyMaxFiles: maxFiles.value,
    policyMaxLines: maxLines.value,
    trusted
  })
}

export interface Decision {
  readonly note: string | null
  readonly contentHash: string | null
}

export const decision = (body: unknown, requireHash: boolean): V<Decision> => {
  if (body === undefined) body = {}
  if (!isObject(body)) return bad("body", "expected a JSON object like {\"contentHash\": \"…\", \"note\": \"…\"}")
  if (body.actor !== undefined) {
    return bad("actor", "not accepted: the decision is recorded under the identity of your API token; put free text in \"note\"")
  }
  const extra = unknownKeys(body, ["note", "contentHash"])
  if (extra) return bad(extra, "unknown field; allowed: note, contentHash")
  const note = nullableString(body, "note", 10_000)
  if (!note.ok) return note
  const hash = body.contentHash
  if (hash === undefined || hash === null) {
    if (requireHash) return bad("contentHash", "required: the proposal's contentHash you reviewed (GET /api/proposals/:id), so the approval binds to that exact content")
  } else if (typeof hash !== "string" || !/^[0-9a-f]{64}$/.test(hash)) {
    return bad("contentHash", "must be a 64-character lowercase sha256 hex string")
  }
  return ok({ note: note.value ?? null, contentHash: (hash as string | undefined | null) ?? null })
}

/** An organisation's name: like a repository's. */
const ORG_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/
/** A token's name: printable, no control characters. */
const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._:@/+-]{0,99}$/

/** A quotas patch (`null` removes a limit). */
export type QuotasPatch = { readonly [K in QuotaName]?: number | null }

const quotasField = (value: unknown): V<QuotasPatch> => {
  const parsed = parseQuotas(value)
  return parsed.ok ? ok(parsed.value) : bad(parsed.field, parsed.detail)
}

/** Only the limits of a patch (`null`s dropped): what a new record starts with. */
const limitsOf = (patch: QuotasPatch): Quotas => Object.fromEntries(Object.entries(patch).filter(([, v]) => typeof v === "number"))

/** `POST /api/orgs`: `{ name, quotas? }`. */
export const newOrg = (body: unknown): V<{ readonly name: string; readonly quotas: Quotas }> => {
  if (!isObject(body)) return bad("body", "expected a JSON object like {\"name\": \"acme\", \"quotas\": {\"runsPerDay\": 20}}")
  const extra = unknownKeys(body, ["name", "quotas"])
  if (extra) return bad(extra, "unknown field; allowed: name, quotas")
  if (typeof body.name !== "string" || !ORG_NAME.test(body.name)) {
    return bad("name", "required; 1-100 characters of letters, digits, '.', '_' or '-', starting with a letter or digit")
  }
  const quotas = body.quotas === undefined ? ok({}) : quotasField(body.quotas)
  if (!quotas.ok) return quotas
  return ok({ name: body.name, quotas: limitsOf(quotas.value) })
}

/** `PATCH /api/orgs/:id` and `PATCH /api/tokens/:id`: `{ quotas }`. */
export const quotasPatch = (body: unknown): V<QuotasPatch> => {
  if (!isObject(body)) return bad("body", "expected a JSON object like {\"quotas\": {\"runsPerDay\": 20, \"llmUsdPerMonth\": null}}")
  const extra = unknownKeys(body, ["quotas"])
  if (extra) return bad(extra, "unknown field; allowed: quotas")
  return quotasField(body.quotas)
}

/** What the creating token may hand out: at most its own scopes, and no longer than it lives itself. */
export interface TokenCreator {
  readonly scopes: ReadonlyArray<Scope>
  readonly expiresAt: string | null
}

/** A validated new token. */
export interface NewTokenInput {
  readonly orgId: string | undefined
  readonly name: string
  readonly scopes: ReadonlyArray<Scope>
  readonly expiresAt: Date | null
  readonly quotas: Quotas
}

/**
 * `POST /api/tokens`: `{ name, scopes, expiresAt? | expiresIn?, quotas?, orgId? }`. Scopes must be a
 * non-empty list the creator holds itself; the expiry lies in the future and, when the creator
 * expires, no later than it (which is the default then).
 */
export const newToken = (body: unknown, creator: TokenCreator | null, nowMs: number): V<NewTokenInput> => {
  if (!isObject(body)) return bad("body", "expected a JSON object like {\"name\": \"ci\", \"scopes\": [\"read\", \"run\"], \"expiresIn\": \"90d\"}")
  const extra = unknownKeys(body, ["name", "scopes", "expiresAt", "expiresIn", "quotas", "orgId"])
  if (extra) return bad(extra, "unknown field; allowed: name, scopes, expiresAt, expiresIn, quotas, orgId")
  if (typeof body.name !== "string" || !TOKEN_NAME.test(body.name)) {
    return bad("name", "required; 1-100 characters (letters, digits, space and . _ : @ / + -), starting with a letter or digit")
  }
  const scopes = body.scopes
  if (!Array.isArray(scopes) || scopes.length === 0) return bad("scopes", `required: a non-empty list of ${allScopes.join(", ")}`)
  const unknown = scopes.find((s) => !isScope(s))
  if (unknown !== undefined) return bad("scopes", `unknown scope ${JSON.stringify(unknown)}; the scopes are ${allScopes.join(", ")}`)
  const wanted = allScopes.filter((s) => scopes.includes(s))
  if (creator !== null) {
    const beyond = wanted.filter((s) => !creator.scopes.includes(s))
    if (beyond.length > 0) return bad("scopes", `a token can hand out only scopes it holds itself; this one lacks ${beyond.join(", ")}`)
  }
  if (body.expiresAt !== undefined && body.expiresIn !== undefined) return bad("expiresIn", "give expiresAt or expiresIn, not both")
  let expiresAt: Date | null = null
  if (body.expiresAt !== undefined && body.expiresAt !== null) {
    const ms = typeof body.expiresAt === "string" && /^\d{4}-\d{2}-\d{2}/.test(body.expiresAt) ? Date.parse(body.expiresAt) : Number.NaN
    if (Number.isNaN(ms)) return bad("expiresAt", "must be an ISO-8601 time such as \"2026-12-31T00:00:00Z\", or null for no expiry")
    expiresAt = new Date(ms)
  }
  if (body.expiresIn !== undefined) {
    const ms = typeof body.expiresIn === "string" ? parseDuration(body.expiresIn) : null
    if (ms === null) return bad("expiresIn", "must be a lifetime such as \"90m\", \"12h\", \"30d\" or \"2w\"")
    expiresAt = new Date(nowMs + ms)
  }
  if (expiresAt !== null && expiresAt.getTime() <= nowMs) return bad("expiresAt", "lies in the past; give a time in the future")
  if (creator?.expiresAt != null) {
    const limit = Date.parse(creator.expiresAt)
    if (expiresAt === null) expiresAt = new Date(limit)
    else if (expiresAt.getTime() > limit) return bad("expiresAt", `a token cannot outlive the token that creates it (${creator.expiresAt})`)
  }
  const quotas = body.quotas === undefined ? ok({}) : quotasField(body.quotas)
  if (!quotas.ok) return quotas
  if (body.orgId !== undefined && (typeof body.orgId !== "string" || !/^org_[A-Za-z0-9_-]{1,100}$/.test(body.orgId))) {
    return bad("orgId", "must be an organisation id (org_…)")
  }
  return ok({ orgId: body.orgId as string | undefined, name: body.name, scopes: wanted, expiresAt, quotas: limitsOf(quotas.value) })
}
