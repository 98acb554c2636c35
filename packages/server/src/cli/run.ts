/**
 * `ratchet run [dir] [--json] [--out DIR] [--budget-candidates N]`: the whole pipeline.
 */
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { RatchetError } from "@ratchet/core"
import { configFlag, dirArgument, jsonFlag, type Subcommand } from "./Shared.js"

export const outFlag = Flag.String("out").pipe(
  Flag.withDescription("also write the artifacts, report.html and report.md to this directory"),
  Flag.optional
)

export const budgetCandidatesFlag = Flag.Int("budget-candidates").pipe(
  Flag.withDescription("validate at most this many candidates"),
  Flag.optional
)

export const runCommand: Subcommand<"run"> = Command.make(
  "run",
  { dir: dirArgument, json: jsonFlag, config: configFlag, out: outFlag, budgetCandidates: budgetCandidatesFlag },
  () => Effect.fail(RatchetError.notImplemented("run"))
).pipe(Command.withDescription("Run the whole pipeline and print proven proposals"))
