import { Config, Detect, Scan } from "@ratchet/core"
import { Effect } from "effect"

// Detect how a repository builds and tests, then scan it for opportunities.
const program = (root: string) =>
  Effect.gen(function* () {
    const config = yield* Config.loadConfig(root)
    const profile = yield* Detect.detect(root, { config })
    const { opportunities } = yield* Scan.scan(root, { config })
    return { packageManager: profile.packageManager.name, test: profile.commands.test?.command ?? null, opportunities }
  })

const result = await Effect.runPromise(program(process.argv[2] ?? "."))
console.log(JSON.stringify(result, null, 2))
