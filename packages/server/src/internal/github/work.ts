/**
 * GitHub work: receiving webhooks (verify, record, answer at once) and doing what they ask in the
 * background — prompted tasks from a labeled issue or a `/ratchet …` comment, CI and merge updates of
 * the pull requests Ratchet opened, installation bookkeeping — plus the tasks' own progress: plan →
 * decision → run → proposal, with replies on the issue at each step.
 *
 * @internal
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { GitHubConnector, GitHubWebhook } from "@ratchet/connectors"
import { ArtifactStore, Detect, type Sandbox, Task as CoreTask } from "@ratchet/core"
import { Duration, Effect, Layer, Schedule } from "effect"
import { Runs } from "../../Runs.js"
import { internal, invalid, type ServerError } from "../../ServerError.js"
import { type Connector, type Repo, sha256, Store, type Task } from "../../Store.js"
import { checkDailyBudget } from "../llmSpend.js"
import { policyLayer, withServerPolicy } from "../pipeline.js"
import { configByTrust } from "../repoConfig.js"
import { connectorOwner } from "../store/connectors.js"
import { githubName, type LiveOptions, liveConnector, modelFor } from "./connectors.js"
import { checkCi, connectorOf, onCi, onPullClosed, planOf, reply, reportUrl } from "./lifecycle.js"

/** Options of the GitHub work. */
export interface WorkOptions {
  readonly github?: LiveOptions
  /** The server's public URL, for links to reports in replies and pull requests. */
  readonly publicUrl?: string
  /** How often followed pull requests are polled for CI (webhooks make it immediate). Default 60 s. */
  readonly ciPollMs?: number
  /** How often queued deliveries and tasks are looked at. Default 1 s. */
  readonly sweepMs?: number
  /**
   * Where a repository's config is evaluated (as data) to plan a task: the server's sandbox backend;
   * absent: the best available one, with `hidden` (the data directory) out of its sight.
   */
  readonly sandbox?: Layer.Layer<Sandbox.Sandbox>
  readonly hidden?: ReadonlyArray<string>
}

// --- receiving -------------------------------------------------------------------------------

/** What the webhook route answers. */
export interface Received {
  readonly status: 200 | 202 | 400 | 401
  readonly body: Record<string, unknown>
}

/**
 * Verifies and records one delivery. The signature is checked over the raw body with every
 * connector's webhook secret before anything is parsed; a delivery id seen before is acknowledged
 * and ignored. Processing happens afterwards (`processDelivery`).
 */
export const receive = (input: { readonly event: string | undefined; readonly delivery: string | undefined; readonly signature: string | undefined; readonly body: string }): Effect.Effect<Received, ServerError, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    if (input.delivery === undefined || !/^[A-Za-z0-9-]{1,100}$/.test(input.delivery)) return { status: 400, body: { error: "missing or malformed X-GitHub-Delivery" } }
    if (input.event === undefined || !/^[a-z_]{1,64}$/.test(input.event)) return { status: 400, body: { error: "missing or malformed X-GitHub-Event" } }
    const connectors = (yield* store.listAllConnectors).filter((c) => c.secrets.includes("webhookSecret"))
    const secrets: Array<{ readonly connector: Connector; readonly secret: string }> = []
    for (const connector of connectors) {
      const secret = yield* store.getSecret(connector.orgId, connectorOwner(connector.id), "webhookSecret")
      if (secret !== null) secrets.push({ connector, secret })
    }
    const matched = yield* Effect.promise(() => GitHubWebhook.verify(secrets.map((s) => s.secret), input.body, input.signature))
    if (matched === null) return { status: 401, body: { error: "the X-Hub-Signature-256 signature does not match any connector's webhook secret; nothing was recorded" } }
    const parsed = yield* Effect.result(Effect.try((): unknown => JSON.parse(input.body)))
    if (parsed._tag === "Failure") return { status: 400, body: { error: "the body is not JSON (send deliveries with content type application/json)" } }
    const payload = parsed.success
    const connector = secrets[matched]!.connector
    const action = typeof payload === "object" && payload !== null && typeof Reflect.get(payload, "action") === "string" ? String(Reflect.get(payload, "action")) : null
    const bodySha256 = sha256(input.body)
    const fresh = yield* store.addDelivery({ id: input.delivery, connectorId: connector.id, event: input.event, action, payload, bodySha256 })
    // a redelivery (same id) or a replayed capture (same signed body, another id) is acknowledged and ignored
    return fresh ? { status: 202, body: { delivery: input.delivery, queued: true } } : { status: 200, body: { delivery: input.delivery, duplicate: true } }
  })

