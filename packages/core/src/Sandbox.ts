/**
 * The `Sandbox` port: runs an untrusted command with limits and returns what happened.
 * Adapters live elsewhere (`@ratchet/runner` provides the local one).
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import type { RatchetError } from "./RatchetError.js"

/**
 * Resource limits. Every field is optional; adapters apply what the OS allows.
 *
 * @since 0.1.0
 */
export interface Limits {
  readonly cpuSeconds?: number
  readonly maxProcesses?: number
  readonly maxFileBytes?: number
  readonly memoryBytes?: number
}

/**
 * What to run.
 *
 * @since 0.1.0
 */
export interface RunOptions {
  /** A shell command line (run by `sh -c`). */
  readonly command: string
  /** Absolute working directory. */
  readonly cwd: string
  /** Extra environment variables (added to the scrubbed allow-listed environment). */
  readonly env?: Readonly<Record<string, string>>
  readonly timeoutMs?: number
  /** Cap on captured output; head and tail are kept. */
  readonly maxOutputBytes?: number
  /** `false` cuts the network off where the OS allows it. Default `true`. */
  readonly network?: boolean
  readonly limits?: Limits
  /** A label for logs and traces, e.g. `install`. */
  readonly label?: string
  /**
   * Directories the command may write (the workspace). Adapters that run commands as a dedicated
   * user give it these; the first one also identifies the workspace. Default: `[cwd]`.
   */
  readonly writable?: ReadonlyArray<string>
}

/**
 * What happened.
 *
 * @since 0.1.0
 */
export interface RunResult {
  readonly command: string
  readonly cwd: string
  readonly exitCode: number | null
  readonly signal: string | null
  readonly timedOut: boolean
  readonly durationMs: number
  readonly cpuMs: number | null
  readonly peakMemoryBytes: number | null
  /** Combined stdout and stderr, capped. */
  readonly output: string
  readonly stdout: string
  readonly stderr: string
  /** Bytes dropped from the middle of the output by the cap. */
  readonly droppedBytes: number
  /** Warnings from the sandbox itself (e.g. network isolation unavailable). */
  readonly warnings: ReadonlyArray<string>
  /**
   * How the command's environment was set up, for logs (e.g. `node 20.11.1 … (.nvmrc)`, `CI=true (GitHub Actions)`).
   *
   * @since 0.2.0
   */
  readonly notes?: ReadonlyArray<string>
}

/**
 * Runs commands in isolation.
 *
 * @since 0.1.0
 */
export class Sandbox extends Context.Service<
  Sandbox,
  {
    readonly run: (options: RunOptions) => Effect.Effect<RunResult, RatchetError>
  }
>()("@ratchet/core/Sandbox") {
  /**
   * A scripted sandbox for tests: `script` maps a command to its result; unknown commands exit 127.
   *
   * @since 0.1.0
   */
  static readonly layerTest = (
    script: (options: RunOptions) => Partial<RunResult> | undefined = () => undefined
  ): Layer.Layer<Sandbox> =>
    Layer.succeed(Sandbox, {
      run: (options) =>
        Effect.sync(() => {
          const partial = script(options)
          const base: RunResult = {
            command: options.command,
            cwd: options.cwd,
            exitCode: partial ? 0 : 127,
            signal: null,
            timedOut: false,
            durationMs: 0,
            cpuMs: null,
            peakMemoryBytes: null,
            output: partial ? "" : `sh: ${options.command}: not found`,
            stdout: "",
            stderr: "",
            droppedBytes: 0,
            warnings: []
          }
          return { ...base, ...partial }
        })
    })
}
