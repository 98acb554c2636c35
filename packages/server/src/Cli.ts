/**
 * The `ratchet` command-line interface, built on `effect/cli`.
 *
 * Exit codes: 0 success (even with zero proposals), 2 bad input (message on stderr), 1 internal error.
 *
 * @since 0.1.0
 */
// the module itself, not the package index (which loads the cluster and HTTP runners too)
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Cause, Effect, Exit, Logger, Option } from "effect"
import { Argument, CliError, Command, Flag } from "effect/cli"
import { RatchetError } from "@ratchet/core"
import { baselineCommand } from "./cli/baseline.js"
import { detectCommand } from "./cli/detect.js"
import { policyCommand } from "./cli/policy.js"
import { runCommand } from "./cli/run.js"
import { scanCommand } from "./cli/scan.js"
import { serveCommand } from "./cli/serve.js"
import { VERSION } from "./cli/Version.js"

/**
 * The root command with all subcommands.
 *
 * @since 0.1.0
 */
export const command = Command.make("ratchet").pipe(
  Command.withDescription(
    "Ratchet turns a repository into small, proven improvements: detect → baseline → scan → patchgen → validate → package."
  ),
  Command.withSubcommands([detectCommand, scanCommand, baselineCommand, runCommand, policyCommand, serveCommand])
)

/** Re-exported for subcommands that need the shared argument/flag shapes. */
export { Argument, Flag }

const isBadInput = (error: RatchetError.RatchetError): boolean =>
  error.reason._tag === "BadInput" || error.reason._tag === "ConfigInvalid"

/**
 * Runs the CLI with the given arguments (without `node` and the script) and resolves to the exit code.
 *
 * @since 0.1.0
 */
/**
 * Log lines go to stderr, one per message: stdout carries only the command's output (`--json`
 * must stay parseable whatever the pipeline logs).
 */
const stderrLogger = Logger.layer([
  Logger.make((options) => {
    const message = (Array.isArray(options.message) ? options.message.map(String).join(" ") : String(options.message)).replace(/^Ratchet: /, "")
    process.stderr.write(`ratchet: ${options.logLevel.toLowerCase()}: ${message}\n`)
  })
])

export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const program = Command.runWith(command, { version: VERSION })(argv).pipe(Effect.provide(NodeServices.layer), Effect.provide(stderrLogger))
  const exit = await Effect.runPromiseExit(program as Effect.Effect<void, unknown>)
  if (Exit.isSuccess(exit)) return 0
  const failure = Cause.findErrorOption(exit.cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    if (CliError.isCliError(error)) {
      // effect/cli already printed the help and the parse error.
      return 2
    }
    if (error instanceof RatchetError.RatchetError) {
      process.stderr.write(`ratchet: ${error.message}\n`)
      return isBadInput(error) ? 2 : 1
    }
    process.stderr.write(`ratchet: internal error: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  }
  if (Cause.hasInterruptsOnly(exit.cause)) {
    process.stderr.write("ratchet: interrupted\n")
    return 130
  }
  process.stderr.write(`ratchet: internal error:\n${Cause.pretty(exit.cause)}\n`)
  return 1
}
