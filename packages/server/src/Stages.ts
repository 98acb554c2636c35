/**
 * The pipeline stages as the server runs them: one method per stage, JSON in
 * and JSON out, so each can be executed as a durable workflow activity whose
 * result is stored and replayed after a restart.
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Layer, Schema } from "effect"

/**
 * What every stage receives: the run, the repository, its budgets, and the
 * outputs of the stages before it (keyed by stage name).
 *
 * @since 0.1.0
 */
export interface StageInput {
  readonly runId: string
  readonly repo: {
    readonly id: string
    readonly name: string
    readonly url: string | null
    readonly path: string | null
    readonly defaultBranch: string
  }
  readonly budgets: { readonly candidatesPerRun: number; readonly proposalsPerRun: number }
  readonly provider: string | null
  readonly model: string | null
  readonly previous: Readonly<Record<string, Schema.Json>>
}

/**
 * A stage that failed. `setup` marks failures of the setup stages (detect,
 * baseline), which count towards auto-pausing the repository.
 *
 * @since 0.1.0
 */
export class StageFailure extends Schema.TaggedError<StageFailure>()("StageFailure", {
  stage: Schema.String,
  detail: Schema.String,
  setup: Schema.Boolean
}) {
  override get message(): string {
    return `${this.stage} failed: ${this.detail}`
  }
}

/**
 * A proposal as the package stage emits it.
 *
 * @since 0.1.0
 */
export interface ProposalDraft {
  readonly id: string
  readonly title: string
  readonly diff: string
  readonly files: ReadonlyArray<string>
  readonly [key: string]: Schema.Json
}

type StageFn = (input: StageInput) => Effect.Effect<Schema.Json, StageFailure>

const setupStages = new Set(["detect", "baseline"])

const failure = (stage: string) => (e: { readonly message: string }) =>
  new StageFailure({ stage, detail: e.message, setup: setupStages.has(stage) })

/**
 * Options of the deterministic fake stages.
 *
 * @since 0.1.0
 */
export interface FakeOptions {
  /** Time each stage takes (through `Clock`, so `TestClock` controls it). */
  readonly delay?: Duration.Input
  /** The stage that fails, if any. A repository named `…fail-<stage>…` also fails at that stage. */
  readonly failAt?: string | undefined
  /** Candidates the scan stage finds. */
  readonly candidates?: number
}

/**
 * The stage service.
 *
 * @since 0.1.0
 */
