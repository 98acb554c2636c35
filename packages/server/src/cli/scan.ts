/**
 * `ratchet scan [dir] [--json] [--profile FILE]`: prints ranked improvement opportunities.
 */
import { resolve } from "node:path"
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { Scan } from "@ratchet/core"
import { print, printJson } from "./Output.js"
import { configFlag, dirArgument, jsonFlag, loadConfig, repositoryRoot, type Subcommand } from "./Shared.js"

const profileFlag = Flag.String("profile").pipe(
  Flag.withDescription("a V8 CPU profile (.cpuprofile, from node --cpu-prof) of the code at work: findings in its hot functions rank first"),
  Flag.optional
)

export const scanCommand: Subcommand<"scan"> = Command.make("scan", { dir: dirArgument, json: jsonFlag, config: configFlag, profile: profileFlag }, (args) =>
  Effect.gen(function* () {
    const root = yield* repositoryRoot(args.dir)
    const config = yield* loadConfig(root, args.config)
    const result = yield* Scan.scan(root, args.profile._tag === "Some" ? { config, profile: resolve(args.profile.value) } : { config })
    yield* args.json ? printJson(result) : print(Scan.format(result))
  })
).pipe(Command.withDescription("Scan JS/TS sources for improvement opportunities (tree-sitter rules and text heuristics)"))
