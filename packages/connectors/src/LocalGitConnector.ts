/**
 * The local git connector: a repository on disk (a path, or a `file://` URL — typically a bare
 * repository acting as the remote) or any `https://` git URL. "Opening a PR" means: a branch
 * `ratchet/<proposalId>` pushed to the remote plus `<proposalId>.patch` in the output directory.
 *
 * - `fetch(repo, commit, dir)` clones and checks out `commit` (detached) with the real `git`.
 * - The write is only reachable through the {@link WriteGate.WriteGate}: `make` returns a
 *   {@link WriteGate.Connector} whose `writer` is an opaque handle. The write creates the branch
 *   from the base commit, applies the approved diff with core's `Diff.apply` (the parser the policy
 *   checked it with; paths outside the tree, binary and symlink changes are refused), commits as `Ratchet <ratchet@localhost>` with the approval time as the
 *   date (so the same approved proposal always yields the same commit id), pushes without force
 *   and writes the commit as a `git format-patch` file.
 * - Idempotent: when the branch already exists with the same content hash (commit trailer
 *   `Ratchet-Content-Hash`), publishing returns it with `created: false`; a branch with other
 *   content is never overwritten.
 * - Every error and log line is redacted: the configured `secrets`, credentials in URLs and known
 *   token formats never appear.
 *
 * @example
 * ```ts
 * import { LocalGitConnector, WriteGate } from "@ratchet/connectors"
 *
 * const connector = LocalGitConnector.make({ outDir: ".ratchet/patches" })
 * const gate = WriteGate.WriteGate.layer() // + ApprovalStore and PolicyCheck layers; one per host
 * const published = WriteGate.make(connector) // a gate bound to this connector, or `layer(options)`: core's SourceConnector
 * ```
 *
 * @since 0.1.0
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { Diff, SourceConnector } from "@ratchet/core"
import { Effect, Layer } from "effect"
import { branchConflict, type ConnectorError, gitFailed, invalidRequest, redactWith } from "./ConnectorError.js"
import { AUTHOR_EMAIL, AUTHOR_NAME, type GitResult, git } from "./internal/git.js"
import { makeWriter, type Permit, type WriteResult } from "./internal/writer.js"
import { redactor } from "./Redact.js"
import type { Connector } from "./WriteGate.js"
import * as WriteGate from "./WriteGate.js"

/**
 * Options of the local git connector.
 *
 * @since 0.1.0
 */
export interface LocalGitOptions {
  /** Where `<proposalId>.patch` files are written. */
  readonly outDir: string
  /** Parent directory of temporary clones. Default: the OS temp directory. */
  readonly workDir?: string
  /** Values to redact from every error and log line (tokens in remote URLs are redacted anyway). */
  readonly secrets?: ReadonlyArray<string>
  /** Timeout of each git command in ms. Default 5 minutes. */
  readonly timeoutMs?: number
}

/**
 * The branch a proposal is published on.
 *
 * @since 0.1.0
 */
export const branchOf = (proposalId: string): string => `ratchet/${proposalId}`

/**
 * The trailer that binds a published commit to the approved content hash.
 *
 * @since 0.1.0
 */
export const CONTENT_HASH_TRAILER = "Ratchet-Content-Hash"

const COMMIT = /^(?:[0-9a-f]{7,64}|[A-Za-z0-9][A-Za-z0-9._/-]{0,199})$/i

/**
 * Resolves `repo` to something `git` can use as a remote, or explains why not.
 *
 * @since 0.1.0
 */
