/**
 * Package manager detection. Precedence (highest first), each a weighted vote:
 *
 * 1. `packageManager` in the project's package.json (Corepack) — 100
 * 2. `devEngines.packageManager` — 90
 * 3. lockfiles in the project directory (`package-lock.json`, `npm-shrinkwrap.json`,
 *    `pnpm-lock.yaml`, `yarn.lock`, `bun.lock`, `bun.lockb`) — 50 each
 * 4. what CI runs to install (`npm ci`, `pnpm install`, ...) — 40; CI setup actions
 *    (`pnpm/action-setup`, `oven-sh/setup-bun`, `setup-node` `cache:`) — 20
 * 5. manager-specific config: `.yarnrc.yml` (berry), `pnpm-workspace.yaml`, `.pnpmfile.cjs`,
 *    `bunfig.toml`, `.tool-versions` — 15–25; `.npmrc` `package-lock=false` — 10 (npm)
 * 6. nothing: npm — 1
 *
 * Lockfiles inside fixtures/examples/tests are decoys: reported, never counted.
 */
import type { Evidence, PackageManager } from "../../RepoProfile.js"
import type { CiCommand, CiSetup } from "./ci.js"
import type { PackageJson } from "./packageJson.js"
import { keyLine } from "./packageJson.js"
import type { RepoReader } from "./reader.js"
import { classify, type PmName } from "./shell.js"
import { readYaml, isYamlMap } from "./yaml.js"
import type { DenoConfig } from "./deno.js"

export const LOCKFILES: ReadonlyArray<{ file: string; pm: PmName }> = [
  { file: "package-lock.json", pm: "npm" },
  { file: "npm-shrinkwrap.json", pm: "npm" },
  { file: "pnpm-lock.yaml", pm: "pnpm" },
  { file: "yarn.lock", pm: "yarn" },
  { file: "bun.lock", pm: "bun" },
  { file: "bun.lockb", pm: "bun" },
  { file: "deno.lock", pm: "deno" }
]

export interface Lockfile {
  readonly file: string
  readonly pm: PmName
  readonly detail: string
  readonly variant: "classic" | "berry" | null
}

interface Vote {
  readonly pm: PmName
  readonly weight: number
  readonly evidence: Evidence
  readonly kind: "field" | "lockfile" | "ci" | "config" | "default"
  readonly version?: string | null
  readonly variant?: "classic" | "berry" | null
}

export interface PmResult {
  readonly packageManager: PackageManager
  readonly lockfiles: ReadonlyArray<Lockfile>
}

