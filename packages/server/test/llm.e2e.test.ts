import { execFileSync, spawn } from "node:child_process"
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { DEDUPE_FILES, DEDUPE_PLAN, GOOD } from "./helpers/dedupeRepo.js"
import { type LlmReply, type LlmRequest, scriptedLlm } from "./helpers/scriptedLlm.js"

// The LLM agent end to end, as a user runs it: the built `ratchet run --llm openai-compatible:MODEL@URL`
// against a scripted OpenAI-compatible server on loopback, on a real repository with real tests and a
// real benchmark (a quadratic dedupe). The model name picks the script.
const bin = join(import.meta.dirname, "..", "dist", "bin.js")
const work = mkdtempSync(join(tmpdir(), "ratchet-llm-e2e-"))
chmodSync(work, 0o755) // the sandbox's unprivileged user must reach the state directory below it
afterAll(() => (process.env.KEEP ? undefined : rmSync(work, { recursive: true, force: true })))

// Present in the environment to prove it never reaches the compatible endpoint, a prompt or a report.
const OPENAI_KEY = "sk-proj-NeverSendThisKeyToAnotherHost0123456789abcdef"

const fixture = (name: string, extra: Record<string, string> = {}) => {
  const root = join(work, name)
  const files: Record<string, string> = {
    ...DEDUPE_FILES,
    ...extra
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  const git = (...args: Array<string>) => execFileSync("git", args, { cwd: root, stdio: "pipe" })
  git("init", "-q")
  git("add", "-A")
  git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init")
  return root
}

// Faster, but sorts: the order test fails.
const BREAKS_A_TEST = `--- a/src/dedupe.js
+++ b/src/dedupe.js
@@ -1,8 +1,4 @@
 /** Unique items, first occurrence first. */
 export function dedupe(items) {
-  const out = []
-  for (const item of items) {
-    if (!out.includes(item)) out.push(item)
-  }
-  return out
+  return [...new Set(items)].sort((a, b) => a - b)
 }
`

const TRIAGE = { targets: [{ file: "src/dedupe.js", symbol: "dedupe", line: 2, idea: "Track seen items in a Set", rationale: "includes() inside the loop is quadratic", impact: "high" }] }

const isTriage = (r: LlmRequest) => r.body.response_format?.json_schema?.name === "triage"
const patch = (diff: string): LlmReply => ({
  kind: "tool",
  name: "propose_patch",
  args: { title: "Use a Set for membership in dedupe", explanation: "Set#has is O(1); the output order is the first-occurrence order as before.", diff },
  reasoning: "includes() scans the whole output array for every item."
})

const script = (request: LlmRequest): LlmReply => {
  switch (request.body.model) {
    case "good":
      return isTriage(request) ? { kind: "json", value: TRIAGE } : patch(GOOD)
    case "repair":
      if (isTriage(request)) return { kind: "json", value: TRIAGE }
      return request.body.messages.some((m) => m.role === "tool") ? patch(GOOD) : patch(BREAKS_A_TEST)
    case "budget":
      // the triage answer reports a large usage: at $1 per million tokens it takes $0.497 of $0.50
      return isTriage(request) ? { kind: "json", value: TRIAGE, usage: { prompt: 495_000, completion: 2_000 } } : patch(GOOD)
    default:
      return { kind: "text", text: "unknown script" }
  }
}

interface Report {
  readonly attempts: ReadonlyArray<{ readonly source: string; readonly rule: string; readonly status: string; readonly reason: string }>
  readonly proposals: ReadonlyArray<{
    readonly files: ReadonlyArray<string>
    readonly diff: string
    readonly benchmark: { readonly name: string; readonly change: number; readonly ciHigh: number } | null
    readonly llm?: { readonly calls: ReadonlyArray<{ readonly stage: string; readonly artifact: { readonly sha256: string } | null }>; readonly totals: { readonly calls: number } }
    readonly thinking?: { readonly reasoning: string } | null
    readonly artifacts?: ReadonlyArray<{ readonly name: string; readonly sha256: string }>
  }>
  readonly llm?: {
    readonly calls: ReadonlyArray<{ readonly stage: string; readonly round: number; readonly costUsd: number }>
    readonly totals: { readonly calls: number; readonly costUsd: number; readonly inputTokens: number }
    readonly stopped: string | null
    readonly targets: ReadonlyArray<{ readonly outcome: string }>
    readonly hotspots: ReadonlyArray<{ readonly file: string; readonly name: string }>
  }
}

const run = (repo: string, args: ReadonlyArray<string>, state: string) => cli(["run", repo, "--json", ...args], state)

const cli = (args: ReadonlyArray<string>, state: string) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, RATCHET_HOME: state, OPENAI_API_KEY: OPENAI_KEY },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill("SIGKILL"), 280_000)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })

