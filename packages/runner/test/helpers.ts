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

import { execFileSync } from "node:child_process"
import { renameSync } from "node:fs"
import type { RepoProfile } from "@ratchet/core"

/** Copies a fixture into a temp dir and makes it a real git repository with one commit. */
export const fixtureRepo = (name: string, prepare?: (dir: string) => void) =>
  Effect.flatMap(copyFixture(name), (dir) =>
    Effect.sync(() => {
      prepare?.(dir)
      const git = (...args: Array<string>) =>
        execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: dir, stdio: "pipe" })
      git("init", "-q", "-b", "main")
      git("add", "-A")
      git("commit", "-q", "-m", "fixture")
      return dir
    })
  )

export const enable = (dir: string, file: string) => renameSync(join(dir, `${file}.off`), join(dir, file))

type Commands = Partial<Record<keyof RepoProfile.Commands, string>>

/** A hand-built profile (the detect stage is tested elsewhere). */
export const profile = (root: string, commands: Commands, pm: RepoProfile.PackageManagerName = "npm"): RepoProfile.RepoProfile => {
  const spec = (command: string | undefined) =>
    command === undefined ? null : { command, cwd: "", confidence: 1, evidence: [{ file: "test", detail: "hand-built" }] }
  return {
    root,
    packageManager: { name: pm, variant: null, version: null, confidence: 1, evidence: [] },
    workspaces: [],
    frameworks: [],
    commands: {
      install: spec(commands.install),
      build: spec(commands.build),
      typecheck: spec(commands.typecheck),
      test: spec(commands.test),
      bench: spec(commands.bench)
    },
    warnings: []
  }
}

export const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), prefix))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

/** A persistent npm cache so the vitest fixture's real install hits the registry only once. */
export const npmCache = join(fixturesDir, "..", "..", "..", "..", "node_modules", ".cache", "ratchet-runner-fixtures", "npm")
