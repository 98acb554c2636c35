/**
 * Choosing the install/build/typecheck/test/bench commands: what CI runs first, then
 * package.json scripts, then monorepo runners and framework conventions. Watch-mode
 * test scripts become non-interactive commands.
 */
import type { CommandSpec, Commands, Evidence, Framework, PackageManager } from "../../RepoProfile.js"
import type { CiCommand } from "./ci.js"
import { type PackageJson, scriptWhere } from "./packageJson.js"
import {
  categoryOf,
  categoryOfScript,
  type Category,
  type Classified,
  classify,
  classifyTokens,
  coreTokens,
  splitOperators
} from "./shell.js"

type Slot = keyof Commands

export interface CommandInputs {
  readonly pm: PackageManager
  readonly hasLockfile: boolean
  readonly projectDir: string
  readonly pkgAt: (dir: string) => PackageJson | null
  readonly ci: ReadonlyArray<CiCommand>
  readonly frameworks: ReadonlyArray<Framework>
  readonly tools: ReadonlyArray<Framework>
  readonly isMonorepo: boolean
  /** package.json of each workspace package. */
  readonly workspacePackages: ReadonlyArray<PackageJson>
  readonly exists: (file: string) => boolean
  readonly warn: (message: string) => void
  /** Task names declared in turbo.json (`tasks` or `pipeline`) or the legacy `"turbo"` key of package.json. */
  readonly turboTasks: { readonly file: string; readonly line?: number; readonly names: ReadonlyArray<string> } | null
  /** Task names declared for moon (`.moon/tasks.yml`, `.moon/tasks/*.yml`, projects' `moon.yml`). */
  readonly moonTasks?: { readonly file: string; readonly names: ReadonlyArray<string> } | null
  /** Framework names per package directory. */
  readonly frameworksByDir: ReadonlyMap<string, ReadonlySet<string>>
  /** The first file under `dir` (bounded walk) whose name matches, and whose head passes `accept` when given. */
  readonly findFile: (dir: string, name: RegExp, accept: ((head: string) => boolean) | null) => string | null
  /** The project's deno.json / deno.jsonc, when it has one. */
  readonly denoConfigFile?: string | null
}

/** Deno's default test and bench module names (`{*_,*.,}test.{ts,tsx,mts,js,mjs,jsx}`). */
const DENO_TEST_FILE = /^(?:.*[._])?test\.(?:ts|tsx|mts|js|mjs|jsx)$/
const DENO_BENCH_FILE = /^(?:.*[._])?bench\.(?:ts|tsx|mts|js|mjs|jsx)$/
/** What `bun test` picks up. */
const BUN_TEST_FILE = /(?:[._](?:test|spec)|_(?:test|spec))\.(?:ts|tsx|js|jsx|mjs|cjs|mts|cts)$/

const NPM_DEFAULT_TEST = /no test specified/

export const runScript = (pm: PackageManager, name: string): string => {
  switch (pm.name) {
    case "npm":
      return name === "test" ? "npm test" : `npm run ${name}`
    case "pnpm":
      return name === "test" ? "pnpm test" : `pnpm run ${name}`
    case "yarn":
      return `yarn ${name}`
    case "bun":
      return `bun run ${name}`
    case "deno":
      return `deno task ${name}`
  }
}

export const execBin = (pm: PackageManager, command: string): string => {
  switch (pm.name) {
    case "npm":
      return `npx ${command}`
    case "pnpm":
      return `pnpm exec ${command}`
    case "yarn":
      return `yarn ${command}`
    case "bun":
      return `bunx ${command}`
    case "deno":
      // Deno's own subcommands run as they are; a package binary through its npm package
      return /^deno\s/.test(command) ? command : command.startsWith("tsc ") ? `deno run -A npm:typescript/tsc ${command.slice(4)}` : `deno run -A npm:${command}`
  }
}

