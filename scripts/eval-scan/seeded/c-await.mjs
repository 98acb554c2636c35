// Seeded variants (ESM, namespace and default imports, arrow functions): per-file reads awaited in turn.
import * as fsp from "node:fs/promises"
import fs from "node:fs"
import { writeFile } from "node:fs/promises"

const readJson = async (file) => JSON.parse(await fsp.readFile(file, "utf8"))

/** @param {string[]} files */
export const manifests = async (files) => {
  const out = []
  for (const file of files) out.push(await readJson(file)) // expect: promise-all
  return out
}

export async function listings(dirs) {
  const all = []
  for (const dir of dirs) all.push(await fsp.readdir(dir)) // expect: promise-all
  return all
}

export async function modes(paths) {
  const result = []
  for (const p of paths) { result.push(await fs.promises.lstat(p)) } // expect: promise-all
  return result
}

export const reachable = async (paths) => {
  for (const p of paths) await fsp.access(p) // expect: promise-all
}

export async function writeAll(entries) {
  // writes: their order on disk is observable (two entries may name the same file)
  for (const entry of entries) await writeFile(entry.path, entry.text) // unsafe: promise-all
}

export async function sequential(urls) {
  // `fetch` is a global network call (a POST may depend on an earlier one)
  const bodies = []
  for (const url of urls) bodies.push(await fetch(url)) // unsafe: promise-all
  return bodies
}
