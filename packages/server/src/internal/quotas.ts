/**
 * Quota checks: what an organisation and a token have used in the current UTC day and month
 * (from the metering records and the runs table), against their quotas, read fresh from the
 * database so a change applies to the next check.
 *
 * - starting a run: `runsPerDay` (the run would be one too many), `computeMinutesPerDay` and, when
 *   the repository runs an LLM, the LLM quotas (used up) — `QuotaExceeded`, HTTP 429;
 * - before each stage: `computeMinutesPerDay` (the run fails naming the quota);
 * - before each LLM call: the LLM quotas against the call's worst case (the agent stops, saying why);
 * - `proposalsPerRun` caps how many proposals a run packages.
 *
 * @internal
 */
import { Clock, Effect } from "effect"
import { quotaExceeded, type ServerError } from "../ServerError.js"
import type { Store, UsageCounters } from "../Store.js"
import { dayWindow, monthWindow, quotaInfo, type QuotaName, quotaNames, type Quotas, windowOf } from "../Tenants.js"

type StoreService = Store["Service"]

/** One quota of one subject, as `GET /api/usage` shows it. */
export interface QuotaStatus {
  readonly name: QuotaName
  readonly limit: number | null
  readonly used: number | null
  readonly remaining: number | null
  readonly unit: string
  /** When the window restarts (ISO-8601); `null` for per-run quotas. */
  readonly resetsAt: string | null
}

/** The windows at `ms`. */
export const windowsAt = (ms: number) => {
  const day = dayWindow(ms)
  const month = monthWindow(ms)
  return { dayStart: day.start, dayEnd: day.resetsAt, monthStart: month.start, monthEnd: month.resetsAt }
}

const round = (n: number): number => Math.round(n * 1e6) / 1e6

/** How much of a quota `counters` show used (`null` for per-run quotas). */
export const usedOf = (name: QuotaName, c: UsageCounters): number | null => {
  switch (name) {
    case "runsPerDay":
      return c.day.runs
    case "computeMinutesPerDay":
      return round(c.day.computeMs / 60_000)
    case "llmTokensPerDay":
      return c.day.inputTokens + c.day.outputTokens
    case "llmTokensPerMonth":
      return c.month.inputTokens + c.month.outputTokens
    case "llmUsdPerDay":
      return round(c.day.costUsd)
    case "llmUsdPerMonth":
      return round(c.month.costUsd)
    case "proposalsPerRun":
      return null
  }
}

/** The quotas of an organisation and (when given) a token, read now. */
export const quotasOf = (store: StoreService, orgId: string, tokenId: string | null): Effect.Effect<{ readonly organisation: Quotas; readonly token: Quotas | null }, ServerError> =>
  Effect.gen(function* () {
    const org = yield* store.getOrg(null, orgId)
    const token = tokenId === null ? null : yield* Effect.orElseSucceed(store.getToken(null, tokenId), () => null)
    return { organisation: org.quotas, token: token === null ? null : token.quotas }
  })

/** Every quota of a subject with its use at `ms`. */
export const statuses = (quotas: Quotas, counters: UsageCounters, ms: number): ReadonlyArray<QuotaStatus> =>
  quotaNames.map((name): QuotaStatus => {
    const limit = quotas[name] ?? null
    const used = usedOf(name, counters)
    const window = windowOf(name, ms)
    return {
      name,
      limit,
      used,
      remaining: limit === null || used === null ? null : round(Math.max(0, limit - used)),
      unit: quotaInfo[name].unit,
      resetsAt: window === null ? null : window.resetsAt.toISOString()
    }
  })

/** What a check adds on top of what is used: one more run, or an LLM call's worst case. */
export interface Adding {
  readonly runs?: number
  readonly llmTokens?: number
  readonly llmUsd?: number
}

const addedTo = (name: QuotaName, adding: Adding): number => {
  switch (name) {
    case "runsPerDay":
      return adding.runs ?? 0
    case "llmTokensPerDay":
    case "llmTokensPerMonth":
      return adding.llmTokens ?? 0
    case "llmUsdPerDay":
    case "llmUsdPerMonth":
      return adding.llmUsd ?? 0
    default:
      return 0
  }
}

/**
 * Fails with `QuotaExceeded` naming the first of `names` that binds: used plus what is being added
 * would pass the limit, or (adding nothing) the quota is used up. The organisation's quotas are
 * checked before the token's.
 */
export const enforce = (
  store: StoreService,
  who: { readonly orgId: string; readonly tokenId: string | null },
  names: ReadonlyArray<QuotaName>,
  adding: Adding = {}
): Effect.Effect<void, ServerError> =>
  Effect.gen(function* () {
    const quotas = yield* quotasOf(store, who.orgId, who.tokenId)
    const subjects = [
      { scope: "organisation" as const, subject: who.orgId, quotas: quotas.organisation, of: { orgId: who.orgId } },
      ...(who.tokenId !== null && quotas.token !== null ? [{ scope: "token" as const, subject: who.tokenId, quotas: quotas.token, of: { tokenId: who.tokenId } }] : [])
    ]
    const ms = yield* Clock.currentTimeMillis
    for (const s of subjects) {
      const binding = names.filter((n) => s.quotas[n] !== undefined)
      if (binding.length === 0) continue
      const counters = yield* store.counters(s.of, windowsAt(ms))
      for (const name of binding) {
        const limit = s.quotas[name]!
        const used = usedOf(name, counters)
        if (used === null) continue
        const add = addedTo(name, adding)
        if (add > 0 ? used + add > limit : used >= limit) {
          return yield* Effect.fail(quotaExceeded({
            quota: name,
            scope: s.scope,
            subject: s.subject,
            limit,
            used,
            unit: quotaInfo[name].unit,
            resetsAt: windowOf(name, ms)?.resetsAt.toISOString() ?? null
          }))
        }
      }
    }
  })

/** The LLM quotas. */
export const llmQuotas: ReadonlyArray<QuotaName> = ["llmTokensPerDay", "llmTokensPerMonth", "llmUsdPerDay", "llmUsdPerMonth"]

/**
 * The admission of a new run: `runsPerDay` (one more), `computeMinutesPerDay` (used up), and the
 * LLM quotas (used up) when the repository runs an LLM.
 */
export const admitRun = (store: StoreService, who: { readonly orgId: string; readonly tokenId: string | null }, usesLlm: boolean): Effect.Effect<void, ServerError> =>
  Effect.andThen(
    enforce(store, who, ["runsPerDay"], { runs: 1 }),
    enforce(store, who, usesLlm ? ["computeMinutesPerDay", ...llmQuotas] : ["computeMinutesPerDay"])
  )

/** The proposals a run may package under its organisation's and token's `proposalsPerRun`; `null` when neither binds. */
export const proposalsCap = (store: StoreService, who: { readonly orgId: string; readonly tokenId: string | null }): Effect.Effect<{ readonly limit: number; readonly scope: "organisation" | "token" } | null, ServerError> =>
  Effect.map(quotasOf(store, who.orgId, who.tokenId), (q) => {
    const org = q.organisation.proposalsPerRun
    const token = q.token?.proposalsPerRun
    if (org === undefined && token === undefined) return null
    if (token !== undefined && (org === undefined || token < org)) return { limit: token, scope: "token" as const }
    return { limit: org!, scope: "organisation" as const }
  })
