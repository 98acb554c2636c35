"use strict"
// Seeded variants (CommonJS with require and JSDoc types): per-item reads awaited one after another.
const { readFile, stat } = require("node:fs/promises")
const fs = require("node:fs")

/**
 * @param {string[]} paths
 * @returns {Promise<string[]>}
 */
async function readSources(paths) {
  const sources = []
  for (const p of paths) sources.push(await readFile(p, "utf8")) // expect: promise-all
  return sources
}

/** @param {string[]} paths */
async function mtimes(paths) {
  const times = []
  for (const p of paths) times.push(await fs.promises.stat(p)) // expect: promise-all
  return times
}

/** @param {string} text */
async function wordCount(text) {
  let n = 0
  for (let i = 1; i < text.length; i++) if (text[i] === " " && text[i - 1] !== " ") n++
  return n
}

/** @param {string[]} texts */
async function counts(texts) {
  const out = []
  for (const t of texts) out.push(await wordCount(t)) // expect: promise-all
  return out
}

/** @param {Array<{ file: string }>} jobs */
async function checkJobs(jobs) {
  for (const { file } of jobs) await stat(file) // expect: promise-all
}

module.exports = { readSources, mtimes, counts, checkJobs }
