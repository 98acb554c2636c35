/**
 * Text heuristics: fast line/regex rules for patterns AST templates do not cover, run through
 * the same plugin interface (rule ids `text:*`). Comments, string contents and regex literals are
 * blanked first, so a pattern inside a string or a comment never matches.
 */
import type { OpportunityInput, Plugin, ScanFile } from "../../Plugin.js"
import { offsetsOf } from "./offsets.js"
import { lineFinder } from "../dataflow/text.js"

const REGEX_PRECEDERS = new Set(["(", ",", "=", ":", "[", "!", "&", "|", "?", "{", "}", ";", "+", "-", "*", "%", "<", ">", "~", "^"])
const REGEX_KEYWORDS = /(?:^|[^\w$.])(?:return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await|instanceof)$/

const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029 || (c > 127 && /\s/.test(String.fromCharCode(c)))
const isWord = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36
/** Characters the masker acts on; everything else only updates the last significant character. */
const PLAIN_RUN = /[^/"'`{}]+/y

/**
 * Returns `text` with the contents of comments, strings, template literal text and regex literals
 * replaced by spaces (delimiters and newlines kept, so offsets and lines are unchanged).
 * Template `${…}` expressions stay as code.
 */
export const maskCode = (text: string): string => {
  const n = text.length
  // Ranges to blank, in order and disjoint: [from, to) pairs.
  const blanks: Array<number> = []
  // Stack of brace depths at which a template literal `${` was opened.
  const templateStack: Array<number> = []
  let braces = 0
  let lastSignificant = ""
  let lastWordEnd = -1
  const blank = (from: number, to: number): void => {
    if (to > n) to = n
    if (from < to) blanks.push(from, to)
  }
  // Scans template literal text from i (just after ` or }), returns the index after the closing ` or after `${`.
  const templateText = (start: number): number => {
    let j = start
    while (j < n) {
      const c = text.charCodeAt(j)
      if (c === 92 /* \\ */) {
        j += 2
        continue
      }
      if (c === 96 /* ` */) {
        blank(start, j)
        return j + 1
      }
      if (c === 36 /* $ */ && text.charCodeAt(j + 1) === 123 /* { */) {
        blank(start, j)
        templateStack.push(braces)
        braces++
        return j + 2
      }
      j++
    }
    blank(start, n)
    return n
  }
  const significant = (i: number): void => {
    const c = text.charCodeAt(i)
    if (isWord(c)) {
      lastSignificant = "w"
      lastWordEnd = i + 1
    } else {
      lastSignificant = text[i]!
      lastWordEnd = -1
    }
  }
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 47 /* / */ && text.charCodeAt(i + 1) === 47) {
      const end = text.indexOf("\n", i)
      const stop = end === -1 ? n : end
      blank(i, stop)
      i = stop
      continue
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42 /* * */) {
      const end = text.indexOf("*/", i + 2)
      const stop = end === -1 ? n : end + 2
      blank(i, stop)
      i = stop
      continue
    }
    if (c === 34 /* " */ || c === 39 /* ' */) {
      let j = i + 1
      while (j < n) {
        const d = text.charCodeAt(j)
        if (d === c || d === 10) break
        j += d === 92 ? 2 : 1
      }
      blank(i + 1, j)
      i = j + 1
      lastSignificant = c === 34 ? '"' : "'"
      continue
    }
    if (c === 96) {
      i = templateText(i + 1)
      lastSignificant = "`"
      continue
    }
    if (c === 47) {
      const before = text.slice(Math.max(0, i - 12), i).trimEnd()
      const isRegex =
        lastSignificant === "" || REGEX_PRECEDERS.has(lastSignificant) || (lastWordEnd !== -1 && REGEX_KEYWORDS.test(before))
      if (isRegex) {
        let j = i + 1
        let inClass = false
        while (j < n) {
          const d = text.charCodeAt(j)
          if (d === 10) break
          if (d === 92) {
            j += 2
            continue
          }
          if (d === 91 /* [ */) inClass = true
          else if (d === 93 /* ] */) inClass = false
          else if (d === 47 && !inClass) break
          j++
        }
        blank(i + 1, j)
        i = j + 1
        while (i < n && /[a-z]/i.test(text[i]!)) i++
        lastSignificant = "/"
        continue
      }
      significant(i)
      i++
      continue
    }
    if (c === 123 /* { */) {
      braces++
      significant(i)
      i++
      continue
    }
    if (c === 125 /* } */) {
      if (templateStack.length > 0 && templateStack[templateStack.length - 1] === braces - 1) {
        templateStack.pop()
        braces--
        i = templateText(i + 1)
        lastSignificant = "`"
        continue
      }
      braces--
      significant(i)
      i++
      continue
    }
    // A run of characters the masker does not act on: only its last non-space character matters.
    PLAIN_RUN.lastIndex = i
    PLAIN_RUN.test(text)
    const end = PLAIN_RUN.lastIndex
    let last = end - 1
    while (last >= i && isSpace(text.charCodeAt(last))) last--
    if (last >= i) significant(last)
    i = end
  }
  if (blanks.length === 0) return text
  const parts: Array<string> = []
  let kept = 0
  for (let k = 0; k < blanks.length; k += 2) {
    const from = blanks[k]!
    const to = blanks[k + 1]!
    parts.push(text.slice(kept, from), text.slice(from, to).replace(/[^\n\r]/g, " "))
    kept = to
  }
  parts.push(text.slice(kept))
  return parts.join("")
}

