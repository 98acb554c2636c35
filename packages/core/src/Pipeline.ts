/**
 * The pipeline, owned by core: six typed stages — detect → baseline → scan → patchgen → validate →
 * package — each a function with a Schema for its input and its output, and one composition of
 * them ({@link compose}) that every host runs.
 *
 * - `ratchet run` (and an embedding application) calls {@link run}: the composition with every
 *   stage called directly, in process.
 * - `@ratchet/server` runs the same composition with an {@link Executor} that makes each stage
 *   call a durable workflow activity (one per stage, one per candidate in validate), encoding and
 *   decoding the stage's output through its Schema, so a run resumes after a crash without
 *   repeating finished work.
 *
 * The stage functions are the {@link Stages} service: `Stages.layer` implements them on core's
 * ports (Workspace, Sandbox, ArtifactStore, BenchRunner, PolicyCheck), `Stages.layerTest` with
 * deterministic fakes. What the stages of one run share in memory — the config, loaded once at the
 * run's commit, and the baseline workspace — is held per run id and rebuilt from the recorded commit
 * by a process that does not hold it (after a restart, on another runner).
 *
 * Patch sources (built-in templates and config plugins with a `patchgen` hook, plus any
 * {@link PatchSources}, such as an LLM agent) all feed patchgen; every candidate then takes the
 * same validate (policy → apply → build → tests → benchmarks, see `Validate.BenchmarkSources`) →
 * package path.
 *
 * @example
 * ```ts
 * import { Pipeline } from "@ratchet/core"
 * import { Effect } from "effect"
 *
 * // provide Sandbox, Workspace, ArtifactStore, BenchRunner and PolicyCheck layers
 * const report = Pipeline.run({ source: "/path/to/repo" })
 * ```
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import { Context, Effect, Layer, Schema } from "effect"
import type * as Agent from "./Agent.js"
import type { ArtifactStore } from "./ArtifactStore.js"
import { Attempt } from "./Attempt.js"
import type * as Baseline from "./Baseline.js"
import type { BenchRunner } from "./BenchRunner.js"
import { Candidate } from "./Candidate.js"
import type { ResolvedConfig } from "./Config.js"
import { type FakeOptions, fakeStages } from "./internal/pipeline/fake.js"
import * as Shared from "./internal/pipeline/shared.js"
import { makeStages, type StagesOptions } from "./internal/pipeline/stages.js"
import { LlmRunSummary } from "./LlmCall.js"
import { Opportunity, Risk } from "./Opportunity.js"
import type { PolicyCheck } from "./PolicyCheck.js"
import { Proposal } from "./Proposal.js"
import { internal, RatchetError } from "./RatchetError.js"
import { RepoProfile } from "./RepoProfile.js"
import { BaselineReport, type RunReport, type Stage } from "./Run.js"
import type { Sandbox } from "./Sandbox.js"
import { Spec as TaskSpec } from "./Task.js"
import { Validation } from "./Validate.js"
import type { Workspace } from "./Workspace.js"

// ---------------------------------------------------------------------------------------------
// The stages' inputs and outputs

/**
 * Which run a stage belongs to and where its repository comes from. `commit` is `null` until
 * detect has resolved it (then every later stage works at exactly that commit); `configFile` is an
 * explicit config file (`ratchet run --config`), else the config is the repository's own at the
 * commit; `policy` holds limits the host imposes on top of the config's (the server's settings).
 *
 * @since 0.2.0
 */
export const RunRef = Schema.Struct({
  runId: Schema.String,
  source: Schema.String,
  commit: Schema.NullOr(Schema.String),
  configFile: Schema.NullOr(Schema.String),
  /**
   * Where this run's repository config is evaluated, chosen by the host per run (the server: from
   * the repository's `trusted` setting); absent: the stages' `configIn` option. `"process"` imports
   * it into the stages' process, so its code plugins run, and the run's warnings say so; `"sandbox"`
   * evaluates it as data under the `Sandbox` port (code plugins do not run and are named in the
   * warnings).
   *
   * @since 0.2.0
   */
  configIn: Schema.optionalKey(Schema.Literals(["process", "sandbox"])),
  /** Policy limits the host imposes (the stricter of them and the config's apply); absent: none. */
  policy: Schema.optionalKey(Schema.NullOr(Schema.Struct({ maxFiles: Schema.NullOr(Schema.Number), maxLines: Schema.NullOr(Schema.Number) }))),
  /**
   * The LLM model the host names for this run (`provider:model`; the server's stored repository
   * settings), used for triage and patch over the config's `llm.triage` / `llm.patch`, and the
   * budgets the host imposes (the stricter of them and the config's apply); absent or `null`: the
   * config's. Only stages built with an agent resolver ({@link AgentResolver}) read it.
   */
  llm: Schema.optionalKey(
    Schema.NullOr(
      Schema.Struct({
        model: Schema.String,
        budget: Schema.optionalKey(
          Schema.Struct({
            usd: Schema.optionalKey(Schema.Number),
            tokens: Schema.optionalKey(Schema.Number),
            dailyUsd: Schema.optionalKey(Schema.Number),
            dailyTokens: Schema.optionalKey(Schema.Number)
          })
        )
      })
    )
  ),
  /**
   * A prompted task (`Task.plan` decided GO): the run's only patch source is then the agent writing
   * the planned change (templates, plugins and other patch sources are not asked), and the
   * candidate takes the same validate → package path. Absent: an ordinary run.
   */
  task: Schema.optionalKey(Schema.NullOr(TaskSpec))
})
/** @since 0.2.0 */
export type RunRef = typeof RunRef.Type