// --- processing deliveries ---------------------------------------------------------------------

/** A claim older than this is taken over (the worker that held it stopped). */
const STALE_CLAIM_MS = 5 * 60_000

const repoFor = (orgId: string, name: string): Effect.Effect<Repo | null, ServerError, Store> =>
  Effect.map(Store.use((s) => s.listRepos(orgId)), (repos) => repos.find((r) => githubName(r.url)?.toLowerCase() === name.toLowerCase()) ?? null)

const handleTask = (connector: Connector, delivery: string, event: GitHubWebhook.TaskTrigger, options: WorkOptions): Effect.Effect<Record<string, unknown>, ServerError, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    if (event.senderIsBot) return { ignored: `${event.sender} is a bot` }
    const repo = yield* repoFor(connector.orgId, event.repo)
    if (repo === null) return { ignored: `${event.repo} is not connected to Ratchet` }
    const used = yield* store.connectorOfRepo(repo.orgId, repo.id)
    if (used?.id !== connector.id) return { ignored: `${event.repo} uses another connector` }
    const github = yield* liveConnector(connector, options.github)
    const role = yield* github.role(event.repo, event.sender).pipe(Effect.mapError((e) => internal(`checking ${event.sender}'s permission on ${event.repo}: ${e.message}`)))
    const source = { via: event.via, connectorId: connector.id, deliveryId: delivery, repo: event.repo, issue: event.issue, commentId: event.commentId, sender: event.sender }
    if (!GitHubConnector.canWrite(role)) {
      yield* github
        .comment(event.repo, event.issue, `@${event.sender}, Ratchet only takes requests from people with write access to ${event.repo} (you have: ${role}).`)
        .pipe(Effect.catch(() => Effect.void))
      return { ignored: `${event.sender} has ${role} access, not write` }
    }
    if (event.instruction.trim() === "") {
      yield* github.comment(event.repo, event.issue, `@${event.sender}, what should Ratchet change? Write it after the command: \`${connector.config.command} make parse() faster\`.`).pipe(Effect.catch(() => Effect.void))
      return { ignored: "an empty instruction" }
    }
    const task = yield* store.createTask({ orgId: repo.orgId, repoId: repo.id, instruction: event.instruction.slice(0, 20_000), paths: [], source })
    return { task: task.id }
  })

/** Claims one recorded delivery (nothing happens when another worker has it) and processes it. */
export const processDelivery = (id: string, options: WorkOptions): Effect.Effect<void, never, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    if (!(yield* store.claimDelivery(id))) return
    yield* processClaimed(id, options)
  }).pipe(Effect.catch((error) => Effect.logWarning(`Ratchet: webhook delivery ${id}: ${error.message}`)))

/** Processes a claimed delivery and records the outcome on it. */
const processClaimed = (id: string, options: WorkOptions): Effect.Effect<void, never, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    const delivery = yield* store.getDelivery(id)
    if (delivery.status !== "processing") return
    const connector = delivery.connectorId === null ? null : yield* store.getConnector(null, delivery.connectorId)
    if (connector === null) return yield* store.finishDelivery(id, "processed", { ignored: "the connector is gone" })
    const event = GitHubWebhook.read(delivery.event, delivery.payload, { label: connector.config.label, command: connector.config.command })
    let result: Record<string, unknown>
    switch (event.kind) {
      case "task":
        result = yield* handleTask(connector, id, event, options)
        break
      case "ci":
        result = { followed: yield* onCi(event.repo, event.sha, options.github) }
        break
      case "pull-closed":
        result = { updated: yield* onPullClosed(event.repo, event.number, event.merged) }
        break
      case "installation":
        yield* store.recordInstallation(connector.id, {
          installationId: event.installationId,
          account: event.account,
          repositories: event.added.filter((r) => !event.removed.includes(r)),
          suspended: event.action === "installation.suspend",
          deleted: event.action === "installation.deleted"
        })
        result = { installation: event.installationId, action: event.action }
        break
      case "ping":
        result = { pong: true }
        break
      case "ignored":
        result = { ignored: event.reason }
        break
    }
    yield* store.finishDelivery(id, "processed", result)
  }).pipe(
    Effect.catch((error) =>
      Store.use((s) => s.finishDelivery(id, "failed", { error: error.message })).pipe(
        Effect.catch(() => Effect.void),
        Effect.andThen(Effect.logWarning(`Ratchet: webhook delivery ${id} failed: ${error.message}`))
      )
    )
  )

// --- tasks -----------------------------------------------------------------------------------

