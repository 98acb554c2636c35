/**
 * `npm run eval:repos` — the whole pipeline (`ratchet run`) on public repositories we did not write, with
 * their own install, build and test commands: does each candidate keep the repository's tests green, and is
 * any of them proven faster?
 *
 * `scripts/eval-scan/repos.json` lists the repositories (owner/name, the commit, optionally a candidate
 * budget); only names and commits are kept here, never their code. Each commit is read from a local bare
 * mirror (`$RATCHET_EVAL_MIRRORS/<owner>+<name>/repo`, default `/work/.mirror`, where the library's `fetch`
 * tool puts them), exported into a temporary git repository, scanned with `Scan.scan` (default scope,
 * built-in templates: the findings by rule) and run through the built CLI, `ratchet run <dir> --out …`
 * (sandboxed as usual; its install step needs the npm registry). From the report, every validated candidate
 * is counted as
 * - **tests green**: accepted, or rejected only for its proof (not faster beyond noise, unproven) — its
 *   build, typecheck and tests passed like the baseline's;
 * - **broke**: its patch did not apply, or its build, typecheck or tests failed or timed out, where the
 *   baseline's passed — each is listed with its reason, since a template must never do that;
 * - **other**: refused before running (policy, touching what measures it).
 * Proposals are split into proven (`performance`: faster beyond noise) and `tech-debt` (tests pass, no
 * speedup claimed). Nothing is asserted; it reports.
 *
 * Env: RATCHET_EVAL_MIRRORS, EVAL_REPOS_TIMEOUT_S (per repository, default 900). Flags: `--only owner/name`.
 * Build first (`npm run build`): the CLI runs from `packages/server/dist`.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { registerHooks } from "node:module"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

// The workspace sources import each other with `.js` specifiers; map them to the `.ts` files.
registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && specifier.endsWith(".js") && /^(?:\.|file:)/.test(specifier))
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context)
      throw error
    }
  }
})

const root = resolve(import.meta.dirname, "..")
const bin = join(root, "packages", "server", "dist", "bin.js")
if (!existsSync(bin)) {
  console.error(`eval:repos: ${bin} is missing; build first with \`npm run build\``)
  process.exit(2)
}
const { Effect } = await import("effect")
const Scan = await import(existsSync(join(root, "packages/core/dist/Scan.js")) ? "../packages/core/dist/Scan.js" : "../packages/core/src/Scan.ts")

interface Entry {
  readonly repo: string
  readonly commit: string
  /** Candidates to validate (default 10, the CLI's default). */
  readonly budget?: number
}
interface Attempt {
  readonly rule: string
  readonly status: "accepted" | "rejected"
  readonly reason: string
}
interface Report {
  readonly baseline: { readonly outcome: string; readonly reason: string | null; readonly tests: { readonly passed: number; readonly failed: number } }
  readonly attempts: ReadonlyArray<Attempt>
  readonly proposals: ReadonlyArray<{ readonly kind: string }>
}

const listFile = join(import.meta.dirname, "eval-scan", "repos.json")
const entries = (JSON.parse(readFileSync(listFile, "utf8")) as { repositories: Array<Entry> }).repositories
const onlyAt = process.argv.indexOf("--only")
const only = onlyAt === -1 ? null : process.argv[onlyAt + 1]
const mirrors = process.env.RATCHET_EVAL_MIRRORS ?? "/work/.mirror"
const timeoutS = Number(process.env.EVAL_REPOS_TIMEOUT_S ?? 900)

