/**
 * Metering: what runs consumed — compute (the wall time of their stages, where the sandboxed
 * commands run) and LLM calls (tokens and cost, from the providers' usage and price table) — one
 * record per stage execution or model call, each carrying the run, its repository, organisation
 * and the token that started it. A record counts on the UTC day and month its run was started
 * (like the run itself), so a run's figures never split across two windows and usage always adds
 * up to the runs behind it. Quotas and `GET /api/usage` sum these records; runs per day
 * count the `runs` table.
 *
 * @internal
 */
import { Effect } from "effect"
import type { Statement } from "effect/sql/Statement"
import type { ServerError } from "../../ServerError.js"
import { num, type Row, type StoreContext, str, strOrNull } from "./sql.js"

/** One model call to meter. */
export interface LlmUsage {
  readonly provider: string
  readonly model: string
  readonly inputTokens: number
  readonly outputTokens: number
  readonly costUsd: number
}

/** What something consumed. */
export interface Consumption {
  readonly computeMs: number
  readonly llmCalls: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly costUsd: number
}

/** Consumption over a UTC day and month, and the runs started in them. */
export interface Counters {
  readonly day: Consumption & { readonly runs: number }
  readonly month: Consumption & { readonly runs: number }
}

/** Whose consumption: an organisation's, or one token's. */
export type Subject = { readonly orgId: string } | { readonly tokenId: string }

/** Consumption grouped by repository or by token over a window, largest cost first. */
export interface UsageGroup extends Consumption {
  readonly id: string | null
  readonly name: string | null
  readonly runs: number
}

/** The usage part of the store. */
export interface UsageStore {
  /** Records the compute time of a stage execution of `runId`. */
  readonly meterCompute: (runId: string, computeMs: number) => Effect.Effect<void, ServerError>
  /** Records one model call made for `runId`. */
  readonly meterLlm: (runId: string, call: LlmUsage) => Effect.Effect<void, ServerError>
  /**
   * Meters a model call made for a repository outside a run (planning a prompted task), counted at
   * the time of the call.
   */
  readonly meterRepoLlm: (repoId: string, call: LlmUsage) => Effect.Effect<void, ServerError>
  /**
   * What a repository's LLM calls cost in `[from, to)` (USD, input + output tokens): the daily ledger
   * the agent's `dailyUsd` / `dailyTokens` budgets are checked against, shared by every server process.
   */
  readonly llmSpent: (repoId: string, from: Date, to: Date) => Effect.Effect<{ readonly usd: number; readonly tokens: number }, ServerError>
  /** What a run consumed (callers check that the run is the caller's). */
  readonly runConsumption: (runId: string) => Effect.Effect<Consumption, ServerError>
  /** A subject's consumption in the day `[dayStart, dayEnd)` and the month `[monthStart, monthEnd)`. */
  readonly counters: (subject: Subject, windows: { readonly dayStart: Date; readonly dayEnd: Date; readonly monthStart: Date; readonly monthEnd: Date }) => Effect.Effect<Counters, ServerError>
  /** An organisation's consumption in `[from, to)`, grouped by repository or by token. */
  readonly usageBy: (orgId: string, by: "repo" | "token", from: Date, to: Date) => Effect.Effect<ReadonlyArray<UsageGroup>, ServerError>
}

const ZERO: Consumption = { computeMs: 0, llmCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 }

const consumption = (r: Row | undefined, suffix = ""): Consumption =>
  r === undefined
    ? ZERO
    : {
        computeMs: num(r, `compute_ms${suffix}`),
        llmCalls: num(r, `llm_calls${suffix}`),
        inputTokens: num(r, `input_tokens${suffix}`),
        outputTokens: num(r, `output_tokens${suffix}`),
        costUsd: Number(num(r, `cost_usd${suffix}`).toFixed(9))
      }

