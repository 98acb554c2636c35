/**
 * Choosing the `Sandbox` backend: `bwrap` (bubblewrap, see {@link BwrapSandbox}) or `local` (see
 * {@link LocalSandbox}). By default bubblewrap when it can build a sandbox on this host, else the
 * local backend; either way {@link select} says which one is in force and why, in one line for
 * the operator.
 *
 * The operator chooses, never a repository: `RATCHET_SANDBOX` (`bwrap`, `local` or `auto`),
 * `RATCHET_EGRESS_ALLOW` (comma-separated hosts the install step may reach, e.g.
 * `registry.npmjs.org,*.yarnpkg.com`), `RATCHET_EGRESS=host` (install gets the host's network
 * unfiltered) and `RATCHET_SANDBOX_ALLOW_NETWORK=1` (local backend on a host without network
 * namespaces: let offline steps run with the network instead of refusing them).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SandboxBackend } from "@ratchet/runner"
 *
 * const program = Effect.gen(function* () {
 *   const options = yield* SandboxBackend.optionsFromEnv(process.env)
 *   const chosen = yield* SandboxBackend.select({ ...options, hidden: ["/var/lib/ratchet"] })
 *   console.error(SandboxBackend.describe(chosen)) // "sandbox: bwrap (bubblewrap is available) — …"
 *   return chosen.layer
 * })
 * ```
 *
 * @since 0.2.0
 */
import { Effect, Layer } from "effect"
import { RatchetError, Sandbox } from "@ratchet/core"
import * as BwrapSandbox from "./BwrapSandbox.js"
import { parseAllowList } from "./internal/egress.js"
import { probe } from "./internal/isolation.js"
import type { EgressOption } from "./internal/sandbox.js"
import * as LocalSandbox from "./LocalSandbox.js"

/**
 * A backend name.
 *
 * @since 0.2.0
 */
export type Kind = "bwrap" | "local"

/**
 * What the operator asked for.
 *
 * @since 0.2.0
 */
export interface SelectOptions {
  /** `auto` (default): bwrap when available, else local. */
  readonly kind?: Kind | "auto"
  /** Where the request came from, for the startup line (e.g. `--sandbox`, `RATCHET_SANDBOX`). */
  readonly source?: string
  /** Directories no step may see (the server's data directory). Enforced by bwrap; the local backend relies on their permissions. */
  readonly hidden?: ReadonlyArray<string>
  /** How install reaches the network. Default: filtered, any public host on ports 80/443. */
  readonly egress?: EgressOption
  /** Local backend without network namespaces: let offline steps keep the network. Default `false`. */
  readonly allowNetwork?: boolean
  /** The host environment. Default `process.env`. */
  readonly hostEnv?: NodeJS.ProcessEnv
}

/**
 * The backend in force.
 *
 * @since 0.2.0
 */
export interface Selected {
  readonly kind: Kind
  /** Why this backend (requested, or the default and what made it so). */
  readonly why: string
  /** What it guarantees here, in one sentence. */
  readonly guarantees: string
  readonly layer: Layer.Layer<Sandbox.Sandbox>
}

const egressText = (egress: EgressOption | undefined): string =>
  egress === "host"
    ? "install has the host's network, unfiltered (RATCHET_EGRESS=host)"
    : egress?.allow
      ? `install reaches only ${egress.allow.join(", ")} through Ratchet's egress proxy`
      : "install reaches the network only through Ratchet's egress proxy (any public host on ports 80 and 443, never loopback, private or link-local addresses)"

/**
 * Picks the backend and builds its layer. Asking for `bwrap` where it cannot run fails with
 * `BadInput` naming the reason; `auto` falls back to `local` and says why.
 *
 * @since 0.2.0
 */
