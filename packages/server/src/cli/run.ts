/**
 * `ratchet run [dir] [--json] [--out DIR] [--budget-candidates N] [--llm PROVIDER:MODEL] [--llm-budget USD]`:
 * the whole pipeline, with the LLM agent as a second patch source when a model is named.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { ArtifactStore, LlmCall, Pipeline, RatchetError, Report, type Run } from "@ratchet/core"
import { print, printJson, progress } from "./Output.js"
import { resolveLlm } from "../internal/llm.js"
import { portsLayer, stateDir, testAdapter } from "./Runtime.js"
import { chooseSandbox, configFlag, dirArgument, jsonFlag, loadConfig, repositoryRoot, sandboxFlag, type Subcommand } from "./Shared.js"
import { table } from "./Table.js"

export const outFlag = Flag.String("out").pipe(
  Flag.withDescription("also write report.json, report.md, report.html and one .patch per proposal to this directory"),
  Flag.optional
)

export const llmFlag = Flag.String("llm").pipe(
  Flag.withDescription(
    "also let a language model find and write patches: openai:MODEL, anthropic:MODEL, google:MODEL or openai-compatible:MODEL@BASE_URL (keys from OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, OPENAI_COMPATIBLE_API_KEY)"
  ),
  Flag.optional
)

export const llmBudgetFlag = Flag.Finite("llm-budget").pipe(
  Flag.withDescription("stop the LLM agent before a call that could take its spending past this many US dollars (default: config llm.budget)"),
  Flag.optional
)

export const budgetCandidatesFlag = Flag.Int("budget-candidates").pipe(
  Flag.withDescription("validate at most this many candidates (and at most the config's budget.candidates; default 10)"),
  Flag.optional
)

/**
 * Writes the report files and one patch per proposal; returns the paths written.
 */
export const writeReport = (
  dir: string,
  report: Run.RunReport,
  extra: ReadonlyArray<readonly [string, string]> = []
): Effect.Effect<Array<string>, RatchetError.RatchetError> =>
  Effect.try({
    try: () => {
      const out = resolve(dir)
      mkdirSync(out, { recursive: true })
      const files: Array<[string, string]> = [
        ["report.json", `${JSON.stringify(report, null, 2)}\n`],
        ["report.md", `${Report.markdown(report)}\n`],
        ["report.html", Report.html(report)],
        ...report.proposals.map((p): [string, string] => [`${p.id}.patch`, p.diff]),
        ...report.proposals.map((p): [string, string] => [`${p.id}.md`, `${Report.proposalMarkdown(p)}\n`]),
        ...extra.map(([name, content]): [string, string] => [name, content])
      ]
      for (const [name, content] of files) writeFileSync(join(out, name), content)
      return files.map(([name]) => join(out, name))
    },
    catch: (cause) => RatchetError.badInput({ what: `cannot write the report: ${String(cause)}`, where: resolve(dir), fix: "pass a writable --out directory" }, cause)
  })

/**
 * Checks that `--out` names a directory this process can write (created when missing), by
 * writing and removing a probe file in it; fails with bad input (exit 2) otherwise.
 */
export const checkOutDir = (dir: string): Effect.Effect<string, RatchetError.RatchetError> =>
  Effect.suspend(() => {
    const out = resolve(dir)
    const bad = (what: string) => Effect.fail(RatchetError.badInput({ what, where: `--out ${out}`, fix: "pass a directory you can write (it is created when missing)" }))
    try {
      if (!statSync(out).isDirectory()) return bad("the output path is a file, not a directory")
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") return bad(`cannot read the output directory (${(e as NodeJS.ErrnoException).code})`)
      try {
        mkdirSync(out, { recursive: true })
      } catch (e2) {
        return bad(`cannot create the output directory (${(e2 as NodeJS.ErrnoException).code ?? String(e2)})`)
      }
    }
    const probe = join(out, `.ratchet-write-check-${process.pid}`)
    try {
      writeFileSync(probe, "")
      rmSync(probe, { force: true })
    } catch (e) {
      return bad(`the output directory is not writable (${(e as NodeJS.ErrnoException).code ?? String(e)})`)
    }
    return Effect.succeed(out)
  })

const pct = (x: number) => `${x <= 0 ? "" : "+"}${(x * 100).toFixed(1)}%`

