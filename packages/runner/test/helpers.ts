import { cpSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), "fixtures")

/** Copies a fixture directory into a fresh temp dir (removed when the scope closes). */
export const copyFixture = (name: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = mkdtempSync(join(tmpdir(), `ratchet-fx-${name.replace(/\W/g, "_")}-`))
      cpSync(join(fixturesDir, name), dir, { recursive: true })
      return dir
    }),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

export const node = process.execPath
