/**
 * GitHub Actions: every `run:` command CI executes, with file, line, working directory
 * and how much the workflow looks like "the CI" — following local composite actions
 * and local reusable workflows, substituting matrix values and inputs.
 */
import type { RepoReader } from "./reader.js"
import { joinCwd, normalizeCwd, splitScript } from "./shell.js"
import { isYamlMap, lineOf, locOf, readYaml, type YamlMap } from "./yaml.js"

export interface CiCommand {
  readonly command: string
  readonly cwd: string
  readonly file: string
  readonly line: number
  /** How "CI-like" the workflow and job are (higher is better). */
  readonly score: number
  /** Identifies the job (file + job id), to group commands of one job. */
  readonly job: string
  readonly order: number
  /** True when `${{ }}` expressions could not be resolved. */
  readonly unresolved: boolean
  /** The calling chain (workflow step or job that uses a local action or reusable workflow), outermost first. */
  readonly via: ReadonlyArray<{ readonly file: string; readonly line: number; readonly detail: string }>
}

export interface CiSetup {
  readonly pm: "npm" | "pnpm" | "yarn" | "bun" | "deno"
  readonly version: string | null
  readonly file: string
  readonly line: number
  readonly detail: string
}

export interface CiResult {
  readonly commands: ReadonlyArray<CiCommand>
  readonly setups: ReadonlyArray<CiSetup>
  readonly workflowFiles: ReadonlyArray<string>
}

const MAX_WORKFLOWS = 60
const MAX_DEPTH = 4

type Vars = Record<string, string>

const asMap = (u: unknown): YamlMap | undefined => (isYamlMap(u) ? u : undefined)
const asString = (u: unknown): string | undefined =>
  typeof u === "string" ? u : typeof u === "number" || typeof u === "boolean" ? String(u) : undefined

const GOOD = /(^|[^a-z])(ci|test|tests|testing|build|check|checks|main|pr|pull[-_ ]?request|node|nodejs|validate|verify|push|quality|unit)([^a-z]|$)/i
const BAD = /(release|publish|deploy|docs?|pages|stale|label|codeql|lock|triage|nightly|cron|canary|snapshot|size|lighthouse|greeting|dependabot|renovate|autofix|format|preview|changeset|sync|issue|welcome|security|scorecard|coverage-report)/i
const E2E = /(e2e|playwright|cypress|browser|integration|smoke)/i

const triggers = (on: unknown): Set<string> => {
  if (typeof on === "string") return new Set([on])
  if (Array.isArray(on)) return new Set(on.filter((x): x is string => typeof x === "string"))
  if (isYamlMap(on)) return new Set(Object.keys(on))
  return new Set()
}

const workflowScore = (file: string, wf: YamlMap): number => {
  const name = `${file.split("/").pop()} ${asString(wf.name) ?? ""}`
  let score = 0
  if (GOOD.test(name)) score += 2
  if (BAD.test(name)) score -= 3
  if (E2E.test(name)) score -= 2
  const on = triggers(wf.on ?? wf["true"])
  if (on.has("pull_request") || on.has("push") || on.has("merge_group") || on.has("pull_request_target")) score += 2
  else if (on.size > 0) score -= 1
  return score
}

const jobScore = (id: string, job: YamlMap): number => {
  const name = `${id} ${asString(job.name) ?? ""}`
  let score = 0
  if (/(^|[^a-z])(test|tests|unit|ci|build|check)([^a-z]|$)/i.test(name)) score += 1
  if (BAD.test(name) || E2E.test(name)) score -= 2
  if (/lint/i.test(name)) score -= 1
  return score
}

