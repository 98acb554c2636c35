/**
 * GitHub webhooks: signature verification (`X-Hub-Signature-256`, HMAC-SHA256 compared in constant
 * time by `@octokit/webhooks`) on the raw body **before** anything is parsed, then the deliveries
 * Ratchet acts on, read into a small union:
 *
 * - `issues.labeled` with the trigger label (default `ratchet`) → a `task` from the issue's title
 *   and body;
 * - `issue_comment.created` whose first line is `/ratchet <instruction>` → a `task` (the caller
 *   checks that the author may write to the repository);
 * - `pull_request.closed` → `pull-closed` (merged or not);
 * - `check_suite`, `check_run`, `status` → `ci` for the commit;
 * - `installation`, `installation_repositories` → `installation` bookkeeping;
 * - `ping` → `ping`; anything else → `ignored` with the reason.
 *
 * @example
 * ```ts
 * import { GitHubWebhook } from "@ratchet/connectors"
 *
 * const verified = await GitHubWebhook.verify(["s3cret"], rawBody, request.headers["x-hub-signature-256"])
 * if (verified === null) return new Response("bad signature", { status: 401 })
 * const event = GitHubWebhook.read(request.headers["x-github-event"], JSON.parse(rawBody))
 * ```
 *
 * @since 0.2.0
 */
import { Webhooks } from "@octokit/webhooks"

/**
 * Where a task came from: the labeled issue, or the comment and its issue.
 *
 * @since 0.2.0
 */
export interface TaskTrigger {
  readonly kind: "task"
  readonly via: "label" | "comment"
  /** `owner/name`. */
  readonly repo: string
  readonly installationId: number | null
  readonly issue: number
  readonly issueUrl: string | null
  /** Whether the issue is a pull request (a comment on a PR). */
  readonly pullRequest: boolean
  readonly commentId: number | null
  /** Who asked: the labeler, or the comment's author. */
  readonly sender: string
  readonly senderIsBot: boolean
  readonly title: string
  readonly instruction: string
}

/**
 * A delivery Ratchet acts on.
 *
 * @since 0.2.0
 */
export type Event =
  | TaskTrigger
  | { readonly kind: "pull-closed"; readonly repo: string; readonly installationId: number | null; readonly number: number; readonly merged: boolean; readonly headRef: string; readonly headSha: string }
  | { readonly kind: "ci"; readonly repo: string; readonly installationId: number | null; readonly source: "check_suite" | "check_run" | "status"; readonly sha: string; readonly pullRequests: ReadonlyArray<number> }
  | {
      readonly kind: "installation"
      readonly action: string
      readonly installationId: number
      readonly account: string | null
      readonly added: ReadonlyArray<string>
      readonly removed: ReadonlyArray<string>
    }
  | { readonly kind: "ping"; readonly hookId: number | null }
  | { readonly kind: "ignored"; readonly reason: string }

/**
 * Options of {@link read}.
 *
 * @since 0.2.0
 */
export interface ReadOptions {
  /** The label that turns an issue into a task. Default `ratchet`. */
  readonly label?: string
  /** The comment command. Default `/ratchet`. */
  readonly command?: string
}

/**
 * Verifies `signature` (`sha256=…`) over the raw body with each secret in turn; returns the index
 * of the secret that matches, or `null`. Nothing is parsed before this.
 *
 * @since 0.2.0
 */
export const verify = async (secrets: ReadonlyArray<string>, body: string, signature: string | null | undefined): Promise<number | null> => {
  if (typeof signature !== "string" || !/^sha256=[0-9a-f]{64}$/.test(signature) || body.length === 0) return null
  for (const [i, secret] of secrets.entries()) {
    if (secret.length === 0) continue
    if (await new Webhooks({ secret }).verify(body, signature)) return i
  }
  return null
}

/**
 * Signs a body as GitHub does (`sha256=` + HMAC-SHA256 hex): for tests and for replaying deliveries.
 *
 * @since 0.2.0
 */
export const sign = (secret: string, body: string): Promise<string> => new Webhooks({ secret }).sign(body)

const get = (value: unknown, ...path: ReadonlyArray<string>): unknown =>
  path.reduce<unknown>((a, k) => (typeof a === "object" && a !== null ? Reflect.get(a, k) : undefined), value)
const str = (value: unknown): string | null => (typeof value === "string" ? value : null)
const num = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null)

/**
 * Reads a verified delivery's payload (`event` is the `X-GitHub-Event` header).
 *
 * @since 0.2.0
 */