/** @since 0.2.0 */
export const DetectInput = Schema.Struct({ run: RunRef })
/** @since 0.2.0 */
export type DetectInput = typeof DetectInput.Type

/**
 * What detect records: the commit every later stage works at, the profile (detected on a checkout
 * of that commit, with the config's overrides and plugins applied), warnings and the config's budget.
 *
 * @since 0.2.0
 */
export const DetectOutput = Schema.Struct({
  commit: Schema.NullOr(Schema.String),
  profile: RepoProfile,
  warnings: Schema.Array(Schema.String),
  /** The config's `budget` section (`null`: not set). */
  budget: Schema.Struct({ candidates: Schema.NullOr(Schema.Number), proposals: Schema.NullOr(Schema.Number) })
})
/** @since 0.2.0 */
export type DetectOutput = typeof DetectOutput.Type

/** @since 0.2.0 */
export const BaselineInput = Schema.Struct({ run: RunRef, profile: RepoProfile })
/** @since 0.2.0 */
export type BaselineInput = typeof BaselineInput.Type

/**
 * What baseline records: the report, the benchmarks the bench command reports (empty when it has
 * none or its step failed), and why no candidate can be proven here (`blocked`), if so.
 *
 * @since 0.2.0
 */
export const BaselineOutput = Schema.Struct({
  baseline: BaselineReport,
  /** Each step's log (its tail, at most 24 KiB), by step name, from the stored `logs.txt`. */
  logs: Schema.Record(Schema.String, Schema.String),
  benchmarks: Schema.Array(Schema.String),
  /** Why the bench command's output gave no benchmark (it ran, but no adapter could read it), naming the command. @since 0.2.0 */
  benchWarning: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** The benchmark sources candidates are measured by when no repository benchmark measures them (`synthesized`). @since 0.2.0 */
  benchmarkSources: Schema.optionalKey(Schema.Array(Schema.String)),
  blocked: Schema.NullOr(Schema.String)
})
/** @since 0.2.0 */
export type BaselineOutput = typeof BaselineOutput.Type

/** @since 0.2.0 */
export const ScanInput = Schema.Struct({ run: RunRef, profile: RepoProfile, baseline: BaselineOutput })
/** @since 0.2.0 */
export type ScanInput = typeof ScanInput.Type

/**
 * What scan records: the opportunities (the config's `scan` section and plugins honoured) and its
 * statistics.
 *
 * @since 0.2.0
 */
export const ScanOutput = Schema.Struct({
  opportunities: Schema.Array(Opportunity),
  stats: Schema.Struct({ files: Schema.Number, bytes: Schema.Number, durationMs: Schema.Number }),
  warnings: Schema.Array(Schema.String)
})
/** @since 0.2.0 */
export type ScanOutput = typeof ScanOutput.Type

/** @since 0.2.0 */
export const PatchgenInput = Schema.Struct({
  run: RunRef,
  profile: RepoProfile,
  baseline: BaselineOutput,
  opportunities: Schema.Array(Opportunity),
  /** Keep at most this many candidates. */
  budget: Schema.Number
})
/** @since 0.2.0 */
export type PatchgenInput = typeof PatchgenInput.Type

/**
 * What patchgen records: the candidates kept (at most the budget, in the sources' order), how many
 * were found, and the budget.
 *
 * @since 0.2.0
 */
export const PatchgenOutput = Schema.Struct({
  candidates: Schema.Array(Candidate),
  found: Schema.Number,
  budget: Schema.Number
})
/** @since 0.2.0 */
export type PatchgenOutput = typeof PatchgenOutput.Type

