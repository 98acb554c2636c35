/**
 * Stage 2 — baseline: install, build, typecheck, test and bench in an isolated workspace.
 *
 * Each step the profile has runs through the `Sandbox` port (network only for install) and is
 * recorded with its command, cwd, exit code or signal, duration, CPU time, peak memory, an outcome
 * and a specific reason. Failures (install fails, build fails, tests fail, a step times out, a
 * command is missing, the disk fills) are outcomes in the report, never errors. Test results are
 * read through a {@link TestAdapter} (`@ratchet/runner` provides one for vitest, jest, mocha,
 * node:test, ava and bun); failing tests are rerun once and those that flip are marked flaky.
 * `logs.txt`, `baseline.json` and `trace.json` are stored through the `ArtifactStore` port.
 *
 * @since 0.1.0
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Clock, Effect } from "effect"
import { ArtifactStore } from "./ArtifactStore.js"
import type { ResolvedConfig } from "./Config.js"
import type { ArtifactRef } from "./Proposal.js"
import type { RatchetError } from "./RatchetError.js"
import type { CommandName, CommandSpec, RepoProfile } from "./RepoProfile.js"
import type { BaselineReport, StepResult } from "./Run.js"
import { type Limits, type RunResult, Sandbox } from "./Sandbox.js"
import type { TestOutcome, TestSummary } from "./TestSummary.js"
import type { WorkspaceHandle } from "./Workspace.js"

/**
 * How a test command is run and read back (`@ratchet/runner`'s `TestResults` implements it).
 *
 * @since 0.1.0
 */
export interface TestAdapter {
  readonly plan: (input: { readonly command: string; readonly cwd: string; readonly root: string; readonly reportDir: string }) => {
    readonly command: string
    readonly env: Readonly<Record<string, string>>
    readonly runner: string | null
    readonly notes: ReadonlyArray<string>
  }
  readonly read: (plan: ReturnType<TestAdapter["plan"]>, result: RunResult) => TestSummary
}

/** @since 0.1.0 */
export interface BaselineOptions {
  readonly profile: RepoProfile
  readonly workspace: WorkspaceHandle
  readonly config?: ResolvedConfig
  /** Reads test results; without one, counts stay zero and `tests.runner` is `null`. */
  readonly testAdapter?: TestAdapter
  /** Per-step wall-clock timeouts in ms (default: install 15 min, others 10 min, or `config.validate.stepTimeoutMs`). */
  readonly timeoutsMs?: Partial<Record<CommandName, number>>
  /** Resource limits for every step. */
  readonly limits?: Limits
  /** Captured output per step. Default 1 MiB. */
  readonly maxOutputBytes?: number
  /** Called after each step (progress for people). */
  readonly onStep?: (step: StepResult) => Effect.Effect<void>
  /** Rerun failing tests once to find flaky ones. Default `true`. */
  readonly rerunFailures?: boolean
  /** Extra environment for every step (e.g. `npm_config_cache`); secret-looking names are refused by the sandbox. */
  readonly env?: Readonly<Record<string, string>>
  /** Extra directories the steps may write (e.g. a package-manager cache). */
  readonly writable?: ReadonlyArray<string>
}

/**
 * The baseline report plus what was stored and what the sandbox warned about.
 *
 * @since 0.1.0
 */
export interface BaselineRun {
  readonly report: BaselineReport
  readonly artifacts: ReadonlyArray<ArtifactRef>
  readonly warnings: ReadonlyArray<string>
}

const ORDER: ReadonlyArray<CommandName> = ["install", "build", "typecheck", "test", "bench"]

