/**
 * The error type of `@ratchet/connectors`: one tagged error with a `reason` union. Every
 * refusal of the {@link WriteGate} is a reason of its own, so callers can match on it, and every
 * message says what was refused, where, and what to do. All text fields are passed through
 * {@link Redact.redactPatterns} on construction; connectors that hold a secret redact it before.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WriteGate } from "@ratchet/connectors"
 *
 * const publish = (request: WriteGate.WriteRequest) =>
 *   Effect.gen(function* () {
 *     const gate = yield* WriteGate.WriteGate
 *     return yield* gate.publish(request)
 *   }).pipe(Effect.catchReason("ConnectorError", "NotApproved", (r) => Effect.succeed(r.message)))
 * ```
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { redactPatterns } from "./Redact.js"

const short = (hash: string): string => (hash.length > 16 ? `${hash.slice(0, 12)}…` : hash)

/**
 * No approval is recorded for the proposal.
 *
 * @since 0.1.0
 */
export class NotApproved extends Schema.TaggedClass<NotApproved>()("NotApproved", {
  proposalId: Schema.String
}) {
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `Refused to publish proposal ${this.proposalId}: no approval is recorded for it. Approve this proposal (its current content hash) before publishing.`
  }
}

/**
 * An approval exists but does not cover the proposal as it is now (edited after approval, or
 * an approval of another proposal).
 *
 * @since 0.1.0
 */
export class ApprovalMismatch extends Schema.TaggedClass<ApprovalMismatch>()("ApprovalMismatch", {
  proposalId: Schema.String,
  approvedHash: Schema.String,
  currentHash: Schema.String,
  detail: Schema.String
}) {
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `Refused to publish proposal ${this.proposalId}: ${this.detail} (approved content hash ${short(this.approvedHash)}, current ${short(this.currentHash)}). Review the current version and approve it again.`
  }
}

/**
 * The policy, run again at write time, blocks the diff.
 *
 * @since 0.1.0
 */
export class PolicyBlocked extends Schema.TaggedClass<PolicyBlocked>()("PolicyBlocked", {
  proposalId: Schema.String,
  verdicts: Schema.Array(Schema.String)
}) {
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `Refused to publish proposal ${this.proposalId}: the policy blocks its diff at write time (${this.verdicts.join("; ") || "no verdict given"}). Change the proposal or the policy, then approve the new version.`
  }
}

/**
 * The approval store or the policy check could not answer; the gate fails closed.
 *
 * @since 0.1.0
 */
export class CheckUnavailable extends Schema.TaggedClass<CheckUnavailable>()("CheckUnavailable", {
  check: Schema.String,
  proposalId: Schema.String,
  detail: Schema.String
}) {
  get retryable(): boolean {
    return true
  }
  get message(): string {
    return `Refused to publish proposal ${this.proposalId}: the ${this.check} could not be run (${this.detail}). Nothing was written; retry once it is available.`
  }
}

/**
 * A request, repository, commit or option that is not acceptable.
 *
 * @since 0.1.0
 */
export class InvalidRequest extends Schema.TaggedClass<InvalidRequest>()("InvalidRequest", {
  what: Schema.String,
  where: Schema.String,
  fix: Schema.String
}) {
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `${this.what} (${this.where}). ${this.fix.charAt(0).toUpperCase()}${this.fix.slice(1)}`
  }
}

/**
 * The proposal's branch already exists on the remote with other content.
 *
 * @since 0.1.0
 */
export class BranchConflict extends Schema.TaggedClass<BranchConflict>()("BranchConflict", {
  branch: Schema.String,
  detail: Schema.String
}) {
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `Branch ${this.branch} already exists on the remote and ${this.detail}. It is never overwritten: delete the branch or publish the new version as a new proposal.`
  }
}

/**
 * A `git` command failed.
 *
 * @since 0.1.0
 */
export class GitFailed extends Schema.TaggedClass<GitFailed>()("GitFailed", {
  operation: Schema.String,
  where: Schema.String,
  detail: Schema.String
}) {
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `git ${this.operation} failed (${this.where}): ${this.detail}`
  }
}

/**
 * A remote host (an HTTP API) failed or refused; `retryAfterMs` is its back-off hint, if any.
 *
 * @since 0.1.0
 */
export class RemoteFailed extends Schema.TaggedClass<RemoteFailed>()("RemoteFailed", {
  operation: Schema.String,
  status: Schema.NullOr(Schema.Number),
  detail: Schema.String,
  retryAfterMs: Schema.NullOr(Schema.Number)
}) {
  get retryable(): boolean {
    return this.status === null || this.status === 429 || this.status >= 500 || this.retryAfterMs !== null
  }
  get message(): string {
    return `${this.operation} failed${this.status === null ? "" : ` with HTTP ${this.status}`}: ${this.detail}${this.retryAfterMs === null ? "" : ` (retry after ${Math.ceil(this.retryAfterMs / 1000)}s)`}`
  }
}