export class Stages extends Context.Service<Stages, {
  readonly detect: StageFn
  readonly baseline: StageFn
  readonly scan: StageFn
  readonly patchgen: StageFn
  readonly validate: StageFn
  readonly package: StageFn
}>()("@ratchet/server/Stages") {
  /**
   * Deterministic fake stages: each waits `delay`, then returns fixed data;
   * `package` emits up to `proposalsPerRun` proposals with a diff.
   *
   * @since 0.1.0
   */
  static readonly layerTest = (options: FakeOptions = {}): Layer.Layer<Stages> => {
    const delay = options.delay ?? Duration.millis(20)
    const found = options.candidates ?? 3
    const stage = (name: string, body: (input: StageInput) => Schema.Json): StageFn => (input) =>
      Effect.sleep(delay).pipe(
        Effect.andThen(options.failAt === name || input.repo.name.includes(`fail-${name}`)
          ? Effect.fail(new StageFailure({ stage: name, detail: `fake ${name} failure`, setup: setupStages.has(name) }))
          : Effect.sync(() => body(input))),
        Effect.withSpan(`Stages.${name}`)
      )
    return Layer.succeed(Stages, Stages.of({
      detect: stage("detect", (i) => ({ root: i.repo.path ?? i.repo.url ?? "", packageManager: "npm" })),
      baseline: stage("baseline", () => ({ tests: { passed: 10, failed: 0, skipped: 0 } })),
      scan: stage("scan", () => ({
        opportunities: Array.from({ length: found }, (_, n) => ({ id: `opp_${n}`, rule: "fake-rule", file: `src/f${n}.ts` }))
      })),
      patchgen: stage("patchgen", (i) => {
        const opps = ((i.previous.scan as any)?.opportunities ?? []) as Array<{ id: string; file: string }>
        return { candidates: opps.slice(0, i.budgets.candidatesPerRun).map((o) => ({ id: `cand_${o.id}`, file: o.file })) }
      }),
      validate: stage("validate", (i) => {
        const cands = ((i.previous.patchgen as any)?.candidates ?? []) as Array<{ id: string; file: string }>
        return { attempts: cands.map((c) => ({ id: `att_${c.id}`, candidate: c.id, file: c.file, status: "accepted", reason: "tests pass" })) }
      }),
      package: stage("package", (i) => {
        const attempts = ((i.previous.validate as any)?.attempts ?? []) as Array<{ id: string; file: string }>
        return {
          proposals: attempts.slice(0, i.budgets.proposalsPerRun).map((a) => ({
            id: `prop_${i.runId}_${a.id}`,
            title: `Speed up ${a.file}`,
            files: [a.file],
            diff: `--- a/${a.file}\n+++ b/${a.file}\n@@ -1 +1 @@\n-slow()\n+fast()\n`
          }))
        }
      })
    }))
  }

  /**
   * The real stages from `@ratchet/core`. Where a core stage is not available
   * yet it fails with that stage's own error, and the run fails with that reason.
   *
   * @since 0.1.0
   */
  static readonly layer: Layer.Layer<Stages> = Layer.succeed(Stages, Stages.of({
    detect: (i) =>
      root(i, "detect").pipe(
        Effect.flatMap((dir) => Effect.flatMap(core, (c) => c.Detect.detect(dir))),
        Effect.map((profile) => toJson(profile)),
        Effect.mapError(failure("detect"))
      ),
    baseline: () =>
      Effect.fail(new StageFailure({
        stage: "baseline",
        detail: "the server does not run baselines yet (it needs a Sandbox and Workspace from @ratchet/runner); use `ratchet run` locally",
        setup: true
      })),
    scan: (i) =>
      root(i, "scan").pipe(
        Effect.flatMap((dir) => Effect.flatMap(core, (c) => c.Scan.scan(dir))),
        Effect.map((result) => toJson({ ...result, opportunities: result.opportunities.slice(0, i.budgets.candidatesPerRun) })),
        Effect.mapError(failure("scan"))
      ),
    patchgen: (i) =>
      root(i, "patchgen").pipe(
        Effect.flatMap((dir) =>
          Effect.flatMap(core, (c) => c.Patchgen.patchgen({ root: dir, opportunities: ((i.previous.scan as any)?.opportunities ?? []) }))
        ),
        Effect.map((candidates) => toJson({ candidates: candidates.slice(0, i.budgets.candidatesPerRun) })),
        Effect.mapError(failure("patchgen"))
      ),
    validate: () => Effect.fail(new StageFailure({ stage: "validate", detail: "the server does not validate candidates yet", setup: false })),
    package: () => Effect.fail(new StageFailure({ stage: "package", detail: "the server does not package proposals yet", setup: false }))
  }))
}

const root = (i: StageInput, stage: string): Effect.Effect<string, StageFailure> =>
  i.repo.path !== null
    ? Effect.succeed(i.repo.path)
    : Effect.fail(new StageFailure({
      stage,
      detail: `repository ${i.repo.name} has only a URL (${i.repo.url}); the server runs on local paths so far — connect it with "path"`,
      setup: setupStages.has(stage)
    }))

// Loaded on first use, so the fake stages (and the server's own tests) do not depend on the pipeline's code.
const core: Effect.Effect<typeof import("@ratchet/core"), { readonly message: string }> = Effect.tryPromise({
  try: () => import("@ratchet/core"),
  catch: (e) => ({ message: `cannot load @ratchet/core: ${e instanceof Error ? e.message : String(e)}` })
})

const toJson = (value: unknown): Schema.Json => JSON.parse(JSON.stringify(value)) as Schema.Json

/**
 * Picks the stage layer from `RATCHET_STAGES`: `fake` (with
 * `RATCHET_FAKE_STAGE_MS`, `RATCHET_FAKE_FAIL_STAGE`) or the real ones.
 *
 * @since 0.1.0
 */
export const layerFromEnv = (env: Record<string, string | undefined> = process.env): Layer.Layer<Stages> =>
  env.RATCHET_STAGES === "fake"
    ? Stages.layerTest({
      delay: Duration.millis(Number(env.RATCHET_FAKE_STAGE_MS ?? 20)),
      failAt: env.RATCHET_FAKE_FAIL_STAGE
    })
    : Stages.layer
