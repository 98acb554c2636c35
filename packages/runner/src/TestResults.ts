/**
 * Test results you can trust: detect the test runner behind a test command, inject its
 * machine-readable reporter on the command line (never editing the repository), and parse the
 * report into counts and per-test outcomes — for vitest, jest, mocha, node:test, ava and bun,
 * with a fallback to the runners' plain summary lines.
 *
 * Package-manager script invocations (`npm test`, `npm run test`, `pnpm test`, `yarn test`,
 * `bun run test`, with extra `-- args`) are expanded from `package.json` (following nested
 * `npm run x` calls and npm's `pretest`), so the reporter flags land on the runner itself. The
 * expanded command runs with the package's `node_modules/.bin` directories on `PATH`.
 *
 * | runner    | injected                                                                 |
 * |-----------|--------------------------------------------------------------------------|
 * | vitest    | `--run --reporter=default --reporter=json --outputFile.json=<file>`      |
 * | jest      | `--ci --json --outputFile=<file>` (no `--ci` before Jest 20, which refuses it) |
 * | mocha     | `--reporter=json --reporter-option output=<file>`                        |
 * | node:test | `--test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination=<file>` |
 * | ava       | `--tap` (parsed from stdout)                                             |
 * | bun       | `--reporter=junit --reporter-outfile=<file>`                             |
 *
 * @since 0.1.0
 */
import { existsSync, readFileSync, realpathSync } from "node:fs"
import { basename, dirname, isAbsolute, join, relative, sep } from "node:path"
import type { Sandbox, TestSummary } from "@ratchet/core"
import { parse as parseJsonc } from "jsonc-parser"
import { failingNames, type Parsed, parseJestJson, parseJunit, parseMochaJson, parseSummary, parseTap } from "./internal/parsers.js"

/**
 * The supported runners.
 *
 * @since 0.1.0
 */
export type Runner = "vitest" | "jest" | "mocha" | "node:test" | "ava" | "bun" | "tape" | "deno"

/**
 * How a test command will be run and read back.
 *
 * @since 0.1.0
 */
export interface TestPlan {
  /** The command to run (the original one when nothing could be injected). */
  readonly command: string
  readonly runner: Runner | null
  /** Where the injected reporter writes, or `null` (stdout or summary parsing). */
  readonly reportFile: string | null
  /** Extra environment (PATH with `node_modules/.bin` when a script was expanded). */
  readonly env: Readonly<Record<string, string>>
  /** What was done, for logs. */
  readonly notes: ReadonlyArray<string>
  /**
   * The workspace root: test files reported as absolute paths inside it are made relative to it, so
   * the same test has the same identity in the baseline and in every candidate workspace.
   */
  readonly root?: string
}

const WRAPPERS = new Set(["npx", "cross-env", "c8", "nyc", "dotenv", "env", "exec", "time", "nice", "tsx", "ts-node"])
const SEPARATOR = /(\s*(?:&&|\|\||;)\s*)/

const tokens = (segment: string) => segment.trim().split(/\s+/).filter((t) => t.length > 0)

/**
 * Which runner a single shell command segment invokes, if any.
 *
 * @since 0.1.0
 */
export const runnerOf = (segment: string): Runner | null => {
  const ts = tokens(segment)
  let i = 0
  while (i < ts.length) {
    const t = ts[i]
    const base = basename(t.replace(/^["']|["']$/g, ""))
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(t) || t.startsWith("-")) {
      i++
      continue
    }
    if (WRAPPERS.has(base) || ((base === "pnpm" || base === "yarn" || base === "npm") && (ts[i + 1] === "exec" || ts[i + 1] === "dlx"))) {
      i += base === "pnpm" || base === "yarn" || base === "npm" ? 2 : 1
      continue
    }
    if (base === "vitest") return "vitest"
    if (base === "jest") return "jest"
    if (base === "mocha" || base === "_mocha") return "mocha"
    if (base === "ava") return "ava"
    if (base === "tape") return "tape"
    if (base === "bun") return ts[i + 1] === "test" ? "bun" : null
    if (base === "deno") return ts[i + 1] === "test" ? "deno" : null
    if (base === "node" || base === "node.exe") return ts.slice(i + 1).some((x) => x === "--test" || x.startsWith("--test=")) ? "node:test" : null
    return null
  }
  return null
}

/**
 * The segment up to its first pipe (`tape test/*.js | tap-spec` → `tape test/*.js`), ignoring `|` inside
 * quotes; `null` when it has none. Runners read back from stdout (ava, tape) must print their TAP to
 * Ratchet, not to a pretty-printer, whose exit code would also stand in for the tests'.
 */
const beforePipe = (segment: string): string | null => {
  let quote: string | null = null
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]
    if (quote !== null) {
      if (c === quote) quote = null
      else if (c === "\\" && quote === '"') i++
    } else if (c === "'" || c === '"') quote = c
    else if (c === "\\") i++
    else if (c === "|") return segment.slice(0, i).trimEnd()
  }
  return null
}