/** One candidate to validate. @since 0.2.0 */
export const ValidateInput = Schema.Struct({
  run: RunRef,
  profile: RepoProfile,
  baseline: BaselineOutput,
  candidate: Candidate
})
/** @since 0.2.0 */
export type ValidateInput = typeof ValidateInput.Type

/** The validation of one candidate. @since 0.2.0 */
export const ValidateOutput = Validation
/** @since 0.2.0 */
export type ValidateOutput = typeof ValidateOutput.Type

/**
 * One accepted candidate to package: its validation, the attempts of the run up to it (the trace)
 * and the risk of the opportunity it came from.
 *
 * @since 0.2.0
 */
export const Accepted = Schema.Struct({
  candidate: Candidate,
  validation: Validation,
  trace: Schema.Array(Attempt),
  opportunityRisk: Schema.NullOr(Risk)
})
/** @since 0.2.0 */
export type Accepted = typeof Accepted.Type

/** The accepted candidates to package, within the proposal budget. @since 0.2.0 */
export const PackageInput = Schema.Struct({ run: RunRef, accepted: Schema.Array(Accepted) })
/** @since 0.2.0 */
export type PackageInput = typeof PackageInput.Type

/** The proposals, in the order their candidates were validated. @since 0.2.0 */
export const PackageOutput = Schema.Struct({ proposals: Schema.Array(Proposal) })
/** @since 0.2.0 */
export type PackageOutput = typeof PackageOutput.Type

/**
 * What the LLM agent's call gets: the run, its profile, the baseline and the scanned opportunities.
 *
 * @since 0.2.0
 */
export const AgentStageInput = Schema.Struct({
  run: RunRef,
  profile: RepoProfile,
  baseline: BaselineOutput,
  opportunities: Schema.Array(Opportunity)
})
/** @since 0.2.0 */
export type AgentStageInput = typeof AgentStageInput.Type

/**
 * One thing the agent produced, in order: a candidate with its validation, or an attempt that
 * never became a candidate (no patch, a patch that does not apply, the budget).
 *
 * @since 0.2.0
 */
export const AgentOutcome = Schema.Union([
  Schema.TaggedStruct("validated", { candidate: Candidate, validation: Validation }),
  Schema.TaggedStruct("rejected", { attempt: Attempt })
])
/** @since 0.2.0 */
export type AgentOutcome = typeof AgentOutcome.Type

/**
 * What the agent's call records: its summary (calls, tokens, cost, budget, why it stopped; `null`
 * when the run names no model) and its outcomes in order. A durable host stores it as one
 * activity's result, so a resumed run replays it instead of calling the models again.
 *
 * @since 0.2.0
 */
export const AgentOutput = Schema.Struct({
  llm: Schema.NullOr(LlmRunSummary),
  outcomes: Schema.Array(AgentOutcome)
})
/** @since 0.2.0 */
export type AgentOutput = typeof AgentOutput.Type

/**
 * A stage: its name and the Schemas of its input and output. A host that stores stage results
 * (the server) encodes and decodes them with these.
 *
 * @since 0.2.0
 */
export interface StageSpec<Name extends Stage, I, O> {
  readonly name: Name
  readonly input: Schema.Codec<I, unknown>
  readonly output: Schema.Codec<O, unknown>
}

const spec = <Name extends Stage, I, O>(name: Name, input: Schema.Codec<I, unknown>, output: Schema.Codec<O, unknown>): StageSpec<Name, I, O> => ({
  name,
  input,
  output
})

/**
 * The six stages in order, with their Schemas.
 *
 * @since 0.2.0
 */
export const stages = {
  detect: spec("detect", DetectInput, DetectOutput),
  baseline: spec("baseline", BaselineInput, BaselineOutput),
  scan: spec("scan", ScanInput, ScanOutput),
  patchgen: spec("patchgen", PatchgenInput, PatchgenOutput),
  validate: spec("validate", ValidateInput, ValidateOutput),
  package: spec("package", PackageInput, PackageOutput)
} as const

/**
 * The LLM agent's call: part of the validate stage (it validates every candidate it writes, with
 * repair rounds in between), one call keyed `validate/llm` after the template candidates'.
 *
 * @since 0.2.0
 */
export const agentStage: StageSpec<"validate", AgentStageInput, AgentOutput> = spec("validate", AgentStageInput, AgentOutput)

/**
 * The stage names in pipeline order.
 *
 * @since 0.2.0
 */
