/**
 * The LLM agent: a patch source for the pipeline, provider-agnostic (any `LanguageModel`).
 *
 * 1. **Profile first** ({@link profileHotspots}): the repository's tests and benchmarks run once in
 *    their own workspace under `node --cpu-prof` (through `NODE_OPTIONS`, in the sandbox); functions
 *    are ranked by self time.
 * 2. **Triage** ({@link run}): a cheap model gets the hot functions (with their source), the scan's
 *    findings and a tree-sitter repository map within a token budget, and picks what to try.
 * 3. **Patch**: a strong model writes a unified diff per target, as a `propose_patch` tool call or a
 *    fenced ```diff block; anything else is a rejected attempt with the reason.
 * 4. **Repair**: when the patch does not apply, is blocked by policy, does not build or type-check,
 *    breaks a test, or behaves differently on the calls the tests make (validate's behavioural-equivalence
 *    check, where it runs), the reason and the trimmed log go back to the model, up to `repairAttempts`.
 * 5. Every candidate goes through the caller's `validate` — the same policy → validate → package
 *    path as template candidates. LLM output is untrusted: prompts say repository text is data, and
 *    the policy, the sandbox and the approval gate apply unchanged whatever the model writes.
 * 6. **On the record**: every call's request, response, tool calls, reasoning and usage is stored as
 *    an artifact; candidates carry their calls (`Candidate.llm`), the run gets an {@link LlmCall.LlmRunSummary}.
 * 7. **Budgets** per run and per repository per day, in money and tokens, are checked before each
 *    call against the worst case of that call; when one is exhausted the agent stops and says why.
 *
 * @example
 * ```ts
 * import { Agent, LanguageModel } from "@ratchet/core"
 *
 * const models = {
 *   triage: LanguageModel.LanguageModel.make(cheapModel),
 *   patch: LanguageModel.LanguageModel.make(strongModel)
 * }
 * // inside the pipeline: Agent.run({ root, repo, profile, opportunities, hotspots, models, validate, reject })
 * ```
 *
 * @since 0.2.0
 */