/** Human summary of a run. */
export const formatRun = (report: Run.RunReport): string => {
  const lines: Array<string> = []
  const t = report.baseline.tests
  lines.push(`Baseline: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped${t.flaky?.length ? `, flaky: ${t.flaky.join(", ")}` : ""}`)
  if (report.baseline.reason) lines.push(`Baseline problem: ${report.baseline.reason}`)
  lines.push("")
  if (report.attempts.length > 0) {
    lines.push(
      table(
        ["candidate", "rule", "status", "reason"],
        report.attempts.map((a) => [a.candidateId ?? a.id, a.rule, a.status, a.reason.split("\n")[0] ?? ""])
      ),
      ""
    )
  }
  if (report.llm) {
    const l = report.llm
    const budget = [l.budget.usd !== null ? `$${l.budget.usd} per run` : null, l.budget.tokens !== null ? `${l.budget.tokens} tokens per run` : null, l.budget.dailyUsd !== null ? `$${l.budget.dailyUsd} per day` : null]
      .filter((b) => b !== null)
      .join(", ")
    lines.push(`LLM (triage ${l.triage}, patch ${l.patch}): ${LlmCall.describeTotals(l.totals)}${budget ? ` — budget ${budget}` : ""}`)
    for (const t of l.targets) lines.push(`  ${t.file}#${t.symbol}: ${t.outcome}`)
    if (l.stopped) lines.push(`  stopped: ${l.stopped}`)
    for (const w of l.warnings) lines.push(`  warning: ${w}`)
    lines.push("")
  }
  if (report.proposals.length === 0) {
    lines.push("No proposal this run.")
  } else {
    lines.push(
      table(
        ["proposal", "title", "kind", "speedup", "95% CI", "risk", "files"],
        report.proposals.map((p) => [
          p.id,
          p.title,
          p.kind ?? "performance",
          p.benchmark ? `${pct(p.benchmark.change)} ${p.benchmark.name}` : "—",
          p.benchmark ? `${pct(p.benchmark.ciLow)} … ${pct(p.benchmark.ciHigh)}` : "—",
          p.risk,
          p.files.join(", ")
        ])
      )
    )
  }
  return lines.join("\n")
}

export const runCommand: Subcommand<"run"> = Command.make(
  "run",
  { dir: dirArgument, json: jsonFlag, config: configFlag, out: outFlag, budgetCandidates: budgetCandidatesFlag, llm: llmFlag, llmBudget: llmBudgetFlag, sandbox: sandboxFlag },
  (args) =>
    Effect.gen(function* () {
      // --out is checked before any work: a bad one must not surface after a long run.
      if (args.out._tag === "Some") yield* checkOutDir(args.out.value)
      const root = yield* repositoryRoot(args.dir)
      // one config load per run: the working tree's (or --config), used as is by every stage
      const config = yield* loadConfig(root, args.config)
      if (args.budgetCandidates._tag === "Some" && args.budgetCandidates.value < 0) {
        return yield* Effect.fail(
          RatchetError.badInput({ what: "--budget-candidates must be 0 or more", where: String(args.budgetCandidates.value), fix: "pass a non-negative number" })
        )
      }
      const state = stateDir()
      const sandbox = yield* chooseSandbox(args.sandbox, [state])
      const llm = yield* resolveLlm({
        config,
        overrides: {
          ...(args.llm._tag === "Some" ? { spec: args.llm.value } : {}),
          ...(args.llmBudget._tag === "Some" ? { budgetUsd: args.llmBudget.value } : {})
        },
        stateDir: state
      })
      const started = Date.now()
      const { report, harnesses } = yield* Effect.gen(function* () {
        const report = yield* Pipeline.run({
          source: root,
          config,
          testAdapter,
          ...(llm ? { llm } : {}),
          ...(args.budgetCandidates._tag === "Some" ? { budgetCandidates: args.budgetCandidates.value } : {}),
          onProgress: (p) => {
            if (!args.json) process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${p.stage.padEnd(8)} ${p.message}\n`)
          }
        })
        // synthesized benchmarks' harnesses go next to the report, so `node synthesized-f.mjs <baseline> <candidate>` works from there
        const store = yield* ArtifactStore.ArtifactStore
        const harnesses: Array<readonly [string, string]> = []
        if (args.out._tag === "Some") {
          for (const ref of report.proposals.flatMap((p) => p.artifacts ?? []).filter((a) => /^synthesized-[\w$-]+\.mjs$/.test(a.name))) {
            if (!harnesses.some(([name]) => name === ref.name)) harnesses.push([ref.name, new TextDecoder().decode(yield* store.get(ref.sha256))])
          }
        }
        return { report, harnesses }
      }).pipe(Effect.provide(portsLayer({ stateDir: state, sandbox })))
      const written = args.out._tag === "Some" ? yield* writeReport(args.out.value, report, harnesses) : []
      if (args.json) {
        yield* printJson(report)
      } else {
        yield* print(formatRun(report))
        if (written.length > 0) yield* print(`\nReport: ${written.find((f) => f.endsWith("report.html"))} (and report.md, one .patch per proposal${harnesses.length > 0 ? `, ${harnesses.map(([name]) => name).join(", ")}` : ""})`)
      }
      if (args.json && written.length > 0) yield* progress(`report written to ${resolve(args.out._tag === "Some" ? args.out.value : ".")}`)
    })
).pipe(Command.withDescription("Run the whole pipeline (detect → baseline → scan → patchgen → validate → package) and print proven proposals"))
