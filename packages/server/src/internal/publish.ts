/**
 * "Create PR" for an approved proposal, through core's `SourceConnector` port as
 * `@ratchet/connectors` implements it: behind the server's one `WriteGate` (built in
 * `Server.layer`), which looks the approval up in the store, recomputes the proposal's content
 * hash, re-runs the repository's policy, serialises writes per repository and records every
 * attempt — allowed or refused — in the proof ledger (`GET /api/proposals/:id/ledger`).
 *
 * - a repository with a local `path` (or a `file://` URL): the local git connector pushes branch
 *   `ratchet/<proposal id>` with one commit into that repository and writes `<id>.patch`; a path
 *   inside a larger repository (a package of a monorepo) is published at its top level, the
 *   diff re-rooted by the gate after its checks;
 * - an `https://github.com/<owner>/<name>` repository: the GitHub connector (branch, commit, draft
 *   PR) of the repository's stored connector (a token or a GitHub App, credentials sealed at rest),
 *   else the token in `GITHUB_TOKEN`.
 *
 * The published commit carries `Ratchet-Content-Hash: <hash>`, the content hash the approval covers.
 *
 * @internal
 */
import { execFileSync } from "node:child_process"
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Config, Package, Proposal as CoreProposal, type RatchetError, type Sandbox } from "@ratchet/core"
import { ApprovalStore, ConnectorError, GitHubConnector, LocalGitConnector, WriteGate } from "@ratchet/connectors"
import { Effect, Layer, Schema } from "effect"
import { conflict, internal, invalid, ServerError } from "../ServerError.js"
import { type Principal, type Proposal, type Repo, Store } from "../Store.js"
import { githubName, type LiveOptions, liveConnector } from "./github/connectors.js"
import { afterPublish, prBody, reportUrl } from "./github/lifecycle.js"
import { configByTrust } from "./repoConfig.js"
import { policyLayer, withServerPolicy } from "./pipeline.js"

/** Where and how proposals are published. */
export interface PublishOptions {
  /** Directory for the local connector's `.patch` files. */
  readonly patchesDir: string
  /** GitHub token for repositories on github.com without a stored connector. */
  readonly githubToken?: string | undefined
  /** Options of live GitHub connectors (tests shorten their retry delays). */
  readonly github?: LiveOptions
  /** The server's public URL, for the report link in pull request bodies. */
  readonly publicUrl?: string | undefined
  /**
   * Where a local repository's `ratchet.config.*` is evaluated (as data, for the policy the gate
   * re-runs). Default: bubblewrap when available, else the local sandbox.
   */
  readonly sandbox?: Layer.Layer<Sandbox.Sandbox> | undefined
}

