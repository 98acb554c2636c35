// Seeded variants (ESM, arrow functions, module constants): lint-rule style visitors.
const GLOBALS = ["window", "document", "navigator", "location", "history", "screen", "localStorage", "sessionStorage", "fetch"]

export const globalsUsed = (identifiers) => identifiers.filter((id) => GLOBALS.includes(id.name)) // expect: set-membership

export const notBuiltins = (names) => {
  const builtins = Object.keys(globalThis)
  return names.filter((n) => builtins.indexOf(n) === -1) // expect: set-membership
}

export function reportUnused(declared, used, report) {
  const usedNames = used.map((u) => u.name)
  declared.forEach((d) => {
    if (!usedNames.includes(d.name)) report(d) // expect: set-membership
  })
}

export function matchesAny(nodes, options) {
  return nodes.filter((node) => new RegExp(options.pattern, "u").test(node.value)) // expect: loop-invariant
}

export function matchesWithFlags(nodes, options) {
  // flags from options may hold `g` or `y`, whose lastIndex state a shared regex would carry over
  return nodes.filter((node) => new RegExp(options.pattern, options.flags).test(node.value)) // unsafe: loop-invariant
}

export const sortByName = (items, locale) => [...items].sort((a, b) => new Intl.Collator(locale).compare(a.name, b.name)) // expect: loop-invariant

export function flagged(entries, config) {
  const out = []
  for (const entry of entries) {
    if (Object.keys(config.rules).length > 0 && entry.enabled) out.push(entry.id) // expect: loop-invariant
  }
  return out
}

const SMALL = ["a", "b", "c"]
export const small = (xs) => xs.filter((x) => SMALL.includes(x)) // unsafe: set-membership

export function rebuilt(groups) {
  return groups.map((g) => new Set(g.members).size) // unsafe: loop-invariant
}