export const resolveRemote = (repo: string): { readonly remote: string } | { readonly problem: string; readonly fix: string } => {
  if (typeof repo !== "string" || repo.trim().length === 0 || repo.includes("\0") || /[\r\n]/.test(repo)) {
    return { problem: "the repository is empty or contains a NUL byte or a line break", fix: "pass a repository path, a file:// URL or an https:// URL" }
  }
  if (/^[a-z][a-z0-9+.-]*::/i.test(repo)) {
    return { problem: "git remote helpers (<transport>::<address>) are not supported", fix: "use a local path, a file:// URL or an https:// URL" }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^/]+:/.test(repo)) {
    let url: URL
    try {
      url = new URL(repo)
    } catch {
      return { problem: "the repository is not a valid URL", fix: "pass a repository path, a file:// URL or an https:// URL" }
    }
    if (url.username || url.password) {
      return { problem: "the repository URL has credentials embedded in it", fix: "remove them from the URL; pass secrets through the connector's configuration" }
    }
    if (url.protocol === "file:") return checkPath(decodeURIComponent(url.pathname))
    if (url.protocol === "https:") return { remote: url.toString() }
    return { problem: `the URL scheme ${url.protocol.replace(":", "")} is not supported`, fix: "use a local path, a file:// URL or an https:// URL" }
  }
  return checkPath(repo)
}

const checkPath = (path: string): { readonly remote: string } | { readonly problem: string; readonly fix: string } => {
  const abs = resolve(path)
  if (!existsSync(abs)) return { problem: "the repository path does not exist", fix: "pass the path of an existing git repository (bare or not)" }
  if (!statSync(abs).isDirectory()) return { problem: "the repository path is not a directory", fix: "pass the path of a git repository" }
  return { remote: abs }
}

/**
 * Makes the connector.
 *
 * @since 0.1.0
 */
