/**
 * Framework detection from dependencies (with versions) and config files.
 */
import type { Evidence, Framework } from "../../RepoProfile.js"
import { cleanVersion, depWhere, keyLine, type PackageJson } from "./packageJson.js"
import { parseJsonc } from "./deno.js"
import type { RepoReader } from "./reader.js"
import { isYamlMap } from "./yaml.js"

interface Rule {
  readonly name: string
  /** All of these must be dependencies (first one gives the version). */
  readonly deps: ReadonlyArray<string>
  /** Alternatives to `deps[0]` (any one). */
  readonly anyOf?: ReadonlyArray<string>
  readonly configs?: ReadonlyArray<string>
  /** A config file alone (no dependency) is enough: the dependency may live in a catalog, a parent or a lockfile only. */
  readonly configOnly?: boolean
  /** Frameworks that, when present, make this one redundant. */
  readonly unless?: ReadonlyArray<string>
}

const VITE_CONFIGS = ["vite.config.ts", "vite.config.js", "vite.config.mts", "vite.config.mjs"]

/**
 * In output order. A meta-framework and its bundler are both reported (Vue and Vite, Remix and
 * Vite) because people look for either; only true duplicates are folded (`unless`).
 */
const RULES: ReadonlyArray<Rule> = [
  { name: "Next.js", deps: ["next"], configs: ["next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs"] },
  { name: "NestJS", deps: ["@nestjs/core"], configs: ["nest-cli.json"] },
  { name: "Nuxt", deps: ["nuxt"], anyOf: ["nuxt3", "nuxt-edge"], configs: ["nuxt.config.ts", "nuxt.config.js"] },
  {
    name: "Remix",
    deps: ["@remix-run/react"],
    anyOf: ["@remix-run/node", "@remix-run/dev", "@remix-run/serve", "@remix-run/cloudflare", "@remix-run/deno", "remix"],
    configs: ["remix.config.js", "remix.config.mjs", "remix.config.cjs"],
    configOnly: true
  },
  { name: "React Router", deps: ["@react-router/dev"], anyOf: ["@react-router/node", "@react-router/serve"], configs: ["react-router.config.ts", "react-router.config.js", "react-router.config.mjs"], configOnly: true },
  { name: "TanStack Start", deps: ["@tanstack/react-start"], anyOf: ["@tanstack/start", "@tanstack/solid-start", "@tanstack/vue-start"], configs: ["app.config.ts", "app.config.js"] },
  { name: "SvelteKit", deps: ["@sveltejs/kit"], configs: ["svelte.config.js", "svelte.config.ts"] },
  { name: "Svelte", deps: ["svelte"], unless: ["SvelteKit"] },
  { name: "Astro", deps: ["astro"], configs: ["astro.config.mjs", "astro.config.ts", "astro.config.js", "astro.config.mts", "astro.config.cjs"], configOnly: true },
  { name: "Fresh", deps: ["@fresh/core"], anyOf: ["deno.land/x/fresh"], configs: ["fresh.config.ts", "fresh.gen.ts"] },
  { name: "React+Vite", deps: ["vite", "react"], configs: VITE_CONFIGS, unless: ["Remix", "React Router", "Next.js", "Astro", "TanStack Start"] },
  { name: "Vue", deps: ["vue"], unless: ["Nuxt"] },
  { name: "Angular", deps: ["@angular/core"], anyOf: ["@angular/cli"], configs: ["angular.json"], configOnly: true },
  { name: "Express", deps: ["express"], unless: ["NestJS"] },
  { name: "Fastify", deps: ["fastify"], unless: ["NestJS"] },
  { name: "Hono", deps: ["hono"], anyOf: ["@hono/hono"] },
  { name: "Koa", deps: ["koa"] },
  { name: "Oak", deps: ["@oak/oak"], anyOf: ["deno.land/x/oak"] },
  { name: "Elysia", deps: ["elysia"] },
  { name: "Electron", deps: ["electron"] },
  { name: "Vite+", deps: ["vite-plus"], configs: VITE_CONFIGS },
  { name: "Vite", deps: ["vite"], anyOf: ["rolldown-vite"], configs: VITE_CONFIGS },
  { name: "React", deps: ["react"], unless: ["Next.js", "React+Vite", "Remix", "React Router", "Astro", "TanStack Start"] }
]

export interface Frameworks {
  readonly frameworks: Array<Framework>
  /** Framework names found in each package directory. */
  readonly byDir: ReadonlyMap<string, ReadonlySet<string>>
}