export const stageNames: ReadonlyArray<Stage> = ["detect", "baseline", "scan", "patchgen", "validate", "package"]

// ---------------------------------------------------------------------------------------------
// The stage functions

/**
 * The stage functions. `validate` validates one candidate (the composition calls it once per
 * candidate, so a host can make each call durable on its own); `package` packages the accepted ones.
 *
 * @since 0.2.0
 */
export interface StageFunctions {
  readonly detect: (input: DetectInput) => Effect.Effect<DetectOutput, RatchetError>
  readonly baseline: (input: BaselineInput) => Effect.Effect<BaselineOutput, RatchetError>
  readonly scan: (input: ScanInput) => Effect.Effect<ScanOutput, RatchetError>
  readonly patchgen: (input: PatchgenInput) => Effect.Effect<PatchgenOutput, RatchetError>
  readonly validate: (input: ValidateInput) => Effect.Effect<ValidateOutput, RatchetError>
  readonly package: (input: PackageInput) => Effect.Effect<PackageOutput, RatchetError>
  /**
   * The LLM agent as a second patch source, when the stages were built with one: it profiles,
   * triages and writes patches in the run's baseline workspace, and hands every candidate to
   * `validate` (the stage's validate function, so each takes the same policy → validate →
   * package path) and every attempt that never got a candidate to `reject`. `null`: the run names
   * no model (see {@link AgentResolver}).
   */
  readonly agent?: <R>(input: AgentInput, callbacks: AgentCallbacks<R>) => Effect.Effect<LlmRunSummary | null, RatchetError, R>
  /** Releases what the process holds for a run (its baseline workspace and checkout); safe to call twice. */
  readonly release: (runId: string) => Effect.Effect<void>
}

/**
 * What the agent gets from the composition: the run, its profile and the scanned opportunities.
 *
 * @since 0.2.0
 */
export interface AgentInput {
  readonly run: RunRef
  readonly profile: RepoProfile
  readonly opportunities: ReadonlyArray<Opportunity>
}

/**
 * The composition's side of the agent: validate one candidate (through the executor), record an
 * attempt that never became a candidate, report progress.
 *
 * @since 0.2.0
 */
export interface AgentCallbacks<R> {
  readonly validate: (candidate: Candidate) => Effect.Effect<Validation, RatchetError, R>
  readonly reject: (attempt: Attempt) => Effect.Effect<void>
  readonly onProgress: (message: string) => void
  /**
   * Checked before every model call: a reason stops the agent (see `ComposeOptions.shouldStop`).
   *
   * @since 0.2.0
   */
  readonly stop?: Effect.Effect<string | null, never, R>
}

/**
 * The LLM agent's models and settings (`ratchet run --llm`): its models, settings, the daily
 * ledger, and whether to profile first (default `true`).
 *
 * @since 0.2.0
 */
export interface AgentOptions {
  readonly models: Agent.Models
  readonly settings?: Partial<Agent.Settings>
  readonly ledger?: Agent.Ledger
  readonly profile?: boolean
}

/**
 * The agent options of one run, chosen by the host from the run (its `llm` model, its id for the
 * ledger) and the config loaded at the run's commit: `null` when the run names no model (it stays
 * template-only). A failure (no key, a bad spec) does not fail the run: the agent records
 * `the LLM agent did not run: …` and the templates' candidates go on.
 *
 * @since 0.2.0
 */
export type AgentResolver = (context: { readonly run: RunRef; readonly config: ResolvedConfig }) => Effect.Effect<AgentOptions | null, RatchetError>

/**
 * The ports the real stages run on.
 *
 * @since 0.2.0
 */
export type Ports = Sandbox | Workspace | ArtifactStore | BenchRunner | PolicyCheck

/**
 * The stage service.
 *
 * @since 0.2.0
 */
export class Stages extends Context.Service<Stages, StageFunctions>()("@ratchet/core/Pipeline/Stages") {
  /**
   * The real stages on core's ports. One instance holds many runs (a server); a run's baseline
   * workspace is kept from baseline to the end of validate, and idle ones are released after
   * `idleMs` (default 30 min) or beyond `maxIdle` (default 8). Closing the layer releases them all.
   *
   * @since 0.2.0
   */
  static readonly layer = (options: StagesOptions = {}): Layer.Layer<Stages, never, Ports> =>
    Layer.effect(Stages, Effect.map(makeStages(options), (fns) => Stages.of(fns)))

