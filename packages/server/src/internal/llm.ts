/**
 * Which language models a run uses, from `--llm` / `--llm-budget` and the config's `llm` section
 * (or a repository's stored settings on the server): the triage and patch models built through
 * `@ratchet/providers`, the budgets, the agent's settings and the daily ledger.
 */
import { join } from "node:path"
import { Agent, type Config, LanguageModel, type Pipeline, RatchetError } from "@ratchet/core"
import { Registry } from "@ratchet/providers"
import { Effect } from "effect"

const PROVIDERS = Object.keys(Registry.BUILTIN)

/** A model value as a full spec: bare names get `llm.provider` (and `llm.baseURL` for compatible endpoints). */
export const specOf = (value: string, llm: Config.LlmConfig | undefined, where: string): Effect.Effect<string, RatchetError.RatchetError> =>
  Effect.suspend(() => {
    const trimmed = value.trim()
    const named = PROVIDERS.find((p) => trimmed.startsWith(`${p}:`))
    const provider = named ?? llm?.provider
    if (provider === undefined) {
      return Effect.fail(
        RatchetError.badInput({
          what: `the model "${trimmed}" names no provider`,
          where,
          fix: `write PROVIDER:MODEL (${PROVIDERS.join(", ")}), or set llm.provider in the config`
        })
      )
    }
    let spec = named ? trimmed : `${provider}:${trimmed}`
    if (provider === "openai-compatible" && !/@https?:\/\//.test(spec)) {
      if (llm?.baseURL === undefined) {
        return Effect.fail(RatchetError.badInput({ what: `openai-compatible needs a base URL`, where, fix: "write openai-compatible:MODEL@http(s)://HOST/v1, or set llm.baseURL" }))
      }
      spec = `${spec}@${llm.baseURL}`
    }
    return Registry.parseSpec(spec).pipe(Effect.as(spec))
  })

/** What the flags or the server's stored settings add to the config's `llm` section. */
export interface LlmOverrides {
  /** `--llm`: the model for both triage and patch. */
  readonly spec?: string
  /** `--llm-budget`: USD per run. */
  readonly budgetUsd?: number
  /** Keys from a secret store, by provider. */
  readonly keys?: Readonly<Record<string, string>>
}

const budgetOf = (llm: Config.LlmConfig | undefined, overrides: LlmOverrides): Agent.Budget => {
  const configured = llm?.budget
  const base: Agent.Budget = configured === undefined ? {} : typeof configured === "number" ? { usd: configured } : { ...configured }
  return overrides.budgetUsd !== undefined ? { ...base, usd: overrides.budgetUsd } : base
}

/**
 * The agent options of a run, or `undefined` when no model is named (the run stays template-only
 * and needs no key). A malformed spec, a missing key or a bad budget is bad input.
 */
export const resolveLlm = (input: {
  readonly config: Config.ResolvedConfig
  readonly overrides?: LlmOverrides
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Where the daily ledger lives (`llm-spend.json`); absent: in memory. */
  readonly stateDir?: string
}): Effect.Effect<Pipeline.RunOptions["llm"], RatchetError.RatchetError> =>
  Effect.gen(function* () {
    const llm = input.config.llm
    const overrides = input.overrides ?? {}
    const where = input.config.file ?? "<config>"
    if (overrides.budgetUsd !== undefined && !(Number.isFinite(overrides.budgetUsd) && overrides.budgetUsd > 0)) {
      return yield* Effect.fail(RatchetError.badInput({ what: "--llm-budget must be a positive amount of US dollars", where: String(overrides.budgetUsd), fix: "pass e.g. --llm-budget 0.50" }))
    }
    const patchValue = overrides.spec ?? llm?.patch ?? llm?.triage
    if (patchValue === undefined) {
      if (overrides.budgetUsd !== undefined) {
        return yield* Effect.fail(RatchetError.badInput({ what: "--llm-budget was given but no model", where: "--llm-budget", fix: "add --llm PROVIDER:MODEL, or set llm.patch in the config" }))
      }
      return undefined
    }
    const patch = yield* specOf(patchValue, llm, overrides.spec !== undefined ? "--llm" : `${where} (llm.patch)`)
    const triage = overrides.spec !== undefined || llm?.triage === undefined ? patch : yield* specOf(llm.triage, llm, `${where} (llm.triage)`)
    const env = input.env ?? process.env
    const build = (spec: string) => {
      const provider = spec.slice(0, spec.indexOf(":"))
      const key = overrides.keys?.[provider]
      return Registry.fromSpec(spec, {
        env,
        ...(llm?.prices ? { prices: llm.prices } : {}),
        ...(key ? { apiKey: key } : {}),
        ...(llm?.baseURL && provider !== "openai-compatible" ? { baseURL: llm.baseURL } : {})
      })
    }
    const policy: LanguageModel.CallPolicy = llm?.timeoutMs ? { timeoutMs: llm.timeoutMs } : {}
    const patchModel = yield* build(patch)
    const triageModel = triage === patch ? patchModel : yield* build(triage)
    return {
      models: { triage: LanguageModel.LanguageModel.make(triageModel, policy), patch: LanguageModel.LanguageModel.make(patchModel, policy) },
      settings: {
        budget: budgetOf(llm, overrides),
        ...(llm?.repairAttempts !== undefined ? { repairAttempts: llm.repairAttempts } : {}),
        ...(llm?.maxTargets !== undefined ? { maxTargets: llm.maxTargets } : {}),
        ...(llm?.contextTokens !== undefined ? { contextTokens: llm.contextTokens } : {}),
        ...(llm?.maxOutputTokens !== undefined ? { maxOutputTokens: { triage: Math.min(4_096, llm.maxOutputTokens), patch: llm.maxOutputTokens } } : {}),
        ...(llm?.reasoning ? { reasoning: llm.reasoning } : {})
      },
      ledger: input.stateDir ? Agent.fileLedger(join(input.stateDir, "llm-spend.json")) : Agent.memoryLedger(),
      profile: llm?.profile ?? true
    }
  })

