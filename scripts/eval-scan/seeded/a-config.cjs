"use strict"
// Seeded variants (CommonJS with JSDoc types): configuration loading helpers.

/**
 * @param {string[]} words
 * @returns {Record<string, number>}
 */
function wordCounts(words) {
  return words.reduce((acc, w) => ({ ...acc, [w]: (acc[w] || 0) + 1 }), {}) // expect: reduce-spread
}

/**
 * @param {Array<{ name: string, files: string[] }>} packages
 */
function allFiles(packages) {
  return packages.reduce((files, pkg) => {
    return [...files, ...pkg.files.map((f) => `${pkg.name}/${f}`)] // expect: reduce-spread
  }, [])
}

/**
 * @param {string[]} lines
 */
function hasComments(lines) {
  return lines.filter((l) => l.trim().startsWith("#")).length > 0 // expect: filter-length
}

/**
 * @param {Array<string | null>} values
 */
function describe(values) {
  return values.filter(Boolean).length ? "some set" : "none set" // expect: filter-length
}

/**
 * @param {Array<{ name: string, isDefault?: boolean }>} profiles
 */
function defaultProfile(profiles) {
  return profiles.filter((p) => p.isDefault)[0] || profiles[0] // expect: filter-first
}

/**
 * @param {string} list comma-separated
 */
function firstListed(list) {
  return list.split(",").filter(Boolean)[0] // expect: filter-first
}

/**
 * @param {Set<string>} names
 */
function anyName(names) {
  return [...names][0] // expect: first-of-iterable
}

/**
 * @param {Map<string, Function>} handlers
 */
function firstHandlerName(handlers) {
  return Array.from(handlers.keys())[0] // expect: first-of-iterable
}

/**
 * @param {number} n
 */
function pluralCategory(n) {
  return new Intl.PluralRules("en-US").select(n) // expect: constant-constructor
}

/**
 * @param {string[]} parts
 */
function joinList(parts) {
  return new Intl.ListFormat(["en"], { style: "long", type: "conjunction" }).format(parts) // expect: constant-constructor
}

/**
 * @param {Array<{ name: string }>} headers
 */
function forwarded(headers) {
  const hopByHop = new Set(["connection", "keep-alive", "upgrade", "te", "trailer"]) // expect: constant-constructor
  return headers.filter((h) => !hopByHop.has(h.name.toLowerCase()))
}

/**
 * @param {string} contentType
 */
function mimeBase(contentType) {
  return contentType.split(";")[0] // expect: split-first
}

/**
 * @param {Record<string, string>} scripts
 */
function scriptNames(scripts) {
  return Object.entries(scripts).map(function ([name]) { // expect: entries-unused
    return name
  })
}

/**
 * @param {{ dependencies?: Record<string, string> }} pkg
 */
function ranges(pkg) {
  return Object.entries(pkg.dependencies || {}).flatMap(([, range]) => range.split("||")) // expect: entries-unused
}

// unsafe: each must stay silent

/**
 * @param {string[]} lines
 * @param {string} sep
 */
function keys(lines, sep) {
  // a separator built at run time: not a literal
  return lines.map((line) => line.split(`${sep}=`)[0]) // unsafe: split-first
}

/**
 * @param {Array<{ size: number }>} files
 */
function manyLarge(files) {
  // not an existence test: the count is compared with 1
  return files.filter((f) => f.size > 1e6).length > 1 // unsafe: filter-length
}

module.exports = { wordCounts, allFiles, hasComments, describe, defaultProfile, firstListed, anyName, firstHandlerName, pluralCategory, joinList, forwarded, mimeBase, scriptNames, ranges, keys, manyLarge }