/**
 * Whether the jest installed for `cwd` (the nearest `node_modules/jest` up to `stopAt`) knows `--ci`, which
 * Jest 20 added; Jest 19 and older refuse unknown options and run no test. `true` when none is found.
 */
const jestKnowsCi = (cwd: string, stopAt: string | undefined): boolean => {
  for (let dir = cwd; ; dir = dirname(dir)) {
    try {
      const { version } = JSON.parse(readFileSync(join(dir, "node_modules", "jest", "package.json"), "utf8")) as { version?: unknown }
      const major = typeof version === "string" ? Number.parseInt(version, 10) : Number.NaN
      return !(major < 20)
    } catch {
      // not installed here: look further up
    }
    if ((stopAt !== undefined && dir === stopAt) || dirname(dir) === dir) return true
  }
}

const inject = (segment: string, runner: Runner, reportFile: string, jestCi = true): string => {
  switch (runner) {
    case "vitest": {
      const hasRun = /\bvitest\s+run\b/.test(segment) || /\s--run\b/.test(segment)
      return `${segment}${hasRun ? "" : " --run"} --reporter=default --reporter=json --outputFile.json=${reportFile}`
    }
    case "jest":
      return `${segment}${jestCi ? " --ci" : ""} --json --outputFile=${reportFile}`
    case "mocha":
      return `${segment} --reporter=json --reporter-option output=${reportFile}`
    case "node:test":
      return segment.replace(
        /(^|\s)(node(?:\.exe)?)(\s)/,
        `$1$2 --test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination=${reportFile}$3`
      )
    case "ava":
      return `${beforePipe(segment) ?? segment} --tap`
    case "tape":
      return beforePipe(segment) ?? segment // TAP on stdout already
    case "bun":
      return `${segment} --reporter=junit --reporter-outfile=${reportFile}`
    case "deno":
      // right after `deno test`: arguments after `--` belong to the tests
      return segment.replace(/(^|\s)(deno\s+test)(?=\s|$)/, `$1$2 --junit-path=${reportFile}`)
  }
}

const readScripts = (dir: string): Record<string, string> | null => {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { scripts?: Record<string, unknown> }
    const scripts: Record<string, string> = {}
    for (const [k, v] of Object.entries(pkg.scripts ?? {})) if (typeof v === "string") scripts[k] = v
    return scripts
  } catch {
    return null
  }
}

/** `deno task` runs deno.json(c) tasks (a string or `{ command }`), then package.json scripts. */
const readDenoTasks = (dir: string): Record<string, string> | null => {
  const tasks: Record<string, string> = { ...(readScripts(dir) ?? {}) }
  let found = Object.keys(tasks).length > 0
  for (const name of ["deno.json", "deno.jsonc"]) {
    const file = join(dir, name)
    if (!existsSync(file)) continue
    const config: unknown = parseJsonc(readFileSync(file, "utf8"), [], { allowTrailingComma: true })
    const declared = typeof config === "object" && config !== null && "tasks" in config ? config.tasks : null
    if (typeof declared === "object" && declared !== null) {
      for (const [k, v] of Object.entries(declared)) {
        const command = typeof v === "string" ? v : typeof v === "object" && v !== null && "command" in v && typeof v.command === "string" ? v.command : null
        if (command !== null) tasks[k] = command
      }
    }
    found = true
    break
  }
  return found ? tasks : null
}