  /**
   * Deterministic fake stages (no repository is touched): each waits `delay` (through `Clock`),
   * detect and baseline succeed, scan finds `candidates` opportunities, every candidate is accepted,
   * and package makes a proposal with a one-line diff. A repository whose source contains
   * `fail-<stage>` (or `failAt`) fails at that stage.
   *
   * @since 0.2.0
   */
  static readonly layerTest = (options: FakeOptions = {}): Layer.Layer<Stages> => Layer.succeed(Stages, Stages.of(fakeStages(options)))
}

/**
 * More patch sources, next to the built-in templates and the config's plugins (an LLM agent, for
 * example): see {@link PatchSources}.
 *
 * @since 0.2.0
 */
export type PatchSource = Shared.PatchSource

/**
 * The extra patch sources of the real stages (default: none). Each gets the scanned opportunities
 * and the checkout and returns candidates, which take the same validate → package path as every
 * other: `Layer.succeed(Pipeline.PatchSources, [agent])`.
 *
 * @since 0.2.0
 */
export const PatchSources: typeof Shared.PatchSources = Shared.PatchSources

// ---------------------------------------------------------------------------------------------
// The composition

/**
 * One stage call: `key` names it uniquely within the run (`"detect"`, `"validate/3"`); `first`
 * and `last` say whether it opens and closes its stage (validate has one call per candidate).
 *
 * @since 0.2.0
 */
export interface Call {
  readonly key: string
  readonly index: number
  readonly first: boolean
  readonly last: boolean
}

/**
 * How a host runs one stage call. `work` is the stage function's effect (plus the host's own
 * recording, see {@link Recorder}); the stage spec carries the Schemas of its input and output.
 * {@link direct} runs it; the server's executor makes it a durable workflow activity.
 *
 * @since 0.2.0
 */
export interface Executor<E, R> {
  readonly run: <I, O>(stage: StageSpec<Stage, I, O>, call: Call, work: Effect.Effect<O, RatchetError | E, R>) => Effect.Effect<O, RatchetError | E, R>
}

/**
 * The executor that simply runs each stage call.
 *
 * @since 0.2.0
 */
export const direct: Executor<never, never> = { run: (_stage, _call, work) => work }

/**
 * What a host records about each stage's output, inside the stage call (so a durable host records
 * it exactly once, with the result): counts, attempts, proposals.
 *
 * @since 0.2.0
 */
export interface Recorder<E, R> {
  readonly detect?: (output: DetectOutput, context: RecordContext<DetectInput>) => Effect.Effect<void, E, R>
  readonly baseline?: (output: BaselineOutput, context: RecordContext<BaselineInput>) => Effect.Effect<void, E, R>
  readonly scan?: (output: ScanOutput, context: RecordContext<ScanInput>) => Effect.Effect<void, E, R>
  readonly patchgen?: (output: PatchgenOutput, context: RecordContext<PatchgenInput>) => Effect.Effect<void, E, R>
  readonly validate?: (output: ValidateOutput, context: RecordContext<ValidateInput>) => Effect.Effect<void, E, R>
  readonly package?: (output: PackageOutput, context: RecordContext<PackageInput>) => Effect.Effect<void, E, R>
  /**
   * The agent's call (validate records each of its validations as well, inside this call).
   *
   * @since 0.2.0
   */
  readonly agent?: (output: AgentOutput, context: RecordContext<AgentStageInput>) => Effect.Effect<void, E, R>
}

/**
 * What a {@link Recorder} callback gets besides the output: the call and the stage's input.
 *
 * @since 0.2.0
 */
export interface RecordContext<I> {
  readonly call: Call
  readonly input: I
}

/**
 * A progress notification.
 *
 * @since 0.1.0
 */
export interface Progress {
  readonly stage: Stage
  readonly message: string
}

/**
 * What {@link compose} needs besides the stages.
 *
 * @since 0.2.0
 */
export interface ComposeOptions<E = never, R = never> {
  readonly run: Omit<RunRef, "commit"> & { readonly commit?: string | null }
  /** Caps on candidates validated and proposals packaged; the config's `budget` caps them too. */
  readonly budget?: Caps
  readonly record?: Recorder<E, R>
  readonly onProgress?: (progress: Progress) => Effect.Effect<void>
  /**
   * Checked inside long stage calls between units of work (the LLM agent: before every model call):
   * a reason — the run was cancelled — ends that call early with what it has, and the host's next
   * stage call stops the run. Absent: never.
   *
   * @since 0.2.0
   */
  readonly shouldStop?: Effect.Effect<string | null, never, R>
}

/**
 * Caps on a run's candidates and proposals.
 *
 * @since 0.2.0
 */
