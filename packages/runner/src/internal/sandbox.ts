/**
 * What the local and bubblewrap backends share: input checks, the offline-step rule, package
 * managers the host lacks, and the run itself (limits, uid, output cap, watchdog).
 *
 * @internal
 */
import { existsSync, statSync } from "node:fs"
import { dirname, isAbsolute } from "node:path"
import { type Context, Effect } from "effect"
import { RatchetError, Sandbox } from "@ratchet/core"
import type { EgressPolicy } from "./egress.js"
import { ciOf } from "./env.js"
import { type Capabilities, probe } from "./isolation.js"
import { chooseNode } from "./node.js"
import { type Backend, handOverProblem, offlineRefusal, runCommand, unreachableAncestor } from "./spawn.js"
import { ensure as ensureTool, onPath, specFor, toolEnv, toolsIn, toolsRoot } from "./tools.js"

/** How steps that need the network (install) reach it. */
export type EgressOption =
  /** Through the filtering proxy: any public host on ports 80/443 (`allow` omitted or `null`), or only the listed hosts. */
  | { readonly allow?: ReadonlyArray<string> | null }
  /** The host's network, unfiltered (loopback services included). */
  | "host"

export interface CommonOptions {
  readonly hostEnv?: NodeJS.ProcessEnv
  readonly capabilities?: Partial<Capabilities>
  readonly provisionTools?: boolean
  readonly toolsDir?: string
  readonly egress?: EgressOption
}

export const egressPolicy = (option: EgressOption | undefined): EgressPolicy | null =>
  option === "host" ? null : { allow: option?.allow ?? null }

/** A result for a step that was refused before anything ran. */
const refusedResult = (options: Sandbox.RunOptions, reason: string): Sandbox.RunResult => ({
  command: options.command,
  cwd: options.cwd,
  exitCode: null,
  signal: null,
  timedOut: false,
  durationMs: 0,
  cpuMs: null,
  peakMemoryBytes: null,
  output: `${reason}\n`,
  stdout: "",
  stderr: `${reason}\n`,
  droppedBytes: 0,
  warnings: [reason],
  refused: reason
})

