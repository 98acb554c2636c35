/**
 * The adversarial suite, CLI half: the built `ratchet` binary in child processes, fed what a
 * careless or hostile user would feed it. Each test names the item of issue #12 it holds.
 * `RATCHET_TEST_BIN` points the suite at another build (to check that it fails on old code).
 */
import { execFileSync, spawn, spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { createServer, type Server } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { GitWorkspace } from "@ratchet/runner"

const bin = process.env.RATCHET_TEST_BIN ?? join(import.meta.dirname, "..", "..", "dist", "bin.js")
const scratch = mkdtempSync(join(tmpdir(), "ratchet-hostile-cli-"))
chmodSync(scratch, 0o755)
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

let n = 0
const dir = (name: string) => {
  const d = join(scratch, `${name}-${n++}`)
  mkdirSync(d, { recursive: true })
  return d
}

const ratchet = (args: Array<string>, options: { env?: Record<string, string>; input?: string; cwd?: string; timeout?: number } = {}) => {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    timeout: options.timeout ?? 180_000,
    // a CLI stuck in a synchronous loop cannot run its SIGTERM handler
    killSignal: "SIGKILL",
    env: { ...process.env, XDG_CACHE_HOME: join(scratch, "xdg-cache"), ...options.env },
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd })
  })
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr }
}

/** Exit 2, one `ratchet:` line on stderr naming `mention`; with --json, only the error document on stdout. */
const expectBadInput = (r: ReturnType<typeof ratchet>, mention: string, json = false) => {
  expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(2)
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("ratchet: "))
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toContain(mention)
  if (json) {
    const doc = JSON.parse(r.stdout) as { error: { code: string; message: string } }
    expect(Object.keys(doc)).toEqual(["error"])
    expect(typeof doc.error.code).toBe("string")
    expect(doc.error.message).toContain(mention)
  }
}

const gitRepo = (files: Record<string, string>): string => {
  const repo = dir("repo")
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(repo, name, ".."), { recursive: true })
    writeFileSync(join(repo, name), content)
  }
  const git = (...args: Array<string>) => execFileSync("git", ["-c", "user.email=t@e", "-c", "user.name=t", ...args], { cwd: repo, stdio: "pipe" })
  git("init", "-q")
  git("add", "-A")
  git("commit", "-q", "-m", "init")
  return repo
}

const occupy = (): Promise<{ server: Server; port: number }> =>
  new Promise((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resolve({ server, port: typeof address === "object" && address !== null ? address.port : 0 })
    })
  })

