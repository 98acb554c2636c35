/**
 * The `SourceConnector` port: fetch a repository at a commit and publish an approved proposal.
 * `@ratchet/connectors` implements it (local git, GitHub) behind its `WriteGate`, which looks the
 * approval up itself, recomputes the content hash, re-runs the policy and records every attempt.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Ref } from "effect"
import type { ResolvedConfig } from "./Config.js"
import { contentHashOf } from "./Package.js"
import type { Proposal } from "./Proposal.js"
import { badInput, type RatchetError, writeRefused } from "./RatchetError.js"

/**
 * Proof that a person approved a specific proposal, bound to its content hash.
 *
 * @since 0.1.0
 */
export interface Approval {
  readonly proposalId: string
  readonly contentHash: string
  readonly approvedBy: string
  readonly approvedAt: string
}

/**
 * A request to publish a proposal. It carries no approval: the implementation looks the approval
 * up where approvals are recorded, so a caller cannot vouch for itself.
 *
 * @since 0.1.0
 */
export interface PublishRequest {
  /** The target repository (a path or URL for local git, `owner/name` for GitHub). */
  readonly repo: string
  readonly baseBranch: string
  /** The commit the proposal was made against; default: the tip of `baseBranch`. */
  readonly baseCommit?: string
  /** The proposal as it was approved: its content hash is recomputed from it. */
  readonly proposal: Proposal
  /** Pull request description / commit body. */
  readonly body?: string
  /** Who asks for the write (a token identity, a user); recorded with the attempt. */
  readonly actor: string
  /** Publish under this directory of the repository (a package inside a monorepo, `"packages/lib/"`): paths are re-rooted after every check. */
  readonly prefix?: string
  /** The config whose policy the write is checked against again (the repository's); default: the implementation's defaults. */
  readonly config?: ResolvedConfig
}

/** @since 0.1.0 */
export interface PublishResult {
  readonly branch: string
  readonly url: string | null
  readonly created: boolean
  /** The commit written (null when the host does not say). */
  readonly commit: string | null
  /** A patch file written beside the branch (local git), else null. */
  readonly patchFile: string | null
  /** The content hash that was approved and published (the commit's `Ratchet-Content-Hash` trailer). */
  readonly contentHash: string
}

/**
 * Reads from and (only with approval) writes to a source host.
 *
 * @since 0.1.0
 */
export class SourceConnector extends Context.Service<
  SourceConnector,
  {
    readonly name: string
    /** Clones `repo` at `commit` into `dir`; returns the resolved commit sha. */
    readonly fetch: (repo: string, commit: string, dir: string) => Effect.Effect<string, RatchetError>
    /**
     * Publishes a proposal (a branch + PR, or a branch + patch file) when an approval of exactly its
     * content is recorded; fails with `WriteRefused` otherwise.
     */
    readonly publish: (request: PublishRequest) => Effect.Effect<PublishResult, RatchetError>
  }
>()("@ratchet/core/SourceConnector") {
  /**
   * An in-memory connector for tests: it publishes only a proposal whose recorded approval (the
   * last one in `approvals` for its id) covers its current content hash, and appends it to `published`.
   *
   * @since 0.1.0
   */
  static readonly layerTest = (
    published: Ref.Ref<ReadonlyArray<PublishRequest>>,
    approvals: Ref.Ref<ReadonlyArray<Approval>>
  ): Layer.Layer<SourceConnector> =>
    Layer.succeed(SourceConnector, {
      name: "test",
      fetch: (_repo, commit) => Effect.succeed(commit),
      publish: (request) =>
        Effect.gen(function* () {
          if (request.actor.trim().length === 0) {
            return yield* Effect.fail(badInput({ what: "the publish request does not say who asks", where: request.proposal.id, fix: "pass the actor" }))
          }
          const contentHash = contentHashOf(request.proposal)
          const approval = (yield* Ref.get(approvals)).findLast((a) => a.proposalId === request.proposal.id)
          if (approval === undefined) return yield* Effect.fail(writeRefused({ proposalId: request.proposal.id, detail: "no approval is recorded" }))
          if (approval.contentHash !== contentHash) {
            return yield* Effect.fail(writeRefused({ proposalId: request.proposal.id, detail: "the approval covers another version of this proposal" }))
          }
          const branch = `ratchet/${request.proposal.id}`
          const already = (yield* Ref.get(published)).some((p) => p.proposal.id === request.proposal.id)
          if (!already) yield* Ref.update(published, (all) => [...all, request])
          return { branch, url: null, created: !already, commit: null, patchFile: null, contentHash }
        })
    })
}
