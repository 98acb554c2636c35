/**
 * bench:workspace — how long it takes to prepare a candidate workspace after the baseline, for a
 * repository whose node_modules holds 50 000 files, next to a fresh install of the same repository.
 *
 *   npm run bench:workspace            (Node 24 runs this .ts file directly)
 *
 * The repository is synthetic but installed for real: 500 local package tarballs of 100 files
 * each, installed by `npm install --offline` from a private cache (no network). The candidate is
 * prepared through `@ratchet/runner`'s GitWorkspace (git worktree at the baseline's exact commit
 * + hard-linked dependencies from the (lockfile, package manager) cache). Target: < 2 s.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { registerHooks } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

// Let Node load the workspace's TypeScript sources: `@ratchet/core` → its src, `./x.js` → `./x.ts`.
const repoRoot = fileURLToPath(new URL("..", import.meta.url))
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === "@ratchet/core") return nextResolve(pathToFileURL(join(repoRoot, "packages/core/src/index.ts")).href, context)
    if (specifier.startsWith(".") && specifier.endsWith(".js") && context.parentURL?.endsWith(".ts")) {
      const ts = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL)
      if (existsSync(fileURLToPath(ts))) return nextResolve(ts.href, context)
    }
    return nextResolve(specifier, context)
  }
})

const { Effect, Exit, Scope } = await import("effect")
const { GitWorkspace } = await import("../packages/runner/src/index.ts")

const PACKAGES = 500
const FILES_PER_PACKAGE = 100
const RUNS = 5

const sh = (cmd: string, args: Array<string>, cwd: string, env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 }).toString()

const countFiles = (dir: string): number => {
  let n = 0
  const stack = [dir]
  while (stack.length > 0) {
    const d = stack.pop() as string
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) stack.push(join(d, e.name))
      else n++
    }
  }
  return n
}

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const work = mkdtempSync(join(tmpdir(), "ratchet-bench-ws-"))
try {
  // 1. 500 package tarballs of 100 files each
  const stage = join(work, "stage")
  const tarballs = join(work, "tarballs")
  mkdirSync(tarballs, { recursive: true })
  const deps: Record<string, string> = {}
  for (let p = 0; p < PACKAGES; p++) {
    const name = `bench-pkg-${p}`
    const pkgDir = join(stage, name, "package")
    mkdirSync(join(pkgDir, "lib"), { recursive: true })
    writeFileSync(join(pkgDir, "package.json"), JSON.stringify({ name, version: "1.0.0", main: "lib/f0.js" }))
    for (let f = 0; f < FILES_PER_PACKAGE - 1; f++) writeFileSync(join(pkgDir, "lib", `f${f}.js`), `module.exports = ${f}\n`)
    sh("tar", ["-czf", join(tarballs, `${name}-1.0.0.tgz`), "-C", join(stage, name), "package"], work)
    deps[name] = `file:../tarballs/${name}-1.0.0.tgz`
  }

  // 2. the repository, committed
  const repo = join(work, "repo")
  mkdirSync(repo)
  writeFileSync(join(repo, "package.json"), JSON.stringify({ name: "bench-repo", version: "1.0.0", private: true, dependencies: deps }, null, 2))
  writeFileSync(join(repo, ".gitignore"), "node_modules\n")
  const npmEnv = { ...process.env, HOME: join(work, "home"), npm_config_cache: join(work, "npm-cache"), npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" }
  mkdirSync(npmEnv.HOME, { recursive: true })

  // 3. reference: a fresh install of the same repository (offline, from local tarballs)
  const t0 = performance.now()
  sh("npm", ["install", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], repo, npmEnv)
  const freshInstallMs = performance.now() - t0
  const installedFiles = countFiles(join(repo, "node_modules"))
  const git = (...args: Array<string>) => sh("git", ["-c", "user.email=b@example.com", "-c", "user.name=b", ...args], repo)
  git("init", "-q", "-b", "main")
  git("add", "-A")
  git("commit", "-q", "-m", "bench repo")

  // 4. baseline workspace: install once, cache the dependencies
  const stateDir = join(work, "state")
  const ws = await Effect.runPromise(GitWorkspace.make({ stateDir }))
  const baseScope = await Effect.runPromise(Scope.make())
  const base = await Effect.runPromise(ws.prepare({ source: repo, purpose: "baseline", packageManager: "npm" }).pipe(Scope.provide(baseScope)))
  sh("npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], base.path, npmEnv)
  await Effect.runPromise(GitWorkspace.saveDependencies(base, { stateDir, packageManager: "npm" }))

  // 5. measured: preparing a candidate workspace at the baseline's commit, reusing dependencies
  const times: Array<number> = []
  let candidateFiles = 0
  for (let i = 0; i < RUNS; i++) {
    const scope = await Effect.runPromise(Scope.make())
    const start = performance.now()
    const cand = await Effect.runPromise(
      ws.prepare({ source: repo, commit: base.commit ?? "HEAD", purpose: "candidate", reuseFrom: base, packageManager: "npm" }).pipe(Scope.provide(scope))
    )
    times.push(performance.now() - start)
    if (!cand.dependencies?.reused) throw new Error("the candidate did not reuse the installed dependencies")
    candidateFiles = countFiles(join(cand.path, "node_modules"))
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
  await Effect.runPromise(Scope.close(baseScope, Exit.void))

  const prepareMs = median(times)
  console.log(`bench:workspace — repository with ${installedFiles} files in node_modules (${PACKAGES} packages)`)
  console.log(`  candidate workspace prepare (worktree + reused deps), median of ${RUNS}: ${prepareMs.toFixed(0)} ms  [${times.map((t) => t.toFixed(0)).join(", ")}]`)
  console.log(`  fresh npm install of the same repository (offline, reference):   ${freshInstallMs.toFixed(0)} ms`)
  console.log(`  ratio fresh install / candidate prepare: ${(freshInstallMs / prepareMs).toFixed(1)}x faster`)
  console.log(`  candidate node_modules files: ${candidateFiles}; target < 2000 ms: ${prepareMs < 2000 ? "met" : "NOT met"}`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
