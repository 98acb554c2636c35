"use strict"
// Seeded variants (CommonJS with JSDoc types, a class): forEach over Object.keys/values and for…in over arrays.

/**
 * @param {Record<string, { enabled: boolean, init: () => void }>} plugins
 */
function initAll(plugins) {
  Object.values(plugins).forEach((p) => p.enabled && p.init()) // expect: for-of
}

/**
 * @param {Array<{ name: string, bytes: number }>} files
 * @returns {number}
 */
function totalBytes(files) {
  let total = 0
  for (const i in files) total += files[i].bytes // expect: for-of
  return total
}

class Router {
  constructor() {
    /** @type {Record<string, string>} */
    this.routes = {}
  }

  /** @param {Record<string, string>} table */
  addAll(table) {
    Object.keys(table).forEach((path) => { // expect: for-of
      this.routes[path] = table[path]
    })
  }
}

/** @param {string[]} words */
function shout(words) {
  const out = []
  for (let i in words) out.push(words[i].toUpperCase() + "!") // expect: for-of
  return out
}

/** @param {Record<string, number>} scores */
function report(scores) {
  // a `var` in the callback: as a loop body it would be one binding shared by every iteration
  const lines = []
  Object.keys(scores).forEach((name) => { // unsafe: for-of
    var line = name + ": " + scores[name]
    lines.push(() => line)
  })
  return lines.map((f) => f())
}

module.exports = { initAll, totalBytes, Router, shout, report }