export const select = (options: SelectOptions = {}): Effect.Effect<Selected, RatchetError.RatchetError> =>
  Effect.gen(function* () {
    const caps = probe()
    const requested = options.kind ?? "auto"
    const from = options.source ?? "the operator"
    const hostEnv = options.hostEnv ?? process.env
    const bwrap = BwrapSandbox.availability()
    if (requested === "bwrap" || (requested === "auto" && bwrap.available)) {
      if (!bwrap.available) {
        return yield* Effect.fail(
          RatchetError.badInput({
            what: `the bwrap sandbox was requested but cannot run here: ${bwrap.why}`,
            where: from,
            fix: "install bubblewrap (apt-get install bubblewrap) and allow user namespaces, or choose the local sandbox (RATCHET_SANDBOX=local)"
          })
        )
      }
      const service = yield* BwrapSandbox.make({
        hostEnv,
        hidden: options.hidden ?? [],
        ...(options.egress !== undefined ? { egress: options.egress } : {})
      })
      const who = bwrap.privileged ? "as root, each workspace's steps run as a uid of their own" : "in an unprivileged user namespace"
      return {
        kind: "bwrap" as const,
        why: requested === "bwrap" ? `requested by ${from}` : "bubblewrap is available (the default)",
        guarantees:
          `bubblewrap ${bwrap.version}, ${who}; a step sees a read-only toolchain, its own workspace and a private /tmp and home, ` +
          `in new PID, IPC, UTS and network namespaces, never the data directory, the home directory or other workspaces; ${egressText(options.egress)}`,
        layer: Layer.succeed(Sandbox.Sandbox, service)
      }
    }
    const service = yield* LocalSandbox.make({
      hostEnv,
      ...(options.allowNetwork !== undefined ? { allowNetwork: options.allowNetwork } : {}),
      ...(options.egress !== undefined ? { egress: options.egress } : {})
    })
    const uid = caps.dropUid ? "each workspace's steps run as a uid of their own" : "steps run as this user (no uid of their own: not root)"
    const net =
      caps.netns !== null
        ? `offline steps run in a network namespace of their own; ${egressText(options.egress)}`
        : options.allowNetwork === true
          ? `offline steps keep the network: this host cannot cut it (${caps.netnsProblem}) and the operator allowed it`
          : `offline steps are refused: this host cannot cut the network (${caps.netnsProblem}); RATCHET_SANDBOX_ALLOW_NETWORK=1 lets them run with it`
    return {
      kind: "local" as const,
      why: requested === "local" ? `requested by ${from}` : `bubblewrap is unavailable: ${bwrap.available ? "" : bwrap.why}`,
      guarantees: `${uid}, with process, CPU, file-size, memory, time and output limits; files are protected by permissions only (no private /tmp); ${net}`,
      layer: Layer.succeed(Sandbox.Sandbox, service)
    }
  })

/**
 * The operator's choice from the environment (`RATCHET_SANDBOX`, `RATCHET_EGRESS`,
 * `RATCHET_EGRESS_ALLOW`, `RATCHET_SANDBOX_ALLOW_NETWORK`); a value it does not understand is `BadInput`.
 *
 * @since 0.2.0
 */
export const optionsFromEnv = (env: Readonly<Record<string, string | undefined>>): Effect.Effect<SelectOptions, RatchetError.RatchetError> =>
  Effect.gen(function* () {
    const raw = (env.RATCHET_SANDBOX ?? "").trim()
    if (raw !== "" && raw !== "bwrap" && raw !== "local" && raw !== "auto") {
      return yield* Effect.fail(RatchetError.badInput({ what: `unknown sandbox "${raw}"`, where: "RATCHET_SANDBOX", fix: 'use "bwrap", "local" or "auto"' }))
    }
    const egress = yield* egressFromEnv(env)
    const allow = (env.RATCHET_SANDBOX_ALLOW_NETWORK ?? "").trim()
    if (allow !== "" && allow !== "0" && allow !== "1") {
      return yield* Effect.fail(RatchetError.badInput({ what: `RATCHET_SANDBOX_ALLOW_NETWORK must be 1 or 0, not "${allow}"`, where: "RATCHET_SANDBOX_ALLOW_NETWORK", fix: "set it to 1 to let offline steps keep the network on a host that cannot cut it" }))
    }
    return {
      ...(raw !== "" ? { kind: raw as Kind | "auto", source: `RATCHET_SANDBOX=${raw}` } : {}),
      ...(egress !== undefined ? { egress } : {}),
      ...(allow === "1" ? { allowNetwork: true } : {})
    }
  })

const egressFromEnv = (env: Readonly<Record<string, string | undefined>>): Effect.Effect<EgressOption | undefined, RatchetError.RatchetError> =>
  Effect.gen(function* () {
    const mode = (env.RATCHET_EGRESS ?? "").trim()
    const list = (env.RATCHET_EGRESS_ALLOW ?? "").trim()
    if (mode !== "" && mode !== "host" && mode !== "filtered") {
      return yield* Effect.fail(RatchetError.badInput({ what: `unknown egress mode "${mode}"`, where: "RATCHET_EGRESS", fix: 'use "filtered" (the default) or "host"' }))
    }
    if (mode === "host") {
      if (list !== "") {
        return yield* Effect.fail(RatchetError.badInput({ what: "RATCHET_EGRESS=host gives install the host's network, so an allow-list cannot apply", where: "RATCHET_EGRESS_ALLOW", fix: "unset one of the two" }))
      }
      return "host" as const
    }
    if (list === "") return undefined
    const entries = list.split(",").map((e) => e.trim()).filter((e) => e.length > 0)
    const { problems } = parseAllowList(entries)
    if (problems.length > 0) {
      return yield* Effect.fail(RatchetError.badInput({ what: `invalid egress allow-list entry ${problems.join("; ")}`, where: "RATCHET_EGRESS_ALLOW", fix: "list host names, *.domain or IP addresses, optionally with :port, separated by commas" }))
    }
    return { allow: entries }
  })

/**
 * The startup line: `sandbox: bwrap (why) — what it guarantees`.
 *
 * @since 0.2.0
 */
export const describe = (selected: Selected): string => `sandbox: ${selected.kind} (${selected.why}) — ${selected.guarantees}`
