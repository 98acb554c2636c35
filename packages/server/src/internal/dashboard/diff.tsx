/** @jsxImportSource hono/jsx */
/**
 * The diff viewer: a unified diff (jsdiff's `parsePatch`) rendered on the server as a
 * side-by-side table and as a unified one, both syntax-highlighted per side (Shiki), with the
 * words that changed inside a modified line marked. The page shows the side-by-side table on wide
 * screens and the unified one on narrow screens (or whichever the reader picks).
 *
 * @internal
 */
import { diffWordsWithSpace, parsePatch } from "diff"
import type { Child } from "hono/jsx"
import { languageOf, type Token, tokenize } from "./highlight.js"

type Kind = "ctx" | "del" | "add"

/** One side of one row. */
interface Cell {
  readonly no: number
  readonly kind: Kind
  readonly tokens: ReadonlyArray<Token>
  /** Character ranges [start, end) that changed inside the line. */
  readonly marks: ReadonlyArray<readonly [number, number]>
}

/** A row of the side-by-side view (either side may be empty), or a hunk header. */
type Row =
  | { readonly type: "hunk"; readonly header: string }
  | { readonly type: "line"; readonly left: Cell | null; readonly right: Cell | null }

/** A file of the diff, ready to render. */
export interface DiffFile {
  readonly oldName: string | null
  readonly newName: string | null
  readonly added: number
  readonly removed: number
  readonly rows: ReadonlyArray<Row>
  /** Lines in the unified order (for the unified view and its line numbers). */
  readonly unified: ReadonlyArray<{ readonly type: "hunk"; readonly header: string } | { readonly type: "line"; readonly oldNo: number | null; readonly newNo: number | null; readonly cell: Cell }>
}

