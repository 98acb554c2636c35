/**
 * Turning a model's answer into a candidate diff.
 *
 * A patch is accepted in two forms only: a `propose_patch` tool call (`{ title, explanation, diff }`)
 * or a fenced ```diff block in the text. Anything else is a rejected attempt with the reason.
 *
 * Models write unified diffs with wrong line numbers and hunk counts, so the diff is not applied as
 * is: each hunk's old lines (context and removals) are looked up in the current file — exactly, then
 * ignoring trailing whitespace, then ignoring indentation — nearest to the line the header names,
 * and replaced by its new lines. The result is rendered again as a clean git-style diff, so what is
 * validated, stored and reviewed is exactly the change to the files. Paths must be relative and stay
 * inside the repository; a hunk whose lines are not in the file rejects the patch with the hunk named.
 */
import { structuredPatch } from "diff"
import type { GenerateResult, ToolDefinition } from "../../LanguageModel.js"

/** The tool a patch model calls. */
export const PROPOSE_PATCH = "propose_patch"

/** The `propose_patch` tool definition (strict-mode compatible schema). */
export const proposePatchTool: ToolDefinition = {
  name: PROPOSE_PATCH,
  description:
    "Propose one patch: a unified diff against the files as shown (paths relative to the repository root, --- a/PATH and +++ b/PATH headers, at least 3 unchanged context lines per hunk), with a short title and an explanation of why it is faster and why behaviour is unchanged.",
  inputSchema: {
    type: "object",
    properties: {
      title: { type: "string", description: "Imperative, at most 72 characters, e.g. 'Use a Set for membership in dedupe'" },
      explanation: { type: "string", description: "Why it is faster, and why every input behaves exactly as before" },
      diff: { type: "string", description: "The unified diff" }
    },
    required: ["title", "explanation", "diff"],
    additionalProperties: false
  }
}

/** A patch found in an answer. */
export type Extracted =
  | { readonly ok: true; readonly via: "tool" | "fenced"; readonly title: string; readonly explanation: string; readonly diff: string; readonly toolCallId: string | null }
  | { readonly ok: false; readonly reason: string; readonly toolCallId: string | null }

const FENCE = /```(?:diff|patch|udiff)[^\n]*\n([\s\S]*?)```/g

