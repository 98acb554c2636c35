/**
 * The local `Sandbox` backend: runs untrusted repository commands with `execa`.
 *
 * - wall-clock timeout with a kill of the whole process tree (process group, descendants, and
 *   when running as root every process of a dedicated per-workspace uid); with that uid the step ends
 *   once init has reaped what was killed (RLIMIT_NPROC counts zombies; some inits reap late);
 * - output capped, keeping head and tail and saying how much was dropped;
 * - environment scrubbed to an allow-list (no `*_TOKEN`, `*_KEY`, `DATABASE_URL`, …);
 * - `prlimit` limits: processes (RLIMIT_NPROC), CPU seconds, file size, no core dumps. Memory is
 *   limited without RLIMIT_AS (which breaks V8): node's old-space is capped via `NODE_OPTIONS` and
 *   the tree's RSS is watched and killed past the limit;
 * - as root, commands run as an unprivileged uid (`setpriv`, one per workspace) because Linux never
 *   enforces RLIMIT_NPROC for root. That uid is given the workspace (`RunOptions.writable`, default
 *   `cwd`) with `lchown` — symlink targets and hard-linked files are never handed over — and
 *   shared directories (`/`, top-level directories, anything containing the temp or home directory
 *   or the host's working directory) are refused with `BadInput`;
 * - offline steps (every step that does not ask for `network: true`) run in a fresh network
 *   namespace (`unshare --net`, loopback up); where the OS refuses, the step is refused
 *   (`RunResult.refused`) unless the operator allowed it (`allowNetwork`), and then a warning is
 *   logged once and recorded in `RunResult.warnings`;
 * - steps with `network: true` (install) get the network through Ratchet's filtering egress proxy
 *   in a namespace of their own (see `egress`), or the host's network with `egress: "host"`;
 * - a faithful environment: no colour variables are forced, `CI=true` only when the repository's CI sets
 *   it (GitHub Actions, GitLab, CircleCI, … configuration found up to the `.git` directory), and `node`
 *   is the version the repository asks for (`volta.node`, `.nvmrc`, `.node-version`, `.tool-versions`,
 *   `devEngines.runtime`, `engines.node`): Ratchet's own or the host's when they satisfy it, else that
 *   version installed once from the npm registry's `node` package into the tools directory. What was
 *   chosen is in `RunResult.notes`;
 * - each result records command, cwd, exit code or signal, wall time, CPU time and peak memory.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sandbox } from "@ratchet/core"
 * import { LocalSandbox } from "@ratchet/runner"
 *
 * const program = Effect.gen(function* () {
 *   const sandbox = yield* Sandbox.Sandbox
 *   return yield* sandbox.run({ command: "npm test", cwd: "/tmp/repo", timeoutMs: 60_000 })
 * }).pipe(Effect.provide(LocalSandbox.layer))
 * ```
 *
 * @since 0.1.0
 */
import { type Context, type Effect, Layer } from "effect"
import { Sandbox } from "@ratchet/core"
import { type Capabilities, probe } from "./internal/isolation.js"
import { type EgressOption, egressPolicy, make as makeSandbox } from "./internal/sandbox.js"

/**
 * Options of the local sandbox.
 *
 * @since 0.1.0
 */
export interface LocalSandboxOptions {
  /** The host environment the allow-list is taken from. Default `process.env`. */
  readonly hostEnv?: NodeJS.ProcessEnv
  /** Override the probed OS capabilities (tests use it to simulate a host without namespaces). */
  readonly capabilities?: Partial<Capabilities>
  /**
   * Install pnpm, yarn or deno (the version the repository names: `packageManager`, `.dvmrc`, …), and
   * the Node.js version the repository asks for, from the npm registry when the host lacks them.
   * Default `true`.
   */
  readonly provisionTools?: boolean
  /** Where provisioned tools are kept. Default `$TMPDIR/ratchet-tools-<uid>`. */
  readonly toolsDir?: string
  /**
   * Let offline steps (everything but install) run with the network when this host cannot cut it off.
   * Default `false`: such a step is refused (`RunResult.refused`) and nothing runs.
   *
   * @since 0.2.0
   */
  readonly allowNetwork?: boolean
  /**
   * How steps that need the network (install) reach it: through Ratchet's filtering proxy (default:
   * any public host on ports 80 and 443, never loopback or private addresses; `{ allow: [...] }`
   * for only the listed hosts), or `"host"` for the host's network unfiltered. Filtering needs a
   * network namespace; without one the step has the host's network and a warning says so.
   *
   * @since 0.2.0
   */
  readonly egress?: EgressOption
}

/**
 * What the OS lets the local sandbox do here (probed once).
 *
 * @since 0.1.0
 */
export const capabilities = (): Capabilities => probe()

/**
 * Builds a local sandbox service.
 *
 * @since 0.1.0
 */
export const make = (options: LocalSandboxOptions = {}): Effect.Effect<Context.Service.Shape<typeof Sandbox.Sandbox>> =>
  makeSandbox("LocalSandbox", options, () => ({ kind: "local", egress: egressPolicy(options.egress) }))

/**
 * The local sandbox as a layer.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<Sandbox.Sandbox> = Layer.effect(Sandbox.Sandbox, make())

/**
 * A local sandbox with options (e.g. a different host environment).
 *
 * @since 0.1.0
 */
export const layerWith = (options: LocalSandboxOptions): Layer.Layer<Sandbox.Sandbox> => Layer.effect(Sandbox.Sandbox, make(options))
