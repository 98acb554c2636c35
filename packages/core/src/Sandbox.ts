/**
 * The `Sandbox` port: runs an untrusted command with limits and returns what happened.
 * Adapters live elsewhere: `@ratchet/runner` provides `BwrapSandbox` (bubblewrap) and
 * `LocalSandbox`; a container, Kubernetes or CI backend is a layer for this service written
 * anywhere, against the contract below.
 *
 * ## The contract: what a backend must guarantee
 *
 * Every command is repository code or an LLM-written patch: hostile until proven otherwise.
 *
 * 1. **Environment.** The command sees an allow-list of host variables (`PATH`, locale, `TERM`,
 *    `TZ`, `SHELL`, CA bundle paths; proxy variables only with `network: true`), a private
 *    `HOME` and `TMPDIR`, and `RunOptions.env`, minus any secret-looking name (`*TOKEN*`,
 *    `*SECRET*`, `*_KEY`, `*PASSWORD*`, `DATABASE_URL`, …), which is dropped and named in
 *    `warnings`. No secret of the host may reach the command by any other way either (a mounted
 *    credentials file, another process's `/proc/<pid>/environ`).
 * 2. **Files.** The command may write only `RunOptions.writable` (default `[cwd]`). It must not be
 *    able to read the host's Ratchet data (database, keys, tokens, artifacts), the host user's
 *    home (`~/.ssh`), or another workspace.
 * 3. **Network.** Unless `network: true`, the command has no network at all. When a backend cannot
 *    cut it off, it must not run the command: it returns `refused` (exit code `null`) saying why
 *    and what the operator can do — unless the operator explicitly allowed running with the
 *    network, and then `warnings` says so on every result. With `network: true` the backend may
 *    restrict where the command can connect (an allow-list) and reports refused destinations in
 *    `warnings`; it must never expose the host's loopback services unless told to.
 * 4. **Limits.** `timeoutMs` (default 10 minutes) is wall-clock: at the deadline the whole process
 *    tree dies — children, daemons that left the process group, a fork bomb — and `timedOut` is
 *    `true`. `limits` (processes, CPU seconds, file size, memory) are applied where the platform
 *    allows; a memory overrun kills the tree with a `memory limit exceeded` warning. Output is
 *    capped at `maxOutputBytes` keeping the head and the tail, and `droppedBytes` says how much
 *    went missing. Nothing the command leaves behind may outlive `run`.
 * 5. **Outcomes, not errors.** A command that fails, is killed, times out, or runs out of anything
 *    is a `RunResult` (exit code or signal, duration, CPU time and peak memory when known), never a
 *    failed Effect. `run` fails only on bad input (an empty command, a missing `cwd`: `BadInput`)
 *    or when the backend itself breaks (`IoFailure`).
 * 6. **Honesty.** Anything the backend could not enforce on this host goes into `warnings`.
 *
 * The two built-in backends, as examples:
 *
 * | guarantee | `BwrapSandbox` | `LocalSandbox` |
 * |---|---|---|
 * | environment | allow-list, private `HOME`/`/tmp` | allow-list, private `HOME`/`TMPDIR` (the shared `/tmp` stays writable) |
 * | files | a mount namespace with a read-only toolchain and the writable directories only; hidden directories masked | as root: a dedicated uid per workspace that owns only the workspace (0700); otherwise the user's own permissions |
 * | network | a network namespace; install through a filtering egress proxy | `unshare --net` for offline steps, else refused; install through the same proxy |
 * | limits | `prlimit`, the uid, a PID namespace (its init takes every process down), RSS watchdog | `prlimit`, the uid, process-group and uid kill, RSS watchdog |
 *
 * A third-party backend can reuse the hostile-repository suite of `@ratchet/runner`
 * (`test/Sandbox.test.ts`) as its acceptance test.
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
  /**
   * `true` lets the command reach the network (install steps). Anything else means offline: a
   * backend cuts the network off, or refuses the command (`RunResult.refused`) when it cannot.
   * Default `false` (since 0.2.0; it was `true`).
   */
  readonly network?: boolean
  readonly limits?: Limits
  /** A label for logs and traces, e.g. `install`. */
  readonly label?: string
  /**
   * Directories the command may write (the workspace). Adapters that run commands as a dedicated
   * user give it these; the first one also identifies the workspace. Default: `[cwd]`.
   */
  readonly writable?: ReadonlyArray<string>
  /**
   * Which Node.js the command runs on: `"repository"` (the default) — the version the repository
   * asks for (`.nvmrc`, `.node-version`, `engines`, Volta), which a backend may install when the
   * host lacks it; `"ratchet"` — Ratchet's own Node, named by absolute path in the command, with
   * nothing of the repository consulted and nothing installed (Ratchet's own programs, such as the
   * config evaluator).
   *
   * @since 0.2.0
   */
  readonly node?: "repository" | "ratchet"
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
   * Set when the backend refused to run the command at all (e.g. an offline step on a host that
   * cannot cut the network off): why, and what the operator can do. `exitCode` is then `null`.
   *
   * @since 0.2.0
   */
  readonly refused?: string
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