/** A checkout of the repository's default branch for planning (a path repository is read in place). */
const checkout = <A>(repo: Repo, github: GitHubConnector.GitHub | null, use: (root: string) => Effect.Effect<A, ServerError, Store>): Effect.Effect<A, ServerError, Store> => {
  if (repo.path !== null) return use(repo.path)
  const name = githubName(repo.url)
  if (github === null || name === null) return Effect.fail(invalid("repository", `${repo.url} cannot be read: connect it through a GitHub connector`))
  return Effect.acquireUseRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "ratchet-task-"))),
    (dir) =>
      github.fetch(name, repo.defaultBranch, join(dir, "checkout")).pipe(
        Effect.mapError((e) => internal(`fetching ${name}: ${e.message}`)),
        Effect.andThen(use(join(dir, "checkout")))
      ),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )
}

const decisionText = (task: Task, decision: CoreTask.Decision, plan: CoreTask.Plan, command: string): string => {
  const head = task.source.sender === null ? "" : `@${task.source.sender} `
  switch (decision.verdict) {
    case "NO-GO":
      return `${head}**NO-GO** — Ratchet will not make this change:\n\n${decision.reasons.map((r) => `- ${r}`).join("\n")}`
    case "DEFER":
      return `${head}**DEFER** — Ratchet needs one answer before it plans this change:\n\n> ${decision.question}\n\nReply with \`${command} <the request with the answer>\`.`
    case "GO":
      return [
        `${head}**GO** — ${plan.summary}`,
        "",
        `- **Files:** ${plan.files.map((f) => `\`${f}\``).join(", ")}`,
        `- **Approach:** ${plan.approach}`,
        `- **Acceptance criteria:** ${plan.acceptanceCriteria.map((c) => c.description).join("; ") || "the tests pass"}`,
        `- **Risk:** ${plan.risk}`,
        "",
        "Ratchet now writes the patch and proves it (build, tests" + (plan.kind === "performance" ? ", benchmark" : "") + "). A person approves the proposal before any pull request is opened."
      ].join("\n")
  }
}

/** Plans a queued task and decides; a GO starts a run. */
const planTask = (task: Task, options: WorkOptions): Effect.Effect<void, ServerError, Store | Runs> =>
  Effect.gen(function* () {
    const store = yield* Store
    if (!(yield* store.moveTask(task.id, ["queued"], "planning"))) return
    const repo = yield* store.getRepo(null, task.repoId)
    const github = yield* connectorOf(repo, options.github)
    const command = (yield* store.connectorOfRepo(repo.orgId, repo.id))?.config.command ?? "/ratchet"
    const outcome = yield* Effect.result(
      Effect.gen(function* () {
        const model = yield* modelFor(repo)
        // planning spends from the repository's daily LLM budget, like its runs
        yield* checkDailyBudget(store, repo, Date.now())
        return yield* checkout(repo, github, (root) =>
          Effect.gen(function* () {
            // the repository's own config (its policy: limits, frozen paths), evaluated as data in the
            // sandbox (a repository is untrusted code; imported when an operator trusts it), with the server's limits on top
            const config = withServerPolicy(
              yield* configByTrust(root, { sandbox: options.sandbox, hidden: options.hidden ?? [], trusted: repo.settings.trusted }),
              repo.settings.policy
            )
            const profile = yield* Detect.detect(root).pipe(Effect.mapError((e) => invalid("repository", `detecting how ${repo.name} builds: ${e.message}`)))
            return yield* CoreTask.plan({ root, request: { instruction: task.instruction, paths: task.paths }, profile, model, config }).pipe(
              Effect.provide(Layer.merge(policyLayer(config), ArtifactStore.ArtifactStore.layerTest)),
              Effect.mapError((e) => invalid("model", `planning with ${repo.settings.provider}:${repo.settings.model}: ${e.message}`))
            )
          })
        )
      })
    )
    if (outcome._tag === "Failure") {
      yield* store.moveTask(task.id, ["planning"], "failed", { error: outcome.failure.message })
      if (github !== null) yield* reply(task, github, "failed", `Ratchet could not plan this request: ${outcome.failure.message}`)
      return
    }
    const { plan, decision, call } = outcome.success
    // the planning call is metered like a run's calls (usage, quotas, the daily budget)
    yield* store.meterRepoLlm(repo.id, { provider: call.provider, model: call.model, inputTokens: call.inputTokens, outputTokens: call.outputTokens, costUsd: call.costUsd })
    const planRecord = { ...plan, call: { provider: call.provider, model: call.model, inputTokens: call.inputTokens, outputTokens: call.outputTokens, costUsd: call.costUsd, durationMs: call.durationMs } }
    if (decision.verdict !== "GO") {
      yield* store.moveTask(task.id, ["planning"], decision.verdict === "NO-GO" ? "no-go" : "deferred", { plan: planRecord, decision })
      if (github !== null) yield* reply(task, github, decision.verdict.toLowerCase(), decisionText(task, decision, plan, command))
      return
    }
    const run = yield* Effect.result(Runs.use((r) => r.start(repo.orgId, repo.id, `task:${task.id}`)))
    if (run._tag === "Failure") {
      yield* store.moveTask(task.id, ["planning"], "failed", { plan: planRecord, decision, error: run.failure.message })
      if (github !== null) yield* reply(task, github, "failed", `${decisionText(task, decision, plan, command)}\n\nBut the run could not start: ${run.failure.message}`)
      return
    }
    yield* store.moveTask(task.id, ["planning"], "running", { plan: planRecord, decision, runId: run.success.id })
    if (github !== null) yield* reply(task, github, "go", decisionText(task, decision, plan, command))
  })

/** A task's run finished: its proposal, or why there is none. */
const finishTask = (task: Task, options: WorkOptions): Effect.Effect<void, ServerError, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    if (task.runId === null) return
    const run = yield* store.getRun(null, task.runId)
    if (run.status !== "succeeded" && run.status !== "failed" && run.status !== "cancelled") return
    const repo = yield* store.getRepo(null, task.repoId)
    const github = yield* connectorOf(repo, options.github)
    const proposals = yield* store.listProposals(run.id)
    const proposal = proposals[0]
    if (proposal === undefined) {
      const why = run.error ?? `the run ${run.id} proved no candidate (its attempts and their reasons: GET /api/runs/${run.id})`
      if (!(yield* store.moveTask(task.id, ["running"], "no-proposal", { error: why }))) return
      if (github !== null) yield* reply(task, github, "no-proposal", `Ratchet could not prove a change for this request: ${why}`)
      return
    }
    if (!(yield* store.moveTask(task.id, ["running"], "proposed", { proposalId: proposal.id }))) return
    const plan = planOf(task)
    const data = proposal.data
    const link = reportUrl(options.publicUrl, proposal.id)
    const text = [
      `Ratchet proved a change for this request: **${proposal.title}**`,
      "",
      `- **Proposal:** \`${proposal.id}\`, content hash \`${proposal.contentHash.slice(0, 16)}…\``,
      ...(plan === null ? [] : [`- **Plan:** ${plan.summary}`]),
      ...(typeof data === "object" && data !== null && typeof Reflect.get(data, "summary") === "string" ? [`- **Evidence:** ${String(Reflect.get(data, "summary")).split("\n")[0]}`] : []),
      ...(link === null ? [] : [`- **Report:** ${link}`]),
      "",
      "It waits for a person's approval; then Ratchet opens a draft pull request and follows its CI."
    ].join("\n")
    if (github !== null) yield* reply(task, github, "proposed", text)
  })

