"use strict"
// Seeded variants (CommonJS with JSDoc types): token checks and SQL/HTML strings built in loops.

/**
 * @param {string} text
 * @returns {boolean}
 */
function allDigits(text) {
  for (let i = 0; i < text.length; i++) {
    if ("0123456789".indexOf(text[i]) === -1) return false // expect: char-set
  }
  return true
}

/** @param {string} name */
function hasSeparator(name) {
  for (const c of name) {
    if ("-_.".includes(c)) return true // expect: char-set
  }
  return false
}

/**
 * @param {string} s
 * @param {number} i
 */
function opensBracket(s, i) {
  // `charAt` past the end gives "", which is a substring of every string
  return "([{".includes(s.charAt(i)) // unsafe: char-set
}

/**
 * @param {string} table
 * @param {Array<{ name: string, type: string }>} columns
 */
function createTable(table, columns) {
  let sql = `CREATE TABLE ${table} (`
  for (let i = 0; i < columns.length; i++) {
    sql += (i === 0 ? "" : ", ") + columns[i].name + " " + columns[i].type // expect: string-join
  }
  sql += ")"
  return sql
}

/** @param {string[]} items */
function bulletList(items) {
  let html = "<ul>"
  for (const item of items) html += "<li>" + item.trim() + "</li>" // expect: string-join
  return html + "</ul>"
}

/** @param {Record<string, string | number>} attrs */
function attributes(attrs) {
  let out = ""
  for (const key in attrs) out += ` ${key}="${attrs[key]}"` // expect: string-join
  return out
}

/** @param {number} depth */
function indentation(depth) {
  let pad = ""
  let i = 0
  while (i++ < depth) pad += "  " // expect: string-join
  return pad
}

function concatAll(values) {
  let out = ""
  // `v` may be null or undefined: `+=` writes "null", `join` would write ""
  for (const v of values) out += v // unsafe: string-join
  return out
}

/**
 * @param {string[]} words
 * @param {number} width
 */
function firstLine(words, width) {
  let line = ""
  for (const w of words) {
    // `line` is read inside the loop: it must be up to date on every iteration
    if (line.length + w.length > width) break
    line += w + " " // unsafe: string-join
  }
  return line.trimEnd()
}

module.exports = { allDigits, hasSeparator, opensBracket, createTable, bulletList, attributes, indentation, concatAll, firstLine }
