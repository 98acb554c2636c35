/**
 * The parsed form of a unified (git) diff, shared by policy rules and patch application.
 * The parser lives in `@ratchet/policy`.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export interface DiffLine {
  readonly type: "add" | "del" | "context"
  readonly text: string
  /** `true` when followed by `\ No newline at end of file`. */
  readonly noNewlineAtEnd?: boolean
}

/** @since 0.1.0 */
export interface Hunk {
  readonly oldStart: number
  readonly oldLines: number
  readonly newStart: number
  readonly newLines: number
  readonly header: string
  readonly lines: ReadonlyArray<DiffLine>
}

/** @since 0.1.0 */
export type FileStatus = "modified" | "added" | "deleted" | "renamed" | "copied"

/** @since 0.1.0 */
export interface FilePatch {
  readonly oldPath: string | null
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
}

/** @since 0.1.0 */
export interface ParsedPatch {
  readonly files: ReadonlyArray<FilePatch>
}

/**
 * Added and deleted line counts of a parsed patch.
 *
 * @since 0.1.0
 */
export const countChanges = (patch: ParsedPatch): { readonly added: number; readonly deleted: number } => {
  let added = 0
  let deleted = 0
  for (const file of patch.files) {
    for (const hunk of file.hunks) {
      for (const line of hunk.lines) {
        if (line.type === "add") added++
        else if (line.type === "del") deleted++
      }
    }
  }
  return { added, deleted }
}
