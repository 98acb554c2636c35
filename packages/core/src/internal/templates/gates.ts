/**
 * Text gates: necessary conditions a template's `find` implies, checked on the raw text before a
 * parse. Each must be conservative — a file that fails a gate has no finding — so they only look for
 * what the safety conditions require to be written out (a declaration, an annotation, a receiver).
 */

const isSpaceCode = (c: number): boolean => c === 32 || (c >= 9 && c <= 13)
/** Identifier characters; any non-ASCII character counts (over-inclusion only widens a gate). */
const isIdentCode = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c > 127

/**
 * The plain identifiers `x` that some `x.method(` / `x?.method(` in the text is called on (whitespace
 * allowed around the dot and before the parenthesis). Receivers that are member chains (`a.b.m(`),
 * calls or literals are left out: the templates that use this only rewrite calls on a bare name.
 */
export const receiversOf = (text: string, methods: ReadonlyArray<string>): Set<string> => {
  const out = new Set<string>()
  for (const method of methods) for (const name of receiversOfMethod(text, method)) out.add(name)
  return out
}

// The last text's receivers per method: templates gate on the same methods of the same file in turn.
let receiversText = ""
const receiversMemo = new Map<string, ReadonlyArray<string>>()

const receiversOfMethod = (text: string, method: string): ReadonlyArray<string> => {
  if (text !== receiversText) {
    receiversText = text
    receiversMemo.clear()
  }
  const known = receiversMemo.get(method)
  if (known !== undefined) return known
  const out = new Set<string>()
  for (let i = text.indexOf(method); i !== -1; i = text.indexOf(method, i + 1)) {
    let j = i + method.length
    while (isSpaceCode(text.charCodeAt(j))) j++
    if (text.charCodeAt(j) !== 40 /* ( */) continue
    let k = i - 1
    while (k >= 0 && isSpaceCode(text.charCodeAt(k))) k--
    if (text.charCodeAt(k) !== 46 /* . */) continue
    k--
    if (text.charCodeAt(k) === 63 /* ? */) k--
    while (k >= 0 && isSpaceCode(text.charCodeAt(k))) k--
    const end = k + 1
    while (k >= 0 && isIdentCode(text.charCodeAt(k))) k--
    if (end === k + 1) continue
    const first = text.charCodeAt(k + 1)
    if (first >= 48 && first <= 57) continue
    // `a.b.method(` / `a?.b.method(`: the receiver is a member expression, not a name
    let p = k
    while (p >= 0 && isSpaceCode(text.charCodeAt(p))) p--
    if (text.charCodeAt(p) === 46 && text.charCodeAt(p - 1) !== 46 /* not a spread */) continue
    out.add(text.slice(k + 1, end))
  }
  const list = [...out]
  receiversMemo.set(method, list)
  return list
}

const IDENT_SOURCE = "[\\p{ID_Start}$_][\\p{ID_Continue}$\\u200c\\u200d]*"

/**
 * After a declared name: an initializer that starts like an array (literal, factory call, an alias name,
 * or a call of an array-returning method at the end of a member chain: `items.map(`, `s.split(`).
 */
const ARRAY_INITIALIZER = new RegExp(
  `\\s*(?::[^;]*?)?=(?![=>])\\s*[(\\s]*(?:\\[|Array\\s*\\.|Object\\s*\\.|${IDENT_SOURCE}[)\\s]*(?:[;,}]|$|as\\b|satisfies\\b)|${IDENT_SOURCE}(?:\\s*\\??\\.\\s*${IDENT_SOURCE}|\\s*\\([^;]*?\\))*?\\s*\\.\\s*(?:map|filter|flatMap|slice|concat|flat|toSorted|toReversed|split)\\s*\\()`,
  "muy"
)
/** Before a name: the end of a JSDoc type that names an array (`{string[]} `, `{Array<T>} [`). */
const JSDOC_ARRAY_BEFORE = /(?:\[\s*\]|Array\s*\.?\s*<[^{}]*>)\s*\}\s*\[?\s*$/
/** Before a declaration keyword: a JSDoc `@type` naming an array, then the end of the comment. */
const JSDOC_TYPE_BEFORE = /@type\s*\{[^{}]*(?:\[\s*\]|Array\s*\.?\s*<)[^{}]*\}[\s\S]*?\*\/\s*(?:export\s+)?(?:const|let|var)\s+$/
/** After a name: an array type annotation (`: T[]`, `: Array<T>`, `: ReadonlyArray<T>`, optional `?`). */
const ARRAY_ANNOTATION = /\s*\??\s*:[^;=:]*?(?:\[\s*\]|Array\s*<)/y

/** Whether `name` at `i` follows `const`/`let`/`var` (and whitespace) or a `,` of a declarator list. */
const isDeclaredAt = (text: string, i: number): boolean => {
  let k = i - 1
  while (k >= 0 && isSpaceCode(text.charCodeAt(k))) k--
  if (k < 0) return false
  if (text.charCodeAt(k) === 44 /* , */) return true
  if (k === i - 1) return false
  for (const keyword of ["const", "let", "var"]) {
    const start = k - keyword.length + 1
    if (start >= 0 && text.startsWith(keyword, start) && (start === 0 || !isIdentCode(text.charCodeAt(start - 1)))) return true
  }
  return false
}

/**
 * Whether some declaration may bind `name` to an array the way `isProvableArray` decides it: an
 * initializer that starts like an array literal, `Array.from/of`, `Object.keys/values/entries` or a bare
 * name (an alias, checked in turn by `isProvableArray`), or an array type annotation. Walks the name's
 * occurrences with patterns compiled once (a pattern per name cost more to compile than to run).
 */
export const mayBeProvableArray = (text: string, name: string): boolean => {
  if (text !== provableText) {
    provableText = text
    provableMemo.clear()
  }
  let known = provableMemo.get(name)
  if (known === undefined) {
    known = mayBeProvableArrayIn(text, name)
    provableMemo.set(name, known)
  }
  return known
}

// The last text's answers per name: several templates gate on the same receivers of the same file.
let provableText = ""
const provableMemo = new Map<string, boolean>()

const mayBeProvableArrayIn = (text: string, name: string): boolean => {
  for (let i = text.indexOf(name); i !== -1; i = text.indexOf(name, i + 1)) {
    const before = i > 0 ? text.charCodeAt(i - 1) : 32
    if (isIdentCode(before) || before === 46 /* . */) continue
    const end = i + name.length
    if (isDeclaredAt(text, i)) {
      ARRAY_INITIALIZER.lastIndex = end
      if (ARRAY_INITIALIZER.test(text)) return true
      if (JSDOC_TYPE_BEFORE.test(text.slice(Math.max(0, i - 300), i))) return true
    }
    // `@param {T[]} name` (the comment before a JS function)
    if (before === 32 || before === 91 /* [ */ || before === 125 /* } */ || before === 9) {
      if (JSDOC_ARRAY_BEFORE.test(text.slice(Math.max(0, i - 200), i))) return true
    }
    ARRAY_ANNOTATION.lastIndex = end
    if (ARRAY_ANNOTATION.test(text)) return true
  }
  return false
}