describe("hostile CLI: bad input exits 2 with one clear line (#12 item 7)", { timeout: 300_000 }, () => {
  it("serve on a busy port", async () => {
    const { server, port } = await occupy()
    try {
      const r = await new Promise<ReturnType<typeof ratchet>>((resolve) => {
        // async: the occupying server lives in this process
        const child = spawn(process.execPath, [bin, "serve", "--port", String(port), "--data", dir("data")], {
          env: { ...process.env, RATCHET_STAGES: "fake", RATCHET_LOG: "off", RATCHET_TOKEN: "rat_hostile" }
        })
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", (d) => (stdout += d))
        child.stderr.on("data", (d) => (stderr += d))
        const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
        child.on("exit", (code, signal) => {
          clearTimeout(timer)
          resolve({ code, signal, stdout, stderr })
        })
      })
      expectBadInput(r, `port ${port}`)
      expect(r.stderr).toContain("already in use")
    } finally {
      server.close()
    }
  })

  it("serve with --data that is a file", () => {
    const file = join(dir("data-file"), "not-a-dir")
    writeFileSync(file, "x")
    expectBadInput(ratchet(["serve", "--port", "0", "--data", file]), file)
    expect(readFileSync(file, "utf8")).toBe("x")
  })

  it("serve with an invalid --host", () => {
    for (const host of ["bad host!", "999.1.2.3", "under_score.example"]) {
      const r = ratchet(["serve", "--port", "0", "--host", host, "--data", dir("data")])
      expectBadInput(r, "--host")
    }
  })

  it("run with --out that is a file, or that cannot be created, fails before any work starts", () => {
    const markerDir = dir("marker")
    chmodSync(markerDir, 0o777) // the sandbox may run the repository's tests as another user
    const marker = join(markerDir, "baseline-ran")
    const repo = gitRepo({
      "package.json": JSON.stringify({ name: "t", scripts: { test: "node mark.js" } }),
      "mark.js": `require("fs").writeFileSync(${JSON.stringify(marker)}, "")\n`
    })
    const file = join(dir("out"), "report-file")
    writeFileSync(file, "keep")
    const home = dir("home")
    // the local sandbox: under bubblewrap the marker could never be written, and this check could not fail
    const env = { RATCHET_HOME: home, RATCHET_SANDBOX: "local" }
    expectBadInput(ratchet(["run", repo, "--out", file], { env }), file)
    expect(readFileSync(file, "utf8")).toBe("keep")
    // under a file: cannot be created (ENOTDIR), whoever runs it, root included
    const r = ratchet(["run", repo, "--json", "--out", join(file, "sub")], { env })
    expectBadInput(r, join(file, "sub"), true)
    expect(existsSync(marker), "the baseline ran before --out was checked").toBe(false)
  })

  it("policy with an empty diff, a whitespace diff, a diff of nothing and binary data", () => {
    expectBadInput(ratchet(["policy", "-"], { input: "" }), "empty")
    expectBadInput(ratchet(["policy", "-", "--json"], { input: "\n\n  \n" }), "empty", true)
    expectBadInput(ratchet(["policy", "-"], { input: "just some words\nno diff here\n" }), "no file section")
    const binary = join(dir("bin"), "blob.diff")
    writeFileSync(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 0, 0xff, 0xfe]))
    expectBadInput(ratchet(["policy", binary]), binary)
    // a real diff still passes
    const ok = ratchet(["policy", "-", "--json"], { input: "--- a/x.ts\n+++ b/x.ts\n@@ -1 +1 @@\n-a\n+b\n" })
    expect(ok.code, ok.stderr).toBe(0)
    expect(JSON.parse(ok.stdout).allowed).toBe(true)
  })

  it("policy with a huge diff is refused, not read into memory whole", () => {
    const huge = join(dir("huge"), "huge.diff")
    writeFileSync(huge, Buffer.alloc(65 * 1024 * 1024, 0x61))
    expectBadInput(ratchet(["policy", huge]), "larger than")
    rmSync(huge)
  })

  it("a ratchet.config whose loading never settles, or never returns, exits 2 (was: exit 13, or a hang)", () => {
    const cases = [
      // a synchronous endless loop blocks the thread that evaluates it: only another process can stop it (#17)
      { body: "while (true) {}", says: "did not finish within 1 s" },
      { body: "await new Promise(() => {})", says: "a top-level await never settles" },
      { body: "await new Promise((r) => setTimeout(r, 1e9))", says: "did not finish within 1 s" }
    ]
    for (const { body, says } of cases) {
      const repo = dir("hang")
      writeFileSync(join(repo, "ratchet.config.mjs"), `${body}\nexport default {}\n`)
      const started = Date.now()
      const r = ratchet(["detect", repo, "--json"], { env: { RATCHET_CONFIG_TIMEOUT_MS: "1000" }, timeout: 30_000 })
      expect(r.signal, body).toBeNull()
      expectBadInput(r, join(repo, "ratchet.config.mjs"), true)
      expect(r.stderr).toContain(says)
      expect(r.stderr).toContain("fix the config")
      expect(Date.now() - started).toBeLessThan(25_000)
    }
  })

  it("with --json, stdout carries only JSON: help and usage errors go to stderr, errors as {error: {code, message}}", () => {
    const usage = ratchet(["detect", "--json", "--no-such-flag"])
    expect(usage.code).toBe(2)
    expect(JSON.parse(usage.stdout)).toEqual({ error: { code: "UsageError", message: expect.stringContaining("--no-such-flag") } })
    expect(usage.stderr).toContain("USAGE")
    const help = ratchet(["scan", "--help", "--json"])
    expect(help.code).toBe(0)
    expect(help.stdout).toBe("")
    expect(help.stderr).toContain("USAGE")
    const missing = ratchet(["scan", join(scratch, "no-such-dir"), "--json"])
    expectBadInput(missing, join(scratch, "no-such-dir"), true)
    expect(JSON.parse(missing.stdout).error.code).toBe("BadInput")
    const version = ratchet(["--version", "--json"])
    expect(version.code).toBe(0)
    expect(JSON.parse(version.stdout)).toEqual({ name: "ratchet", version: expect.stringMatching(/^\d+\.\d+\.\d+/) })
  })
})