import { createHash } from "node:crypto"
import { chmodSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs"
import { dirname, join, resolve, sep } from "node:path"
import { Clock, Effect } from "effect"
import { ArtifactStore } from "./ArtifactStore.js"
import type { Attempt } from "./Attempt.js"
import * as Baseline from "./Baseline.js"
import type { Candidate } from "./Candidate.js"
import type { ResolvedConfig } from "./Config.js"
import { accumulator } from "./internal/agent/cpuProfile.js"
import { applyLenient, extractPatch, proposePatchTool, renderDiff } from "./internal/agent/patch.js"
import { patchPrompt, repairPrompt, systemPrompt, type Target, targetsOf, taskPatchPrompt, taskSystemPrompt, triagePrompt, triageSchema } from "./internal/agent/prompts.js"
import { estimateTokens, mapRepository, numberedSlice, renderMap } from "./internal/agent/repoMap.js"
import { costOf, type GenerateOptions, type GenerateResult, type LanguageModel, type Message, type ReasoningOptions } from "./LanguageModel.js"
import { type LlmCall, type LlmRunSummary, totalsOf } from "./LlmCall.js"
import type { Opportunity } from "./Opportunity.js"
import type { RatchetError } from "./RatchetError.js"
import type { RepoProfile } from "./RepoProfile.js"
import type { Sandbox } from "./Sandbox.js"
import type { Plan as TaskPlan, Request as TaskRequest } from "./Task.js"
import type { Validation } from "./Validate.js"
import { Workspace, type WorkspaceHandle } from "./Workspace.js"

/**
 * A function's share of the CPU samples taken while the tests and benchmarks ran.
 *
 * @since 0.2.0
 */
export interface Hotspot {
  readonly file: string
  readonly name: string
  readonly line: number
  readonly samples: number
  readonly selfMs: number
  readonly share: number
}

/**
 * Money and tokens.
 *
 * @since 0.2.0
 */
export interface Spend {
  readonly usd: number
  readonly tokens: number
}

/**
 * Budgets; an absent limit does not bind.
 *
 * @since 0.2.0
 */
export interface Budget {
  /** USD per run. */
  readonly usd?: number
  /** Tokens (input + output) per run. */
  readonly tokens?: number
  /** USD per repository per UTC day, across runs (needs a {@link Ledger} that persists). */
  readonly dailyUsd?: number
  readonly dailyTokens?: number
}

/**
 * What the agent spent per repository per day. `repo` is a stable key (a path or URL).
 *
 * @since 0.2.0
 */
export interface Ledger {
  readonly spent: (repo: string, day: string) => Effect.Effect<Spend>
  readonly add: (repo: string, day: string, spend: Spend) => Effect.Effect<void>
}

/**
 * A ledger in memory (tests, one-off runs).
 *
 * @since 0.2.0
 */
export const memoryLedger = (): Ledger => {
  const days = new Map<string, Spend>()
  return {
    spent: (repo, day) => Effect.sync(() => days.get(`${day}\0${repo}`) ?? { usd: 0, tokens: 0 }),
    add: (repo, day, spend) =>
      Effect.sync(() => {
        const key = `${day}\0${repo}`
        const was = days.get(key) ?? { usd: 0, tokens: 0 }
        days.set(key, { usd: was.usd + spend.usd, tokens: was.tokens + spend.tokens })
      })
  }
}

/**
 * A ledger in a JSON file (the CLI keeps it in its state directory). Days older than 31 are
 * dropped; writes go through a temporary file and a rename. An unreadable file counts as empty.
 *
 * @since 0.2.0
 */
export const fileLedger = (path: string): Ledger => {
  const read = (): Record<string, Record<string, Spend>> => {
    try {
      const parsed: unknown = JSON.parse(readFileSync(path, "utf8"))
      const days: unknown = typeof parsed === "object" && parsed !== null ? Reflect.get(parsed, "days") : undefined
      if (typeof days !== "object" || days === null) return {}
      const out: Record<string, Record<string, Spend>> = {}
      for (const [day, repos] of Object.entries(days)) {
        if (typeof repos !== "object" || repos === null) continue
        out[day] = {}
        for (const [repo, s] of Object.entries(repos)) {
          const usd: unknown = typeof s === "object" && s !== null ? Reflect.get(s, "usd") : 0
          const tokens: unknown = typeof s === "object" && s !== null ? Reflect.get(s, "tokens") : 0
          out[day][repo] = { usd: typeof usd === "number" ? usd : 0, tokens: typeof tokens === "number" ? tokens : 0 }
        }
      }
      return out
    } catch {
      return {}
    }
  }
  return {
    spent: (repo, day) => Effect.sync(() => read()[day]?.[repo] ?? { usd: 0, tokens: 0 }),
    add: (repo, day, spend) =>
      Effect.sync(() => {
        const days = read()
        const was = days[day]?.[repo] ?? { usd: 0, tokens: 0 }
        days[day] = { ...days[day], [repo]: { usd: Number((was.usd + spend.usd).toFixed(9)), tokens: was.tokens + spend.tokens } }
        const keep = Object.keys(days).sort().slice(-31)
        const kept = Object.fromEntries(keep.map((d) => [d, days[d]!]))
        mkdirSync(dirname(path), { recursive: true })
        const tmp = `${path}.${process.pid}.tmp`
        writeFileSync(tmp, `${JSON.stringify({ version: 1, days: kept }, null, 2)}\n`)
        renameSync(tmp, path)
      }).pipe(Effect.catchDefect(() => Effect.void))
  }
}

/**
 * How the agent works; every field has a default.
 *
 * @since 0.2.0
 */
export interface Settings {
  /** Repair rounds after the first patch of a target (default 2). */
  readonly repairAttempts: number
  /** Targets triage may pick (default 3). */
  readonly maxTargets: number
  /** Token budget of the repository map in each prompt (default 6000). */
  readonly contextTokens: number
  readonly maxOutputTokens: { readonly triage: number; readonly patch: number }
  readonly reasoning: ReasoningOptions | null
  readonly budget: Budget
}

/** @since 0.2.0 */
export const DEFAULT_SETTINGS: Settings = {
  repairAttempts: 2,
  maxTargets: 3,
  contextTokens: 6_000,
  maxOutputTokens: { triage: 4_096, patch: 8_192 },
  reasoning: null,
  budget: {}
}

/**
 * The triage and patch models (they may be the same).
 *
 * @since 0.2.0
 */
export interface Models {
  readonly triage: LanguageModel["Service"]
  readonly patch: LanguageModel["Service"]
}

/**
 * Options of {@link run}.
 *
 * @since 0.2.0
 */
export interface RunOptions<R> {
  /** The baseline workspace: read, never written. */
  readonly root: string
  /** A stable key of the repository for the daily budget. */
  readonly repo: string
  readonly profile: RepoProfile
  readonly opportunities: ReadonlyArray<Opportunity>
  readonly hotspots: ReadonlyArray<Hotspot>
  /** Whether a profile was taken (it may have found nothing). */
  readonly profiled: boolean
  readonly models: Models
  readonly settings?: Partial<Settings>
  readonly ledger?: Ledger
  /** The pipeline's policy → validate → package path for one candidate. */
  readonly validate: (candidate: Candidate) => Effect.Effect<Validation, RatchetError, R>
  /** Records an attempt rejected before validation (no patch, a diff that does not apply). */
  readonly reject: (attempt: Attempt) => Effect.Effect<void>
  readonly onProgress?: (message: string) => void
  /** Warnings from the profiling run, carried into the summary. */
  readonly warnings?: ReadonlyArray<string>
  /**
   * A prompted task (see `Task`): triage is skipped, and the patch model writes the planned change
   * (all of the plan's files in one patch) through the same patch → validate → repair path.
   *
   * @since 0.2.0
   */
  readonly task?: { readonly request: TaskRequest; readonly plan: TaskPlan }
  /**
   * Checked before every model call: a reason (the run was cancelled) stops the agent with it, like
   * an exhausted budget — what it has validated so far is kept.
   *
   * @since 0.2.0
   */
  readonly stop?: Effect.Effect<string | null, never, R>
}

const specOf = (model: LanguageModel["Service"]) => `${model.model.provider}:${model.model.modelId}`

const FATAL = new Set(["auth", "permission", "not-found", "quota"])
/**
 * Rejections a model can fix: its patch did not apply or parse, the policy blocked it, it broke the
 * build, the types or a test, or (behavioural equivalence on captured calls) it behaves differently.
 */
const REPAIRABLE = /^(policy blocked|does not apply|build failed|typecheck failed|tests failed|tests did not run|tests timed out|no patch|touches what measures it|behaviour changed|replaying the captured calls)/

const isTestPath = (file: string) => /(^|\/)(__tests__|__mocks__|tests?|spec|e2e)\//.test(file) || /\.(test|spec)\.[cm]?[jt]sx?$/.test(file)
/** Test and benchmark code: measured, never a target. */
const isHarness = (file: string) => isTestPath(file) || /(^|\/)(bench|benchmarks?|perf)\//.test(file) || /\.bench\.[cm]?[jt]sx?$/.test(file)

/** Reads a repository file, refusing paths that leave it (also through symlinks). */
const reader = (root: string) => {
  const realRoot = realpathSync(root)
  return (file: string): string | null => {
    const full = resolve(root, file)
    if (full !== root && !full.startsWith(root.endsWith(sep) ? root : root + sep)) return null
    try {
      const real = realpathSync(full)
      if (!real.startsWith(realRoot + sep)) return null
      return readFileSync(real, "utf8")
    } catch {
      return null
    }
  }
}

/**
 * The ledger's day of an instant: its UTC date, `YYYY-MM-DD`.
 *
 * @since 0.2.0
 */
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

/**
 * Which daily limit of `budget` what the repository spent `today` has reached (`"usd"` first), or
 * `null`: a call outside the agent's loop (planning a prompted task) is not started once one is.
 *
 * @since 0.2.0
 */
export const dailyLimitReached = (budget: Budget, today: Spend): "usd" | "tokens" | null =>
  budget.dailyUsd !== undefined && today.usd >= budget.dailyUsd ? "usd" : budget.dailyTokens !== undefined && today.tokens >= budget.dailyTokens ? "tokens" : null

const money = (usd: number) => `$${usd < 0.01 ? usd.toFixed(4) : usd.toFixed(2)}`

/** Why the next call may not be made, or `null`. */
const overBudget = (budget: Budget, run: Spend, today: Spend, next: Spend): string | null => {
  if (budget.usd !== undefined && run.usd + next.usd > budget.usd) {
    return `the run's LLM budget of ${money(budget.usd)} is exhausted: ${money(run.usd)} spent, and the next call could cost up to ${money(next.usd)}`
  }
  if (budget.tokens !== undefined && run.tokens + next.tokens > budget.tokens) {
    return `the run's LLM token budget of ${budget.tokens.toLocaleString("en-US")} is exhausted: ${run.tokens.toLocaleString("en-US")} used, and the next call could use up to ${next.tokens.toLocaleString("en-US")}`
  }
  if (budget.dailyUsd !== undefined && today.usd + next.usd > budget.dailyUsd) {
    return `the repository's daily LLM budget of ${money(budget.dailyUsd)} is exhausted: ${money(today.usd)} spent today, and the next call could cost up to ${money(next.usd)}`
  }
  if (budget.dailyTokens !== undefined && today.tokens + next.tokens > budget.dailyTokens) {
    return `the repository's daily LLM token budget of ${budget.dailyTokens.toLocaleString("en-US")} is exhausted: ${today.tokens.toLocaleString("en-US")} used today`
  }
  return null
}

type CallOutcome =
  | { readonly _tag: "Done"; readonly result: GenerateResult; readonly call: LlmCall }
  | { readonly _tag: "Failed"; readonly error: RatchetError; readonly call: LlmCall }
  | { readonly _tag: "Stopped"; readonly reason: string }

/**
 * Runs the agent: triage, then a patch with repair rounds per target, every candidate through
 * `validate`. Never fails for a model or budget problem: the summary says why it stopped.
 *
 * @since 0.2.0
 */
export const run = <R>(options: RunOptions<R>): Effect.Effect<LlmRunSummary, RatchetError, R | ArtifactStore> =>
  Effect.gen(function* () {
    const settings: Settings = {
      ...DEFAULT_SETTINGS,
      ...options.settings,
      maxOutputTokens: { ...DEFAULT_SETTINGS.maxOutputTokens, ...options.settings?.maxOutputTokens },
      budget: { ...options.settings?.budget }
    }
    const store = yield* ArtifactStore
    const ledger = options.ledger ?? memoryLedger()
    const note = (message: string) => Effect.sync(() => options.onProgress?.(message))
    const read = reader(options.root)
    const calls: Array<LlmCall> = []
    const warnings: Array<string> = [...(options.warnings ?? [])]
    const targetsDone: Array<LlmRunSummary["targets"][number]> = []
    let runSpend: Spend = { usd: 0, tokens: 0 }
    let stopped: string | null = null

    for (const [role, model] of Object.entries(options.models)) {
      if ((model.model.price ?? null) === null && (settings.budget.usd !== undefined || settings.budget.dailyUsd !== undefined)) {
        const warning = `${specOf(model)} (${role}) has no known price: its calls count as $0 against the money budget (set llm.prices)`
        if (!warnings.includes(warning)) warnings.push(warning)
      }
    }

    const call = (
      stage: LlmCall["stage"],
      model: LanguageModel["Service"],
      request: GenerateOptions,
      where: { readonly target?: string; readonly round: number }
    ): Effect.Effect<CallOutcome, never, R> =>
      Effect.gen(function* () {
        const halt = options.stop === undefined ? null : yield* options.stop
        if (halt !== null) return { _tag: "Stopped", reason: halt } as const
        const maxOut = request.maxOutputTokens ?? 4_096
        const inTokens = estimateTokens(JSON.stringify(request.messages)) + (request.tools ? estimateTokens(JSON.stringify(request.tools)) : 0)
        const price = model.model.price ?? null
        const next: Spend = { tokens: inTokens + maxOut, usd: price === null ? 0 : costOf({ inputTokens: inTokens, outputTokens: maxOut }, price) }
        const now = yield* Clock.currentTimeMillis
        const today = yield* ledger.spent(options.repo, dayOf(now))
        const refusal = overBudget(settings.budget, runSpend, today, next)
        if (refusal !== null) return { _tag: "Stopped", reason: refusal } as const
        const id = String(calls.length + 1).padStart(3, "0")
        const outcome = yield* Effect.result(model.generate(request))
        const ended = yield* Clock.currentTimeMillis
        const result = outcome._tag === "Success" ? outcome.success : null
        const usage = result?.usage
        const record = {
          id: `call-${id}`,
          stage,
          ...(where.target ? { target: where.target } : {}),
          round: where.round,
          provider: model.model.provider,
          model: model.model.modelId,
          startedAt: new Date(now).toISOString(),
          durationMs: ended - now,
          request: {
            messages: request.messages,
            ...(request.tools ? { tools: request.tools } : {}),
            ...(request.toolChoice ? { toolChoice: request.toolChoice } : {}),
            ...(request.jsonSchema ? { jsonSchema: request.jsonSchema } : {}),
            ...(request.reasoning ? { reasoning: request.reasoning } : {}),
            maxOutputTokens: maxOut
          },
          response: result
            ? {
                text: result.text,
                reasoning: result.reasoning,
                toolCalls: result.toolCalls ?? [],
                finishReason: result.finishReason,
                json: result.json,
                usage: result.usage,
                responseId: result.responseId ?? null,
                modelId: result.modelId ?? null,
                attempts: result.call?.attempts ?? 1
              }
            : null,
          error: outcome._tag === "Failure" ? outcome.failure.message : null
        }
        const artifact = yield* store.put(`llm-call-${id}-${stage}.json`, `${JSON.stringify(record, null, 2)}\n`).pipe(Effect.orElseSucceed(() => null))
        const entry: LlmCall = {
          id: `call-${id}`,
          stage,
          ...(where.target ? { target: where.target } : {}),
          round: where.round,
          provider: model.model.provider,
          model: model.model.modelId,
          inputTokens: usage?.inputTokens ?? 0,
          cachedInputTokens: usage?.cachedInputTokens ?? 0,
          outputTokens: usage?.outputTokens ?? 0,
          reasoningTokens: usage?.reasoningTokens ?? 0,
          costUsd: usage?.costUsd ?? 0,
          durationMs: ended - now,
          attempts: result?.call?.attempts ?? 1,
          finishReason: result?.finishReason ?? "error",
          toolCalls: result?.toolCalls?.length ?? 0,
          error: outcome._tag === "Failure" ? outcome.failure.message : null,
          artifact
        }
        calls.push(entry)
        const spent: Spend = { usd: entry.costUsd, tokens: entry.inputTokens + entry.outputTokens }
        runSpend = { usd: runSpend.usd + spent.usd, tokens: runSpend.tokens + spent.tokens }
        yield* ledger.add(options.repo, dayOf(now), spent)
        return outcome._tag === "Success" ? ({ _tag: "Done", result: outcome.success, call: entry } as const) : ({ _tag: "Failed", error: outcome.failure, call: entry } as const)
      })

    const failureStops = (error: RatchetError): string | null =>
      error.reason._tag === "ModelFailure" && FATAL.has(error.reason.kind) ? `the model cannot be used: ${error.message}` : null

    // --- Context: the repository map, hot functions with their source.
    const files = yield* Effect.sync(() => mapRepository(options.root))
    const hot = options.hotspots.filter((h) => !isHarness(h.file)).slice(0, 15)
    const focus = [...new Set([...hot.map((h) => h.file), ...options.opportunities.map((o) => o.file)])]
    const focusSymbols = hot.map((h) => h.name)
    const snippets = hot.slice(0, 5).flatMap((h) => {
      const symbol = files.find((f) => f.path === h.file)?.symbols.find((s) => s.name === h.name && Math.abs(s.startLine - h.line) <= 5)
      const code = numberedSlice(options.root, h.file, symbol?.startLine ?? h.line, Math.min((symbol?.endLine ?? h.line + 30), (symbol?.startLine ?? h.line) + 60))
      return code === null ? [] : [{ hotspot: h, code }]
    })
    const task = options.task
    const system: Message = { role: "system", content: task === undefined ? systemPrompt(options.profile) : taskSystemPrompt(options.profile) }

    const triageCalls: Array<LlmCall> = []
    let targets: Array<Target> = []
    if (task !== undefined) {
      // --- A prompted task: the plan is the target.
      targets = [{ file: task.plan.files[0] ?? "", symbol: "task", line: 1, idea: task.request.instruction, rationale: task.plan.approach, impact: task.plan.risk }]
      yield* note(`task: ${task.plan.summary} (${task.plan.files.join(", ")})`)
    } else {
    // --- Triage.
    yield* note(`triage with ${specOf(options.models.triage)}: ${hot.length} hot functions, ${options.opportunities.length} findings`)
    const triage = yield* call(
      "triage",
      options.models.triage,
      {
        messages: [
          system,
          {
            role: "user",
            content: triagePrompt({
              hotspots: hot,
              snippets,
              opportunities: options.opportunities,
              map: renderMap(files, { focus, focusSymbols, budgetTokens: settings.contextTokens }),
              maxTargets: settings.maxTargets,
              profiled: options.profiled
            })
          }
        ],
        jsonSchema: triageSchema,
        jsonSchemaName: "triage",
        maxOutputTokens: settings.maxOutputTokens.triage,
        ...(settings.reasoning ? { reasoning: settings.reasoning } : {})
      },
      { round: 1 }
    )
    if (triage._tag === "Stopped") stopped = triage.reason
    else if (triage._tag === "Failed") stopped = `the triage call failed: ${triage.error.message}`
    else {
      triageCalls.push(triage.call)
      const parsed = targetsOf(triage.result.json ?? safeJson(triage.result.text))
      if (parsed === null) warnings.push("the triage answer was not the expected JSON; no target was tried")
      targets = (parsed ?? []).slice(0, settings.maxTargets)
      yield* note(`triage picked ${targets.length}: ${targets.map((t) => `${t.file}#${t.symbol}`).join(", ") || "nothing"}`)
    }
    }

    // --- Patch and repair, per target.

    const seen = new Set<string>()
    for (const [t, target] of targets.entries()) {
      if (stopped !== null) break
      const label = `${target.file}#${target.symbol}`
      const outcome = (text: string) => targetsDone.push({ file: target.file, symbol: target.symbol, idea: target.idea, rationale: target.rationale, outcome: text })
      let messages: Array<Message>
      if (task !== undefined) {
        // every planned file, as it is (new files are empty); the policy judges what may change
        const planned = task.plan.files.map((path) => ({ path, text: read(path) }))
        messages = [
          system,
          {
            role: "user",
            content: taskPatchPrompt({
              request: task.request,
              plan: task.plan,
              files: planned,
              map: renderMap(files, { focus: [...task.plan.files, ...focus], focusSymbols: [], budgetTokens: Math.floor(settings.contextTokens / 2) })
            })
          }
        ]
      } else {
        if (isHarness(target.file)) {
          outcome("skipped: a test or benchmark file (they measure the change, they are never changed)")
          continue
        }
        const text = read(target.file)
        if (text === null) {
          outcome("skipped: no such file in the repository")
          continue
        }
        const fileTokens = estimateTokens(text)
        const window = Math.max(2_000, Math.floor(settings.contextTokens * 1.5))
        const lines = text.split("\n")
        const truncated = fileTokens > window
        const from = truncated ? Math.max(0, target.line - 120) : 0
        const shown = truncated ? lines.slice(from, target.line + 180).join("\n") : text
        const callers = files
          .flatMap((f) => f.symbols.filter((s) => s.calls.includes(target.symbol) && !(f.path === target.file && s.name === target.symbol)).map((s) => `- ${f.path}:${s.startLine} ${s.name}`))
          .slice(0, 12)
          .join("\n")
        messages = [
          system,
          {
            role: "user",
            content: patchPrompt({
              target,
              file: target.file,
              fileText: shown,
              truncated,
              callers,
              map: renderMap(files, { focus: [target.file, ...focus], focusSymbols: [target.symbol], budgetTokens: Math.floor(settings.contextTokens / 2) })
            })
          }
        ]
      }
      const targetCalls: Array<LlmCall> = []
      const rounds = 1 + settings.repairAttempts
      let final = "no patch"
      for (let round = 1; round <= rounds; round++) {
        const answer = yield* call(
          round === 1 ? "patch" : "repair",
          options.models.patch,
          {
            messages,
            tools: [proposePatchTool],
            toolChoice: "auto",
            maxOutputTokens: settings.maxOutputTokens.patch,
            ...(settings.reasoning ? { reasoning: settings.reasoning } : {})
          },
          { target: label, round }
        )
        if (answer._tag === "Stopped") {
          stopped = answer.reason
          final = `stopped: ${answer.reason}`
          break
        }
        targetCalls.push(answer.call)
        if (answer._tag === "Failed") {
          stopped = failureStops(answer.error)
          final = `the model call failed: ${answer.error.message}`
          break
        }
        const result = answer.result
        const evidence = (extra: ReadonlyArray<LlmCall> = []) => {
          const all = [...triageCalls, ...targetCalls, ...extra]
          return { calls: all, totals: totalsOf(all) }
        }
        const source = `llm:${specOf(options.models.patch)}`
        const rule = task === undefined ? "llm" : "prompt"

        const extracted = extractPatch(result)
        let reason: string
        let log: string | null = null
        if (!extracted.ok) {
          reason = `no patch: ${extracted.reason}`
          yield* options.reject({ id: `attempt-llm-${t + 1}-${round}`, source, rule, status: "rejected", reason: `${label} (round ${round}): ${reason}` })
        } else {
          const applied = applyLenient(extracted.diff, read)
          if (!applied.ok) {
            reason = `does not apply: ${applied.reason}`
            yield* options.reject({ id: `attempt-llm-${t + 1}-${round}`, source, rule, status: "rejected", reason: `${label} (round ${round}): ${reason}` })
          } else {
            const diff = renderDiff(applied.files)
            const id = `${task === undefined ? "llm" : "task"}-${createHash("sha256").update(diff).digest("hex").slice(0, 16)}`
            if (seen.has(id)) {
              reason = "no patch: the same patch as an earlier attempt (it was already rejected)"
              yield* options.reject({ id: `attempt-llm-${t + 1}-${round}`, candidateId: id, source, rule, status: "rejected", reason: `${label} (round ${round}): ${reason}` })
            } else {
              seen.add(id)
              const opportunity = task === undefined ? options.opportunities.find((o) => o.file === target.file && o.startLine <= target.line + 60 && o.endLine >= target.line - 5) : undefined
              const candidate: Candidate = {
                id,
                source,
                rule,
                opportunityId: opportunity?.id ?? null,
                title: extracted.title,
                explanation:
                  task === undefined
                    ? `${extracted.explanation}${extracted.explanation ? "\n\n" : ""}Target chosen by triage: \`${target.symbol}\` in ${target.file} — ${target.idea}${round > 1 ? ` (repaired in round ${round})` : ""}.`
                    : `${extracted.explanation}${extracted.explanation ? "\n\n" : ""}Requested: ${task.request.instruction.split("\n")[0]}. Plan: ${task.plan.summary}${round > 1 ? ` (repaired in round ${round})` : ""}.`,
                diff,
                files: applied.files.map((f) => f.path),
                kind: task === undefined ? "performance" : task.plan.kind,
                thinking: result.reasoning
                  ? {
                      model: specOf(options.models.patch),
                      reasoning: result.reasoning,
                      inputTokens: result.usage.inputTokens,
                      outputTokens: result.usage.outputTokens,
                      costUsd: result.usage.costUsd
                    }
                  : null,
                llm: evidence()
              }
              yield* note(`[${label} round ${round}] validating ${candidate.title}`)
              const validation = yield* options.validate(candidate)
              if (validation.attempt.status === "accepted") {
                final = `accepted in round ${round}: ${validation.attempt.reason.split("\n")[0]}`
                break
              }
              reason = validation.attempt.reason
              log = validation.log ?? null
            }
          }
        }
        final = `rejected in round ${round}: ${reason.split("\n")[0]}`
        if (!REPAIRABLE.test(reason) || round === rounds) break
        // Feed the failure back: answer each tool call (the patch call gets the failure), else a user message.
        const feedback = repairPrompt({ reason, log, round, of: rounds })
        messages.push(result.message ?? { role: "assistant", content: result.text, ...(result.toolCalls ? { toolCalls: result.toolCalls } : {}) })
        const toolCalls = result.toolCalls ?? []
        if (toolCalls.length > 0) {
          for (const tc of toolCalls) {
            messages.push({ role: "tool", toolCallId: tc.id, toolName: tc.name, content: tc.id === extracted.toolCallId || toolCalls.length === 1 ? feedback : "ignored", isError: true })
          }
        } else {
          messages.push({ role: "user", content: feedback })
        }
        yield* note(`[${label}] ${reason.split("\n")[0]}; repair round ${round + 1} of ${rounds}`)
      }
      outcome(final)
    }
    if (stopped !== null) yield* note(`stopped: ${stopped}`)
    return {
      triage: specOf(options.models.triage),
      patch: specOf(options.models.patch),
      calls,
      totals: totalsOf(calls),
      budget: {
        usd: settings.budget.usd ?? null,
        tokens: settings.budget.tokens ?? null,
        dailyUsd: settings.budget.dailyUsd ?? null,
        dailyTokens: settings.budget.dailyTokens ?? null
      },
      stopped,
      hotspots: hot.map((h) => ({ file: h.file, name: h.name, line: h.line, selfMs: h.selfMs, share: h.share })),
      targets: targetsDone,
      warnings
    } satisfies LlmRunSummary
  }).pipe(Effect.withSpan("Agent.run"))

const safeJson = (text: string): unknown => {
  const fenced = /```(?:json)?\s*\n([\s\S]*?)```/.exec(text)
  try {
    return JSON.parse(fenced ? fenced[1]! : text)
  } catch {
    return undefined
  }
}

/**
 * Options of {@link profileHotspots}.
 *
 * @since 0.2.0
 */
export interface ProfileOptions {
  readonly source: string
  readonly baselineWorkspace: WorkspaceHandle
  readonly profile: RepoProfile
  readonly config?: ResolvedConfig
  readonly testAdapter?: Baseline.TestAdapter
  /** How many functions to return (default 30). */
  readonly limit?: number
}

/**
 * Profiles the tests and benchmarks: a workspace of its own (dependencies reused from the baseline),
 * the build as usual, then the test and bench commands with `NODE_OPTIONS=--cpu-prof
 * --cpu-prof-dir=…`; every `.cpuprofile` written (processes and worker threads) is read, and the
 * repository's functions are ranked by self time. Never fails for a profiling problem: it returns
 * no hotspots and a warning.
 *
 * @since 0.2.0
 */
export const profileHotspots = (
  options: ProfileOptions
): Effect.Effect<{ readonly hotspots: ReadonlyArray<Hotspot>; readonly warnings: ReadonlyArray<string>; readonly profiles: number }, RatchetError, Workspace | Sandbox | ArtifactStore> =>
  Effect.scoped(
    Effect.gen(function* () {
      const { profile } = options
      if (profile.commands.test === null && profile.commands.bench === null) return { hotspots: [], warnings: ["no test or bench command to profile"], profiles: 0 }
      const workspace = yield* Workspace
      const handle = yield* workspace.prepare({
        source: options.source,
        ...(options.baselineWorkspace.commit ? { commit: options.baselineWorkspace.commit } : {}),
        purpose: "candidate",
        packageManager: profile.packageManager.name,
        reuseFrom: options.baselineWorkspace
      })
      const dir = join(handle.path, ".ratchet-cpuprof")
      yield* Effect.sync(() => {
        mkdirSync(dir, { recursive: true })
        chmodSync(dir, 0o777)
      })
      const base = { workspace: handle, ...(options.config ? { config: options.config } : {}), ...(options.testAdapter ? { testAdapter: options.testAdapter } : {}) }
      const none = { install: null, build: null, typecheck: null, test: null, bench: null }
      if (profile.commands.build !== null) {
        const built = yield* Effect.scoped(Baseline.run({ ...base, profile: { ...profile, commands: { ...none, build: profile.commands.build } } }))
        const step = built.report.steps.find((s) => s.name === "build")
        if (step && step.exitCode !== 0) return { hotspots: [], warnings: [`profiling skipped: the build failed in the profiling workspace (${step.reason ?? `exit ${step.exitCode}`})`], profiles: 0 }
      }
      const profiled = yield* Effect.scoped(
        Baseline.run({
          ...base,
          profile: { ...profile, commands: { ...none, test: profile.commands.test, bench: profile.commands.bench } },
          env: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` },
          writable: [dir],
          rerunFailures: false
        })
      )
      const acc = accumulator(handle.path)
      let profiles = 0
      const warnings: Array<string> = []
      for (const name of yield* Effect.sync(() => {
        try {
          return readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))
        } catch {
          return []
        }
      })) {
        const parsed = yield* Effect.sync(() => {
          try {
            return JSON.parse(readFileSync(join(dir, name), "utf8")) as unknown
          } catch {
            return null
          }
        })
        if (acc.add(parsed)) profiles++
      }
      if (profiles === 0) {
        const test = profiled.report.steps.find((s) => s.name === "test")
        warnings.push(
          `no CPU profile was written (NODE_OPTIONS=--cpu-prof had no effect${test?.exitCode !== 0 ? `; the test step failed: ${test?.reason ?? "?"}` : " — the commands may not run Node, or set NODE_OPTIONS themselves"})`
        )
      }
      return { hotspots: acc.hotspots(options.limit ?? 30), warnings, profiles }
    })
  ).pipe(Effect.withSpan("Agent.profileHotspots"))
