import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Package, type Proposal } from "@ratchet/core"
import { Effect } from "effect"

export const sh = (cwd: string, ...args: Array<string>): string =>
  execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main", ...args], {
    cwd,
    stdio: "pipe",
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" }
  })

/** All refs of a remote, as `git ls-remote` prints them. */
export const lsRemote = (remote: string): string => sh(tmpdir(), "ls-remote", remote)

export interface Fixture {
  readonly root: string
  /** A bare repository: the "remote". */
  readonly remote: string
  /** A working clone used to build diffs. */
  readonly work: string
  readonly outDir: string
  readonly base: string
}

/** A temp dir with a bare remote holding one commit on `main` (removed when the scope closes). */
export const fixture = Effect.acquireRelease(
  Effect.sync((): Fixture => {
    const root = mkdtempSync(join(tmpdir(), "ratchet-conn-"))
    const remote = join(root, "remote.git")
    const work = join(root, "work")
    sh(root, "init", "--quiet", "--bare", remote)
    sh(root, "clone", "--quiet", remote, work)
    writeFileSync(join(work, "a.js"), "const xs = [1, 2, 3]\nfor (const k in xs) console.log(xs[k])\nmodule.exports = xs\n")
    writeFileSync(join(work, "b.js"), "export const b = 1\n")
    sh(work, "add", "-A")
    sh(work, "commit", "--quiet", "-m", "initial")
    sh(work, "push", "--quiet", "origin", "HEAD:refs/heads/main")
    const base = sh(work, "rev-parse", "HEAD").trim()
    return { root, remote, work, outDir: join(root, "out"), base }
  }),
  (f) => Effect.sync(() => rmSync(f.root, { recursive: true, force: true }))
)

/** Makes a real `git diff` by editing `file` in the working clone, then reverts the edit. */
export const makeDiff = (f: Fixture, file: string, content: string): string => {
  writeFileSync(join(f.work, file), content)
  const diff = sh(f.work, "diff")
  sh(f.work, "checkout", "--quiet", "--", ".")
  return diff
}

export const proposalOf = (id: string, diff: string, files: ReadonlyArray<string> = ["a.js"]): Proposal.Proposal => {
  const p: Proposal.Proposal = {
    id,
    title: `Use for…of in ${files[0]}`,
    files: [...files],
    diff,
    tests: { passed: 3, failed: 0, skipped: 0 },
    benchmark: null,
    policy: [],
    risk: "low",
    confidence: 0.9
  }
  return { ...p, contentHash: Package.contentHashOf(p) }
}

export const approve = (p: Proposal.Proposal, approvedBy = "alice") => ({
  proposalId: p.id,
  contentHash: Package.contentHashOf(p),
  approvedBy,
  approvedAt: "2026-11-21T10:00:00.000Z"
})
