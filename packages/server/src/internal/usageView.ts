/**
 * What `GET /api/usage` and the dashboard show: the caller's organisation and token, each quota
 * with its limit, use, remainder and reset time, consumption today and this month, and this
 * month's consumption by repository and by token; and the cost shown on a proposal.
 *
 * @internal
 */
import { Clock, Effect } from "effect"
import type { ServerError } from "../ServerError.js"
import type { Consumption, Principal, Store, UsageCounters, UsageGroup } from "../Store.js"
import { Store as StoreTag } from "../Store.js"
import { type QuotaStatus, statuses, windowsAt } from "./quotas.js"

/** Consumption as people read it: minutes, tokens, USD. */
export interface ConsumptionView {
  readonly computeMinutes: number
  readonly llmCalls: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly llmTokens: number
  readonly costUsd: number
}

/** Consumption → its view. */
export const consumptionView = (c: Consumption): ConsumptionView => ({
  computeMinutes: Math.round((c.computeMs / 60_000) * 1000) / 1000,
  llmCalls: c.llmCalls,
  inputTokens: c.inputTokens,
  outputTokens: c.outputTokens,
  llmTokens: c.inputTokens + c.outputTokens,
  costUsd: c.costUsd
})

/** One subject's part of the usage view. */
export interface SubjectUsage {
  readonly id: string
  readonly name: string
  readonly quotas: ReadonlyArray<QuotaStatus>
  readonly today: ConsumptionView & { readonly runs: number }
  readonly month: ConsumptionView & { readonly runs: number }
}

/** The whole usage view. */
export interface UsageView {
  readonly at: string
  readonly day: { readonly start: string; readonly resetsAt: string }
  readonly month: { readonly start: string; readonly resetsAt: string }
  readonly organisation: SubjectUsage
  readonly token: SubjectUsage
  /** This month, by repository of the organisation. */
  readonly byRepository: ReadonlyArray<ConsumptionView & { readonly id: string | null; readonly name: string | null; readonly runs: number }>
  /** This month, by the token that started the runs (`id` null: scheduled or webhook runs). */
  readonly byToken: ReadonlyArray<ConsumptionView & { readonly id: string | null; readonly name: string | null; readonly runs: number }>
}

const subject = (id: string, name: string, quotas: Parameters<typeof statuses>[0], counters: UsageCounters, ms: number): SubjectUsage => ({
  id,
  name,
  quotas: statuses(quotas, counters, ms),
  today: { ...consumptionView(counters.day), runs: counters.day.runs },
  month: { ...consumptionView(counters.month), runs: counters.month.runs }
})

const group = (g: UsageGroup) => ({ id: g.id, name: g.name, runs: g.runs, ...consumptionView(g) })

/** The usage view of `principal` at the current `Clock` time (quotas read fresh). */
export const view = (principal: Principal): Effect.Effect<UsageView, ServerError, Store> =>
  Effect.gen(function* () {
    const store = yield* StoreTag
    const ms = yield* Clock.currentTimeMillis
    const w = windowsAt(ms)
    const org = yield* store.getOrg(null, principal.orgId)
    const token = yield* store.getToken(null, principal.tokenId)
    const orgCounters = yield* store.counters({ orgId: org.id }, w)
    const tokenCounters = yield* store.counters({ tokenId: token.id }, w)
    const byRepo = yield* store.usageBy(org.id, "repo", w.monthStart, w.monthEnd)
    const byToken = yield* store.usageBy(org.id, "token", w.monthStart, w.monthEnd)
    return {
      at: new Date(ms).toISOString(),
      day: { start: w.dayStart.toISOString(), resetsAt: w.dayEnd.toISOString() },
      month: { start: w.monthStart.toISOString(), resetsAt: w.monthEnd.toISOString() },
      organisation: subject(org.id, org.name, org.quotas, orgCounters, ms),
      token: subject(token.id, token.name, token.quotas, tokenCounters, ms),
      byRepository: byRepo.map(group),
      byToken: byToken.map(group)
    }
  })

/** The LLM totals a proposal carries (`data.llm.totals`, from core's `LlmEvidence`), if any. */
const llmTotalsOf = (data: unknown): { readonly calls: number; readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number } | null => {
  if (typeof data !== "object" || data === null) return null
  const llm: unknown = Reflect.get(data, "llm")
  const totals: unknown = typeof llm === "object" && llm !== null ? Reflect.get(llm, "totals") : undefined
  if (typeof totals !== "object" || totals === null) return null
  const n = (k: string): number => {
    const v: unknown = Reflect.get(totals, k)
    return typeof v === "number" && Number.isFinite(v) ? v : 0
  }
  return { calls: n("calls"), inputTokens: n("inputTokens"), outputTokens: n("outputTokens"), costUsd: n("costUsd") }
}

/**
 * The cost shown with a proposal: the LLM calls behind this proposal (its own evidence; `null` for
 * a template proposal) and everything its run consumed (compute and LLM calls of every candidate).
 */
export const proposalCost = (data: unknown, run: Consumption) => ({
  llm: llmTotalsOf(data),
  run: consumptionView(run)
})
