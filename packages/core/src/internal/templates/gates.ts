/**
 * Text gates: necessary conditions a template's `find` implies, checked on the raw text before a
 * parse. Each must be conservative — a file that fails a gate has no finding — so they only look for
 * what the safety conditions require to be written out (a declaration, an annotation, a receiver).
 */

import { SMALL_ARRAY_LITERAL } from "../dataflow/arrays.js"
import { maskedCodeOf } from "../scan/textHeuristics.js"

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
  for (const method of methods) for (const call of receiversOfMethod(text, method)) if (call.onThis === undefined) out.add(call.name)
  return out
}

/** The calls `x.method(` on a bare name `x` in the text: the name and the offset of the method name. */
export const receiverCallsOf = (text: string, methods: ReadonlyArray<string>): Array<ReceiverCall> =>
  methods.flatMap((method) => receiversOfMethod(text, method).filter((call) => call.onThis === undefined))

/** The field names `x` of the `this.x.method(` calls in the text (whitespace allowed around the dots). */
export const thisFieldReceiversOf = (text: string, methods: ReadonlyArray<string>): Set<string> => {
  const out = new Set<string>()
  for (const method of methods) for (const call of receiversOfMethod(text, method)) if (call.onThis) out.add(call.name)
  return out
}

/** After a field name: `?`/`!`, then an annotation with an array type somewhere before the next `;` (a superset of `arrayElementType`'s). */
const FIELD_ARRAY_ANNOTATION = /\s*[?!]?\s*:[^;]*?(?:\]|Array)/y

/**
 * Whether some declaration may give the field `name` an array type annotation (a field declaration or a TS
 * parameter property: `name: T[]`, `name?: Array<T>`, `name!: readonly T[]`). Plain JavaScript has none.
 */
export const mayBeArrayField = (text: string, name: string): boolean => {
  for (let i = text.indexOf(name); i !== -1; i = text.indexOf(name, i + 1)) {
    const before = i > 0 ? text.charCodeAt(i - 1) : 32
    if (isIdentCode(before) || before === 46 /* . */ || isIdentCode(text.charCodeAt(i + name.length))) continue
    FIELD_ARRAY_ANNOTATION.lastIndex = i + name.length
    if (FIELD_ARRAY_ANNOTATION.test(text)) return true
  }
  return false
}

/** A call `name.method(` (or `this.name.method(`, `onThis`) found by {@link receiversOfMethod}: the receiver and the offset of the method name. */
export interface ReceiverCall {
  readonly name: string
  readonly at: number
  readonly onThis?: true
}

// The last text's receivers per method: templates gate on the same methods of the same file in turn.
let receiversText = ""
const receiversMemo = new Map<string, ReadonlyArray<ReceiverCall>>()