describe("hostile CLI: read-only commands stay read-only (#12 item 8)", { timeout: 300_000 }, () => {
  const files = { "src/lines.js": "export function count(lines) {\n  let n = 0\n  for (const line of lines) if (/^#/.test(line)) n++\n  return n\n}\n", "package.json": "{\"name\":\"ro\"}" }

  it("detect and scan write nothing into the target; the scan cache lives under XDG_CACHE_HOME, keyed by real path", () => {
    const repo = gitRepo(files)
    const before = execFileSync("git", ["status", "--porcelain", "--ignored"], { cwd: repo, encoding: "utf8" })
    const cacheHome = dir("xdg")
    for (const command of ["detect", "scan"]) {
      const r = ratchet([command, repo, "--json"], { env: { XDG_CACHE_HOME: cacheHome } })
      expect(r.code, r.stderr).toBe(0)
    }
    expect(existsSync(join(repo, ".ratchet"))).toBe(false)
    expect(execFileSync("git", ["status", "--porcelain", "--ignored"], { cwd: repo, encoding: "utf8" })).toBe(before)
    expect(readdirSync(join(cacheHome, "ratchet", "scan"))).toHaveLength(1)
    // through a symlink: the same real path, so the same cache (a warm second scan)
    const link = join(dir("links"), "repo-link")
    symlinkSync(repo, link)
    const again = ratchet(["scan", link, "--json"], { env: { XDG_CACHE_HOME: cacheHome } })
    expect(again.code, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout).stats.cached).toBe(1)
    expect(readdirSync(join(cacheHome, "ratchet", "scan"))).toHaveLength(1)
    expect(existsSync(join(repo, ".ratchet"))).toBe(false)
  })

  it("scan of a symlink into a directory nobody should write to leaves it untouched; --cache-dir overrides", () => {
    const protectedDir = gitRepo(files)
    chmodSync(protectedDir, 0o555)
    const link = join(dir("links"), "etc-like")
    symlinkSync(protectedDir, link)
    const cacheDir = dir("explicit-cache")
    try {
      const r = ratchet(["scan", link, "--json", "--cache-dir", cacheDir])
      expect(r.code, r.stderr).toBe(0)
      expect(readdirSync(protectedDir).sort()).toEqual([".git", "package.json", "src"])
      expect(readdirSync(join(cacheDir, "scan"))).toHaveLength(1)
    } finally {
      chmodSync(protectedDir, 0o755)
    }
  })
})

describe("hostile CLI: small ones (#12 item 11)", { timeout: 300_000 }, () => {
  it("config validation reports every problem at once", () => {
    const repo = dir("cfg")
    writeFileSync(join(repo, "ratchet.config.mjs"), "export default { foo: 1, policy: { maxFiles: 'many', rules: { x: 'maybe' } }, plugins: [{ name: '' }] }\n")
    const r = ratchet(["detect", repo])
    expectBadInput(r, "ratchet.config.mjs")
    for (const problem of ['unknown key "foo"', "maxFiles", '["rules"]["x"]', "plugins[0].name"]) expect(r.stderr).toContain(problem)
  })

  it("a run stopped with SIGTERM or SIGINT removes its worktrees", async () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      // the marker goes in the step's own worktree: the only place a sandboxed step may write (bwrap shows it nothing else)
      const repo = gitRepo({
        "package.json": JSON.stringify({ name: "slow", scripts: { test: "node slow.js" } }),
        "slow.js": `require("fs").writeFileSync("test-started", process.cwd())\nsetTimeout(() => {}, 120000)\n`
      })
      const home = dir("home")
      const worktrees = GitWorkspace.worktreesDirOf(home)
      let marker = ""
      const found = () => {
        if (!existsSync(worktrees)) return false
        const hit = readdirSync(worktrees, { recursive: true }).map(String).find((f) => f.endsWith("test-started"))
        if (hit !== undefined) marker = join(worktrees, hit)
        return hit !== undefined
      }
      const child = spawn(process.execPath, [bin, "run", repo, "--json"], { env: { ...process.env, RATCHET_HOME: home }, stdio: ["ignore", "pipe", "pipe"] })
      let stderr = ""
      let stdout = ""
      child.stderr.on("data", (d) => (stderr += d))
      child.stdout.on("data", (d) => (stdout += d))
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on("exit", (code, sig) => resolve({ code, signal: sig })))
      const deadline = Date.now() + 90_000
      while (!found() && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100))
      expect(found(), `the baseline test never started (exit ${child.exitCode}):\n${stderr}\n${stdout}`).toBe(true)
      const worktree = readFileSync(marker, "utf8")
      expect(existsSync(worktree)).toBe(true)
      child.kill(signal)
      const end = await exited
      expect(end.code, stderr).toBe(signal === "SIGTERM" ? 143 : 130)
      expect(existsSync(worktree), `${worktree} is still there after ${signal}`).toBe(false)
      const left = existsSync(GitWorkspace.worktreesDirOf(home)) ? readdirSync(GitWorkspace.worktreesDirOf(home)) : []
      expect(left).toEqual([])
    }
  }, 240_000)
})
