/**
 * Real repositories and runs for the server's stage tests: a directory of files committed on `main`
 * by a fixture identity, and a wait for a run to end.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { Duration, Effect } from "effect"
import { type Run, Store } from "../../src/Store.js"

/** Writes `files` under `dir` and commits them (a real git repository, branch `main`); returns `dir`. */
export const committedRepo = (dir: string, files: Readonly<Record<string, string>>): string => {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true })
    writeFileSync(join(dir, file), content)
  }
  const git = (...args: Array<string>) =>
    execFileSync("git", ["-c", "user.email=fixture@example.com", "-c", "user.name=fixture", "-c", "init.defaultBranch=main", ...args], { cwd: dir, stdio: "pipe" })
  git("init", "-q")
  git("add", "-A")
  git("commit", "-q", "-m", "fixture")
  return dir
}

/** Polls the store every `everyMs` until the run has ended; dies after `polls` polls. */
export const waitForRun = (runId: string, options: { readonly polls: number; readonly everyMs: number }): Effect.Effect<Run, never, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    for (let i = 0; i < options.polls; i++) {
      const run = yield* Effect.orDie(store.getRun(null, runId))
      if (run.status === "succeeded" || run.status === "failed" || run.status === "cancelled") return run
      yield* Effect.sleep(Duration.millis(options.everyMs))
    }
    return yield* Effect.die(new Error(`run ${runId} did not finish`))
  })
