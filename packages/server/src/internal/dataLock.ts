/**
 * One writer per data directory: `ratchet serve` holds `<data>/server.pid` (created exclusively,
 * holding its pid) for as long as it runs. A second server on the same directory finds the file,
 * sees that the pid in it is alive, and refuses to start; a file left by a server that was
 * killed (SIGKILL, power loss) names a dead pid and is taken over.
 *
 * Liveness is `kill(pid, 0)` on this host: like PostgreSQL's postmaster.pid, a dead server whose
 * pid was since reused by another process looks alive; the message says which file to remove then.
 *
 * @internal
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect } from "effect"
import { invalid, type ServerError, storeFailure } from "../ServerError.js"

/** The lock file's name inside the data directory. */
export const LOCK_FILE = "server.pid"

interface Holder {
  readonly pid: number
  readonly host: string
  readonly startedAt: string
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

const readHolder = (file: string): Holder | null => {
  try {
    const parsed = JSON.parse(Fs.readFileSync(file, "utf8")) as Partial<Holder>
    return typeof parsed.pid === "number" && Number.isInteger(parsed.pid) && parsed.pid > 0
      ? { pid: parsed.pid, host: String(parsed.host ?? ""), startedAt: String(parsed.startedAt ?? "") }
      : null
  } catch {
    return null
  }
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/**
 * Takes the data directory's lock for this process, or fails with `Invalid` (exit 2 in the CLI)
 * naming the directory and the pid that holds it. Released (the file removed) when the scope closes.
 */
export const acquire = (dataDir: string) =>
  Effect.acquireRelease(
    Effect.suspend((): Effect.Effect<string, ServerError> => {
      const dir = Path.resolve(dataDir)
      const file = Path.join(dir, LOCK_FILE)
      try {
        Fs.mkdirSync(dir, { recursive: true })
      } catch (e) {
        return Effect.fail(storeFailure(`creating the data directory ${dir}`, e))
      }
      const me: Holder = { pid: process.pid, host: Os.hostname(), startedAt: new Date().toISOString() }
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          Fs.writeFileSync(file, `${JSON.stringify(me)}\n`, { flag: "wx", mode: 0o644 })
          return Effect.succeed(file)
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code
          if (code !== "EEXIST") {
            return Effect.fail(invalid("data", `cannot create the lock file ${file} (${code ?? String(e)}); the data directory must be writable`))
          }
        }
        const holder = readHolder(file)
        if (holder === null) {
          // Created but not written yet by a server starting right now: give it a moment, then treat it as debris.
          if (attempt < 20) {
            sleepSync(25)
            continue
          }
        } else if (holder.pid !== process.pid && alive(holder.pid)) {
          return Effect.fail(
            invalid(
              "data",
              `data directory ${dir} is in use by another ratchet server (pid ${holder.pid}${holder.host && holder.host !== me.host ? ` on ${holder.host}` : ""}, started ${holder.startedAt}). Stop that server, or pass another --data directory. If no such server runs (its pid was reused), remove ${file}.`
            )
          )
        }
        // A dead holder (killed server): move its file aside and retry. Only one of several starters
        // racing here can rename that file; the others see ENOENT and retry the exclusive create.
        const aside = `${file}.stale-${process.pid}`
        try {
          Fs.renameSync(file, aside)
        } catch {
          continue // someone else moved it first
        }
        // Between our read and the rename another starter may have replaced the dead file with its
        // own live one: put that back (link fails if a file is there again) and look again.
        const moved = readHolder(aside)
        if (moved !== null && moved.pid !== process.pid && alive(moved.pid)) {
          try {
            Fs.linkSync(aside, file)
          } catch {
            // a third starter got there; the next round sorts it out
          }
        }
        Fs.rmSync(aside, { force: true })
      }
      return Effect.fail(invalid("data", `cannot take the lock ${file}: it keeps changing hands; is another server starting on ${dir}?`))
    }),
    (file) =>
      Effect.sync(() => {
        // Only our own file: never remove a lock another process took over.
        if (readHolder(file)?.pid === process.pid) Fs.rmSync(file, { force: true })
      })
  )