/** Reads a lockfile's header to tell its format. */
export const sniffLockfile = (reader: RepoReader, file: string, pm: PmName): Lockfile => {
  const base = file.split("/").pop()!
  if (base === "bun.lockb") return { file, pm, variant: null, detail: "bun.lockb (binary bun lockfile)" }
  const head = reader.read(file, { headBytes: 4096 }) ?? ""
  if (pm === "yarn") {
    // Bun writes a Yarn v1 lockfile next to its own when asked (`bun install --yarn`, `print = "yarn"`), and says so
    const bun = /^#\s*bun\s+(\S*bun\.lockb?)\b/m.exec(head)
    if (bun) return { file, pm: "bun", variant: null, detail: `yarn.lock written by Bun ('# bun ${bun[1]}' header): Bun's Yarn-compatible copy, not Yarn` }
    if (/^__metadata:/m.test(head)) {
      const v = /__metadata:\s*\n\s+version:\s*(\d+)/.exec(head)
      return { file, pm, variant: "berry", detail: `yarn.lock has __metadata${v ? ` (lockfile version ${v[1]})` : ""}: Yarn Berry (2+)` }
    }
    if (/yarn lockfile v1/.test(head)) return { file, pm, variant: "classic", detail: "yarn.lock is '# yarn lockfile v1': Yarn Classic (1.x)" }
    return { file, pm, variant: null, detail: "yarn.lock (format not recognised)" }
  }
  if (pm === "pnpm") {
    const v = /^lockfileVersion:\s*['"]?([\d.]+)['"]?/m.exec(head)
    const lv = v?.[1]
    const hint = lv === undefined ? "" : Number(lv) >= 9 ? " (pnpm 9+)" : Number(lv) >= 6 ? " (pnpm 8)" : Number(lv) >= 5.4 ? " (pnpm 7)" : " (pnpm ≤6)"
    return { file, pm, variant: null, detail: `pnpm-lock.yaml${lv ? ` lockfileVersion ${lv}${hint}` : ""}` }
  }
  if (pm === "npm") {
    const v = /"lockfileVersion"\s*:\s*(\d+)/.exec(head)
    return { file, pm, variant: null, detail: `${base}${v ? ` lockfileVersion ${v[1]}` : ""}` }
  }
  if (pm === "deno") {
    const v = /"version"\s*:\s*"(\d+)"/.exec(head)
    return { file, pm, variant: null, detail: `deno.lock${v ? ` version ${v[1]}` : ""} (Deno lockfile)` }
  }
  return { file, pm, variant: null, detail: `${base} (bun text lockfile)` }
}

export const lockfilesIn = (reader: RepoReader, dir: string): Array<Lockfile> =>
  LOCKFILES.filter((l) => reader.exists(reader.join(dir, l.file))).map((l) => sniffLockfile(reader, reader.join(dir, l.file), l.pm))

const EXACT = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/

/**
 * A `packageManager` / `devEngines` name spec. Corepack wants `name@x.y.z[+hash]`; looser forms
 * (`^pnpm@8.0.0`, `pnpm@^8`, `yarn@4.x`, `pnpm`) still name the manager: `loose` says what is wrong.
 */
export const parseSpec = (spec: string): { name: PmName; version: string | null; range: string | null; loose: string | null } | null => {
  const m = /^\s*([\^~=<>v\s]*)(npm|pnpm|yarn|bun|deno)(?:@([^+\s]*))?(\+\S*)?\s*$/.exec(spec)
  if (!m) return null
  const name = m[2] as PmName
  const prefix = m[1].trim()
  const version = m[3] ?? null
  if (prefix !== "") return { name, version: null, range: `${prefix}${version ?? ""}`, loose: `a range operator before the name` }
  if (version === null || version === "") return { name, version: null, range: null, loose: "no version" }
  if (!EXACT.test(version.replace(/^v/, ""))) return { name, version: null, range: version, loose: `"${version}" is a range, not an exact version` }
  return { name, version: version.replace(/^v/, ""), range: null, loose: null }
}

/** What the warning about a loose `packageManager` suggests. */
const EXAMPLE_VERSION: Record<PmName, string> = { npm: "10.9.2", pnpm: "9.15.0", yarn: "4.5.3", bun: "1.1.42", deno: "2.1.4" }

const yarnVariant = (version: string | null | undefined): "classic" | "berry" | null => {
  if (!version) return null
  const major = Number(/^\D*(\d+)/.exec(version)?.[1])
  return Number.isFinite(major) ? (major >= 2 ? "berry" : "classic") : null
}

export const detectPackageManager = (
  reader: RepoReader,
  args: {
    readonly projectDir: string
    readonly pkg: PackageJson | null
    readonly ci: ReadonlyArray<CiCommand>
    readonly setups: ReadonlyArray<CiSetup>
    readonly lockfiles: ReadonlyArray<Lockfile>
    /** Non-decoy lockfiles elsewhere in the tree: weak votes. */
    readonly nestedLockfiles?: ReadonlyArray<Lockfile>
    /** `deno.json` / `deno.jsonc` of the project directory. */
    readonly deno?: DenoConfig | null
  }
): PackageManager => {
  const votes: Array<Vote> = []
  const { pkg, projectDir } = args
  const j = (f: string) => reader.join(projectDir, f)

  if (pkg) {
    const pmField = pkg.raw.packageManager
    if (typeof pmField === "string") {
      const spec = parseSpec(pmField)
      if (spec) {
        const line = keyLine(pkg.text, "packageManager")
        if (spec.loose !== null) {
          reader.warn(
            `${pkg.file}:${line ?? 1}: "packageManager": "${pmField}" is not an exact "${spec.name}@x.y.z" (${spec.loose}); Corepack refuses it. Using ${spec.name}${spec.range ? ` (${spec.range})` : ""}; write an exact version such as "${spec.name}@${EXAMPLE_VERSION[spec.name]}"`
          )
        }
        votes.push({
          pm: spec.name,
          weight: 100,
          kind: "field",
          version: spec.version,
          variant: spec.name === "yarn" ? yarnVariant(spec.version ?? spec.range) : null,
          evidence: { file: pkg.file, line, detail: `"packageManager": "${pmField}"${spec.loose !== null ? " (not an exact version)" : ""}` }
        })
      } else reader.warn(`${pkg.file}:${keyLine(pkg.text, "packageManager") ?? 1}: unrecognised packageManager "${pmField}"; ignored`)
    }
    const devEngines = pkg.raw.devEngines
    const dePm = isYamlMap(devEngines) ? devEngines.packageManager : undefined
    for (const entry of Array.isArray(dePm) ? dePm : dePm ? [dePm] : []) {
      if (!isYamlMap(entry) || typeof entry.name !== "string") continue
      const spec = parseSpec(entry.name)
      if (!spec) continue
      const version = typeof entry.version === "string" ? entry.version : null
      votes.push({
        pm: spec.name,
        weight: Array.isArray(dePm) ? 85 : 90,
        kind: "field",
        version,
        variant: spec.name === "yarn" ? yarnVariant(version?.replace(/^[\^~>=<\s]+/, "")) : null,
        evidence: { file: pkg.file, line: keyLine(pkg.text, "devEngines"), detail: `devEngines.packageManager: ${spec.name}${version ? `@${version}` : ""}` }
      })
      if (Array.isArray(dePm)) break
    }
    const deRuntime = isYamlMap(devEngines) ? devEngines.runtime : undefined
    for (const entry of Array.isArray(deRuntime) ? deRuntime : deRuntime ? [deRuntime] : []) {
      if (!isYamlMap(entry) || entry.name !== "deno") continue
      const version = typeof entry.version === "string" ? entry.version : null
      votes.push({
        pm: "deno",
        weight: 45,
        kind: "config",
        version: version && EXACT.test(version) ? version : null,
        evidence: { file: pkg.file, line: keyLine(pkg.text, "devEngines"), detail: `devEngines.runtime: deno${version ? `@${version}` : ""}` }
      })
      break
    }
  }
  if (args.deno) {
    const d = args.deno
    const base = d.file.slice(d.file.lastIndexOf("/") + 1)
    votes.push({ pm: "deno", weight: 45, kind: "config", evidence: { file: d.file, detail: `${base} present (Deno project configuration${Object.keys(d.tasks).length > 0 ? `, tasks: ${Object.keys(d.tasks).slice(0, 4).join(", ")}` : ""})` } })
  }

  if (pkg) {
    const engines = pkg.raw.engines
    if (isYamlMap(engines)) {
      for (const name of ["pnpm", "yarn", "bun"] as const) {
        const range = engines[name]
        if (typeof range === "string") {
          votes.push({ pm: name, weight: 15, kind: "config", variant: name === "yarn" ? yarnVariant(range.replace(/^[\^~>=<\s]+/, "")) : null, evidence: { file: pkg.file, line: keyLine(pkg.text, name, "engines"), detail: `engines.${name}: ${range}` } })
        }
      }
    }
    const onlyAllow = Object.entries(pkg.scripts).find(([, body]) => /only-allow\s+(npm|pnpm|yarn|bun)\b/.test(body))
    if (onlyAllow) {
      const name = /only-allow\s+(npm|pnpm|yarn|bun)\b/.exec(onlyAllow[1])![1] as PmName
      votes.push({ pm: name, weight: 30, kind: "config", evidence: { file: pkg.file, line: keyLine(pkg.text, onlyAllow[0], "scripts"), detail: `"${onlyAllow[0]}": "${onlyAllow[1]}"` } })
    } else {
      const mentions = new Map<PmName, string>()
      for (const [name, body] of Object.entries(pkg.scripts)) {
        const m = /(?:^|&&|;|\|\|)\s*(pnpm|yarn|bun)\s/.exec(body)
        if (m && !mentions.has(m[1] as PmName)) mentions.set(m[1] as PmName, name)
      }
      for (const [name, script] of mentions) {
        votes.push({ pm: name, weight: 10, kind: "config", evidence: { file: pkg.file, line: keyLine(pkg.text, script, "scripts"), detail: `script "${script}" runs ${name}` } })
      }
    }
  }
  for (const nested of args.nestedLockfiles ?? []) {
    votes.push({ pm: nested.pm, weight: 5, kind: "config", evidence: { file: nested.file, detail: `${nested.detail} (nested, not in the project directory)` } })
  }

  for (const lock of args.lockfiles) {
    // Bun's Yarn-compatible copy backs up its own lockfile: counted, just below it
    const copy = lock.pm === "bun" && lock.file.endsWith("yarn.lock")
    votes.push({ pm: lock.pm, weight: copy ? 45 : 50, kind: "lockfile", variant: lock.variant, evidence: { file: lock.file, detail: lock.detail } })
  }

  const ciPms = new Map<PmName, CiCommand>()
  for (const c of args.ci) {
    const k = classify(c.command)
    if (k?.type === "install" && !ciPms.has(k.pm)) ciPms.set(k.pm, c)
  }
  for (const [pm, c] of ciPms) {
    const k = classify(c.command)
    const args2 = k?.type === "install" ? k.args : []
    votes.push({
      pm,
      weight: 40,
      kind: "ci",
      variant: pm === "yarn" ? (args2.includes("--immutable") ? "berry" : args2.includes("--frozen-lockfile") ? "classic" : null) : null,
      evidence: { file: c.file, line: c.line, detail: `CI runs \`${c.command}\`` }
    })
  }
  const seenSetup = new Set<PmName>()
  for (const s of args.setups) {
    if (seenSetup.has(s.pm)) continue
    seenSetup.add(s.pm)
    votes.push({ pm: s.pm, weight: 20, kind: "ci", version: s.pm === "deno" ? (s.version?.replace(/^v/, "") ?? null) : s.version, evidence: { file: s.file, line: s.line, detail: s.detail } })
  }

  const roots = projectDir === "." ? ["."] : [projectDir, "."]
  for (const dir of roots) {
    const J = (f: string) => reader.join(dir, f)
    if (reader.exists(J(".yarnrc.yml"))) {
      const text = reader.read(J(".yarnrc.yml")) ?? ""
      const m = /^yarnPath:\s*['"]?([^'"\n]+)/m.exec(text)
      const version = m ? /yarn-(\d+\.\d+\.\d+[^/]*?)\.c?js$/.exec(m[1].trim())?.[1] ?? null : null
      votes.push({
        pm: "yarn",
        weight: 25,
        kind: "config",
        variant: version ? yarnVariant(version) : "berry",
        version,
        evidence: { file: J(".yarnrc.yml"), line: m ? text.slice(0, m.index).split("\n").length : undefined, detail: m ? `yarnPath: ${m[1].trim()}` : ".yarnrc.yml present (Yarn Berry config)" }
      })
    } else if (reader.exists(J(".yarnrc"))) {
      votes.push({ pm: "yarn", weight: 15, kind: "config", variant: "classic", evidence: { file: J(".yarnrc"), detail: ".yarnrc present (Yarn Classic config)" } })
    }
    if (reader.exists(J("pnpm-workspace.yaml"))) votes.push({ pm: "pnpm", weight: 25, kind: "config", evidence: { file: J("pnpm-workspace.yaml"), detail: "pnpm-workspace.yaml present" } })
    if (reader.exists(J(".pnpmfile.cjs"))) votes.push({ pm: "pnpm", weight: 15, kind: "config", evidence: { file: J(".pnpmfile.cjs"), detail: ".pnpmfile.cjs present" } })
    const pnp = [".pnp.cjs", ".pnp.js", ".pnp.loader.mjs"].find((f) => reader.exists(J(f)))
    if (pnp !== undefined) {
      votes.push({ pm: "yarn", weight: 30, kind: "config", variant: "berry", evidence: { file: J(pnp), detail: `${pnp} present: Yarn Plug'n'Play (Yarn Berry, no node_modules)` } })
    }
    const dvmrc = reader.read(J(".dvmrc"))
    if (dvmrc !== null && dvmrc.trim() !== "") {
      const v = dvmrc.trim().split(/\s/)[0].replace(/^v/, "")
      votes.push({ pm: "deno", weight: 20, kind: "config", version: EXACT.test(v) ? v : null, evidence: { file: J(".dvmrc"), line: 1, detail: `deno ${v} (.dvmrc)` } })
    }
    if (reader.exists(J("bunfig.toml"))) votes.push({ pm: "bun", weight: 15, kind: "config", evidence: { file: J("bunfig.toml"), detail: "bunfig.toml present" } })
    const npmrc = reader.read(J(".npmrc"))
    if (npmrc !== null) {
      const m = /^\s*package-lock\s*=\s*false\s*$/m.exec(npmrc)
      if (m) votes.push({ pm: "npm", weight: 10, kind: "config", evidence: { file: J(".npmrc"), line: npmrc.slice(0, m.index).split("\n").length, detail: "package-lock=false: npm without a lockfile" } })
    }
    const toolVersions = reader.read(J(".tool-versions"))
    if (toolVersions !== null) {
      toolVersions.split(/\r?\n/).forEach((line, i) => {
        const m = /^\s*(pnpm|yarn|bun|deno)\s+(\S+)/.exec(line)
        if (m) votes.push({ pm: m[1] as PmName, weight: 20, kind: "config", version: m[2], variant: m[1] === "yarn" ? yarnVariant(m[2]) : null, evidence: { file: J(".tool-versions"), line: i + 1, detail: line.trim() } })
      })
    }
    if (dir === projectDir) break
  }
  void j

  const nodeHint = (() => {
    for (const f of [".nvmrc", ".node-version"]) {
      const file = reader.join(projectDir, f)
      const t = reader.read(file)
      if (t !== null && t.trim() !== "") return { file, line: 1, detail: `node ${t.trim().split(/\s/)[0]} (${f})` } satisfies Evidence
    }
    const tv = reader.read(reader.join(projectDir, ".tool-versions"))
    const m = tv ? /^\s*(?:nodejs|node)\s+(\S+)/m.exec(tv) : null
    return m && tv ? ({ file: reader.join(projectDir, ".tool-versions"), line: tv.slice(0, m.index).split("\n").length, detail: `node ${m[1]} (.tool-versions)` } satisfies Evidence) : null
  })()

  if (votes.length === 0) {
    return {
      name: "npm",
      variant: null,
      version: null,
      confidence: 0.3,
      evidence: [
        { file: reader.join(projectDir, "package.json"), detail: "no packageManager field, lockfile, CI install step or manager config: assuming npm" },
        ...(nodeHint ? [nodeHint] : [])
      ]
    }
  }

  const totals = new Map<PmName, number>()
  for (const v of votes) totals.set(v.pm, (totals.get(v.pm) ?? 0) + v.weight)
  // The strongest single vote decides (precedence); totals break ties.
  const sorted = [...votes].sort((a, b) => b.weight - a.weight || (totals.get(b.pm) ?? 0) - (totals.get(a.pm) ?? 0))
  let winner = sorted[0].pm
  const topWeight = sorted[0].weight
  const tied = [...new Set(sorted.filter((v) => v.weight === topWeight).map((v) => v.pm))]
  if (tied.length > 1) {
    // Several lockfiles (or several signals of equal rank): the total of all other signals decides.
    tied.sort((a, b) => (totals.get(b) ?? 0) - (totals.get(a) ?? 0))
    winner = tied[0]
    if ((totals.get(tied[0]) ?? 0) === (totals.get(tied[1]) ?? 0)) {
      reader.warn(`ambiguous package manager: ${tied.join(" and ")} are equally supported; picked ${winner} (set profile.packageManager in ratchet.config.ts to choose)`)
    }
  }
  const mine = votes.filter((v) => v.pm === winner)
  const others = votes.filter((v) => v.pm !== winner)

  const lockOf = (pm: PmName) => args.lockfiles.filter((l) => l.pm === pm)
  const rootLocks = args.lockfiles
  if (rootLocks.length > 1 && new Set(rootLocks.map((l) => l.pm)).size > 1) {
    reader.warn(
      `several lockfiles in ${projectDir === "." ? "the root" : projectDir}: ${rootLocks.map((l) => l.file).join(", ")}; using ${winner} (${mine.filter((v) => v.kind !== "lockfile").map((v) => v.evidence.detail).join("; ") || "strongest signal"}); delete the stale lockfile`
    )
  }
  const fieldVote = votes.find((v) => v.kind === "field")
  if (fieldVote && fieldVote.pm !== winner) reader.warn(`${fieldVote.evidence.file}: ${fieldVote.evidence.detail} contradicts the chosen ${winner}`)
  if (fieldVote && fieldVote.pm === winner && rootLocks.length > 0 && lockOf(winner).length === 0) {
    reader.warn(`${fieldVote.evidence.file}: ${fieldVote.evidence.detail} but the lockfile is ${rootLocks.map((l) => l.file).join(", ")}`)
  }
  for (const [pm, c] of ciPms) {
    // Deno in a Node.js repository's CI is usually a JSR publish step, not a contradiction
    if (pm !== winner && pm !== "deno") reader.warn(`${c.file}:${c.line}: CI runs \`${c.command}\` (${pm}) but the repository uses ${winner}`)
  }
  if (winner === "yarn") {
    for (const c of args.ci) {
      const k = classify(c.command)
      if (k?.type === "install" && k.pm === "yarn") {
        const variantNow = pickVariant(mine)
        if (variantNow === "berry" && k.args.includes("--frozen-lockfile"))
          reader.warn(`${c.file}:${c.line}: CI runs \`${c.command}\`: --frozen-lockfile is a Yarn Classic flag, the repository uses Yarn Berry (--immutable)`)
        if (variantNow === "classic" && k.args.includes("--immutable"))
          reader.warn(`${c.file}:${c.line}: CI runs \`${c.command}\`: --immutable is a Yarn Berry flag, the repository uses Yarn Classic (--frozen-lockfile)`)
      }
    }
  }
  if (winner === "npm") {
    for (const c of args.ci) {
      const k = classify(c.command)
      if (k?.type === "install" && k.pm === "npm" && /^\s*(\S+=\S+\s+)*npm\s+(ci|clean-install)\b/.test(c.command) && lockOf("npm").length === 0 && c.cwd === projectDir)
        reader.warn(`${c.file}:${c.line}: CI runs \`${c.command}\` but there is no package-lock.json in ${projectDir === "." ? "the root" : projectDir}`)
    }
  }

  const version = mine.find((v) => v.version)?.version ?? null
  const variant = winner === "yarn" ? pickVariant(mine) ?? "classic" : null
  const linker = variant === "berry" ? berryLinker(reader, projectDir) : null
  const best = mine.reduce((a, b) => (b.weight > a.weight ? b : a))
  let confidence = best.kind === "field" ? 0.95 : best.kind === "lockfile" ? 0.9 : best.kind === "ci" ? 0.75 : 0.6
  if (mine.length > 1) confidence = Math.min(0.99, confidence + 0.04)
  if (others.some((o) => o.kind === "lockfile" || o.kind === "field")) confidence -= 0.2
  else if (others.length > 0) confidence -= 0.1
  return {
    name: winner,
    variant,
    version,
    confidence: Math.max(0.1, Math.round(confidence * 100) / 100),
    evidence: [...mine.sort((a, b) => b.weight - a.weight).map((v) => v.evidence), ...(nodeHint ? [nodeHint] : []), ...(linker?.evidence ? [linker.evidence] : [])],
    ...(linker ? { linker: linker.linker } : {})
  }
}

/**
 * Yarn Berry's linker: `nodeLinker` in `.yarnrc.yml` (default `pnp`), a `.pnp.cjs` as evidence that
 * Plug'n'Play is in use, and a warning when the two disagree.
 */
const berryLinker = (reader: RepoReader, dir: string): { linker: "pnp" | "node-modules"; evidence: Evidence | null } => {
  const rc = reader.join(dir, ".yarnrc.yml")
  const text = reader.read(rc)
  const m = text === null ? null : /^nodeLinker:\s*['"]?([\w-]+)/m.exec(text)
  const pnpFile = [".pnp.cjs", ".pnp.js"].map((f) => reader.join(dir, f)).find((f) => reader.exists(f))
  if (m && text !== null) {
    const line = text.slice(0, m.index).split("\n").length
    const linker = m[1] === "pnp" ? "pnp" : "node-modules"
    if (linker !== "pnp" && pnpFile !== undefined) reader.warn(`${pnpFile}: Plug'n'Play loader present but ${rc}:${line} sets nodeLinker: ${m[1]}; the .pnp.cjs is stale (delete it)`)
    return { linker, evidence: { file: rc, line, detail: `nodeLinker: ${m[1]}${linker === "pnp" ? " (Plug'n'Play: no node_modules)" : ""}` } }
  }
  if (pnpFile !== undefined) return { linker: "pnp", evidence: null }
  return { linker: "pnp", evidence: { file: text === null ? reader.join(dir, "yarn.lock") : rc, detail: "Yarn Berry without nodeLinker: Plug'n'Play (the default)" } }
}

const pickVariant = (votes: ReadonlyArray<Vote>): "classic" | "berry" | null => {
  const ranked = [...votes].filter((v) => v.variant).sort((a, b) => b.weight - a.weight)
  return ranked[0]?.variant ?? null
}

/** pnpm-workspace.yaml packages (and catalog) — `null` when absent. */
export const readPnpmWorkspace = (reader: RepoReader, dir: string): { packages: Array<string> | null; catalog: Record<string, string>; file: string } | null => {
  const file = reader.join(dir, "pnpm-workspace.yaml")
  if (!reader.exists(file)) return null
  const doc = readYaml(reader, file)
  const packages = isYamlMap(doc) && Array.isArray(doc.packages) ? doc.packages.filter((p): p is string => typeof p === "string") : null
  const catalog: Record<string, string> = {}
  if (isYamlMap(doc) && isYamlMap(doc.catalog)) for (const [k, v] of Object.entries(doc.catalog)) if (typeof v === "string") catalog[k] = v
  return { packages, catalog, file }
}