/** One pass: queued deliveries, queued and running tasks, and (every `ciPollMs`) followed pull requests. */
export const sweep = (options: WorkOptions, pollCi: boolean): Effect.Effect<void, never, Store | Runs> =>
  Effect.gen(function* () {
    const store = yield* Store
    for (const d of yield* store.claimDeliveries(20, STALE_CLAIM_MS)) yield* processClaimed(d.id, options)
    for (const t of yield* store.tasksIn(["queued"], 5)) yield* planTask(t, options).pipe(Effect.catch((e) => Effect.logWarning(`Ratchet: task ${t.id}: ${e.message}`)))
    for (const t of yield* store.tasksIn(["running"], 50)) yield* finishTask(t, options).pipe(Effect.catch((e) => Effect.logWarning(`Ratchet: task ${t.id}: ${e.message}`)))
    if (pollCi) for (const pr of yield* store.pullRequestsIn("verifying-ci")) yield* checkCi(pr, options.github).pipe(Effect.catch((e) => Effect.logWarning(`Ratchet: CI of ${pr.url}: ${e.message}`)))
  }).pipe(Effect.catch((e) => Effect.logWarning(`Ratchet: GitHub work: ${e.message}`)))

/** The background loop of the GitHub work. */
export const layer = (options: WorkOptions = {}): Layer.Layer<never, never, Store | Runs> =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const sweepMs = options.sweepMs ?? 1_000
      const every = Math.max(1, Math.round((options.ciPollMs ?? 60_000) / sweepMs))
      let n = 0
      yield* Effect.forkScoped(
        Effect.suspend(() => sweep(options, n++ % every === 0)).pipe(Effect.repeat(Schedule.spaced(Duration.millis(sweepMs))))
      )
    })
  )
