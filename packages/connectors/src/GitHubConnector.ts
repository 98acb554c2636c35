/**
 * The GitHub connector (`@octokit/rest`, personal access token). Like every connector, its
 * write is an opaque {@link WriteGate.Writer}: only the WriteGate can publish.
 *
 * Publishing a proposal to `owner/name`:
 * 1. existing PR detection by head branch `ratchet/<proposalId>` (`state: all`): a PR whose body
 *    carries the approved content hash is returned with `created: false`; another content hash is
 *    a {@link ConnectorError.BranchConflict};
 * 2. an existing branch without a PR (a crash between the two steps) is reused when its commit
 *    carries the approved hash (`Ratchet-Content-Hash` trailer), refused otherwise;
 * 3. otherwise, through the Git Data API: read the base commit, fetch each touched file at the
 *    base, apply the approved diff in memory (exact context, no fuzz), create blobs, a tree on
 *    the base tree, a commit authored by `Ratchet <ratchet@localhost>` at the approval time, the
 *    branch ref, and the pull request.
 *
 * Rate limits: a 429, or a 403 with `retry-after` or `x-ratelimit-remaining: 0`, is retried after
 * the server's `retry-after` (or until `x-ratelimit-reset`), up to `maxRetries` times and never
 * waiting longer than `maxWaitMs`; 5xx and network errors are retried (with backoff) only for
 * reads. The token is sent as `Authorization: token …` and is redacted (with every known token
 * format) from every error; Octokit's own logging is silenced.
 *
 * `fetch(repo, commit, dir)` clones `<cloneBaseUrl>/<owner>/<name>.git` with real git, passing the
 * token as an HTTP header through git's environment (never in the URL or the command line).
 *
 * Limitations: new files get mode 100644 unless the diff says otherwise; modes of existing
 * files are kept only when the diff states them; binary diffs are refused.
 *
 * @example
 * ```ts
 * import { GitHubConnector, WriteGate } from "@ratchet/connectors"
 *
 * const connector = GitHubConnector.make({ token: process.env.GITHUB_TOKEN ?? "" })
 * const gateLayer = WriteGate.WriteGate.layer(connector) // + ApprovalStore and PolicyCheck layers
 * ```
 *
 * @since 0.1.0
 */
import { existsSync, readdirSync, rmSync, statSync } from "node:fs"
import { resolve } from "node:path"
import { Octokit } from "@octokit/rest"
import { Diff, type Patch } from "@ratchet/core"
import { Effect, Result } from "effect"
import { branchConflict, type ConnectorError, gitFailed, invalidRequest, redactWith, remoteFailed } from "./ConnectorError.js"
import { AUTHOR_EMAIL, AUTHOR_NAME, git } from "./internal/git.js"
import { makeWriter, type Permit, type WriteResult } from "./internal/writer.js"
import { CONTENT_HASH_TRAILER, branchOf } from "./LocalGitConnector.js"
import { redactor } from "./Redact.js"
import type { Connector } from "./WriteGate.js"

/**
 * Options of the GitHub connector.
 *
 * @since 0.1.0
 */
export interface GitHubOptions {
  /** A personal access token (classic or fine-grained) with `contents:write` and `pull_requests:write`. */
  readonly token: string
  /** REST API base URL. Default `https://api.github.com` (GitHub Enterprise: `https://host/api/v3`). */
  readonly baseUrl?: string
  /** Where repositories are cloned from by `fetch`. Default `https://github.com`. */
  readonly cloneBaseUrl?: string
  /** Retries after a rate limit or a failed read. Default 3. */
  readonly maxRetries?: number
  /** Longest wait the connector accepts from `retry-after` / `x-ratelimit-reset`, in ms. Default 60 s. */
  readonly maxWaitMs?: number
  /** Timeout of each git command of `fetch`, in ms. Default 10 minutes. */
  readonly timeoutMs?: number
  /** More values to redact from errors. */
  readonly secrets?: ReadonlyArray<string>
}

const REPO = /^([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})$/
const COMMIT = /^(?:[0-9a-f]{7,64}|[A-Za-z0-9][A-Za-z0-9._/-]{0,199})$/i

/**
 * The marker in a PR body that binds it to the approved content hash.
 *
 * @since 0.1.0
 */
export const bodyMarker = (contentHash: string): string => `<!-- ratchet-content-hash: ${contentHash} -->`

/**
 * Parses `owner/name`, or explains why not.
 *
 * @since 0.1.0
 */
export const parseRepo = (repo: string): { readonly owner: string; readonly name: string } | null => {
  const m = typeof repo === "string" ? REPO.exec(repo) : null
  if (m === null || m[1] === "." || m[1] === ".." || m[2] === "." || m[2] === "..") return null
  return { owner: m[1], name: m[2].replace(/\.git$/, "") }
}