/** Why a validated candidate ended as it did: its checks broke, its tests stayed green, or it was refused before running. */
const outcomeOf = (a: Attempt): "green" | "broke" | "other" => {
  if (a.status === "accepted") return "green"
  if (/^(?:tests failed|tests did not run|tests timed out|does not apply|\w+ failed \()/.test(a.reason)) return "broke"
  if (/^(?:not faster beyond noise|faster only because|unproven)/.test(a.reason)) return "green"
  return "other"
}

interface Row {
  readonly repo: string
  readonly commit: string
  readonly baseline: string
  readonly findings: number
  readonly byRule: string
  readonly validated: number
  readonly green: number
  readonly broke: number
  readonly other: number
  readonly proven: number
  readonly techDebt: number
  readonly seconds: number
}
const rows: Array<Row> = []
const broken: Array<string> = []
const baselineProblems: Array<string> = []
const missing: Array<string> = []

for (const entry of entries) {
  if (only !== null && entry.repo !== only) continue
  const gitDir = join(mirrors, entry.repo.replace("/", "+"), "repo")
  if (!existsSync(gitDir)) {
    missing.push(entry.repo)
    continue
  }
  const dir = mkdtempSync(join(tmpdir(), "ratchet-eval-repo-"))
  const out = mkdtempSync(join(tmpdir(), "ratchet-eval-out-"))
  try {
    execFileSync("sh", ["-c", `git --git-dir="$1" archive "$2" | tar x -C "$3"`, "sh", gitDir, entry.commit, dir])
    const git = (...args: Array<string>) => execFileSync("git", ["-c", "user.email=eval@ratchet.invalid", "-c", "user.name=eval", ...args], { cwd: dir, stdio: "ignore" })
    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", `${entry.repo}@${entry.commit}`)

    const scan = await Effect.runPromise(Scan.scan(dir))
    const counts = new Map<string, number>()
    for (const o of scan.opportunities) counts.set(o.rule, (counts.get(o.rule) ?? 0) + 1)
    const byRule = [...counts].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(", ") || "–"

    console.log(`${entry.repo}@${entry.commit.slice(0, 7)}: ${scan.opportunities.length} findings; ratchet run…`)
    const t0 = performance.now()
    const run = spawnSync(process.execPath, [bin, "run", dir, "--out", out, "--budget-candidates", String(entry.budget ?? 10)], {
      cwd: root,
      encoding: "utf8",
      timeout: timeoutS * 1000,
      maxBuffer: 64 * 1024 * 1024
    })
    const seconds = (performance.now() - t0) / 1000
    const reportFile = join(out, "report.json")
    if (!existsSync(reportFile)) {
      const why = run.error ? String(run.error.message) : `exit ${run.status}: ${(run.stderr || run.stdout).trim().split("\n").slice(-3).join(" / ")}`
      rows.push({ repo: entry.repo, commit: entry.commit, baseline: `no report (${why.slice(0, 60)})`, findings: scan.opportunities.length, byRule, validated: 0, green: 0, broke: 0, other: 0, proven: 0, techDebt: 0, seconds })
      continue
    }
    const report = JSON.parse(readFileSync(reportFile, "utf8")) as Report
    const outcomes = report.attempts.map(outcomeOf)
    for (const [i, a] of report.attempts.entries()) if (outcomes[i] === "broke") broken.push(`${entry.repo} ${a.rule}: ${a.reason.slice(0, 240)}`)
    if (report.baseline.reason) baselineProblems.push(`${entry.repo}: ${report.baseline.reason.slice(0, 300)}`)
    const t = report.baseline.tests
    rows.push({
      repo: entry.repo,
      commit: entry.commit,
      baseline: `${report.baseline.outcome}, ${t.passed} passed / ${t.failed} failed`,
      findings: scan.opportunities.length,
      byRule,
      validated: report.attempts.length,
      green: outcomes.filter((o) => o === "green").length,
      broke: outcomes.filter((o) => o === "broke").length,
      other: outcomes.filter((o) => o === "other").length,
      proven: report.proposals.filter((p) => p.kind === "performance").length,
      techDebt: report.proposals.filter((p) => p.kind === "tech-debt").length,
      seconds
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
    rmSync(out, { recursive: true, force: true })
  }
}

const header = ["repository", "commit", "baseline", "findings", "validated", "tests green", "broke", "other", "proven", "tech-debt", "time"]
const table = rows.map((r) => [r.repo, r.commit.slice(0, 7), r.baseline, String(r.findings), String(r.validated), String(r.green), String(r.broke), String(r.other), String(r.proven), String(r.techDebt), `${r.seconds.toFixed(0)} s`])
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)))
const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ")
console.log("")
console.log(line(header))
console.log(line(widths.map((w) => "-".repeat(w))))
for (const row of table) console.log(line(row))
for (const r of rows) console.log(`${r.repo}: findings by rule: ${r.byRule}`)
const validated = rows.reduce((n, r) => n + r.validated, 0)
const green = rows.reduce((n, r) => n + r.green, 0)
console.log("")
console.log(`candidates that kept the repository's own tests green: ${green} of ${validated} validated; proven faster: ${rows.reduce((n, r) => n + r.proven, 0)}`)
for (const b of broken) console.log(`broke: ${b}`)
for (const p of baselineProblems) console.log(`baseline: ${p}`)
if (missing.length > 0) console.log(`no local mirror (under ${mirrors}) for: ${missing.join(", ")} — fetch them to run them`)