/**
 * The server's agent resolver (core's `Pipeline.AgentResolver`): a run uses the model of its
 * repository's stored settings (`run.llm`), and none without one; the settings' LLM budgets bind
 * with the config's (the stricter of each applies). The repository's config may tune
 * the agent (repair rounds, targets, context, output tokens, reasoning, profiling, timeout,
 * budgets) but never picks the model, the endpoint or the prices: a repository is untrusted input
 * and must not send the server's keys elsewhere nor make its calls look free.
 */
export const serverResolver = (options: {
  readonly stateDir: string
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Keys by provider for a run, over the environment's (the server's secret store). */
  readonly keys?: (run: Pipeline.RunRef) => Effect.Effect<Readonly<Record<string, string>>, RatchetError.RatchetError>
  /** The daily ledger of a run's repository (the server: its metered calls in the database); absent: `<stateDir>/llm-spend.json`. */
  readonly ledger?: (run: Pipeline.RunRef) => Agent.Ledger
}): Pipeline.AgentResolver =>
  ({ run, config }) => {
    if (run.llm === undefined || run.llm === null) return Effect.succeed(null)
    const chosen = run.llm
    const llm = config.llm
    const tuning: Config.LlmConfig | undefined = llm === undefined
      ? undefined
      : {
          ...(llm.budget !== undefined ? { budget: llm.budget } : {}),
          ...(llm.repairAttempts !== undefined ? { repairAttempts: llm.repairAttempts } : {}),
          ...(llm.maxTargets !== undefined ? { maxTargets: llm.maxTargets } : {}),
          ...(llm.contextTokens !== undefined ? { contextTokens: llm.contextTokens } : {}),
          ...(llm.maxOutputTokens !== undefined ? { maxOutputTokens: llm.maxOutputTokens } : {}),
          ...(llm.reasoning !== undefined ? { reasoning: llm.reasoning } : {}),
          ...(llm.profile !== undefined ? { profile: llm.profile } : {}),
          ...(llm.timeoutMs !== undefined ? { timeoutMs: llm.timeoutMs } : {})
        }
    const { llm: _ignored, ...rest } = config
    const host = chosen.budget ?? {}
    return Effect.flatMap(options.keys === undefined ? Effect.succeed({}) : options.keys(run), (keys) =>
      resolveLlm({
        config: tuning === undefined ? rest : { ...rest, llm: tuning },
        overrides: { spec: chosen.model, keys },
        stateDir: options.stateDir,
        ...(options.env ? { env: options.env } : {})
      })
    ).pipe(
      // the repository settings' budgets bind too: each limit is the stricter of them and the config's
      Effect.map((agent) =>
        agent === undefined
          ? null
          : {
              ...agent,
              settings: { ...agent.settings, budget: stricter(agent.settings?.budget ?? {}, host) },
              ...(options.ledger ? { ledger: options.ledger(run) } : {})
            }
      )
    )
  }

/** Per limit, the smaller of two budgets (an absent limit does not bind). */
export const stricter = (a: Agent.Budget, b: Agent.Budget): Agent.Budget => {
  const out: { usd?: number; tokens?: number; dailyUsd?: number; dailyTokens?: number } = {}
  for (const key of ["usd", "tokens", "dailyUsd", "dailyTokens"] as const) {
    const x = a[key]
    const y = b[key]
    const v = x === undefined ? y : y === undefined ? x : Math.min(x, y)
    if (v !== undefined) out[key] = v
  }
  return out
}

/**
 * `GET /api/llm/models`: the providers with whether a key is configured (environment or secret
 * store), their known models with prices, and the model each repository uses.
 */
export const modelsView = (
  repos: ReadonlyArray<{ readonly id: string; readonly name: string; readonly settings: { readonly provider: string | null; readonly model: string | null } }>,
  env: Readonly<Record<string, string | undefined>> = process.env
) => {
  const specs = repos.flatMap((r) => (r.settings.provider !== null && r.settings.model !== null ? [{ repo: r, spec: `${r.settings.provider}:${r.settings.model}` }] : []))
  const providers = Registry.configured(env, { extra: specs.map((s) => s.spec) })
  return {
    providers,
    repositories: specs.map(({ repo, spec }) => ({
      id: repo.id,
      name: repo.name,
      spec,
      configured: providers.find((p) => spec.startsWith(`${p.provider}:`))?.configured ?? false
    }))
  }
}
