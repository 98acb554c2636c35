"use strict"
// Seeded variants (CommonJS with JSDoc types): unused functions and classes in a module.exports module.
const path = require("node:path")

/**
 * @param {string} file
 * @returns {string}
 */
function stripExtension(file) { // expect: dead-code
  return file.slice(0, file.length - path.extname(file).length)
}

class LruCache { // expect: dead-code
  constructor(limit) {
    this.limit = limit
    this.map = new Map()
  }
}

const IGNORED = ["node_modules", ".git", "dist"] // expect: dead-code

function relative(from, to) {
  return path.relative(from, to).split(path.sep).join("/")
}

module.exports = { relative }
