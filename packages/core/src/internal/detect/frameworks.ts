/**
 * Framework detection from dependencies (with versions) and config files.
 */
import type { Evidence, Framework } from "../../RepoProfile.js"
import { cleanVersion, keyLine, type PackageJson } from "./packageJson.js"
import type { RepoReader } from "./reader.js"

interface Rule {
  readonly name: string
  /** All of these must be dependencies (first one gives the version). */
  readonly deps: ReadonlyArray<string>
  /** Alternatives to `deps[0]` (any one). */
  readonly anyOf?: ReadonlyArray<string>
  readonly configs?: ReadonlyArray<string>
  /** Frameworks that, when present, make this one redundant. */
  readonly unless?: ReadonlyArray<string>
}

const RULES: ReadonlyArray<Rule> = [
  { name: "Next.js", deps: ["next"], configs: ["next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs"] },
  { name: "NestJS", deps: ["@nestjs/core"], configs: ["nest-cli.json"] },
  { name: "Nuxt", deps: ["nuxt"], anyOf: ["nuxt3", "nuxt-edge"], configs: ["nuxt.config.ts", "nuxt.config.js"] },
  { name: "Remix", deps: ["@remix-run/react"], anyOf: ["@remix-run/node", "@remix-run/dev", "@remix-run/serve", "@remix-run/cloudflare"], configs: ["remix.config.js"] },
  { name: "React Router", deps: ["@react-router/dev"], anyOf: ["@react-router/node", "@react-router/serve"], configs: ["react-router.config.ts", "react-router.config.js"] },
  { name: "SvelteKit", deps: ["@sveltejs/kit"], configs: ["svelte.config.js", "svelte.config.ts"] },
  { name: "Svelte", deps: ["svelte"], unless: ["SvelteKit"] },
  { name: "Astro", deps: ["astro"], configs: ["astro.config.mjs", "astro.config.ts", "astro.config.js"] },
  { name: "React+Vite", deps: ["vite", "react"], configs: ["vite.config.ts", "vite.config.js", "vite.config.mts", "vite.config.mjs"], unless: ["Remix", "React Router", "Next.js", "Astro"] },
  { name: "Vue", deps: ["vue"], unless: ["Nuxt"] },
  { name: "Angular", deps: ["@angular/core"], configs: ["angular.json"] },
  { name: "Express", deps: ["express"], unless: ["NestJS"] },
  { name: "Fastify", deps: ["fastify"], unless: ["NestJS"] },
  { name: "Hono", deps: ["hono"] },
  { name: "Koa", deps: ["koa"] },
  { name: "Elysia", deps: ["elysia"] },
  { name: "Electron", deps: ["electron"] },
  { name: "Vite", deps: ["vite"], unless: ["React+Vite", "Vue", "SvelteKit", "Svelte", "Nuxt", "Astro", "Remix", "React Router"] },
  { name: "React", deps: ["react"], unless: ["Next.js", "React+Vite", "Remix", "React Router", "Astro"] }
]

/** Frameworks found in the given packages, in rule order; evidence aggregated across packages. */
export const detectFrameworks = (
  reader: RepoReader,
  packages: ReadonlyArray<PackageJson>,
  catalog: Readonly<Record<string, string>>
): Array<Framework> => {
  const found = new Map<string, { version: string | null; evidence: Array<Evidence>; packages: number }>()
  for (const pkg of packages) {
    const local = new Set<string>()
    for (const rule of RULES) {
      const primary = [rule.deps[0], ...(rule.anyOf ?? [])].find((d) => d in pkg.deps)
      if (primary === undefined || !rule.deps.slice(1).every((d) => d in pkg.deps)) continue
      if (rule.unless?.some((u) => local.has(u))) continue
      local.add(rule.name)
      let range = pkg.deps[primary]
      if (range.startsWith("catalog:")) range = catalog[primary] ?? range
      const version = cleanVersion(range)
      const evidence: Array<Evidence> = rule.deps.map((d, i) => {
        const dep = i === 0 ? primary : d
        return { file: pkg.file, line: keyLine(pkg.text, dep, "ependencies"), detail: `depends on ${dep}@${pkg.deps[dep]}` }
      })
      for (const c of rule.configs ?? []) {
        const file = reader.join(pkg.dir, c)
        if (reader.exists(file)) {
          evidence.push({ file, detail: `${c} present` })
          break
        }
      }
      const entry = found.get(rule.name)
      if (!entry) found.set(rule.name, { version, evidence, packages: 1 })
      else {
        entry.packages++
        if (entry.evidence.length < 6) entry.evidence.push(...evidence.slice(0, 6 - entry.evidence.length))
        if (entry.version === null) entry.version = version
      }
    }
  }
  return [...found.entries()].map(([name, e]) => ({
    name,
    version: e.version,
    evidence: e.packages > 1 ? [...e.evidence, { file: ".", detail: `used by ${e.packages} packages` }] : e.evidence
  }))
}

/** Monorepo/task tools present: turbo, nx, lerna. */
export const detectTools = (reader: RepoReader, dir: string, pkg: PackageJson | null): Array<Framework> => {
  const out: Array<Framework> = []
  const tools: ReadonlyArray<{ name: string; dep: string; config: string }> = [
    { name: "turbo", dep: "turbo", config: "turbo.json" },
    { name: "nx", dep: "nx", config: "nx.json" },
    { name: "lerna", dep: "lerna", config: "lerna.json" }
  ]
  for (const t of tools) {
    const config = reader.join(dir, t.config)
    const hasConfig = reader.exists(config) || (t.name === "turbo" && reader.exists(reader.join(dir, "turbo.jsonc")))
    const range = pkg?.deps[t.dep]
    if (!hasConfig && range === undefined) continue
    const evidence: Array<Evidence> = []
    if (hasConfig) evidence.push({ file: reader.exists(config) ? config : reader.join(dir, "turbo.jsonc"), detail: `${t.config} present` })
    if (range !== undefined && pkg) evidence.push({ file: pkg.file, line: keyLine(pkg.text, t.dep, "ependencies"), detail: `depends on ${t.dep}@${range}` })
    out.push({ name: t.name, version: cleanVersion(range), evidence })
  }
  return out
}
