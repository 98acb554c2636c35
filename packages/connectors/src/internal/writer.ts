/**
 * The write capability of a connector. A connector hands the WriteGate an opaque `Writer`
 * handle; the function behind it lives in a module-private WeakMap and is only reachable
 * through `write`, which also demands a `Permit` that only the gate issues (kept in a
 * module-private WeakSet, so a structurally forged permit is refused at run time too).
 * This module is not exported from the package (`"./internal/*": null`).
 *
 * @internal
 */
import type { Proposal, SourceConnector } from "@ratchet/core"
import { Effect } from "effect"
import { type ConnectorError, invalidRequest } from "../ConnectorError.js"

declare const WriterBrand: unique symbol

/** An opaque handle to a connector's write capability. It has no callable members. */
export interface Writer {
  readonly [WriterBrand]: true
  readonly connector: string
}

/** What the gate verified; the connector writes exactly this. */
export interface Permit {
  readonly repo: string
  readonly baseBranch: string
  readonly baseCommit: string | null
  readonly proposal: Proposal.Proposal
  readonly body: string
  readonly contentHash: string
  readonly approval: SourceConnector.Approval
}

/** What a connector's write returns. */
export interface WriteResult {
  readonly branch: string
  readonly url: string | null
  readonly created: boolean
  readonly commit: string | null
  readonly patchFile: string | null
}

export type WriteFn = (permit: Permit) => Effect.Effect<WriteResult, ConnectorError>

const writers = new WeakMap<object, WriteFn>()
const permits = new WeakSet<object>()

export const makeWriter = (connector: string, write: WriteFn): Writer => {
  const handle = Object.freeze({ connector }) as unknown as Writer
  writers.set(handle, write)
  return handle
}

export const issuePermit = (permit: Permit): Permit => {
  const frozen = Object.freeze({ ...permit })
  permits.add(frozen)
  return frozen
}

export const write = (writer: Writer, permit: Permit): Effect.Effect<WriteResult, ConnectorError> => {
  const fn = writers.get(writer as object)
  if (fn === undefined) {
    return Effect.fail(invalidRequest({ what: "not a connector write handle", where: String(writer?.connector), fix: "build the gate from a connector's writer" }))
  }
  if (!permits.has(permit as object)) {
    return Effect.fail(invalidRequest({ what: "write without a WriteGate permit", where: permit?.proposal?.id ?? "?", fix: "publish through the WriteGate" }))
  }
  permits.delete(permit as object)
  return fn(permit)
}
