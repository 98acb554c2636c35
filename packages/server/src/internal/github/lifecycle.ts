/**
 * A pull request's life after Ratchet opens it: the body that carries the evidence, the record of
 * the pull request (state `verifying-ci`), following its CI (check runs and statuses) to `done` or
 * `needs-human`, a merge or close, and the replies on the issue or comment that asked for the change.
 *
 * @internal
 */
import type { GitHubConnector } from "@ratchet/connectors"
import { type Proposal as CoreProposal, Task as CoreTask } from "@ratchet/core"
import { Effect, Option, Schema } from "effect"
import { internal, type ServerError } from "../../ServerError.js"
import { type PullRequest, type Repo, Store, type Task } from "../../Store.js"
import { type LiveOptions, liveConnector } from "./connectors.js"

/** A stored task's plan, decoded (`null` when it has none). */
export const planOf = (task: Task): CoreTask.Plan | null => Option.getOrNull(Schema.decodeUnknownOption(CoreTask.Plan)(task.plan))

/** Where people read a proposal's report (the dashboard), when the server knows its public URL. */
export const reportUrl = (publicUrl: string | undefined, proposalId: string): string | null =>
  publicUrl === undefined || publicUrl === "" ? null : `${publicUrl.replace(/\/+$/, "")}/dashboard/proposals/${encodeURIComponent(proposalId)}`

const pct = (x: number) => `${x > 0 ? "+" : ""}${(x * 100).toFixed(1)}%`
const ns = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} ms` : x >= 1e3 ? `${(x / 1e3).toFixed(2)} µs` : `${x.toFixed(0)} ns`)

/**
 * The pull request body: what changed and why, the speedup table, tests, CI, policy verdicts, the
 * acceptance criteria of a prompted task as evidence, the content hash, and the report link.
 */
export const prBody = (p: CoreProposal.Proposal, options: { readonly task: Task | null; readonly contentHash: string; readonly report: string | null }): string => {
  const plan = options.task === null ? null : planOf(options.task)
  const b = p.benchmark
  const lines = [
    p.summary ?? p.title,
    "",
    ...(options.task === null ? [] : [`Requested${options.task.source.issue === null ? "" : ` in #${options.task.source.issue}`}${options.task.source.sender === null ? "" : ` by @${options.task.source.sender}`}: ${options.task.instruction.split("\n")[0]}`, ""]),
    "### Evidence",
    "",
    "| benchmark | baseline (median) | candidate (median) | change | 95% CI | p | samples |",
    "|---|---|---|---|---|---|---|",
    b === null
      ? "| — | — | — | no speedup is claimed | — | — | — |"
      : `| ${b.name} | ${ns(b.baselineMedianNs)} | ${ns(b.candidateMedianNs)} | ${pct(b.change)} | ${pct(b.ciLow)} … ${pct(b.ciHigh)} | ${Number(b.pValue.toPrecision(2))} | ${b.samples} |`,
    "",
    `- **Tests:** ${p.tests.passed} passed, ${p.tests.failed} failed, ${p.tests.skipped} skipped${p.tests.flaky && p.tests.flaky.length > 0 ? ` (flaky, excluded: ${p.tests.flaky.join(", ")})` : ""}`,
    "- **CI:** followed by Ratchet once this pull request is open; the result is posted here and on the request.",
    `- **Policy:** ${p.policy.length === 0 ? "allowed, no findings" : p.policy.map((v) => `${v.severity} ${v.rule}: ${v.message}`).join("; ")}`,
    `- **Kind:** ${p.kind ?? "performance"} · **Risk:** ${p.risk} · **Confidence:** ${Math.round(p.confidence * 100)}%`,
    `- **Files:** ${p.files.map((f) => `\`${f}\``).join(", ")}`,
    `- **Content hash:** \`${options.contentHash}\` (the approval is bound to it)`,
    ...(p.llm ? [`- **Model calls:** ${p.llm.totals.calls}, ${p.llm.totals.inputTokens + p.llm.totals.outputTokens} tokens, $${p.llm.totals.costUsd.toFixed(4)}`] : []),
    ...(options.report === null ? [] : [`- **Report:** ${options.report}`]),
    ...(plan === null
      ? []
      : ["", "### Acceptance criteria", "", ...CoreTask.evidenceOf(plan, p).map((e) => `- ${e.status === "met" ? "✅" : e.status === "not-met" ? "❌" : "➖"} ${e.criterion.description} — ${e.evidence}`)]),
    "",
    "_Opened by Ratchet after a person approved this exact proposal. Nothing else is changed._"
  ]
  return lines.join("\n")
}

/** Posts a reply on the task's issue (when it came from one) and records it. Never fails the caller. */
export const reply = (task: Task, github: GitHubConnector.GitHub, kind: string, body: string): Effect.Effect<void, never, Store> =>
  Effect.gen(function* () {
    if (task.source.repo === null || task.source.issue === null) return
    const store = yield* Store
    const posted = yield* github.comment(task.source.repo, task.source.issue, body)
    yield* store.addReply(task.id, { kind, url: posted.url })
  }).pipe(Effect.catch((e) => Effect.logWarning(`Ratchet: could not reply on ${task.source.repo}#${task.source.issue}: ${e.message}`)))

