/**
 * The error type of `@ratchet/policy`: one tagged error with a `reason` union.
 * Each reason renders a message that says what went wrong, where, and what to do.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Diff } from "@ratchet/policy"
 *
 * Diff.parse("@@ -1 +1 @@\n").pipe(
 *   Effect.catchReason("PolicyError", "DiffInvalid", (r) => Effect.succeed(`line ${r.line}: ${r.detail}`))
 * )
 * ```
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Diff text that cannot be parsed. `line` is 1-based; `text` is the offending line (truncated).
 * Exit code 2 in the CLI.
 *
 * @since 0.1.0
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
 * Policy options that do not validate (an unknown severity, a bad glob). Exit code 2 in the CLI.
 *
 * @since 0.1.0
 */
export class OptionsInvalid extends Schema.TaggedClass<OptionsInvalid>()("OptionsInvalid", {
  field: Schema.String,
  detail: Schema.String
}) {
  get retryable(): boolean {
    return false
  }
  get message(): string {
    return `Invalid policy option ${this.field}: ${this.detail}. Fix the \`policy\` section of ratchet.config.ts.`
  }
}

/** @since 0.1.0 */
export const Reason = Schema.Union([DiffInvalid, OptionsInvalid])
/** @since 0.1.0 */
export type Reason = typeof Reason.Type

/**
 * The single error type of `@ratchet/policy`.
 *
 * @since 0.1.0
 */
export class PolicyError extends Schema.TaggedError<PolicyError>()("PolicyError", {
  reason: Reason
}) {
  override get message(): string {
    return this.reason.message
  }
  get retryable(): boolean {
    return this.reason.retryable
  }
}

const MAX_SHOWN = 200

/** @since 0.1.0 */
export const diffInvalid = (args: { line: number; text: string; detail: string }): PolicyError =>
  new PolicyError({
    reason: new DiffInvalid({
      line: args.line,
      text: args.text.length > MAX_SHOWN ? `${args.text.slice(0, MAX_SHOWN)}…` : args.text,
      detail: args.detail
    })
  })

/** @since 0.1.0 */
export const optionsInvalid = (args: { field: string; detail: string }): PolicyError =>
  new PolicyError({ reason: new OptionsInvalid(args) })
