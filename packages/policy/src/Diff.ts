/**
 * Unified (git) diff parsing and formatting.
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
import type * as Patch from "@ratchet/core/Patch"
import { Effect } from "effect"
import { format as formatPatch } from "./internal/format.js"
import { ParseFailure, parse as parseText } from "./internal/parse.js"
import { diffInvalid, type PolicyError } from "./PolicyError.js"

/**
 * Parses diff text; throws a `PolicyError` (reason `DiffInvalid`, with the 1-based `line`
 * and the offending `text`) when it cannot.
 *
 * @since 0.1.0
 */
export const parseSync = (text: string): Patch.ParsedPatch => {
  try {
    return parseText(text)
  } catch (error) {
    if (error instanceof ParseFailure) throw diffInvalid(error)
    throw error
  }
}

/**
 * Parses diff text.
 *
 * @since 0.1.0
 */
export const parse = (text: string): Effect.Effect<Patch.ParsedPatch, PolicyError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(parseText(text))
    } catch (error) {
      if (error instanceof ParseFailure) return Effect.fail(diffInvalid(error))
      return Effect.die(error)
    }
  })

/**
 * Renders a parsed patch as unified-diff text. Section headers kept by the parser
 * (`headerLines`) are re-emitted verbatim; without them git headers are synthesised from
 * the structured fields. Hunk headers are re-emitted when they agree with the hunk's numbers.
 *
 * @since 0.1.0
 */
export const format = (patch: Patch.ParsedPatch): string => formatPatch(patch)
