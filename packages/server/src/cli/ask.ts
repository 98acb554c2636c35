/**
 * `ratchet ask [dir] "<instruction>" [--path P]… [--json] [--out DIR] [--llm PROVIDER:MODEL] [--llm-budget USD]`:
 * a prompted task. The model plans the change (files, approach, acceptance criteria, risk), Ratchet
 * decides GO / NO-GO / DEFER with reasons, and on GO the one pipeline runs with the planned change
 * as its only patch source (policy → validate → package, as every candidate).
 */
import { resolve } from "node:path"
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { Agent, Detect, Pipeline, RatchetError, type Run, Task } from "@ratchet/core"
import { resolveLlm } from "../internal/llm.js"
import { print, printJson, progress } from "./Output.js"
import { checkOutDir, formatRun, llmBudgetFlag, llmFlag, outFlag, writeReport } from "./run.js"
import { portsLayer, stateDir, testAdapter } from "./Runtime.js"
import { configFlag, jsonFlag, loadConfig, repositoryRoot, type Subcommand } from "./Shared.js"

const wordsArgument = Argument.String("dir-and-instruction").pipe(
  Argument.withDescription('[dir] "<instruction>": the repository root (default: the current directory) and the change to make, in plain words'),
  Argument.between(1, 2)
)

const pathFlag = Flag.String("path").pipe(
  Flag.withDescription("keep the change within this repository-relative path (repeatable)"),
  Flag.atLeast(0)
)

/** The human view of a plan and its decision. */
export const formatDecision = (planned: Task.Planned): string => {
  const { plan, decision } = planned
  const lines = [`Decision: ${decision.verdict}`, ...decision.reasons.map((r) => `  - ${r}`)]
  if (decision.question !== null) lines.push(`Question: ${decision.question}`)
  if (plan.summary !== "") {
    lines.push(
      "",
      `Plan: ${plan.summary}`,
      `  files: ${plan.files.join(", ") || "none"}`,
      `  approach: ${plan.approach}`,
      ...plan.acceptanceCriteria.map((c) => `  accept: [${c.kind}] ${c.description}`),
      ...plan.nonGoals.map((g) => `  not: ${g}`),
      `  risk: ${plan.risk}; kind: ${plan.kind}`
    )
  }
  const c = planned.call
  lines.push(`  planned by ${c.provider}:${c.model} (${c.inputTokens} in, ${c.outputTokens} out, $${c.costUsd.toFixed(4)})`)
  return lines.join("\n")
}

export const askCommand: Subcommand<"ask"> = Command.make(
  "ask",
  { words: wordsArgument, paths: pathFlag, json: jsonFlag, config: configFlag, out: outFlag, llm: llmFlag, llmBudget: llmBudgetFlag },
  (args) =>
    Effect.gen(function* () {
      const [first, second] = args.words
      const dir = second === undefined ? "." : (first ?? ".")
      const instruction = (second ?? first ?? "").trim()
      if (instruction === "") {
        return yield* Effect.fail(RatchetError.badInput({ what: "the instruction is empty", where: "ratchet ask", fix: 'say what to change: ratchet ask . "make parse() faster"' }))
      }
      for (const p of args.paths) {
        if (p === "" || p.startsWith("/") || p.split("/").includes("..")) {
          return yield* Effect.fail(RatchetError.badInput({ what: "--path must be a repository-relative path", where: `--path ${p}`, fix: "name a file or directory inside the repository, e.g. --path src/parse.ts" }))
        }
      }
      if (args.out._tag === "Some") yield* checkOutDir(args.out.value)
      const root = yield* repositoryRoot(dir)
      const config = yield* loadConfig(root, args.config)
      const llm = yield* resolveLlm({
        config,
        overrides: {
          ...(args.llm._tag === "Some" ? { spec: args.llm.value } : {}),
          ...(args.llmBudget._tag === "Some" ? { budgetUsd: args.llmBudget.value } : {})
        },
        stateDir: stateDir()
      })
      if (llm === undefined) {
        return yield* Effect.fail(
          RatchetError.badInput({ what: "a prompted task needs a language model", where: "ratchet ask", fix: "pass --llm PROVIDER:MODEL (e.g. openai:gpt-5-mini), or set llm.patch in the config" })
        )
      }
      const request: Task.Request = { instruction, paths: [...args.paths] }
      const ports = portsLayer({ stateDir: stateDir() })
      const started = Date.now()
      const say = (message: string) => (args.json ? Effect.void : progress(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`))

      yield* say(`planning with ${llm.models.triage.model.provider}:${llm.models.triage.model.modelId}`)
      const profile = yield* Detect.detect(root)
      // planning spends from the same daily budget and ledger as the agent's calls
      const ledger = llm.ledger ?? Agent.memoryLedger()
      const budget = llm.settings?.budget ?? {}
      const today = yield* ledger.spent(root, Agent.dayOf(Date.now()))
      if (Agent.dailyLimitReached(budget, today) !== null) {
        return yield* Effect.fail(
          RatchetError.badInput({
            what: `the daily LLM budget for this repository is spent ($${today.usd.toFixed(4)}, ${today.tokens} tokens today, UTC)`,
            where: config.file ?? "llm.budget",
            fix: "raise llm.budget.dailyUsd / dailyTokens in the config, or wait for the next day (UTC)"
          })
        )
      }
      const planned = yield* Task.plan({ root, request, profile, model: llm.models.triage, config }).pipe(Effect.provide(ports))
      yield* ledger.add(root, Agent.dayOf(Date.now()), { usd: planned.call.costUsd, tokens: planned.call.inputTokens + planned.call.outputTokens })
      yield* say(`${planned.decision.verdict}: ${planned.decision.reasons[0] ?? ""}`)

      let report: Run.RunReport | null = null
      if (planned.decision.verdict === "GO") {
        report = yield* Pipeline.run({
          source: root,
          config,
          testAdapter,
          llm: { ...llm, profile: false },
          task: { request, plan: planned.plan },
          onProgress: (p) => {
            if (!args.json) process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${p.stage.padEnd(8)} ${p.message}\n`)
          }
        }).pipe(Effect.provide(ports))
      }
      const written = report !== null && args.out._tag === "Some" ? yield* writeReport(args.out.value, report) : []
      const evidence = report === null ? [] : report.proposals.map((p) => ({ proposal: p.id, criteria: Task.evidenceOf(planned.plan, p) }))
      if (args.json) {
        yield* printJson({ request, plan: planned.plan, decision: planned.decision, planCall: planned.call, report, evidence })
      } else {
        yield* print(formatDecision(planned))
        if (report !== null) {
          yield* print(`\n${formatRun(report)}`)
          for (const e of evidence) {
            yield* print(`\nAcceptance criteria of ${e.proposal}:`)
            for (const c of e.criteria) yield* print(`  ${c.status.padEnd(12)} ${c.criterion.description} — ${c.evidence}`)
          }
        }
        if (written.length > 0) yield* print(`\nReport: ${written.find((f) => f.endsWith("report.html"))}`)
      }
      if (args.json && written.length > 0) yield* progress(`report written to ${resolve(args.out._tag === "Some" ? args.out.value : ".")}`)
    })
).pipe(Command.withDescription('Ask for a change in plain words: plan, decide GO / NO-GO / DEFER, and on GO write the patch and prove it (ratchet ask . "make parse() faster"); the plan is not asked for once the config\'s daily LLM budget is spent'))
