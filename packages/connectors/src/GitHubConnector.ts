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
 * const gate = WriteGate.WriteGate.layer() // + ApprovalStore and PolicyCheck layers; one per host
 * const published = WriteGate.make(connector) // a gate bound to this connector, or `layer(options)`: core's SourceConnector
 * ```
 *
 * @since 0.1.0
 */
import { existsSync, readdirSync, rmSync, statSync } from "node:fs"
import { resolve } from "node:path"
import { Diff, type Patch, SourceConnector } from "@ratchet/core"
import { Effect, Layer, Result } from "effect"
import { branchConflict, type ConnectorError, gitFailed, invalidRequest, redactWith, remoteFailed } from "./ConnectorError.js"
import { AUTHOR_EMAIL, AUTHOR_NAME, git } from "./internal/git.js"
import { type Client, type Credentials as GitHubCredentials, makeClients } from "./internal/github.js"
import { makeWriter, type Permit, type WriteResult } from "./internal/writer.js"
import { CONTENT_HASH_TRAILER, branchOf } from "./LocalGitConnector.js"
import { redactor } from "./Redact.js"
import type { Connector } from "./WriteGate.js"
import * as WriteGate from "./WriteGate.js"

/**
 * How the connector authenticates: a personal access token, or a GitHub App (id + private key;
 * installation tokens are exchanged per installation and cached until shortly before they expire).
 *
 * @since 0.2.0
 */
export type Credentials = GitHubCredentials

/**
 * Options of the GitHub connector.
 *
 * @since 0.1.0
 */
export interface GitHubOptions {
  /** A personal access token (classic or fine-grained) with `contents:write` and `pull_requests:write`. Shorthand for `auth: { type: "token", token }`. */
  readonly token?: string
  /** Personal token or GitHub App credentials. @since 0.2.0 */
  readonly auth?: Credentials
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
  /** Open pull requests as drafts. Default `true`. @since 0.2.0 */
  readonly draft?: boolean
  /** Minimum spacing of content-creating requests, in ms (GitHub asks for about one second). Default 1000. @since 0.2.0 */
  readonly writeSpacingMs?: number
  /** First delay before retrying a 5xx, in ms. Default 1000. @since 0.2.0 */
  readonly retryBaseMs?: number
  /** Clock for installation token expiry (ms since the epoch). Default `Date.now`. @since 0.2.0 */
  readonly now?: () => number
  /** Renew an installation token this long before it expires, in ms. Default 5 minutes. @since 0.2.0 */
  readonly refreshMarginMs?: number
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

const field = (value: unknown, key: string): unknown => (typeof value === "object" && value !== null ? Reflect.get(value, key) : undefined)

const header = (headers: unknown, name: string): string | undefined => {
  const value = field(headers, name) ?? field(headers, name.toLowerCase())
  return value === undefined || value === null ? undefined : String(value)
}

const describe = (error: unknown, now: number): HttpFailure => {
  const rawStatus = field(error, "status")
  const status = typeof rawStatus === "number" ? rawStatus : null
  const response = field(error, "response")
  const headers = field(response, "headers")
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
  const dataMessage = field(field(response, "data"), "message")
  const message = field(error, "message")
  const detail = typeof dataMessage === "string" ? dataMessage : typeof message === "string" ? message : String(error)
  return { status, detail: detail.slice(0, 1000), retryAfterMs, rateLimited }
}

/**
 * What a repository's credentials allow, as `validate` finds it: each check with what it saw, and
 * what is missing in words a person can act on (a scope, an installation, a permission, the repository).
 *
 * @since 0.2.0
 */
export interface Access {
  readonly ok: boolean
  readonly auth: "token" | "app"
  /** The token's user login, or the App's slug. */
  readonly identity: string | null
  readonly checks: ReadonlyArray<{ readonly name: string; readonly ok: boolean; readonly detail: string }>
  readonly missing: ReadonlyArray<string>
}

/**
 * A user's role on a repository (`GET /repos/{o}/{r}/collaborators/{user}/permission`).
 *
 * @since 0.2.0
 */
export type Role = "admin" | "maintain" | "write" | "triage" | "read" | "none"

/**
 * Whether a role may change the repository (admin, maintain, write).
 *
 * @since 0.2.0
 */
export const canWrite = (role: Role): boolean => role === "admin" || role === "maintain" || role === "write"

/**
 * CI on a commit: its check runs and commit statuses, summed up. `none`: nothing reported (yet);
 * `pending`: something still runs; `failure`: a check failed, timed out, was cancelled or needs
 * action, or a status is `failure`/`error`; `success`: everything finished and passed (neutral and
 * skipped checks count as passed).
 *
 * @since 0.2.0
 */
export interface CiState {
  readonly state: "none" | "pending" | "success" | "failure"
  readonly sha: string
  readonly checks: ReadonlyArray<{ readonly name: string; readonly status: string; readonly conclusion: string | null; readonly url: string | null }>
  readonly statuses: ReadonlyArray<{ readonly context: string; readonly state: string; readonly url: string | null }>
  /** One line: `2 passed, 1 failed (lint), 0 pending`. */
  readonly summary: string
}

/**
 * A pull request's state.
 *
 * @since 0.2.0
 */
export interface PullState {
  readonly number: number
  readonly url: string
  readonly state: "open" | "closed"
  readonly merged: boolean
  readonly draft: boolean
  readonly headSha: string
}

/**
 * The GitHub connector: the WriteGate's {@link Connector} (fetch, the write handle) plus what the
 * server needs to talk with GitHub outside repository content — checking credentials, a user's
 * role, replying on an issue, reading CI and pull request state. Replies are not repository writes
 * (they change no branch, commit or pull request) and do not pass the WriteGate.
 *
 * @since 0.2.0
 */
export interface GitHub extends Connector {
  /** Checks the credentials against a repository and says what is missing. */
  readonly validate: (repo: string) => Effect.Effect<Access, ConnectorError>
  /** A user's role on the repository. */
  readonly role: (repo: string, user: string) => Effect.Effect<Role, ConnectorError>
  /** Posts a comment on an issue or pull request; returns its URL. */
  readonly comment: (repo: string, issue: number, body: string) => Effect.Effect<{ readonly id: number; readonly url: string }, ConnectorError>
  /** CI on a commit (check runs and statuses). */
  readonly ci: (repo: string, sha: string) => Effect.Effect<CiState, ConnectorError>
  /** A pull request's state. */
  readonly pull: (repo: string, number: number) => Effect.Effect<PullState, ConnectorError>
}

/**
 * Makes the connector.
 *
 * @since 0.1.0
 */
export const make = (options: GitHubOptions): GitHub => {
  const credentials: Credentials = options.auth ?? { type: "token", token: typeof options.token === "string" ? options.token : "" }
  const secrets = new Set<string>(options.secrets ?? [])
  const clean = (text: string): string => redactor([...secrets])(text)
  const maxRetries = Math.max(0, Math.min(10, options.maxRetries ?? 3))
  const maxWaitMs = Math.max(0, options.maxWaitMs ?? 60_000)
  const baseUrl = (options.baseUrl ?? "https://api.github.com").replace(/\/+$/, "")
  const cloneBaseUrl = (options.cloneBaseUrl ?? "https://github.com").replace(/\/+$/, "")
  const now = options.now ?? (() => Date.now())
  const clients = makeClients({
    credentials,
    baseUrl,
    maxRetries,
    maxWaitMs,
    writeSpacingMs: Math.max(0, options.writeSpacingMs ?? 1000),
    retryBaseMs: Math.max(0, options.retryBaseMs ?? 1000),
    now,
    refreshMarginMs: Math.max(0, options.refreshMarginMs ?? 5 * 60_000),
    onSecret: (secret) => {
      if (secret.length > 0) secrets.add(secret)
    }
  })

  const failure = (operation: string, error: unknown): ConnectorError => {
    const f = describe(error, now())
    const wait = f.retryAfterMs ?? 0
    return remoteFailed({
      operation: `GitHub ${operation}`,
      status: f.status,
      detail: clean(
        f.rateLimited && wait > maxWaitMs
          ? `rate limited for ${Math.ceil(wait / 1000)}s, longer than the ${Math.ceil(maxWaitMs / 1000)}s the connector waits: ${f.detail}`
          : f.detail
      ),
      retryAfterMs: f.retryAfterMs,
      cause: error
    })
  }

  /** The client for a repository (an App looks up its installation and exchanges a token first). */
  const clientFor = (owner: string, repo: string): Effect.Effect<Client, ConnectorError> =>
    Effect.tryPromise({ try: () => clients.forRepo(owner, repo), catch: (e) => failure(`authentication for ${owner}/${repo}`, e) })

  /**
   * One API call; rate limits are handled by the throttling plugin, 5xx by the retry plugin
   * (non-idempotent writes pass \`request: { retries: 0 }\`).
   */
  const call = <A>(operation: string, f: () => Promise<A>): Effect.Effect<A, ConnectorError> =>
    Effect.tryPromise({ try: f, catch: (e) => failure(operation, e) })
  const once = { request: { retries: 0 } }

  const notFound = (e: ConnectorError): boolean => e.reason._tag === "RemoteFailed" && e.reason.status === 404

  /** The sha a ref points at, or `null` when the ref does not exist. */
  const refSha = (octokit: Client, owner: string, repo: string, ref: string): Effect.Effect<string | null, ConnectorError> =>
    Effect.gen(function* () {
      const r = yield* Effect.result(call("git.getRef", () => octokit.rest.git.getRef({ owner, repo, ref })))
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

  const draft = options.draft ?? true

  const publish = (permit: Permit): Effect.Effect<WriteResult, ConnectorError> =>
    Effect.gen(function* () {
      const { owner, name: repo } = yield* repoOf(permit.repo)
      const { proposal, contentHash } = permit
      const branch = branchOf(proposal.id)
      const marker = bodyMarker(contentHash)
      const octokit = yield* clientFor(owner, repo)

      // 1. an existing PR for the branch
      const prs = yield* call("pulls.list", () =>
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
      const existingRef = yield* refSha(octokit, owner, repo, `heads/${branch}`)
      let commitSha: string
      if (existingRef !== null) {
        const existing = yield* call("git.getCommit", () => octokit.rest.git.getCommit({ owner, repo, commit_sha: existingRef }))
        const m = new RegExp(`^${CONTENT_HASH_TRAILER}: ([0-9a-f]+)\\s*$`, "m").exec(existing.data.message)
        if (m === null || m[1] !== contentHash) {
          return yield* Effect.fail(branchConflict(branch, m === null ? "was not made by Ratchet for this proposal" : "holds another version of the proposal"))
        }
        commitSha = existingRef
      } else {
        // 3. build the commit through the Git Data API
        const baseSha = permit.baseCommit ?? (yield* refSha(octokit, owner, repo, `heads/${permit.baseBranch}`))
        if (baseSha === null) {
          return yield* Effect.fail(
            invalidRequest({ what: `the base branch ${permit.baseBranch} does not exist`, where: `${owner}/${repo}`, fix: "pass an existing base branch" })
          )
        }
        const baseCommit = yield* call("git.getCommit", () => octokit.rest.git.getCommit({ owner, repo, commit_sha: baseSha }))
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
            const content = yield* call("repos.getContent", () => octokit.rest.repos.getContent({ owner, repo, path: oldPath, ref: baseSha }))
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
            const blob = yield* call("git.createBlob", () =>
              octokit.rest.git.createBlob({ owner, repo, content: Buffer.from(patched, "utf8").toString("base64"), encoding: "base64" })
            )
            entries.push({ path: newPath, mode: patch.newMode === "100755" ? "100755" : "100644", type: "blob", sha: blob.data.sha })
          }
        }
        const tree = yield* call("git.createTree", () =>
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
        const commit = yield* call("git.createCommit", () =>
          octokit.rest.git.createCommit({ owner, repo, message, tree: tree.data.sha, parents: [baseSha], author: identity, committer: identity })
        )
        commitSha = commit.data.sha
        yield* call("git.createRef", () => octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: commitSha, ...once }))
      }

      const body = `${permit.body.trim().length > 0 ? `${permit.body.trim()}\n\n` : ""}Approved by ${permit.approval.approvedBy} at ${permit.approval.approvedAt}.\n\n${marker}\n`
      const created = yield* call("pulls.create", () =>
        octokit.rest.pulls.create({ owner, repo, title: (proposal.title.split("\n")[0] ?? "").trim() || proposal.id, head: branch, base: permit.baseBranch, body, draft, ...once })
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
      // The token travels as an HTTP header through git's environment, for this one invocation: never in
      // the remote URL (which git writes to .git/config), the command line or a file.
      const secure = /^https:/i.test(cloneBaseUrl) || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/i.test(cloneBaseUrl)
      const anonymous = credentials.type === "token" && credentials.token.length === 0
      const token = secure && !anonymous
        ? yield* Effect.tryPromise({ try: () => clients.tokenFor(owner, name), catch: (e) => failure(`authentication for ${owner}/${name}`, e) })
        : null
      const env: Record<string, string> = {
        GIT_TRACE_REDACT: "1",
        ...(token === null
          ? {}
          : {
              GIT_CONFIG_COUNT: "1",
              GIT_CONFIG_KEY_0: `http.${cloneBaseUrl}/.extraHeader`,
              GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`
            })
      }
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

  const validate = (repoName: string): Effect.Effect<Access, ConnectorError> =>
    Effect.gen(function* () {
      const { owner, name } = yield* repoOf(repoName)
      const full = `${owner}/${name}`
      const checks: Array<Access["checks"][number]> = []
      const missing: Array<string> = []
      const done = (identity: string | null): Access => ({ ok: missing.length === 0, auth: credentials.type, identity, checks, missing })
      const status = (e: ConnectorError) => (e.reason._tag === "RemoteFailed" ? e.reason.status : null)
      if (credentials.type === "token") {
        if (credentials.token.length === 0) {
          missing.push("a token: set a personal access token (classic with the repo scope, or fine-grained with contents and pull requests: read and write)")
          return done(null)
        }
        const octokit = yield* clientFor(owner, name)
        const user = yield* Effect.result(call("users.getAuthenticated", () => octokit.rest.users.getAuthenticated()))
        if (Result.isFailure(user)) {
          if (status(user.failure) !== 401) return yield* Effect.fail(user.failure)
          checks.push({ name: "token", ok: false, detail: "GitHub refused the token (401 Bad credentials)" })
          missing.push("a valid token: GitHub does not accept this one (revoked, expired or mistyped)")
          return done(null)
        }
        const login = user.success.data.login
        const scopes = header(user.success.headers, "x-oauth-scopes")
        checks.push({ name: "token", ok: true, detail: `authenticated as ${login}${scopes === undefined ? " (fine-grained token)" : ` (classic token, scopes: ${scopes || "none"})`}` })
        const repo = yield* Effect.result(call("repos.get", () => octokit.rest.repos.get({ owner, repo: name })))
        if (Result.isFailure(repo)) {
          if (status(repo.failure) !== 404 && status(repo.failure) !== 403) return yield* Effect.fail(repo.failure)
          checks.push({ name: "repository", ok: false, detail: `${full} is not visible to ${login} (HTTP ${status(repo.failure)})` })
          missing.push(`access to ${full}: the token's user cannot see it (grant the user access, or a fine-grained token on this repository)`)
          return done(login)
        }
        const isPrivate = repo.success.data.private
        checks.push({ name: "repository", ok: true, detail: `${full} is visible (${isPrivate ? "private" : "public"}, default branch ${repo.success.data.default_branch})` })
        if (scopes !== undefined) {
          const list = scopes.split(",").map((x) => x.trim())
          const enough = list.includes("repo") || (!isPrivate && list.includes("public_repo"))
          checks.push({ name: "scope", ok: enough, detail: `needs ${isPrivate ? "repo" : "repo or public_repo"}; the token has ${scopes || "no scopes"}` })
          if (!enough) missing.push(`the ${isPrivate ? "repo" : "public_repo"} scope on the classic token (it has: ${scopes || "none"})`)
        }
        const push = repo.success.data.permissions?.push === true
        checks.push({ name: "write", ok: push, detail: push ? `${login} can push to ${full}` : `${login} cannot push to ${full}` })
        if (!push) missing.push(`write access to ${full} for ${login} (contents and pull requests: read and write)`)
        return done(login)
      }
      const app = clients.app
      if (app === null) return done(null)
      const self = yield* Effect.result(call("apps.getAuthenticated", () => app.rest.apps.getAuthenticated()))
      if (Result.isFailure(self)) {
        if (status(self.failure) !== 401) return yield* Effect.fail(self.failure)
        checks.push({ name: "app", ok: false, detail: "GitHub refused the App's JSON web token (wrong App id or private key)" })
        missing.push("valid App credentials: the App id and private key do not match (download a new private key from the App's settings)")
        return done(null)
      }
      const slug = self.success.data?.slug ?? self.success.data?.name ?? String(credentials.appId)
      checks.push({ name: "app", ok: true, detail: `authenticated as the App ${slug}` })
      const installation = yield* Effect.result(call("apps.getRepoInstallation", () => app.rest.apps.getRepoInstallation({ owner, repo: name })))
      if (Result.isFailure(installation)) {
        if (status(installation.failure) !== 404) return yield* Effect.fail(installation.failure)
        checks.push({ name: "installation", ok: false, detail: `${slug} is not installed on ${full}` })
        missing.push(`an installation of the App ${slug} on ${full} (install it from the App's public page, or add the repository to the installation)`)
        return done(slug)
      }
      const granted: Record<string, string | undefined> = { ...installation.success.data.permissions }
      checks.push({ name: "installation", ok: true, detail: `installation ${installation.success.data.id} covers ${full}` })
      const needed: ReadonlyArray<readonly [string, "read" | "write", string]> = [
        ["contents", "write", "to create branches and commits"],
        ["pull_requests", "write", "to open pull requests"],
        ["issues", "write", "to reply on issues"],
        ["checks", "read", "to follow CI"],
        ["statuses", "read", "to follow CI"]
      ]
      for (const [permission, level, why] of needed) {
        const has = granted[permission]
        const ok = has === "write" || has === "admin" || (level === "read" && has === "read")
        checks.push({ name: `permission ${permission}`, ok, detail: `needs ${level} ${why}; has ${has ?? "none"}` })
        if (!ok) missing.push(`the App permission ${permission}: ${level} (${why}; it has ${has ?? "none"})`)
      }
      const token = yield* Effect.result(clientFor(owner, name))
      if (Result.isFailure(token)) {
        checks.push({ name: "token", ok: false, detail: token.failure.message })
        missing.push(`an installation token for ${full}: ${token.failure.message}`)
        return done(slug)
      }
      const repo = yield* Effect.result(call("repos.get", () => token.success.rest.repos.get({ owner, repo: name })))
      if (Result.isFailure(repo)) {
        checks.push({ name: "repository", ok: false, detail: repo.failure.message })
        missing.push(`access to ${full} with the installation token: ${repo.failure.message}`)
        return done(slug)
      }
      checks.push({ name: "repository", ok: true, detail: `${full} is visible to the installation (${repo.success.data.private ? "private" : "public"})` })
      return done(slug)
    }).pipe(Effect.mapError((e) => redactWith(e, clean)))

  const role = (repoName: string, user: string): Effect.Effect<Role, ConnectorError> =>
    Effect.gen(function* () {
      const { owner, name } = yield* repoOf(repoName)
      if (typeof user !== "string" || !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/.test(user)) {
        return yield* Effect.fail(invalidRequest({ what: "not a GitHub user name", where: String(user).slice(0, 100), fix: "pass a login" }))
      }
      const octokit = yield* clientFor(owner, name)
      const r = yield* Effect.result(call("repos.getCollaboratorPermissionLevel", () => octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo: name, username: user })))
      if (Result.isFailure(r)) {
        if (r.failure.reason._tag === "RemoteFailed" && r.failure.reason.status === 404) return "none" as const
        return yield* Effect.fail(r.failure)
      }
      const roleName = r.success.data.role_name
      const known: ReadonlyArray<Role> = ["admin", "maintain", "write", "triage", "read", "none"]
      const fromRole = known.find((k) => k === roleName)
      if (fromRole !== undefined) return fromRole
      return known.find((k) => k === r.success.data.permission) ?? "none"
    }).pipe(Effect.mapError((e) => redactWith(e, clean)))

  const comment = (repoName: string, issue: number, body: string): Effect.Effect<{ readonly id: number; readonly url: string }, ConnectorError> =>
    Effect.gen(function* () {
      const { owner, name } = yield* repoOf(repoName)
      if (!Number.isInteger(issue) || issue <= 0) {
        return yield* Effect.fail(invalidRequest({ what: "not an issue number", where: String(issue), fix: "pass a positive integer" }))
      }
      const octokit = yield* clientFor(owner, name)
      const text = clean(body).slice(0, 65_000)
      const r = yield* call("issues.createComment", () => octokit.rest.issues.createComment({ owner, repo: name, issue_number: issue, body: text, ...once }))
      return { id: r.data.id, url: r.data.html_url }
    }).pipe(Effect.mapError((e) => redactWith(e, clean)))

  const ci = (repoName: string, sha: string): Effect.Effect<CiState, ConnectorError> =>
    Effect.gen(function* () {
      const { owner, name } = yield* repoOf(repoName)
      if (typeof sha !== "string" || !/^[0-9a-f]{7,64}$/i.test(sha)) {
        return yield* Effect.fail(invalidRequest({ what: "not a commit sha", where: String(sha).slice(0, 100), fix: "pass the pull request's head sha" }))
      }
      const octokit = yield* clientFor(owner, name)
      const runs = yield* call("checks.listForRef", () => octokit.rest.checks.listForRef({ owner, repo: name, ref: sha, per_page: 100 }))
      const combined = yield* call("repos.getCombinedStatusForRef", () => octokit.rest.repos.getCombinedStatusForRef({ owner, repo: name, ref: sha, per_page: 100 }))
      const checks = runs.data.check_runs.map((c) => ({ name: c.name, status: c.status, conclusion: c.conclusion ?? null, url: c.html_url ?? c.details_url ?? null }))
      const statuses = combined.data.statuses.map((s) => ({ context: s.context, state: s.state, url: s.target_url ?? null }))
      const failedCheck = (c: (typeof checks)[number]) => c.status === "completed" && ["failure", "timed_out", "cancelled", "action_required", "startup_failure", "stale"].includes(c.conclusion ?? "")
      const failed = [...checks.filter(failedCheck).map((c) => c.name), ...statuses.filter((s) => s.state === "failure" || s.state === "error").map((s) => s.context)]
      const pending = [...checks.filter((c) => c.status !== "completed").map((c) => c.name), ...statuses.filter((s) => s.state === "pending").map((s) => s.context)]
      const total = checks.length + statuses.length
      const passed = total - failed.length - pending.length
      const state: CiState["state"] = total === 0 ? "none" : failed.length > 0 ? "failure" : pending.length > 0 ? "pending" : "success"
      const summary =
        total === 0
          ? "no checks reported"
          : `${passed} passed, ${failed.length} failed${failed.length > 0 ? ` (${failed.join(", ")})` : ""}, ${pending.length} pending${pending.length > 0 ? ` (${pending.join(", ")})` : ""}`
      return { state, sha, checks, statuses, summary }
    }).pipe(Effect.mapError((e) => redactWith(e, clean)))

  const pull = (repoName: string, number: number): Effect.Effect<PullState, ConnectorError> =>
    Effect.gen(function* () {
      const { owner, name } = yield* repoOf(repoName)
      const octokit = yield* clientFor(owner, name)
      const r = yield* call("pulls.get", () => octokit.rest.pulls.get({ owner, repo: name, pull_number: number }))
      const state: PullState["state"] = r.data.state === "closed" ? "closed" : "open"
      return { number: r.data.number, url: r.data.html_url, state, merged: r.data.merged === true, draft: r.data.draft === true, headSha: r.data.head.sha }
    }).pipe(Effect.mapError((e) => redactWith(e, clean)))

  return { name: "github", fetch, writer: makeWriter("github", publish), validate, role, comment, ci, pull }
}

/**
 * The GitHub connector as core's `SourceConnector` port: `fetch` reads directly; `publish` goes through
 * the host's one {@link WriteGate.WriteGate} (approval looked up, content hash recomputed, policy
 * re-run, one write per repository at a time, every attempt audited).
 *
 * @since 0.2.0
 */
export const layer = (options: GitHubOptions): Layer.Layer<SourceConnector.SourceConnector, never, WriteGate.WriteGate> =>
  Layer.effect(SourceConnector.SourceConnector, WriteGate.sourceConnector(make(options)))
