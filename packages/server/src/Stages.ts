/**
 * The pipeline stages as the server runs them: one method per stage, JSON in
 * and JSON out, so each can be executed as a durable workflow activity whose
 * result is stored and replayed after a restart.
 *
 * @since 0.1.0
 */
import { resolve } from "node:path"
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
  /** Policy limits set on the server for the repository (`null`: none); the stricter of these and the repository's config applies. */
  readonly policy?: { readonly maxFiles: number | null; readonly maxLines: number | null } | undefined
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
  setup: Schema.Boolean,
  /** What the stage recorded before it failed (e.g. a failed baseline's steps and logs), stored with the stage. */
  output: Schema.optionalKey(Schema.Json)
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
   * The real stages: `@ratchet/core`'s detect, baseline, scan, patchgen, validate and package on
   * the adapters `ratchet run` uses (git worktrees, the local sandbox, the benchmark runner, the
   * policy engine), with the repository's `ratchet.config.*` honoured and everything Ratchet writes
   * (worktrees, mirrors, dependency cache, artifacts) under `stateDir` — the server's data
   * directory; `memory://` uses a temporary directory removed on shutdown.
   *
   * - `detect` outputs the `RepoProfile`.
   * - `baseline` prepares the baseline workspace and runs install, build, typecheck, test and bench
   *   in it; it fails (a setup failure) when no candidate could be proven there (no test command,
   *   install or build broken, no passing test). It outputs `{ workspace, commit, baseline }`.
   * - `scan` and `patchgen` run on that workspace; patchgen keeps at most `candidatesPerRun`
   *   candidates (and the config's `budget.candidates`).
   * - `validate` validates each candidate and outputs every attempt with its status and reason,
   *   plus the full validation of the accepted ones.
   * - `package` packages up to `proposalsPerRun` accepted candidates (and the config's
   *   `budget.proposals`) as proposals with their diff and evidence.
   *
   * The baseline workspace is held in this process between stages; a stage that does not find it
   * (after a restart) prepares it again at the recorded commit and re-runs the baseline there.
   * The pipeline's code is loaded when the layer is built, so the fake stages do not need it.
   *
   * @since 0.1.0
   */
  static readonly layer = (options: { readonly stateDir: string }): Layer.Layer<Stages> =>
    Layer.unwrap(
      Effect.tryPromise({
        try: () => import("./internal/stages.js"),
        catch: (e) => e
      }).pipe(
        Effect.map((real) => real.layer(options)),
        Effect.catch((e) => Effect.succeed(unavailable(`cannot load the pipeline: ${e instanceof Error ? e.message : String(e)}`)))
      )
    )
}

const stageNames = ["detect", "baseline", "scan", "patchgen", "validate", "package"] as const

// Stages that all fail with the same reason (the pipeline's code could not be loaded).
const unavailable = (detail: string): Layer.Layer<Stages> =>
  Layer.succeed(
    Stages,
    Stages.of(Object.fromEntries(stageNames.map((name) => [name, () => Effect.fail(new StageFailure({ stage: name, detail, setup: setupStages.has(name) }))])) as unknown as Stages["Service"])
  )

/**
 * Picks the stage layer from `RATCHET_STAGES`: `fake` (with
 * `RATCHET_FAKE_STAGE_MS`, `RATCHET_FAKE_FAIL_STAGE`) or the real ones, working
 * under `options.stateDir` (default `$RATCHET_HOME`, else `.ratchet`).
 *
 * @since 0.1.0
 */
export const layerFromEnv = (
  env: Record<string, string | undefined> = process.env,
  options: { readonly stateDir: string } = { stateDir: resolve(env.RATCHET_HOME ?? ".ratchet") }
): Layer.Layer<Stages> =>
  env.RATCHET_STAGES === "fake"
    ? Stages.layerTest({
      delay: Duration.millis(Number(env.RATCHET_FAKE_STAGE_MS ?? 20)),
      failAt: env.RATCHET_FAKE_FAIL_STAGE
    })
    : Stages.layer(options)