/** `npm test -- --x` → { pm: "npm", script: "test", args: "--x" } */
const scriptCall = (segment: string): { pm: string; script: string; args: string } | null => {
  const task = /^deno\s+task\s+([A-Za-z0-9:_.-]+)((?:\s+.*)?)$/.exec(segment.trim())
  if (task) {
    if (/\s(--recursive|-r|--filter|-f|--cwd|--config|-c)\b/.test(task[2])) return null
    return { pm: "deno", script: task[1], args: task[2].trim().replace(/^--(\s+|$)/, "") }
  }
  const m =
    /^(npm|pnpm|yarn|bun)\s+(?:(?:run|run-script)\s+)?([A-Za-z0-9:_.-]+)((?:\s+.*)?)$/.exec(segment.trim())
  if (!m) return null
  const [, pm, script, rest] = m
  if (pm === "bun" && !/^bun\s+run\s/.test(segment.trim())) return null // `bun test` is the runner
  const direct = /^(npm|pnpm|yarn)\s+(test|t|tst)\b/.test(segment.trim())
  const viaRun = /^(npm|pnpm|yarn|bun)\s+(run|run-script)\s/.test(segment.trim())
  if (!direct && !viaRun && pm !== "yarn" && pm !== "pnpm") return null
  if (/\s(--workspaces|-ws|--workspace|-w|--filter|-r|--recursive)\b/.test(rest)) return null
  const args = rest.trim().replace(/^--(\s+|$)/, "")
  return { pm, script: script === "t" || script === "tst" ? "test" : script, args }
}

/**
 * Expands package-manager script calls into the commands they run (depth-limited).
 *
 * @since 0.1.0
 */
export const expand = (command: string, cwd: string, depth = 0): { command: string; expanded: boolean } => {
  if (depth > 4) return { command, expanded: false }
  const parts = command.split(SEPARATOR)
  let expanded = false
  const out = parts.map((part) => {
    if (SEPARATOR.test(part) && part.trim().length <= 2) return part
    const call = scriptCall(part)
    if (!call) return part
    const scripts = call.pm === "deno" ? readDenoTasks(cwd) : readScripts(cwd)
    const body = scripts?.[call.script]
    if (body === undefined) return part
    expanded = true
    const inner = expand(`${body}${call.args ? ` ${call.args}` : ""}`, cwd, depth + 1).command
    const pre = (call.pm === "npm" || call.pm === "yarn") && scripts?.[`pre${call.script}`] ? `${expand(scripts[`pre${call.script}`], cwd, depth + 1).command} && ` : ""
    return `${pre}${inner}`
  })
  return { command: out.join(""), expanded }
}

/** The nearest directory from `cwd` up to `stopAt` that holds a Plug'n'Play runtime (`.pnp.cjs`), or `null`. */
const pnpRoot = (cwd: string, stopAt: string | undefined): string | null => {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, ".pnp.cjs"))) return dir
    if ((stopAt !== undefined && dir === stopAt) || dirname(dir) === dir) return null
  }
}

