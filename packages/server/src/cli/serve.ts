/**
 * `ratchet serve [--port N] [--data DIR]`: the reference server.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from "node:fs"
import * as Net from "node:net"
import { resolve } from "node:path"
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { RatchetError } from "@ratchet/core"
import type { Subcommand } from "./Shared.js"

const flagOf: Record<string, string> = { port: "--port", host: "--host", data: "--data", cluster: "RATCHET_RUNNER_PORT" }

// A hostname (RFC 1123 labels) or an IPv4/IPv6 literal.
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

const checkHost = (host: string): Effect.Effect<void, RatchetError.RatchetError> =>
  Net.isIP(host) !== 0 || (HOSTNAME.test(host) && !/^[\d.]+$/.test(host))
    ? Effect.void
    : Effect.fail(RatchetError.badInput({ what: `not a valid host: ${JSON.stringify(host)}`, where: "--host", fix: "pass an IP address (127.0.0.1, 0.0.0.0, ::1) or a host name of this machine" }))

/** The data directory, resolved: a directory (created when missing) that this user can write. */
const checkDataDir = (data: string): Effect.Effect<string, RatchetError.RatchetError> =>
  Effect.suspend(() => {
    const dir = resolve(data)
    const bad = (what: string) => Effect.fail(RatchetError.badInput({ what, where: `--data ${dir}`, fix: "pass a directory this user can write (it is created when missing)" }))
    try {
      if (!statSync(dir).isDirectory()) return bad("the data directory is a file, not a directory")
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") return bad(`cannot read the data directory (${(e as NodeJS.ErrnoException).code})`)
      try {
        mkdirSync(dir, { recursive: true })
      } catch (e2) {
        return bad(`cannot create the data directory (${(e2 as NodeJS.ErrnoException).code ?? String(e2)})`)
      }
    }
    try {
      accessSync(dir, constants.W_OK | constants.X_OK)
    } catch {
      return bad("the data directory is not writable")
    }
    return Effect.succeed(dir)
  })

export const serveCommand: Subcommand<"serve"> = Command.make(
  "serve",
  {
    port: Flag.Int("port").pipe(Flag.withDescription("port to listen on (default 7420; 0 picks a free one)"), Flag.withDefault(7420)),
    data: Flag.String("data").pipe(
      Flag.withDescription("data directory; the embedded database lives in <data>/db unless DATABASE_URL is set (default .ratchet)"),
      Flag.withDefault(".ratchet")
    ),
    host: Flag.String("host").pipe(Flag.withDescription("interface to bind (default 127.0.0.1)"), Flag.withDefault("127.0.0.1")),
    repoRoot: Flag.String("repo-root").pipe(
      Flag.withDescription("a directory under which repositories may be connected by local path (repeatable; default RATCHET_REPO_ROOTS, else none: URLs only)"),
      Flag.atLeast(0)
    )
  },
  (args) =>
    Effect.gen(function* () {
      if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
        return yield* Effect.fail(RatchetError.badInput({ what: "--port must be between 0 and 65535", where: String(args.port), fix: "pass a free TCP port" }))
      }
      yield* checkHost(args.host)
      const dataDir = yield* checkDataDir(args.data)
      // the server (database, workflow engine, HTTP) is loaded only here: detect, scan, policy and run never load it
      const Server = yield* Effect.promise(() => import("../Server.js"))
      const repoRoots = args.repoRoot.length > 0 ? args.repoRoot : Server.repoRootsFromEnv()
      for (const root of repoRoots) {
        if (!existsSync(root) || !statSync(root).isDirectory()) {
          return yield* Effect.fail(RatchetError.badInput({ what: `repository root ${root} is not a directory`, where: args.repoRoot.length > 0 ? "--repo-root" : "RATCHET_REPO_ROOTS", fix: "pass existing directories" }))
        }
      }
      return yield* Server.serve({
        port: args.port,
        dataDir,
        repoRoots: repoRoots.map((r) => resolve(r)),
        host: args.host,
        onListen: ({ host, port }) => process.stderr.write(`ratchet server listening on http://${host}:${port} (dashboard at http://${host}:${port}/dashboard/, API under /api, OpenAPI at /openapi.json)\n`)
      }).pipe(
        Effect.mapError((error) =>
          error.reason._tag === "Invalid"
            ? RatchetError.badInput({ what: error.reason.detail, where: flagOf[error.reason.field] ?? error.reason.field, fix: "see ratchet serve --help" }, error)
            : RatchetError.internal(error.message, error)
        )
      )
    })
).pipe(Command.withDescription("Start the reference server (embedded database under .ratchet/ unless DATABASE_URL is set)"))
