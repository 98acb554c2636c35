"use strict"
// Seeded variants (CommonJS with JSDoc types): request handling helpers.

/**
 * Keeps the headers a proxy may forward.
 * @param {Array<[string, string]>} headers
 * @param {string[]} allowed lower-case header names
 * @returns {Array<[string, string]>}
 */
function forwardable(headers, allowed) {
  return headers.filter(([name]) => allowed.includes(name.toLowerCase())) // expect: set-membership
}

/**
 * @param {string[]} paths
 * @param {string} base
 */
function underBase(paths, base) {
  return paths.filter((p) => new RegExp(`^${base}/`).test(p)) // expect: loop-invariant
}

/**
 * @param {Array<{ method: string }>} routes
 * @param {string[]} methods
 */
function countAllowed(routes, methods) {
  let n = 0
  for (let i = 0; i < routes.length; i++) {
    if (methods.some((m) => m === routes[i].method)) n++ // expect: set-membership
  }
  return n
}

/**
 * @param {Array<{ body: string }>} requests
 * @param {string} schemaJson
 */
function validBodies(requests, schemaJson) {
  return requests.filter((r) => r.body.length <= JSON.parse(schemaJson).maxLength) // expect: loop-invariant
}

function cookies(list, names) {
  // no type for `names`: it may be a string, whose includes is a substring test
  return list.filter((c) => names.includes(c.name)) // unsafe: set-membership
}

/**
 * @param {string[]} lines
 * @param {string} word
 */
function countGlobal(lines, word) {
  let n = 0
  for (const line of lines) if (new RegExp(word, "g").test(line)) n++ // unsafe: loop-invariant
  return n
}

module.exports = { forwardable, underBase, countAllowed, validBodies, cookies, countGlobal }