/** Frameworks found in the given packages, in rule order; evidence aggregated across packages. */
export const detectFrameworks = (
  reader: RepoReader,
  packages: ReadonlyArray<PackageJson>,
  catalog: Readonly<Record<string, string>>
): Frameworks => {
  const found = new Map<string, { version: string | null; evidence: Array<Evidence>; packages: number }>()
  const byDir = new Map<string, Set<string>>()
  for (const pkg of packages) {
    const local = new Set<string>()
    let files: ReadonlySet<string> | null = null
    const filesHere = (): ReadonlySet<string> => {
      files ??= new Set(reader.list(pkg.dir).filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name))
      return files
    }
    for (const rule of RULES) {
      if (rule.unless?.some((u) => local.has(u))) continue
      const primary = [rule.deps[0], ...(rule.anyOf ?? [])].find((d) => d in pkg.deps)
      let evidence: Array<Evidence>
      let version: string | null = null
      if (primary !== undefined && rule.deps.slice(1).every((d) => d in pkg.deps)) {
        let range = pkg.deps[primary]
        if (range.startsWith("catalog:")) range = catalog[primary] ?? range
        version = cleanVersion(range)
        evidence = rule.deps.map((d, i) => {
          const dep = i === 0 ? primary : d
          return { ...depWhere(pkg, dep), detail: `depends on ${dep}@${pkg.deps[dep]}` }
        })
        const config = rule.configs?.find((c) => filesHere().has(c))
        if (config !== undefined) evidence.push({ file: reader.join(pkg.dir, config), detail: `${config} present` })
      } else if (rule.configOnly) {
        const config = rule.configs?.find((c) => filesHere().has(c))
        if (config === undefined || !reader.exists(reader.join(pkg.dir, config))) continue
        evidence = [{ file: reader.join(pkg.dir, config), detail: `${config} present (no ${rule.deps[0]} dependency in ${pkg.file})` }]
      } else continue
      local.add(rule.name)
      const entry = found.get(rule.name)
      if (!entry) found.set(rule.name, { version, evidence, packages: 1 })
      else {
        entry.packages++
        if (entry.evidence.length < 6) entry.evidence.push(...evidence.slice(0, 6 - entry.evidence.length))
        if (entry.version === null) entry.version = version
      }
    }
    const mine = byDir.get(pkg.dir) ?? new Set<string>()
    for (const name of local) mine.add(name)
    byDir.set(pkg.dir, mine)
  }
  const frameworks = [...found.entries()].map(([name, e]) => ({
      name,
      version: e.version,
      evidence: e.packages > 1 ? [...e.evidence, { file: ".", detail: `used by ${e.packages} packages` }] : e.evidence
    }))
  return { frameworks, byDir }
}

/** Monorepo/task tools present: turbo (also the legacy `"turbo"` key of package.json), nx (also a bare `workspace.json`), lerna, moon. */
export const detectTools = (reader: RepoReader, dir: string, pkg: PackageJson | null): Array<Framework> => {
  const out: Array<Framework> = []
  const tools: ReadonlyArray<{ name: string; deps: ReadonlyArray<string>; configs: ReadonlyArray<string> }> = [
    { name: "turbo", deps: ["turbo"], configs: ["turbo.json", "turbo.jsonc"] },
    { name: "nx", deps: ["nx", "@nrwl/workspace", "@nx/workspace"], configs: ["nx.json", "workspace.json"] },
    { name: "lerna", deps: ["lerna"], configs: ["lerna.json"] },
    { name: "moon", deps: ["@moonrepo/cli"], configs: [".moon/workspace.yml", ".moon/workspace.yaml"] }
  ]
  for (const t of tools) {
    const evidence: Array<Evidence> = []
    const config = t.configs.map((c) => reader.join(dir, c)).find((f) => reader.exists(f))
    if (config !== undefined) evidence.push({ file: config, detail: `${config.slice(config.lastIndexOf("/") + 1)} present` })
    if (t.name === "turbo" && config === undefined && pkg && isYamlMap(pkg.raw.turbo)) {
      evidence.push({ file: pkg.file, line: keyLine(pkg.text, "turbo"), detail: 'legacy "turbo" key in package.json (turbo 1.x configuration)' })
    }
    const dep = t.deps.find((d) => pkg?.deps[d] !== undefined)
    if (dep !== undefined && pkg) evidence.push({ file: pkg.file, line: keyLine(pkg.text, dep, "ependencies"), detail: `depends on ${dep}@${pkg.deps[dep]}` })
    if (evidence.length === 0) continue
    // a workspace.json alone is also Angular CLI's old format: nx only with an nx dependency or nx-shaped projects
    if (t.name === "nx" && config?.endsWith("workspace.json") && dep === undefined && !isNxWorkspaceJson(reader, config)) continue
    out.push({ name: t.name, version: cleanVersion(dep !== undefined ? pkg?.deps[dep] : undefined), evidence })
  }
  return out
}

/** An Nx `workspace.json`: `projects` maps names to directories (v2) or to configurations with `root` and `targets`/`architect`. */
const isNxWorkspaceJson = (reader: RepoReader, file: string): boolean => {
  const text = reader.read(file)
  const parsed = text === null ? null : parseJsonc(text)
  if (!parsed?.ok || !isYamlMap(parsed.value) || !isYamlMap(parsed.value.projects)) return false
  return Object.values(parsed.value.projects).some((p) => typeof p === "string" || (isYamlMap(p) && typeof p.root === "string" && (isYamlMap(p.targets) || isYamlMap(p.architect))))
}
