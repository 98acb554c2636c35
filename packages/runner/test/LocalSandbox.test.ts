import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Sandbox } from "@ratchet/core"
import { LocalSandbox } from "@ratchet/runner"
import { copyFixture, node } from "./helpers.js"

const run = (options: Sandbox.RunOptions, sandbox = LocalSandbox.layer) =>
  Effect.gen(function* () {
    const s = yield* Sandbox.Sandbox
    return yield* s.run(options)
  }).pipe(Effect.provide(sandbox))

const caps = LocalSandbox.capabilities()

describe("LocalSandbox", () => {
  it.live("records exit code, duration, CPU time and peak memory", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const r = yield* run({ command: `"${node}" -e "let x=0; for (let i=0;i<3e7;i++) x+=i; console.log('sum', x); process.exit(3)"`, cwd: dir })
      expect(r.exitCode).toBe(3)
      expect(r.signal).toBeNull()
      expect(r.timedOut).toBe(false)
      expect(r.stdout).toContain("sum")
      expect(r.durationMs).toBeGreaterThan(0)
      if (caps.gnuTime) {
        expect(r.cpuMs).not.toBeNull()
        expect(r.peakMemoryBytes).toBeGreaterThan(10 * 1024 * 1024)
      }
    })
  )

  it.live("a missing command is an exit code 127, not a crash", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const r = yield* run({ command: "definitely-not-a-command-xyz --flag", cwd: dir })
      expect(r.exitCode).toBe(127)
      expect(r.output).toMatch(/not found/)
    })
  )

  it.live("rejects a missing working directory with a clear error", () =>
    Effect.gen(function* () {
      const error = yield* run({ command: "true", cwd: "/nonexistent/ratchet/dir" }).pipe(Effect.flip)
      expect(error.reason._tag).toBe("BadInput")
      expect(error.message).toContain("/nonexistent/ratchet/dir")
    })
  )

  it.live("caps 1 GB of output, keeping head and tail and saying what was dropped", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const r = yield* run({ command: `"${node}" print-1gb.js`, cwd: dir, maxOutputBytes: 64 * 1024, timeoutMs: 60_000 })
      expect(r.exitCode).toBe(0)
      expect(r.output.length).toBeLessThan(70 * 1024)
      expect(r.output.startsWith("START-OF-HOSTILE-OUTPUT")).toBe(true)
      expect(r.output).toContain("END-OF-HOSTILE-OUTPUT")
      expect(r.droppedBytes).toBeGreaterThan(1024 * 1024 * 1000)
      expect(r.output).toMatch(/bytes dropped from the middle/)
    })
  )

  it.live("kills an infinite loop and its children at the timeout", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const r = yield* run({ command: `"${node}" infinite-loop.js`, cwd: dir, timeoutMs: 1500 })
      expect(r.timedOut).toBe(true)
      expect(r.exitCode).toBeNull()
      expect(r.signal).toBe("SIGKILL")
      expect(r.durationMs).toBeLessThan(10_000)
      expect(r.warnings.join("\n")).toMatch(/timed out after 1500 ms/)
      // nothing of the tree survives: no process still runs infinite-loop.js's child script
      const { execFileSync } = yield* Effect.promise(() => import("node:child_process"))
      const ps = execFileSync("ps", ["-eo", "args"]).toString()
      expect(ps).not.toContain("setInterval(() => {}, 1000)")
    })
  )

  it.live("stops a CPU hog at its CPU-seconds limit", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const r = yield* run({ command: `"${node}" -e "for(;;){}"`, cwd: dir, timeoutMs: 20_000, limits: { cpuSeconds: 1 } })
      expect(r.timedOut).toBe(false)
      // killed by SIGXCPU/SIGKILL, either directly or as reported by the shell (128 + signal)
      if (r.signal !== null) expect(["SIGXCPU", "SIGKILL"]).toContain(r.signal)
      else expect([152, 137]).toContain(r.exitCode)
      expect(r.durationMs).toBeLessThan(15_000)
    }),
    30_000
  )

  it.live("kills a tree that exceeds its memory limit (without RLIMIT_AS, so node still starts)", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const r = yield* run({
        command: `"${node}" memory-hog.js`,
        cwd: dir,
        timeoutMs: 20_000,
        limits: { memoryBytes: 256 * 1024 * 1024 }
      })
      expect(r.timedOut).toBe(false)
      expect(r.signal).toBe("SIGKILL")
      expect(r.warnings.join("\n")).toMatch(/memory limit exceeded/)
    }),
    30_000
  )

  it.live("contains a fork bomb with the process limit", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const r = yield* run({ command: "sh fork-bomb.sh", cwd: dir, timeoutMs: 3000, limits: { maxProcesses: 64 } })
      expect(r.timedOut).toBe(true)
      expect(r.durationMs).toBeLessThan(20_000)
      // the limit was hit: the shell reports failed forks
      expect(r.output).toMatch(/fork|Resource temporarily unavailable|Cannot fork/i)
    }),
    30_000
  )

  it.live("scrubs the environment: repository code never sees secrets", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const hostEnv = {
        ...process.env,
        GITHUB_TOKEN: "ghp_secret",
        OPENAI_API_KEY: "sk-secret",
        DATABASE_URL: "postgres://u:p@db/x",
        RATCHET_ENCRYPTION_KEY: "k",
        AWS_SECRET_ACCESS_KEY: "a"
      }
      const r = yield* run(
        { command: `"${node}" env-reader.js`, cwd: dir, env: { EXTRA_OK: "1", NPM_TOKEN: "leak" } },
        LocalSandbox.layerWith({ hostEnv })
      )
      expect(r.exitCode).toBe(0)
      const report = JSON.parse(r.stdout.trim())
      expect(report.found).toEqual({})
      expect(report.home).not.toBe(process.env.HOME)
      expect(r.output).not.toContain("secret")
      expect(r.warnings.join("\n")).toContain("NPM_TOKEN")
    })
  )

  it.live("cuts the network off when asked (loopback target only)", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const server = createServer((s) => s.end())
      yield* Effect.promise(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve())))
      yield* Effect.addFinalizer(() => Effect.sync(() => server.close()))
      const port = (server.address() as { port: number }).port
      const open = yield* run({ command: `"${node}" net-after-install.js ${port}`, cwd: dir, network: true })
      expect(open.stdout).toContain("NETWORK-REACHED")
      const closed = yield* run({ command: `"${node}" net-after-install.js ${port}`, cwd: dir, network: false })
      if (caps.netns) {
        expect(closed.stdout).toContain("NETWORK-BLOCKED")
        expect(closed.exitCode).toBe(3)
      } else {
        expect(closed.warnings.join("\n")).toMatch(/network not cut off/)
      }
    })
  )

  it.live("never hands shared directories or symlink targets to the sandbox user", () =>
    Effect.gen(function* () {
      if (!caps.dropUid) return
      // a shared directory as the working directory is refused before anything runs
      const refused = yield* run({ command: "true", cwd: tmpdir() }).pipe(Effect.flip)
      expect(refused.reason._tag).toBe("BadInput")
      expect(refused.message).toMatch(/top-level directory|shared directory/)
      // so is the host's own working directory (and anything containing it)
      const refusedParent = yield* run({ command: "true", cwd: process.cwd() }).pipe(Effect.flip)
      expect(refusedParent.message).toMatch(/shared directory/)
      const refusedRoot = yield* run({ command: "true", cwd: "/" }).pipe(Effect.flip)
      expect(refusedRoot.message).toMatch(/top-level directory/)
      // a symlink inside the workspace that points outside keeps its target's owner
      const dir = yield* copyFixture("hostile")
      const outside = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const d = mkdtempSync(join(tmpdir(), "ratchet-outside-"))
          writeFileSync(join(d, "secret.txt"), "root only")
          chmodSync(join(d, "secret.txt"), 0o600)
          return d
        }),
        (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
      )
      symlinkSync(join(outside, "secret.txt"), join(dir, "link-to-secret"))
      symlinkSync(outside, join(dir, "link-to-dir"))
      const r = yield* run({ command: "cat link-to-secret; echo rc=$?", cwd: dir })
      expect(statSync(join(outside, "secret.txt")).uid).toBe(process.getuid?.())
      expect(statSync(outside).uid).toBe(process.getuid?.())
      expect(statSync(join(outside, "secret.txt")).mode & 0o777).toBe(0o600)
      expect(r.stdout).not.toContain("root only")
    })
  )

  it.live("hands over a node_modules committed with the repository, so the package manager can replace it", () =>
    Effect.gen(function* () {
      if (!caps.dropUid) return
      const dir = yield* copyFixture("hostile")
      yield* Effect.sync(() => {
        mkdirSync(join(dir, "node_modules", "left-pad"), { recursive: true })
        writeFileSync(join(dir, "node_modules", "left-pad", "package.json"), '{"name":"left-pad","version":"1.0.0"}')
        writeFileSync(join(dir, "node_modules", "left-pad", "index.js"), "module.exports = 1\n")
      })
      const r = yield* run({ command: "rm -rf node_modules && echo REPLACED", cwd: dir })
      expect(r.stdout).toContain("REPLACED")
      expect(existsSync(join(dir, "node_modules"))).toBe(false)
    })
  )

  it.live("refuses, naming the directory, a workspace the sandbox user cannot reach", () =>
    Effect.gen(function* () {
      if (!caps.dropUid) return
      const dir = yield* copyFixture("hostile")
      const hidden = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "ratchet-private-"))), // mode 0700, like a private home
        (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
      )
      const inside = join(hidden, "ws")
      yield* Effect.sync(() => renameSync(dir, inside))
      const refused = yield* run({ command: "true", cwd: inside }).pipe(Effect.flip)
      expect(refused.reason._tag).toBe("BadInput")
      expect(refused.message).toContain(`${hidden} is not searchable by other users`)
      expect(refused.message).toMatch(/chmod o\+x|RATCHET_HOME/)
    })
  )

  it.live("records a warning when the OS cannot cut the network", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const r = yield* run(
        { command: "true", cwd: dir, network: false },
        LocalSandbox.layerWith({ capabilities: { netns: null, netnsProblem: "simulated: no user namespaces" } })
      )
      expect(r.exitCode).toBe(0)
      expect(r.warnings.join("\n")).toContain("network not cut off: simulated: no user namespaces")
    })
  )
})