/** Substitutes `${{ matrix.x }}`, `${{ inputs.x }}`, `${{ env.X }}`; reports whether anything stayed unresolved. */
const substitute = (text: string, vars: Vars): { text: string; unresolved: boolean } => {
  let unresolved = false
  const out = text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (whole, expr: string) => {
    const key = expr.trim()
    if (key in vars) return vars[key]
    const fallback = /^(.+?)\s*\|\|\s*'([^']*)'$/.exec(key)
    if (fallback) return vars[fallback[1].trim()] ?? fallback[2]
    if (/^github\.workspace$/.test(key)) return "$GITHUB_WORKSPACE"
    if (/^(secrets|github|runner|steps|needs|vars|job|strategy)\./.test(key)) return whole.includes("secrets.") ? "" : whole
    unresolved = true
    return whole
  })
  return { text: out, unresolved: unresolved || /\$\{\{/.test(out) }
}

const matrixVars = (job: YamlMap): Vars => {
  const vars: Vars = {}
  const matrix = asMap(asMap(job.strategy)?.matrix)
  if (!matrix) return vars
  for (const [key, value] of Object.entries(matrix)) {
    if (key === "include" || key === "exclude") continue
    const first = Array.isArray(value) ? value[0] : value
    if (isYamlMap(first)) {
      for (const [k, v] of Object.entries(first)) {
        const s = asString(v)
        if (s !== undefined) vars[`matrix.${key}.${k}`] = s
      }
    } else {
      const s = asString(first)
      if (s !== undefined) vars[`matrix.${key}`] = s
    }
  }
  const include = matrix.include
  if (Array.isArray(include)) {
    for (const entry of include) {
      if (!isYamlMap(entry)) continue
      for (const [k, v] of Object.entries(entry)) {
        const s = asString(v)
        if (s !== undefined && !(`matrix.${k}` in vars)) vars[`matrix.${k}`] = s
      }
    }
  }
  return vars
}

const envVars = (vars: Vars, ...envs: Array<unknown>): Vars => {
  const out: Vars = { ...vars }
  for (const env of envs) {
    const m = asMap(env)
    if (!m) continue
    for (const [k, v] of Object.entries(m)) {
      const s = asString(v)
      if (s !== undefined) out[`env.${k}`] = substitute(s, out).text
    }
  }
  return out
}

const inputVars = (declared: unknown, given: unknown, callerVars: Vars): Vars => {
  const vars: Vars = {}
  const decl = asMap(declared)
  if (decl) {
    for (const [k, v] of Object.entries(decl)) {
      const d = asString(asMap(v)?.default)
      if (d !== undefined) vars[`inputs.${k}`] = d
    }
  }
  const g = asMap(given)
  if (g) {
    for (const [k, v] of Object.entries(g)) {
      const s = asString(v)
      if (s !== undefined) vars[`inputs.${k}`] = substitute(s, callerVars).text
    }
  }
  return vars
}

const PM_SETUP: ReadonlyArray<{ re: RegExp; pm: CiSetup["pm"]; versionKey: string | null }> = [
  { re: /^pnpm\/action-setup@/, pm: "pnpm", versionKey: "version" },
  { re: /^oven-sh\/setup-bun@/, pm: "bun", versionKey: "bun-version" },
  { re: /^denoland\/setup-deno@/, pm: "deno", versionKey: "deno-version" },
  { re: /^borales\/actions-yarn@/, pm: "yarn", versionKey: null },
  { re: /^antfu\/setup-pnpm/, pm: "pnpm", versionKey: null }
]

export const readCi = (reader: RepoReader): CiResult => {
  const commands: Array<CiCommand> = []
  const setups: Array<CiSetup> = []
  const dir = ".github/workflows"
  const files = reader
    .list(dir)
    .map((e) => e.name)
    .filter((n) => /\.ya?ml$/i.test(n))
    .sort()
  const workflowFiles = files.slice(0, MAX_WORKFLOWS).map((n) => `${dir}/${n}`)
  if (files.length > MAX_WORKFLOWS) reader.warn(`${dir}: ${files.length} workflow files; only the first ${MAX_WORKFLOWS} were read`)
  let order = 0

  const runSteps = (
    steps: unknown,
    file: string,
    ctx: { score: number; job: string; defaultCwd: string | null; vars: Vars; via: CiCommand["via"]; depth: number; composite: boolean }
  ): void => {
    if (!Array.isArray(steps)) return
    steps.forEach((raw, index) => {
      const step = asMap(raw)
      if (!step) return
      const stepVars = envVars(ctx.vars, step.env)
      const uses = asString(step.uses)
      if (uses !== undefined) {
        const usesLine = lineOf(step, "uses") ?? lineOf(steps, index) ?? 0
        for (const s of PM_SETUP) {
          if (s.re.test(uses)) {
            const version = s.versionKey ? asString(asMap(step.with)?.[s.versionKey]) ?? null : null
            setups.push({ pm: s.pm, version: version && !version.includes("${{") ? version : null, file, line: usesLine, detail: `uses ${uses}${version ? ` (${s.versionKey}: ${version})` : ""}` })
          }
        }
        if (/^actions\/setup-node@/.test(uses)) {
          const cache = asString(asMap(step.with)?.cache)
          if (cache === "npm" || cache === "pnpm" || cache === "yarn")
            setups.push({ pm: cache, version: null, file, line: lineOf(asMap(step.with), "cache") ?? usesLine, detail: `actions/setup-node with cache: ${cache}` })
        }
        if (uses.startsWith("./") && ctx.depth < MAX_DEPTH) {
          const actionDir = normalizeCwd(uses.replace(/@.*$/, ""))
          const actionFile = reader.exists(`${actionDir}/action.yml`) ? `${actionDir}/action.yml` : `${actionDir}/action.yaml`
          const action = asMap(readYaml(reader, actionFile))
          const runs = asMap(action?.runs)
          if (action && runs && asString(runs.using) === "composite") {
            const vars = inputVars(action.inputs, step.with, stepVars)
            runSteps(runs.steps, actionFile, {
              ...ctx,
              defaultCwd: null,
              vars: { ...ctx.vars, ...vars },
              via: [...ctx.via, { file, line: usesLine, detail: `step uses ${uses}` }],
              depth: ctx.depth + 1,
              composite: true
            })
          }
        }
        return
      }
      const run = asString(step.run)
      if (run === undefined) return
      // Steps that only run on macOS/Windows runners rank below the Linux ones.
      const cond = asString(step.if) ?? ""
      const osOnly = /(macos|windows)/i.test(cond) && !/!=/.test(cond)
      const stepScore = ctx.score - (osOnly ? 2 : 0)
      const loc = locOf(step, "run")
      const firstLine = loc ? loc.line + (loc.block ? 1 : 0) : 0
      const wdRaw = asString(step["working-directory"]) ?? ctx.defaultCwd ?? "."
      const wd = substitute(wdRaw, stepVars)
      const baseCwd = wd.unresolved ? "." : joinCwd(".", wd.text)
      for (const cmd of splitScript(run)) {
        const sub = substitute(cmd.text, stepVars)
        commands.push({
          command: sub.text,
          cwd: joinCwd(baseCwd, cmd.cd),
          file,
          line: firstLine + (loc?.block ? cmd.lineOffset : 0),
          score: stepScore,
          job: ctx.job,
          order: order++,
          unresolved: sub.unresolved || wd.unresolved,
          via: ctx.via
        })
      }
    })
  }

  const runWorkflow = (file: string, wf: YamlMap, score: number, vars: Vars, via: CiCommand["via"], depth: number, seen: ReadonlySet<string>): void => {
    const jobs = asMap(wf.jobs)
    if (!jobs) return
    const wfCwd = asString(asMap(asMap(wf.defaults)?.run)?.["working-directory"]) ?? null
    const wfVars = envVars(vars, wf.env)
    for (const [id, rawJob] of Object.entries(jobs)) {
      const job = asMap(rawJob)
      if (!job) continue
      const uses = asString(job.uses)
      const jScore = score + jobScore(id, job)
      const jVars = envVars({ ...wfVars, ...matrixVars(job) }, job.env)
      if (uses !== undefined) {
        if (uses.startsWith("./") && depth < MAX_DEPTH) {
          const target = normalizeCwd(uses.replace(/@.*$/, ""))
          if (seen.has(target)) continue
          const called = asMap(readYaml(reader, target))
          if (!called) continue
          const callDecl = asMap(asMap(called.on)?.workflow_call)?.inputs
          const inputs = inputVars(callDecl, job.with, jVars)
          runWorkflow(target, called, jScore, { ...jVars, ...inputs }, [...via, { file, line: lineOf(job, "uses") ?? 0, detail: `job ${id} uses ${uses}` }], depth + 1, new Set([...seen, target]))
        }
        continue
      }
      const jobCwdRaw = asString(asMap(asMap(job.defaults)?.run)?.["working-directory"]) ?? wfCwd
      const jobCwd = jobCwdRaw === null ? null : substitute(jobCwdRaw, jVars).text
      runSteps(job.steps, file, { score: jScore, job: `${file}#${id}`, defaultCwd: jobCwd, vars: jVars, via, depth, composite: false })
    }
  }

  for (const file of workflowFiles) {
    const wf = asMap(readYaml(reader, file))
    if (!wf) continue
    const on = triggers(wf.on ?? wf["true"])
    // Reusable-only workflows are visited through their callers.
    if (on.size === 1 && on.has("workflow_call")) continue
    runWorkflow(file, wf, workflowScore(file, wf), {}, [], 0, new Set([file]))
  }
  // Other CI systems, ranked below GitHub Actions: GitLab CI and CircleCI.
  const runScriptLines = (lines: unknown, file: string, container: unknown, key: string | number, score: number, job: string, cwd: string): void => {
    const list = Array.isArray(lines) ? lines : typeof lines === "string" ? [lines] : []
    list.forEach((line, index) => {
      const text = asString(line)
      if (text === undefined) return
      const loc = Array.isArray(lines) ? locOf(lines, index) : locOf(container, key)
      const first = loc ? loc.line + (loc.block ? 1 : 0) : 0
      for (const cmd of splitScript(text)) {
        const sub = substitute(cmd.text, {})
        commands.push({
          command: sub.text,
          cwd: joinCwd(cwd, cmd.cd),
          file,
          line: first + (loc?.block ? cmd.lineOffset : 0),
          score,
          job,
          order: order++,
          unresolved: /\$\{\{/.test(sub.text),
          via: []
        })
      }
    })
  }
  const gitlab = ".gitlab-ci.yml"
  if (reader.exists(gitlab)) {
    const doc = asMap(readYaml(reader, gitlab))
    const reserved = new Set(["stages", "variables", "default", "include", "workflow", "image", "services", "cache", "before_script", "after_script", "pages"])
    const globalBefore = doc ? (asMap(doc.default)?.before_script ?? doc.before_script) : undefined
    for (const [id, raw] of Object.entries(doc ?? {})) {
      const job = asMap(raw)
      if (!job || reserved.has(id) || id.startsWith(".") || job.script === undefined) continue
      const score = -1 + jobScore(id, job) + (GOOD.test(id) ? 1 : 0)
      const before = job.before_script ?? globalBefore
      if (before !== undefined) runScriptLines(before, gitlab, job.before_script !== undefined ? job : asMap(doc?.default) ?? doc, "before_script", score, `${gitlab}#${id}`, ".")
      runScriptLines(job.script, gitlab, job, "script", score, `${gitlab}#${id}`, ".")
    }
  }
  const circle = reader.exists(".circleci/config.yml") ? ".circleci/config.yml" : ".circleci/config.yaml"
  if (reader.exists(circle)) {
    const doc = asMap(readYaml(reader, circle))
    for (const [id, raw] of Object.entries(asMap(doc?.jobs) ?? {})) {
      const job = asMap(raw)
      if (!job || !Array.isArray(job.steps)) continue
      const score = -1 + jobScore(id, job) + (GOOD.test(id) ? 1 : 0)
      const jobCwd = asString(job.working_directory)
      const base = jobCwd && !jobCwd.startsWith("~") && !jobCwd.startsWith("/") ? normalizeCwd(jobCwd) : "."
      job.steps.forEach((step) => {
        const m = asMap(step)
        if (!m) return
        const run = m.run
        if (typeof run === "string") runScriptLines(run, circle, m, "run", score, `${circle}#${id}`, base)
        else if (isYamlMap(run) && typeof run.command === "string") {
          const wd = asString(run.working_directory)
          runScriptLines(run.command, circle, run, "command", score, `${circle}#${id}`, wd ? joinCwd(base, wd) : base)
        }
      })
    }
  }
  return { commands, setups, workflowFiles }
}
