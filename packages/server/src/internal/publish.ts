/**
 * "Create PR" for an approved proposal, through the connectors' `WriteGate` — the only path to a
 * repository write. The gate recomputes the proposal's content hash, asks for its approval and
 * re-runs the policy before the connector writes anything.
 *
 * The server's approvals are bound to the hash of the whole stored proposal; the adapter below
 * hands the gate an approval only when the latest decision is an approval of exactly the content
 * stored now (recomputed, not read back), so a proposal edited after approval is refused.
 *
 * - a repository with a local `path` (or a `file://` URL): the local git connector pushes branch
 *   `ratchet/<proposal id>` with one commit into that repository and writes `<id>.patch`;
 * - an `https://github.com/<owner>/<name>` repository: the GitHub connector (branch, commit, draft
 *   PR) of the repository's stored connector (a token or a GitHub App, credentials sealed at rest),
 *   else the token in `GITHUB_TOKEN`.
 *
 * @internal
 */
import { execFileSync } from "node:child_process"
import { Config, Diff, Package, Proposal as CoreProposal } from "@ratchet/core"
import { ApprovalStore, type ConnectorError, GitHubConnector, LocalGitConnector, WriteGate } from "@ratchet/connectors"
import { Effect, Layer, Schema } from "effect"
import { conflict, internal, invalid, type ServerError } from "../ServerError.js"
import { type Principal, type Proposal, type Repo, Store } from "../Store.js"
import { githubName, type LiveOptions, liveConnector } from "./github/connectors.js"
import { afterPublish, prBody, reportUrl } from "./github/lifecycle.js"
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
}

