/**
 * The `BenchRunner` port: measures baseline against candidate, interleaved in fresh processes.
 * `@ratchet/runner` provides the real one (benchmark adapters + sequential statistics).
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import type { BenchmarkResult } from "./BenchmarkResult.js"
import type { BenchmarkAdapter } from "./Plugin.js"
import type { RatchetError } from "./RatchetError.js"
import type { RepoProfile } from "./RepoProfile.js"
import type { WorkspaceHandle } from "./Workspace.js"

/**
 * A comparison verdict per benchmark.
 *
 * @since 0.1.0
 */
export interface BenchComparison {
  readonly result: BenchmarkResult
  /** `faster`: the whole CI lies beyond the threshold and p < alpha; `slower`: the mirror image. */
  readonly verdict: "faster" | "slower" | "not-faster"
}

/** @since 0.1.0 */
export interface CompareOptions {
  readonly baseline: WorkspaceHandle
  readonly candidate: WorkspaceHandle
  readonly profile: RepoProfile
  /** Only these benchmark names matter (others are measured but not tested); empty means all. */
  readonly benchmarks: ReadonlyArray<string>
  /** Minimum relative speedup (e.g. 0.03). */
  readonly threshold: number
  readonly maxRounds?: number
  /** Benchmark adapters from the config's plugins, tried before the built-in ones. */
  readonly adapters?: ReadonlyArray<BenchmarkAdapter>
}

/**
 * Options of `BenchRunner.list`.
 *
 * @since 0.2.0
 */
export interface ListOptions {
  /** Benchmark adapters from the config's plugins, tried before the built-in ones. */
  readonly adapters?: ReadonlyArray<BenchmarkAdapter>
}

/**
 * Compares benchmarks.
 *
 * @since 0.1.0
 */
export class BenchRunner extends Context.Service<
  BenchRunner,
  {
    /** Names of the benchmarks the profile's bench command reports (one run on the baseline), or `[]`. */
    readonly list: (workspace: WorkspaceHandle, profile: RepoProfile, options?: ListOptions) => Effect.Effect<ReadonlyArray<string>, RatchetError>
    /**
     * Like `list`, plus a warning that names the bench command when it ran but no adapter could read its output
     * (optional for adapters; `@ratchet/runner`'s has it).
     *
     * @since 0.2.0
     */
    readonly inspect?: (
      workspace: WorkspaceHandle,
      profile: RepoProfile,
      options?: ListOptions
    ) => Effect.Effect<{ readonly names: ReadonlyArray<string>; readonly warning: string | null }, RatchetError>
    readonly compare: (options: CompareOptions) => Effect.Effect<ReadonlyArray<BenchComparison>, RatchetError>
  }
>()("@ratchet/core/BenchRunner") {
  /**
   * For tests: fixed benchmark names and a function giving each comparison.
   *
   * @since 0.1.0
   */
  static readonly layerTest = (
    names: ReadonlyArray<string>,
    compare: (options: CompareOptions) => ReadonlyArray<BenchComparison>
  ): Layer.Layer<BenchRunner> =>
    Layer.succeed(BenchRunner, {
      list: () => Effect.succeed(names),
      compare: (options) => Effect.sync(() => compare(options))
    })
}
