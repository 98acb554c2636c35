/**
 * The local `Sandbox` backend: runs untrusted repository commands with `execa`.
 *
 * - wall-clock timeout with a kill of the whole process tree (process group, descendants, and
 *   when running as root every process of a dedicated per-workspace uid);
 * - output capped, keeping head and tail and saying how much was dropped;
 * - environment scrubbed to an allow-list (no `*_TOKEN`, `*_KEY`, `DATABASE_URL`, …);
 * - `prlimit` limits: processes (RLIMIT_NPROC), CPU seconds, file size, no core dumps. Memory is
 *   limited without RLIMIT_AS (which breaks V8): node's old-space is capped via `NODE_OPTIONS` and
 *   the tree's RSS is watched and killed past the limit;
 * - as root, commands run as an unprivileged uid (`setpriv`, one per workspace) because Linux never
 *   enforces RLIMIT_NPROC for root. That uid is given the workspace (`RunOptions.writable`, default
 *   `cwd`) with `lchown` — symlink targets and hard-linked files are never handed over — and
 *   shared directories (`/`, top-level directories, anything containing the temp or home directory
 *   or the host's working directory) are refused with `BadInput`;
 * - `network: false` runs the command in a fresh network namespace (`unshare --net`, loopback up);
 *   where the OS refuses, a warning is logged once and recorded in `RunResult.warnings`;
 * - a faithful environment: no colour variables are forced, `CI=true` only when the repository's CI sets
 *   it (GitHub Actions, GitLab, CircleCI, … configuration found up to the `.git` directory), and `node`
 *   is the version the repository asks for (`volta.node`, `.nvmrc`, `.node-version`, `.tool-versions`,
 *   `devEngines.runtime`, `engines.node`): Ratchet's own or the host's when they satisfy it, else that
 *   version installed once from the npm registry's `node` package into the tools directory. What was
 *   chosen is in `RunResult.notes`;
 * - each result records command, cwd, exit code or signal, wall time, CPU time and peak memory.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sandbox } from "@ratchet/core"
 * import { LocalSandbox } from "@ratchet/runner"
 *
 * const program = Effect.gen(function* () {
 *   const sandbox = yield* Sandbox.Sandbox
 *   return yield* sandbox.run({ command: "npm test", cwd: "/tmp/repo", timeoutMs: 60_000, network: false })
 * }).pipe(Effect.provide(LocalSandbox.layer))
 * ```
 *
 * @since 0.1.0
 */
import { existsSync, statSync } from "node:fs"
import { dirname, isAbsolute } from "node:path"
import { type Context, Effect, Layer } from "effect"
import { RatchetError, Sandbox } from "@ratchet/core"
import { ciOf } from "./internal/env.js"
import { type Capabilities, probe } from "./internal/isolation.js"
import { chooseNode } from "./internal/node.js"
import { handOverProblem, runCommand, unreachableAncestor } from "./internal/spawn.js"
import { ensure as ensureTool, onPath, specFor, toolEnv, toolsIn } from "./internal/tools.js"

/**
 * Options of the local sandbox.
 *
 * @since 0.1.0
 */
export interface LocalSandboxOptions {
  /** The host environment the allow-list is taken from. Default `process.env`. */
  readonly hostEnv?: NodeJS.ProcessEnv
  /** Override the probed OS capabilities (tests use it to simulate a host without namespaces). */
  readonly capabilities?: Partial<Capabilities>
  /**
   * Install pnpm, yarn or deno (the version the repository names: `packageManager`, `.dvmrc`, …), and
   * the Node.js version the repository asks for, from the npm registry when the host lacks them.
   * Default `true`.
   */
  readonly provisionTools?: boolean
  /** Where provisioned tools are kept. Default `$TMPDIR/ratchet-tools-<uid>`. */
  readonly toolsDir?: string
}

/**
 * What the OS lets the local sandbox do here (probed once).
 *
 * @since 0.1.0
 */
export const capabilities = (): Capabilities => probe()

/**
 * Builds a local sandbox service.
 *
 * @since 0.1.0
 */
export const make = (options: LocalSandboxOptions = {}): Effect.Effect<Context.Service.Shape<typeof Sandbox.Sandbox>> =>
  Effect.gen(function* () {
    const caps: Capabilities = { ...probe(), ...options.capabilities }
    const host = options.hostEnv ?? process.env
    let warnedNetwork = false
    const run = Effect.fn("LocalSandbox.run")(function* (runOptions: Sandbox.RunOptions) {
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
        const owner = runOptions.writable?.[0] ?? runOptions.cwd
        const blocked = unreachableAncestor(dirname(owner))
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
      if (runOptions.network === false && caps.netns === null && !warnedNetwork) {
        warnedNetwork = true
        yield* Effect.logWarning(
          `Ratchet sandbox: cannot cut the network off (${caps.netnsProblem ?? "no isolation tool"}); commands keep network access`
        )
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
      // the Node.js the repository asks for, and CI=true only where its CI sets it
      const chosen = yield* Effect.promise(() =>
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
        try: (signal) => runCommand(run, caps, env, signal, setup),
        catch: (error) => RatchetError.ioFailure(runOptions.cwd, `sandbox could not run "${runOptions.command}": ${String(error)}`, error)
      })
    })
    return Sandbox.Sandbox.of({ run })
  })

/**
 * The local sandbox as a layer.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<Sandbox.Sandbox> = Layer.effect(Sandbox.Sandbox, make())

/**
 * A local sandbox with options (e.g. a different host environment).
 *
 * @since 0.1.0
 */
export const layerWith = (options: LocalSandboxOptions): Layer.Layer<Sandbox.Sandbox> => Layer.effect(Sandbox.Sandbox, make(options))