const firstSentence = (text: string): string => {
  const heading = /^#+\s*(.+)$/m.exec(text)?.[1]
  const line = (heading ?? text.split("\n").find((l) => l.trim() !== "") ?? "").replace(/[*_`]/g, "").trim()
  const sentence = line.split(/(?<=[.!?])\s/)[0] ?? line
  return sentence.length > 72 ? `${sentence.slice(0, 71)}…` : sentence
}

/** Finds the patch in a model answer, or says why there is none. */
export const extractPatch = (result: GenerateResult): Extracted => {
  const calls = result.toolCalls ?? []
  const call = calls.find((c) => c.name === PROPOSE_PATCH)
  if (call !== undefined) {
    const input = call.input
    if (typeof input !== "object" || input === null) {
      return { ok: false, toolCallId: call.id, reason: `the ${PROPOSE_PATCH} arguments are not valid JSON: ${call.arguments.slice(0, 200)}` }
    }
    const diff: unknown = Reflect.get(input, "diff")
    const title: unknown = Reflect.get(input, "title")
    const explanation: unknown = Reflect.get(input, "explanation")
    if (typeof diff !== "string" || diff.trim() === "") return { ok: false, toolCallId: call.id, reason: `the ${PROPOSE_PATCH} call has no diff` }
    return {
      ok: true,
      via: "tool",
      toolCallId: call.id,
      diff,
      title: typeof title === "string" && title.trim() !== "" ? firstSentence(title) : "LLM patch",
      explanation: typeof explanation === "string" ? explanation.trim() : ""
    }
  }
  const other = calls[0]
  const blocks = [...result.text.matchAll(FENCE)].map((m) => m[1] ?? "")
  if (blocks.length > 0) {
    const explanation = result.text.replace(FENCE, "").trim()
    return { ok: true, via: "fenced", toolCallId: null, diff: blocks.join("\n"), title: explanation === "" ? "LLM patch" : firstSentence(explanation), explanation }
  }
  if (other !== undefined) return { ok: false, toolCallId: other.id, reason: `the answer called an unknown tool "${other.name}" instead of ${PROPOSE_PATCH}` }
  if (result.finishReason === "length") return { ok: false, toolCallId: null, reason: "the answer was cut off at the output token limit before it held a patch" }
  if (result.finishReason === "content-filter") return { ok: false, toolCallId: null, reason: "the provider filtered the answer" }
  return { ok: false, toolCallId: null, reason: `the answer has neither a ${PROPOSE_PATCH} call nor a \`\`\`diff block` }
}

interface Hunk {
  readonly header: string
  readonly oldStart: number | null
  readonly lines: ReadonlyArray<{ readonly op: " " | "-" | "+"; readonly text: string }>
}

interface FileSection {
  readonly oldPath: string | null
  readonly newPath: string | null
  readonly hunks: ReadonlyArray<Hunk>
}

const cleanPath = (raw: string): string | null => {
  const name = raw.trim().replace(/\t.*$/, "").replace(/^"(.*)"$/, "$1")
  if (name === "/dev/null") return null
  return name.replace(/^[ab]\//, "")
}

/** Parses a unified diff leniently: hunk counts and line numbers are not trusted. */
export const parseLenient = (diff: string): Array<FileSection> | string => {
  const lines = diff.replace(/\r\n/g, "\n").split("\n")
  const files: Array<{ oldPath: string | null; newPath: string | null; hunks: Array<Hunk> }> = []
  let current: (typeof files)[number] | null = null
  let hunk: { header: string; oldStart: number | null; lines: Array<Hunk["lines"][number]> } | null = null
  const closeHunk = () => {
    if (hunk && current) current.hunks.push(hunk)
    hunk = null
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.startsWith("--- ") && (lines[i + 1] ?? "").startsWith("+++ ")) {
      closeHunk()
      current = { oldPath: cleanPath(line.slice(4)), newPath: cleanPath(lines[i + 1]!.slice(4)), hunks: [] }
      files.push(current)
      i++
      continue
    }
    if (line.startsWith("diff --git ") || line.startsWith("index ") || /^(new|deleted) file mode/.test(line) || line.startsWith("similarity index")) {
      closeHunk()
      continue
    }
    if (line.startsWith("@@")) {
      closeHunk()
      if (current === null) return "a hunk comes before any --- / +++ file header"
      const start = /^@@ -(\d+)/.exec(line)
      hunk = { header: line, oldStart: start ? Number(start[1]) : null, lines: [] }
      continue
    }
    if (hunk === null) continue
    if (line.startsWith("\\")) continue
    const op = line.charAt(0)
    if (op === " " || op === "-" || op === "+") hunk.lines.push({ op, text: line.slice(1) })
    else if (line === "") hunk.lines.push({ op: " ", text: "" })
    else closeHunk()
  }
  closeHunk()
  // A trailing empty line at the end of the text is the diff's own newline, not an empty context line.
  for (const file of files) {
    for (const h of file.hunks) {
      const last = h.lines.at(-1)
      if (last && last.op === " " && last.text === "" && h.lines.length > 1) (h.lines as Array<Hunk["lines"][number]>).pop()
    }
  }
  if (files.length === 0) return "no --- a/PATH / +++ b/PATH file headers were found"
  return files
}

const safePath = (path: string): string | null => {
  if (path === "" || path.includes("\0") || path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path)) return `path "${path}" is absolute or empty`
  if (path.split(/[\\/]/).includes("..")) return `path "${path}" leaves the repository`
  return null
}

const norm = [(s: string) => s, (s: string) => s.trimEnd(), (s: string) => s.trim()] as const

/** Where `needle` occurs in `haystack` (line arrays) from `from`, comparing with `eq`; all starts. */
const findAll = (haystack: ReadonlyArray<string>, needle: ReadonlyArray<string>, eq: (s: string) => string): Array<number> => {
  const out: Array<number> = []
  if (needle.length === 0) return out
  const first = eq(needle[0]!)
  for (let i = 0; i + needle.length <= haystack.length; i++) {
    if (eq(haystack[i]!) !== first) continue
    let ok = true
    for (let j = 1; j < needle.length; j++) {
      if (eq(haystack[i + j]!) !== eq(needle[j]!)) {
        ok = false
        break
      }
    }
    if (ok) out.push(i)
  }
  return out
}

/** A file the patch changes: its text before (`null`: created) and after (`null`: deleted). */
export interface FileChange {
  readonly path: string
  readonly before: string | null
  readonly after: string | null
}

/**
 * Applies a lenient diff to files read through `read` (`null`: no such file inside the repository).
 * Returns the changed files or the reason the patch does not apply.
 */