/** What a publish returns to the API. */
export interface Published {
  readonly proposalId: string
  readonly connector: string
  readonly branch: string
  readonly url: string | null
  readonly created: boolean
  readonly commit: string | null
  readonly patchFile: string | null
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

/** The same change with every path under `prefix` (core's `Diff.reroot`: headers, renames, copies), and `files`. */
const reroot = (proposal: CoreProposal.Proposal, prefix: string): Effect.Effect<CoreProposal.Proposal, ServerError> =>
  Diff.parse(proposal.diff).pipe(
    Effect.map((patch) => ({ ...proposal, diff: Diff.format(Diff.reroot(patch, prefix)), files: proposal.files.map((f) => `${prefix}${f}`) })),
    Effect.mapError((e) => invalid("proposal", `the stored diff of ${proposal.id} does not parse: ${e.message}`, e))
  )

const GITHUB = /^https:\/\/github\.com\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/

const fromConnector = (error: ConnectorError.ConnectorError): ServerError => {
  switch (error.reason._tag) {
    case "NotApproved":
    case "ApprovalMismatch":
    case "PolicyBlocked":
    case "BranchConflict":
      return conflict(error.message, error)
    case "InvalidRequest":
      return invalid("proposal", error.message, error)
    default:
      return internal(`publishing failed: ${error.message}`, error)
  }
}

/**
 * The approval the gate may use: the latest decision, if it approves the content stored now
 * (core's content hash, recomputed from the stored proposal, not read back).
 */
const approvalOf = (proposal: Proposal, storedHash: string, publishedHash: string): ApprovalStore.Approval | null => {
  // The proposal's status is the one decision that won (decisions are compare-and-set): a
  // rejected proposal never yields an approval, whatever rows sit beside it.
  if (proposal.status !== "approved") return null
  const latest = proposal.decisions[proposal.decisions.length - 1]
  if (latest === undefined || latest.decision !== "approved") return null
  if (latest.contentHash !== storedHash) return null
  return { proposalId: proposal.id, contentHash: publishedHash, approvedBy: latest.tokenId === null ? latest.actor : `${latest.actor} (${latest.tokenId})`, approvedAt: latest.createdAt }
}

/**
 * Publishes `proposal` of `repo` through the WriteGate.
 */
export const publish = (
  repo: Repo,
  proposal: Proposal,
  options: PublishOptions,
  stored: GitHubConnector.GitHub | null = null,
  bodyOf: ((proposal: CoreProposal.Proposal, contentHash: string) => string) | null = null
): Effect.Effect<Published, ServerError> =>
  Effect.gen(function* () {
    const data = (proposal.data ?? {}) as Record<string, unknown>
    // decoded as the gate decodes it, so both hash the same field order (jsonb reorders keys)
    const core = yield* Schema.decodeUnknownEffect(CoreProposal.Proposal)({ ...data, id: proposal.id }).pipe(
      Effect.mapError((e) => invalid("proposal", `the stored proposal ${proposal.id} is not a valid proposal: ${e.message}`, e))
    )
    // a package inside a larger repository is published at that repository's top level
    const where = repo.path !== null ? yield* locate(repo.path) : null
    const publishable = where !== null && where.prefix !== "" ? yield* reroot(core, where.prefix) : core
    const coreHash = Package.contentHashOf(publishable)
    const approval = approvalOf(proposal, Package.contentHashOf(core), coreHash)

    const github = repo.url === null ? null : GITHUB.exec(repo.url)
    let target: { readonly name: string; readonly repo: string; readonly connector: WriteGate.Connector }
    if (repo.path !== null || repo.url?.startsWith("file://")) {
      target = { name: "local-git", repo: where?.top ?? repo.url!, connector: LocalGitConnector.make({ outDir: options.patchesDir }) }
    } else if (github !== null && stored !== null) {
      target = { name: "github", repo: `${github[1]}/${github[2]}`, connector: stored }
    } else if (github !== null) {
      if (!options.githubToken) {
        return yield* Effect.fail(invalid("repository", `to open pull requests on ${repo.url}, add a GitHub connector (POST /api/connectors) or start the server with GITHUB_TOKEN set (a token with contents:write and pull_requests:write)`))
      }
      target = { name: "github", repo: `${github[1]}/${github[2]}`, connector: GitHubConnector.make({ token: options.githubToken }) }
    } else {
      return yield* Effect.fail(invalid("repository", `no connector for ${repo.url}: pull requests are opened on github.com, or as a branch in a local repository (connect it with "path")`))
    }

    // The policy the gate re-runs is the repository's own when it is on disk, else the defaults.
    const config = yield* (repo.path !== null ? Config.loadConfig(repo.path) : Config.resolveConfig({}, null)).pipe(
      Effect.map((loaded) => withServerPolicy(loaded, repo.settings.policy)),
      Effect.mapError((e) => invalid("repository", `loading the repository's ratchet config: ${e.message}`, e))
    )
    const approvals = Layer.succeed(ApprovalStore.ApprovalStore, { find: (id) => Effect.succeed(id === proposal.id ? approval : null) })
    const gate = WriteGate.WriteGate.layer(target.connector).pipe(Layer.provide([approvals, policyLayer(config)]))
    const baseCommit = typeof data.commit === "string" ? data.commit : undefined
    const result = yield* Effect.gen(function* () {
      const writeGate = yield* WriteGate.WriteGate
      return yield* writeGate.publish({
        repo: target.repo,
        baseBranch: repo.defaultBranch,
        ...(baseCommit !== undefined ? { baseCommit } : {}),
        proposal: publishable,
        body: bodyOf !== null && target.name === "github" ? bodyOf(core, coreHash) : typeof data.summary === "string" ? data.summary : typeof data.explanation === "string" ? data.explanation : proposal.title
      })
    }).pipe(Effect.provide(gate), Effect.mapError(fromConnector))
    return {
      proposalId: proposal.id,
      connector: target.name,
      branch: result.branch,
      url: result.url,
      created: result.created,
      commit: result.commit ?? null,
      patchFile: result.patchFile ?? null,
      approvedBy: approval?.approvedBy ?? ""
    }
  })

/**
 * "Create PR" as the API and the dashboard do it: publishes the proposal of the caller's
 * organisation through the WriteGate and records the write in its run's events.
 */
export const publishAndRecord = (principal: Principal, proposalId: string, options: PublishOptions): Effect.Effect<Published, ServerError, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    const proposal = yield* store.getProposal(principal.orgId, proposalId)
    const repo = yield* store.getRepo(principal.orgId, proposal.repoId)
    const connector = repo.url === null ? null : yield* store.connectorOfRepo(principal.orgId, repo.id)
    const stored = connector === null ? null : yield* liveConnector(connector, options.github)
    const task = yield* store.taskOfProposal(proposal.id)
    const published = yield* publish(repo, proposal, options, stored, (core, contentHash) => prBody(core, { task, contentHash, report: reportUrl(options.publicUrl, proposal.id) }))
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
      requestedBy: `token:${principal.tokenName}`
    })
    return published
  })