const stripPrefix = (name: string | undefined): string | null => {
  if (name === undefined || name === "/dev/null") return null
  return name.replace(/^[ab]\//, "")
}

/** Changed ranges of two versions of a line, when they are similar enough for marks to help. */
const wordMarks = (before: string, after: string): { readonly left: Array<[number, number]>; readonly right: Array<[number, number]> } => {
  const left: Array<[number, number]> = []
  const right: Array<[number, number]> = []
  let l = 0
  let r = 0
  let same = 0
  for (const part of diffWordsWithSpace(before, after)) {
    const n = part.value.length
    if (part.removed) {
      left.push([l, l + n])
      l += n
    } else if (part.added) {
      right.push([r, r + n])
      r += n
    } else {
      same += n
      l += n
      r += n
    }
  }
  // marks on lines that share little are noise: the whole line changed
  const longest = Math.max(before.length, after.length)
  return longest > 0 && same / longest >= 0.4 ? { left, right } : { left: [], right: [] }
}

/** Parses a unified diff into files of side-by-side rows with highlighted tokens. */
export const parseDiff = (text: string): ReadonlyArray<DiffFile> => {
  const files: Array<DiffFile> = []
  for (const patch of parsePatch(text)) {
    if (patch.hunks.length === 0 && patch.oldFileName === undefined && patch.newFileName === undefined) continue
    const oldName = stripPrefix(patch.oldFileName)
    const newName = stripPrefix(patch.newFileName)
    const language = languageOf(newName ?? oldName ?? "")
    const rows: Array<Row> = []
    const unified: Array<DiffFile["unified"][number]> = []
    let added = 0
    let removed = 0
    for (const hunk of patch.hunks) {
      const header = `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`
      rows.push({ type: "hunk", header })
      unified.push({ type: "hunk", header })
      const lines = hunk.lines.filter((line) => !line.startsWith("\\"))
      // each side of the hunk is highlighted as one piece of code, so the grammar keeps its state
      const oldLines = lines.filter((line) => line[0] !== "+").map((line) => line.slice(1))
      const newLines = lines.filter((line) => line[0] !== "-").map((line) => line.slice(1))
      const oldTokens = tokenize(oldLines.join("\n"), language)
      const newTokens = tokenize(newLines.join("\n"), language)
      let oi = 0
      let ni = 0
      let oldNo = hunk.oldStart
      let newNo = hunk.newStart
      let i = 0
      while (i < lines.length) {
        const line = lines[i]
        if (line[0] !== "-" && line[0] !== "+") {
          const left: Cell = { no: oldNo, kind: "ctx", tokens: oldTokens[oi] ?? [], marks: [] }
          const right: Cell = { no: newNo, kind: "ctx", tokens: newTokens[ni] ?? [], marks: [] }
          rows.push({ type: "line", left, right })
          unified.push({ type: "line", oldNo, newNo, cell: right })
          oi++
          ni++
          oldNo++
          newNo++
          i++
          continue
        }
        // a block of removed lines, then the added lines that replace them, paired row by row
        const dels: Array<string> = []
        const adds: Array<string> = []
        while (i < lines.length && lines[i][0] === "-") dels.push(lines[i++].slice(1))
        while (i < lines.length && lines[i][0] === "+") adds.push(lines[i++].slice(1))
        removed += dels.length
        added += adds.length
        const pairs = Math.max(dels.length, adds.length)
        const delCells: Array<Cell> = []
        const addCells: Array<Cell> = []
        for (let k = 0; k < pairs; k++) {
          const marks = k < dels.length && k < adds.length ? wordMarks(dels[k], adds[k]) : { left: [], right: [] }
          const left: Cell | null = k < dels.length ? { no: oldNo + k, kind: "del", tokens: oldTokens[oi + k] ?? [], marks: marks.left } : null
          const right: Cell | null = k < adds.length ? { no: newNo + k, kind: "add", tokens: newTokens[ni + k] ?? [], marks: marks.right } : null
          rows.push({ type: "line", left, right })
          if (left !== null) delCells.push(left)
          if (right !== null) addCells.push(right)
        }
        for (const cell of delCells) unified.push({ type: "line", oldNo: cell.no, newNo: null, cell })
        for (const cell of addCells) unified.push({ type: "line", oldNo: null, newNo: cell.no, cell })
        oi += dels.length
        ni += adds.length
        oldNo += dels.length
        newNo += adds.length
      }
    }
    files.push({ oldName, newName, added, removed, rows, unified })
  }
  return files
}

/** The tokens of a line with the changed ranges wrapped in `<mark>`-like spans. */
const Code = ({ cell }: { readonly cell: Cell }) => {
  const marked = (pos: number) => cell.marks.some(([s, e]) => s <= pos && pos < e)
  const parts: Array<Child> = []
  let at = 0
  for (const token of cell.tokens) {
    let start = 0
    while (start < token.text.length) {
      const inside = marked(at + start)
      let end = start + 1
      while (end < token.text.length && marked(at + end) === inside) end++
      const text = token.text.slice(start, end)
      const className = [token.className, inside ? "wc" : ""].filter(Boolean).join(" ")
      parts.push(className === "" ? text : <span class={className}>{text}</span>)
      start = end
    }
    at += token.text.length
  }
  return <>{parts}</>
}

const sign = { ctx: " ", del: "−", add: "+" } as const
const label = { ctx: "unchanged", del: "removed", add: "added" } as const

const Side = ({ cell }: { readonly cell: Cell | null }) =>
  cell === null
    ? <><td class="no empty" /><td class="code empty" /></>
    : <>
      <td class={`no ${cell.kind}`}>{cell.no}</td>
      <td class={`code ${cell.kind}`}><span class="vh">{label[cell.kind]}: </span><span class="sign" aria-hidden="true">{sign[cell.kind]}</span><Code cell={cell} /></td>
    </>

const fileName = (f: DiffFile): string =>
  f.oldName === null ? `${f.newName} (new file)` : f.newName === null ? `${f.oldName} (deleted)` : f.oldName !== f.newName ? `${f.oldName} → ${f.newName}` : f.newName

/** The side-by-side and unified views of a diff; the stylesheet shows one of them by width. */
export const DiffView = ({ diff, view }: { readonly diff: string; readonly view: "auto" | "split" | "unified" }) => {
  let files: ReadonlyArray<DiffFile>
  try {
    files = parseDiff(diff)
  } catch (e) {
    // a malformed diff is still shown, as text, with why it could not be laid out
    return (
      <>
        <p class="muted small">This diff could not be parsed ({e instanceof Error ? e.message : String(e)}); it is shown as text.</p>
        <pre class="log" tabindex={0}>{diff}</pre>
      </>
    )
  }
  if (files.length === 0) return <p class="muted">The diff is empty.</p>
  return (
    <div class={`diff view-${view}`}>
      {files.map((f) => (
        <section class="diff-file" aria-label={`Changes in ${fileName(f)}`}>
          <header class="diff-file-head">
            <code>{fileName(f)}</code>
            <span class="stat"><span class="plus">+{f.added}</span> <span class="minus">−{f.removed}</span></span>
          </header>
          <section class="diff-scroll split" tabindex={0} aria-label={`Side-by-side diff of ${fileName(f)}`}>
            <table class="hl">
              <colgroup><col class="c-no" /><col class="c-code" /><col class="c-no" /><col class="c-code" /></colgroup>
              <thead class="vh"><tr><th>Old line</th><th>Before</th><th>New line</th><th>After</th></tr></thead>
              <tbody>
                {f.rows.map((row) =>
                  row.type === "hunk"
                    ? <tr class="hunk"><td colspan={4}>{row.header}</td></tr>
                    : <tr><Side cell={row.left} /><Side cell={row.right} /></tr>
                )}
              </tbody>
            </table>
          </section>
          <section class="diff-scroll unified" tabindex={0} aria-label={`Unified diff of ${fileName(f)}`}>
            <table class="hl">
              <colgroup><col class="c-no" /><col class="c-no" /><col class="c-code" /></colgroup>
              <thead class="vh"><tr><th>Old line</th><th>New line</th><th>Code</th></tr></thead>
              <tbody>
                {f.unified.map((row) =>
                  row.type === "hunk"
                    ? <tr class="hunk"><td colspan={3}>{row.header}</td></tr>
                    : <tr>
                      <td class={`no ${row.cell.kind}`}>{row.oldNo ?? ""}</td>
                      <td class={`no ${row.cell.kind}`}>{row.newNo ?? ""}</td>
                      <td class={`code ${row.cell.kind}`}><span class="vh">{label[row.cell.kind]}: </span><span class="sign" aria-hidden="true">{sign[row.cell.kind]}</span><Code cell={row.cell} /></td>
                    </tr>
                )}
              </tbody>
            </table>
          </section>
        </section>
      ))}
    </div>
  )
}
