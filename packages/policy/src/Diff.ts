/**
 * Unified (git) diff parsing and formatting, as the policy engine reads diffs. The parser and the
 * formatter are core's `Diff` module (the one diff module validation, packaging and publishing use
 * too); this module reports a parse failure as a `PolicyError` (reason `DiffInvalid`).
 *
 * Understands `git diff` output (renames, copies, mode changes, new and deleted files,
 * symlinks, `GIT binary patch` and `Binary files … differ`, quoted names,
 * `\ No newline at end of file`, CRLF diff text) and plain `diff -u` output.
 * `format(parseSync(text)) === text` for any text the parser accepts.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Diff } from "@ratchet/policy"
 *
 * const program = Diff.parse(diffText).pipe(Effect.map((patch) => patch.files.map((f) => f.newPath)))
 * ```
 *
 * @since 0.1.0
 */
import * as CoreDiff from "@ratchet/core/Diff"
import type * as Patch from "@ratchet/core/Patch"
import { RatchetError } from "@ratchet/core/RatchetError"
import { Effect } from "effect"
import { diffInvalid, type PolicyError } from "./PolicyError.js"

const toPolicyError = (error: unknown): PolicyError | null =>
  error instanceof RatchetError && error.reason._tag === "DiffInvalid"
    ? diffInvalid({ line: error.reason.line, text: error.reason.text, detail: error.reason.detail })
    : null

/**
 * Parses diff text; throws a `PolicyError` (reason `DiffInvalid`, with the 1-based `line`
 * and the offending `text`) when it cannot.
 *
 * @since 0.1.0
 */
export const parseSync = (text: string): Patch.ParsedPatch => {
  try {
    return CoreDiff.parseSync(text)
  } catch (error) {
    throw toPolicyError(error) ?? error
  }
}

/**
 * Parses diff text.
 *
 * @since 0.1.0
 */
export const parse = (text: string): Effect.Effect<Patch.ParsedPatch, PolicyError> =>
  CoreDiff.parse(text).pipe(Effect.catch((error) => {
    const mapped = toPolicyError(error)
    return mapped === null ? Effect.die(error) : Effect.fail(mapped)
  }))

/**
 * Renders a parsed patch as unified-diff text. Section headers kept by the parser
 * (`headerLines`) are re-emitted verbatim; without them git headers are synthesised from
 * the structured fields. Hunk headers are re-emitted when they agree with the hunk's numbers.
 *
 * @since 0.1.0
 */
export const format = (patch: Patch.ParsedPatch): string => CoreDiff.format(patch)
