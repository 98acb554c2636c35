/**
 * `ratchet baseline [dir] [--json]`: install, build, typecheck, test and bench in an isolated workspace.
 */
import { Effect } from "effect"
import { Command } from "effect/cli"
import { RatchetError } from "@ratchet/core"
import { configFlag, dirArgument, jsonFlag, type Subcommand } from "./Shared.js"

export const baselineCommand: Subcommand<"baseline"> = Command.make("baseline", { dir: dirArgument, json: jsonFlag, config: configFlag }, () =>
  Effect.fail(RatchetError.notImplemented("baseline"))
).pipe(Command.withDescription("Run install, build, typecheck, test and bench at the current commit and report the results"))