export const make = (
  name: "LocalSandbox" | "BwrapSandbox",
  options: CommonOptions & { readonly allowNetwork?: boolean },
  backendOf: (caps: Capabilities) => Backend
): Effect.Effect<Context.Service.Shape<typeof Sandbox.Sandbox>> =>
  Effect.sync(() => {
    const caps: Capabilities = { ...probe(), ...options.capabilities }
    const backend = backendOf(caps)
    const host = options.hostEnv ?? process.env
    let warnedNetwork = false
    const run = Effect.fn(`${name}.run`)(function* (runOptions: Sandbox.RunOptions) {
      if (runOptions.command.trim().length === 0) {
        return yield* Effect.fail(
          RatchetError.badInput({ what: "empty command", where: runOptions.label ?? "sandbox", fix: "pass a shell command line" })
        )
      }
      if (!isAbsolute(runOptions.cwd) || !existsSync(runOptions.cwd) || !statSync(runOptions.cwd).isDirectory()) {
        return yield* Effect.fail(
          RatchetError.badInput({
            what: "working directory does not exist or is not an absolute directory path",
            where: runOptions.cwd,
            fix: "pass the absolute path of a prepared workspace"
          })
        )
      }
      if (caps.dropUid) {
        for (const path of runOptions.writable ?? [runOptions.cwd]) {
          const problem = handOverProblem(path)
          if (problem !== null) {
            return yield* Effect.fail(
              RatchetError.badInput({
                what: `the sandbox runs commands as an unprivileged user that must own its working directories, and ${problem}`,
                where: path,
                fix: "run untrusted commands in a dedicated workspace directory (e.g. one prepared by GitWorkspace or a fresh temp dir)"
              })
            )
          }
        }
        // the uid must be able to walk down to its workspace, else every command fails obscurely
        // (inside bubblewrap the workspace's parents are fresh, world-searchable directories)
        const owner = runOptions.writable?.[0] ?? runOptions.cwd
        const blocked = backend.kind === "local" ? unreachableAncestor(dirname(owner)) : null
        if (blocked !== null) {
          return yield* Effect.fail(
            RatchetError.badInput({
              what: `the sandbox runs commands as an unprivileged user, which cannot reach ${owner}: ${blocked} is not searchable by other users`,
              where: blocked,
              fix: "make that directory world-searchable (chmod o+x), or point Ratchet's state directory (RATCHET_HOME) somewhere other users can reach"
            })
          )
        }
      }
      const offline = runOptions.network !== true
      if (backend.kind === "local" && offline && caps.netns === null) {
        const problem = caps.netnsProblem ?? "no isolation tool"
        if (options.allowNetwork !== true) {
          const reason = offlineRefusal(runOptions.label ?? `"${runOptions.command}"`, problem)
          yield* Effect.logWarning(`Ratchet sandbox: ${reason}`)
          return refusedResult(runOptions, reason)
        }
        if (!warnedNetwork) {
          warnedNetwork = true
          yield* Effect.logWarning(`Ratchet sandbox: cannot cut the network off (${problem}); commands keep network access (allowed by the operator)`)
        }
      }
      // a package manager or runtime the host lacks (pnpm, yarn, deno): the repository's version, installed once
      let env = host
      let run: Sandbox.RunOptions = runOptions
      const missing = options.provisionTools === false ? [] : toolsIn(runOptions.command).filter((t) => !onPath(t, host.PATH))
      if (missing.length > 0) {
        const specs = missing.map((t) => specFor(t, runOptions.cwd))
        const provided = yield* Effect.tryPromise(() => Promise.all(specs.map((spec) => ensureTool(spec, options.toolsDir)))).pipe(Effect.result)
        if (provided._tag === "Success") {
          env = { ...host, PATH: [...provided.success, host.PATH ?? ""].join(":") }
          // a caller's PATH (a test plan's node_modules/.bin) replaces the host's: the tools go in front of it too
          const callerPath = runOptions.env?.PATH
          if (callerPath !== undefined) run = { ...run, env: { ...runOptions.env, PATH: [...provided.success, callerPath].join(":") } }
          yield* Effect.logInfo(`Ratchet: provided ${specs.join(", ")} for "${runOptions.command}" (not installed on this machine)`)
        } else {
          yield* Effect.logWarning(`Ratchet: could not provide ${specs.join(", ")}: ${String(provided.failure.cause ?? provided.failure)}`)
        }
      }
      const extra = toolEnv(runOptions.command, runOptions.writable?.[0] ?? runOptions.cwd, run.env, host)
      if (Object.keys(extra).length > 0) run = { ...run, env: { ...extra, ...run.env } }
      // the Node.js the repository asks for (not for Ratchet's own programs: they name its Node), and CI=true only where its CI sets it
      const chosen = runOptions.node === "ratchet"
        ? null
        : yield* Effect.promise(() =>
          chooseNode(runOptions.cwd, { hostPath: host.PATH, install: options.provisionTools !== false, ...(options.toolsDir ? { toolsDir: options.toolsDir } : {}) })
        )
      const ci = ciOf(runOptions.cwd)
      const notes = [...(chosen ? [chosen.note] : []), ci ? `CI=true (the repository's ${ci} sets it)` : "CI unset (no CI configuration that sets it)"]
      if (chosen?.warning) yield* Effect.logWarning(`Ratchet: ${chosen.warning}`)
      const setup = {
        ci: ci !== null,
        ...(chosen ? { nodeDir: chosen.dir } : {}),
        notes,
        warnings: chosen?.warning ? [chosen.warning] : []
      }
      return yield* Effect.tryPromise({
        try: (signal) => runCommand(run, caps, env, signal, backend, setup),
        catch: (error) => RatchetError.ioFailure(runOptions.cwd, `sandbox could not run "${runOptions.command}": ${String(error)}`, error)
      })
    })
    return Sandbox.Sandbox.of({ run })
  })

export { toolsRoot }
