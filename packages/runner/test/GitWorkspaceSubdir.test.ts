import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { Workspace } from "@ratchet/core"
import { GitWorkspace } from "@ratchet/runner"

const sh = (cwd: string, ...args: Array<string>) =>
  execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd }).toString().trim()

describe("GitWorkspace with a source inside a repository", () => {
  it.live("roots the workspace at the same sub-directory of the worktree", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "ratchet-mono-"))
      const state = mkdtempSync(join(tmpdir(), "ratchet-state-"))
      try {
        sh(dir, "init", "-q", "-b", "main")
        mkdirSync(join(dir, "examples", "app"), { recursive: true })
        writeFileSync(join(dir, "package.json"), "{}")
        writeFileSync(join(dir, "examples", "app", "package.json"), JSON.stringify({ name: "app" }))
        sh(dir, "add", "-A")
        sh(dir, "commit", "-q", "-m", "first")
        mkdirSync(join(dir, "examples", "uncommitted"))
        const ws = yield* Workspace.Workspace.pipe(Effect.provide(GitWorkspace.layer({ stateDir: state })))
        const scope = yield* Scope.make()
        const handle = yield* ws.prepare({ source: join(dir, "examples", "app"), purpose: "baseline" }).pipe(Scope.provide(scope))
        expect(handle.path.endsWith(join("examples", "app"))).toBe(true)
        expect(JSON.parse(readFileSync(join(handle.path, "package.json"), "utf8"))).toEqual({ name: "app" })
        const missing = yield* Effect.flip(
          ws.prepare({ source: join(dir, "examples", "uncommitted"), purpose: "baseline" }).pipe(Scope.provide(scope))
        )
        expect(missing.message).toContain("does not exist at that commit")
        yield* Scope.close(scope, Exit.void)
        expect(existsSync(handle.path)).toBe(false)
      } finally {
        rmSync(dir, { recursive: true, force: true })
        rmSync(state, { recursive: true, force: true })
      }
    })
  )
})
