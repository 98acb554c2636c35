"use strict"
// Seeded variants (CommonJS with JSDoc types): header and config parsing with regular expressions.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const BEARER = /^Bearer /

/** @param {string} name */
function assertHeaderName(name) {
  if (name.match(TOKEN) == null) throw new TypeError(`invalid header name: ${name}`) // expect: match-test
}

/**
 * @param {string} value
 * @param {boolean} strict
 */
function isQuoted(value, strict) {
  if (strict && value.match(/^".*"$/)) return true // expect: match-test, regexp-hoist
  return false
}

/** @param {string | undefined} auth */
function hasBearer(auth) {
  // optional call: `auth` may be undefined, and `BEARER.test(auth)` would test the text "undefined"
  return auth?.match(BEARER) ? true : false // unsafe: match-test
}

/** @param {string} unit */
function isTimeUnit(unit) {
  return /^(?:ms|s|m|h|d)$/u.test(unit) // expect: alternation-set, regexp-hoist
}

/** @param {string} ext */
const isScript = (ext) => /^(?:\.js|\.cjs|\.mjs)$/.test(ext) // expect: alternation-set, regexp-hoist

/** @param {string} line */
function untab(line) {
  return line.replace(/\t/g, "  ") // expect: replace-all, regexp-hoist
}

/**
 * @param {string} template
 * @param {number} year
 */
function fillYear(template, year) {
  return template.replace(/\{\{year\}\}/g, () => String(year)) // expect: replace-all, regexp-hoist
}

/** @param {string} glob */
function escapeStars(glob) {
  return glob.replace(/\*/g, "\\$&") // expect: replace-all, regexp-hoist
}

/** @param {string} text */
function stripTodo(text) {
  return text.replace( // unsafe: replace-all
    /todo:/gi, // expect: regexp-hoist
    ""
  )
}

/** @param {string[]} lines */
function csvCells(lines) {
  return lines.map((line) => line.split(new RegExp("\\s*,\\s*"))) // expect: regexp-hoist
}

/** @param {string} header */
function parseList(header) {
  const separator = new RegExp(";\\s*") // expect: regexp-hoist
  return header.split(separator).filter(Boolean)
}

/** @param {string} vendor */
function vendorHeaderMatcher(vendor) {
  // the regex is returned: the caller may keep it, compare it or set its `lastIndex`
  return vendor === "" ? new RegExp("^x-", "i") : null // unsafe: regexp-hoist
}

/** @param {string} rest */
function leadingSpaces(rest) {
  // sticky flag: `exec` starts at `lastIndex`, which a shared instance would carry between calls
  const space = new RegExp("[ \\t]*", "y") // unsafe: regexp-hoist
  return space.exec(rest)?.[0].length ?? 0
}

module.exports = { assertHeaderName, isQuoted, hasBearer, isTimeUnit, isScript, untab, fillYear, escapeStars, stripTodo, csvCells, parseList, vendorHeaderMatcher, leadingSpaces }
