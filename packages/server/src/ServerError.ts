/**
 * The error type of `@ratchet/server`: one tagged error with a `reason` union.
 * Each reason knows its HTTP status and whether retrying can help, and renders
 * a message that says what went wrong, where, and what to do.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A request or argument that does not validate. HTTP 400.
 *
 * @since 0.1.0
 */
export class Invalid extends Schema.TaggedClass<Invalid>()("Invalid", {
  field: Schema.String,
  detail: Schema.String
}) {
  get status(): number {
    return 400
  }
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `Invalid ${this.field}: ${this.detail}`
  }
}

/** "repository" → "repositories", "run" → "runs". */
const plural = (noun: string): string => (/[^aeiou]y$/.test(noun) ? `${noun.slice(0, -1)}ies` : /(s|x|z|ch|sh)$/.test(noun) ? `${noun}es` : `${noun}s`)

/**
 * An id that names nothing. HTTP 404.
 *
 * @since 0.1.0
 */
export class NotFound extends Schema.TaggedClass<NotFound>()("NotFound", {
  kind: Schema.String,
  id: Schema.String
}) {
  get status(): number {
    return 404
  }
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `No ${this.kind} with id ${JSON.stringify(this.id)}. List the ${plural(this.kind)} to find a valid id.`
  }
}

/**
 * A state transition that is not allowed (approving a stale proposal, cancelling a finished run). HTTP 409.
 *
 * @since 0.1.0
 */
export class Conflict extends Schema.TaggedClass<Conflict>()("Conflict", {
  detail: Schema.String
}) {
  get status(): number {
    return 409
  }
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return this.detail
  }
}

/**
 * A budget that is used up (compute minutes per day) or a repository that is paused. HTTP 429/409.
 *
 * @since 0.1.0
 */
export class BudgetExceeded extends Schema.TaggedClass<BudgetExceeded>()("BudgetExceeded", {
  repoId: Schema.String,
  detail: Schema.String
}) {
  get status(): number {
    return 409
  }
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `Repository ${this.repoId}: ${this.detail}`
  }
}

/**
 * The database failed (connection lost, constraint). HTTP 503; may succeed on retry.
 *
 * @since 0.1.0
 */
export class StoreFailure extends Schema.TaggedClass<StoreFailure>()("StoreFailure", {
  operation: Schema.String,
  detail: Schema.String
}) {
  get status(): number {
    return 503
  }
  get retryable(): boolean {
    return true
  }
  get message(): string {
    return `Database failure during ${this.operation}: ${this.detail}`
  }
}

/**
 * An artifact whose bytes no longer match the stored sha256. HTTP 500.
 *
 * @since 0.1.0
 */
export class IntegrityFailure extends Schema.TaggedClass<IntegrityFailure>()("IntegrityFailure", {
  id: Schema.String,
  detail: Schema.String
}) {
  get status(): number {
    return 500
  }
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `Artifact ${this.id} failed its integrity check: ${this.detail}`
  }
}

/**
 * A bug or unexpected state. HTTP 500.
 *
 * @since 0.1.0
 */
export class Internal extends Schema.TaggedClass<Internal>()("Internal", {
  detail: Schema.String
}) {
  get status(): number {
    return 500
  }
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `Internal error: ${this.detail}`
  }
}

/**
 * The run queue is full: too many runs wait already (for the repository, or on the server). HTTP 429
 * with `Retry-After`.
 *
 * @since 0.1.0
 */
export class Busy extends Schema.TaggedClass<Busy>()("Busy", {
  detail: Schema.String,
  retryAfterSeconds: Schema.Number
}) {
  get status(): number {
    return 429
  }
  get retryable(): boolean {
    return true
  }
  get message(): string {
    return `${this.detail}; retry in ${this.retryAfterSeconds} s`
  }
}

/**
 * The token may not do this: it lacks the scope the route needs (or, for managing organisations,
 * it is not an administrator of the operator organisation). HTTP 403. Checked before anything is
 * looked up, so it never says whether an id exists.
 *
 * @since 0.2.0
 */