interface HttpFailure {
  readonly status: number | null
  readonly detail: string
  readonly retryAfterMs: number | null
  readonly rateLimited: boolean
}

const header = (headers: unknown, name: string): string | undefined => {
  if (typeof headers !== "object" || headers === null) return undefined
  const value = (headers as Record<string, unknown>)[name] ?? (headers as Record<string, unknown>)[name.toLowerCase()]
  return value === undefined || value === null ? undefined : String(value)
}

const describe = (error: unknown, now: number): HttpFailure => {
  const e = error as { status?: unknown; message?: unknown; response?: { headers?: unknown; data?: unknown } }
  const status = typeof e?.status === "number" ? e.status : null
  const headers = e?.response?.headers
  const retryAfter = header(headers, "retry-after")
  const remaining = header(headers, "x-ratelimit-remaining")
  const reset = header(headers, "x-ratelimit-reset")
  let retryAfterMs: number | null = null
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter)
    if (Number.isFinite(seconds) && seconds >= 0) retryAfterMs = seconds * 1000
    else if (!Number.isNaN(Date.parse(retryAfter))) retryAfterMs = Math.max(0, Date.parse(retryAfter) - now)
  } else if (remaining === "0" && reset !== undefined && Number.isFinite(Number(reset))) {
    retryAfterMs = Math.max(0, Number(reset) * 1000 - now)
  }
  const rateLimited = status === 429 || (status === 403 && (retryAfter !== undefined || remaining === "0"))
  const data = e?.response?.data as { message?: unknown } | undefined
  const detail = typeof data?.message === "string" ? data.message : typeof e?.message === "string" ? e.message : String(error)
  return { status, detail: detail.slice(0, 1000), retryAfterMs, rateLimited }
}

/**
 * Makes the connector.
 *
 * @since 0.1.0
 */
