/**
 * `ratchet baseline [dir] [--json]`: install, build, typecheck, test and bench in an isolated workspace.
 */
import { Effect } from "effect"
import { Command } from "effect/cli"
import { Baseline as CoreBaseline, Detect } from "@ratchet/core"
import { Baseline } from "@ratchet/runner"
import { print, printJson, progress } from "./Output.js"
import { stateDir } from "./Runtime.js"
import { chooseSandbox, configFlag, dirArgument, jsonFlag, loadConfig, repositoryRoot, sandboxFlag, type Subcommand } from "./Shared.js"

export const baselineCommand: Subcommand<"baseline"> = Command.make("baseline", { dir: dirArgument, json: jsonFlag, config: configFlag, sandbox: sandboxFlag }, (args) =>
  Effect.gen(function* () {
    const root = yield* repositoryRoot(args.dir)
    const config = yield* loadConfig(root, args.config)
    const profile = yield* Detect.detect(root, { config })
    const state = stateDir()
    const sandbox = yield* chooseSandbox(args.sandbox, [state])
    const result = yield* Baseline.runBaseline({
      source: root,
      profile,
      config,
      stateDir: state,
      onStep: (step) =>
        args.json ? Effect.void : progress(`${step.name}: ${step.outcome ?? step.exitCode} in ${(step.durationMs / 1000).toFixed(1)} s — ${step.command}`)
    }).pipe(Effect.provide(Baseline.layer({ stateDir: state, sandbox })))
    if (args.json) {
      yield* printJson({ ...result.report, artifacts: result.artifacts, warnings: result.warnings })
    } else {
      yield* print(CoreBaseline.format(result.report))
      for (const warning of result.warnings) yield* print(`! ${warning}`)
    }
  })
).pipe(Command.withDescription("Run install, build, typecheck, test and bench at the current commit in an isolated worktree and report each step"))
