/**
 * The `Workspace` port: an isolated checkout of a repository at an exact commit.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, type Scope } from "effect"
import type { RatchetError } from "./RatchetError.js"

/**
 * A prepared workspace. It is removed when the scope that prepared it closes.
 *
 * @since 0.1.0
 */
export interface WorkspaceHandle {
  /** Absolute path of the checkout. */
  readonly path: string
  /** The exact commit checked out, or `null` for a non-git source. */
  readonly commit: string | null
  readonly purpose: "baseline" | "candidate"
  /**
   * Installed dependencies: `key` identifies them (lockfile hash and package manager), `reused`
   * says they were linked in from an earlier install so the install step can be skipped.
   */
  readonly dependencies?: { readonly key: string | null; readonly reused: boolean }
  /** Things the caller should know (e.g. the source was not a git repository and was copied). */
  readonly warnings?: ReadonlyArray<string>
}

/**
 * How to prepare a workspace.
 *
 * @since 0.1.0
 */
export interface PrepareOptions {
  /** A local path or a git URL. */
  readonly source: string
  /** A commit-ish; default `HEAD`. */
  readonly commit?: string
  readonly purpose: "baseline" | "candidate"
  /** For candidates: the baseline workspace whose installed dependencies are reused. */
  readonly reuseFrom?: WorkspaceHandle
  /** The package manager, part of the dependency cache key. */
  readonly packageManager?: string
}

/**
 * Creates isolated workspaces.
 *
 * @since 0.1.0
 */
export class Workspace extends Context.Service<
  Workspace,
  {
    readonly prepare: (options: PrepareOptions) => Effect.Effect<WorkspaceHandle, RatchetError, Scope.Scope>
  }
>()("@ratchet/core/Workspace") {
  /**
   * For tests: hands back the source path itself (no copy) and the given commit.
   *
   * @since 0.1.0
   */
  static readonly layerTest: Layer.Layer<Workspace> = Layer.succeed(Workspace, {
    prepare: (options) =>
      Effect.succeed({ path: options.source, commit: options.commit ?? null, purpose: options.purpose })
  })
}