// The last text masked: the loop gate of some templates (`templates/gates.ts`) masks the same file first.
let maskedText: string | undefined
let masked = ""

/** {@link maskCode} of `text`, remembered for the last text asked about. */
export const maskedCodeOf = (text: string): string => {
  if (text !== maskedText) {
    masked = maskCode(text)
    maskedText = text
  }
  return masked
}

/** Most constructs of one kind a rule examines per file (bounds the work on hostile input). */
const MAX_PER_FILE = 2000

/** Index of the bracket matching the one at `open` in masked code within `limit` characters, or -1. */
const matching = (code: string, open: number, limit = Number.POSITIVE_INFINITY): number => {
  const o = code[open]!
  const c = o === "(" ? ")" : o === "{" ? "}" : "]"
  const end = Math.min(code.length, open + limit)
  let depth = 0
  for (let i = open; i < end; i++) {
    const ch = code[i]
    if (ch === o) depth++
    else if (ch === c && --depth === 0) return i
  }
  return -1
}


/** Removes nested function bodies from a code range (their awaits and returns belong to them). Linear time. */
const outsideNestedFunctions = (code: string, from: number, to: number): string => {
  const body = code.slice(from, to)
  const parts: Array<string> = []
  let kept = 0
  const fn = /=>\s*\{|\bfunction\b[^{;]{0,300}\{|\b(?:async\s+)?[\w$]+\s*\([^()]{0,300}\)\s*\{/g
  for (let m = fn.exec(body); m !== null; m = fn.exec(body)) {
    if (/^(?:if|for|while|switch|catch|with)\b/.test(m[0])) continue
    const open = m.index + m[0].length - 1
    const close = matching(body, open)
    if (close === -1) break
    parts.push(body.slice(kept, open + 1), " ".repeat(close - open - 1))
    kept = close
    fn.lastIndex = close
  }
  parts.push(body.slice(kept))
  // Expression-bodied arrows: blank up to the end of the expression statement.
  return parts.join("").replace(/=>\s*(?!\{)[^;,\n)]*/g, (s) => " ".repeat(s.length))
}

/** `text:await-in-loop`: a `for` loop whose body awaits, so iterations run one after another. */
const awaitInLoop = (_file: ScanFile, code: string): Array<OpportunityInput> => {
  const found: Array<OpportunityInput> = []
  const lineAt = lineFinder(code)
  // Offsets of every `await`, to find the first one after a position by binary search.
  const awaits: Array<number> = []
  for (const m of code.matchAll(/\bawait\b/g)) awaits.push(m.index as number)
  const nextAwait = (from: number): number => {
    let lo = 0
    let hi = awaits.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (awaits[mid]! < from) lo = mid + 1
      else hi = mid
    }
    return lo < awaits.length ? awaits[lo]! : -1
  }
  const loop = /\bfor\s*\(/g
  let examined = 0
  for (let m = loop.exec(code); m !== null && examined < MAX_PER_FILE; m = loop.exec(code)) {
    examined++
    const headerOpen = m.index + m[0].length - 1
    const headerClose = matching(code, headerOpen, 2000)
    if (headerClose === -1) continue
    let bodyStart = headerClose + 1
    while (bodyStart < code.length && /\s/.test(code[bodyStart]!)) bodyStart++
    if (code[bodyStart] !== "{") continue
    const firstAwait = nextAwait(bodyStart)
    if (firstAwait === -1) continue
    const bodyEnd = matching(code, bodyStart, 200_000)
    if (bodyEnd === -1 || firstAwait > bodyEnd) continue
    const own = outsideNestedFunctions(code, bodyStart + 1, bodyEnd)
    const at = own.search(/\bawait\b/)
    if (at === -1) continue
    // An early exit makes later iterations depend on earlier results: sequential on purpose.
    if (/\b(?:break|return|throw|yield)\b/.test(own)) continue
    // A nested for loop that awaits gets its own report.
    if (/\bfor\s*\(/.test(own.slice(0, at))) continue
    found.push({
      rule: "text:await-in-loop",
      kind: "performance",
      startLine: lineAt(m.index),
      endLine: lineAt(bodyEnd),
      startByte: m.index,
      endByte: bodyEnd + 1,
      rationale:
        "`await` inside a `for` loop runs the iterations one after another; if they do not depend on each other, start them together and await `Promise.all` (or a bounded pool)",
      risk: "medium",
      confidence: 0.4
    })
  }
  return found
}

const SYNC_FS =
  /\b(?:fs\.)?(readFileSync|writeFileSync|appendFileSync|existsSync|readdirSync|statSync|lstatSync|mkdirSync|rmSync|unlinkSync|copyFileSync|renameSync|accessSync|readlinkSync|realpathSync|opendirSync)\s*\(/g

/** A synchronous fs call by name (the gate for `syncFsInHandler`). */
const SYNC_FS_NAME = new RegExp(SYNC_FS.source)
/** Words every handler header in `HANDLER_HEADERS` contains one of. */
const HANDLER_HINT = /\b(?:req|request|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|loader|action|app|router|server|api|route|fastify|hono)\b/

/** Headers (text before a `{`) that open a request handler. */
const HANDLER_HEADERS: ReadonlyArray<RegExp> = [
  // (req, res) => { … }, function (req, res, next) { … }
  /\(\s*(?:req|request)\b[^()]*,\s*(?:res|response|reply|h)\b[^()]*\)\s*(?::[^{=]*)?(?:=>)?\s*$/,
  // Next.js / SvelteKit / Remix route handlers
  /\bexport\s+(?:async\s+)?function\s+(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|loader|action)\s*\([^()]*\)\s*(?::[^{]*)?$/,
  // app.get("/x", async (c) => { … }), router.post('/x', (ctx) => { … })
  /\b(?:app|router|server|api|route|fastify|hono)\s*\.\s*(?:get|post|put|patch|delete|all|use|route)\s*\(\s*["'`][^"'`]*["'`]\s*,[^{]*(?:=>|\))\s*$/
]

/** `text:sync-fs-in-handler`: a synchronous `fs` call inside a request handler blocks every request. */
const syncFsInHandler = (_file: ScanFile, code: string): Array<OpportunityInput> => {
  if (!/Sync\s*\(/.test(code)) return []
  const found: Array<OpportunityInput> = []
  // Open-brace stack at every position, computed in one pass up to each call.
  const stack: Array<number> = []
  // Whether the `{` at an offset opens a handler, decided once per brace (deep nesting repeats the stack).
  const opensHandler = new Map<number, boolean>()
  const lineAt = lineFinder(code)
  let scanned = 0
  let examined = 0
  SYNC_FS.lastIndex = 0
  for (let m = SYNC_FS.exec(code); m !== null && examined < MAX_PER_FILE; m = SYNC_FS.exec(code)) {
    examined++
    // Must be a call of an fs function, not a method on another object.
    const before = code.slice(Math.max(0, m.index - 1), m.index)
    if (before === "." && !m[0].startsWith("fs.")) continue
    for (; scanned < m.index; scanned++) {
      const ch = code[scanned]
      if (ch === "{") stack.push(scanned)
      else if (ch === "}") stack.pop()
    }
    const handler = stack.some((open) => {
      let known = opensHandler.get(open)
      if (known === undefined) {
        const header = code.slice(Math.max(0, open - 300), open)
        known = HANDLER_HEADERS.some((re) => re.test(header))
        opensHandler.set(open, known)
      }
      return known
    })
    if (!handler) continue
    const line = lineAt(m.index)
    found.push({
      rule: "text:sync-fs-in-handler",
      kind: "performance",
      startLine: line,
      endLine: line,
      startByte: m.index,
      endByte: m.index + m[0].length - 1,
      rationale: `\`${m[1]}\` inside a request handler blocks the event loop for every request; use the \`fs/promises\` version with \`await\`, or do the work once at startup`,
      risk: "low",
      confidence: 0.7
    })
  }
  return found
}

/** `text:spread-in-reduce`: `reduce` that copies its accumulator each step (`[...acc, x]`, `{ ...acc }`) is quadratic. */
const spreadInReduce = (_file: ScanFile, code: string): Array<OpportunityInput> => {
  if (!code.includes("reduce")) return []
  const found: Array<OpportunityInput> = []
  const lineAt = lineFinder(code)
  const re = /\.reduce(?:Right)?\s*\(\s*(?:async\s*)?\(?\s*([A-Za-z_$][\w$]*)\s*(?::[^,)]{0,200})?[,)][^=]{0,200}=>\s*(?:\(\s*)?(?:\{\s*return\s+)?(\[\s*\.\.\.\s*([A-Za-z_$][\w$]*)\b|\{\s*\.\.\.\s*([A-Za-z_$][\w$]*)\b)/g
  let examined = 0
  for (let m = re.exec(code); m !== null && examined < MAX_PER_FILE; m = re.exec(code)) {
    examined++
    const acc = m[1]
    if (acc !== (m[3] ?? m[4])) continue
    found.push({
      rule: "text:spread-in-reduce",
      kind: "performance",
      startLine: lineAt(m.index),
      endLine: lineAt(m.index + m[0].length - 1),
      startByte: m.index + 1,
      endByte: m.index + m[0].length,
      rationale: `\`reduce\` copies its accumulator \`${acc}\` with a spread on every step, which is O(n²); push/assign into one accumulator instead`,
      risk: "low",
      confidence: 0.8
    })
  }
  return found
}

/**
 * The `ratchet:text-heuristics` plugin.
 *
 * @since 0.1.0
 */
export const textHeuristics = (): Plugin => ({
  name: "ratchet:text-heuristics",
  scan: (file) => {
    const text = file.text
    // Gates on the raw text: masking only removes matches, so a file failing a gate has no finding.
    const firstFor = text.includes("await") ? /\bfor\s*\(/.exec(text) : null
    const mayAwait = firstFor !== null && text.lastIndexOf("await") > firstFor.index
    const maySync = text.includes("Sync") && SYNC_FS_NAME.test(text) && HANDLER_HINT.test(text)
    const mayReduce = text.includes("...") && /\.reduce(?:Right)?\s*\(/.test(text)
    if (!mayAwait && !maySync && !mayReduce) return []
    const code = maskedCodeOf(text)
    const found = [
      ...(mayAwait ? awaitInLoop(file, code) : []),
      ...(maySync ? syncFsInHandler(file, code) : []),
      ...(mayReduce ? spreadInReduce(file, code) : [])
    ]
    if (found.length === 0) return found
    // The rules work on string indices; opportunities carry UTF-8 byte offsets.
    const offsets = offsetsOf(text)
    return found.map((o) => ({ ...o, startByte: offsets.toByte(o.startByte!), endByte: offsets.toByte(o.endByte!) }))
  }
})

