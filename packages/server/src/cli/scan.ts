/**
 * `ratchet scan [dir] [--json]`: prints ranked improvement opportunities.
 */
import { Effect } from "effect"
import { Command } from "effect/cli"
import { Scan } from "@ratchet/core"
import { print, printJson } from "./Output.js"
import { configFlag, dirArgument, jsonFlag, loadConfig, repositoryRoot, type Subcommand } from "./Shared.js"

export const scanCommand: Subcommand<"scan"> = Command.make("scan", { dir: dirArgument, json: jsonFlag, config: configFlag }, (args) =>
  Effect.gen(function* () {
    const root = yield* repositoryRoot(args.dir)
    const config = yield* loadConfig(root, args.config)
    const result = yield* Scan.scan(root, { config })
    yield* args.json ? printJson(result) : print(Scan.format(result))
  })
).pipe(Command.withDescription("Scan JS/TS sources for improvement opportunities (tree-sitter rules and text heuristics)"))