/** Package-manager error lines worth quoting (npm prints its usage text and log path after the cause). */
const PM_ERROR = /^(?:npm (?:error|ERR!)|ERR_PNPM_\w+|YN\d{4}:|error |(?!(?:WARN|PASS|RUN|INFO|DONE|SKIP|TODO|BENCH)\b)[A-Z][A-Z0-9_]{2,}\s{2,}(?=\S))\s*/
const PM_NOISE = /complete log of this run|npm help|^npm (?:error|ERR!) (?:Usage:|Options:|aliases:|\[|npm \w+$|Clean install|--|\s{2})/

/** A stack frame (`at fn (file:1:2)`): never the reason. */
const STACK_FRAME = /^at\s/

/**
 * What a failed step's output says about why: the package manager's own error lines (npm's `npm error`, pnpm's
 * `ERR_PNPM_…` / `ENOTFOUND  …`, yarn's `YN0000:`), else the last lines that are not stack frames.
 */
const lastLines = (output: string, n = 3): string => {
  const lines = output
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
  const pmErrors = lines.filter((l) => PM_ERROR.test(l) && l.replace(PM_ERROR, "").length > 0 && !PM_NOISE.test(l))
  const said = lines.filter((l) => !STACK_FRAME.test(l))
  return (pmErrors.length > 0 ? pmErrors.slice(0, n) : (said.length > 0 ? said : lines).slice(-n)).join(" | ").slice(0, 400)
}

/**
 * Classifies a finished step: outcome and a specific reason.
 *
 * @since 0.1.0
 */
export const classify = (name: string, result: RunResult): { outcome: string; reason: string | null } => {
  if (result.refused !== undefined) return { outcome: "refused", reason: `${name} was not run: ${result.refused}` }
  if (result.timedOut) return { outcome: "timed-out", reason: `${name} timed out after ${result.durationMs} ms and was killed with its process tree` }
  if (/ENOSPC|No space left on device/i.test(result.output)) {
    return { outcome: "disk-full", reason: `${name} failed: the disk is full (ENOSPC); free space and rerun` }
  }
  const memory = result.warnings.find((w) => w.startsWith("memory limit exceeded"))
  if (memory) return { outcome: "memory-exceeded", reason: `${name} was killed: ${memory}` }
  if (result.exitCode === 0) return { outcome: "passed", reason: null }
  if (result.exitCode === 127) {
    const missing = /(?:sh: \d+: |sh: )?([^\s:]+): (?:command )?not found/.exec(result.output)?.[1]
    return { outcome: "missing-command", reason: `${name} failed: command not found${missing ? `: ${missing}` : ""} (exit 127); install it or fix the ${name} command` }
  }
  if (result.exitCode === 126) return { outcome: "failed", reason: `${name} failed: command not executable (exit 126)` }
  if (result.signal !== null) return { outcome: "killed", reason: `${name} was killed by ${result.signal}${result.signal === "SIGXCPU" ? " (CPU time limit)" : ""}` }
  if (result.exitCode === 152 || result.exitCode === 153) {
    return { outcome: "killed", reason: `${name} hit a resource limit (${result.exitCode === 152 ? "CPU time" : "file size"}), exit ${result.exitCode}` }
  }
  return { outcome: "failed", reason: `${name} failed with exit code ${result.exitCode}: ${lastLines(result.output)}` }
}

const toStep = (name: string, spec: CommandSpec, _cwd: string, result: RunResult): StepResult => {
  const { outcome, reason } = classify(name, result)
  return {
    name,
    command: spec.command,
    cwd: spec.cwd,
    exitCode: result.exitCode,
    signal: result.signal,
    durationMs: result.durationMs,
    cpuMs: result.cpuMs,
    peakMemoryBytes: result.peakMemoryBytes,
    timedOut: result.timedOut,
    outcome,
    reason
  }
}

const skipped = (name: string, spec: CommandSpec, reason: string): StepResult => ({
  name,
  command: spec.command,
  cwd: spec.cwd,
  exitCode: null,
  signal: null,
  durationMs: 0,
  outcome: "skipped",
  reason
})

const testName = (t: TestOutcome): string => (t.file ? `${t.file} > ${t.name}` : t.name)

/**
 * Merges a first test run with its rerun. A test whose outcome flipped between them (failed then passed, or
 * passed then failed) is flaky: counted as passed, listed in `flaky` and excluded from comparison. When either
 * run has no per-test outcomes (the runner reported counts only) and the rerun has no failure at all, every
 * failure of the first run is flaky (listed as unnamed). `failing` lists the tests that still fail.
 *
 * @since 0.1.0
 */
export const mergeRerun = (first: TestSummary, rerun: TestSummary): TestSummary => {
  const firstTests = first.tests ?? []
  const rerunTests = rerun.tests ?? []
  if (firstTests.length === 0 || rerunTests.length === 0) {
    // counts only; names where the runner's output gave all of them
    const firstNames = first.failing !== undefined && first.failing.length === first.failed ? first.failing : null
    const rerunNames = rerun.failing !== undefined && rerun.failing.length === rerun.failed ? rerun.failing : null
    if (first.failed > 0 && rerun.failed === 0 && rerun.passed > 0) {
      const flaky = firstNames ?? Array.from({ length: first.failed }, (_, i) => `unnamed test ${i + 1} of ${first.failed} (the runner reported counts only)`)
      return { ...first, passed: first.passed + first.failed, failed: 0, flaky: [...flaky], failing: [] }
    }
    if (firstNames !== null && rerunNames !== null) {
      const again = new Set(rerunNames)
      const before = new Set(firstNames)
      const passedOnRerun = firstNames.filter((n) => !again.has(n))
      const failedOnRerun = rerunNames.filter((n) => !before.has(n))
      return {
        ...first,
        passed: first.passed + passedOnRerun.length,
        failed: first.failed - passedOnRerun.length,
        flaky: [...passedOnRerun, ...failedOnRerun],
        failing: firstNames.filter((n) => again.has(n))
      }
    }
    return { ...first, failing: first.failing ?? firstTests.filter((t) => t.status === "failed").map(testName) }
  }
  const key = (t: TestOutcome) => `${t.file ?? ""}\0${t.name}`
  const onRerun = new Map(rerunTests.map((t) => [key(t), t.status]))
  const flaky: Array<string> = []
  let flippedToFail = 0
  const tests = firstTests.map((t) => {
    const again = onRerun.get(key(t))
    if (t.status === "failed" && again === "passed") {
      flaky.push(testName(t))
      return { ...t, status: "passed" as const, flaky: true }
    }
    if (t.status === "passed" && again === "failed") {
      flaky.push(testName(t))
      flippedToFail++
      return { ...t, flaky: true }
    }
    return t
  })
  const flippedToPass = flaky.length - flippedToFail
  return {
    ...first,
    passed: first.passed + flippedToPass,
    failed: first.failed - flippedToPass,
    flaky,
    failing: tests.filter((t) => t.status === "failed").map(testName),
    tests
  }
}

/**
 * Runs the baseline steps the profile has, records each, parses test results, detects flaky tests
 * and stores `logs.txt`, `baseline.json` and `trace.json`. Returns the report with artifact refs.
 *
 * @since 0.1.0
 */
export const run = Effect.fn("Baseline.run")(function* (options: BaselineOptions) {
  const sandbox = yield* Sandbox
  const store = yield* ArtifactStore
  const root = options.workspace.path
  const started = yield* Clock.currentTimeMillis
  const steps: Array<StepResult> = []
  const logs: Array<string> = []
  const trace: Array<Record<string, unknown>> = []
  const warnings = new Set<string>(options.workspace.warnings ?? [])
  let tests: TestSummary = { passed: 0, failed: 0, skipped: 0, runner: null, tests: [] }
  let stopReason: string | null = null
  const reportDir = mkdtempSync(join(tmpdir(), "ratchet-reports-"))
  chmodSync(reportDir, 0o755)
  // created up front so a sandbox that runs commands as another user hands them over with the rest
  for (const sub of ["1", "2"]) mkdirp(join(reportDir, sub))
  yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(reportDir, { recursive: true, force: true })))
  const stepTimeout = options.config?.validate?.stepTimeoutMs

  const exec = Effect.fnUntraced(function* (name: string, spec: CommandSpec, command: string, env: Readonly<Record<string, string>>) {
    const cwd = spec.cwd === "" || spec.cwd === "." ? root : join(root, spec.cwd)
    const at = (yield* Clock.currentTimeMillis) - started
    const result = yield* sandbox.run({
      command,
      cwd,
      env: { ...options.env, ...env },
      label: name,
      network: name === "install",
      timeoutMs: options.timeoutsMs?.[name as CommandName] ?? stepTimeout ?? (name === "install" ? 15 * 60_000 : 10 * 60_000),
      maxOutputBytes: options.maxOutputBytes ?? 1024 * 1024,
      ...(options.limits ? { limits: options.limits } : {}),
      writable: [root, reportDir, ...(options.writable ?? [])]
    })
    for (const w of result.warnings) if (!w.startsWith("timed out") && !w.startsWith("memory limit")) warnings.add(w)
    logs.push(
      `===== ${name}: ${command}\n===== cwd: ${cwd}\n${(result.notes ?? []).map((n) => `===== environment: ${n}\n`).join("")}${result.output}\n===== exit ${result.exitCode ?? "-"} signal ${result.signal ?? "-"} in ${result.durationMs} ms${result.droppedBytes > 0 ? ` (${result.droppedBytes} bytes of output dropped)` : ""}${result.warnings.length > 0 ? `\n===== warnings: ${result.warnings.join("; ")}` : ""}\n`
    )
    const step = toStep(name, spec, cwd, result)
    trace.push({
      type: "step",
      name,
      command,
      cwd,
      startMs: at,
      durationMs: result.durationMs,
      exitCode: result.exitCode,
      signal: result.signal,
      outcome: step.outcome,
      warnings: result.warnings,
      environment: result.notes ?? []
    })
    steps.push(step)
    if (options.onStep) yield* options.onStep(step)
    return { step, result }
  })

  for (const name of ORDER) {
    const spec = options.profile.commands[name]
    if (spec === null) continue
    if (stopReason !== null) {
      steps.push(skipped(name, spec, `not run: ${stopReason}`))
      continue
    }
    if (name === "install" && options.workspace.dependencies?.reused) {
      const step = { ...skipped(name, spec, `dependencies reused from an earlier install (key ${options.workspace.dependencies.key})`), outcome: "reused" }
      steps.push(step)
      trace.push({ type: "step", name, outcome: "reused" })
      continue
    }
    if (name === "test") {
      const cwd = spec.cwd === "" || spec.cwd === "." ? root : join(root, spec.cwd)
      const adapter = options.testAdapter
      const planned = adapter?.plan({ command: spec.command, cwd, root, reportDir: join(reportDir, "1") })
      if (planned) {
        for (const note of planned.notes) trace.push({ type: "note", step: name, note })
      }
      const { step, result } = yield* exec(name, spec, planned?.command ?? spec.command, planned?.env ?? {})
      if (planned && adapter) tests = adapter.read(planned, result)
      if (tests.failed > 0 && !result.timedOut && options.rerunFailures !== false && adapter) {
        const replanned = adapter.plan({ command: spec.command, cwd, root, reportDir: join(reportDir, "2") })
        const rerun = yield* exec("test (rerun)", spec, replanned.command, replanned.env)
        tests = mergeRerun(tests, adapter.read(replanned, rerun.result))
        trace.push({ type: "flaky", flaky: tests.flaky ?? [] })
      } else if (tests.failed > 0) {
        tests = { ...tests, failing: tests.failing ?? (tests.tests ?? []).filter((t) => t.status === "failed").map(testName) }
      }
      const index = steps.indexOf(step)
      const flaky = tests.flaky?.length ?? 0
      if (tests.failed > 0 && (step.outcome === "failed" || step.outcome === "passed")) {
        const names = (tests.failing ?? []).slice(0, 5)
        steps[index] = { ...step, outcome: "tests-failed", reason: `${tests.failed} test(s) failed${names.length > 0 ? `: ${names.join("; ")}` : ""}` }
      } else if ((step.outcome === "failed" || step.outcome === "passed") && flaky > 0) {
        // every failure passed on the rerun: the step passed, the flaky tests are left out of comparisons
        steps[index] = {
          ...step,
          outcome: "passed",
          flaky,
          reason: `${flaky} flaky test(s) changed outcome on the rerun and are excluded from comparison: ${(tests.flaky ?? []).slice(0, 10).join("; ")}${flaky > 10 ? ` and ${flaky - 10} more` : ""}`
        }
      } else if (step.outcome === "failed" && tests.passed + tests.failed + tests.skipped === 0) {
        steps[index] = { ...step, reason: `${step.reason ?? "test failed"} (no test results were reported: the runner crashed, found no tests or is misconfigured)` }
      }
      const final = steps[index]
      if (final.outcome !== "passed") stopReason = `the test step ${final.outcome === "timed-out" ? "timed out" : "failed"}`
      continue
    }
    const { step } = yield* exec(name, spec, spec.command, {})
    if (step.outcome !== "passed" && name !== "typecheck") stopReason = `the ${name} step ${step.outcome === "timed-out" ? "timed out" : "failed"}`
  }

  const failedStep = steps.find((s) => !["passed", "skipped", "reused"].includes(s.outcome ?? "") && !s.name.endsWith("(rerun)"))
  const outcome = failedStep === undefined ? "passed" : failedStep.outcome === "tests-failed" ? "tests-failed" : `${failedStep.name.replace(" (rerun)", "")}-${failedStep.outcome}`
  const report: BaselineReport = {
    commit: options.workspace.commit,
    steps,
    tests,
    outcome,
    reason: failedStep?.reason ?? null
  }
  const finished = yield* Clock.currentTimeMillis
  const artifacts: Array<ArtifactRef> = []
  artifacts.push(yield* store.put("logs.txt", logs.join("\n")))
  artifacts.push(yield* store.put("baseline.json", JSON.stringify(report, null, 2)))
  artifacts.push(
    yield* store.put(
      "trace.json",
      JSON.stringify({ stage: "baseline", commit: options.workspace.commit, startedAt: new Date(started).toISOString(), durationMs: finished - started, events: trace, warnings: [...warnings] }, null, 2)
    )
  )
  return { report, artifacts, warnings: [...warnings] } satisfies BaselineRun
})

