/**
 * The bubblewrap `Sandbox` backend (`bwrap`, Debian/Ubuntu package `bubblewrap`): every step runs
 * in a filesystem of its own, built from read-only binds, in new PID, IPC, UTS and network
 * namespaces, with the same limits, uid and output handling as {@link LocalSandbox}.
 *
 * What a step sees:
 * - read-only: the system toolchain (`/usr`, `/etc`, `/bin`, `/sbin`, `/lib*`, or the same
 *   symlinks on merged-usr systems), the Node.js that runs Ratchet, the `PATH` directories outside
 *   the host user's home, provisioned package managers, CA files named by the environment, and the
 *   workspace's own git metadata (a worktree's admin and common directory);
 * - read-write: the workspace and the other `RunOptions.writable` directories, nothing else;
 * - private: `/tmp` and `$HOME` (fresh, empty directories per step), a new `/proc` (its own
 *   processes only) and a minimal `/dev`;
 * - never: the server's data directory (`hidden`; a bind that would contain it is dropped, one that
 *   lies inside a bind is masked), the host user's home, other workspaces, anything not listed.
 *
 * Processes: `--die-with-parent` (the step dies with Ratchet), `--new-session` (no terminal
 * injection), a PID namespace (killing its init kills every process in it, daemons included).
 * As root, bubblewrap runs privileged without a user namespace and the step drops to a dedicated
 * uid per workspace (`setpriv`), so the process limit holds; otherwise bubblewrap uses an
 * unprivileged user namespace and, where supported, forbids nested ones (`--disable-userns`).
 *
 * Network: offline steps (everything but `network: true`) have only a private loopback. A step with
 * `network: true` (install) also has only that loopback plus Ratchet's filtering egress proxy (any
 * public host on ports 80/443, or the `egress.allow` list; loopback, private and link-local
 * addresses refused unless listed); `egress: "host"` shares the host's network instead.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sandbox } from "@ratchet/core"
 * import { BwrapSandbox } from "@ratchet/runner"
 *
 * const program = Effect.gen(function* () {
 *   const sandbox = yield* Sandbox.Sandbox
 *   return yield* sandbox.run({ command: "npm ci", cwd: "/tmp/ws", network: true })
 * }).pipe(Effect.provide(BwrapSandbox.layerWith({ hidden: ["/var/lib/ratchet"], egress: { allow: ["registry.npmjs.org"] } })))
 * ```
 *
 * @since 0.2.0
 */
import { type Context, Effect, Layer } from "effect"
import { RatchetError, Sandbox } from "@ratchet/core"
import { type Capabilities, probe } from "./internal/isolation.js"
import { type EgressOption, egressPolicy, make as makeSandbox, toolsRoot } from "./internal/sandbox.js"

/**
 * Options of the bubblewrap sandbox.
 *
 * @since 0.2.0
 */
export interface BwrapSandboxOptions {
  /** The host environment the allow-list is taken from. Default `process.env`. */
  readonly hostEnv?: NodeJS.ProcessEnv
  /** Override the probed OS capabilities (tests). */
  readonly capabilities?: Partial<Capabilities>
  /** Install pnpm or yarn when a command needs one the host lacks. Default `true`. */
  readonly provisionTools?: boolean
  /** Where provisioned tools are kept (bound read-only). Default `$TMPDIR/ratchet-tools-<uid>`. */
  readonly toolsDir?: string
  /** Directories no step may see, e.g. the server's data directory. */
  readonly hidden?: ReadonlyArray<string>
  /** How install reaches the network; see `LocalSandboxOptions.egress`. Default: filtered, any public host. */
  readonly egress?: EgressOption
}

/**
 * Whether bubblewrap can build the sandbox here, and why not when it cannot.
 *
 * @since 0.2.0
 */
export const availability = (
  capabilities: Partial<Capabilities> = {}
): { readonly available: true; readonly version: string; readonly privileged: boolean } | { readonly available: false; readonly why: string } => {
  const caps = { ...probe(), ...capabilities }
  return caps.bwrap !== null
    ? { available: true, version: caps.bwrap.version, privileged: caps.bwrap.privileged }
    : { available: false, why: caps.bwrapProblem ?? "bubblewrap is unavailable" }
}

/**
 * Builds a bubblewrap sandbox service; fails with `BadInput` when bubblewrap cannot run here.
 *
 * @since 0.2.0
 */
export const make = (options: BwrapSandboxOptions = {}): Effect.Effect<Context.Service.Shape<typeof Sandbox.Sandbox>, RatchetError.RatchetError> =>
  Effect.suspend(() => {
    const available = availability(options.capabilities)
    if (!available.available) {
      return Effect.fail(
        RatchetError.badInput({
          what: `the bwrap sandbox is not available: ${available.why}`,
          where: "sandbox: bwrap",
          fix: "install bubblewrap (apt-get install bubblewrap) and allow user namespaces, or choose the local sandbox"
        })
      )
    }
    return makeSandbox("BwrapSandbox", options, () => ({
      kind: "bwrap",
      egress: egressPolicy(options.egress),
      hidden: options.hidden ?? [],
      readOnly: [options.toolsDir ?? toolsRoot()]
    }))
  })

/**
 * The bubblewrap sandbox as a layer (no hidden directories; the server passes its data directory).
 *
 * @since 0.2.0
 */
export const layer: Layer.Layer<Sandbox.Sandbox, RatchetError.RatchetError> = Layer.effect(Sandbox.Sandbox, make())

/**
 * A bubblewrap sandbox with options.
 *
 * @since 0.2.0
 */
export const layerWith = (options: BwrapSandboxOptions): Layer.Layer<Sandbox.Sandbox, RatchetError.RatchetError> =>
  Layer.effect(Sandbox.Sandbox, make(options))