export const make = (options: LocalGitOptions): Connector => {
  const secrets = options.secrets ?? []
  const clean = redactor(secrets)
  const timeoutMs = options.timeoutMs ?? 5 * 60_000
  const outDir = resolve(options.outDir)
  const workDir = resolve(options.workDir ?? tmpdir())

  const run = (args: ReadonlyArray<string>, cwd?: string, env?: Record<string, string>): Effect.Effect<GitResult> =>
    Effect.promise(() => git(args, { ...(cwd === undefined ? {} : { cwd }), timeoutMs, ...(env === undefined ? {} : { env }) }))

  const fail = (operation: string, where: string, result: GitResult): ConnectorError =>
    gitFailed({
      operation,
      where: clean(where),
      detail: clean(result.timedOut ? `timed out after ${timeoutMs} ms` : (result.stderr || result.stdout || `exit code ${result.exitCode}`).slice(0, 2000))
    })

  const must = (operation: string, where: string, args: ReadonlyArray<string>, cwd?: string, env?: Record<string, string>) =>
    Effect.flatMap(run(args, cwd, env), (r) => (r.ok ? Effect.succeed(r.stdout) : Effect.fail(fail(operation, where, r))))

  const remoteOf = (repo: string) => {
    const resolved = resolveRemote(repo)
    return "remote" in resolved
      ? Effect.succeed(resolved.remote)
      : Effect.fail(invalidRequest({ what: resolved.problem, where: clean(repo.slice(0, 500)), fix: resolved.fix }))
  }

  const tempDir = Effect.acquireRelease(
    Effect.try({
      try: () => {
        mkdirSync(workDir, { recursive: true })
        return mkdtempSync(join(workDir, "ratchet-publish-"))
      },
      catch: (e) => invalidRequest({ what: `cannot create a temporary directory: ${String(e)}`, where: workDir, fix: "make the work directory writable" })
    }),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

  const fetch = Effect.fn("LocalGitConnector.fetch")(function* (repo: string, commit: string, dir: string) {
    const remote = yield* remoteOf(repo)
    if (typeof commit !== "string" || !COMMIT.test(commit) || commit.includes("..")) {
      return yield* Effect.fail(
        invalidRequest({ what: "the commit is not a commit id or a plain ref name", where: clean(String(commit).slice(0, 200)), fix: "pass a sha such as 1a2b3c4 or a branch name" })
      )
    }
    if (typeof dir !== "string" || dir.length === 0 || dir.includes("\0")) {
      return yield* Effect.fail(invalidRequest({ what: "the target directory is empty or contains a NUL byte", where: "dir", fix: "pass a directory path" }))
    }
    const target = resolve(dir)
    if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0)) {
      return yield* Effect.fail(invalidRequest({ what: "the target directory exists and is not empty", where: target, fix: "pass a new or empty directory" }))
    }
    const existed = existsSync(target)
    const cleanup = Effect.sync(() => {
      if (!existed) return rmSync(target, { recursive: true, force: true })
      for (const entry of readdirSync(target)) rmSync(join(target, entry), { recursive: true, force: true })
    })
    return yield* Effect.gen(function* () {
      yield* must("clone", repo, ["clone", "--quiet", "--no-checkout", "--", remote, target])
      yield* must("checkout", `${repo} at ${commit}`, ["checkout", "--quiet", "--detach", `${commit}^{commit}`], target)
      return (yield* must("rev-parse", target, ["rev-parse", "HEAD"], target)).trim()
    }).pipe(Effect.tapError(() => cleanup))
  })

  const writePatch = (id: string, patch: string) =>
    Effect.try({
      try: () => {
        mkdirSync(outDir, { recursive: true })
        const file = join(outDir, `${id}.patch`)
        const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
        try {
          writeFileSync(tmp, patch)
          renameSync(tmp, file)
        } finally {
          rmSync(tmp, { force: true })
        }
        return file
      },
      catch: (e) => invalidRequest({ what: clean(`cannot write the patch file: ${String(e)}`), where: outDir, fix: "make the output directory writable" })
    })

  const publish = (permit: Permit): Effect.Effect<WriteResult, ConnectorError> =>
    Effect.scoped(
      Effect.gen(function* () {
        const { proposal, contentHash } = permit
        const remote = yield* remoteOf(permit.repo)
        const branch = branchOf(proposal.id)
        const where = `${permit.repo} ${branch}`
        const heads = yield* must("ls-remote", permit.repo, ["ls-remote", "--heads", remote, `refs/heads/${permit.baseBranch}`, `refs/heads/${branch}`])
        const refs = new Map(
          heads
            .split("\n")
            .filter((l) => l.includes("\t"))
            .map((l) => {
              const [sha, ref] = l.split("\t")
              return [ref.trim(), sha.trim()] as const
            })
        )
        const baseTip = refs.get(`refs/heads/${permit.baseBranch}`)
        const existing = refs.get(`refs/heads/${branch}`)
        if (baseTip === undefined && existing === undefined) {
          return yield* Effect.fail(
            invalidRequest({ what: `the base branch ${permit.baseBranch} does not exist on the remote`, where: clean(permit.repo), fix: "pass an existing base branch" })
          )
        }
        const tmp = yield* tempDir
        const repoDir = join(tmp, "repo")
        yield* must("init", tmp, ["init", "--quiet", repoDir])
        const wanted = [
          ...(baseTip === undefined ? [] : [`+refs/heads/${permit.baseBranch}:refs/remotes/origin/${permit.baseBranch}`]),
          ...(existing === undefined ? [] : [`+refs/heads/${branch}:refs/remotes/origin/${branch}`])
        ]
        yield* must("fetch", permit.repo, ["fetch", "--quiet", "--no-tags", remote, ...wanted], repoDir)

        if (existing !== undefined) {
          const message = yield* must("log", where, ["log", "-1", "--format=%B", existing], repoDir)
          const trailer = new RegExp(`^${CONTENT_HASH_TRAILER}: ([0-9a-f]+)\\s*$`, "m").exec(message)
          if (trailer === null || trailer[1] !== contentHash) {
            return yield* Effect.fail(
              branchConflict(branch, trailer === null ? "was not made by Ratchet for this proposal" : `holds content hash ${trailer[1].slice(0, 12)}…, not the approved ${contentHash.slice(0, 12)}…`)
            )
          }
          const patch = yield* must("format-patch", where, ["format-patch", "-1", "--stdout", existing], repoDir)
          const patchFile = yield* writePatch(proposal.id, patch)
          return { branch, url: pathToFileURL(patchFile).href, created: false, commit: existing, patchFile }
        }

        const base = permit.baseCommit ?? (baseTip as string)
        const baseOk = yield* run(["merge-base", "--is-ancestor", `${base}^{commit}`, `refs/remotes/origin/${permit.baseBranch}`], repoDir)
        if (!baseOk.ok) {
          return yield* Effect.fail(
            invalidRequest({
              what: `the base commit ${base} is not on ${permit.baseBranch}`,
              where: clean(permit.repo),
              fix: "pass the commit the proposal was made against, or leave baseCommit out to use the branch tip"
            })
          )
        }
        yield* must("checkout", where, ["checkout", "--quiet", "-b", branch, `${base}^{commit}`], repoDir)
        // core's diff module applies the diff: the one the policy parsed and approved
        const applied = yield* Effect.result(Diff.apply(repoDir, proposal.diff))
        if (applied._tag === "Failure") {
          const reason = applied.failure.reason
          return yield* Effect.fail(
            gitFailed({
              operation: "apply",
              where: clean(`${permit.repo} at ${base.slice(0, 12)}`),
              detail: clean(`the approved diff does not apply: ${reason._tag === "IoFailure" ? reason.detail : reason.message}`.slice(0, 1500)),
              cause: applied.failure
            })
          )
        }
        // a fresh checkout of the base commit: everything that differs is the applied diff
        yield* must("add", where, ["add", "--all"], repoDir)
        const date = Number.isNaN(Date.parse(permit.approval.approvedAt)) ? "1970-01-01T00:00:00Z" : new Date(permit.approval.approvedAt).toISOString()
        const title = (proposal.title.split("\n")[0] ?? "").trim() || `Ratchet proposal ${proposal.id}`
        const message = [
          title,
          "",
          ...(permit.body.trim().length > 0 ? [permit.body.trim(), ""] : []),
          `Ratchet-Proposal: ${proposal.id}`,
          `${CONTENT_HASH_TRAILER}: ${contentHash}`,
          `Approved-By: ${permit.approval.approvedBy.replace(/[\r\n]+/g, " ")}`,
          ""
        ].join("\n")
        const messageFile = join(tmp, "message.txt")
        writeFileSync(messageFile, message)
        const env = {
          GIT_AUTHOR_NAME: AUTHOR_NAME,
          GIT_AUTHOR_EMAIL: AUTHOR_EMAIL,
          GIT_COMMITTER_NAME: AUTHOR_NAME,
          GIT_COMMITTER_EMAIL: AUTHOR_EMAIL,
          GIT_AUTHOR_DATE: date,
          GIT_COMMITTER_DATE: date
        }
        yield* must("commit", where, ["commit", "--quiet", "--no-verify", "--cleanup=verbatim", "-F", messageFile], repoDir, env)
        const commit = (yield* must("rev-parse", where, ["rev-parse", "HEAD"], repoDir)).trim()
        const patch = yield* must("format-patch", where, ["format-patch", "-1", "--stdout", "HEAD"], repoDir)
        yield* must("push", where, ["push", "--quiet", remote, `HEAD:refs/heads/${branch}`], repoDir)
        const patchFile = yield* writePatch(proposal.id, patch)
        return { branch, url: pathToFileURL(patchFile).href, created: true, commit, patchFile }
      })
    ).pipe(Effect.mapError((e) => redactWith(e, clean)))

  return {
    name: "local-git",
    fetch: (repo, commit, dir) => fetch(repo, commit, dir).pipe(Effect.mapError((e) => redactWith(e, clean))),
    writer: makeWriter("local-git", publish)
  }
}

/**
 * The local git connector as core's `SourceConnector` port: `fetch` reads directly; `publish` goes through
 * the host's one {@link WriteGate.WriteGate} (approval looked up, content hash recomputed, policy
 * re-run, one write per repository at a time, every attempt audited).
 *
 * @since 0.2.0
 */
export const layer = (options: LocalGitOptions): Layer.Layer<SourceConnector.SourceConnector, never, WriteGate.WriteGate> =>
  Layer.effect(SourceConnector.SourceConnector, WriteGate.sourceConnector(make(options)))
