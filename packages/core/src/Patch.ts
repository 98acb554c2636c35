/**
 * The parsed form of a unified (git) diff, shared by policy rules and patch application.
 * Parsing, formatting, applying and counting live in {@link Diff} (`Diff.parse`, `Diff.format`,
 * `Diff.apply`, `Diff.countChanges`).
 *
 * @since 0.1.0
 */
import * as Diff from "./Diff.js"

/** @since 0.1.0 */
export interface DiffLine {
  readonly type: "add" | "del" | "context"
  /** The line without its leading marker and without its line terminator. */
  readonly text: string
  /** `true` when followed by `\ No newline at end of file`. */
  readonly noNewlineAtEnd?: boolean
  /** The exact `\ ...` marker line when it differs from `\ No newline at end of file` (localised git). */
  readonly noNewlineMarker?: string
  /** An empty context line whose leading space was stripped in the diff text. */
  readonly bare?: boolean
}

/** @since 0.1.0 */
export interface Hunk {
  readonly oldStart: number
  readonly oldLines: number
  readonly newStart: number
  readonly newLines: number
  /** Text after the closing `@@` (the function context), including its leading space; `""` when none. */
  readonly header: string
  readonly lines: ReadonlyArray<DiffLine>
  /** 1-based line of the `@@` header in the diff text (absent for patches built in code). */
  readonly line?: number
}

/** @since 0.1.0 */
export type FileStatus = "modified" | "added" | "deleted" | "renamed" | "copied"

/** @since 0.1.0 */
export interface FilePatch {
  /** Path before the change, relative to the repository root with the `a/` prefix removed; `null` for added files. */
  readonly oldPath: string | null
  /** Path after the change, relative to the repository root with the `b/` prefix removed; `null` for deleted files. */
  readonly newPath: string | null
  readonly status: FileStatus
  readonly oldMode: string | null
  readonly newMode: string | null
  readonly binary: boolean
  /** Mode 120000 on either side. */
  readonly symlink: boolean
  readonly similarity: number | null
  readonly hunks: ReadonlyArray<Hunk>
  /** 1-based line in the diff text where this file's section starts. */
  readonly line: number
  /** `dissimilarity index` of a rewritten file. */
  readonly dissimilarity?: number | null
  /** The `index` line's value (`abc123..def456 100644`). */
  readonly index?: string | null
  /** `true` for a `diff --git` section, `false` for a plain `---`/`+++` unified diff. */
  readonly git?: boolean
  /**
   * The section's header lines exactly as they appeared (from `diff --git` or `---` up to the
   * first hunk or binary payload). `Diff.format` re-emits them verbatim when present; drop
   * this field after changing paths, modes or status so that it synthesises git headers.
   */
  readonly headerLines?: ReadonlyArray<string>
  /** The binary payload lines (`GIT binary patch` blocks or `Binary files ... differ`). */
  readonly binaryLines?: ReadonlyArray<string>
  /** Lines before this section that belong to no file (commit message, e-mail headers). */
  readonly leading?: ReadonlyArray<string>
}

/** @since 0.1.0 */
export interface ParsedPatch {
  readonly files: ReadonlyArray<FilePatch>
  /** Line terminator of the diff text itself; `"\n"` when absent. */
  readonly eol?: "\n" | "\r\n"
  /** Lines after the last section that belong to no file (a `-- ` e-mail signature). */
  readonly trailing?: ReadonlyArray<string>
  /** `false` when the diff text does not end with a line terminator. */
  readonly finalNewline?: boolean
}

/**
 * Added and deleted line counts of a parsed patch (`Diff.countChanges`).
 *
 * @since 0.1.0
 */
export const countChanges: (patch: ParsedPatch) => { readonly added: number; readonly deleted: number } = Diff.countChanges

/**
 * The paths a file patch touches (`Diff.pathsOf`).
 *
 * @since 0.1.0
 */
export const pathsOf: (file: FilePatch) => ReadonlyArray<string> = Diff.pathsOf