export const installCommand = (pm: PackageManager, hasLockfile: boolean): string => {
  switch (pm.name) {
    case "npm":
      return hasLockfile ? "npm ci" : "npm install"
    case "pnpm":
      return hasLockfile ? "pnpm install --frozen-lockfile" : "pnpm install"
    case "yarn":
      return hasLockfile ? (pm.variant === "berry" ? "yarn install --immutable" : "yarn install --frozen-lockfile") : "yarn install"
    case "bun":
      return hasLockfile ? "bun install --frozen-lockfile" : "bun install"
    case "deno":
      return hasLockfile ? "deno install --frozen" : "deno install"
  }
}

const recursiveRun = (pm: PackageManager, name: string): string => {
  switch (pm.name) {
    case "npm":
      return `npm run ${name} --workspaces --if-present`
    case "pnpm":
      return `pnpm -r run ${name}`
    case "yarn":
      return pm.variant === "berry" ? `yarn workspaces foreach -A run ${name}` : `yarn workspaces run ${name}`
    case "bun":
      return `bun run --filter '*' ${name}`
    case "deno":
      return `deno task --recursive ${name}`
  }
}

/** Whether a tool invocation would wait for file changes; returns the non-interactive tokens, or null when it is fine. */
export const unwatch = (tokens: ReadonlyArray<string>): Array<string> | null => {
  if (tokens.length === 0) return null
  const tool = tokens[0].split("/").pop()!
  const args = tokens.slice(1)
  const drop = (flags: ReadonlyArray<string>) => args.filter((a) => !flags.includes(a))
  if (tool === "vitest") {
    const first = args.find((a) => !a.startsWith("-"))
    if (first === "run" || first === "bench" || first === "list" || first === "related" && args.includes("--run")) return null
    if (args.includes("--run") || args.includes("--watch=false") || args.includes("--no-watch")) return null
    const rest = first === "watch" || first === "dev" ? args.filter((a) => a !== first) : args
    return ["vitest", "run", ...rest.filter((a) => a !== "--watch" && a !== "-w")]
  }
  if (tool === "jest") {
    if (!args.some((a) => a === "--watch" || a === "--watchAll" || a === "--watch=true" || a === "--watchAll=true")) return null
    return ["jest", ...drop(["--watch", "--watchAll", "--watch=true", "--watchAll=true"])]
  }
  if (tool === "react-scripts" && args[0] === "test") {
    if (args.some((a) => a === "--watchAll=false" || a === "--ci")) return null
    return ["react-scripts", "test", ...drop(["--watch", "--watchAll"]).slice(1), "--watchAll=false"]
  }
  if (tool === "deno" && ["test", "bench", "check", "run"].includes(args[0] ?? "")) {
    if (!args.some((a) => a === "--watch" || a.startsWith("--watch="))) return null
    return ["deno", ...args.filter((a) => a !== "--watch" && !a.startsWith("--watch="))]
  }
  if (tool === "bun" && args[0] === "test") {
    if (!args.includes("--watch")) return null
    return ["bun", ...drop(["--watch"])]
  }
  if (tool === "ng" && args[0] === "test") {
    if (args.some((a) => a === "--watch=false" || a === "--no-watch")) return null
    return ["ng", "test", ...drop(["--watch", "--watch=true"]).slice(1), "--watch=false"]
  }
  if (["mocha", "ava", "node", "tsc", "vue-tsc", "tsx", "uvu", "c8"].includes(tool)) {
    if (!args.some((a) => a === "--watch" || (a === "-w" && tool !== "node"))) return null
    return [tool, ...drop(["--watch", "-w"])]
  }
  return null
}

/** A non-interactive tool invocation as a command: runtimes (`deno`, `bun`) as they are, package binaries through exec. */
const execFixed = (pm: PackageManager, tokens: ReadonlyArray<string>): string =>
  tokens[0] === "deno" || tokens[0] === "bun" ? tokens.map(quote).join(" ") : execBin(pm, tokens.map(quote).join(" "))

