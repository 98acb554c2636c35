// Seeded variants (ESM, arrow functions and callbacks): markup and template helpers with regular expressions.
const WORDS = /\w+/g
const SCRIPT_EXTENSIONS = /^(?:js|mjs|cjs|jsx)$/

export const isVoidElement = (tag) => /^(area|base|br|col|hr|img|input|link|meta)$/.test(tag) // expect: alternation-set, regexp-hoist

export const escapeAttr = (value) => String(value).replace(/"/g, "&quot;") // expect: replace-all, regexp-hoist

export const hasTodo = (lines) => lines.some((l) => Boolean(l.match(/TODO|FIXME/))) // expect: match-test, regexp-hoist

export const isComment = (text) => !!text.match(/^\s*<!--/) // expect: match-test, regexp-hoist

export function slugify(title) {
  return title.trim().toLowerCase().replace(/ /g, "-") // expect: replace-all, regexp-hoist
}

export function normalizeNewlines(text) {
  return text.replace(/\r\n/g, "\n") // expect: replace-all, regexp-hoist
}

export function startsWithWord(text, word) {
  return text.match(new RegExp(`^${word}\\b`)) !== null // expect: match-test
}

export const scripts = (files) => files.filter((f) => SCRIPT_EXTENSIONS.test(f.split(".").pop())) // expect: alternation-set

export function plainAttributes(el) {
  return Object.keys(el.attributes).filter((name) => !/^(?:class|style|id)$/.test(name)) // expect: alternation-set, regexp-hoist
}

export const leadingNumber = (s) => RegExp("^\\d+").exec(s)?.[0] ?? "" // expect: regexp-hoist

export function firstCapital(word) {
  return word.search(new RegExp("[A-Z]")) // expect: regexp-hoist
}

export function numericIds(ids) {
  const numeric = /^\d+$/ // expect: regexp-hoist
  return ids.filter((id) => numeric.test(id))
}

export function hasWords(chunks) {
  let n = 0
  for (const chunk of chunks) {
    // `WORDS` has `g`: `WORDS.test` would resume from the `lastIndex` the previous chunk left
    if (chunk.match(WORDS)) n++ // unsafe: match-test
  }
  return n
}

// `i` flag: "YES" matches the regex but is not in a Set of the lower-case words
export const DEBUG = /^(?:1|true|yes|on)$/i.test(process.env.DEBUG ?? "") // unsafe: alternation-set

// `\s` is a class, not the text "\s": a string pattern would look for a backslash and an "s"
export const CWD = process.cwd().replace(/\s/g, "\\ ") // unsafe: replace-all