const binPath = (cwd: string, stopAt: string | undefined): string => {
  const dirs: Array<string> = []
  let dir = cwd
  for (;;) {
    dirs.push(join(dir, "node_modules", ".bin"))
    if (stopAt !== undefined && dir === stopAt) break
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return dirs.join(":")
}

/**
 * Plans a test command: finds the runner (expanding package scripts) and injects its reporter.
 *
 * @since 0.1.0
 */
export const plan = (options: {
  readonly command: string
  readonly cwd: string
  /** A directory the sandboxed command may write, for the report file. */
  readonly reportDir: string
  /** The workspace root (PATH lookup of `node_modules/.bin` stops there). */
  readonly root?: string
  /** The host PATH to extend. Default `process.env.PATH`. */
  readonly hostPath?: string
}): TestPlan => {
  const notes: Array<string> = []
  const { command: full, expanded } = expand(options.command, options.cwd)
  const segments = full.split(SEPARATOR)
  const runners = segments.map((s) => (SEPARATOR.test(s) && s.trim().length <= 2 ? null : runnerOf(s)))
  const found = [...new Set(runners.filter((r): r is Runner => r !== null))]
  if (found.length !== 1) {
    notes.push(found.length === 0 ? "no known test runner found in the command; counts come from summary lines" : `several runners (${found.join(", ")}); counts come from summary lines`)
    return { command: options.command, runner: found.length === 1 ? found[0] : null, reportFile: null, env: {}, notes, root: options.root ?? options.cwd }
  }
  const runner = found[0]
  const ext = runner === "bun" || runner === "deno" ? "xml" : runner === "node:test" ? "tap" : "json"
  const reportFile = runner === "ava" || runner === "tape" ? null : join(options.reportDir, `report-${runner.replace(":", "-")}.${ext}`)
  const jestCi = runner !== "jest" || jestKnowsCi(options.cwd, options.root)
  if (!jestCi) notes.push("jest older than 20: no --ci (it would refuse the option)")
  let index = 0
  const command = segments
    .map((s, i) => {
      if (runners[i] !== runner) return s
      index++
      if (reportFile === null && beforePipe(s) !== null) notes.push(`dropped what ${runner}'s output was piped into (\`${s.slice(beforePipe(s)!.length).trim()}\`): Ratchet reads its TAP`)
      // several invocations of the same runner: each writes its own file, read back in order
      return inject(s, runner, reportFile === null ? "" : index === 1 ? reportFile : `${reportFile}.${index}`, jestCi)
    })
    .join("")
  notes.push(`test runner: ${runner}${expanded ? ` (expanded from "${options.command}")` : ""}`)
  // Yarn Plug'n'Play: no node_modules, so an expanded script finds its binaries and packages only inside Yarn's environment
  const pnp = expanded ? pnpRoot(options.cwd, options.root) : null
  if (pnp !== null) {
    notes.push(`Yarn Plug'n'Play (${join(pnp, ".pnp.cjs")}): the expanded command runs through \`yarn exec\``)
    return { command: `yarn exec '${command.replace(/'/g, `'\\''`)}'`, runner, reportFile, env: {}, notes, root: options.root ?? options.cwd }
  }
  const env: Record<string, string> = expanded
    ? { PATH: `${binPath(options.cwd, options.root)}:${dirname(process.execPath)}:${options.hostPath ?? process.env.PATH ?? ""}`, npm_lifecycle_event: "test" }
    : {}
  return { command, runner, reportFile, env, notes, root: options.root ?? options.cwd }
}

/**
 * Reads the results of a planned test run: the injected report when present, else stdout TAP
 * (ava), else the plain summary lines. Returns a `TestSummary` (zero counts and `runner: null`
 * when nothing could be read).
 *
 * @since 0.1.0
 */
export const read = (testPlan: TestPlan, result: Pick<Sandbox.RunResult, "output" | "stdout">): TestSummary.TestSummary => {
  let parsed: Parsed | null = null
  if (testPlan.reportFile !== null) {
    const files = [testPlan.reportFile, ...[2, 3, 4, 5, 6, 7, 8].map((n) => `${testPlan.reportFile}.${n}`)].filter((f) => existsSync(f))
    for (const file of files) {
      const text = readFileSync(file, "utf8")
      const one =
        testPlan.runner === "vitest" || testPlan.runner === "jest"
          ? parseJestJson(text)
          : testPlan.runner === "mocha"
            ? parseMochaJson(text)
            : testPlan.runner === "node:test"
              ? parseTap(text)
              : parseJunit(text)
      if (one) parsed = parsed ? { passed: parsed.passed + one.passed, failed: parsed.failed + one.failed, skipped: parsed.skipped + one.skipped, tests: [...parsed.tests, ...one.tests] } : one
    }
    // mocha without `output` support writes JSON to stdout
    if (parsed === null && testPlan.runner === "mocha") parsed = parseMochaJson(result.stdout)
  }
  if (parsed === null && (testPlan.runner === "ava" || testPlan.runner === "tape")) parsed = parseTap(result.stdout)
  // any other TAP producer: a plan line (`1..N`) and test points on stdout
  if (parsed === null && testPlan.runner === null && /^\s*1\.\.\d+\s*$/m.test(result.stdout)) parsed = parseTap(result.stdout)
  if (parsed !== null) {
    const root = testPlan.root
    let real: string | undefined
    try {
      real = root === undefined ? undefined : realpathSync(root)
    } catch {
      real = root
    }
    const inside = (base: string | undefined, file: string): string | null => {
      if (base === undefined) return null
      const rel = relative(base, file)
      return rel.startsWith("..") || isAbsolute(rel) ? null : rel.split(sep).join("/")
    }
    const tests = parsed.tests.map((t) => {
      if (t.file === undefined || !isAbsolute(t.file)) return t
      const rel = inside(root, t.file) ?? inside(real, t.file)
      return rel === null ? t : { ...t, file: rel }
    })
    return { passed: parsed.passed, failed: parsed.failed, skipped: parsed.skipped, runner: testPlan.runner ?? "tap", tests }
  }
  const summary = parseSummary(result.output)
  if (summary !== null) {
    const failing = summary.failed > 0 ? failingNames(result.output) : []
    return {
      passed: summary.passed,
      failed: summary.failed,
      skipped: summary.skipped,
      runner: testPlan.runner ?? summary.runner,
      tests: [],
      ...(failing.length > 0 ? { failing } : {})
    }
  }
  return { passed: 0, failed: 0, skipped: 0, runner: testPlan.runner, tests: [] }
}

/**
 * Parsers, exposed for adapters and tests.
 *
 * @since 0.1.0
 */
export const parsers = { jestJson: parseJestJson, vitestJson: parseJestJson, mochaJson: parseMochaJson, tap: parseTap, junit: parseJunit, summary: parseSummary }