/** Methods the gates ask about: their occurrences are found in one pass (a search per method cost more). */
const COMMON_METHODS = ["includes", "indexOf", "some", "find"]
const COMMON_METHOD = /(?:includes|indexOf|some|find)(?=\s*\()/g

const receiversOfMethod = (text: string, method: string): ReadonlyArray<ReceiverCall> => {
  if (text !== receiversText) {
    receiversText = text
    receiversMemo.clear()
  }
  const known = receiversMemo.get(method)
  if (known !== undefined) return known
  if (COMMON_METHODS.includes(method)) {
    const found = new Map<string, Array<ReceiverCall>>(COMMON_METHODS.map((m) => [m, []]))
    for (const m of text.matchAll(COMMON_METHOD)) receiverCallAt(text, m[0], m.index, found.get(m[0])!)
    for (const [name, calls] of found) receiversMemo.set(name, calls)
    return found.get(method)!
  }
  const out: Array<ReceiverCall> = []
  for (let i = text.indexOf(method); i !== -1; i = text.indexOf(method, i + 1)) receiverCallAt(text, method, i, out)
  receiversMemo.set(method, out)
  return out
}

/** Adds the call of `method` whose name starts at `i` to `out` when it is `x.method(` on a bare name or `this.x.method(`. */
const receiverCallAt = (text: string, method: string, i: number, out: Array<ReceiverCall>): void => {
  {
    let j = i + method.length
    while (isSpaceCode(text.charCodeAt(j))) j++
    if (text.charCodeAt(j) !== 40 /* ( */) return
    let k = i - 1
    while (k >= 0 && isSpaceCode(text.charCodeAt(k))) k--
    if (text.charCodeAt(k) !== 46 /* . */) return
    k--
    if (text.charCodeAt(k) === 63 /* ? */) k--
    while (k >= 0 && isSpaceCode(text.charCodeAt(k))) k--
    const end = k + 1
    while (k >= 0 && isIdentCode(text.charCodeAt(k))) k--
    if (end === k + 1) return
    const first = text.charCodeAt(k + 1)
    if (first >= 48 && first <= 57) return
    // `a.b.method(` / `a?.b.method(`: the receiver is a member expression, not a name (`this.b` is kept apart)
    let p = k
    while (p >= 0 && isSpaceCode(text.charCodeAt(p))) p--
    if (text.charCodeAt(p) === 46 && text.charCodeAt(p - 1) !== 46 /* not a spread */) {
      let q = p - 1
      while (q >= 0 && isSpaceCode(text.charCodeAt(q))) q--
      if (q >= 3 && text.startsWith("this", q - 3) && !isIdentCode(text.charCodeAt(q - 4))) out.push({ name: text.slice(k + 1, end), at: i, onThis: true })
      return
    }
    out.push({ name: text.slice(k + 1, end), at: i })
  }
}

const IDENT_SOURCE = "[\\p{ID_Start}$_][\\p{ID_Continue}$\\u200c\\u200d]*"

/**
 * After a declared name: an initializer that starts like an array (literal, `Array.from/of`,
 * `Object.keys/values/entries`, an alias name,
 * or a call of an array-returning method at the end of a member chain: `items.map(`, `s.split(`).
 */
const ARRAY_INITIALIZER = new RegExp(
  `\\s*(?::[^;]*?)?=(?![=>])\\s*[(\\s]*(?:\\[|Array\\s*\\.\\s*(?:from|of)\\b|Object\\s*\\.\\s*(?:keys|values|entries)\\b|${IDENT_SOURCE}[)\\s]*(?:[;,}]|$|as\\b|satisfies\\b)|${IDENT_SOURCE}(?:\\s*\\??\\.\\s*${IDENT_SOURCE}|\\s*\\([^;]*?\\))*?\\s*\\.\\s*(?:map|filter|flatMap|slice|concat|flat|toSorted|toReversed|split)\\s*\\()`,
  "muy"
)
/** Before a name: the end of a JSDoc type that names an array (`{string[]} `, `{Array<T>} [`, `{Array<{ id: string }>}`). */
const JSDOC_ARRAY_BEFORE = /(?:\[\s*\]|Array\s*\.?\s*<(?:[^{}]|\{[^{}]*\})*>)\s*\}\s*\[?\s*$/
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
export const mayBeProvableArray = (text: string, name: string): boolean => provableAnswer(text, name, false)

/**
 * {@link mayBeProvableArray} for the lookup templates (`set-membership`, `map-index`), which leave alone an
 * array declared with a literal of at most `SMALL_ARRAY_LITERAL` elements: such a declaration does not count
 * (its lookups never pay for a `Set` or `Map`, and an array that code grows later is mutated, which those
 * templates refuse). `const handlers = []` filled by `push` is the common case.
 */
export const mayBeLookupArray = (text: string, name: string): boolean => provableAnswer(text, name, true)

const provableAnswer = (text: string, name: string, lookup: boolean): boolean => {
  if (text !== provableText) {
    provableText = text
    provableMemo.clear()
  }
  const key = lookup ? `${name}\0lookup` : name
  let known = provableMemo.get(key)
  if (known === undefined) {
    known = mayBeProvableArrayIn(text, name, lookup)
    provableMemo.set(key, known)
  }
  return known
}

// The last text's answers per name: several templates gate on the same receivers of the same file.
let provableText = ""
const provableMemo = new Map<string, boolean>()

/** After a declared name: `= null`, `= true`, `= false` or `= this` as the whole initializer (never an array). */
const KEYWORD_INITIALIZER = /\s*=\s*(?:null|true|false|this)\s*(?:[;,})]|$)/my

