/**
 * Tenants: organisations, the scopes an API token can hold, and the quotas an organisation or a
 * token can be given, with the windows they are counted over.
 *
 * - A token belongs to one organisation and sees only that organisation's data.
 * - Scopes are independent: `read` (every `GET`), `run` (start and cancel runs), `approve`
 *   (approve, reject, request changes), `publish` (create the pull request of an approved
 *   proposal), `admin` (connect repositories, change settings, manage the organisation's tokens).
 *   A CI token with `read` and `run` can start runs but never approve or publish what they propose.
 * - Quotas bind per organisation and per token; an absent quota does not bind. Days and months are
 *   UTC: a daily quota resets at 00:00 UTC, a monthly one at 00:00 UTC on the first of the month.
 *
 * @example
 * ```ts
 * import { Tenants } from "@ratchet/server"
 *
 * Tenants.parseQuotas({ runsPerDay: 20, llmUsdPerMonth: 50 }) // { ok: true, value: {...} }
 * Tenants.windowOf("llmUsdPerMonth", Date.UTC(2026, 0, 15)) // { start: 2026-01-01, resetsAt: 2026-02-01 }
 * ```
 *
 * @since 0.2.0
 */

/**
 * What a token may do.
 *
 * @since 0.2.0
 */
export const scopes = ["read", "run", "approve", "publish", "admin"] as const

/**
 * One scope.
 *
 * @since 0.2.0
 */
export type Scope = (typeof scopes)[number]

/**
 * Whether a string names a scope.
 *
 * @since 0.2.0
 */
export const isScope = (value: unknown): value is Scope => typeof value === "string" && (scopes as ReadonlyArray<string>).includes(value)

/**
 * The quotas an organisation or a token can be given.
 *
 * @since 0.2.0
 */
export const quotaNames = [
  "runsPerDay",
  "computeMinutesPerDay",
  "llmTokensPerDay",
  "llmTokensPerMonth",
  "llmUsdPerDay",
  "llmUsdPerMonth",
  "proposalsPerRun"
] as const

/**
 * One quota's name.
 *
 * @since 0.2.0
 */
export type QuotaName = (typeof quotaNames)[number]

/**
 * Limits by quota name; an absent one does not bind.
 *
 * @since 0.2.0
 */
export type Quotas = { readonly [K in QuotaName]?: number }

/**
 * What each quota counts, and over which window.
 *
 * @since 0.2.0
 */
export const quotaInfo: Readonly<Record<QuotaName, { readonly window: "day" | "month" | "run"; readonly unit: string; readonly integer: boolean }>> = {
  runsPerDay: { window: "day", unit: "runs", integer: true },
  computeMinutesPerDay: { window: "day", unit: "compute minutes", integer: false },
  llmTokensPerDay: { window: "day", unit: "LLM tokens", integer: true },
  llmTokensPerMonth: { window: "month", unit: "LLM tokens", integer: true },
  llmUsdPerDay: { window: "day", unit: "USD of LLM calls", integer: false },
  llmUsdPerMonth: { window: "month", unit: "USD of LLM calls", integer: false },
  proposalsPerRun: { window: "run", unit: "proposals per run", integer: true }
}

/**
 * A UTC window: `[start, resetsAt)`.
 *
 * @since 0.2.0
 */
export interface Window {
  readonly start: Date
  readonly resetsAt: Date
}

/**
 * The UTC day of `ms`.
 *
 * @since 0.2.0
 */
export const dayWindow = (ms: number): Window => {
  const d = new Date(ms)
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
  return { start: new Date(start), resetsAt: new Date(start + 86_400_000) }
}

/**
 * The UTC month of `ms`.
 *
 * @since 0.2.0
 */
export const monthWindow = (ms: number): Window => {
  const d = new Date(ms)
  return { start: new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)), resetsAt: new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)) }
}

/**
 * The window a quota is counted over at `ms` (`null` for per-run quotas, which never reset).
 *
 * @since 0.2.0
 */
export const windowOf = (name: QuotaName, ms: number): Window | null => {
  const w = quotaInfo[name].window
  return w === "day" ? dayWindow(ms) : w === "month" ? monthWindow(ms) : null
}

/**
 * Validates a quotas object (`{ "runsPerDay": 10, "llmUsdPerMonth": null }`): known names,
 * non-negative finite numbers (whole numbers for counts), `null` removing a limit. Returns the
 * patch to apply or the offending field with why.
 *
 * @since 0.2.0
 */
export const parseQuotas = (
  value: unknown
): { readonly ok: true; readonly value: { readonly [K in QuotaName]?: number | null } } | { readonly ok: false; readonly field: string; readonly detail: string } => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, field: "quotas", detail: `expected an object like {"runsPerDay": 20}; quotas are ${quotaNames.join(", ")}` }
  }
  const out: { [K in QuotaName]?: number | null } = {}
  for (const [key, raw] of Object.entries(value)) {
    const name = quotaNames.find((n) => n === key)
    if (name === undefined) return { ok: false, field: `quotas.${key}`, detail: `unknown quota; the quotas are ${quotaNames.join(", ")}` }
    if (raw === null) {
      out[name] = null
      continue
    }
    const info = quotaInfo[name]
    if (typeof raw !== "number" || !Number.isFinite(raw) || raw < 0 || (info.integer && !Number.isInteger(raw)) || raw > 1e12) {
      return { ok: false, field: `quotas.${key}`, detail: `must be ${info.integer ? "a whole number" : "a number"} ≥ 0 (${info.unit}), or null for no limit` }
    }
    out[name] = raw
  }
  return { ok: true, value: out }
}

/**
 * Applies a quotas patch: a number sets a limit, `null` removes it, an absent name keeps it.
 *
 * @since 0.2.0
 */
export const applyQuotas = (current: Quotas, patch: { readonly [K in QuotaName]?: number | null }): Quotas => {
  const next: { [K in QuotaName]?: number } = { ...current }
  for (const name of quotaNames) {
    const v = patch[name]
    if (v === null) delete next[name]
    else if (v !== undefined) next[name] = v
  }
  return next
}

/**
 * Quotas read back from storage: unknown names and non-numbers are dropped.
 *
 * @since 0.2.0
 */
export const quotasOf = (value: unknown): Quotas => {
  if (typeof value !== "object" || value === null) return {}
  const out: { [K in QuotaName]?: number } = {}
  for (const name of quotaNames) {
    const v: unknown = Reflect.get(value, name)
    if (typeof v === "number" && Number.isFinite(v)) out[name] = v
  }
  return out
}

/**
 * A token lifetime such as `30d`, `12h`, `90m` or `1w`, in ms; `null` when malformed.
 *
 * @since 0.2.0
 */
export const parseDuration = (text: string): number | null => {
  const m = /^(\d{1,6})\s*(m|min|h|d|w)$/i.exec(text.trim())
  if (m === null) return null
  const n = Number(m[1])
  const unit = m[2]!.toLowerCase()
  const ms = unit === "w" ? 7 * 86_400_000 : unit === "d" ? 86_400_000 : unit === "h" ? 3_600_000 : 60_000
  return n > 0 ? n * ms : null
}
