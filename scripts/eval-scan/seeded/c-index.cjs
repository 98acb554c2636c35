"use strict"
// Seeded variants (CommonJS with JSDoc types, a class, forEach callbacks): lookups in plugin registries.

/**
 * @param {Array<{ name: string, version: string }>} installed
 * @param {string[]} required
 * @returns {string[]}
 */
function missing(installed, required) {
  const out = []
  required.forEach((name) => {
    if (!installed.find((p) => p.name === name)) out.push(name) // expect: map-index
  })
  return out
}

class Registry {
  /**
   * @param {Array<{ id: string, deps: string[] }>} plugins
   * @param {string[]} order
   */
  resolve(plugins, order) {
    const resolved = []
    for (const id of order) {
      const plugin = plugins.find((p) => p.id === id) // expect: map-index
      if (plugin) resolved.push(plugin)
    }
    return resolved
  }
}

/**
 * @param {Array<{ slug: string, title: string }>} pages
 * @param {string[]} slugs
 */
function titles(pages, slugs) {
  // some code in the file assigns `.slug`: an element's key could change after the index is built
  return slugs.map((s) => {
    const page = pages.find((p) => p.slug === s) // unsafe: map-index
    return page ? page.title : s
  })
}

/** @param {{ slug: string }} page */
function normalize(page) {
  page.slug = page.slug.toLowerCase()
  return page
}

module.exports = { missing, Registry, titles, normalize }
