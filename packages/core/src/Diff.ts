/**
 * Unified (git) diffs, in one place: parse, format, apply, re-root and count. The policy engine,
 * validation, packaging and publishing all read a diff through this module, so the diff the policy
 * approved is exactly the diff that is applied to a workspace and published.
 *
 * The parser understands `git diff` output (renames, copies, mode changes, new and deleted files,
 * symlinks, `GIT binary patch` and `Binary files … differ`, quoted names,
 * `\ No newline at end of file`, CRLF diff text) and plain `diff -u` output, and is strict wherever
 * a lenient reading could let an applier see a change the policy did not (hunk bodies must match
 * their line counts, `diff --git` names must agree with `---`/`+++`). `format(parseSync(text)) === text`
 * for any text it accepts.
 *
 * @example
 * ```ts
 * import { Diff } from "@ratchet/core"
 *
 * const patch = Diff.parseSync(text)
 * const { added, deleted } = Diff.countChanges(patch)
 * const inMonorepo = Diff.format(Diff.reroot(patch, "packages/app/"))
 * ```
 *
 * @since 0.2.0
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, isAbsolute, relative, resolve } from "node:path"
import { applyPatch as applyHunks, formatPatch, type StructuredPatchHunk, structuredPatch } from "diff"
import { Effect } from "effect"
import { format as formatText } from "./internal/diff/format.js"
import { ParseFailure, parse as parseText } from "./internal/diff/parse.js"
import type { FilePatch, Hunk, ParsedPatch } from "./Patch.js"
import { diffInvalid, ioFailure, type RatchetError } from "./RatchetError.js"

const NO_NEWLINE = "\\ No newline at end of file"

/**
 * Parses diff text; throws a `RatchetError` (reason `DiffInvalid`, with the 1-based `line` and the
 * offending `text`) when it cannot.
 *
 * @since 0.2.0
 */
export const parseSync = (text: string): ParsedPatch => {
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
 * @since 0.2.0
 */
export const parse = (text: string): Effect.Effect<ParsedPatch, RatchetError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(parseText(text))
    } catch (error) {
      if (error instanceof ParseFailure) return Effect.fail(diffInvalid(error))
      return Effect.die(error)
    }
  })

/**
 * Renders a parsed patch as unified-diff text. Section headers kept by the parser (`headerLines`)
 * are re-emitted verbatim; without them git headers are synthesised from the structured fields.
 *
 * @since 0.2.0
 */
export const format = (patch: ParsedPatch): string => formatText(patch)

/**
 * A git-style unified diff of one file (`diff --git a/<path> b/<path>`, `--- a/<path>`,
 * `+++ b/<path>`, 3 lines of context). Empty when the texts are equal.
 *
 * @since 0.2.0
 */
export const unified = (path: string, before: string, after: string): string => {
  if (before === after) return ""
  const patch = structuredPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, { context: 3 })
  return formatPatch({ ...patch, isGit: true })
}

/**
 * Added and deleted line counts of a parsed patch.
 *
 * @since 0.2.0
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

/**
 * Changed (added plus deleted) lines of a diff, parsed with {@link parseSync}.
 *
 * @since 0.2.0
 */
export const changedLines = (diff: string | ParsedPatch): number => {
  const { added, deleted } = countChanges(typeof diff === "string" ? parseSync(diff) : diff)
  return added + deleted
}

/**
 * The paths a file patch touches (old and new, deduplicated, nulls dropped).
 *
 * @since 0.2.0
 */
export const pathsOf = (file: FilePatch): ReadonlyArray<string> => {
  const out: Array<string> = []
  if (file.oldPath !== null) out.push(file.oldPath)
  if (file.newPath !== null && file.newPath !== file.oldPath) out.push(file.newPath)
  return out
}

/**
 * The same change with every path under `prefix` (e.g. `packages/app/`): old and new paths,
 * renames and copies. Headers are synthesised again from the new paths.
 *
 * @since 0.2.0
 */
export const reroot = (patch: ParsedPatch, prefix: string): ParsedPatch => {
  if (prefix === "") return patch
  const under = prefix.endsWith("/") ? prefix : `${prefix}/`
  return {
    ...patch,
    files: patch.files.map((file) => {
      const { headerLines: _headers, ...rest } = file
      return {
        ...rest,
        oldPath: file.oldPath === null ? null : `${under}${file.oldPath}`,
        newPath: file.newPath === null ? null : `${under}${file.newPath}`
      }
    })
  }
}

const hunkLines = (hunk: Hunk): Array<string> => {
  const out: Array<string> = []
  for (const line of hunk.lines) {
    out.push((line.type === "add" ? "+" : line.type === "del" ? "-" : " ") + line.text)
    if (line.noNewlineAtEnd) out.push(NO_NEWLINE)
  }
  return out
}

const toHunk = (hunk: Hunk): StructuredPatchHunk => ({
  oldStart: hunk.oldStart,
  oldLines: hunk.oldLines,
  newStart: hunk.newStart,
  newLines: hunk.newLines,
  lines: hunkLines(hunk)
})

