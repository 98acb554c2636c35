/**
 * The `Workspace` adapter: a bare mirror cache plus one `git worktree` per run and per candidate,
 * at an exact commit, removed when its scope closes — and, after a crash, on the next start.
 *
 * - Sources: a local path (a git repository, or any directory inside one) or a git URL
 *   (`https://…`, or `file://…` for repositories on disk). Plain `http://`, `ssh://`, `git://` and
 *   URLs with embedded credentials are rejected; an `https` URL whose host *resolves* to a loopback,
 *   private, link-local, CGNAT, multicast or metadata address is rejected unless `allowPrivateHosts`
 *   is set (SSRF, see {@link RemoteHost}), and the clone/fetch is pinned to the checked address.
 * - A local directory that is **not** a git repository is copied (without `node_modules`, `.git`
 *   and `.ratchet`) into the workspace with `commit: null` and a warning in `handle.warnings`:
 *   the developer-on-a-laptop case keeps working, and the report says the commit is unknown.
 * - Mirrors live in `<stateDir>/cache/mirrors/<hash>.git`; worktrees in {@link worktreesDirOf} `/<id>/`
 *   (under the OS temp directory, so no tool finds another project's configuration above them)
 *   with an `owner.json` naming the process that made them. On start, worktrees whose owner process
 *   is gone are removed and each mirror's worktree list is pruned.
 * - Dependencies: see {@link Dependencies}. A candidate prepared with `reuseFrom` gets the baseline's
 *   installed trees without reinstalling; any workspace whose (lockfile hash, package manager) is
 *   already cached gets them too, and `handle.dependencies.reused` says so.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workspace } from "@ratchet/core"
 * import { GitWorkspace } from "@ratchet/runner"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const ws = yield* Workspace.Workspace
 *     const base = yield* ws.prepare({ source: "/path/to/repo", purpose: "baseline" })
 *     const cand = yield* ws.prepare({ source: "/path/to/repo", commit: base.commit ?? "HEAD", purpose: "candidate", reuseFrom: base })
 *     return [base.path, cand.path]
 *   })
 * ).pipe(Effect.provide(GitWorkspace.layer()))
 * ```
 *
 * @since 0.1.0
 */
import { createHash, randomUUID } from "node:crypto"
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, dirname, join, relative, resolve } from "node:path"
import { type Context, Effect, Layer } from "effect"
import { RatchetError, Workspace } from "@ratchet/core"
import * as Dependencies from "./Dependencies.js"
import { git } from "./internal/git.js"
import * as RemoteHost from "./RemoteHost.js"

/**
 * Options of the git workspace manager.
 *
 * @since 0.1.0
 */
export interface GitWorkspaceOptions {
  /** Ratchet's state directory. Default `.ratchet` (relative to the current directory). */
  readonly stateDir?: string
  /** Allow `https` URLs that point at loopback/private/link-local hosts. Default `false`. */
  readonly allowPrivateHosts?: boolean
  /**
   * Resolves URL hosts for the SSRF check (default the system resolver). The clone and fetch are
   * pinned to the address that was checked.
   */
  readonly resolve?: RemoteHost.Resolver
  /** Timeout for clone and fetch, in ms. Default 10 minutes. */
  readonly fetchTimeoutMs?: number
}

type Source =
  | { readonly kind: "url"; readonly url: string; readonly pin: ReadonlyArray<string> }
  | { readonly kind: "git"; readonly path: string }
  | { readonly kind: "dir"; readonly path: string }

const badSource = (source: string, what: string, fix: string) => RatchetError.badInput({ what, where: source, fix })