export const make = (options: GitHubOptions): Connector => {
  const token = typeof options.token === "string" ? options.token : ""
  const clean = redactor([token, ...(options.secrets ?? [])])
  const maxRetries = Math.max(0, Math.min(10, options.maxRetries ?? 3))
  const maxWaitMs = Math.max(0, options.maxWaitMs ?? 60_000)
  const baseUrl = (options.baseUrl ?? "https://api.github.com").replace(/\/+$/, "")
  const cloneBaseUrl = (options.cloneBaseUrl ?? "https://github.com").replace(/\/+$/, "")
  const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }
  const octokit = new Octokit({ auth: token, baseUrl, userAgent: "ratchet-connectors", log: silent })

  /** One API call with rate-limit handling. `idempotent` calls are also retried on 5xx/network errors. */
  const call = <A>(operation: string, idempotent: boolean, f: () => Promise<A>): Effect.Effect<A, ConnectorError> =>
    Effect.gen(function* () {
      for (let attempt = 0; ; attempt++) {
        const r = yield* Effect.result(Effect.tryPromise({ try: f, catch: (e) => e }))
        if (Result.isSuccess(r)) return r.success
        const failure = describe(r.failure, Date.now())
        const transient = failure.status === null || failure.status >= 500
        const retry = failure.rateLimited || (idempotent && transient)
        const wait = failure.retryAfterMs ?? Math.min(maxWaitMs, 250 * 2 ** attempt)
        if (!retry || attempt >= maxRetries || wait > maxWaitMs) {
          return yield* Effect.fail(
            remoteFailed({
              operation: `GitHub ${operation}`,
              status: failure.status,
              detail: clean(
                failure.rateLimited && wait > maxWaitMs
                  ? `rate limited for ${Math.ceil(wait / 1000)}s, longer than the ${Math.ceil(maxWaitMs / 1000)}s the connector waits: ${failure.detail}`
                  : failure.detail
              ),
              retryAfterMs: failure.retryAfterMs,
              cause: r.failure
            })
          )
        }
        yield* Effect.sleep(wait)
      }
    })

  const notFound = (e: ConnectorError): boolean => e.reason._tag === "RemoteFailed" && e.reason.status === 404

  /** The sha a ref points at, or `null` when the ref does not exist. */
  const refSha = (owner: string, repo: string, ref: string): Effect.Effect<string | null, ConnectorError> =>
    Effect.gen(function* () {
      const r = yield* Effect.result(call("git.getRef", true, () => octokit.rest.git.getRef({ owner, repo, ref })))
      if (Result.isSuccess(r)) return r.success.data.object.sha
      if (notFound(r.failure)) return null
      return yield* Effect.fail(r.failure)
    })

  const repoOf = (repo: string) => {
    const parsed = parseRepo(repo)
    return parsed === null
      ? Effect.fail(invalidRequest({ what: "not a GitHub repository name", where: clean(String(repo).slice(0, 200)), fix: "pass it as owner/name" }))
      : Effect.succeed(parsed)
  }

  const checkPath = (path: string): string | null => {
    if (path.length === 0 || path.includes("\0") || path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "an absolute or empty path"
    const parts = path.split("/")
    if (parts.includes("..") || parts.includes(".") || parts.some((p) => p.toLowerCase() === ".git")) return "a path with '..', '.' or '.git'"
    return null
  }

  const publish = (permit: Permit): Effect.Effect<WriteResult, ConnectorError> =>
    Effect.gen(function* () {
      const { owner, name: repo } = yield* repoOf(permit.repo)
      const { proposal, contentHash } = permit
      const branch = branchOf(proposal.id)
      const marker = bodyMarker(contentHash)

      // 1. an existing PR for the branch
      const prs = yield* call("pulls.list", true, () =>
        octokit.rest.pulls.list({ owner, repo, head: `${owner}:${branch}`, state: "all", per_page: 10 })
      )
      const pr = prs.data.find((p) => p.head?.ref === branch) ?? prs.data[0]
      if (pr !== undefined) {
        if (typeof pr.body === "string" && pr.body.includes(marker)) {
          return { branch, url: pr.html_url, created: false, commit: pr.head?.sha ?? null, patchFile: null }
        }
        return yield* Effect.fail(branchConflict(branch, `has pull request #${pr.number} for another version of the proposal`))
      }

      // 2. an existing branch without a PR
      const existingRef = yield* refSha(owner, repo, `heads/${branch}`)
      let commitSha: string
      if (existingRef !== null) {
        const existing = yield* call("git.getCommit", true, () => octokit.rest.git.getCommit({ owner, repo, commit_sha: existingRef }))
        const m = new RegExp(`^${CONTENT_HASH_TRAILER}: ([0-9a-f]+)\\s*$`, "m").exec(existing.data.message)
        if (m === null || m[1] !== contentHash) {
          return yield* Effect.fail(branchConflict(branch, m === null ? "was not made by Ratchet for this proposal" : "holds another version of the proposal"))
        }
        commitSha = existingRef
      } else {
        // 3. build the commit through the Git Data API
        const baseSha = permit.baseCommit ?? (yield* refSha(owner, repo, `heads/${permit.baseBranch}`))
        if (baseSha === null) {
          return yield* Effect.fail(
            invalidRequest({ what: `the base branch ${permit.baseBranch} does not exist`, where: `${owner}/${repo}`, fix: "pass an existing base branch" })
          )
        }
        const baseCommit = yield* call("git.getCommit", true, () => octokit.rest.git.getCommit({ owner, repo, commit_sha: baseSha }))
        // core's diff module: the diff the policy checked is the diff applied here
        let patches: ReadonlyArray<Patch.FilePatch>
        try {
          patches = Diff.parseSync(proposal.diff).files
        } catch (e) {
          return yield* Effect.fail(gitFailed({ operation: "apply", where: `${owner}/${repo}`, detail: `the approved diff cannot be parsed: ${e instanceof Error ? e.message : String(e)}`, cause: e }))
        }
        if (patches.length === 0 || patches.length > 100) {
          return yield* Effect.fail(gitFailed({ operation: "apply", where: `${owner}/${repo}`, detail: `the approved diff touches ${patches.length} files (1-100 allowed)` }))
        }
        const entries: Array<{ path: string; mode: "100644" | "100755"; type: "blob"; sha: string | null }> = []
        for (const patch of patches) {
          const unsupported = Diff.unsupported(patch)
          if (unsupported !== null) return yield* Effect.fail(gitFailed({ operation: "apply", where: `${owner}/${repo}`, detail: unsupported }))
          const { oldPath, newPath } = patch
          for (const p of [oldPath, newPath]) {
            const problem = p === null ? null : checkPath(p)
            if (problem !== null) return yield* Effect.fail(gitFailed({ operation: "apply", where: `${owner}/${repo}`, detail: `the diff names ${problem}: ${p}` }))
          }
          let source = ""
          if (oldPath !== null) {
            const content = yield* call("repos.getContent", true, () => octokit.rest.repos.getContent({ owner, repo, path: oldPath, ref: baseSha }))
            const data = content.data as { type?: string; content?: string; encoding?: string }
            if (Array.isArray(content.data) || data.type !== "file" || typeof data.content !== "string") {
              return yield* Effect.fail(gitFailed({ operation: "apply", where: `${owner}/${repo}:${oldPath}`, detail: "not a regular file at the base commit" }))
            }
            source = Buffer.from(data.content, data.encoding === "base64" ? "base64" : "utf8").toString("utf8")
          }
          const patched = Diff.applyToText(source, patch)
          if (patched === null) {
            return yield* Effect.fail(
              gitFailed({ operation: "apply", where: `${owner}/${repo}:${oldPath ?? newPath} at ${baseSha.slice(0, 12)}`, detail: "the approved diff does not apply to the base commit" })
            )
          }
          if (oldPath !== null && oldPath !== newPath && patch.status !== "copied") entries.push({ path: oldPath, mode: "100644", type: "blob", sha: null })
          if (newPath !== null) {
            const blob = yield* call("git.createBlob", false, () =>
              octokit.rest.git.createBlob({ owner, repo, content: Buffer.from(patched, "utf8").toString("base64"), encoding: "base64" })
            )
            entries.push({ path: newPath, mode: patch.newMode === "100755" ? "100755" : "100644", type: "blob", sha: blob.data.sha })
          }
        }
        const tree = yield* call("git.createTree", false, () =>
          octokit.rest.git.createTree({ owner, repo, base_tree: baseCommit.data.tree.sha, tree: entries })
        )
        const date = Number.isNaN(Date.parse(permit.approval.approvedAt)) ? "1970-01-01T00:00:00Z" : new Date(permit.approval.approvedAt).toISOString()
        const title = (proposal.title.split("\n")[0] ?? "").trim() || `Ratchet proposal ${proposal.id}`
        const message = [
          title,
          "",
          `Ratchet-Proposal: ${proposal.id}`,
          `${CONTENT_HASH_TRAILER}: ${contentHash}`,
          `Approved-By: ${permit.approval.approvedBy.replace(/[\r\n]+/g, " ")}`
        ].join("\n")
        const identity = { name: AUTHOR_NAME, email: AUTHOR_EMAIL, date }
        const commit = yield* call("git.createCommit", false, () =>
          octokit.rest.git.createCommit({ owner, repo, message, tree: tree.data.sha, parents: [baseSha], author: identity, committer: identity })
        )
        commitSha = commit.data.sha
        yield* call("git.createRef", false, () => octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: commitSha }))
      }

      const body = `${permit.body.trim().length > 0 ? `${permit.body.trim()}\n\n` : ""}Approved by ${permit.approval.approvedBy} at ${permit.approval.approvedAt}.\n\n${marker}\n`
      const created = yield* call("pulls.create", false, () =>
        octokit.rest.pulls.create({ owner, repo, title: (proposal.title.split("\n")[0] ?? "").trim() || proposal.id, head: branch, base: permit.baseBranch, body })
      )
      return { branch, url: created.data.html_url, created: true, commit: commitSha, patchFile: null }
    }).pipe(Effect.mapError((e) => redactWith(e, clean)))

  const fetch = (repoName: string, commit: string, dir: string): Effect.Effect<string, ConnectorError> =>
    Effect.gen(function* () {
      const { owner, name } = yield* repoOf(repoName)
      if (typeof commit !== "string" || !COMMIT.test(commit) || commit.includes("..")) {
        return yield* Effect.fail(invalidRequest({ what: "the commit is not a commit id or a plain ref name", where: String(commit).slice(0, 200), fix: "pass a sha or a branch name" }))
      }
      const target = resolve(dir)
      if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0)) {
        return yield* Effect.fail(invalidRequest({ what: "the target directory exists and is not empty", where: target, fix: "pass a new or empty directory" }))
      }
      const env: Record<string, string> =
        token.length > 0 && /^https:/i.test(cloneBaseUrl)
          ? {
              GIT_CONFIG_COUNT: "1",
              GIT_CONFIG_KEY_0: `http.${cloneBaseUrl}/.extraHeader`,
              GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`
            }
          : {}
      const timeoutMs = options.timeoutMs ?? 10 * 60_000
      const run = (args: ReadonlyArray<string>, cwd?: string) =>
        Effect.promise(() => git(args, { ...(cwd === undefined ? {} : { cwd }), timeoutMs, env }))
      const url = `${cloneBaseUrl}/${owner}/${name}.git`
      const cleanup = Effect.sync(() => rmSync(target, { recursive: true, force: true }))
      const cloned = yield* run(["clone", "--quiet", "--no-checkout", "--", url, target])
      if (!cloned.ok) {
        yield* cleanup
        return yield* Effect.fail(gitFailed({ operation: "clone", where: `${owner}/${name}`, detail: cloned.stderr.slice(0, 2000) || `exit code ${cloned.exitCode}` }))
      }
      const checkout = yield* run(["checkout", "--quiet", "--detach", `${commit}^{commit}`], target)
      if (!checkout.ok) {
        yield* cleanup
        return yield* Effect.fail(gitFailed({ operation: "checkout", where: `${owner}/${name} at ${commit}`, detail: checkout.stderr.slice(0, 2000) }))
      }
      const head = yield* run(["rev-parse", "HEAD"], target)
      return head.stdout.trim()
    }).pipe(Effect.mapError((e) => redactWith(e, clean)))

  return { name: "github", fetch, writer: makeWriter("github", publish) }
}
