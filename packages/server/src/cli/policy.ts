/**
 * `ratchet policy [diff-file|-] [--config FILE] [--json]`: checks a diff against the policy.
 */
import { Effect } from "effect"
import { Argument, Command } from "effect/cli"
import { RatchetError } from "@ratchet/core"
import { configFlag, jsonFlag, type Subcommand } from "./Shared.js"

export const policyCommand: Subcommand<"policy"> = Command.make(
  "policy",
  {
    diff: Argument.String("diff-file").pipe(Argument.withDescription("a unified diff file, or - for stdin"), Argument.withDefault("-")),
    json: jsonFlag,
    config: configFlag
  },
  () => Effect.fail(RatchetError.notImplemented("policy"))
).pipe(Command.withDescription("Check a unified diff against the policy (limits, forbidden paths, secrets)"))
