/**
 * Renders a parsed patch back to unified-diff text.
 *
 * @internal
 */
import type * as Patch from "../../Patch.js"
import { parseHunkHeader } from "./parse.js"
import { quote } from "./paths.js"

const NO_NEWLINE = "\\ No newline at end of file"

const range = (start: number, count: number): string => (count === 1 ? `${start}` : `${start},${count}`)

/** A `---`/`+++` name; like git, a trailing tab marks the end of a name that contains spaces. */
const gitName = (prefix: string, path: string | null): string =>
  path === null ? "/dev/null" : `${quote(prefix + path)}${!quote(path).startsWith('"') && path.includes(" ") ? "\t" : ""}`

/** Synthesises git section headers from the structured fields. */
export const synthesiseHeader = (file: Patch.FilePatch): Array<string> => {
  const oldName = file.oldPath ?? file.newPath ?? ""
  const newName = file.newPath ?? file.oldPath ?? ""
  const out: Array<string> = []
  if (file.git === false) {
    out.push(`--- ${gitName("a/", file.oldPath)}`, `+++ ${gitName("b/", file.newPath)}`)
    return out
  }
  out.push(`diff --git ${quote(`a/${oldName}`)} ${quote(`b/${newName}`)}`)
  if (file.status === "added") out.push(`new file mode ${file.newMode ?? "100644"}`)
  else if (file.status === "deleted") out.push(`deleted file mode ${file.oldMode ?? "100644"}`)
  else if (file.oldMode !== null && file.newMode !== null && file.oldMode !== file.newMode)
    out.push(`old mode ${file.oldMode}`, `new mode ${file.newMode}`)
  if (file.status === "renamed" || file.status === "copied") {
    const verb = file.status === "renamed" ? "rename" : "copy"
    if (file.similarity !== null) out.push(`similarity index ${file.similarity}%`)
    out.push(`${verb} from ${quote(oldName)}`, `${verb} to ${quote(newName)}`)
  } else if (file.dissimilarity != null) {
    out.push(`dissimilarity index ${file.dissimilarity}%`)
  }
  if (file.index != null) out.push(`index ${file.index}`)
  if (file.hunks.length > 0) {
    out.push(`--- ${gitName("a/", file.oldPath)}`, `+++ ${gitName("b/", file.newPath)}`)
  }
  return out
}

const hunkHeader = (hunk: Patch.Hunk): string => {
  const parsed = parseHunkHeader(hunk.header)
  if (
    parsed !== null &&
    parsed.oldStart === hunk.oldStart &&
    parsed.oldLines === hunk.oldLines &&
    parsed.newStart === hunk.newStart &&
    parsed.newLines === hunk.newLines
  ) {
    return hunk.header
  }
  const context = parsed?.context ?? (hunk.header.startsWith("@@") ? "" : hunk.header)
  return `@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@${context}`
}

/** Renders a parsed patch. */
export const format = (patch: Patch.ParsedPatch): string => {
  const out: Array<string> = []
  for (const file of patch.files) {
    if (file.leading) out.push(...file.leading)
    out.push(...(file.headerLines ?? synthesiseHeader(file)))
    if (file.binaryLines) out.push(...file.binaryLines)
    for (const hunk of file.hunks) {
      out.push(hunkHeader(hunk))
      for (const line of hunk.lines) {
        out.push(line.bare === true && line.text === "" ? "" : (line.type === "add" ? "+" : line.type === "del" ? "-" : " ") + line.text)
        if (line.noNewlineAtEnd) out.push(line.noNewlineMarker ?? NO_NEWLINE)
      }
    }
  }
  if (patch.trailing) out.push(...patch.trailing)
  if (out.length === 0) return ""
  const eol = patch.eol ?? "\n"
  return out.join(eol) + (patch.finalNewline === false ? "" : eol)
}
