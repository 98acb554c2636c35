/**
 * `ratchet detect [dir] [--json]`: prints the repository profile.
 */
import { Effect } from "effect"
import { Command } from "effect/cli"
import { Detect } from "@ratchet/core"
import { print, printJson } from "./Output.js"
import { configFlag, dirArgument, jsonFlag, loadConfig, repositoryRoot, type Subcommand } from "./Shared.js"

export const detectCommand: Subcommand<"detect"> = Command.make("detect", { dir: dirArgument, json: jsonFlag, config: configFlag }, (args) =>
  Effect.gen(function* () {
    const root = yield* repositoryRoot(args.dir)
    const config = yield* loadConfig(root, args.config)
    const profile = yield* Detect.detect(root, { config })
    yield* args.json ? printJson(profile) : print(Detect.format(profile))
  })
).pipe(Command.withDescription("Detect package manager, workspaces, frameworks and the install/build/typecheck/test/bench commands"))
