import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { Workspace } from "@ratchet/core"
import { GitWorkspace } from "@ratchet/runner"

const sh = (cwd: string, ...args: Array<string>) =>
  execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd }).toString().trim()

const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), prefix))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

/** A real repository with two commits and an installed-looking node_modules (untracked). */
const makeRepo = Effect.gen(function* () {
  const dir = yield* tempDir("ratchet-src-")
  sh(dir, "init", "-q", "-b", "main")
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "x", version: "1.0.0" }))
  writeFileSync(join(dir, "package-lock.json"), JSON.stringify({ lockfileVersion: 3, packages: {} }))
  writeFileSync(join(dir, "a.txt"), "one\n")
  writeFileSync(join(dir, ".gitignore"), "node_modules\n")
  sh(dir, "add", "-A")
  sh(dir, "commit", "-q", "-m", "first")
  const first = sh(dir, "rev-parse", "HEAD")
  writeFileSync(join(dir, "a.txt"), "two\n")
  sh(dir, "commit", "-q", "-am", "second")
  const second = sh(dir, "rev-parse", "HEAD")
  return { dir, first, second }
})

const layerIn = (stateDir: string) => GitWorkspace.layer({ stateDir })

describe("GitWorkspace", () => {
  it.live("creates a worktree at an exact commit and removes it when the scope closes", () =>
    Effect.gen(function* () {
      const repo = yield* makeRepo
      const state = yield* tempDir("ratchet-state-")
      const ws = yield* Workspace.Workspace.pipe(Effect.provide(layerIn(state)))
      const scope = yield* Scope.make()
      const base = yield* ws.prepare({ source: repo.dir, purpose: "baseline" }).pipe(Scope.provide(scope))
      expect(base.commit).toBe(repo.second)
      expect(readFileSync(join(base.path, "a.txt"), "utf8")).toBe("two\n")
      const old = yield* ws.prepare({ source: repo.dir, commit: repo.first, purpose: "candidate" }).pipe(Scope.provide(scope))
      expect(old.commit).toBe(repo.first)
      expect(readFileSync(join(old.path, "a.txt"), "utf8")).toBe("one\n")
      expect(existsSync(join(state, "cache", "mirrors"))).toBe(true)
      yield* Scope.close(scope, Exit.void)
      expect(existsSync(base.path)).toBe(false)
      expect(existsSync(old.path)).toBe(false)
      // git no longer lists them
      const mirror = join(state, "cache", "mirrors")
      const [name] = execFileSync("ls", [mirror]).toString().trim().split("\n")
      expect(sh(join(mirror, name), "worktree", "list")).not.toContain("checkout")
    })
  )

  it.live("accepts a file:// git URL and rejects insecure or private URLs with clear errors", () =>
    Effect.gen(function* () {
      const repo = yield* makeRepo
      const state = yield* tempDir("ratchet-state-")
      const bare = join(state, "remote.git")
      sh(state, "clone", "-q", "--bare", repo.dir, bare)
      const ws = yield* Workspace.Workspace.pipe(Effect.provide(layerIn(state)))
      const handle = yield* Effect.scoped(ws.prepare({ source: `file://${bare}`, commit: "main", purpose: "baseline" }))
      expect(handle.commit).toBe(repo.second)
      for (const [source, pattern] of [
        ["http://example.com/r.git", /scheme http is not allowed/],
        ["git@github.com:a/b.git", /not allowed|not a valid URL/],
        ["https://127.0.0.1/r.git", /127.0.0.1, a loopback address/],
        ["https://169.254.169.254/latest", /link-local \(cloud metadata\)/],
        ["https://user:pw@example.com/r.git", /credentials embedded/],
        ["/definitely/not/here", /does not exist/]
      ] as const) {
        const error = yield* Effect.scoped(ws.prepare({ source, purpose: "baseline" })).pipe(Effect.flip)
        expect(error.reason._tag).toBe("BadInput")
        expect(error.message).toMatch(pattern)
      }
      const unknown = yield* Effect.scoped(ws.prepare({ source: repo.dir, commit: "no-such-branch", purpose: "baseline" })).pipe(Effect.flip)
      expect(unknown.message).toMatch(/commit does not exist/)
    })
  )

  it.live("copies a non-git directory with a warning and commit null", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir("ratchet-plain-")
      writeFileSync(join(dir, "index.js"), "1")
      mkdirSync(join(dir, "node_modules", "dep"), { recursive: true })
      const state = yield* tempDir("ratchet-state-")
      const ws = yield* Workspace.Workspace.pipe(Effect.provide(layerIn(state)))
      const handle = yield* Effect.scoped(
        ws.prepare({ source: dir, purpose: "baseline" }).pipe(
          Effect.tap((h) => Effect.sync(() => expect(existsSync(join(h.path, "index.js"))).toBe(true))),
          Effect.tap((h) => Effect.sync(() => expect(existsSync(join(h.path, "node_modules"))).toBe(false)))
        )
      )
      expect(handle.commit).toBeNull()
      expect(handle.warnings?.join("\n")).toMatch(/is not a git repository/)
    })
  )

  it.live("removes worktrees left by a crashed process on the next start", () =>
    Effect.gen(function* () {
      const repo = yield* makeRepo
      const state = yield* tempDir("ratchet-state-")
      // simulate a crash: a worktree whose owner process is gone
      const ws = yield* Workspace.Workspace.pipe(Effect.provide(layerIn(state)))
      const scope = yield* Scope.make()
      const handle = yield* ws.prepare({ source: repo.dir, purpose: "baseline" }).pipe(Scope.provide(scope))
      // worktrees live outside the state directory and outside any project (tools search parent directories)
      expect(handle.path.startsWith(state)).toBe(false)
      expect(handle.path.startsWith(GitWorkspace.worktreesDirOf(state))).toBe(true)
      const ownerFile = join(handle.path, "..", "owner.json")
      writeFileSync(ownerFile, JSON.stringify({ pid: 2 ** 22 + 12345 }))
      // a new manager (next start) cleans it up
      yield* Workspace.Workspace.pipe(Effect.provide(layerIn(state)))
      expect(existsSync(handle.path)).toBe(false)
    })
  )

  it.live("gives a candidate the baseline's installed dependencies without reinstalling (hard links)", () =>
    Effect.gen(function* () {
      const repo = yield* makeRepo
      const state = yield* tempDir("ratchet-state-")
      const ws = yield* Workspace.Workspace.pipe(Effect.provide(layerIn(state)))
      const scope = yield* Scope.make()
      const base = yield* ws.prepare({ source: repo.dir, purpose: "baseline", packageManager: "npm" }).pipe(Scope.provide(scope))
      expect(base.dependencies).toEqual({ key: expect.any(String), reused: false })
      // "install"
      mkdirSync(join(base.path, "node_modules", "dep", "lib"), { recursive: true })
      writeFileSync(join(base.path, "node_modules", "dep", "lib", "index.js"), "module.exports = 42")
      mkdirSync(join(base.path, "node_modules", ".vite"), { recursive: true })
      writeFileSync(join(base.path, "node_modules", ".vite", "results.json"), "{}")
      const cand = yield* ws
        .prepare({ source: repo.dir, commit: base.commit ?? undefined, purpose: "candidate", reuseFrom: base, packageManager: "npm" })
        .pipe(Scope.provide(scope))
      expect(cand.dependencies?.reused).toBe(true)
      const a = statSync(join(base.path, "node_modules", "dep", "lib", "index.js"))
      const b = statSync(join(cand.path, "node_modules", "dep", "lib", "index.js"))
      expect(b.ino).toBe(a.ino) // the same file, not a copy
      expect(existsSync(join(cand.path, "node_modules", ".vite"))).toBe(false) // tool caches are not shared

      // saved once per (lockfile, pm): a later baseline reuses it from the cache
      expect(yield* GitWorkspace.saveDependencies(base, { stateDir: state })).toBe(true)
      expect(yield* GitWorkspace.saveDependencies(base, { stateDir: state })).toBe(false)
      yield* Scope.close(scope, Exit.void)
      const again = yield* Effect.scoped(
        ws.prepare({ source: repo.dir, purpose: "baseline", packageManager: "npm" }).pipe(
          Effect.tap((h) => Effect.sync(() => expect(readFileSync(join(h.path, "node_modules", "dep", "lib", "index.js"), "utf8")).toBe("module.exports = 42")))
        )
      )
      expect(again.dependencies?.reused).toBe(true)
      // another package manager is another key
      const other = yield* Effect.scoped(ws.prepare({ source: repo.dir, purpose: "baseline", packageManager: "pnpm" }))
      expect(other.dependencies?.reused).toBe(false)
    })
  )
  it.live("a repository without a lockfile: the candidate still gets the baseline's dependencies (the install wrote a lockfile there)", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir("ratchet-src-")
      sh(dir, "init", "-q", "-b", "main")
      writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "x", version: "1.0.0", devDependencies: { dep: "^1.0.0" } }))
      writeFileSync(join(dir, ".gitignore"), "node_modules\n")
      sh(dir, "add", "-A")
      sh(dir, "commit", "-q", "-m", "first")
      const state = yield* tempDir("ratchet-state-")
      const ws = yield* Workspace.Workspace.pipe(Effect.provide(layerIn(state)))
      const base = yield* ws.prepare({ source: dir, purpose: "baseline", packageManager: "npm" })
      expect(base.dependencies).toEqual({ key: null, reused: false })
      // "npm install": node_modules, and a package-lock.json the repository does not commit
      mkdirSync(join(base.path, "node_modules", "dep"), { recursive: true })
      writeFileSync(join(base.path, "node_modules", "dep", "index.js"), "module.exports = 42")
      writeFileSync(join(base.path, "package-lock.json"), JSON.stringify({ lockfileVersion: 3, packages: { "node_modules/dep": { version: "1.0.0" } } }))
      const cand = yield* ws.prepare({ source: dir, commit: base.commit ?? undefined, purpose: "candidate", reuseFrom: base, packageManager: "npm" })
      expect(cand.warnings ?? []).toEqual([])
      expect(cand.dependencies?.reused).toBe(true)
      expect(readFileSync(join(cand.path, "node_modules", "dep", "index.js"), "utf8")).toBe("module.exports = 42")
    })
  )
})
