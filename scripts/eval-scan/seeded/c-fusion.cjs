"use strict"
// Seeded variants (CommonJS with JSDoc types, a class): filter/map and map/reduce chains in build tooling.

/**
 * @param {string} text
 * @returns {number}
 */
function nonBlankChars(text) {
  return text.split("\n").map((line) => line.trim().length).reduce((n, len) => n + len, 0) // expect: map-reduce-fusion
}

/**
 * @param {Array<{ name: string, size: number, external: boolean }>} modules
 */
function bundled(modules) {
  const files = modules.filter((m) => !m.external).map((m) => m.name + ".js") // expect: map-filter-fusion
  return files
}

class Manifest {
  /** @param {Record<string, { size: number }>} assets */
  constructor(assets) {
    this.assets = assets
  }

  totalSize() {
    return Object.values(this.assets).map((a) => a.size).reduce((sum, s) => sum + s, 0) // expect: map-reduce-fusion
  }

  /** @param {string[]} names */
  hashed(names) {
    const picked = names.map((n) => ({ name: n, hashed: n.length > 20 })).filter((entry) => entry.hashed) // expect: map-filter-fusion
    return picked
  }
}

/**
 * @param {Array<{ deps: string[] }>} packages
 */
function depCount(packages) {
  return packages.map((p) => p.deps.length).reduce((a, b) => a + b, 0) // expect: map-reduce-fusion
}

/**
 * @param {Array<{ id: number }>} chunks
 */
function chunkIds(chunks) {
  // the map callback calls `record`, which writes state: running it interleaved with the filter is observable
  const ids = chunks.map((c) => record(c.id)).filter((id) => id > 0) // unsafe: map-filter-fusion
  return ids
}

const seen = []
function record(id) {
  seen.push(id)
  return id
}

/**
 * @param {string[]} names
 */
function nameBytes(names) {
  // the map callback calls `measure`, unknown code: the fused reduce would interleave its effects
  return names.map((n) => measure(n)).reduce((a, b) => a + b, 0) // unsafe: map-reduce-fusion
}

function measure(name) {
  seen.push(name)
  return name.length
}

module.exports = { nonBlankChars, bundled, Manifest, depCount, chunkIds, nameBytes }