const neverLeaksTheKey = (requests: ReadonlyArray<LlmRequest>, ...texts: Array<string>) => {
  for (const r of requests) expect(JSON.stringify(r)).not.toContain(OPENAI_KEY)
  for (const t of texts) expect(t).not.toContain(OPENAI_KEY)
}

describe("ratchet run --llm openai-compatible:…@http://127.0.0.1:PORT/v1 (scripted server)", () => {
  it("a real patch is proven faster and packaged with the model calls in its evidence", async () => {
    const llm = await scriptedLlm(script)
    try {
      const repo = fixture("good")
      const out = join(work, "good-report")
      const state = join(work, "state-good")
      const result = await run(repo, ["--llm", `openai-compatible:good@${llm.url}`, "--out", out], state)
      expect(result.code, result.stderr.slice(-4000)).toBe(0)
      const report = JSON.parse(result.stdout) as Report

      expect(llm.requests.map((r) => (isTriage(r) ? "triage" : "patch"))).toEqual(["triage", "patch"])
      const triagePrompt = llm.requests[0]!.body.messages.map((m) => m.content ?? "").join("\n")
      expect(triagePrompt).toContain("src/dedupe.js") // the profile and the map reached the model
      expect(report.llm?.hotspots.some((h) => h.file === "src/dedupe.js" && h.name === "dedupe"), JSON.stringify(report.llm?.hotspots)).toBe(true)

      const accepted = report.attempts.find((a) => a.source.startsWith("llm:") && a.status === "accepted")
      expect(accepted?.reason, JSON.stringify(report.attempts, null, 2)).toMatch(/^accepted: faster beyond noise/)
      expect(report.proposals).toHaveLength(1)
      const proposal = report.proposals[0]!
      expect(proposal.files).toEqual(["src/dedupe.js"])
      expect(proposal.diff).toMatch(/^diff --git a\/src\/dedupe.js b\/src\/dedupe.js/)
      expect(proposal.benchmark?.name).toBe("dedupe")
      expect(proposal.benchmark!.ciHigh).toBeLessThan(-0.03)
      expect(proposal.llm?.calls.map((c) => c.stage)).toEqual(["triage", "patch"])
      expect(proposal.thinking?.reasoning).toContain("includes() scans")
      // every call's prompt and response is an artifact listed with the proposal's evidence
      for (const call of proposal.llm!.calls) expect(proposal.artifacts?.some((a) => a.sha256 === call.artifact?.sha256)).toBe(true)
      const callArtifact = readdirSync(join(state, "artifacts"), { recursive: true })
        .map(String)
        .find((f) => f.includes(proposal.llm!.calls[1]!.artifact!.sha256.slice(0, 16)))
      expect(callArtifact).toBeDefined()

      expect(report.llm?.totals.calls).toBe(2)
      expect(report.llm?.stopped).toBeNull()
      const markdown = readFileSync(join(out, "report.md"), "utf8")
      expect(markdown).toContain("## LLM agent")
      expect(markdown).toContain("**Model calls:** 2 calls")
      neverLeaksTheKey(llm.requests, result.stdout, result.stderr, markdown)
    } finally {
      await llm.close()
    }
  }, 300_000)

  it("a patch that breaks a test is rejected, the failure goes back to the model, and the repair is proven", async () => {
    const llm = await scriptedLlm(script)
    try {
      const repo = fixture("repair")
      const result = await run(repo, ["--llm", `openai-compatible:repair@${llm.url}`], join(work, "state-repair"))
      expect(result.code, result.stderr.slice(-4000)).toBe(0)
      const report = JSON.parse(result.stdout) as Report

      const llmAttempts = report.attempts.filter((a) => a.source.startsWith("llm:"))
      expect(llmAttempts.map((a) => a.status)).toEqual(["rejected", "accepted"])
      expect(llmAttempts[0]!.reason).toMatch(/^tests failed: .*dedupe keeps first-occurrence order/)
      expect(llmAttempts[1]!.reason).toMatch(/^accepted: faster beyond noise/)

      // round 2 carries the rejection and the failing test's output as the tool result
      expect(llm.requests).toHaveLength(3)
      const feedback = llm.requests[2]!.body.messages.find((m) => m.role === "tool")
      expect(feedback?.content).toContain("tests failed")
      expect(feedback?.content).toContain("dedupe keeps first-occurrence order")
      expect(feedback?.content).toContain("<repository>")

      expect(report.proposals).toHaveLength(1)
      expect(report.proposals[0]!.diff).toContain("+  const seen = new Set()")
      expect(report.proposals[0]!.llm?.calls.map((c) => c.stage)).toEqual(["triage", "patch", "repair"])
      expect(report.llm?.targets[0]?.outcome).toMatch(/^accepted in round 2/)
      neverLeaksTheKey(llm.requests, result.stdout, result.stderr)
    } finally {
      await llm.close()
    }
  }, 300_000)

  it("a budget-exhausting script ends the run cleanly with the reason, before the call that could overspend", async () => {
    const llm = await scriptedLlm(script)
    try {
      const repo = fixture("budget", {
        "ratchet.config.mjs": `export default { llm: { prices: { "openai-compatible:budget": { input: 1, output: 1 } } } }\n`
      })
      const result = await run(repo, ["--llm", `openai-compatible:budget@${llm.url}`, "--llm-budget", "0.5"], join(work, "state-budget"))
      expect(result.code, result.stderr.slice(-4000)).toBe(0)
      const report = JSON.parse(result.stdout) as Report
      expect(llm.requests.map((r) => (isTriage(r) ? "triage" : "patch"))).toEqual(["triage"])
      expect(report.llm?.stopped).toMatch(/^the run's LLM budget of \$0\.50 is exhausted: \$0\.50 spent, and the next call could cost up to \$0\.0\d+$/)
      expect(report.llm?.totals.costUsd).toBeCloseTo(0.497, 6)
      expect(report.proposals.filter((p) => p.llm)).toHaveLength(0)
      expect(JSON.parse(readFileSync(join(work, "state-budget", "llm-spend.json"), "utf8")).days).toBeDefined()
    } finally {
      await llm.close()
    }
  }, 300_000)
})

// `ratchet ask`: the planner answers with a plan and its verdict, the deterministic rules decide, and
// on GO the same pipeline runs with the planned change as its only patch source.
const isPlan = (r: LlmRequest) => r.body.response_format?.json_schema?.name === "plan"
const askScript = (request: LlmRequest): LlmReply => {
  switch (request.body.model) {
    case "go":
      return isPlan(request) ? { kind: "json", value: DEDUPE_PLAN } : patch(GOOD)
    case "nogo":
      return { kind: "json", value: { ...DEDUPE_PLAN, files: ["src/dedupe.js", "test/dedupe.test.js"] } }
    default:
      return { kind: "text", text: "unknown script" }
  }
}

describe("ratchet ask (scripted server)", () => {
  it("GO: the plan is carried out as the run's only candidate, proven faster, with the acceptance criteria as evidence", async () => {
    const llm = await scriptedLlm(askScript)
    try {
      const repo = fixture("ask-go")
      const result = await cli(["ask", repo, "make dedupe faster, it is quadratic", "--json", "--llm", `openai-compatible:go@${llm.url}`], join(work, "state-ask-go"))
      expect(result.code, result.stderr.slice(-4000)).toBe(0)
      const out = JSON.parse(result.stdout)
      expect(out.decision.verdict).toBe("GO")
      expect(out.plan.files).toEqual(["src/dedupe.js"])
      // one planning call, then one patch call: no triage, no template candidates
      expect(llm.requests.map((r) => (isPlan(r) ? "plan" : "patch"))).toEqual(["plan", "patch"])
      expect(llm.requests[0]!.body.messages.map((m) => m.content ?? "").join("\n")).toContain("<request>\nmake dedupe faster, it is quadratic\n</request>")
      expect(llm.requests[1]!.body.messages.map((m) => m.content ?? "").join("\n")).toContain("Plan: dedupe tracks seen items in a Set")
      const report = out.report as Report
      expect(report.attempts.map((a) => a.rule)).toEqual(["prompt"])
      expect(report.attempts[0]!.reason, JSON.stringify(report.attempts, null, 2)).toMatch(/^accepted: faster beyond noise/)
      expect(report.proposals).toHaveLength(1)
      expect(report.proposals[0]!.files).toEqual(["src/dedupe.js"])
      expect(out.evidence[0].criteria.map((c: { status: string }) => c.status)).toEqual(["met", "met"])
    } finally {
      await llm.close()
    }
  }, 300_000)

  it("NO-GO: a plan that changes a test is refused with the policy's reason, and nothing runs", async () => {
    const llm = await scriptedLlm(askScript)
    try {
      const repo = fixture("ask-nogo")
      const result = await cli(["ask", repo, "make dedupe faster", "--json", "--llm", `openai-compatible:nogo@${llm.url}`], join(work, "state-ask-nogo"))
      expect(result.code, result.stderr.slice(-4000)).toBe(0)
      const out = JSON.parse(result.stdout)
      expect(out.decision.verdict).toBe("NO-GO")
      expect(out.decision.reasons.join("\n")).toContain("test/dedupe.test.js")
      expect(out.report).toBeNull()
      expect(llm.requests).toHaveLength(1)
      // for people: the decision, its reasons and the plan
      const human = await cli(["ask", repo, "make dedupe faster", "--llm", `openai-compatible:nogo@${llm.url}`], join(work, "state-ask-nogo"))
      expect(human.code, human.stderr).toBe(0)
      expect(human.stdout).toMatch(/^Decision: NO-GO\n {2}- the policy would block it: test\/dedupe.test.js/)
      expect(human.stdout).toContain("Plan: dedupe tracks seen items in a Set")
      expect(human.stdout).toContain("accept: [benchmark] the dedupe benchmark gets faster")
      // bad input: exit 2 with the problem named
      const empty = await cli(["ask", repo, "  ", "--json", "--llm", `openai-compatible:nogo@${llm.url}`], join(work, "state-ask-nogo"))
      expect(empty.code).toBe(2)
      expect(JSON.parse(empty.stdout).error.message).toContain("the instruction is empty")
      const noModel = await cli(["ask", repo, "make it faster", "--json"], join(work, "state-ask-nogo"))
      expect(noModel.code).toBe(2)
      expect(JSON.parse(noModel.stdout).error.message).toContain("needs a language model")
    } finally {
      await llm.close()
    }
  }, 300_000)

  it("planning spends from the daily budget in the ledger: once it is spent, ask refuses before calling the model", async () => {
    const llm = await scriptedLlm(askScript)
    try {
      // 1 350 tokens per scripted call: the first plan fits the 1 000-token day, the second does not start
      const repo = fixture("ask-daily", { "ratchet.config.mjs": "export default { llm: { budget: { dailyTokens: 1000 } } }\n" })
      const state = join(work, "state-ask-daily")
      const first = await cli(["ask", repo, "make dedupe faster", "--json", "--llm", `openai-compatible:nogo@${llm.url}`], state)
      expect(first.code, first.stderr.slice(-4000)).toBe(0)
      expect(JSON.parse(first.stdout).decision.verdict).toBe("NO-GO")
      const ledger = JSON.parse(readFileSync(join(state, "llm-spend.json"), "utf8")) as { days: Record<string, Record<string, { tokens: number }>> }
      expect(Object.values(ledger.days).flatMap((repos) => Object.values(repos).map((s) => s.tokens))).toEqual([1_350])
      const second = await cli(["ask", repo, "make dedupe faster", "--json", "--llm", `openai-compatible:nogo@${llm.url}`], state)
      expect(second.code).toBe(2)
      expect(JSON.parse(second.stdout).error.message).toContain("the daily LLM budget for this repository is spent")
      expect(llm.requests).toHaveLength(1)
    } finally {
      await llm.close()
    }
  }, 300_000)
})
