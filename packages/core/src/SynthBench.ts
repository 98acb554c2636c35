/**
 * Synthesized microbenchmarks: proof for a change to a function *f* that no repository benchmark measures.
 *
 * 1. **Capture** — the repository's tests run once in a throwaway copy of the baseline where *f* is
 *    instrumented and a Node `--import` hook records the arguments and outcome of up to 200 calls (≤ 1 MB
 *    each, `v8.serialize`); a call with a function, a class instance or another value that is not plain data
 *    is recorded as not replayable.
 * 2. **Equivalence** — every replayable call is replayed in fresh processes against the original and the
 *    candidate; results (or thrown error types and messages) and the arguments after the call must be
 *    structurally identical (`util.isDeepStrictEqual`: Map, Set, Date, typed arrays, NaN, -0). A call whose
 *    replay on the original differs from what the tests saw depends on something else (time, randomness,
 *    `this`) and is left out.
 * 3. **Timing** — a generated harness times the calls on the original and the candidate, interleaved in fresh
 *    processes, through the same statistics gate as repository benchmarks.
 *
 * `@ratchet/runner`'s `Synth.layer` implements the port. A validation loop (templates, the LLM agent's
 * repair rounds) calls {@link SynthBench} directly:
 *
 * @example
 * ```ts
 * import { SynthBench } from "@ratchet/core"
 *
 * const synth = yield* SynthBench.SynthBench
 * const capture = yield* synth.capture({ workspace: baseline, profile, target: { file: "src/parse.ts", name: "parse" } })
 * const same = yield* synth.equivalence({ capture, baseline, candidate })
 * if (same.verdict === "different") console.log(same.reason) // names the first differing call
 * ```
 *
 * @since 0.2.0
 */
import { Context, Effect, Layer } from "effect"
import type { BenchmarkResult } from "./BenchmarkResult.js"
import * as EvidenceSchema from "./internal/synth/evidence.js"
import { addedCaches, changedFunctions, instrumentForCapture } from "./internal/synth/source.js"
import { synthesizedSource } from "./internal/validate/synthesized.js"
import type { ArtifactRef } from "./Proposal.js"
import type { RatchetError } from "./RatchetError.js"
import type { RepoProfile } from "./RepoProfile.js"
import { BenchmarkSources } from "./Validate.js"
import type { WorkspaceHandle } from "./Workspace.js"

/**
 * A module-level function, by file (relative to the workspace root) and name.
 *
 * @since 0.2.0
 */
export interface Target {
  readonly file: string
  readonly name: string
}

/**
 * What the capture run recorded for one function.
 *
 * @since 0.2.0
 */
export interface Capture {
  readonly target: Target
  /** Calls recorded (at most the limit, 200 by default). */
  readonly calls: number
  /** Calls whose arguments and outcome are plain data, so they can be replayed. */
  readonly replayable: number
  /** The tests the calls came from (`file > name` where the runner tells, else the test file). */
  readonly tests: ReadonlyArray<string>
  /** Why the other calls cannot be replayed, with counts. */
  readonly notReplayable: ReadonlyArray<{ readonly reason: string; readonly count: number }>
  /**
   * The generated harness with the captured calls inside (a host path), re-run with
   * `node <harness> <baseline checkout> <candidate checkout>`; `null` when nothing was captured.
   */
  readonly harness: string | null
  /** What went wrong or was limited (the test run failed, calls over the size limit, …). */
  readonly warnings: ReadonlyArray<string>
}

/**
 * The first call on which the candidate behaves differently.
 *
 * @since 0.2.0
 */
export interface CallDifference {
  /** Index of the call in capture order (0-based). */
  readonly call: number
  readonly test: string | null
  /** The arguments, shown with `util.inspect` (shortened). */
  readonly args: string
  /** `result`, `thrown error`, `completion` (returned vs threw) or `argument N after the call`. */
  readonly what: string
  readonly original: string
  readonly candidate: string
}

/**
 * The outcome of replaying the captured calls on original and candidate.
 *
 * @since 0.2.0
 */
export interface Equivalence {
  /** `unproven`: no call could be replayed (or the replay itself failed), so nothing is shown either way. */
  readonly verdict: "equivalent" | "different" | "unproven"
  /** Calls compared. */
  readonly compared: number
  /** Calls left out because their replay on the original differs from what the tests saw. */
  readonly nondeterministic: number
  readonly difference: CallDifference | null
  readonly reason: string
}

/**
 * `repeated`: every captured call, in capture order, over and over in one process (what a benchmark that
 * repeats its inputs measures). `distinct`: each distinct input once per pass, on a fresh instance of the
 * module (new module-level state), so a cache across calls never hits.
 *
 * @since 0.2.0
 */
export type Mode = "repeated" | "distinct"

/**
 * A timed comparison on the captured calls.
 *
 * @since 0.2.0
 */
export interface Comparison {
  readonly mode: Mode
  readonly verdict: "faster" | "slower" | "not-faster" | "failed"
  readonly result: BenchmarkResult | null
  readonly reason: string
}

/**
 * Options of `SynthBench.capture`.
 *
 * @since 0.2.0
 */
export interface CaptureOptions {
  /** The baseline workspace (its installed dependencies are reused by the capture copy). */
  readonly workspace: WorkspaceHandle
  /** The source the workspace was prepared from (for a throwaway copy at the same commit). */
  readonly source: string
  readonly profile: RepoProfile
  readonly target: Target
  /** Calls to record. Default 200. */
  readonly maxCalls?: number
  /** Largest recorded call (serialised arguments and outcome). Default 1 MiB. */
  readonly maxCallBytes?: number
}

/**
 * The synthesized-benchmark port.
 *
 * @since 0.2.0
 */