const classify = Effect.fn("GitWorkspace.classify")(function* (source: string, options: GitWorkspaceOptions) {
  if (source.trim().length === 0 || source.includes("\0")) {
    return yield* Effect.fail(badSource(JSON.stringify(source), "empty or NUL-containing source", "pass a repository path or an https git URL"))
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) || /^[^/]+@[^/]+:/.test(source)) {
    let url: URL
    try {
      url = new URL(source)
    } catch {
      return yield* Effect.fail(badSource(source, "not a valid URL", "pass an https git URL or a local path"))
    }
    if (url.protocol === "file:") return { kind: "git", path: decodeURIComponent(url.pathname) } as Source
    if (url.protocol !== "https:") {
      return yield* Effect.fail(
        badSource(source, `git URL scheme ${url.protocol.replace(":", "")} is not allowed`, "use an https:// URL (or a local path / file:// URL)")
      )
    }
    if (url.username || url.password) {
      return yield* Effect.fail(badSource(url.host, "credentials embedded in the git URL", "remove them; connectors pass credentials separately"))
    }
    if (options.allowPrivateHosts) return { kind: "url", url: url.toString(), pin: [] } as Source
    // The host is resolved and every address checked; git then connects to the checked address only.
    const checked = yield* Effect.promise(() => RemoteHost.check(url, options.resolve ?? RemoteHost.systemResolver))
    if (!checked.ok) {
      return yield* Effect.fail(badSource(source, `${checked.reason}; refused (SSRF)`, "use a public host, or set allowPrivateHosts for trusted networks"))
    }
    return { kind: "url", url: url.toString(), pin: RemoteHost.gitPinArgs(checked) } as Source
  }
  const path = resolve(source)
  if (!existsSync(path)) return yield* Effect.fail(badSource(path, "the source path does not exist", "pass an existing repository directory"))
  if (!statSync(path).isDirectory()) return yield* Effect.fail(badSource(path, "the source is not a directory", "pass a repository directory"))
  const inside = yield* Effect.promise(() => git(["rev-parse", "--git-dir"], { cwd: path }))
  return (inside.ok ? { kind: "git", path } : { kind: "dir", path }) as Source
})

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: string }).code === "EPERM"
  }
}

/**
 * Where the worktrees of a state directory live: under the OS temp directory, outside any project.
 * Tools run in a worktree (vitest, eslint, tsc, npm, …) look for configuration in parent
 * directories; a worktree inside another project (e.g. a `.ratchet/` in the directory Ratchet is
 * run from) would pick up that project's configuration.
 *
 * @since 0.1.0
 */
export const worktreesDirOf = (stateDir: string): string =>
  join(tmpdir(), `ratchet-worktrees-${process.getuid?.() ?? "user"}`, createHash("sha256").update(resolve(stateDir)).digest("hex").slice(0, 16))

/**
 * Removes worktrees left behind by processes that no longer run, and prunes mirrors' worktree lists.
 * Returns the removed worktree directories.
 *
 * @since 0.1.0
 */
export const cleanupStale = (stateDir: string): Effect.Effect<Array<string>> =>
  Effect.promise(async () => {
    const root = resolve(stateDir)
    const removed: Array<string> = []
    const worktrees = worktreesDirOf(root)
    if (existsSync(worktrees)) {
      for (const id of readdirSync(worktrees)) {
        const dir = join(worktrees, id)
        let owner: { pid?: number; host?: string } = {}
        try {
          owner = JSON.parse(readFileSync(join(dir, "owner.json"), "utf8"))
        } catch {
          // no owner file: a crash between mkdir and write; stale
        }
        if (typeof owner.pid === "number" && owner.pid !== process.pid && pidAlive(owner.pid)) continue
        if (owner.pid === process.pid) continue
        rmSync(dir, { recursive: true, force: true })
        removed.push(dir)
      }
    }
    const mirrors = join(root, "cache", "mirrors")
    if (existsSync(mirrors)) {
      for (const m of readdirSync(mirrors)) await git(["worktree", "prune"], { cwd: join(mirrors, m) })
    }
    return removed
  })

/**
 * Builds the service. Runs the stale-worktree cleanup first.
 *
 * @since 0.1.0
 */
