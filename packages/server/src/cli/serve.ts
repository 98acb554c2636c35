/**
 * `ratchet serve [--port N] [--data DIR]`: the reference server.
 */
import type { Subcommand } from "./Shared.js"
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { RatchetError } from "@ratchet/core"

export const serveCommand: Subcommand<"serve"> = Command.make(
  "serve",
  {
    port: Flag.Int("port").pipe(Flag.withDescription("port to listen on (default 7420)"), Flag.withDefault(7420)),
    data: Flag.String("data").pipe(Flag.withDescription("data directory (default .ratchet)"), Flag.withDefault(".ratchet"))
  },
  () => Effect.fail(RatchetError.notImplemented("serve"))
).pipe(Command.withDescription("Start the reference server (embedded database under .ratchet/ unless DATABASE_URL is set)"))