export class SynthBench extends Context.Service<
  SynthBench,
  {
    /** Runs the tests with the capture hook and returns what was recorded for the target (cached per commit and target). */
    readonly capture: (options: CaptureOptions) => Effect.Effect<Capture, RatchetError>
    /** Replays every replayable call on the original and the candidate checkout and compares them. */
    readonly equivalence: (options: {
      readonly capture: Capture
      readonly baseline: WorkspaceHandle
      readonly candidate: WorkspaceHandle
    }) => Effect.Effect<Equivalence, RatchetError>
    /** Times original against candidate on the captured calls, interleaved, through the statistics gate. */
    readonly compare: (options: {
      readonly capture: Capture
      readonly baseline: WorkspaceHandle
      readonly candidate: WorkspaceHandle
      readonly mode: Mode
      readonly threshold: number
      readonly maxRounds?: number
      /** False-positive budget of this comparison (split it when several are tested). Default 0.05. */
      readonly alpha?: number
    }) => Effect.Effect<Comparison, RatchetError>
    /** Stores the harness (with its captured calls) as an artifact. */
    readonly artifact: (capture: Capture) => Effect.Effect<ArtifactRef | null, RatchetError>
  }
>()("@ratchet/core/SynthBench") {
  /**
   * For tests: fixed answers.
   *
   * @since 0.2.0
   */
  static readonly layerTest = (answers: {
    readonly capture: (options: CaptureOptions) => Capture
    readonly equivalence?: (capture: Capture) => Equivalence
    readonly compare?: (capture: Capture, mode: Mode) => Comparison
  }): Layer.Layer<SynthBench> =>
    Layer.succeed(SynthBench, {
      capture: (options) => Effect.sync(() => answers.capture(options)),
      equivalence: ({ capture }) =>
        Effect.sync(
          () =>
            answers.equivalence?.(capture) ?? { verdict: "equivalent", compared: capture.replayable, nondeterministic: 0, difference: null, reason: "equivalent" }
        ),
      compare: ({ capture, mode }) =>
        Effect.sync(() => answers.compare?.(capture, mode) ?? { mode, verdict: "not-faster", result: null, reason: "no comparison scripted" }),
      artifact: () => Effect.succeed(null)
    })
}

/**
 * The module-level functions a diff changes, read from the original files, and why other changed lines have
 * no target (class methods, module-level code).
 *
 * @since 0.2.0
 */
export const targetsOf = (
  diff: string,
  readOriginal: (file: string) => string | null
): { readonly targets: ReadonlyArray<Target & { readonly line: number }>; readonly skipped: ReadonlyArray<string> } =>
  changedFunctions(diff, readOriginal)

/**
 * Instruments a file for capture: calls to the named module-level functions go through the capture runtime
 * loaded from `hookPath` (installed in each test process by the `--import` hook, or loaded on first call in
 * workers and test environments that have their own globals), and each function is registered for replay.
 *
 * @since 0.2.0
 */
export const instrument = (
  source: string,
  file: string,
  names: ReadonlyArray<string>,
  hookPath: string
): ReturnType<typeof instrumentForCapture> => instrumentForCapture(source, file, names, hookPath)

/**
 * Module-level caches (collections that keep entries from one call to the next) a candidate adds to a file.
 *
 * @since 0.2.0
 */
export const cachesAdded = (original: string, candidate: string, file: string): ReadonlyArray<string> => addedCaches(original, candidate, file)

const shortList = (items: ReadonlyArray<string>, max = 3): string =>
  items.length <= max ? items.join(", ") : `${items.slice(0, max).join(", ")} and ${items.length - max} more`

/**
 * The plain words for the evidence: what a synthesized benchmark measured.
 *
 * @since 0.2.0
 */
export const describe = (capture: Capture, compared?: number): string =>
  `synthesized benchmark from ${compared ?? capture.replayable} captured call(s) of ${capture.target.name} (${capture.target.file}) from test(s) ${
    capture.tests.length > 0 ? shortList(capture.tests) : "unknown"
  }`

/**
 * The first differing call, for people.
 *
 * @since 0.2.0
 */
export const formatDifference = (d: CallDifference): string =>
  `call #${d.call + 1}${d.test ? ` (from test ${d.test})` : ""} with arguments ${d.args}: ${d.what} differs — original ${d.original}, candidate ${d.candidate}`

/**
 * What a synthesized benchmark showed for one changed function: the calls captured (and from which tests),
 * why others could not be replayed, the equivalence check with its first differing call, the timings on
 * repeated and on distinct inputs, and the harness to re-run it. Validate returns it (`Validation.synthesized`)
 * and `evidence.json` reports it.
 *
 * @since 0.2.0
 */
export const Evidence = EvidenceSchema.Evidence
/** @since 0.2.0 */
export type Evidence = typeof Evidence.Type

/**
 * Synthesized benchmarks as validate's benchmark source (`Validate.BenchmarkSources`), on the
 * {@link SynthBench} port: a performance candidate that no repository benchmark measures is proven — or
 * refuted — on the calls the tests make to the functions it changes. Both `ratchet run` and the server
 * provide it next to their ports. (`BenchmarkSources` is a reference with a default, so the layer's output type
 * is `never`: it replaces the default for what it is provided to.)
 *
 * @example
 * ```ts
 * import { SynthBench } from "@ratchet/core"
 * import { Synth } from "@ratchet/runner"
 * import { Layer } from "effect"
 *
 * const proofs = SynthBench.benchmarkSources.pipe(Layer.provideMerge(Synth.layer))
 * ```
 *
 * @since 0.2.0
 */
export const benchmarkSources: Layer.Layer<never, never, SynthBench> = Layer.effect(
  BenchmarkSources,
  Effect.gen(function* () {
    return [synthesizedSource(yield* SynthBench)]
  })
)