export interface Caps {
  readonly candidates?: number | undefined
  readonly proposals?: number | undefined
}

/**
 * How a composed run ended: the report, and the stage that stopped it early with the reason
 * (`baseline` when no candidate can be proven there), if any.
 *
 * @since 0.2.0
 */
export interface Composed {
  /** The `ratchet run --json` report. */
  readonly report: RunReport
  readonly stopped: { readonly stage: Stage; readonly reason: string } | null
  /** What scan and patchgen recorded (`null` when the run stopped before them). */
  readonly scanned: ScanOutput | null
  readonly generated: PatchgenOutput | null
}

/**
 * Default candidate budget per run.
 *
 * @since 0.1.0
 */
export const DEFAULT_CANDIDATES = 10

/**
 * The run's budgets: the caller's caps and the config's `budget`, whichever is smaller; without
 * either, {@link DEFAULT_CANDIDATES} candidates and no limit on proposals.
 *
 * @since 0.2.0
 */
export const budgetOf = (
  config: { readonly candidates?: number | null | undefined; readonly proposals?: number | null | undefined } | undefined,
  caps: Caps = {}
): { readonly candidates: number; readonly proposals: number } => {
  const min = (a: number | null | undefined, b: number | null | undefined, otherwise: number) =>
    (a ?? undefined) === undefined && (b ?? undefined) === undefined
      ? otherwise
      : Math.max(0, Math.min(a ?? Number.POSITIVE_INFINITY, b ?? Number.POSITIVE_INFINITY))
  return {
    candidates: min(caps.candidates, config?.candidates, DEFAULT_CANDIDATES),
    proposals: min(caps.proposals, config?.proposals, Number.POSITIVE_INFINITY)
  }
}

/**
 * The steps whose failure stops a run before any candidate is tried: the reason, or `null`.
 *
 * @since 0.1.0
 */
export const blockingFailure: (report: RunReport["baseline"]) => string | null = Shared.blockingFailure

/**
 * The pipeline: detect → baseline → scan → patchgen → validate (each candidate) → package (each
 * accepted candidate, within the proposal budget), each stage call through `executor`. The same
 * composition for `ratchet run` ({@link direct}) and the server (durable activities).
 *
 * @since 0.2.0
 */