/** The usage store on a context. */
export const make = ({ sql, q, invalidating }: StoreContext): UsageStore => {
  const sums = (filter: Statement<Row>, suffix: string) => sql`
    COALESCE(sum(compute_ms) FILTER (WHERE ${filter}), 0) AS ${sql(`compute_ms${suffix}`)},
    COALESCE(sum(llm_calls) FILTER (WHERE ${filter}), 0) AS ${sql(`llm_calls${suffix}`)},
    COALESCE(sum(input_tokens) FILTER (WHERE ${filter}), 0) AS ${sql(`input_tokens${suffix}`)},
    COALESCE(sum(output_tokens) FILTER (WHERE ${filter}), 0) AS ${sql(`output_tokens${suffix}`)},
    COALESCE(sum(cost_usd) FILTER (WHERE ${filter}), 0) AS ${sql(`cost_usd${suffix}`)}`

  return {
    meterCompute: (runId, computeMs) =>
      invalidating(q("metering compute", sql`INSERT INTO usage_records (org_id, repo_id, run_id, token_id, kind, at, compute_ms)
          SELECT r.org_id, runs.repo_id, runs.id, runs.token_id, 'compute', runs.created_at, ${Math.max(0, Math.round(computeMs))}
          FROM runs JOIN repositories r ON r.id = runs.repo_id WHERE runs.id = ${runId}`).pipe(Effect.asVoid)),

    meterLlm: (runId, call) =>
      invalidating(q("metering an LLM call", sql`INSERT INTO usage_records (org_id, repo_id, run_id, token_id, kind, at, llm_calls, input_tokens, output_tokens, cost_usd, provider, model)
          SELECT r.org_id, runs.repo_id, runs.id, runs.token_id, 'llm', runs.created_at, 1, ${Math.max(0, Math.round(call.inputTokens))},
            ${Math.max(0, Math.round(call.outputTokens))}, ${Math.max(0, call.costUsd)}, ${call.provider}, ${call.model}
          FROM runs JOIN repositories r ON r.id = runs.repo_id WHERE runs.id = ${runId}`).pipe(Effect.asVoid)),

    meterRepoLlm: (repoId, call) =>
      invalidating(q("metering an LLM call", sql`INSERT INTO usage_records (org_id, repo_id, run_id, token_id, kind, at, llm_calls, input_tokens, output_tokens, cost_usd, provider, model)
          SELECT r.org_id, r.id, NULL, NULL, 'llm', ${new Date()}, 1, ${Math.max(0, Math.round(call.inputTokens))},
            ${Math.max(0, Math.round(call.outputTokens))}, ${Math.max(0, call.costUsd)}, ${call.provider}, ${call.model}
          FROM repositories r WHERE r.id = ${repoId}`).pipe(Effect.asVoid)),

    llmSpent: (repoId, from, to) =>
      q("reading a repository's LLM spend", sql<Row>`SELECT COALESCE(sum(cost_usd), 0) AS usd, COALESCE(sum(input_tokens + output_tokens), 0) AS tokens
          FROM usage_records WHERE repo_id = ${repoId} AND kind = 'llm' AND at >= ${from} AND at < ${to}`).pipe(
        Effect.map((rows) => ({ usd: rows[0] === undefined ? 0 : Number(num(rows[0], "usd").toFixed(9)), tokens: rows[0] === undefined ? 0 : num(rows[0], "tokens") }))
      ),

    runConsumption: (runId) =>
      q("reading a run's usage", sql<Row>`SELECT ${sums(sql`true`, "")} FROM usage_records WHERE run_id = ${runId}`).pipe(
        Effect.map((rows) => consumption(rows[0]))
      ),

    counters: (subject, w) =>
      Effect.gen(function* () {
        const who = "orgId" in subject ? sql`org_id = ${subject.orgId}` : sql`token_id = ${subject.tokenId}`
        const inDay = sql`at >= ${w.dayStart} AND at < ${w.dayEnd}`
        const rows = yield* q("reading usage", sql<Row>`SELECT ${sums(inDay, "_day")}, ${sums(sql`true`, "_month")}
          FROM usage_records WHERE ${who} AND at >= ${w.monthStart} AND at < ${w.monthEnd}`)
        const runWho = "orgId" in subject
          ? sql`runs.repo_id IN (SELECT id FROM repositories WHERE org_id = ${subject.orgId})`
          : sql`runs.token_id = ${subject.tokenId}`
        const runRows = yield* q("counting runs", sql<Row>`SELECT
            count(*) FILTER (WHERE created_at >= ${w.dayStart} AND created_at < ${w.dayEnd}) AS runs_day,
            count(*) AS runs_month
          FROM runs WHERE ${runWho} AND created_at >= ${w.monthStart} AND created_at < ${w.monthEnd}`)
        const runs = runRows[0]
        return {
          day: { ...consumption(rows[0], "_day"), runs: runs === undefined ? 0 : num(runs, "runs_day") },
          month: { ...consumption(rows[0], "_month"), runs: runs === undefined ? 0 : num(runs, "runs_month") }
        }
      }),

    usageBy: (orgId, by, from, to) =>
      Effect.gen(function* () {
        const key = by === "repo" ? sql`repo_id` : sql`token_id`
        const rows = yield* q("reading usage", sql<Row>`SELECT ${key} AS id, ${sums(sql`true`, "")}
          FROM usage_records WHERE org_id = ${orgId} AND at >= ${from} AND at < ${to} GROUP BY ${key}`)
        const runRows = yield* q("counting runs", sql<Row>`SELECT ${by === "repo" ? sql`runs.repo_id` : sql`runs.token_id`} AS id, count(*) AS runs
          FROM runs JOIN repositories r ON r.id = runs.repo_id
          WHERE r.org_id = ${orgId} AND runs.created_at >= ${from} AND runs.created_at < ${to} GROUP BY 1`)
        const names = yield* q("naming usage", by === "repo"
          ? sql<Row>`SELECT id, name FROM repositories WHERE org_id = ${orgId}`
          : sql<Row>`SELECT id, name FROM api_tokens WHERE org_id = ${orgId}`)
        const nameOf = new Map(names.map((r) => [str(r, "id"), str(r, "name")]))
        const runsOf = new Map(runRows.map((r) => [strOrNull(r, "id"), num(r, "runs")]))
        const ids = new Set<string | null>([...rows.map((r) => strOrNull(r, "id")), ...runsOf.keys()])
        const byId = new Map(rows.map((r) => [strOrNull(r, "id"), consumption(r)]))
        return [...ids]
          .map((id): UsageGroup => ({ id, name: id === null ? null : (nameOf.get(id) ?? null), runs: runsOf.get(id) ?? 0, ...(byId.get(id) ?? ZERO) }))
          .sort((a, b) => b.costUsd - a.costUsd || b.computeMs - a.computeMs || b.runs - a.runs || String(a.id).localeCompare(String(b.id)))
      })
  }
}
