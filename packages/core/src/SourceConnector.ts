/**
 * The `SourceConnector` port: fetch a repository at a commit and publish an approved proposal.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Ref } from "effect"
import { badInput, type RatchetError } from "./RatchetError.js"

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

/** @since 0.1.0 */
export interface PublishRequest {
  readonly repo: string
  readonly baseBranch: string
  readonly proposalId: string
  readonly contentHash: string
  readonly title: string
  readonly body: string
  readonly diff: string
  readonly approval: Approval
}

/** @since 0.1.0 */
export interface PublishResult {
  readonly branch: string
  readonly url: string | null
  readonly created: boolean
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
    /** Publishes a proposal (a branch + PR, or a branch + patch file). Requires a matching approval. */
    readonly publish: (request: PublishRequest) => Effect.Effect<PublishResult, RatchetError>
  }
>()("@ratchet/core/SourceConnector") {
  /**
   * An in-memory connector for tests. It refuses to publish without an approval bound to the same content hash.
   *
   * @since 0.1.0
   */
  static readonly layerTest = (published: Ref.Ref<ReadonlyArray<PublishRequest>>): Layer.Layer<SourceConnector> =>
    Layer.succeed(SourceConnector, {
      name: "test",
      fetch: (_repo, commit) => Effect.succeed(commit),
      publish: (request) =>
        request.approval.proposalId !== request.proposalId || request.approval.contentHash !== request.contentHash
          ? Effect.fail(
              badInput({
                what: "approval does not match the proposal",
                where: request.proposalId,
                fix: "approve this exact proposal version before publishing"
              })
            )
          : Ref.update(published, (all) => [...all, request]).pipe(
              Effect.as({ branch: `ratchet/${request.proposalId}`, url: null, created: true })
            )
    })
}
