/**
 * A repository's `ratchet.config.*` as the server reads it: evaluated as data in the sandbox, never
 * imported into the server process (a repository is untrusted code), unless an operator marked the
 * repository `trusted` (then imported here, so its code plugins run). One place for every server
 * path that needs a repository's config outside a run's stages: publishing (the policy the gate
 * re-runs) and planning a prompted task.
 *
 * @internal
 */
import { Config, type Sandbox } from "@ratchet/core"
import { Effect, type Layer } from "effect"
import { internal, invalid, type ServerError } from "../ServerError.js"

/** Where configs are evaluated: the backend the server selected, or else the best available one. */
export interface ConfigSandbox {
  /** The server's backend (`ratchet serve` passes the one it selected). */
  readonly sandbox?: Layer.Layer<Sandbox.Sandbox> | undefined
  /** Directories a step must never see when no backend is given (the data directory). */
  readonly hidden: ReadonlyArray<string>
}

/** The config at `dir`, evaluated as data in the sandbox; a broken or hanging config is bad input naming the repository. */
export const sandboxedConfig = (dir: string, where: ConfigSandbox): Effect.Effect<Config.ResolvedConfig, ServerError> =>
  Effect.gen(function* () {
    const sandbox =
      where.sandbox ??
      (yield* Effect.flatMap(
        Effect.promise(() => import("@ratchet/runner")),
        ({ SandboxBackend }) => SandboxBackend.select({ hidden: [...where.hidden] })
      ).pipe(Effect.mapError((e) => internal(`no sandbox to evaluate the repository's ratchet config in: ${e.message}`, e)))).layer
    const loaded = yield* Config.loadConfigInSandbox(dir).pipe(
      Effect.provide(sandbox),
      Effect.mapError((e) => invalid("repository", `loading the repository's ratchet config: ${e.message}`, e))
    )
    return loaded.config
  })

/**
 * The config at `dir` as the repository's trust allows: imported into this process when `trusted`
 * (its policy plugins run, as in the repository's runs), else {@link sandboxedConfig}.
 */
export const configByTrust = (dir: string, where: ConfigSandbox & { readonly trusted: boolean }): Effect.Effect<Config.ResolvedConfig, ServerError> =>
  where.trusted
    ? Config.loadConfig(dir).pipe(Effect.mapError((e) => invalid("repository", `loading the (trusted) repository's ratchet config: ${e.message}`, e)))
    : sandboxedConfig(dir, where)
