/**
 * The `ratchet` command-line interface, built on `effect/cli`.
 *
 * Exit codes: 0 success (even with zero proposals), 2 bad input (message on stderr), 1 internal error.
 *
 * @since 0.1.0
 */
// the module itself, not the package index (which loads the cluster and HTTP runners too)
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Cause, Console, Effect, Exit, Fiber, Logger, Option } from "effect"
import { Argument, CliError, CliOutput, Command, Flag } from "effect/cli"
import { RatchetError } from "@ratchet/core"
import { baselineCommand } from "./cli/baseline.js"
import { detectCommand } from "./cli/detect.js"
import { policyCommand } from "./cli/policy.js"
import { askCommand } from "./cli/ask.js"
import { runCommand } from "./cli/run.js"
import { scanCommand } from "./cli/scan.js"
import { serveCommand } from "./cli/serve.js"
import { repoCommand } from "./cli/repo.js"
import { orgCommand, tokenCommand } from "./cli/token.js"
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
  Command.withSubcommands([detectCommand, scanCommand, baselineCommand, runCommand, askCommand, policyCommand, serveCommand, tokenCommand, orgCommand, repoCommand])
)

/** Re-exported for subcommands that need the shared argument/flag shapes. */
export { Argument, Flag }

const isBadInput = (error: RatchetError.RatchetError): boolean =>
  error.reason._tag === "BadInput" || error.reason._tag === "ConfigInvalid"

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

/**
 * Whether the arguments ask for JSON output: `--json` anywhere before a `--` that ends the options.
 *
 * @since 0.1.0
 */
export const wantsJson = (argv: ReadonlyArray<string>): boolean => {
  const end = argv.indexOf("--")
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === "--json" || a === "--json=true")
}

/**
 * With `--json`, stdout carries only JSON: help and usage errors go to stderr, and `--version`
 * prints `{"name", "version"}`.
 */
const jsonPresenter = CliOutput.layerPresenter({
  present: (event) =>
    Effect.gen(function* () {
      const formatter = yield* CliOutput.Formatter
      switch (event._tag) {
        case "Help":
          return yield* Console.error(formatter.formatHelpDoc(event.helpDoc))
        case "InvalidInvocation":
          yield* Console.error(formatter.formatHelpDoc(event.helpDoc))
          return yield* Console.error(formatter.formatErrors(event.errors))
        case "Version":
          return yield* Effect.sync(() => process.stdout.write(`${JSON.stringify({ name: event.name, version: event.version })}\n`))
      }
    })
})

/** A failure as the `--json` error document and the human line: `code` is a stable tag, `message` one line. */
const describe = (error: unknown): { readonly code: string; readonly message: string; readonly exitCode: number; readonly printed: boolean } => {
  if (CliError.isCliError(error)) {
    // effect/cli already printed the help and the parse error.
    const errors = error._tag === "ShowHelp" ? error.errors : [error]
    const message = errors.map((e) => e.message).join("; ") || "no subcommand given; see ratchet --help"
    return { code: "UsageError", message, exitCode: 2, printed: true }
  }
  if (error instanceof RatchetError.RatchetError) {
    return { code: error.reason._tag, message: error.message, exitCode: isBadInput(error) ? 2 : 1, printed: false }
  }
  return { code: "Internal", message: `internal error: ${error instanceof Error ? error.message : String(error)}`, exitCode: 1, printed: false }
}

/**
 * Runs the CLI with the given arguments (without `node` and the script) and resolves to the exit code.
 *
 * Exit codes: 0 success, 2 bad input (one line on stderr naming the problem), 1 internal error,
 * 130 interrupted. With `--json` an error also prints `{"error": {"code", "message"}}` on stdout.
 *
 * @since 0.1.0
 */
export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const json = wantsJson(argv)
  const program = Command.runWith(command, { version: VERSION })(argv).pipe(
    Effect.provide(NodeServices.layer),
    Effect.provide(stderrLogger),
    json ? Effect.provide(jsonPresenter) : (self) => self
  )
  // SIGINT/SIGTERM interrupt the command, so its finalizers run: `run` removes its worktrees,
  // `serve` closes the database and releases the data directory. A second signal exits at once.
  const fiber = Effect.runFork(program as Effect.Effect<void, unknown>)
  let signalled: NodeJS.Signals | null = null
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled !== null) process.exit(signal === "SIGINT" ? 130 : 143)
    signalled = signal
    process.stderr.write(`ratchet: ${signal} received, cleaning up (send it again to exit at once)\n`)
    fiber.interruptUnsafe()
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  const exit = await Effect.runPromise(Fiber.await(fiber))
  process.off("SIGINT", onSignal)
  process.off("SIGTERM", onSignal)
  if (Exit.isSuccess(exit)) return 0
  const report = (code: string, message: string, exitCode: number, printed: boolean): number => {
    if (!printed) process.stderr.write(`ratchet: ${message}\n`)
    if (json) process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`)
    return exitCode
  }
  const failure = Cause.findErrorOption(exit.cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    const d = describe(error)
    return report(d.code, d.message, d.exitCode, d.printed)
  }
  if (Cause.hasInterruptsOnly(exit.cause)) {
    return report("Interrupted", `interrupted${signalled === null ? "" : ` by ${signalled}`}`, signalled === "SIGTERM" ? 143 : 130, false)
  }
  process.stderr.write(`ratchet: internal error:\n${Cause.pretty(exit.cause)}\n`)
  if (json) process.stdout.write(`${JSON.stringify({ error: { code: "Internal", message: "internal error (details on stderr)" } })}\n`)
  return 1
}
