/**
 * The `ApprovalStore` port: where the WriteGate looks up the approval of a proposal. The
 * reference server backs it with its database; `layerTest` keeps approvals in a `Ref`.
 *
 * @example
 * ```ts
 * import { Effect, Ref } from "effect"
 * import { ApprovalStore } from "@ratchet/connectors"
 *
 * const approvals = Ref.makeUnsafe<ReadonlyArray<ApprovalStore.Approval>>([])
 * const layer = ApprovalStore.ApprovalStore.layerTest(approvals)
 * ```
 *
 * @since 0.1.0
 */
import type { SourceConnector } from "@ratchet/core"
import { Context, Effect, Layer, Ref } from "effect"
import type { ConnectorError } from "./ConnectorError.js"

/**
 * Proof that a person approved a specific proposal, bound to its content hash (core's type).
 *
 * @since 0.1.0
 */
export type Approval = SourceConnector.Approval

/**
 * Looks up the approval recorded for a proposal.
 *
 * @since 0.1.0
 */
export class ApprovalStore extends Context.Service<
  ApprovalStore,
  {
    /** The approval recorded for `proposalId` (the latest, if several), or `null` when there is none. */
    readonly find: (proposalId: string) => Effect.Effect<Approval | null, ConnectorError>
  }
>()("@ratchet/connectors/ApprovalStore") {
  /**
   * An in-memory store over a `Ref`; the last approval recorded for an id wins.
   *
   * @since 0.1.0
   */
  static readonly layerTest = (approvals: Ref.Ref<ReadonlyArray<Approval>>): Layer.Layer<ApprovalStore> =>
    Layer.succeed(ApprovalStore, {
      find: (proposalId) =>
        Ref.get(approvals).pipe(Effect.map((all) => all.findLast((a) => a.proposalId === proposalId) ?? null))
    })
}