/**
 * Why a file patch cannot be applied as text (binary, a symlink, a mode-only change to a missing
 * file), or `null`.
 *
 * @since 0.2.0
 */
export const unsupported = (file: FilePatch): string | null => {
  const name = file.newPath ?? file.oldPath ?? "?"
  if (file.binary) return `${name} is a binary change, which Ratchet does not apply`
  if (file.symlink) return `${name} is a symbolic link change, which Ratchet does not apply`
  return null
}

/**
 * Applies one file patch's hunks to the file's text (exact context, hunks may move as a whole);
 * `null` when a hunk does not fit. An added file applies to `""`.
 *
 * @since 0.2.0
 */
export const applyToText = (source: string, file: FilePatch): string | null => {
  if (file.hunks.length === 0) return source
  if (file.oldPath === null && source === "") {
    // an added file is its added lines
    const lines = file.hunks.flatMap((h) => h.lines)
    if (lines.some((l) => l.type !== "add")) return null
    return lines.map((l) => (l.noNewlineAtEnd ? l.text : `${l.text}\n`)).join("")
  }
  const result = applyHunks(source, {
    oldFileName: file.oldPath ?? undefined,
    newFileName: file.newPath ?? undefined,
    oldHeader: undefined,
    newHeader: undefined,
    hunks: file.hunks.map(toHunk)
  })
  return result === false ? null : result
}

const inside = (root: string, file: string): string => {
  if (isAbsolute(file) || file.includes("\0")) throw new Error(`path ${JSON.stringify(file)} is absolute or contains NUL`)
  const target = resolve(root, file)
  const rel = relative(root, target)
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) throw new Error(`path ${JSON.stringify(file)} escapes the workspace`)
  return target
}

const applySync = (root: string, patch: ParsedPatch): Array<string> => {
  if (patch.files.length === 0) throw new Error("the diff contains no file patches")
  // 1. Compute every file's new content in memory (later sections see earlier ones' results) …
  const contents = new Map<string, string | null>()
  const modes = new Map<string, number>()
  const current = (path: string, name: string): string => {
    const known = contents.get(path)
    if (known !== undefined) {
      if (known === null) throw new Error(`${name} was deleted earlier in the same diff`)
      return known
    }
    if (!existsSync(path) || !lstatSync(path).isFile()) throw new Error(`${name} does not exist in the workspace (or is not a regular file)`)
    return readFileSync(path, "utf8")
  }
  const touched: Array<string> = []
  for (const file of patch.files) {
    const problem = unsupported(file)
    if (problem !== null) throw new Error(problem)
    const name = file.newPath ?? file.oldPath
    if (name === null) throw new Error("a file patch names no file")
    const source = file.oldPath === null ? null : inside(root, file.oldPath)
    const target = file.newPath === null ? null : inside(root, file.newPath)
    const planned = target === null ? undefined : contents.get(target)
    if (source === null && target !== null && (planned !== undefined ? planned !== null : existsSync(target))) {
      throw new Error(`${file.newPath} already exists in the workspace, but the diff adds it`)
    }
    const before = source === null ? "" : current(source, file.oldPath ?? name)
    const after = applyToText(before, file)
    if (after === null) throw new Error(`the hunks for ${name} do not apply (the file changed since the patch was made)`)
    if (source !== null && (target === null || (source !== target && file.status === "renamed"))) contents.set(source, null)
    if (target !== null) {
      contents.set(target, after)
      // the executable bit, as git records it (100755 / 100644)
      if (file.newMode !== null && (file.status === "added" || file.oldMode !== file.newMode)) {
        if (file.newMode === "100755") modes.set(target, 0o755)
        else if (file.newMode === "100644") modes.set(target, 0o644)
      }
    }
    touched.push(name)
  }
  // 2. … then write: a diff that does not apply as a whole changes nothing.
  for (const [path, content] of contents) {
    if (content === null) {
      rmSync(path, { force: true })
    } else {
      mkdirSync(dirname(path), { recursive: true })
      writeFileSync(path, content)
    }
  }
  for (const [path, mode] of modes) chmodSync(path, mode)
  return touched
}

/**
 * Applies a diff (text or parsed) to the files under `root`, in process: paths must stay inside
 * `root`, binary and symlink changes are refused, and nothing is written unless every path checks
 * out. Added, deleted, renamed and copied files and executable-bit changes are applied. Returns the touched paths; fails with `IoFailure` naming the file whose hunks did not apply.
 *
 * @since 0.2.0
 */
export const apply = (root: string, diff: string | ParsedPatch): Effect.Effect<ReadonlyArray<string>, RatchetError> =>
  Effect.flatMap(typeof diff === "string" ? parse(diff) : Effect.succeed(diff), (patch) =>
    Effect.try({
      try: () => applySync(root, patch),
      catch: (cause) => ioFailure(root, cause instanceof Error ? cause.message : String(cause), cause)
    }))