/**
 * {@link mayBeProvableArray} for a use of `name` at `at`: declarations inside a function whose body does not
 * hold `at` are left out (a `const`, `let` or `var` is never visible outside its function; a parameter or an
 * annotation in a function's header counts for the enclosing function, a superset of where it is visible).
 */
export const mayBeProvableArrayAt = (text: string, name: string, at: number): boolean => mayBeProvableArrayIn(text, name, false, at)

const mayBeProvableArrayIn = (text: string, name: string, lookup: boolean, at = -1): boolean => {
  for (let i = text.indexOf(name); i !== -1; i = text.indexOf(name, i + 1)) {
    const before = i > 0 ? text.charCodeAt(i - 1) : 32
    if (isIdentCode(before) || before === 46 /* . */) continue
    if (at !== -1 && !mayBeVisibleAt(text, i, at)) continue
    const end = i + name.length
    if (isDeclaredAt(text, i)) {
      if (lookup && initializesSmallLiteral(text, end)) continue
      ARRAY_INITIALIZER.lastIndex = end
      KEYWORD_INITIALIZER.lastIndex = end
      if (ARRAY_INITIALIZER.test(text) && !KEYWORD_INITIALIZER.test(text)) return true
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

/** After a declared name: an optional annotation, `=`, then the `[` of an array literal. */
const LITERAL_INITIALIZER = /\s*(?::[^;=]*?)?=(?![=>])\s*\[/y
/** After the `[` of an initializer: `]` and the end of the declaration (`;`, or a line break before a new statement). */
const EMPTY_LITERAL_END = /[ \t]*\][ \t]*(?:;|\r?\n[ \t]*(?:const|let|var|return|if|for|while|export|function|class)\b)/y
/** Words that continue an expression after a line break (no semicolon is inserted before them). */
const CONTINUING_OPERATORS = new Set(["in", "instanceof", "as", "satisfies"])

/**
 * Whether the declaration whose name ends at `end` initializes it with a dense array literal of at most
 * `SMALL_ARRAY_LITERAL` elements and nothing else (`= []`, `= ["a", "b"];`, `= [1, 2] as const`), judged on the
 * masked code: top-level commas are counted; a hole, a longer literal, or anything after the `]` that may
 * continue the expression (`[].concat(…)`, `[…]\n.map(…)`) says no.
 */
const initializesSmallLiteral = (text: string, end: number): boolean => {
  LITERAL_INITIALIZER.lastIndex = end
  if (!LITERAL_INITIALIZER.test(text)) return false
  // `= [];` and `= []\n`, the common case, on the raw text; anything else on the masked code
  EMPTY_LITERAL_END.lastIndex = LITERAL_INITIALIZER.lastIndex
  if (EMPTY_LITERAL_END.test(text)) return true
  const code = maskedCodeOf(text)
  const open = LITERAL_INITIALIZER.lastIndex - 1
  if (code.charCodeAt(open) !== 91) return false // inside a comment or string
  let depth = 0
  let commas = 0
  let expectValue = true
  let close = -1
  for (let i = open; i < code.length && close === -1; i++) {
    const c = code.charCodeAt(i)
    if (isSpaceCode(c)) continue
    if (c === 40 || c === 91 || c === 123) depth++
    else if (c === 41 || c === 93 || c === 125) {
      depth--
      if (depth === 0) close = i
    } else if (c === 44 && depth === 1) {
      if (expectValue) return false // a hole: not the dense literal the templates count
      if (++commas >= SMALL_ARRAY_LITERAL) return false
      expectValue = true
      continue
    }
    if (depth >= 1 && i !== open) expectValue = false
  }
  if (close === -1) return false
  // the literal must be the whole initializer: `as const` may follow, then the end of the declarator
  let after = wordAfter(code, close + 1)
  if (after.word === "as") {
    const constant = wordAfter(code, after.end)
    if (constant.word !== "const") return false
    after = wordAfter(code, constant.end)
  }
  if (after.word !== "") return after.hadNewline && !CONTINUING_OPERATORS.has(after.word)
  const c = after.next
  return Number.isNaN(c) || c === 59 || c === 44 || c === 41 || c === 125 // the end, `;`, `,`, `)`, `}`
}

/**
 * Whether a name declared (or annotated) at `declared` may be visible at `use`: `false` only when the innermost
 * function body around `declared` does not hold `use`. A brace is a function body by `braceKind`: `=> {`, or
 * `) {` after a name that is no `if`/`for`/`while`/`switch`/`catch`/`with`; a block or literal brace is looked
 * past (so the answer is a superset). Unbalanced brackets say "maybe".
 */
const mayBeVisibleAt = (text: string, declared: number, use: number): boolean => {
  const b = bracketsFor(text)
  if (b === null) return true
  for (let at = innermostOpenAt(b, declared); at !== -1; at = b.parents[at]!) {
    const open = b.opens[at]!
    if (b.code.charCodeAt(open) === 123 && braceKind(b, open) === "function") return open < use && use < b.closes[at]!
  }
  return true
}

/**
 * Whether `index` is outside every bracket of the text's code (module level, outside any function, class
 * or block). `false` when the brackets do not balance.
 */
export const isModuleLevelAt = (text: string, index: number): boolean => {
  const b = bracketsFor(text)
  if (b === null) return false
  const at = innermostOpenAt(b, index)
  return at === -1
}

/**
 * The bracket structure of a text's code (comments, strings and regex literals blanked by `maskedCodeOf`):
 * every `(`/`[`/`{` with its match and enclosing bracket, for {@link mayBeInLoopAt}. `null` when the
 * brackets do not balance (the masker misread something): then every position may be in a loop.
 */
interface Brackets {
  readonly code: string
  /** Positions of the opening brackets, ascending. */
  readonly opens: Int32Array
  /** For each opening bracket (same index), the position of its match (`code.length` when unclosed). */
  readonly closes: Int32Array
  /** For each opening bracket, the index (into `opens`) of the enclosing one, or -1. */
  readonly parents: Int32Array
  /** At a closing bracket's position: its opening bracket's position + 1 (0 elsewhere); a typed array, as a Map cost more than the walk. */
  readonly openAt: Int32Array
  /** Characters the backward walks of {@link loopHeadsStatement} may still visit in this text (bounds the work per file). */
  budget: number
}

const bracketsOf = (text: string): Brackets | null => {
  const code = maskedCodeOf(text)
  const opens: Array<number> = []
  const parents: Array<number> = []
  const closes: Array<number> = []
  const openAt = new Int32Array(code.length)
  const stack: Array<number> = []
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i)
    if (c === 40 || c === 91 || c === 123) {
      parents.push(stack.length > 0 ? stack[stack.length - 1]! : -1)
      stack.push(opens.length)
      opens.push(i)
      closes.push(code.length)
    } else if (c === 41 || c === 93 || c === 125) {
      const top = stack.pop()
      if (top === undefined) return null
      const open = code.charCodeAt(opens[top]!)
      if ((c === 41 && open !== 40) || (c === 93 && open !== 91) || (c === 125 && open !== 123)) return null
      closes[top] = i
      openAt[i] = opens[top]! + 1
    }
  }
  if (stack.length > 0) return null
  return { code, opens: Int32Array.from(opens), closes: Int32Array.from(closes), parents: Int32Array.from(parents), openAt, budget: 4 * code.length + 10_000 }
}

/** The opening bracket of the closing bracket at `close` (brackets balance, so there always is one). */
const openOf = (b: Brackets, close: number): number => b.openAt[close]! - 1

const LOOP_WORDS = new Set(["for", "while", "do"])
/** Words after a `;` or `}` that continue the statement before it (`if (a) x; else y`, `try {} catch {}`). */
const CONTINUING_WORDS = new Set(["else", "catch", "finally", "while", "in", "instanceof", "of", "as", "satisfies", "extends", "implements"])
/** Words before `(…) {` that make the braces a plain block (not a function body). */
const BLOCK_HEADS = new Set(["if", "switch", "catch", "with"])
/** Array methods whose callbacks are loop regions (`ITERATION_METHODS` of the dataflow layer). */
const ITERATION_WORDS = new Set(["forEach", "map", "filter", "reduce", "reduceRight", "some", "every", "find", "findIndex", "findLast", "findLastIndex", "flatMap", "sort"])

const skipSpaceBack = (code: string, i: number): number => {
  while (i >= 0 && isSpaceCode(code.charCodeAt(i))) i--
  return i
}
/** The identifier ending at `end` (inclusive), and where it starts. */
const wordBefore = (code: string, end: number): { word: string; start: number } => {
  let k = end
  while (k >= 0 && isIdentCode(code.charCodeAt(k))) k--
  return { word: code.slice(k + 1, end + 1), start: k + 1 }
}
/** The identifier starting at `start` after whitespace (`end` is after it); `hadNewline` tells whether a line break came first. */
const wordAfter = (code: string, start: number): { word: string; hadNewline: boolean; next: number; end: number } => {
  let i = start
  let hadNewline = false
  while (i < code.length && isSpaceCode(code.charCodeAt(i))) {
    if (code.charCodeAt(i) === 10) hadNewline = true
    i++
  }
  let k = i
  while (k < code.length && isIdentCode(code.charCodeAt(k))) k++
  return { word: code.slice(i, k), hadNewline, next: code.charCodeAt(i), end: k }
}

/**
 * Whether a loop statement at this bracket level heads the statement that reaches `end`: walking back from
 * `end` to `start` over nested groups, a `for`/`while`/`do` word before any statement end (a `;`, or a `}` on
 * the line before a new statement) means `end` is in its header or brace-less body. Says "maybe" (`true`) once
 * the text's budget is spent: many calls deep in one large literal would otherwise cost its length each.
 */
const loopHeadsStatement = (b: Brackets, start: number, end: number): boolean => {
  const code = b.code
  b.budget -= end - start
  if (b.budget < 0) return true
  for (let i = end - 1; i >= start; i--) {
    const c = code.charCodeAt(i)
    if (c === 41 || c === 93 || c === 125) {
      if (c === 125) {
        const after = wordAfter(code, i + 1)
        if (after.hadNewline && after.word !== "" && !CONTINUING_WORDS.has(after.word) && !(after.next >= 48 && after.next <= 57)) return false
      }
      i = openOf(b, i)
      continue
    }
    if (c === 59 /* ; */) {
      if (!CONTINUING_WORDS.has(wordAfter(code, i + 1).word)) return false
      continue
    }
    if (isIdentCode(c)) {
      const { word, start: from } = wordBefore(code, i)
      if (LOOP_WORDS.has(word)) return true
      i = from
    }
  }
  return false
}

/** Whether the `(` at `open` starts the arguments of an iteration method call (`xs.map(`, `xs?.map(`, `xs.map?.(`, `xs.map<T>(`). */
const isIterationCallOpen = (code: string, open: number): boolean => {
  let k = skipSpaceBack(code, open - 1)
  if (code.charCodeAt(k) === 62 /* > */) return true // a generic call: not looked into
  if (code.charCodeAt(k) === 46 && code.charCodeAt(k - 1) === 63) k = skipSpaceBack(code, k - 2) // `?.(`
  const { word, start } = wordBefore(code, k)
  if (!ITERATION_WORDS.has(word)) return false
  const dot = skipSpaceBack(code, start - 1)
  return code.charCodeAt(dot) === 46
}

/** How a `{` is used: a loop body, a function body, or another block or literal. */
const braceKind = (b: Brackets, open: number): "loop" | "function" | "other" => {
  const code = b.code
  const k = skipSpaceBack(code, open - 1)
  const c = code.charCodeAt(k)
  if (c === 62 && code.charCodeAt(k - 1) === 61) return "function" // `=> {`
  if (c === 41) {
    const paren = openOf(b, k)
    const { word, start } = wordBefore(code, skipSpaceBack(code, paren - 1))
    if (word === "for" || word === "while") return "loop"
    if (word === "await") return wordBefore(code, skipSpaceBack(code, start - 1)).word === "for" ? "loop" : "other"
    if (word === "" || BLOCK_HEADS.has(word)) return "other"
    // `class A extends mixin(B) {`: a class body, whose field initializers run where the class is evaluated
    if (wordBefore(code, skipSpaceBack(code, start - 1)).word === "extends") return "other"
    return "function"
  }
  if (isIdentCode(c) && wordBefore(code, k).word === "do") return "loop"
  return "other"
}

/** Whether a `;` sits between `start` and `end` outside nested brackets. */
const hasTopLevelSemicolon = (b: Brackets, start: number, end: number): boolean => {
  for (let i = end - 1; i >= start; i--) {
    const c = b.code.charCodeAt(i)
    if (c === 59) return true
    if (c === 41 || c === 93 || c === 125) i = openOf(b, i)
  }
  return false
}

// The last text's bracket structure: templates ask about several positions of the same file in turn.
let bracketsText: string | undefined
let bracketsMemo: Brackets | null = null

const bracketsFor = (text: string): Brackets | null => {
  if (text !== bracketsText) {
    bracketsText = text
    bracketsMemo = bracketsOf(text)
  }
  return bracketsMemo
}

/** The index (into `opens`) of the innermost bracket open before `index` and still open at it; -1 at top level. */
const innermostOpenAt = (b: Brackets, index: number): number => {
  let lo = 0
  let hi = b.opens.length - 1
  let at = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (b.opens[mid]! < index) {
      at = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  while (at !== -1 && b.closes[at]! < index) at = b.parents[at]!
  return at
}

/**
 * Whether the code at `index` may be inside a loop region as `enclosingLoop` defines it (a loop's body,
 * condition or update, or an iteration callback, not looking past the first other function), judged on
 * the text: the enclosing brackets are walked outwards; a loop header or body, or an iteration call, says
 * "maybe"; a function body that is no iteration callback says "no". Conservative: unbalanced brackets,
 * anything unrecognised, and loop headers (`for (const k of Object.keys(o))`) count as "maybe".
 */
export const mayBeInLoopAt = (text: string, index: number): boolean => {
  const b = bracketsFor(text)
  if (b === null) return true
  let at = innermostOpenAt(b, index)
  let end = index
  for (; at !== -1; at = b.parents[at]!) {
    const open = b.opens[at]!
    if (loopHeadsStatement(b, open + 1, end)) return true
    const c = b.code.charCodeAt(open)
    if (c === 40) {
      const { word, start } = wordBefore(b.code, skipSpaceBack(b.code, open - 1))
      if (word === "while") return true
      const awaited = word === "await" ? wordBefore(b.code, skipSpaceBack(b.code, start - 1)) : null
      if (word === "for" || awaited?.word === "for") {
        // a `for (;;)` condition or update repeats; its initializer and a `for…in/of` head do not: look
        // further out, from before the `for`
        if (hasTopLevelSemicolon(b, open + 1, end)) return true
        end = awaited?.start ?? start
        continue
      }
      if (isIterationCallOpen(b.code, open)) return true
    } else if (c === 123) {
      const kind = braceKind(b, open)
      if (kind === "loop") return true
      if (kind === "function") {
        const outer = b.parents[at]!
        return outer !== -1 && b.code.charCodeAt(b.opens[outer]!) === 40 && isIterationCallOpen(b.code, b.opens[outer]!)
      }
    }
    end = open
  }
  return loopHeadsStatement(b, 0, end)
}
