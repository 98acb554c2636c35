/**
 * `ratchet scan [dir] [--json]`: prints ranked improvement opportunities.
 */
import { Effect } from "effect"
import { resolve } from "node:path"
import { Command, Flag } from "effect/cli"
import { Scan } from "@ratchet/core"
import { print, printJson } from "./Output.js"
import { configFlag, dirArgument, jsonFlag, loadConfig, repositoryRoot, type Subcommand } from "./Shared.js"

const cacheDirFlag = Flag.String("cache-dir").pipe(
  Flag.withDescription("base directory of the scan cache (default $XDG_CACHE_HOME/ratchet, else ~/.cache/ratchet); nothing is written into the repository"),
  Flag.optional
)

export const scanCommand: Subcommand<"scan"> = Command.make("scan", { dir: dirArgument, json: jsonFlag, config: configFlag, cacheDir: cacheDirFlag }, (args) =>
  Effect.gen(function* () {
    const root = yield* repositoryRoot(args.dir)
    const config = yield* loadConfig(root, args.config)
    const cache = Scan.cacheDirFor(root, args.cacheDir._tag === "Some" ? resolve(args.cacheDir.value) : Scan.userCacheDir())
    // the whole config: its plugins and its scan section (include, exclude, rules)
    const result = yield* Scan.scan(root, { config, cache })
    yield* args.json ? printJson(result) : print(Scan.format(result))
  })
).pipe(Command.withDescription("Scan JS/TS sources for improvement opportunities (tree-sitter rules and text heuristics)"))