/** Whether the repository's HEAD names a commit (a fresh `git init` has none). */
const hasCommit = (top: string): boolean => {
  try {
    execFileSync("git", ["-C", top, "rev-parse", "--verify", "-q", "HEAD^{commit}"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

/**
 * The config committed at the HEAD of a local repository, in a detached worktree of HEAD (removed
 * afterwards): evaluated as data in the sandbox, never in the server process, unless the repository
 * is `trusted` (then imported here, so its policy plugins run at the gate as they did in validation).
 */
const repositoryConfig = (where: { readonly top: string; readonly prefix: string }, options: PublishOptions, trusted: boolean): Effect.Effect<Config.ResolvedConfig, ServerError> =>
  Effect.acquireUseRelease(
    Effect.try({
      try: () => {
        const dir = mkdtempSync(join(tmpdir(), "ratchet-publish-config-"))
        chmodSync(dir, 0o755)
        const tree = join(dir, "tree")
        if (hasCommit(where.top)) execFileSync("git", ["-C", where.top, "worktree", "add", "--detach", tree, "HEAD"], { stdio: "ignore" })
        // no commit yet: nothing is committed, so no config either (the defaults apply)
        else mkdirSync(tree)
        return { dir, tree }
      },
      catch: (e) => internal(`checking out ${where.top} to read its ratchet config: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`, e)
    }),
    ({ tree }) => configByTrust(join(tree, where.prefix), { sandbox: options.sandbox, hidden: [options.patchesDir], trusted }),
    ({ dir, tree }) =>
      Effect.sync(() => {
        try {
          execFileSync("git", ["-C", where.top, "worktree", "remove", "--force", tree], { stdio: "ignore" })
        } catch {
          // removed below; `git worktree prune` forgets it
        }
        rmSync(dir, { recursive: true, force: true })
      })
  )

/** What a publish returns to the API. */
export interface Published {
  readonly proposalId: string
  readonly connector: string
  readonly branch: string
  readonly url: string | null
  readonly created: boolean
  readonly commit: string | null
  readonly patchFile: string | null
  /** The content hash the approval covers and the commit's `Ratchet-Content-Hash` trailer carries. */
  readonly contentHash: string
  readonly approvedBy: string
}

/**
 * A repository connected by a path inside a larger git repository (a package of a monorepo): the
 * repository's top level and the path's prefix in it (`""` at the top).
 */
const locate = (path: string): Effect.Effect<{ readonly top: string; readonly prefix: string }, ServerError> =>
  Effect.try({
    try: () => {
      const run = (...args: Array<string>) => execFileSync("git", ["-C", path, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim()
      return { top: run("rev-parse", "--show-toplevel"), prefix: run("rev-parse", "--show-prefix") }
    },
    catch: (e) => invalid("repository", `${path} is not inside a git repository, so there is nothing to open a pull request on (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`, e)
  })

const GITHUB = /^https:\/\/github\.com\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/

const fromRatchet = (error: RatchetError.RatchetError): ServerError => {
  switch (error.reason._tag) {
    case "WriteRefused":
      return conflict(error.message, error)
    case "BadInput":
      return invalid("proposal", error.message, error)
    default:
      return internal(`publishing failed: ${error.message}`, error)
  }
}

/** Who approved: the latest decision, when it is an approval (the gate checks it covers the content). */
const approverOf = (proposal: Proposal): string | null => {
  const latest = proposal.decisions[proposal.decisions.length - 1]
  if (proposal.status !== "approved" || latest === undefined || latest.decision !== "approved") return null
  return latest.tokenId === null ? latest.actor : `${latest.actor} (${latest.tokenId})`
}

/**
 * The approvals the server's WriteGate looks up: the latest decision of a proposal, if the
 * proposal's status is "approved" and that decision approves (the status is the one decision that
 * won; decisions are compare-and-set, so a rejected proposal never yields an approval, whatever
 * rows sit beside it). The approval covers the content hash the reviewer approved; the gate
 * compares it with the hash it recomputes from what is being published.
 */
export const approvalStoreLayer: Layer.Layer<ApprovalStore.ApprovalStore, never, Store> = Layer.effect(
  ApprovalStore.ApprovalStore,
  Effect.map(Store, (store) =>
    ApprovalStore.ApprovalStore.of({
      find: (proposalId) =>
        store.getProposal(null, proposalId).pipe(
          Effect.map((proposal): ApprovalStore.Approval | null => {
            const approvedBy = approverOf(proposal)
            const latest = proposal.decisions[proposal.decisions.length - 1]
            return approvedBy === null || latest === undefined
              ? null
              : { proposalId: proposal.id, contentHash: latest.contentHash, approvedBy, approvedAt: latest.createdAt }
          }),
          Effect.catchTag("ServerError", (e) =>
            e.reason._tag === "NotFound"
              ? Effect.succeed(null)
              : Effect.fail(ConnectorError.checkUnavailable({ check: "approval store lookup", proposalId, detail: e.message, cause: e })))
        )
    }))
)

/**
 * The server's one WriteGate: approvals from the store, the policy engine (with the repository's
 * config per request), every audit entry persisted in the ledger. With `databaseLock` (a shared
 * PostgreSQL, which several server processes may use) each write also holds the database's lock of
 * its repository, so writes to one repository are serialised across processes; the embedded
 * database serves one process (the data directory's lock), whose gate permits already serialise
 * them, and a lock there would hold its only connection for the length of the write.
 */
export const writeGateLayer = (options: { readonly databaseLock: boolean }): Layer.Layer<WriteGate.WriteGate, never, Store> =>
  Layer.effect(
    WriteGate.WriteGate,
    Effect.flatMap(Store, (store) =>
      WriteGate.makeGate({
        onAudit: (entry) => store.appendLedger(entry),
        ...(options.databaseLock ? { serialize: writeLockOf(store) } : {})
      }))
  ).pipe(Layer.provide([approvalStoreLayer, policyLayer()]))

/** The store's write lock as the gate's `serialize`: a lock it cannot take is a check it cannot make. */
export const writeLockOf = (store: Store["Service"]) =>
<A, R>(key: string, write: Effect.Effect<A, ConnectorError.ConnectorError, R>): Effect.Effect<A, ConnectorError.ConnectorError, R> =>
  store.withWriteLock(key, write).pipe(
    Effect.catchIf(
      (e): e is ServerError => e instanceof ServerError,
      (e) => Effect.fail(ConnectorError.checkUnavailable({ check: "repository write lock", proposalId: "?", detail: e.message, cause: e }))
    )
  )

/**
 * Publishes `proposal` of `repo` through the `SourceConnector` (the WriteGate), as `actor`.
 */
export const publish = (
  repo: Repo,
  proposal: Proposal,
  options: PublishOptions,
  actor: string,
  stored: GitHubConnector.GitHub | null = null,
  bodyOf: ((proposal: CoreProposal.Proposal, contentHash: string) => string) | null = null
): Effect.Effect<Published, ServerError, WriteGate.WriteGate> =>
  Effect.gen(function* () {
    const data = (proposal.data ?? {}) as Record<string, unknown>
    // decoded as the gate decodes it, so both hash the same content
    const core = yield* Schema.decodeUnknownEffect(CoreProposal.Proposal)({ ...data, id: proposal.id }).pipe(
      Effect.mapError((e) => invalid("proposal", `the stored proposal ${proposal.id} is not a valid proposal: ${e.message}`, e))
    )
    // a package inside a larger repository is published at that repository's top level
    const where = repo.path !== null ? yield* locate(repo.path) : null

    const github = repo.url === null ? null : GITHUB.exec(repo.url)
    let target: { readonly repo: string; readonly connector: WriteGate.Connector }
    if (repo.path !== null || repo.url?.startsWith("file://")) {
      target = { repo: where?.top ?? repo.url ?? "", connector: LocalGitConnector.make({ outDir: options.patchesDir }) }
    } else if (github !== null && stored !== null) {
      // the repository's stored connector (token or App)
      target = { repo: `${github[1]}/${github[2]}`, connector: stored }
    } else if (github !== null) {
      if (!options.githubToken) {
        return yield* Effect.fail(invalid("repository", `to open pull requests on ${repo.url}, add a GitHub connector (POST /api/connectors) or start the server with GITHUB_TOKEN set (a token with contents:write and pull_requests:write)`))
      }
      target = { repo: `${github[1]}/${github[2]}`, connector: GitHubConnector.make({ token: options.githubToken }) }
    } else {
      return yield* Effect.fail(invalid("repository", `no connector for ${repo.url}: pull requests are opened on github.com, or as a branch in a local repository (connect it with "path")`))
    }

    // The policy the gate re-runs is the repository's own when it is on disk, else the defaults.
    // (evaluated in the sandbox as data: repository code never runs in the server, unless an operator trusts the repository)
    const config = yield* (where !== null ? repositoryConfig(where, options, repo.settings.trusted) : Config.resolveConfig({}, null).pipe(Effect.mapError((e) => internal(e.message, e)))).pipe(
      Effect.map((loaded) => withServerPolicy(loaded, repo.settings.policy))
    )
    const source = yield* WriteGate.sourceConnector(target.connector)
    const baseCommit = typeof data.commit === "string" ? data.commit : undefined
    const result = yield* source.publish({
      repo: target.repo,
      baseBranch: repo.defaultBranch,
      ...(baseCommit !== undefined ? { baseCommit } : {}),
      proposal: core,
      // on GitHub the pull request's body carries the evidence (see github/lifecycle.ts)
      body:
        bodyOf !== null && source.name === "github"
          ? bodyOf(core, Package.contentHashOf(core))
          : typeof data.summary === "string" ? data.summary : typeof data.explanation === "string" ? data.explanation : proposal.title,
      actor,
      ...(where !== null && where.prefix !== "" ? { prefix: where.prefix } : {}),
      config
    }).pipe(Effect.mapError(fromRatchet))
    return {
      proposalId: proposal.id,
      connector: source.name,
      branch: result.branch,
      url: result.url,
      created: result.created,
      commit: result.commit,
      patchFile: result.patchFile,
      contentHash: result.contentHash,
      approvedBy: approverOf(proposal) ?? ""
    }
  })

/** The identity a write is recorded under: the API token's name and id. */
export const actorOf = (principal: Principal): string => `token:${principal.tokenName} (${principal.tokenId})`

/**
 * "Create PR" as the API and the dashboard do it: publishes the proposal of the caller's
 * organisation through the WriteGate and records the write in its run's events.
 */
export const publishAndRecord = (principal: Principal, proposalId: string, options: PublishOptions): Effect.Effect<Published, ServerError, Store | WriteGate.WriteGate> =>
  Effect.gen(function* () {
    const store = yield* Store
    const proposal = yield* store.getProposal(principal.orgId, proposalId)
    const repo = yield* store.getRepo(principal.orgId, proposal.repoId)
    const connector = repo.url === null ? null : yield* store.connectorOfRepo(principal.orgId, repo.id)
    const stored = connector === null ? null : yield* liveConnector(connector, options.github)
    const task = yield* store.taskOfProposal(proposal.id)
    const published = yield* publish(repo, proposal, options, actorOf(principal), stored, (core, contentHash) =>
      prBody(core, { task, contentHash, report: reportUrl(options.publicUrl, proposal.id) }))
    if (stored !== null && connector !== null && published.connector === "github") {
      yield* afterPublish({ repo, proposalId: proposal.id, github: stored, connectorId: connector.id, name: githubName(repo.url) ?? "", published })
    }
    yield* store.appendEvent(proposal.runId, "proposal.published", {
      proposalId: proposal.id,
      connector: published.connector,
      branch: published.branch,
      url: published.url,
      commit: published.commit,
      patchFile: published.patchFile,
      created: published.created,
      requestedBy: `token:${principal.tokenName}`,
      // the ledger names the token by id (never its value)
      tokenId: principal.tokenId
    })
    return published
  })
