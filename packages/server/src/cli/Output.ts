/**
 * Output helpers shared by the CLI commands: JSON to stdout, human text, and exit codes.
 */
import { Effect } from "effect"

/** Writes one JSON document to stdout. */
export const printJson = (value: unknown): Effect.Effect<void> =>
  Effect.sync(() => {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
  })

/** Writes text to stdout. */
export const print = (text: string): Effect.Effect<void> =>
  Effect.sync(() => {
    process.stdout.write(text.endsWith("\n") ? text : `${text}\n`)
  })

/** Writes a progress line to stderr (kept off stdout so `--json` output stays clean). */
export const progress = (text: string): Effect.Effect<void> =>
  Effect.sync(() => {
    process.stderr.write(`${text}\n`)
  })
