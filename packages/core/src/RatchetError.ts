/**
 * The error type of `@ratchet/core`: one tagged error with a `reason` union.
 * Each reason says whether retrying can help and renders a message that names
 * what went wrong, where, and what to do.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RatchetError } from "@ratchet/core"
 *
 * const program = Effect.fail(RatchetError.badInput({ what: "not a directory", where: "/tmp/x", fix: "pass a repository root" }))
 * program.pipe(Effect.catchReason("RatchetError", "BadInput", (r) => Effect.succeed(r.message)))
 * ```
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Bad input from the user: a path, a flag, a file. Exit code 2 in the CLI.
 *
 * @since 0.1.0
 */
export class BadInput extends Schema.TaggedClass<BadInput>()("BadInput", {
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
 * A `ratchet.config.*` file that cannot be loaded or does not validate. Exit code 2 in the CLI.
 *
 * @since 0.1.0
 */
export class ConfigInvalid extends Schema.TaggedClass<ConfigInvalid>()("ConfigInvalid", {
  file: Schema.String,
  detail: Schema.String
}) {
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `Invalid Ratchet config ${this.file}: ${this.detail}`
  }
}

/**
 * A stage that is not available in this build.
 *
 * @since 0.1.0
 */
export class NotImplemented extends Schema.TaggedClass<NotImplemented>()("NotImplemented", {
  stage: Schema.String
}) {
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `The ${this.stage} stage is not implemented yet`
  }
}

/**
 * A filesystem or process failure that may succeed on retry.
 *
 * @since 0.1.0
 */
export class IoFailure extends Schema.TaggedClass<IoFailure>()("IoFailure", {
  path: Schema.String,
  detail: Schema.String
}) {
  get retryable(): boolean {
    return true
  }
  get message(): string {
    return `I/O failure at ${this.path}: ${this.detail}`
  }
}

/**
 * An artifact whose content does not match its hash, or that is missing.
 *
 * @since 0.1.0
 */
export class IntegrityFailure extends Schema.TaggedClass<IntegrityFailure>()("IntegrityFailure", {
  id: Schema.String,
  detail: Schema.String
}) {
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `Artifact ${this.id} failed its integrity check: ${this.detail}`
  }
}

/**
 * Diff text that cannot be parsed. `line` is 1-based; `text` is the offending line (truncated).
 * Exit code 2 in the CLI.
 *
 * @since 0.2.0
 */
export class DiffInvalid extends Schema.TaggedClass<DiffInvalid>()("DiffInvalid", {
  line: Schema.Number,
  text: Schema.String,
  detail: Schema.String
}) {
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `Unparsable diff at line ${this.line} (${JSON.stringify(this.text)}): ${this.detail}. Pass a unified diff as produced by \`git diff\`.`
  }
}

/**
 * A bug or an unexpected state. Exit code 1 in the CLI.
 *
 * @since 0.1.0
 */
export class Internal extends Schema.TaggedClass<Internal>()("Internal", {
  detail: Schema.String
}) {
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `Internal error: ${this.detail}`
  }
}

/**
 * A language-model call that failed: a rejected key, an unknown model, a prompt longer than the
 * context window, a rate limit that outlasted the retries, a broken answer. `kind` is the
 * `LanguageModel.ModelErrorKind`; the detail never contains a key.
 *
 * @since 0.2.0
 */
export class ModelFailure extends Schema.TaggedClass<ModelFailure>()("ModelFailure", {
  provider: Schema.String,
  model: Schema.String,
  kind: Schema.String,
  status: Schema.NullOr(Schema.Number),
  detail: Schema.String
}) {
  get retryable(): boolean {
    return ["rate-limit", "overloaded", "server", "timeout", "network", "invalid-response"].includes(this.kind)
  }
  get message(): string {
    return `${this.provider}/${this.model}: ${this.detail}`
  }
}

/**
 * A write the source connector refused: no approval is recorded, the approval covers another
 * version of the proposal, the policy blocks the diff, or the target branch holds other content.
 * `kind` names which (the connector's reason); not retryable — approve the current version first.
 *
 * @since 0.2.0
 */
export class WriteRefused extends Schema.TaggedClass<WriteRefused>()("WriteRefused", {
  proposalId: Schema.String,
  kind: Schema.String,
  detail: Schema.String
}) {
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return this.detail
  }
}

/** @since 0.1.0 */
export const Reason = Schema.Union([BadInput, ConfigInvalid, NotImplemented, IoFailure, IntegrityFailure, DiffInvalid, Internal, ModelFailure, WriteRefused])
/** @since 0.1.0 */
export type Reason = typeof Reason.Type

/**
 * The single error type of `@ratchet/core`. Like Effect's own errors it keeps the error it wraps
 * as the standard `cause` (a thrown exception, a failed import, a database error), so a log or
 * `Cause.pretty` shows the whole chain instead of a flattened string.
 *
 * @since 0.1.0
 */
export class RatchetError extends Schema.TaggedError<RatchetError>()("RatchetError", {
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

const make = (reason: Reason, cause: unknown): RatchetError =>
  new RatchetError(cause === undefined ? { reason } : { reason, cause })

/** @since 0.1.0 */
export const badInput = (args: { what: string; where: string; fix: string }, cause?: unknown): RatchetError =>
  make(new BadInput(args), cause)
/** @since 0.1.0 */
export const configInvalid = (args: { file: string; detail: string }, cause?: unknown): RatchetError =>
  make(new ConfigInvalid(args), cause)
/** @since 0.1.0 */
export const notImplemented = (stage: string): RatchetError => make(new NotImplemented({ stage }), undefined)
/** @since 0.1.0 */
export const ioFailure = (path: string, detail: string, cause?: unknown): RatchetError =>
  make(new IoFailure({ path, detail }), cause)
/** @since 0.1.0 */
export const integrityFailure = (id: string, detail: string): RatchetError =>
  make(new IntegrityFailure({ id, detail }), undefined)
/** @since 0.2.0 */
export const diffInvalid = (args: { line: number; text: string; detail: string }, cause?: unknown): RatchetError =>
  make(new DiffInvalid({ line: args.line, text: args.text.length > 200 ? `${args.text.slice(0, 200)}…` : args.text, detail: args.detail }), cause)
/** @since 0.1.0 */
export const internal = (detail: string, cause?: unknown): RatchetError => make(new Internal({ detail }), cause)
/** @since 0.2.0 */
export const modelFailure = (args: { provider: string; model: string; kind: string; status: number | null; detail: string }, cause?: unknown): RatchetError =>
  make(new ModelFailure(args), cause)
/** @since 0.2.0 */
export const writeRefused = (args: { proposalId: string; kind?: string; detail: string }, cause?: unknown): RatchetError =>
  make(new WriteRefused({ proposalId: args.proposalId, kind: args.kind ?? "Refused", detail: args.detail }), cause)