/** The live connector of a repository, or `null` (no stored connector). */
export const connectorOf = (repo: Repo, options: LiveOptions | undefined): Effect.Effect<GitHubConnector.GitHub | null, ServerError, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    const stored = yield* store.connectorOfRepo(repo.orgId, repo.id)
    return stored === null ? null : yield* liveConnector(stored, options)
  })

/** After "create PR" on GitHub: record the pull request for CI follow-up and tell the requester. */
export const afterPublish = (input: {
  readonly repo: Repo
  readonly proposalId: string
  readonly github: GitHubConnector.GitHub
  readonly connectorId: string | null
  readonly name: string
  readonly published: { readonly url: string | null; readonly branch: string; readonly commit: string | null; readonly created: boolean }
}): Effect.Effect<void, ServerError, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    const number = Number(/\/pull\/(\d+)$/.exec(input.published.url ?? "")?.[1] ?? Number.NaN)
    if (!Number.isInteger(number) || input.published.commit === null || input.published.url === null) return
    const task = yield* store.taskOfProposal(input.proposalId)
    yield* store.trackPullRequest({
      proposalId: input.proposalId,
      repoId: input.repo.id,
      connectorId: input.connectorId,
      repo: input.name,
      number,
      url: input.published.url,
      branch: input.published.branch,
      headSha: input.published.commit,
      taskId: task?.id ?? null
    })
    if (task !== null && (yield* store.moveTask(task.id, ["proposed"], "verifying-ci"))) {
      yield* reply(task, input.github, "pull-request", `Ratchet opened ${input.published.url} (draft) after approval. It follows the CI and will post the result here.`)
    }
  })

const settle = (pr: PullRequest, state: "done" | "needs-human", ci: GitHubConnector.CiState, github: GitHubConnector.GitHub): Effect.Effect<void, ServerError, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    if (!(yield* store.movePullRequest(pr.proposalId, ["verifying-ci"], state, ci))) return
    const proposal = yield* store.getProposal(null, pr.proposalId)
    yield* store.appendEvent(proposal.runId, `proposal.${state}`, { proposalId: pr.proposalId, url: pr.url, ci: ci.summary })
    const failing = ci.checks.filter((c) => c.status === "completed" && !["success", "neutral", "skipped"].includes(c.conclusion ?? "")).map((c) => `${c.name} (${c.conclusion})`)
    const failingStatuses = ci.statuses.filter((s) => s.state === "failure" || s.state === "error").map((s) => `${s.context} (${s.state})`)
    const text =
      state === "done"
        ? `CI passed on ${pr.url} (${ci.summary}). The change is ready for review and merge.`
        : `CI failed on ${pr.url}: ${[...failing, ...failingStatuses].join(", ") || ci.summary}. A person needs to look: Ratchet does not push fixes to an approved pull request.`
    // on the pull request itself, and on the request that started it
    yield* github.comment(pr.repo, pr.number, text).pipe(Effect.catch((e) => Effect.logWarning(`Ratchet: could not comment on ${pr.url}: ${e.message}`)))
    if (pr.taskId !== null) {
      const task = yield* store.getTask(null, pr.taskId)
      if (yield* store.moveTask(task.id, ["verifying-ci"], state)) yield* reply(task, github, `ci-${state}`, text)
    }
  })

/** Checks CI of one followed pull request and settles it when CI is finished. */
export const checkCi = (pr: PullRequest, options: LiveOptions | undefined): Effect.Effect<void, ServerError, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    const repo = yield* store.getRepo(null, pr.repoId)
    const github = yield* connectorOf(repo, options)
    if (github === null) return
    const ci = yield* github.ci(pr.repo, pr.headSha).pipe(Effect.mapError((e) => internal(`reading CI of ${pr.url}: ${e.message}`)))
    if (ci.state === "success") return yield* settle(pr, "done", ci, github)
    if (ci.state === "failure") return yield* settle(pr, "needs-human", ci, github)
  })

/** Every followed pull request whose head is `sha`, checked now (a CI webhook arrived). */
export const onCi = (repo: string, sha: string, options: LiveOptions | undefined): Effect.Effect<number, ServerError, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    const prs = (yield* store.pullRequestsByHead(repo, sha)).filter((p) => p.state === "verifying-ci")
    for (const pr of prs) yield* checkCi(pr, options)
    return prs.length
  })

/** A pull request was closed on GitHub: merged or not. */
export const onPullClosed = (repo: string, number: number, merged: boolean): Effect.Effect<boolean, ServerError, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    const pr = yield* store.pullRequestByNumber(repo, number)
    if (pr === null) return false
    const moved = yield* store.movePullRequest(pr.proposalId, ["verifying-ci", "done", "needs-human"], merged ? "merged" : "closed")
    if (moved) {
      const proposal = yield* store.getProposal(null, pr.proposalId)
      yield* store.appendEvent(proposal.runId, merged ? "proposal.merged" : "proposal.closed", { proposalId: pr.proposalId, url: pr.url })
    }
    return moved
  })