export const make = (options: GitWorkspaceOptions = {}): Effect.Effect<Context.Service.Shape<typeof Workspace.Workspace>> =>
  Effect.gen(function* () {
    const stateDir = resolve(options.stateDir ?? ".ratchet")
    const cacheDir = join(stateDir, "cache")
    // commands may run as a dedicated unprivileged uid: it must be able to reach the worktrees (the
    // state directory itself may stay private: the server's data directory is 0700)
    yield* Effect.sync(() => {
      mkdirSync(stateDir, { recursive: true })
      for (const dir of [dirname(worktreesDirOf(stateDir)), worktreesDirOf(stateDir)]) {
        mkdirSync(dir, { recursive: true })
        const mode = statSync(dir).mode & 0o7777
        if ((mode & 0o111) !== 0o111) chmodSync(dir, mode | 0o111)
      }
    })
    const removed = yield* cleanupStale(stateDir)
    if (removed.length > 0) yield* Effect.logInfo(`Ratchet: removed ${removed.length} stale worktree(s) left by an earlier crash`)

    const mirrorFor = Effect.fn("GitWorkspace.mirror")(function* (remote: string, where: string, pin: ReadonlyArray<string> = []) {
      const mirror = join(cacheDir, "mirrors", `${createHash("sha256").update(remote).digest("hex").slice(0, 24)}.git`)
      if (!existsSync(join(mirror, "HEAD"))) {
        mkdirSync(join(cacheDir, "mirrors"), { recursive: true })
        rmSync(mirror, { recursive: true, force: true })
        const cloned = yield* Effect.promise(() => git([...pin, "clone", "--mirror", "--quiet", "--", remote, mirror], { timeoutMs: options.fetchTimeoutMs }))
        if (!cloned.ok) {
          rmSync(mirror, { recursive: true, force: true })
          return yield* Effect.fail(RatchetError.ioFailure(where, `git clone failed: ${cloned.stderr || `exit ${cloned.exitCode}`}`))
        }
      } else {
        const fetched = yield* Effect.promise(() =>
          git([...pin, "fetch", "--prune", "--quiet", "--", remote, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"], {
            cwd: mirror,
            timeoutMs: options.fetchTimeoutMs
          })
        )
        if (!fetched.ok) yield* Effect.logWarning(`Ratchet: fetching ${where} failed, using the cached mirror: ${fetched.stderr}`)
      }
      return mirror
    })

    const prepare = Effect.fn("GitWorkspace.prepare")(function* (prepareOptions: Workspace.PrepareOptions) {
      const source = yield* classify(prepareOptions.source, options)
      const id = `${prepareOptions.purpose}-${randomUUID().slice(0, 8)}`
      const dir = join(worktreesDirOf(stateDir), id)
      const path = join(dir, "checkout")
      const warnings: Array<string> = []
      let commit: string | null = null
      let mirror: string | null = null
      // A source inside a repository (e.g. a package of a monorepo): the workspace root is that sub-directory of the worktree.
      let subdir = ""

      yield* Effect.addFinalizer(() =>
        Effect.promise(async () => {
          if (mirror !== null && existsSync(path)) await git(["worktree", "remove", "--force", path], { cwd: mirror })
          rmSync(dir, { recursive: true, force: true })
          if (mirror !== null) await git(["worktree", "prune"], { cwd: mirror })
        })
      )
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, "owner.json"), JSON.stringify({ pid: process.pid, source: prepareOptions.source, purpose: prepareOptions.purpose }))

      if (source.kind === "dir") {
        warnings.push(
          `${source.path} is not a git repository: copied it as is (without node_modules, .git, .ratchet); the commit is unknown and results cannot be tied to one`
        )
        yield* Effect.try({
          try: () =>
            cpSync(source.path, path, {
              recursive: true,
              verbatimSymlinks: true,
              filter: (src) => !["node_modules", ".git", ".ratchet"].includes(basename(src)) || src === source.path
            }),
          catch: (error) => RatchetError.ioFailure(source.path, `cannot copy the directory: ${String(error)}`, error)
        })
      } else {
        const commitish = prepareOptions.commit ?? "HEAD"
        if (commitish.startsWith("-") || /[\s\0]/.test(commitish)) {
          return yield* Effect.fail(badSource(commitish, "not a valid commit-ish", "pass a commit sha, branch or tag"))
        }
        if (source.kind === "git") {
          const bare = yield* Effect.promise(() => git(["rev-parse", "--is-bare-repository"], { cwd: source.path }))
          const top = yield* Effect.promise(() =>
            git(["rev-parse", bare.stdout === "true" ? "--absolute-git-dir" : "--show-toplevel"], { cwd: source.path })
          )
          if (!top.ok) {
            return yield* Effect.fail(badSource(source.path, "not a git repository", "pass the path of a git checkout (or run `git init`)"))
          }
          const resolved = yield* Effect.promise(() => git(["rev-parse", "--verify", "--quiet", `${commitish}^{commit}`], { cwd: top.stdout }))
          if (!resolved.ok) {
            return yield* Effect.fail(
              badSource(`${source.path}@${commitish}`, "the commit does not exist in the repository (an empty repository has no HEAD yet)", "pass an existing commit, branch or tag")
            )
          }
          commit = resolved.stdout
          if (bare.stdout !== "true") subdir = relative(top.stdout, realpathSync(source.path))
          mirror = yield* mirrorFor(top.stdout, source.path)
          const present = yield* Effect.promise(() => git(["cat-file", "-e", `${commit}^{commit}`], { cwd: mirror as string }))
          if (!present.ok) {
            const fetched = yield* Effect.promise(() => git(["fetch", "--quiet", "--no-tags", "--", top.stdout, commit as string], { cwd: mirror as string }))
            if (!fetched.ok) return yield* Effect.fail(RatchetError.ioFailure(source.path, `cannot fetch ${commit}: ${fetched.stderr}`))
          }
        } else {
          mirror = yield* mirrorFor(source.url, source.url, source.pin)
          const resolved = yield* Effect.promise(() => git(["rev-parse", "--verify", "--quiet", `${commitish}^{commit}`], { cwd: mirror as string }))
          if (!resolved.ok) {
            return yield* Effect.fail(badSource(`${source.url}@${commitish}`, "the commit does not exist in the repository", "pass an existing commit, branch or tag"))
          }
          commit = resolved.stdout
        }
        const added = yield* Effect.promise(() => git(["worktree", "add", "--detach", "--quiet", path, commit as string], { cwd: mirror as string }))
        if (!added.ok) return yield* Effect.fail(RatchetError.ioFailure(path, `git worktree add failed: ${added.stderr}`))
      }

      const root = subdir === "" ? path : join(path, subdir)
      if (!existsSync(root)) {
        return yield* Effect.fail(badSource(`${source.kind === "url" ? source.url : source.path}@${commit}`, `the directory ${subdir} does not exist at that commit (is it committed?)`, "commit the directory, or pass the repository root"))
      }

      // dependencies: from the live baseline for a candidate, else from the (lockfile, pm) cache
      const depKey = Dependencies.key(root, prepareOptions.packageManager)
      let reused = false
      const linked = yield* Effect.tryPromise({
        try: async () => {
          if (depKey !== null && (await Dependencies.restore(cacheDir, depKey, root))) return true
          const from = prepareOptions.reuseFrom
          if (from && existsSync(from.path)) {
            // the key the baseline had when it was prepared: its install may have written a lockfile since
            // (`npm install` in a repository that commits none), and `null` (no lockfile) is a key too
            const fromKey = from.dependencies !== undefined ? from.dependencies.key : Dependencies.key(from.path, prepareOptions.packageManager)
            if (fromKey === depKey) return (await Dependencies.linkFrom(from.path, root)) > 0
            warnings.push("the candidate's lockfile differs from the baseline's: dependencies were not reused")
          }
          return false
        },
        catch: (error) => RatchetError.ioFailure(path, `cannot link the installed dependencies: ${String(error)}`, error)
      })
      reused = linked

      return {
        path: root,
        commit,
        purpose: prepareOptions.purpose,
        dependencies: { key: depKey, reused },
        warnings
      } satisfies Workspace.WorkspaceHandle
    })

    return Workspace.Workspace.of({ prepare })
  })

/**
 * The git workspace manager as a layer.
 *
 * @since 0.1.0
 */
export const layer = (options: GitWorkspaceOptions = {}): Layer.Layer<Workspace.Workspace> => Layer.effect(Workspace.Workspace, make(options))

/**
 * Saves a workspace's installed dependencies in the cache so later workspaces with the same
 * (lockfile hash, package manager) reuse them. A no-op without a lockfile or when already cached.
 *
 * @since 0.1.0
 */
export const saveDependencies = (
  handle: Workspace.WorkspaceHandle,
  options: { readonly stateDir?: string; readonly packageManager?: string } = {}
): Effect.Effect<boolean, RatchetError.RatchetError> =>
  Effect.tryPromise({
    try: async () => {
      const k = handle.dependencies?.key ?? Dependencies.key(handle.path, options.packageManager)
      if (k === null) return false
      return Dependencies.save(join(resolve(options.stateDir ?? ".ratchet"), "cache"), k, handle.path)
    },
    catch: (error) => RatchetError.ioFailure(handle.path, `cannot cache the installed dependencies: ${String(error)}`, error)
  })