export const applyLenient = (diff: string, read: (path: string) => string | null): { readonly ok: true; readonly files: Array<FileChange> } | { readonly ok: false; readonly reason: string } => {
  const parsed = parseLenient(diff)
  if (typeof parsed === "string") return { ok: false, reason: `the diff does not parse: ${parsed}` }
  const changes = new Map<string, FileChange>()
  for (const section of parsed) {
    const path = section.newPath ?? section.oldPath
    if (path === null) return { ok: false, reason: "a file section names no file" }
    for (const p of [section.oldPath, section.newPath]) {
      const problem = p === null ? null : safePath(p)
      if (problem) return { ok: false, reason: problem }
    }
    if (section.oldPath !== null && section.newPath !== null && section.oldPath !== section.newPath) {
      return { ok: false, reason: `renames are not supported (${section.oldPath} → ${section.newPath}); change files in place` }
    }
    const previous = changes.get(path)
    const original = previous ? previous.after : section.oldPath === null ? null : read(section.oldPath)
    if (section.oldPath !== null && original === null) return { ok: false, reason: `${section.oldPath} does not exist in the repository` }
    if (section.oldPath === null) {
      if (read(path) !== null) return { ok: false, reason: `${path} already exists; patch it instead of creating it` }
      const text = section.hunks.flatMap((h) => h.lines.filter((l) => l.op !== "-").map((l) => l.text)).join("\n")
      changes.set(path, { path, before: previous?.before ?? null, after: text === "" ? "" : `${text}\n` })
      continue
    }
    if (section.newPath === null) {
      changes.set(path, { path, before: previous?.before ?? original, after: null })
      continue
    }
    const source = original ?? ""
    const endsWithNewline = source.endsWith("\n")
    const lines = (endsWithNewline ? source.slice(0, -1) : source).split("\n")
    let cursor = 0
    for (const [index, h] of section.hunks.entries()) {
      const old = h.lines.filter((l) => l.op !== "+").map((l) => l.text)
      if (old.length === 0) {
        // Pure insertion: at the named line, else at the end.
        const at = h.oldStart !== null ? Math.min(lines.length, Math.max(0, h.oldStart)) : lines.length
        lines.splice(at, 0, ...h.lines.map((l) => l.text))
        cursor = at + h.lines.length
        continue
      }
      let matchAt: number | null = null
      let used = 0
      for (const [level, eq] of norm.entries()) {
        const starts = findAll(lines, old, eq)
        if (starts.length === 0) continue
        const hint = h.oldStart !== null ? h.oldStart - 1 : cursor
        const after = starts.filter((s) => s >= cursor)
        const pool = after.length > 0 ? after : starts
        matchAt = pool.reduce((best, s) => (Math.abs(s - hint) < Math.abs(best - hint) ? s : best), pool[0]!)
        used = level
        break
      }
      if (matchAt === null) {
        const sample = old.slice(0, 3).map((l) => `  ${l}`).join("\n")
        return {
          ok: false,
          reason: `hunk ${index + 1} of ${path} (${h.header}) does not match the file: its context and removed lines were not found, starting with\n${sample}`
        }
      }
      // Keep the file's own text for context lines matched loosely; take added lines as written.
      const replacement: Array<string> = []
      let k = matchAt
      for (const l of h.lines) {
        if (l.op === " ") replacement.push(used === 0 ? l.text : lines[k]!)
        if (l.op !== "+") k++
        if (l.op === "+") replacement.push(l.text)
      }
      lines.splice(matchAt, old.length, ...replacement)
      cursor = matchAt + replacement.length
    }
    const after = lines.join("\n") + (endsWithNewline ? "\n" : "")
    changes.set(path, { path, before: previous?.before ?? original, after })
  }
  const files = [...changes.values()].filter((c) => c.before !== c.after)
  if (files.length === 0) return { ok: false, reason: "the patch changes nothing" }
  return { ok: true, files }
}

const hunksOf = (before: string, after: string): string => {
  const patch = structuredPatch("a", "b", before, after, undefined, undefined, { context: 3 })
  return patch.hunks
    .map((h) => `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@\n${h.lines.join("\n")}\n`)
    .join("")
}

/** All lines of a text as one hunk of additions (`+`) or removals (`-`). */
const wholeFile = (text: string, sign: "+" | "-"): string => {
  if (text === "") return ""
  const noEol = !text.endsWith("\n")
  const lines = (noEol ? text : text.slice(0, -1)).split("\n")
  const range = `${lines.length === 1 ? "1" : `1,${lines.length}`}`
  const header = sign === "+" ? `@@ -0,0 +${range} @@` : `@@ -${range} +0,0 @@`
  return `${header}\n${lines.map((l) => `${sign}${l}`).join("\n")}\n${noEol ? "\\ No newline at end of file\n" : ""}`
}

/** A git-style diff of the changes (`new file mode` / `deleted file mode` for created and deleted files). */
export const renderDiff = (changes: ReadonlyArray<FileChange>): string =>
  changes
    .map((c) => {
      if (c.before === null) return `diff --git a/${c.path} b/${c.path}\nnew file mode 100644\n--- /dev/null\n+++ b/${c.path}\n${wholeFile(c.after ?? "", "+")}`
      if (c.after === null) return `diff --git a/${c.path} b/${c.path}\ndeleted file mode 100644\n--- a/${c.path}\n+++ /dev/null\n${wholeFile(c.before, "-")}`
      return `diff --git a/${c.path} b/${c.path}\n--- a/${c.path}\n+++ b/${c.path}\n${hunksOf(c.before, c.after)}`
    })
    .join("")