export const compose = <E, R>(options: ComposeOptions<E, R>, executor: Executor<E, R>): Effect.Effect<Composed, RatchetError | E, R | Stages> =>
  Effect.gen(function* () {
    const fns = yield* Stages
    const record = options.record ?? {}
    const note = (stage: Stage, message: string) => options.onProgress?.({ stage, message }) ?? Effect.void
    const single = (key: string): Call => ({ key, index: 0, first: true, last: true })
    /** One stage call through the executor, with the host's recording of its output inside it. */
    const call = <I, O>(
      stage: StageSpec<Stage, I, O>,
      at: Call,
      input: I,
      fn: (input: I) => Effect.Effect<O, RatchetError>,
      recorder: ((output: O, context: RecordContext<I>) => Effect.Effect<void, E, R>) | undefined
    ): Effect.Effect<O, RatchetError | E, R> => {
      const work = fn(input)
      return executor.run(stage, at, recorder === undefined ? work : Effect.tap(work, (output) => recorder(output, { call: at, input })))
    }

    const first: RunRef = { ...options.run, commit: options.run.commit ?? null }
    yield* note("detect", `detecting ${first.source}`)
    const detected = yield* call(stages.detect, single("detect"), { run: first }, fns.detect, record.detect)
    const run: RunRef = { ...first, commit: detected.commit }
    const profile = detected.profile
    for (const warning of detected.warnings) yield* note("detect", `warning: ${warning}`)
    yield* note(
      "detect",
      `${profile.packageManager.name}; test: ${profile.commands.test?.command ?? "none"}; bench: ${profile.commands.bench?.command ?? "none"}${run.commit ? ` at ${run.commit.slice(0, 12)}` : ""}`
    )

    return yield* Effect.ensuring(
      Effect.gen(function* () {
        yield* note("baseline", "install, build, typecheck, test, bench in an isolated workspace")
        const baselined = yield* call(stages.baseline, single("baseline"), { run, profile }, fns.baseline, record.baseline)
        const baseline = baselined.baseline
        for (const step of baseline.steps) {
          yield* note(
            "baseline",
            `${step.name}: ${step.outcome ?? `exit ${step.exitCode ?? step.signal}`}${step.outcome === "reused" || step.outcome === "skipped" ? "" : ` in ${(step.durationMs / 1000).toFixed(1)} s`}`
          )
        }
        const attempts: Array<Attempt> = []
        let llm: LlmRunSummary | null = null
        const report = (proposals: ReadonlyArray<Proposal>): RunReport => ({
          runId: run.runId,
          commit: run.commit,
          profile,
          baseline,
          attempts: [...attempts],
          proposals: [...proposals],
          ...(llm !== null ? { llm } : {})
        })

        if (baselined.blocked !== null) {
          yield* note("baseline", `stopping: ${baselined.blocked}`)
          return {
            report: { ...report([]), baseline: { ...baseline, reason: baseline.reason ?? baselined.blocked } },
            stopped: { stage: "baseline" as const, reason: baselined.blocked },
            scanned: null,
            generated: null
          }
        }

        yield* note("scan", "scanning sources")
        const scanned = yield* call(stages.scan, single("scan"), { run, profile, baseline: baselined }, fns.scan, record.scan)
        yield* note("scan", `${scanned.opportunities.length} opportunities in ${scanned.stats.files} files`)

        const budget = budgetOf(detected.budget, options.budget)
        const generated = yield* call(
          stages.patchgen,
          single("patchgen"),
          { run, profile, baseline: baselined, opportunities: scanned.opportunities, budget: budget.candidates },
          fns.patchgen,
          record.patchgen
        )
        yield* note("patchgen", `${generated.found} candidates; validating ${generated.candidates.length} (budget ${generated.budget})`)

        const sources = baselined.benchmarkSources ?? []
        const otherwise = sources.length > 0 ? `; a candidate no repository benchmark measures is measured by: ${sources.join(", ")} benchmarks` : ""
        if (profile.commands.bench !== null) {
          const bench = baseline.steps.find((s) => s.name === "bench")
          if (bench?.exitCode !== 0) {
            yield* note("validate", `the bench step failed at baseline (${bench?.reason ?? "not run"}): the repository's benchmarks cannot be used${otherwise}`)
          } else if (generated.candidates.length > 0) {
            const none = baselined.benchWarning ? `none — warning: ${baselined.benchWarning}` : "none reported"
            yield* note("validate", `benchmarks: ${baselined.benchmarks.join(", ") || none}${otherwise}`)
          }
        } else if (generated.candidates.length > 0 && sources.length > 0) {
          yield* note("validate", `no bench command${otherwise}`)
        }

        const accepted: Array<Accepted> = []
        /** One validate call per candidate, whatever its source; accepted ones wait for package. */
        const validateOne = (candidate: Candidate, at: Call) =>
          Effect.gen(function* () {
            const validation = yield* call(stages.validate, at, { run, profile, baseline: baselined, candidate }, fns.validate, record.validate)
            attempts.push(validation.attempt)
            yield* note("validate", `  → ${validation.attempt.reason.split("\n")[0]}`)
            if (validation.attempt.status === "accepted" && accepted.length < budget.proposals) {
              const opportunity = scanned.opportunities.find((o) => o.id === candidate.opportunityId)
              accepted.push({ candidate, validation, trace: [...attempts], opportunityRisk: opportunity?.risk ?? null })
            }
            return validation
          })
        const count = generated.candidates.length
        const agent = fns.agent
        for (const [i, candidate] of generated.candidates.entries()) {
          yield* note("validate", `[${i + 1}/${count}] ${candidate.title}`)
          // with an agent, its call (after these) closes the stage
          yield* validateOne(candidate, { key: `validate/${i}`, index: i, first: i === 0, last: agent === undefined && i === count - 1 })
        }

        // The LLM agent, when the stages have one: one call (durable as a whole: a resumed run replays
        // what it did instead of calling the models again), its candidates validated by the same
        // validate function and then taking the same package path. A prompted task's run has the
        // agent as its only patch source.
        if (agent === undefined && run.task) {
          return yield* Effect.fail(internal("the run carries a prompted task, but these stages have no LLM agent to write its patch"))
        }
        if (agent !== undefined) {
          const input: AgentStageInput = { run, profile, baseline: baselined, opportunities: scanned.opportunities }
          const at: Call = { key: "validate/llm", index: count, first: count === 0, last: true }
          // the agent speaks core's errors; a host's own (from its recorder) reaches it as one
          const asRatchet = (e: RatchetError | E): RatchetError => (e instanceof RatchetError ? e : internal(`recording failed: ${e instanceof Error ? e.message : String(e)}`, e))
          const work = Effect.suspend(() => {
            const outcomes: Array<AgentOutcome> = []
            return agent(
              { run, profile, opportunities: scanned.opportunities },
              {
                validate: (candidate) =>
                  Effect.gen(function* () {
                    const index = count + outcomes.length
                    const validateInput: ValidateInput = { run, profile, baseline: baselined, candidate }
                    const validation = yield* fns.validate(validateInput)
                    if (record.validate !== undefined) {
                      yield* record.validate(validation, { call: { key: `validate/llm/${index}`, index, first: false, last: false }, input: validateInput }).pipe(
                        Effect.mapError(asRatchet)
                      )
                    }
                    outcomes.push({ _tag: "validated", candidate, validation })
                    yield* note("validate", `  → ${validation.attempt.reason.split("\n")[0]}`)
                    return validation
                  }),
                reject: (attempt) =>
                  Effect.gen(function* () {
                    outcomes.push({ _tag: "rejected", attempt })
                    yield* note("patchgen", `  → ${attempt.reason.split("\n")[0]}`)
                  }),
                onProgress: (message) => {
                  Effect.runSync(note("patchgen", message))
                },
                ...(options.shouldStop !== undefined ? { stop: options.shouldStop } : {})
              }
            ).pipe(Effect.map((summary): AgentOutput => ({ llm: summary, outcomes })))
          })
          const recordAgent = record.agent
          const done = yield* executor.run(agentStage, at, recordAgent === undefined ? work : Effect.tap(work, (output) => recordAgent(output, { call: at, input })))
          llm = done.llm
          for (const outcome of done.outcomes) {
            if (outcome._tag === "rejected") {
              attempts.push(outcome.attempt)
              continue
            }
            attempts.push(outcome.validation.attempt)
            if (outcome.validation.attempt.status === "accepted" && accepted.length < budget.proposals) {
              const opportunity = scanned.opportunities.find((o) => o.id === outcome.candidate.opportunityId)
              accepted.push({ candidate: outcome.candidate, validation: outcome.validation, trace: [...attempts], opportunityRisk: opportunity?.risk ?? null })
            }
          }
        }

        const packaged = yield* call(stages.package, single("package"), { run, accepted }, fns.package, record.package)
        yield* note("package", `${packaged.proposals.length} proposals`)
        return { report: report(packaged.proposals), stopped: null, scanned, generated }
      }),
      fns.release(run.runId)
    )
  })