/** @since 0.1.0 */
export const Reason = Schema.Union([
  NotApproved,
  ApprovalMismatch,
  PolicyBlocked,
  CheckUnavailable,
  InvalidRequest,
  BranchConflict,
  GitFailed,
  RemoteFailed
])
/** @since 0.1.0 */
export type Reason = typeof Reason.Type

/**
 * The single error type of `@ratchet/connectors`. The error it wraps (an HTTP client's error, a
 * thrown exception) is kept as the standard `cause`, redacted like every text field: an `Error`
 * becomes an `Error` of the same name whose message and stack went through `redactPatterns`.
 *
 * @since 0.1.0
 */
export class ConnectorError extends Schema.TaggedError<ConnectorError>()("ConnectorError", {
  reason: Reason,
  cause: Schema.optionalKey(Schema.Defect())
}) {
  override get message(): string {
    return this.reason.message
  }
  get retryable(): boolean {
    return this.reason.retryable
  }
}

const r = redactPatterns

/** The wrapped error, with its message and stack redacted (secrets never reach a log through `cause`). */
const redactCause = (cause: unknown): unknown => {
  if (cause === undefined) return undefined
  if (cause instanceof Error) {
    const copy = new Error(r(cause.message), cause.cause === undefined ? undefined : { cause: redactCause(cause.cause) })
    copy.name = cause.name
    copy.stack = cause.stack === undefined ? undefined : r(cause.stack)
    return copy
  }
  return r(String(cause))
}

const make = (reason: Reason, cause?: unknown): ConnectorError =>
  new ConnectorError(cause === undefined ? { reason } : { reason, cause: redactCause(cause) })

/** @since 0.1.0 */
export const notApproved = (proposalId: string): ConnectorError =>
  new ConnectorError({ reason: new NotApproved({ proposalId: r(proposalId) }) })
/** @since 0.1.0 */
export const approvalMismatch = (args: { proposalId: string; approvedHash: string; currentHash: string; detail: string }): ConnectorError =>
  new ConnectorError({
    reason: new ApprovalMismatch({ proposalId: r(args.proposalId), approvedHash: r(args.approvedHash), currentHash: r(args.currentHash), detail: r(args.detail) })
  })
/** @since 0.1.0 */
export const policyBlocked = (proposalId: string, verdicts: ReadonlyArray<string>): ConnectorError =>
  new ConnectorError({ reason: new PolicyBlocked({ proposalId: r(proposalId), verdicts: verdicts.map(r) }) })
/** @since 0.1.0 */
export const checkUnavailable = (args: { check: string; proposalId: string; detail: string; cause?: unknown }): ConnectorError =>
  make(new CheckUnavailable({ check: args.check, proposalId: r(args.proposalId), detail: r(args.detail) }), args.cause)
/** @since 0.1.0 */
export const invalidRequest = (args: { what: string; where: string; fix: string }): ConnectorError =>
  new ConnectorError({ reason: new InvalidRequest({ what: r(args.what), where: r(args.where), fix: r(args.fix) }) })
/** @since 0.1.0 */
export const branchConflict = (branch: string, detail: string): ConnectorError =>
  new ConnectorError({ reason: new BranchConflict({ branch: r(branch), detail: r(detail) }) })
/** @since 0.1.0 */
export const gitFailed = (args: { operation: string; where: string; detail: string; cause?: unknown }): ConnectorError =>
  make(new GitFailed({ operation: r(args.operation), where: r(args.where), detail: r(args.detail) }), args.cause)
/** @since 0.1.0 */
export const remoteFailed = (args: { operation: string; status: number | null; detail: string; retryAfterMs?: number | null; cause?: unknown }): ConnectorError =>
  make(new RemoteFailed({ operation: r(args.operation), status: args.status, detail: r(args.detail), retryAfterMs: args.retryAfterMs ?? null }), args.cause)

/**
 * Returns a copy of `error` whose text fields have `redact` applied (for connectors that hold secrets).
 *
 * @since 0.1.0
 */
export const redactWith = (error: ConnectorError, redact: (text: string) => string): ConnectorError => {
  const reason = error.reason
  const fields: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(reason)) {
    if (key === "_tag") continue
    fields[key] = typeof value === "string" ? redact(value) : Array.isArray(value) ? value.map((v) => (typeof v === "string" ? redact(v) : v)) : value
  }
  const Ctor = reason.constructor as new (fields: Record<string, unknown>) => Reason
  const cause = error.cause instanceof Error
    ? Object.assign(new Error(redact(error.cause.message)), { name: error.cause.name, stack: error.cause.stack === undefined ? undefined : redact(error.cause.stack) })
    : error.cause
  return new ConnectorError(cause === undefined ? { reason: new Ctor(fields) } : { reason: new Ctor(fields), cause })
}
