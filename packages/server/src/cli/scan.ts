/**
 * `ratchet scan [dir] [--json] [--cache-dir DIR] [--profile FILE]`: prints ranked improvement opportunities.
 */
import { resolve } from "node:path"
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { Scan } from "@ratchet/core"
import { print, printJson } from "./Output.js"
import { configFlag, dirArgument, jsonFlag, loadConfig, repositoryRoot, type Subcommand } from "./Shared.js"

const cacheDirFlag = Flag.String("cache-dir").pipe(
  Flag.withDescription("base directory of the scan cache (default $XDG_CACHE_HOME/ratchet, else ~/.cache/ratchet); nothing is written into the repository"),
  Flag.optional
)

const profileFlag = Flag.String("profile").pipe(
  Flag.withDescription("a V8 CPU profile (.cpuprofile, from node --cpu-prof) of the code at work: findings in its hot functions rank first"),
  Flag.optional
)

export const scanCommand: Subcommand<"scan"> = Command.make(
  "scan",
  { dir: dirArgument, json: jsonFlag, config: configFlag, cacheDir: cacheDirFlag, profile: profileFlag },
  (args) =>
    Effect.gen(function* () {
      const root = yield* repositoryRoot(args.dir)
      const config = yield* loadConfig(root, args.config)
      const cache = Scan.cacheDirFor(root, args.cacheDir._tag === "Some" ? resolve(args.cacheDir.value) : Scan.userCacheDir())
      // the loaded config, so scan.include / scan.exclude / scan.rules apply (not only its plugins)
      const result = yield* Scan.scan(root, args.profile._tag === "Some" ? { config, cache, profile: resolve(args.profile.value) } : { config, cache })
      yield* args.json ? printJson(result) : print(Scan.format(result))
    })
).pipe(Command.withDescription("Scan JS/TS sources for improvement opportunities (tree-sitter rules and text heuristics)"))
