/**
 * The server's LLM spend per repository and day: the calls metered in `usage_records` (each agent
 * call of a run, and each planning call of a prompted task), read back for the daily budgets. It
 * lives in the database, so every server process on one database sees the same spend, and it is
 * keyed by the repository's id, so a repository fetched into a fresh checkout for each run still
 * has one ledger.
 *
 * @internal
 */
import { Agent, type Pipeline } from "@ratchet/core"
import { Effect } from "effect"
import { budgetExceeded, type ServerError } from "../ServerError.js"
import type { Repo, Store } from "../Store.js"

/** `[start, end)` of a UTC day. */
const window = (day: string): { readonly from: Date; readonly to: Date } => {
  const from = new Date(`${day}T00:00:00.000Z`)
  return { from, to: new Date(from.getTime() + 86_400_000) }
}

/** The LLM budgets a repository's settings impose (`null`: none). */
export const llmBudgetOf = (b: Repo["settings"]["budgets"]): Agent.Budget => ({
  ...(b.llmUsdPerRun !== null ? { usd: b.llmUsdPerRun } : {}),
  ...(b.llmTokensPerRun !== null ? { tokens: b.llmTokensPerRun } : {}),
  ...(b.llmUsdPerDay !== null ? { dailyUsd: b.llmUsdPerDay } : {}),
  ...(b.llmTokensPerDay !== null ? { dailyTokens: b.llmTokensPerDay } : {})
})

/**
 * A run's agent ledger on the store: `spent` sums the repository's metered calls of that day, whatever
 * key the agent passes (its checkout path); `add` records nothing, because the run meters every call
 * itself when the agent finishes (`Runs`), once.
 */
export const storedLedger = (store: Store["Service"]) => (run: Pipeline.RunRef): Agent.Ledger => ({
  spent: (_key, day) =>
    Effect.gen(function* () {
      const stored = yield* store.getRun(null, run.runId)
      const { from, to } = window(day)
      return yield* store.llmSpent(stored.repoId, from, to)
    }).pipe(Effect.orDie),
  add: () => Effect.void
})

/**
 * Refuses a call for a repository whose daily LLM budget (its settings) is spent today: planning a
 * prompted task counts against the same budget as its runs.
 */
export const checkDailyBudget = (store: Store["Service"], repo: Repo, now: number): Effect.Effect<void, ServerError> =>
  Effect.gen(function* () {
    const budget = llmBudgetOf(repo.settings.budgets)
    // no daily limit: nothing to read
    if (budget.dailyUsd === undefined && budget.dailyTokens === undefined) return
    const day = Agent.dayOf(now)
    const { from, to } = window(day)
    const spent = yield* store.llmSpent(repo.id, from, to)
    switch (Agent.dailyLimitReached(budget, spent)) {
      case "usd":
        return yield* Effect.fail(budgetExceeded(repo.id, `the repository's LLM budget of $${budget.dailyUsd} for ${day} (UTC) is spent ($${spent.usd.toFixed(4)}); raise llmUsdPerDay in its settings or wait for the next day`))
      case "tokens":
        return yield* Effect.fail(budgetExceeded(repo.id, `the repository's LLM budget of ${budget.dailyTokens} tokens for ${day} (UTC) is spent (${spent.tokens}); raise llmTokensPerDay in its settings or wait for the next day`))
    }
  })