export const read = (event: string | null | undefined, payload: unknown, options: ReadOptions = {}): Event => {
  const label = (options.label ?? "ratchet").toLowerCase()
  const command = options.command ?? "/ratchet"
  const action = str(get(payload, "action"))
  const repo = str(get(payload, "repository", "full_name"))
  const installationId = num(get(payload, "installation", "id"))
  const ignored = (reason: string): Event => ({ kind: "ignored", reason })
  switch (event) {
    case "ping":
      return { kind: "ping", hookId: num(get(payload, "hook_id")) }
    case "issues": {
      if (action !== "labeled") return ignored(`issues.${action ?? "?"} is not a trigger`)
      const name = str(get(payload, "label", "name"))
      if (name === null || name.toLowerCase() !== label) return ignored(`the label ${JSON.stringify(name)} is not the trigger label ${JSON.stringify(label)}`)
      const issue = num(get(payload, "issue", "number"))
      const sender = str(get(payload, "sender", "login"))
      if (repo === null || issue === null || sender === null) return ignored("the payload has no repository, issue or sender")
      const title = str(get(payload, "issue", "title")) ?? ""
      const body = str(get(payload, "issue", "body")) ?? ""
      return {
        kind: "task",
        via: "label",
        repo,
        installationId,
        issue,
        issueUrl: str(get(payload, "issue", "html_url")),
        pullRequest: get(payload, "issue", "pull_request") !== undefined,
        commentId: null,
        sender,
        senderIsBot: str(get(payload, "sender", "type")) === "Bot",
        title,
        instruction: `${title.trim()}${body.trim().length > 0 ? `\n\n${body.trim()}` : ""}`
      }
    }
    case "issue_comment": {
      if (action !== "created") return ignored(`issue_comment.${action ?? "?"} is not a trigger`)
      const text = str(get(payload, "comment", "body")) ?? ""
      const first = text.trimStart().split(/\r?\n/)[0] ?? ""
      if (!(first === command || first.startsWith(`${command} `))) return ignored(`the comment does not start with ${command}`)
      const rest = text.trimStart().slice(command.length).trim()
      const issue = num(get(payload, "issue", "number"))
      const sender = str(get(payload, "comment", "user", "login"))
      if (repo === null || issue === null || sender === null) return ignored("the payload has no repository, issue or comment author")
      return {
        kind: "task",
        via: "comment",
        repo,
        installationId,
        issue,
        issueUrl: str(get(payload, "issue", "html_url")),
        pullRequest: get(payload, "issue", "pull_request") !== undefined,
        commentId: num(get(payload, "comment", "id")),
        sender,
        senderIsBot: str(get(payload, "comment", "user", "type")) === "Bot",
        title: str(get(payload, "issue", "title")) ?? "",
        instruction: rest
      }
    }
    case "pull_request": {
      if (action !== "closed") return ignored(`pull_request.${action ?? "?"} is not followed`)
      const number = num(get(payload, "pull_request", "number")) ?? num(get(payload, "number"))
      if (repo === null || number === null) return ignored("the payload has no repository or pull request number")
      return {
        kind: "pull-closed",
        repo,
        installationId,
        number,
        merged: get(payload, "pull_request", "merged") === true,
        headRef: str(get(payload, "pull_request", "head", "ref")) ?? "",
        headSha: str(get(payload, "pull_request", "head", "sha")) ?? ""
      }
    }
    case "check_suite":
    case "check_run":
    case "status": {
      const sha =
        event === "status" ? str(get(payload, "sha")) : event === "check_suite" ? str(get(payload, "check_suite", "head_sha")) : str(get(payload, "check_run", "head_sha"))
      if (repo === null || sha === null) return ignored(`${event} without a repository or commit`)
      const prs = event === "check_suite" ? get(payload, "check_suite", "pull_requests") : event === "check_run" ? get(payload, "check_run", "pull_requests") : []
      const pullRequests = Array.isArray(prs) ? prs.map((p) => num(get(p, "number"))).filter((n): n is number => n !== null) : []
      return { kind: "ci", repo, installationId, source: event, sha, pullRequests }
    }
    case "installation":
    case "installation_repositories": {
      const id = installationId
      if (id === null || action === null) return ignored(`${event} without an installation id or action`)
      const names = (key: string) => {
        const list = get(payload, key)
        return Array.isArray(list) ? list.map((r) => str(get(r, "full_name"))).filter((n): n is string => n !== null) : []
      }
      return {
        kind: "installation",
        action: `${event}.${action}`,
        installationId: id,
        account: str(get(payload, "installation", "account", "login")),
        added: event === "installation" ? names("repositories") : names("repositories_added"),
        removed: event === "installation" ? [] : names("repositories_removed")
      }
    }
    default:
      return ignored(`the ${event ?? "unnamed"} event is not used by Ratchet`)
  }
}