const quote = (t: string): string => (/^[\w@%+=:,./-]+$/.test(t) ? t : `'${t.replace(/'/g, `'\\''`)}'`)

/**
 * A script body made non-interactive, as a runnable command, or `null` when it already is.
 * Single commands run through the package manager's exec (`npx vitest run`).
 */
export const nonInteractive = (pm: PackageManager, pkg: PackageJson, body: string): string | null => {
  const segments = splitOperators(body).map((s) => s.trim()).filter((s) => s !== "")
  let changed = false
  const rewritten = segments.map((segment) => {
    const tokens = coreTokens(segment)
    const fixed = unwatch(tokens)
    if (fixed) {
      changed = true
      const env = segment.slice(0, Math.max(0, segment.indexOf(tokens[0]))).trim()
      return `${env ? `${env} ` : ""}${execFixed(pm, fixed)}`
    }
    return segment
  })
  if (!changed) return null
  if (rewritten.length === 1) return rewritten[0]
  // Other segments may call local binaries: run them through exec when they are dependencies.
  return rewritten
    .map((s, i) => {
      if (s !== segments[i]) return s
      const bin = coreTokens(s)[0]
      return bin && bin in pkg.deps ? execBin(pm, s) : s
    })
    .join(" && ")
}

/** True when only the last command of a script body watches, and it is vitest (so `--run` can be appended). */
const vitestLast = (body: string): boolean => {
  const segments = splitOperators(body).map((x) => x.trim()).filter((x) => x !== "")
  const watching = segments.map((x) => unwatch(coreTokens(x)))
  const lastIndex = segments.length - 1
  return lastIndex >= 0 && watching.every((w, i) => (i === lastIndex ? w !== null && w[0] === "vitest" : w === null)) && !/[|>]/.test(segments[lastIndex])
}

/** Appends arguments for the script to a package-manager script invocation (`npm test -- --run`, `pnpm test --run`). */
const appendArgs = (pm: PackageManager["name"], command: string, args: string): string =>
  pm === "npm" && !/\s--(\s|$)/.test(command) ? `${command} -- ${args}` : `${command} ${args}`

interface Candidate {
  readonly slot: Slot
  readonly ci: CiCommand
  readonly classified: Classified
  readonly scriptKnown: boolean
}

/** What a script body does, from its commands: test wins over build, typecheck and bench. */
export const bodyCategory = (body: string): Category => {
  const found = new Set<Category>()
  for (const segment of splitOperators(body)) {
    const c = classifyTokens(coreTokens(segment))
    if (c) found.add(categoryOf(c))
  }
  for (const c of ["test", "build", "typecheck", "bench"] as const) if (found.has(c)) return c
  return "other"
}

/** The category of a script body that is a single direct tool invocation (no chains), else `null`. */
const singleTool = (body: string): Category | null => {
  const segments = splitOperators(body).filter((x) => x.trim() !== "")
  if (segments.length !== 1) return null
  const c = classifyTokens(coreTokens(segments[0]))
  return c?.type === "tool" ? categoryOf(c) : null
}

const slotOf = (category: Category): Slot | null =>
  category === "test" || category === "build" || category === "typecheck" || category === "bench" ? category : null

const PREFERRED_TEST = ["test", "test:ci", "test:unit", "test:run", "tests", "unit", "test:all", "test:node"]
const PREFERRED = {
  build: ["build", "compile", "build:all", "build:lib", "build:packages"],
  typecheck: ["typecheck", "type-check", "check-types", "types", "tsc", "check:types", "types:check", "lint:types", "typecheck:all", "ts:check", "check:ts"],
  bench: ["bench", "benchmark", "benchmarks", "bench:run", "perf"]
} as const

export const chooseCommands = (inputs: CommandInputs): { commands: Commands; projectDir: string } => {
  const { pm } = inputs
  const candidates: Array<Candidate> = []
  for (const ci of inputs.ci) {
    if (ci.unresolved) continue
    const c = classify(ci.command)
    if (!c) continue
    if (c.type === "install") {
      candidates.push({ slot: "install", ci, classified: c, scriptKnown: true })
      continue
    }
    let category = categoryOf(c)
    let scriptKnown = c.type !== "script" || c.pm === "turbo" || c.pm === "nx" || c.pm === "lerna" || c.pm === "moon" || c.recursive || c.filtered === true
    if (c.type === "script" && !scriptKnown) {
      const pkg = inputs.pkgAt(ci.cwd)
      const body = pkg?.scripts[c.name]
      scriptKnown = body !== undefined
      if (body !== undefined && category === "other") category = bodyCategory(body)
    }
    if (c.type === "script" && c.names && c.names.length > 1) {
      const slots = new Set(c.names.map((n) => slotOf(categoryOfScript(n))).filter((x): x is Slot => x !== null))
      for (const slot of slots) candidates.push({ slot, ci, classified: c, scriptKnown })
      continue
    }
    const slot = slotOf(category)
    if (slot) candidates.push({ slot, ci, classified: c, scriptKnown })
  }

  const rank = (a: Candidate, b: Candidate, anchor: Candidate | null): number => {
    if (anchor) {
      const ja = a.ci.job === anchor.ci.job ? 1 : 0
      const jb = b.ci.job === anchor.ci.job ? 1 : 0
      if (ja !== jb) return jb - ja
      const ca = a.ci.cwd === anchor.ci.cwd ? 1 : 0
      const cb = b.ci.cwd === anchor.ci.cwd ? 1 : 0
      if (ca !== cb) return cb - ca
    }
    const ka = a.scriptKnown ? 1 : 0
    const kb = b.scriptKnown ? 1 : 0
    if (ka !== kb) return kb - ka
    if (a.ci.score !== b.ci.score) return b.ci.score - a.ci.score
    return a.ci.order - b.ci.order
  }

  const pick = (slot: Slot, anchor: Candidate | null): Candidate | null => {
    const list = candidates.filter((c) => c.slot === slot && (slot !== "install" || c.classified.type !== "install" || c.classified.pm === pm.name))
    if (list.length === 0) return null
    return [...list].sort((a, b) => rank(a, b, anchor))[0]
  }

  const testPick = pick("test", null)
  const anchor = testPick ?? pick("build", null) ?? pick("install", null)
  const projectDir = anchor && inputs.pkgAt(anchor.ci.cwd) ? anchor.ci.cwd : inputs.projectDir
  const projectPkg = inputs.pkgAt(projectDir)

  const fromCi = (c: Candidate): CommandSpec => {
    const evidence: Array<Evidence> = [
      { file: c.ci.file, line: c.ci.line, detail: `CI runs \`${c.ci.command}\`${c.ci.cwd !== "." ? ` in ${c.ci.cwd}` : ""}` },
      ...[...c.ci.via].reverse().map((v) => ({ file: v.file, line: v.line, detail: v.detail }))
    ]
    let command = c.ci.command
    if (c.classified.type === "script" && c.classified.names && c.classified.names.length > 1 && c.slot !== "test") {
      // `turbo run build test` for the build slot: only the build task.
      const others = new Set(c.classified.names.filter((n) => slotOf(categoryOfScript(n)) !== c.slot))
      const kept = c.classified.names.filter((n) => !others.has(n))
      if (kept.length > 0) command = command.split(/\s+/).filter((t) => !others.has(t)).join(" ")
    }
    let confidence = c.scriptKnown ? 0.9 : 0.6
    if (c.ci.score < 0) confidence -= 0.15
    if (c.classified.type === "script" && (c.classified.pm === "npm" || c.classified.pm === "pnpm" || c.classified.pm === "yarn" || c.classified.pm === "bun")) {
      const pkg = inputs.pkgAt(c.ci.cwd)
      const body = pkg?.scripts[c.classified.name]
      if (pkg && body !== undefined) {
        evidence.push({ ...scriptWhere(pkg, c.classified.name), detail: `"${c.classified.name}": ${JSON.stringify(body)}` })
        if (!c.classified.recursive && !c.classified.filtered && c.slot === "test") {
          const fixed = nonInteractive(pm, pkg, body)
          if (fixed) {
            command = vitestLast(body) ? appendArgs(c.classified.pm as PackageManager["name"], command, "--run") : fixed
            evidence.push({ ...scriptWhere(pkg, c.classified.name), detail: "script runs in watch mode; made non-interactive" })
          }
        }
      } else if (!c.scriptKnown) {
        inputs.warn(`${c.ci.file}:${c.ci.line}: CI runs \`${c.ci.command}\` but ${c.ci.cwd === "." ? "" : `${c.ci.cwd}/`}package.json has no "${c.classified.name}" script`)
      }
    } else if (c.classified.type === "tool") {
      const tokens = coreTokens(c.ci.command)
      const tool = c.classified.tool
      const at = tokens.findIndex((t) => t.split("/").pop() === tool)
      const fixed = at === -1 ? null : unwatch(tokens.slice(at))
      if (fixed && c.slot === "test") command = execFixed(pm, fixed)
    }
    return { command, cwd: c.ci.cwd, confidence: round(confidence), evidence }
  }

  const fromScripts = (slot: "test" | "build" | "typecheck" | "bench"): CommandSpec | null => {
    const pkg = projectPkg
    if (!pkg) return null
    const scripts = pkg.scripts
    const names = Object.keys(scripts)
    const preferred = slot === "test" ? PREFERRED_TEST : PREFERRED[slot]
    const usable = (n: string) => !(slot === "test" && n === "test" && NPM_DEFAULT_TEST.test(scripts[n]))
    let name = preferred.find((n) => n in scripts && usable(n))
    if (name === undefined) name = names.find((n) => categoryOfScript(n) === slot && usable(n))
    // a script whose name says nothing but whose body is one such tool (`"check": "deno check main.ts"`)
    if (name === undefined && slot !== "test") name = names.find((n) => categoryOfScript(n) === "other" && singleTool(scripts[n]) === slot)
    if (name === undefined) return null
    // Prefer a non-watch variant when `test` itself watches.
    if (slot === "test" && nonInteractive(pm, pkg, scripts[name]) !== null) {
      const alt = ["test:ci", "test:run", "test:unit"].find((n) => n in scripts && nonInteractive(pm, pkg, scripts[n]) === null)
      if (alt) name = alt
    }
    const body = scripts[name]
    const evidence: Array<Evidence> = [{ ...scriptWhere(pkg, name), detail: `"${name}": ${JSON.stringify(body)}` }]
    let command = runScript(pm, name)
    if (slot === "test") {
      const fixed = nonInteractive(pm, pkg, body)
      if (fixed) {
        command = fixed
        evidence.push({ ...scriptWhere(pkg, name), detail: "script runs in watch mode; made non-interactive" })
      }
    }
    const confidence = name === slot || (preferred as ReadonlyArray<string>).includes(name) ? 0.75 : 0.6
    return { command, cwd: projectDir, confidence, evidence }
  }

  const fromRunners = (slot: "test" | "build" | "typecheck" | "bench"): CommandSpec | null => {
    if (!inputs.isMonorepo) return null
    const turbo = inputs.tools.find((t) => t.name === "turbo")
    const nx = inputs.tools.find((t) => t.name === "nx")
    const moon = inputs.tools.find((t) => t.name === "moon")
    if (turbo) {
      const task = inputs.turboTasks?.names.find((t) => categoryOfScript(t) === slot)
      if (task && inputs.turboTasks) {
        return { command: execBin(pm, `turbo run ${task}`), cwd: projectDir, confidence: 0.6, evidence: [{ file: inputs.turboTasks.file, ...(inputs.turboTasks.line !== undefined ? { line: inputs.turboTasks.line } : {}), detail: `turbo task "${task}"` }] }
      }
    }
    if (moon) {
      const task = inputs.moonTasks?.names.find((t) => categoryOfScript(t) === slot)
      if (task && inputs.moonTasks) {
        const viaPm = moon.evidence.some((e) => e.detail.startsWith("depends on"))
        return {
          command: viaPm ? execBin(pm, `moon run :${task}`) : `moon run :${task}`,
          cwd: projectDir,
          confidence: viaPm ? 0.6 : 0.45,
          evidence: [{ file: inputs.moonTasks.file, detail: `moon task "${task}": run it in every project that has it` }]
        }
      }
      if (!nx && !turbo) return null
    }
    if (nx && (slot === "test" || slot === "build")) {
      const nxFile = nx.evidence[0]?.file ?? "nx.json"
      return { command: execBin(pm, `nx run-many -t ${slot}`), cwd: projectDir, confidence: 0.45, evidence: [{ file: nxFile, detail: `nx workspace without a root "${slot}" script: run the ${slot} target of every project` }] }
    }
    if (nx) return null
    // Workspace packages with such a script: run it in each.
    const withScript = inputs.workspacePackages.filter((p) => Object.keys(p.scripts).some((n) => n === slot || (slot === "typecheck" && categoryOfScript(n) === "typecheck")))
    if (withScript.length === 0) return null
    const name = slot === "typecheck" ? (Object.keys(withScript[0].scripts).find((n) => categoryOfScript(n) === "typecheck") ?? "typecheck") : slot
    return {
      command: recursiveRun(pm, name),
      cwd: projectDir,
      confidence: 0.5,
      evidence: withScript.slice(0, 3).map((p) => ({ ...scriptWhere(p, name), detail: `workspace package has a "${name}" script` }))
    }
  }

  /**
   * Where a framework's conventional command runs: the project itself when it depends on the
   * framework, else the one workspace package that does (with that package as `cwd`); never the
   * root for a framework only a sub-project uses.
   */
  const frameworkDir = (name: string): string | null => {
    if (inputs.frameworksByDir.get(projectDir)?.has(name)) return projectDir
    const dirs = [...inputs.frameworksByDir.entries()].filter(([dir, names]) => dir !== projectDir && names.has(name)).map(([dir]) => dir)
    return dirs.length === 1 ? dirs[0] : null
  }

  const conventions = (slot: "test" | "build" | "typecheck" | "bench"): CommandSpec | null => {
    const pkg = projectPkg
    const deps = pkg?.deps ?? {}
    const file = pkg?.file ?? "package.json"
    const ev = (detail: string): Array<Evidence> => [{ file, detail }]
    if (pm.name === "deno") return denoConventions(slot)
    const byFramework = (table: ReadonlyArray<readonly [string, string]>): CommandSpec | null => {
      for (const [name, cmd] of table) {
        const dir = frameworkDir(name)
        if (dir === null) continue
        const at = inputs.pkgAt(dir)
        const where = dir === projectDir ? "" : ` (only ${dir} uses ${name})`
        return { command: execBin(pm, cmd), cwd: dir, confidence: dir === projectDir ? 0.45 : 0.4, evidence: [{ file: at?.file ?? file, detail: `${name} convention: ${cmd}${where}` }] }
      }
      return null
    }
    if (slot === "build") {
      const vinxi = "vinxi" in deps
      return byFramework([
        ["Next.js", "next build"],
        ["Nuxt", "nuxt build"],
        ["Astro", "astro build"],
        ["NestJS", "nest build"],
        ["Angular", "ng build"],
        ["TanStack Start", vinxi ? "vinxi build" : "vite build"],
        ["SvelteKit", "vite build"],
        ["Vite+", "vp build"],
        ["React+Vite", "vite build"],
        ["Remix", frameworkDir("Remix") !== null && inputs.frameworksByDir.get(frameworkDir("Remix") ?? "")?.has("Vite") ? "remix vite:build" : "remix build"],
        ["React Router", "react-router build"],
        ["Vite", "vite build"]
      ])
    }
    if (slot === "typecheck") {
      if (inputs.frameworksByDir.get(projectDir)?.has("Astro")) return { command: execBin(pm, "astro check"), cwd: projectDir, confidence: 0.45, evidence: ev("Astro convention: astro check") }
      if ("svelte-check" in deps) return { command: execBin(pm, "svelte-check"), cwd: projectDir, confidence: 0.45, evidence: ev("depends on svelte-check") }
      if ("vue-tsc" in deps) return { command: execBin(pm, "vue-tsc --noEmit"), cwd: projectDir, confidence: 0.45, evidence: ev("depends on vue-tsc") }
      const tsconfig = projectDir === "." ? "tsconfig.json" : `${projectDir}/tsconfig.json`
      if (inputs.exists(tsconfig) && ("typescript" in deps || inputs.pkgAt(".")?.deps.typescript !== undefined))
        return { command: execBin(pm, "tsc --noEmit"), cwd: projectDir, confidence: 0.5, evidence: [{ file: tsconfig, detail: "tsconfig.json and typescript present: tsc --noEmit" }] }
      return null
    }
    if (slot === "test") {
      if ("vitest" in deps) return { command: execBin(pm, "vitest run"), cwd: projectDir, confidence: 0.4, evidence: ev("depends on vitest, no test script") }
      if ("jest" in deps) return { command: execBin(pm, "jest"), cwd: projectDir, confidence: 0.4, evidence: ev("depends on jest, no test script") }
      if (pm.name === "bun") {
        const typed = "bun-types" in deps || "@types/bun" in deps
        const found = inputs.findFile(projectDir, BUN_TEST_FILE, (text) => text.includes("bun:test"))
        if (typed || found) {
          return {
            command: "bun test",
            cwd: projectDir,
            confidence: found ? 0.55 : 0.35,
            evidence: found ? [{ file: found, detail: "imports bun:test and there is no test script: bun's own test runner" }] : ev("bun project without a test script: bun test")
          }
        }
      }
      const ng = frameworkDir("Angular")
      if (ng !== null && ng === projectDir) return { command: execBin(pm, "ng test --watch=false"), cwd: ng, confidence: 0.4, evidence: ev("Angular convention: ng test --watch=false") }
      return null
    }
    for (const dir of ["bench", "benchmark", "benchmarks"]) {
      if ("vitest" in deps && inputs.exists(`${projectDir === "." ? "" : `${projectDir}/`}${dir}/.`)) {
        return { command: execBin(pm, "vitest bench --run"), cwd: projectDir, confidence: 0.35, evidence: ev(`${dir}/ directory and vitest`) }
      }
    }
    return null
  }

  /** Deno without a task for the slot: its built-in test, bench and type-check commands, when there is something to run. */
  const denoConventions = (slot: "test" | "build" | "typecheck" | "bench"): CommandSpec | null => {
    const config = inputs.denoConfigFile ?? projectPkg?.file ?? "deno.json"
    if (slot === "test") {
      const found = inputs.findFile(projectDir, DENO_TEST_FILE, null)
      return found
        ? { command: "deno test -A", cwd: projectDir, confidence: 0.55, evidence: [{ file: found, detail: "Deno test module and no test task: deno test (all permissions: the sandbox is the boundary)" }] }
        : null
    }
    if (slot === "bench") {
      const found = inputs.findFile(projectDir, DENO_BENCH_FILE, null)
      return found ? { command: "deno bench -A", cwd: projectDir, confidence: 0.5, evidence: [{ file: found, detail: "Deno bench module and no bench task: deno bench" }] } : null
    }
    if (slot === "typecheck") return { command: "deno check", cwd: projectDir, confidence: 0.5, evidence: [{ file: config, detail: "Deno project without a check task: deno check (type-checks every module)" }] }
    return null
  }

  const result: { -readonly [K in Slot]: CommandSpec | null } = { install: null, build: null, typecheck: null, test: null, bench: null }
  for (const slot of ["test", "build", "typecheck", "bench"] as const) {
    const c = slot === "test" ? testPick : pick(slot, anchor)
    const viaCi = c ? fromCi(c) : null
    const rootHasScript = projectPkg ? Object.keys(projectPkg.scripts).some((n) => categoryOfScript(n) === slot) : false
    result[slot] = viaCi ?? fromScripts(slot) ?? (rootHasScript ? null : fromRunners(slot)) ?? conventions(slot)
  }

  // install: CI when it uses the chosen package manager; otherwise the lockfile-respecting default.
  const ciInstall = pick("install", anchor)
  if (ciInstall) result.install = fromCi(ciInstall)
  else {
    const evidence: Array<Evidence> = inputs.pm.evidence.slice(0, 2)
    result.install = {
      command: installCommand(pm, inputs.hasLockfile),
      cwd: projectDir,
      confidence: round(Math.min(inputs.pm.confidence, inputs.hasLockfile ? 0.85 : 0.65)),
      evidence
    }
  }
  return { commands: result, projectDir }
}


const round = (n: number): number => Math.max(0, Math.min(1, Math.round(n * 100) / 100))