/**
 * Options of {@link run}.
 *
 * @since 0.1.0
 */
export interface RunOptions {
  /** The repository: a local path (or git URL where the Workspace adapter supports it). */
  readonly source: string
  /**
   * A config to use as is (an embedding application's, or `ratchet run --config`). Without one, the
   * repository's own `ratchet.config.*` is loaded once, from a checkout of the commit the run works at.
   */
  readonly config?: ResolvedConfig
  /** Validate at most this many candidates (and at most the config's `budget.candidates`; default 10). */
  readonly budgetCandidates?: number
  readonly runId?: string
  /** Reads test results (`@ratchet/runner`'s `Baseline.testAdapter`). */
  readonly testAdapter?: Baseline.TestAdapter
  readonly onProgress?: (progress: Progress) => void
  /**
   * The LLM agent as a second patch source (after the templates): its models, settings, the daily
   * ledger, and whether to profile first (default `true`). Absent: the run is template-only.
   *
   * @since 0.2.0
   */
  readonly llm?: AgentOptions
  /**
   * A prompted task whose plan was decided GO (`Task.plan`): the agent (`llm`, required) writes the
   * planned change as the run's only candidate, which takes the same validate → package path.
   *
   * @since 0.2.0
   */
  readonly task?: TaskSpec
}

/**
 * Runs the whole pipeline in process and returns the `RunReport` of `ratchet run --json`.
 *
 * @since 0.1.0
 */
export const run = Effect.fn("Pipeline.run")(function* (options: RunOptions) {
  const runId = options.runId ?? `run-${randomUUID().slice(0, 8)}`
  const composed = yield* compose(
    {
      run: { runId, source: options.source, configFile: null, ...(options.task ? { task: options.task } : {}) },
      budget: { candidates: options.budgetCandidates },
      onProgress: (p) => Effect.sync(() => options.onProgress?.(p))
    },
    direct
  ).pipe(
    Effect.provide(
      Stages.layer({
        ...(options.config ? { config: options.config } : {}),
        ...(options.testAdapter ? { testAdapter: options.testAdapter } : {}),
        ...(options.llm ? { agent: options.llm } : {})
      })
    )
  )
  return composed.report
}) satisfies (options: RunOptions) => Effect.Effect<RunReport, RatchetError, Ports>