const mkdirp = (dir: string) => {
  mkdirSync(dir, { recursive: true })
  chmodSync(dir, 0o755)
}

/**
 * Runs the baseline steps the profile has, records each and parses test results.
 *
 * @since 0.1.0
 */
export const baseline = (options: BaselineOptions): Effect.Effect<BaselineReport, RatchetError, Sandbox | ArtifactStore> =>
  Effect.scoped(run(options)).pipe(Effect.map((r) => r.report))

const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length))

/**
 * Renders a report for people: one row per step, then the test counts.
 *
 * @since 0.1.0
 */
export const format = (report: BaselineReport): string => {
  const rows = report.steps.map((s) => [
    s.name,
    `${s.outcome ?? (s.exitCode === 0 ? "passed" : "failed")}${s.flaky ? ` (flaky: ${s.flaky})` : ""}`,
    s.exitCode === null ? (s.signal ?? "-") : String(s.exitCode),
    s.outcome === "skipped" || s.outcome === "reused" ? "-" : `${(s.durationMs / 1000).toFixed(1)}s`,
    s.command
  ])
  const header = ["step", "outcome", "exit", "time", "command"]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells: Array<string>) => cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]))).join("  ")
  const out = [line(header), line(widths.map((w) => "-".repeat(w)))]
  for (const r of rows) out.push(line(r))
  const t = report.tests
  out.push("")
  out.push(
    `tests: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped${t.flaky && t.flaky.length > 0 ? `, ${t.flaky.length} flaky` : ""}${t.runner ? ` (${t.runner})` : ""}`
  )
  for (const name of t.flaky ?? []) out.push(`  flaky: ${name}`)
  const failing = t.failing ?? (t.tests ?? []).filter((x) => x.status === "failed").map(testName)
  for (const name of failing.slice(0, 20)) out.push(`  failed: ${name}`)
  if (failing.length > 20) out.push(`  … and ${failing.length - 20} more failing`)
  out.push(`baseline: ${report.outcome ?? "?"}${report.reason ? ` — ${report.reason}` : ""}${report.commit ? ` at ${report.commit.slice(0, 12)}` : ""}`)
  return out.join("\n")
}
