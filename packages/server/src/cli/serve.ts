/**
 * `ratchet serve [--port N] [--data DIR]`: the reference server.
 */
import { resolve } from "node:path"
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { RatchetError } from "@ratchet/core"
import * as Server from "../Server.js"
import type { Subcommand } from "./Shared.js"

export const serveCommand: Subcommand<"serve"> = Command.make(
  "serve",
  {
    port: Flag.Int("port").pipe(Flag.withDescription("port to listen on (default 7420; 0 picks a free one)"), Flag.withDefault(7420)),
    data: Flag.String("data").pipe(
      Flag.withDescription("data directory; the embedded database lives in <data>/db unless DATABASE_URL is set (default .ratchet)"),
      Flag.withDefault(".ratchet")
    ),
    host: Flag.String("host").pipe(Flag.withDescription("interface to bind (default 127.0.0.1)"), Flag.withDefault("127.0.0.1"))
  },
  (args) =>
    Effect.gen(function* () {
      if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
        return yield* Effect.fail(RatchetError.badInput({ what: "--port must be between 0 and 65535", where: String(args.port), fix: "pass a free TCP port" }))
      }
      return yield* Server.serve({
        port: args.port,
        dataDir: resolve(args.data),
        host: args.host,
        onListen: ({ host, port }) => process.stderr.write(`ratchet server listening on http://${host}:${port} (dashboard at http://${host}:${port}/dashboard/, API under /api, OpenAPI at /openapi.json)\n`)
      }).pipe(
        Effect.mapError((error) =>
          error.reason._tag === "Invalid"
            ? RatchetError.badInput({ what: error.message, where: "ratchet serve", fix: "check the flags and environment (DATABASE_URL, RATCHET_*)" })
            : RatchetError.internal(error.message)
        )
      )
    })
).pipe(Command.withDescription("Start the reference server (embedded database under .ratchet/ unless DATABASE_URL is set)"))