export class Forbidden extends Schema.TaggedClass<Forbidden>()("Forbidden", {
  scope: Schema.String,
  detail: Schema.String
}) {
  get status(): number {
    return 403
  }
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return this.detail
  }
}

/**
 * A quota of the organisation or of the token is used up. HTTP 429 with `Retry-After` (seconds
 * until `resetsAt`; per-run quotas have no reset).
 *
 * @since 0.2.0
 */
export class QuotaExceeded extends Schema.TaggedClass<QuotaExceeded>()("QuotaExceeded", {
  quota: Schema.String,
  /** `organisation` or `token`. */
  scope: Schema.Literals(["organisation", "token"]),
  /** The organisation's or the token's id. */
  subject: Schema.String,
  limit: Schema.Number,
  used: Schema.Number,
  unit: Schema.String,
  /** ISO-8601 time at which the quota's window restarts; `null` for per-run quotas. */
  resetsAt: Schema.NullOr(Schema.String)
}) {
  get status(): number {
    return 429
  }
  get retryable(): boolean {
    return this.resetsAt !== null
  }
  get message(): string {
    const used = Math.round(this.used * 10_000) / 10_000
    return `Quota ${this.quota} of ${this.scope} ${this.subject} is used up: ${used} of ${this.limit} ${this.unit}${this.resetsAt === null ? "" : `; it resets at ${this.resetsAt}`}. Ask an administrator to raise it${this.resetsAt === null ? "" : ", or wait"}.`
  }
}

/** @since 0.1.0 */
export const Reason = Schema.Union([Invalid, NotFound, Conflict, BudgetExceeded, Busy, Forbidden, QuotaExceeded, StoreFailure, IntegrityFailure, Internal])
/** @since 0.1.0 */
export type Reason = typeof Reason.Type

/**
 * The single error type of `@ratchet/server`. Like Effect's own errors it keeps what it wraps (a
 * database error, a core or connector error) as the standard `cause`.
 *
 * @since 0.1.0
 */
export class ServerError extends Schema.TaggedError<ServerError>()("ServerError", {
  reason: Reason,
  cause: Schema.optionalKey(Schema.Defect())
}) {
  override get message(): string {
    return this.reason.message
  }
  get status(): number {
    return this.reason.status
  }
  get retryable(): boolean {
    return this.reason.retryable
  }
}

const make = (reason: Reason, cause: unknown): ServerError =>
  new ServerError(cause === undefined ? { reason } : { reason, cause })

/** @since 0.1.0 */
export const invalid = (field: string, detail: string, cause?: unknown): ServerError => make(new Invalid({ field, detail }), cause)
/** @since 0.1.0 */
export const notFound = (kind: string, id: string): ServerError => make(new NotFound({ kind, id }), undefined)
/** @since 0.1.0 */
export const conflict = (detail: string, cause?: unknown): ServerError => make(new Conflict({ detail }), cause)
/** @since 0.1.0 */
export const budgetExceeded = (repoId: string, detail: string): ServerError => make(new BudgetExceeded({ repoId, detail }), undefined)
/** @since 0.1.0 */
export const storeFailure = (operation: string, cause: unknown): ServerError =>
  make(new StoreFailure({ operation, detail: cause instanceof Error ? cause.message : String(cause) }), cause)
/** @since 0.1.0 */
export const integrityFailure = (id: string, detail: string): ServerError => make(new IntegrityFailure({ id, detail }), undefined)
/** @since 0.1.0 */
export const internal = (detail: string, cause?: unknown): ServerError => make(new Internal({ detail }), cause)
/** @since 0.1.0 */
export const busy = (detail: string, retryAfterSeconds: number): ServerError => make(new Busy({ detail, retryAfterSeconds }), undefined)
/** @since 0.2.0 */
export const forbidden = (scope: string, detail: string): ServerError => make(new Forbidden({ scope, detail }), undefined)
/** @since 0.2.0 */
export const quotaExceeded = (fields: {
  readonly quota: string
  readonly scope: "organisation" | "token"
  readonly subject: string
  readonly limit: number
  readonly used: number
  readonly unit: string
  readonly resetsAt: string | null
}): ServerError => make(new QuotaExceeded(fields), undefined)
