/**
 * `npm run bench:connectors` — what the WriteGate and the local git connector cost.
 *
 * 1. Publish: an approved proposal through `WriteGate.publish` (approval lookup, content hash,
 *    the real policy engine, then the local git connector: ls-remote, fetch, apply, commit,
 *    format-patch, push, patch file) against the floor: the same git commands run directly
 *    (init, fetch, checkout, apply, commit, push) on the same kind of bare remote.
 * 2. Refusal: an unapproved publish (no git at all), per call.
 * 3. Redaction: `Redact.redact` over 1 MiB of log text with 3 secrets against one
 *    `String.prototype.replaceAll` of one secret over the same text.
 *
 * Options: --runs N (default 7).
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { registerHooks } from "node:module"
import * as os from "node:os"
import * as path from "node:path"

// Node runs the TypeScript sources directly: prefer workspace packages' `source` export and map
// their NodeNext ".js" specifiers to the ".ts" files.
registerHooks({
  resolve(specifier, context, next) {
    const ctx = { ...context, conditions: ["source", ...(context.conditions ?? [])] }
    try {
      return next(specifier, ctx)
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && specifier.endsWith(".js")) {
        return next(`${specifier.slice(0, -3)}.ts`, ctx)
      }
      throw error
    }
  }
})

const { Effect, Layer, Ref } = await import("effect")
const { Package, PolicyCheck, RatchetError } = await import("../packages/core/src/index.ts")
const { PolicyEngine } = await import("../packages/policy/src/index.ts")
const { ApprovalStore, LocalGitConnector, Redact, WriteGate } = await import("../packages/connectors/src/index.ts")

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i !== -1 ? Number(process.argv[i + 1]) : fallback
}
const RUNS = arg("runs", 7)

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const env = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" }
const git = (cwd: string, ...args: Array<string>): string =>
  execFileSync("git", ["-c", "user.email=b@example.com", "-c", "user.name=b", "-c", "init.defaultBranch=main", ...args], { cwd, stdio: "pipe", encoding: "utf8", env })

const root = fs.mkdtempSync(path.join(os.tmpdir(), "ratchet-bench-connectors-"))
try {
  // A bare remote with a small project on main.
  const remote = path.join(root, "remote.git")
  const work = path.join(root, "work")
  git(root, "init", "--quiet", "--bare", remote)
  git(root, "clone", "--quiet", remote, work)
  for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(work, `f${i}.js`), `const xs${i} = [1, 2, 3]\nfor (const k in xs${i}) console.log(xs${i}[k])\n`)
  git(work, "add", "-A")
  git(work, "commit", "--quiet", "-m", "initial")
  git(work, "push", "--quiet", "origin", "HEAD:refs/heads/main")
  const base = git(work, "rev-parse", "HEAD").trim()
  const diffFor = (i: number): string => {
    fs.writeFileSync(path.join(work, `f${i}.js`), `const xs${i} = [1, 2, 3]\nfor (const x of xs${i}) console.log(x)\n`)
    const d = git(work, "diff")
    git(work, "checkout", "--quiet", "--", ".")
    return d
  }
  const proposalOf = (id: string, diff: string, file: string) => {
    const p = { id, title: `for…of in ${file}`, files: [file], diff, tests: { passed: 1, failed: 0, skipped: 0 }, benchmark: null, policy: [], risk: "low" as const, confidence: 0.9 }
    return { ...p, contentHash: Package.contentHashOf(p) }
  }

  const approvals = Ref.makeUnsafe<ReadonlyArray<{ proposalId: string; contentHash: string; approvedBy: string; approvedAt: string }>>([])
  const policy = Layer.succeed(PolicyCheck.PolicyCheck, {
    check: (diff: string) => PolicyEngine.evaluate(diff).pipe(Effect.mapError((e) => RatchetError.internal(e.message)))
  })
  const gate = await Effect.runPromise(
    WriteGate.make(LocalGitConnector.make({ outDir: path.join(root, "out"), workDir: root })).pipe(
      Effect.provide(Layer.merge(ApprovalStore.ApprovalStore.layerTest(approvals), policy))
    )
  )

  // The floor: the same git work, run directly.
  const rawPublish = (i: number, diff: string) => {
    const dir = fs.mkdtempSync(path.join(root, "raw-"))
    git(dir, "init", "--quiet", "repo")
    const repo = path.join(dir, "repo")
    git(repo, "fetch", "--quiet", "--no-tags", remote, "+refs/heads/main:refs/remotes/origin/main")
    git(repo, "checkout", "--quiet", "-b", `raw/${i}`, base)
    fs.writeFileSync(path.join(dir, "p.diff"), diff)
    git(repo, "apply", "--index", path.join(dir, "p.diff"))
    git(repo, "commit", "--quiet", "-m", `raw ${i}`)
    git(repo, "push", "--quiet", remote, `HEAD:refs/heads/raw/${i}`)
    fs.rmSync(dir, { recursive: true, force: true })
  }

  const gateMs: Array<number> = []
  const rawMs: Array<number> = []
  // warm-up (module loading, JIT, page cache)
  {
    const p = proposalOf("warm", diffFor(49), "f49.js")
    Ref.update(approvals, (a) => [...a, { proposalId: p.id, contentHash: p.contentHash, approvedBy: "bench", approvedAt: "2026-01-01T00:00:00Z" }]).pipe(Effect.runSync)
    await Effect.runPromise(gate.publish({ repo: remote, baseBranch: "main", proposal: p }))
    rawPublish(999, diffFor(48))
  }
  for (let r = 0; r < RUNS; r++) {
    const diff = diffFor(r)
    let t = performance.now()
    rawPublish(r, diff)
    rawMs.push(performance.now() - t)
    const p = proposalOf(`p-${r}`, diff, `f${r}.js`)
    Ref.update(approvals, (a) => [...a, { proposalId: p.id, contentHash: p.contentHash, approvedBy: "bench", approvedAt: "2026-01-01T00:00:00Z" }]).pipe(Effect.runSync)
    t = performance.now()
    const result = await Effect.runPromise(gate.publish({ repo: remote, baseBranch: "main", proposal: p }))
    gateMs.push(performance.now() - t)
    if (!result.created) throw new Error("expected a new branch")
  }

  // Refusals: no approval, nothing touches git.
  const unapproved = proposalOf("nobody-approved", diffFor(40), "f40.js")
  const REFUSALS = 2000
  let t = performance.now()
  for (let i = 0; i < REFUSALS; i++) {
    await Effect.runPromise(Effect.flip(gate.publish({ repo: remote, baseBranch: "main", proposal: unapproved })))
  }
  const refusalUs = ((performance.now() - t) / REFUSALS) * 1000

  // Redaction over 1 MiB of log text.
  const secrets = ["s3cr3t-value-0001", "another-secret-0002", "third/secret+0003"]
  const line = "2026-11-22T00:00:00Z INFO git push to https://example.com/org/repo.git refs/heads/ratchet/p-1 ok 1a2b3c4d\n"
  let text = ""
  while (text.length < 1 << 20) text += line
  text += `leak ${secrets[0]} ghp_${"A1b2C3d4E5".repeat(4)}\n`
  const redactMs: Array<number> = []
  const replaceMs: Array<number> = []
  for (let r = 0; r < RUNS; r++) {
    t = performance.now()
    const out = Redact.redact(text, secrets)
    redactMs.push(performance.now() - t)
    if (out.includes(secrets[0])) throw new Error("secret leaked")
    t = performance.now()
    text.replaceAll(secrets[0], "[REDACTED]")
    replaceMs.push(performance.now() - t)
  }

  const g = median(gateMs)
  const f = median(rawMs)
  const rd = median(redactMs)
  const rp = median(replaceMs)
  console.log(`bench:connectors — median of ${RUNS} runs`)
  console.log(`  publish through WriteGate + LocalGitConnector: ${g.toFixed(1)} ms`)
  console.log(`  floor (same git commands run directly):        ${f.toFixed(1)} ms`)
  console.log(`  ratio gate/floor: ${(g / f).toFixed(2)}x`)
  console.log(`  refused publish (no approval): ${refusalUs.toFixed(1)} µs per call (${REFUSALS} calls)`)
  console.log(`  redact 1 MiB, 3 secrets + patterns: ${rd.toFixed(2)} ms (${(1 / (rd / 1000)).toFixed(0)} MiB/s)`)
  console.log(`  floor (one replaceAll of one secret): ${rp.toFixed(2)} ms`)
  console.log(`  ratio redact/floor: ${(rd / rp).toFixed(1)}x`)
} finally {
  fs.rmSync(root, { recursive: true, force: true })
}
