/**
 * The unified-diff parser. Pure and linear in the size of the input.
 *
 * It is deliberately strict wherever a lenient reading could let an applier (`git apply`,
 * GNU patch) see a change that the policy engine did not: hunk bodies must match their
 * declared line counts, `diff --git` names must agree with `---`/`+++` and rename headers,
 * and diff formats it does not understand (context diffs, combined diffs) are rejected.
 *
 * @internal
 */
import type * as Patch from "../../Patch.js"
import { readQuoted, unquoteWhole } from "./paths.js"

type DiffLine = Patch.DiffLine
type FilePatch = Patch.FilePatch
type FileStatus = Patch.FileStatus
type Hunk = Patch.Hunk
type ParsedPatch = Patch.ParsedPatch

/** A parse failure: 1-based line, the offending line, what is wrong. */
export class ParseFailure {
  readonly line: number
  readonly text: string
  readonly detail: string
  constructor(line: number, text: string, detail: string) {
    this.line = line
    this.text = text
    this.detail = detail
  }
}

const HUNK_RE = /^@@ -(\d{1,9})(?:,(\d{1,9}))? \+(\d{1,9})(?:,(\d{1,9}))? @@([\s\S]*)$/
const MODE_RE = /^[0-7]{6}$/
const INDEX_RE = /^([0-9a-fA-F]{4,64})\.\.([0-9a-fA-F]{4,64})(?: ([0-7]{6}))?$/
const BINARY_DATA_RE = /^[A-Za-z][0-9A-Za-z!#$%&()*+\-;<=>?@^_`{|}~]*$/
const ONE_LETTER_PREFIX = /^[a-z0-9]\//

/** Parses an `@@` header line into its numbers, or `null`. */
export const parseHunkHeader = (
  line: string
): { oldStart: number; oldLines: number; newStart: number; newLines: number; context: string } | null => {
  const m = HUNK_RE.exec(line)
  if (m === null) return null
  return {
    oldStart: Number(m[1]),
    oldLines: m[2] === undefined ? 1 : Number(m[2]),
    newStart: Number(m[3]),
    newLines: m[4] === undefined ? 1 : Number(m[4]),
    context: m[5]
  }
}

/** Splits a `diff --git` line's names. Returns both raw names (prefix kept) or `null` when ambiguous. */
const splitGitNames = (rest: string): { a: string; b: string } | null => {
  if (rest.startsWith('"')) {
    const q = readQuoted(rest, 0)
    if (q === null || rest[q.end] !== " ") return null
    const b = unquoteWhole(rest.slice(q.end + 1))
    return b === null ? null : { a: q.value, b }
  }
  const quotedB = rest.indexOf(' "')
  if (quotedB !== -1 && rest.endsWith('"')) {
    const b = unquoteWhole(rest.slice(quotedB + 1))
    if (b !== null) return { a: rest.slice(0, quotedB), b }
  }
  // Unquoted: `a/P b/P` with the same P (the only unambiguous case when P has spaces).
  if ((rest.length - 1) % 2 === 0) {
    const half = (rest.length - 1) / 2
    const a = rest.slice(0, half)
    const b = rest.slice(half + 1)
    if (rest[half] === " " && sameAfterPrefix(a, b)) return { a, b }
  }
  const spaces = rest.split(" ").length - 1
  if (spaces === 1) {
    const [a, b] = rest.split(" ")
    return { a, b }
  }
  return null
}

const sameAfterPrefix = (a: string, b: string): boolean =>
  a === b || (ONE_LETTER_PREFIX.test(a) && ONE_LETTER_PREFIX.test(b) && a.slice(2) === b.slice(2))

/** Removes `a/`-style prefixes when both sides carry one. */
const stripPrefixes = (a: string | null, b: string | null): { a: string | null; b: string | null } => {
  const pa = a === null || ONE_LETTER_PREFIX.test(a)
  const pb = b === null || ONE_LETTER_PREFIX.test(b)
  if (pa && pb && (a !== null || b !== null)) return { a: a === null ? null : a.slice(2), b: b === null ? null : b.slice(2) }
  return { a, b }
}

/** The name on a `---`/`+++` line: quoted, or up to a tab (timestamps in plain diffs). `null` for /dev/null. */
const labelName = (label: string): string | null | undefined => {
  let name: string | null
  if (label.startsWith('"')) {
    const q = readQuoted(label, 0)
    if (q === null) return undefined
    const tail = label.slice(q.end)
    if (tail !== "" && !tail.startsWith("\t")) return undefined
    name = q.value
  } else {
    const tab = label.indexOf("\t")
    name = tab === -1 ? label : label.slice(0, tab)
    if (tab === -1) name = name.replace(/ +$/, "")
  }
  if (name === "/dev/null") return null
  if (name === "") return undefined
  return name
}

interface MutableFile {
  oldPath: string | null
  newPath: string | null
  status: FileStatus
  oldMode: string | null
  newMode: string | null
  binary: boolean
  similarity: number | null
  dissimilarity: number | null
  index: string | null
  git: boolean
  hunks: Array<Hunk>
  line: number
  headerLines: Array<string>
  binaryLines: Array<string> | null
  leading: Array<string>
}

/** Parses diff text. Throws `ParseFailure`. */
export const parse = (input: string): ParsedPatch => {
  let lines = input.split("\n")
  const finalNewline = input.length === 0 || input.endsWith("\n")
  if (finalNewline) lines.pop()
  // A CRLF diff: every terminated line ends with "\r" (an unterminated last line is kept as is).
  const terminated = finalNewline ? lines.length : lines.length - 1
  let crlf = false
  if (terminated > 0 && lines.slice(0, terminated).every((l) => l.endsWith("\r"))) {
    crlf = true
    lines = lines.map((l, index) => (index < terminated ? l.slice(0, -1) : l))
  }
  const n = lines.length
  const files: Array<FilePatch> = []
  let pending: Array<string> = []
  /** Set after a section with hunks: the next line must not look like hunk content. */
  let afterHunk: Hunk | null = null
  let i = 0

  // a problem found past the last line (the diff ends too early) is reported at the last line
  const fail: (index: number, detail: string) => never = (index, detail) => {
    if (index >= n && n > 0) throw new ParseFailure(n, lines[n - 1], `${detail} (the diff ends here)`)
    throw new ParseFailure(index + 1, index < n ? lines[index] : "", detail)
  }
  const headerText = (index: number): string => (lines[index] ?? "").replace(/\r$/, "")

  const parseHunks = (file: MutableFile): void => {
    while (i < n && headerText(i).startsWith("@@")) {
      const headerIndex = i
      const raw = lines[i]
      if (raw.startsWith("@@@")) fail(i, "combined (merge) diffs are not supported")
      const h = parseHunkHeader(raw)
      if (h === null) fail(i, "malformed hunk header; expected `@@ -start[,count] +start[,count] @@`")
      const { oldStart, oldLines, newStart, newLines } = h!
      if (oldLines === 0 && newLines === 0) fail(i, "hunk declares no lines")
      let oldLeft = oldLines
      let newLeft = newLines
      const body: Array<DiffLine> = []
      i++
      while (oldLeft > 0 || newLeft > 0) {
        if (i >= n) {
          fail(
            headerIndex,
            `hunk ends early at end of input: ${oldLeft} old and ${newLeft} new line(s) missing of the ${oldLines}/${newLines} its header declares`
          )
        }
        const l = lines[i]
        const c = l.length === 0 ? " " : l[0]
        if (c === " ") {
          if (oldLeft === 0 || newLeft === 0) fail(i, "hunk has more context lines than its header declares")
          oldLeft--
          newLeft--
          // An empty line is a context line whose leading space was stripped (as `git apply` accepts).
          body.push(l.length === 0 ? { type: "context", text: "", bare: true } : { type: "context", text: l.slice(1) })
        } else if (c === "+") {
          if (newLeft === 0) fail(i, "hunk has more added lines than its header declares")
          newLeft--
          body.push({ type: "add", text: l.slice(1) })
        } else if (c === "-") {
          if (oldLeft === 0) fail(i, "hunk has more deleted lines than its header declares")
          oldLeft--
          body.push({ type: "del", text: l.slice(1) })
        } else if (c === "\\") {
          markNoNewline(body, i)
        } else {
          fail(i, "unexpected line inside a hunk; every hunk line starts with ' ', '+', '-' or '\\'")
        }
        i++
      }
      if (i < n && lines[i].startsWith("\\")) {
        markNoNewline(body, i)
        i++
      }
      const hunk: Hunk = { oldStart, oldLines, newStart, newLines, header: raw, lines: body, line: headerIndex + 1 }
      file.hunks.push(hunk)
      afterHunk = hunk
    }
  }

  const markNoNewline = (body: Array<DiffLine>, index: number): void => {
    const last = body[body.length - 1]
    if (last === undefined) fail(index, "`\\ No newline at end of file` before any line of its hunk")
    if (last.noNewlineAtEnd) fail(index, "repeated `\\ No newline at end of file` marker")
    const text = lines[index]
    body[body.length - 1] =
      text === "\\ No newline at end of file"
        ? { ...last, noNewlineAtEnd: true }
        : { ...last, noNewlineAtEnd: true, noNewlineMarker: text }
  }

  const finish = (file: MutableFile): void => {
    const out: FilePatch = {
      oldPath: file.oldPath,
      newPath: file.newPath,
      status: file.status,
      oldMode: file.oldMode,
      newMode: file.newMode,
      binary: file.binary,
      symlink: file.oldMode === "120000" || file.newMode === "120000",
      similarity: file.similarity,
      dissimilarity: file.dissimilarity,
      index: file.index,
      git: file.git,
      hunks: file.hunks,
      line: file.line,
      headerLines: file.headerLines,
      ...(file.binaryLines === null ? {} : { binaryLines: file.binaryLines }),
      ...(file.leading.length === 0 ? {} : { leading: file.leading })
    }
    files.push(out)
  }

  const newFile = (git: boolean): MutableFile => {
    const file: MutableFile = {
      oldPath: null,
      newPath: null,
      status: "modified",
      oldMode: null,
      newMode: null,
      binary: false,
      similarity: null,
      dissimilarity: null,
      index: null,
      git,
      hunks: [],
      line: i + 1,
      headerLines: [],
      binaryLines: null,
      leading: pending
    }
    pending = []
    afterHunk = null
    return file
  }

  const percent = (index: number, value: string): number => {
    const m = /^(\d{1,3})%$/.exec(value)
    if (m === null || Number(m[1]) > 100) fail(index, "malformed percentage; expected `N%` with 0 ≤ N ≤ 100")
    return Number(m![1])
  }

  const parseGitSection = (): void => {
    const file = newFile(true)
    const first = headerText(i)
    const names = splitGitNames(first.slice("diff --git ".length))
    file.headerLines.push(lines[i])
    const startIndex = i
    i++
    let renameFrom: string | null = null
    let renameTo: string | null = null
    let newFileMode = false
    let deletedFileMode = false
    let rename: "rename" | "copy" | null = null
    let minus: string | null | undefined
    let plus: string | null | undefined
    let labels = false
    header: while (i < n) {
      const l = headerText(i)
      if (l.startsWith("old mode ")) {
        file.oldMode = mode(i, l.slice(9))
      } else if (l.startsWith("new mode ")) {
        file.newMode = mode(i, l.slice(9))
      } else if (l.startsWith("deleted file mode ")) {
        file.oldMode = mode(i, l.slice(18))
        deletedFileMode = true
      } else if (l.startsWith("new file mode ")) {
        file.newMode = mode(i, l.slice(14))
        newFileMode = true
      } else if (l.startsWith("similarity index ")) {
        file.similarity = percent(i, l.slice(17))
      } else if (l.startsWith("dissimilarity index ")) {
        file.dissimilarity = percent(i, l.slice(20))
      } else if (l.startsWith("rename from ") || l.startsWith("rename old ")) {
        renameFrom = pathValue(i, l.slice(12))
        rename = rename ?? "rename"
      } else if (l.startsWith("rename to ") || l.startsWith("rename new ")) {
        renameTo = pathValue(i, l.slice(l.startsWith("rename to ") ? 10 : 11))
        rename = rename ?? "rename"
      } else if (l.startsWith("copy from ")) {
        renameFrom = pathValue(i, l.slice(10))
        rename = "copy"
      } else if (l.startsWith("copy to ")) {
        renameTo = pathValue(i, l.slice(8))
        rename = "copy"
      } else if (l.startsWith("index ")) {
        const m = INDEX_RE.exec(l.slice(6))
        if (m === null) fail(i, "malformed `index` line; expected `index <hash>..<hash> [mode]`")
        file.index = l.slice(6)
        if (m![3] !== undefined) {
          file.oldMode = file.oldMode ?? m![3]
          file.newMode = file.newMode ?? m![3]
        }
      } else if (l.startsWith("--- ")) {
        if (i + 1 >= n || !headerText(i + 1).startsWith("+++ ")) fail(i, "`---` line not followed by a `+++` line")
        minus = labelName(l.slice(4))
        if (minus === undefined) fail(i, "malformed file name on `---` line")
        plus = labelName(headerText(i + 1).slice(4))
        if (plus === undefined) fail(i + 1, "malformed file name on `+++` line")
        labels = true
        file.headerLines.push(lines[i], lines[i + 1])
        i += 2
        break header
      } else if (l === "GIT binary patch") {
        file.binary = true
        file.binaryLines = readBinaryPatch()
        break header
      } else if (l.startsWith("Binary files ") && l.endsWith(" differ")) {
        file.binary = true
        file.binaryLines = [lines[i]]
        i++
        break header
      } else if (l.startsWith("@@")) {
        fail(i, "hunk without `---`/`+++` file lines in a `diff --git` section")
      } else if (/^(rename|copy|old|new|deleted|similarity|dissimilarity) /.test(l)) {
        fail(i, "unrecognised extended header line in a `diff --git` section")
      } else {
        break header
      }
      file.headerLines.push(lines[i])
      i++
    }
    if (newFileMode && deletedFileMode) fail(startIndex, "a file cannot be both new and deleted")
    if (rename !== null && (renameFrom === null || renameTo === null))
      fail(startIndex, `\`${rename} from\` and \`${rename} to\` must come together`)

    // Names, cross-checked like `git apply` does.
    const fromGit = names === null ? null : stripPrefixes(names.a, names.b)
    let oldPath: string | null = fromGit?.a ?? null
    let newPath: string | null = fromGit?.b ?? null
    if (rename !== null) {
      if (fromGit !== null && (fromGit.a !== renameFrom || fromGit.b !== renameTo))
        fail(startIndex, `\`diff --git\` names disagree with the \`${rename} from\`/\`${rename} to\` lines`)
      oldPath = renameFrom
      newPath = renameTo
    }
    if (labels) {
      const stripped = stripPrefixes(minus ?? null, plus ?? null)
      if (minus === null && plus === null) fail(startIndex, "both `---` and `+++` are /dev/null")
      if (stripped.a !== null) {
        if (oldPath !== null && names !== null && stripped.a !== oldPath)
          fail(startIndex, "`---` name disagrees with the `diff --git` line")
        oldPath = stripped.a
      }
      if (stripped.b !== null) {
        if (newPath !== null && names !== null && stripped.b !== newPath)
          fail(startIndex, "`+++` name disagrees with the `diff --git` line")
        newPath = stripped.b
      }
      if (minus === null) newFileMode = true
      if (plus === null) deletedFileMode = true
    }
    if (oldPath === null && newPath === null)
      fail(startIndex, "cannot tell the file names apart on the `diff --git` line; quote names that contain spaces")
    if (newFileMode) {
      file.status = "added"
      file.newPath = newPath ?? oldPath
      file.oldPath = null
      file.oldMode = null
    } else if (deletedFileMode) {
      file.status = "deleted"
      file.oldPath = oldPath ?? newPath
      file.newPath = null
      file.newMode = null
    } else {
      file.status = rename === "copy" ? "copied" : rename === "rename" ? "renamed" : "modified"
      file.oldPath = oldPath ?? newPath
      file.newPath = newPath ?? oldPath
      if (file.status === "modified" && file.oldPath !== file.newPath)
        fail(startIndex, "old and new names differ without `rename from`/`rename to` lines")
      if (file.oldMode === null && file.newMode !== null) fail(startIndex, "`new mode` without `old mode`")
      if (file.newMode === null && file.oldMode !== null) fail(startIndex, "`old mode` without `new mode`")
    }
    if (!file.binary && labels) parseHunks(file)
    finish(file)
  }

  const mode = (index: number, value: string): string => {
    if (!MODE_RE.test(value)) fail(index, "malformed file mode; expected six octal digits")
    return value
  }

  const pathValue = (index: number, value: string): string => {
    const v = unquoteWhole(value)
    if (v === null || v === "") fail(index, "malformed file name")
    return v!
  }

  const readBinaryPatch = (): Array<string> => {
    const out: Array<string> = [lines[i]]
    const startIndex = i
    i++
    let blocks = 0
    while (i < n && /^(literal|delta) \d+$/.test(headerText(i)) && blocks < 2) {
      out.push(lines[i])
      i++
      let data = 0
      while (i < n && lines[i] !== "") {
        if (!BINARY_DATA_RE.test(headerText(i))) fail(i, "malformed line in a `GIT binary patch` block")
        out.push(lines[i])
        i++
        data++
      }
      if (i >= n) fail(startIndex, "`GIT binary patch` block is not terminated by an empty line")
      if (data === 0 && !/ 0$/.test(out[out.length - 1])) fail(i, "`GIT binary patch` block without data")
      out.push(lines[i])
      i++
      blocks++
    }
    if (blocks === 0) fail(startIndex + 1, "`GIT binary patch` without a `literal` or `delta` block")
    return out
  }

  const parsePlainSection = (): void => {
    const file = newFile(false)
    const startIndex = i
    const minus = labelName(headerText(i).slice(4))
    if (minus === undefined) fail(i, "malformed file name on `---` line")
    const plus = labelName(headerText(i + 1).slice(4))
    if (plus === undefined) fail(i + 1, "malformed file name on `+++` line")
    if (minus === null && plus === null) fail(startIndex, "both `---` and `+++` are /dev/null")
    file.headerLines.push(lines[i], lines[i + 1])
    i += 2
    const { a, b } = stripPrefixes(minus ?? null, plus ?? null)
    if (a === null) {
      file.status = "added"
      file.newPath = b
    } else if (b === null) {
      file.status = "deleted"
      file.oldPath = a
    } else {
      file.oldPath = a
      file.newPath = b
      // `patch` applies to whichever name exists; treat a differing pair as touching both.
      file.status = a === b ? "modified" : "renamed"
    }
    if (i >= n || !headerText(i).startsWith("@@")) fail(startIndex, "`---`/`+++` lines not followed by a hunk")
    parseHunks(file)
    finish(file)
  }

  while (i < n) {
    const l = headerText(i)
    if (l.startsWith("diff --git ")) {
      parseGitSection()
      continue
    }
    if (l.startsWith("--- ") && i + 1 < n && headerText(i + 1).startsWith("+++ ")) {
      parsePlainSection()
      continue
    }
    if (l.startsWith("@@ ") || l.startsWith("+++ ") || l.startsWith("@@@")) {
      fail(i, afterHunk === null ? "hunk or `+++` line outside any file section" : "hunk outside any file section")
    }
    if (l.startsWith("*** ") && i + 1 < n && headerText(i + 1).startsWith("--- ")) {
      fail(i, "context diffs are not supported; produce a unified diff (`git diff` or `diff -u`)")
    }
    if (l === "***************") fail(i, "context diffs are not supported; produce a unified diff (`git diff` or `diff -u`)")
    if (l.startsWith("GIT binary patch") || /^Binary files .* differ$/.test(l)) fail(i, "binary patch outside any file section")
    if (afterHunk !== null && l !== "-- " && /^[+\- \\]/.test(l)) {
      const h: Hunk = afterHunk
      fail(i, `line after the end of the hunk at line ${h.line} (which declares ${h.oldLines} old and ${h.newLines} new lines); fix the hunk's line counts`)
    }
    afterHunk = null
    pending.push(lines[i])
    i++
  }
  if (files.length === 0 && pending.some((l) => l.trim() !== "")) {
    const first = pending.findIndex((l) => l.trim() !== "")
    fail(first, "no file section found; expected a `diff --git` line or `---`/`+++` lines")
  }
  return {
    files,
    ...(crlf ? { eol: "\r\n" as const } : {}),
    ...(pending.length > 0 ? { trailing: pending } : {}),
    ...(finalNewline ? {} : { finalNewline: false })
  }
}
