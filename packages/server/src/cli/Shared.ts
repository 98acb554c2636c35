/**
 * Arguments and flags shared by several subcommands, and the repository-root check.
 */
import { statSync } from "node:fs"
import { resolve } from "node:path"
import { Effect, type Layer, type Option } from "effect"
import { Argument, type Command, Flag } from "effect/cli"
import { Config, RatchetError, type Sandbox } from "@ratchet/core"
import { SandboxBackend } from "@ratchet/runner"
import type { ServerError } from "../ServerError.js"

export const dirArgument = Argument.String("dir").pipe(
  Argument.withDescription("repository root (default: the current directory)"),
  Argument.withDefault(".")
)

export const jsonFlag = Flag.Boolean("json").pipe(
  Flag.withDescription("print machine-readable JSON on stdout"),
  Flag.withDefault(false)
)

/** `--data` of the commands that open the server's database directly (`token`, `org`, `repo`). */
export const dataFlag = Flag.String("data").pipe(
  Flag.withDescription("the server's data directory (default .ratchet); with DATABASE_URL set, that PostgreSQL is used"),
  Flag.withDefault(".ratchet")
)

/**
 * A server error of those commands as the CLI reports it: bad input (exit 2) for invalid arguments,
 * a held or missing data directory, unknown ids and names in use; anything else is internal. `fix`
 * gives each command's own advice: its help, what to do about an invalid argument, where to list.
 */
export const adminError =
  (where: string, fix: { readonly help: string; readonly invalid: string; readonly list: string }) =>
  (error: ServerError): RatchetError.RatchetError => {
    const r = error.reason
    switch (r._tag) {
      case "Invalid":
        return RatchetError.badInput({ what: r.detail, where: r.field === "data" ? "--data" : r.field === "org" ? "--org" : where, fix: r.field === "data" ? fix.help : fix.invalid })
      case "NotFound":
        return RatchetError.badInput({ what: error.message, where, fix: fix.list })
      case "Conflict":
        return RatchetError.badInput({ what: error.message, where, fix: "pick another name" })
      default:
        return RatchetError.internal(error.message)
    }
  }

export const configFlag = Flag.String("config").pipe(
  Flag.withDescription(
    "path to a ratchet.config.{ts,js,mjs} (default: the one at the repository root). The CLI trusts it: it is evaluated in a child process killed after RATCHET_CONFIG_TIMEOUT_MS (default 30 s), then in this process when it has plugins, so their hooks run here. The server evaluates a repository's config in the sandbox, as data only, unless its operator marked the repository trusted"
  ),
  Flag.optional
)

/** Resolves `dir` and fails with bad input (exit 2) when it is not a directory. */
export const repositoryRoot = (dir: string): Effect.Effect<string, RatchetError.RatchetError> =>
  Effect.suspend(() => {
    const root = resolve(dir)
    let isDirectory = false
    try {
      isDirectory = statSync(root).isDirectory()
    } catch {
      return Effect.fail(
        RatchetError.badInput({ what: "repository path does not exist", where: root, fix: "pass the path of a repository directory" })
      )
    }
    return isDirectory
      ? Effect.succeed(root)
      : Effect.fail(
          RatchetError.badInput({ what: "repository path is not a directory", where: root, fix: "pass the path of a repository directory" })
        )
  })

export const sandboxFlag = Flag.Literals("sandbox", ["bwrap", "local", "auto"]).pipe(
  Flag.withDescription(
    "where repository commands run: bwrap (bubblewrap: read-only toolchain, workspace-only writes, private /tmp, own PID/IPC/UTS/network namespaces), local (a dedicated uid and rlimits), or auto (bwrap when available; default, or RATCHET_SANDBOX)"
  ),
  Flag.optional
)

/**
 * The sandbox backend for this command (`--sandbox`, else `RATCHET_SANDBOX`, else bwrap when
 * available), announced on stderr with why and what it guarantees.
 */
export const chooseSandbox = (
  flag: Option.Option<"bwrap" | "local" | "auto">,
  hidden: ReadonlyArray<string>
): Effect.Effect<Layer.Layer<Sandbox.Sandbox>, RatchetError.RatchetError> =>
  Effect.gen(function* () {
    const fromEnv = yield* SandboxBackend.optionsFromEnv(process.env)
    const options = flag._tag === "Some" ? { ...fromEnv, kind: flag.value, source: `--sandbox ${flag.value}` } : fromEnv
    const selected = yield* SandboxBackend.select({ ...options, hidden })
    yield* Effect.sync(() => process.stderr.write(`ratchet: ${SandboxBackend.describe(selected)}\n`))
    return selected.layer
  })

/** Loads the config for a root, honouring `--config`. */
export const loadConfig = (root: string, configFile: { _tag: "Some"; value: string } | { _tag: "None" }) =>
  Config.loadConfig(root, configFile._tag === "Some" ? resolve(configFile.value) : undefined)

/** The type of a subcommand (annotated so declarations stay portable). */
export type Subcommand<Name extends string> = Command.Command<Name, any, any, RatchetError.RatchetError, never>
