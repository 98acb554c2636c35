import { execFileSync } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { Sandbox, Workspace } from "@ratchet/core"
import { BwrapSandbox, GitWorkspace, LocalSandbox } from "@ratchet/runner"
import { copyFixture, fixtureRepo, node, tempDir } from "./helpers.js"

const caps = LocalSandbox.capabilities()
const bwrap = BwrapSandbox.availability()

/** A private directory like the server's data directory (0700, a key and a database file inside). */
const dataDir = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = mkdtempSync(join(tmpdir(), "ratchet-data-"))
    chmodSync(dir, 0o700)
    mkdirSync(join(dir, "db"))
    writeFileSync(join(dir, "secret.key"), "DATA-DIR-SECRET-KEY")
    writeFileSync(join(dir, "db", "PG_VERSION"), "DATA-DIR-DATABASE")
    return dir
  }),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

/** A private home (0700, like /root) with an SSH key. */
const fakeHome = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = mkdtempSync(join(tmpdir(), "ratchet-home-"))
    chmodSync(dir, 0o700)
    mkdirSync(join(dir, ".ssh"), { mode: 0o700 })
    writeFileSync(join(dir, ".ssh", "id_ed25519"), "SSH-PRIVATE-KEY", { mode: 0o600 })
    return dir
  }),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

interface Backend {
  readonly name: "local" | "bwrap"
  /** Whether this host can run the backend at all. */
  readonly available: boolean
  /** Whether it can keep one workspace's steps out of other places on this host (dedicated uid or mount namespace). */
  readonly confines: boolean
  readonly layer: (options?: { readonly hidden?: ReadonlyArray<string>; readonly hostEnv?: NodeJS.ProcessEnv }) => Layer.Layer<Sandbox.Sandbox, unknown>
}

const backends: ReadonlyArray<Backend> = [
  {
    name: "local",
    available: true,
    confines: caps.dropUid,
    layer: (options = {}) => LocalSandbox.layerWith(options.hostEnv ? { hostEnv: options.hostEnv } : {})
  },
  {
    name: "bwrap",
    available: bwrap.available,
    confines: bwrap.available,
    layer: (options = {}) => BwrapSandbox.layerWith({ hidden: options.hidden ?? [], ...(options.hostEnv ? { hostEnv: options.hostEnv } : {}) })
  }
]

const runWith = (layer: Layer.Layer<Sandbox.Sandbox, unknown>, options: Sandbox.RunOptions) =>
  Effect.gen(function* () {
    const s = yield* Sandbox.Sandbox
    return yield* s.run(options)
  }).pipe(Effect.provide(layer), Effect.orDie)

const lastJson = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}")

const loopbackServer = Effect.acquireRelease(
  Effect.promise(
    () =>
      new Promise<{ server: ReturnType<typeof createServer>; port: number; seen: Array<string> }>((resolve) => {
        const seen: Array<string> = []
        const server = createServer((s) => {
          s.on("data", (d) => seen.push(d.toString()))
          s.end()
        })
        server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port, seen }))
      })
  ),
  ({ server }) => Effect.sync(() => server.close())
)

describe.each(backends)("hostile repository code on the $name backend", (backend) => {
  const live = backend.available ? it.live : it.skip
  const layer = backend.layer

  live("records exit code, duration, CPU time and peak memory", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const r = yield* runWith(layer(), {
        command: `"${node}" -e "let x=0; for (let i=0;i<3e7;i++) x+=i; console.log('sum', x); process.exit(3)"`,
        cwd: dir
      })
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

  live("a missing command is an exit code 127, not a crash", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const r = yield* runWith(layer(), { command: "definitely-not-a-command-xyz --flag", cwd: dir })
      expect(r.exitCode).toBe(127)
      expect(r.output).toMatch(/not found/)
    })
  )

  live("finds the workspace's own node_modules/.bin on the PATH a test plan gives the step", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const bin = join(dir, "node_modules", ".bin")
      yield* Effect.sync(() => {
        mkdirSync(bin, { recursive: true })
        writeFileSync(join(bin, "repo-tool"), "#!/bin/sh\necho REPO-TOOL-RAN\n", { mode: 0o755 })
      })
      // as `TestResults.plan` does for an expanded `npm test`: the workspace's .bin ahead of the host's PATH
      const r = yield* runWith(layer(), { command: "repo-tool", cwd: dir, env: { PATH: `${bin}:${process.env.PATH ?? ""}` } })
      expect(r.output).toContain("REPO-TOOL-RAN")
      expect(r.exitCode).toBe(0)
    })
  )

  live("rejects a missing working directory with a clear error", () =>
    Effect.gen(function* () {
      const error = yield* Effect.gen(function* () {
        const s = yield* Sandbox.Sandbox
        return yield* s.run({ command: "true", cwd: "/nonexistent/ratchet/dir" })
      }).pipe(Effect.provide(layer()), Effect.flip)
      expect(error).toMatchObject({ reason: { _tag: "BadInput" } })
      expect(String((error as { message?: string }).message)).toContain("/nonexistent/ratchet/dir")
    })
  )

  live("print 1 GB: capped, head and tail kept, what was dropped said", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      // 1 GB through a pipe takes seconds on an idle machine, minutes on a loaded one
      const r = yield* runWith(layer(), { command: `"${node}" print-1gb.js`, cwd: dir, maxOutputBytes: 64 * 1024, timeoutMs: 240_000 })
      expect(r.exitCode).toBe(0)
      expect(r.output.length).toBeLessThan(70 * 1024)
      expect(r.output.startsWith("START-OF-HOSTILE-OUTPUT")).toBe(true)
      expect(r.output).toContain("END-OF-HOSTILE-OUTPUT")
      expect(r.droppedBytes).toBeGreaterThan(1024 * 1024 * 1000)
      expect(r.output).toMatch(/bytes dropped from the middle/)
    }),
    300_000
  )

  live("sleep forever: an infinite loop and its children are killed at the timeout", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const r = yield* runWith(layer(), { command: `"${node}" infinite-loop.js`, cwd: dir, timeoutMs: 1500 })
      expect(r.timedOut).toBe(true)
      expect(r.exitCode).toBeNull()
      expect(r.signal).toBe("SIGKILL")
      expect(r.durationMs).toBeLessThan(10_000)
      expect(r.warnings.join("\n")).toMatch(/timed out after 1500 ms/)
      const ps = execFileSync("ps", ["-eo", "args"]).toString()
      expect(ps).not.toContain("setInterval(() => {}, 1000)")
    })
  )

  live("a daemon left behind (new session, ignores SIGTERM) does not outlive its step", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const marker = `ratchet-daemon-${backend.name}-${process.pid}-${Date.now()}`
      const r = yield* runWith(layer(), { command: `"${node}" daemon.js ${marker}`, cwd: dir, timeoutMs: 10_000 })
      expect(r.stdout).toContain("DAEMON-STARTED")
      // give a surviving daemon time to show up in the process table
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 300)))
      const ps = execFileSync("ps", ["-eo", "args"]).toString()
      expect(ps).not.toContain(marker)
    })
  )

  live("a CPU hog stops at its CPU-seconds limit", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const r = yield* runWith(layer(), { command: `"${node}" -e "for(;;){}"`, cwd: dir, timeoutMs: 20_000, limits: { cpuSeconds: 1 } })
      expect(r.timedOut).toBe(false)
      // killed by SIGXCPU/SIGKILL, either directly or as reported by the shell (128 + signal)
      if (r.signal !== null) expect(["SIGXCPU", "SIGKILL"]).toContain(r.signal)
      else expect([152, 137]).toContain(r.exitCode)
      expect(r.durationMs).toBeLessThan(15_000)
    }),
    30_000
  )

  live("a tree past its memory limit is killed (without RLIMIT_AS, so node still starts)", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const r = yield* runWith(layer(), { command: `"${node}" memory-hog.js`, cwd: dir, timeoutMs: 20_000, limits: { memoryBytes: 256 * 1024 * 1024 } })
      expect(r.timedOut).toBe(false)
      expect(r.signal).toBe("SIGKILL")
      expect(r.warnings.join("\n")).toMatch(/memory limit exceeded/)
    }),
    30_000
  )

  live("a fork bomb is contained by the process limit", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const r = yield* runWith(layer(), { command: `sh ${join(dir, "fork-bomb.sh")}`, cwd: dir, timeoutMs: 3000, limits: { maxProcesses: 64 } })
      // it runs into the limit; then either the timeout kills it or the shell gives up when a fork fails
      expect(r.timedOut || r.exitCode !== 0).toBe(true)
      expect(r.durationMs).toBeLessThan(20_000)
      expect(r.output).toMatch(/fork|Resource temporarily unavailable|Cannot fork/i)
      expect(execFileSync("ps", ["-eo", "args"]).toString()).not.toContain(join(dir, "fork-bomb.sh"))
    }),
    30_000
  )

  // Only a dedicated uid makes the limit per workspace (the local backend as root); some inits reap orphans
  // only every couple of seconds (the machines here: ~1.7 s), and until then RLIMIT_NPROC still counts them.
  const liveWithUid = backend.name === "local" && caps.dropUid ? it.live : it.skip
  liveWithUid("the next step gets its whole process limit although init reaps the killed processes late", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      // four children exit at once and stay zombies (their parent never waits); the timeout kills the parent
      const first = yield* runWith(layer(), { command: "for i in 1 2 3 4; do sleep 0.1 & done; exec sleep 30", cwd: dir, timeoutMs: 1000 })
      expect(first.timedOut).toBe(true)
      // same workspace, same uid, at once: two processes needed (the shell, then one `true` at a time)
      const next = yield* runWith(layer(), { command: "/bin/true; /bin/true; echo started", cwd: dir, timeoutMs: 10_000, limits: { maxProcesses: 3 } })
      expect(next.output).toContain("started")
      expect(next.exitCode).toBe(0)
    }),
    30_000
  )

  live("exfiltrating environment variables finds no secret", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const hostEnv = {
        ...process.env,
        GITHUB_TOKEN: "ghp_secret",
        OPENAI_API_KEY: "sk-secret",
        DATABASE_URL: "postgres://u:p@db/x",
        RATCHET_SECRET_KEY: "k-secret",
        RATCHET_TOKEN: "rt-secret",
        AWS_SECRET_ACCESS_KEY: "a-secret"
      }
      const r = yield* runWith(layer({ hostEnv }), { command: `"${node}" env-reader.js; env`, cwd: dir, env: { EXTRA_OK: "1", NPM_TOKEN: "leak" } })
      expect(r.exitCode).toBe(0)
      const report = JSON.parse(r.stdout.trim().split("\n")[0])
      expect(report.found).toEqual({})
      expect(report.home).not.toBe(process.env.HOME)
      expect(r.output).not.toContain("secret")
      expect(r.output).not.toContain("leak")
      expect(r.output).toContain("EXTRA_OK=1")
      expect(r.warnings.join("\n")).toContain("NPM_TOKEN")
    })
  )

  live("reading Ratchet's own process environment through /proc is denied", () =>
    Effect.gen(function* () {
      if (!backend.confines) return
      const dir = yield* copyFixture("hostile")
      const r = yield* runWith(layer(), { command: `"${node}" read-files.js /proc/${process.pid}/environ /proc/1/environ`, cwd: dir })
      expect(r.exitCode).toBe(1)
      expect(lastJson(r.stdout).read).toEqual({})
    })
  )

  live("reading the server's data directory and ~/.ssh fails, and the data is untouched", () =>
    Effect.gen(function* () {
      if (!backend.confines) return
      const dir = yield* copyFixture("hostile")
      const data = yield* dataDir
      const home = yield* fakeHome
      const before = readFileSync(join(data, "secret.key"), "utf8")
      const targets = [join(data, "secret.key"), join(data, "db", "PG_VERSION"), data, join(home, ".ssh", "id_ed25519"), join(home, ".ssh"), "/root/.ssh", "/etc/shadow"]
      const r = yield* runWith(layer({ hidden: [data] }), { command: `"${node}" read-files.js ${targets.join(" ")}`, cwd: dir })
      expect(r.exitCode).toBe(1)
      const result = lastJson(r.stdout) as { read: Record<string, string>; denied: Record<string, string> }
      expect(result.read).toEqual({})
      expect(Object.keys(result.denied).sort()).toEqual([...targets].sort())
      expect(r.output).not.toMatch(/DATA-DIR-SECRET-KEY|DATA-DIR-DATABASE|SSH-PRIVATE-KEY/)
      expect(readFileSync(join(data, "secret.key"), "utf8")).toBe(before)
      expect(statSync(data).mode & 0o777).toBe(0o700)
    })
  )

  live("reading another workspace fails", () =>
    Effect.gen(function* () {
      if (!backend.confines) return
      const other = yield* copyFixture("hostile")
      const dir = yield* copyFixture("hostile")
      // like a git worktree (mkdtemp alone would already be private)
      chmodSync(other, 0o755)
      chmodSync(dir, 0o755)
      // the other workspace has run a step of its own (so it belongs to its own sandbox user) and holds a secret
      yield* runWith(layer(), { command: "echo OTHER-WORKSPACE-SECRET > secret.txt", cwd: other })
      expect(readFileSync(join(other, "secret.txt"), "utf8")).toContain("OTHER-WORKSPACE-SECRET")
      const r = yield* runWith(layer(), { command: `"${node}" read-files.js ${join(other, "secret.txt")} ${other}`, cwd: dir })
      expect(r.exitCode).toBe(1)
      expect(lastJson(r.stdout).read).toEqual({})
      expect(r.output).not.toContain("OTHER-WORKSPACE-SECRET")
    })
  )

  live("writing outside the workspace fails and leaves nothing behind", () =>
    Effect.gen(function* () {
      if (!backend.confines) return
      const dir = yield* copyFixture("hostile")
      const outside = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "ratchet-outside-"))),
        (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
      )
      chmodSync(outside, 0o755)
      const data = yield* dataDir
      const targets = [join(outside, "planted.txt"), join(data, "planted.txt"), "/etc/ratchet-hostile-planted", "/usr/local/ratchet-hostile-planted"]
      // the shared temp directory is world-writable on the host: only a private /tmp (bwrap) keeps a step out of it
      const sharedTmp = join(tmpdir(), `ratchet-hostile-planted-${process.pid}`)
      const all = backend.name === "bwrap" ? [...targets, sharedTmp] : targets
      const r = yield* runWith(layer({ hidden: [data] }), { command: `"${node}" write-files.js ${all.join(" ")}; echo inside > inside.txt`, cwd: dir })
      const result = JSON.parse(r.stdout.split("\n").find((l) => l.startsWith("{")) ?? "{}") as { wrote: Array<string> }
      // inside bubblewrap the write to /tmp lands in the step's private /tmp, which is gone afterwards
      expect(result.wrote).toEqual(backend.name === "bwrap" ? [sharedTmp] : [])
      for (const t of all) expect(existsSync(t)).toBe(false)
      expect(readFileSync(join(dir, "inside.txt"), "utf8")).toBe("inside\n")
    })
  )

  live("opening a network connection in an offline step fails (loopback target only)", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const { port, seen } = yield* loopbackServer
      const r = yield* runWith(layer(), { command: `"${node}" net-after-install.js ${port}`, cwd: dir })
      if (backend.name === "bwrap" || caps.netns) {
        expect(r.stdout).toContain("NETWORK-BLOCKED")
        expect(r.exitCode).toBe(3)
        expect(seen).toEqual([])
      }
    })
  )

  live("the install step reaches the network only through the egress proxy, which refuses loopback", () =>
    Effect.gen(function* () {
      if (backend.name === "local" && !caps.netns) return
      const dir = yield* copyFixture("hostile")
      const { port, seen } = yield* loopbackServer
      // a direct connection: the step has a network namespace of its own
      const direct = yield* runWith(layer(), { command: `"${node}" net-after-install.js ${port}`, cwd: dir, network: true })
      expect(direct.stdout).toContain("NETWORK-BLOCKED")
      // through the proxy: Ratchet's own loopback (where the embedded database listens) is refused
      const viaProxy = yield* runWith(layer(), { command: `"${node}" proxy-probe.js 127.0.0.1:${port}`, cwd: dir, network: true })
      expect(viaProxy.stdout).toMatch(/PROXY-ANSWER HTTP\/1\.1 403/)
      expect(viaProxy.exitCode).toBe(3)
      expect(viaProxy.warnings.join("\n")).toMatch(new RegExp(`egress refused 127\\.0\\.0\\.1:${port}`))
      expect(seen).toEqual([])
    })
  )
})

describe("egress allow-list", () => {
  const live = bwrap.available ? it.live : it.skip
  live("lets the install step reach listed hosts only (bwrap)", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const { port, seen } = yield* loopbackServer
      const layer = BwrapSandbox.layerWith({ egress: { allow: [`127.0.0.1:${port}`] } })
      const ok = yield* runWith(layer, { command: `"${node}" proxy-probe.js 127.0.0.1:${port}`, cwd: dir, network: true })
      expect(ok.stdout).toContain("PROXY-ANSWER HTTP/1.1 200")
      const other = yield* runWith(layer, { command: `"${node}" proxy-probe.js registry.npmjs.org:443`, cwd: dir, network: true })
      expect(other.stdout).toMatch(/PROXY-ANSWER HTTP\/1\.1 403/)
      expect(other.warnings.join("\n")).toContain("registry.npmjs.org:443 — not in the sandbox's egress allow-list")
      // an offline step gets no proxy at all
      const offline = yield* runWith(layer, { command: `"${node}" proxy-probe.js 127.0.0.1:${port}`, cwd: dir })
      expect(offline.stdout).toContain("NO-PROXY")
      expect(seen.length).toBe(0)
    })
  )
})

describe("LocalSandbox without network isolation", () => {
  it.live("refuses an offline step unless the operator allows it", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const noNetns = { netns: null, netnsProblem: "simulated: no network namespaces" }
      const refused = yield* runWith(LocalSandbox.layerWith({ capabilities: noNetns }), { command: "touch ran.txt", cwd: dir, label: "test" })
      expect(refused.refused).toMatch(/refused to run test: it must run without network.*simulated: no network namespaces/)
      expect(refused.exitCode).toBeNull()
      expect(existsSync(join(dir, "ran.txt"))).toBe(false)
      // install asks for the network, so it runs
      const install = yield* runWith(LocalSandbox.layerWith({ capabilities: noNetns, egress: "host" }), { command: "true", cwd: dir, network: true })
      expect(install.exitCode).toBe(0)
      // and the operator can allow offline steps to keep the network, with a recorded warning
      const allowed = yield* runWith(LocalSandbox.layerWith({ capabilities: noNetns, allowNetwork: true }), { command: "touch ran.txt", cwd: dir })
      expect(allowed.exitCode).toBe(0)
      expect(allowed.warnings.join("\n")).toContain("network not cut off: simulated: no network namespaces")
      expect(existsSync(join(dir, "ran.txt"))).toBe(true)
    })
  )
})

describe("LocalSandbox workspace hand-over", () => {
  const run = (options: Sandbox.RunOptions) => runWith(LocalSandbox.layer, options)

  it.live("never hands shared directories or symlink targets to the sandbox user", () =>
    Effect.gen(function* () {
      if (!caps.dropUid) return
      const refused = yield* Effect.gen(function* () {
        const s = yield* Sandbox.Sandbox
        return {
          tmp: yield* s.run({ command: "true", cwd: tmpdir() }).pipe(Effect.flip),
          cwd: yield* s.run({ command: "true", cwd: process.cwd() }).pipe(Effect.flip),
          root: yield* s.run({ command: "true", cwd: "/" }).pipe(Effect.flip)
        }
      }).pipe(Effect.provide(LocalSandbox.layer))
      expect(refused.tmp.reason._tag).toBe("BadInput")
      expect(refused.tmp.message).toMatch(/top-level directory|shared directory/)
      expect(refused.cwd.message).toMatch(/shared directory/)
      expect(refused.root.message).toMatch(/top-level directory/)
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
      const refused = yield* Effect.gen(function* () {
        const s = yield* Sandbox.Sandbox
        return yield* s.run({ command: "true", cwd: inside }).pipe(Effect.flip)
      }).pipe(Effect.provide(LocalSandbox.layer))
      expect(refused.reason._tag).toBe("BadInput")
      expect(refused.message).toContain(`${hidden} is not searchable by other users`)
      expect(refused.message).toMatch(/chmod o\+x|RATCHET_HOME/)
    })
  )
})

describe("BwrapSandbox", () => {
  const live = bwrap.available ? it.live : it.skip

  live("reaches a workspace inside a private directory (its parents are fresh inside the sandbox)", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const hidden = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "ratchet-private-"))),
        (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
      )
      const inside = join(hidden, "ws")
      yield* Effect.sync(() => renameSync(dir, inside))
      const r = yield* runWith(BwrapSandbox.layer, { command: "ls; echo written > out.txt", cwd: inside })
      expect(r.exitCode).toBe(0)
      expect(r.stdout).toContain("read-files.js")
      expect(readFileSync(join(inside, "out.txt"), "utf8")).toBe("written\n")
    })
  )

  live("shows the step its own processes only, a private /tmp and home, and a read-only toolchain", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const r = yield* runWith(BwrapSandbox.layer, {
        // provisioned tools (pnpm, the Node a repository asks for) live under $TMPDIR/ratchet-tools-<uid>, bound read-only when present
        command: 'ls /proc | grep -c "^[0-9]" ; ls -A /tmp | grep -v "^ratchet-tools-" | wc -l; echo HOME=$HOME; touch /usr/bin/x 2>&1; echo ok > $HOME/h && echo home-writable; hostname',
        cwd: dir
      })
      const lines = r.stdout.trim().split("\n")
      expect(Number(lines[0])).toBeLessThan(10)
      // the private /tmp holds only the mount point of the workspace (when the workspace lives under /tmp), and the tools
      expect(Number(lines[1])).toBeLessThanOrEqual(1)
      expect(r.stdout).toContain("HOME=/home/ratchet")
      expect(r.output).toMatch(/touch: cannot touch '\/usr\/bin\/x': (Read-only file system|Permission denied)/)
      expect(r.stdout).toContain("home-writable")
      expect(r.stdout).toContain("ratchet-sandbox")
    })
  )

  live("never shows a hidden directory, even inside or around a bound toolchain directory", () =>
    Effect.gen(function* () {
      const dir = yield* copyFixture("hostile")
      const tools = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "ratchet-toolchain-"))),
        (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
      )
      chmodSync(tools, 0o755)
      // a toolchain prefix on PATH with a data directory inside it
      mkdirSync(join(tools, "bin"), { mode: 0o755 })
      writeFileSync(join(tools, "bin", "hello-tool"), "#!/bin/sh\necho HELLO-FROM-TOOL\n", { mode: 0o755 })
      mkdirSync(join(tools, "data"), { mode: 0o755 })
      writeFileSync(join(tools, "data", "secret.key"), "MASKED-SECRET", { mode: 0o644 })
      // and a PATH entry that contains a second hidden directory: it is not bound at all
      const around = join(tools, "around")
      mkdirSync(join(around, "private"), { recursive: true, mode: 0o755 })
      writeFileSync(join(around, "private", "secret.key"), "AROUND-SECRET", { mode: 0o644 })
      const hostEnv = { ...process.env, PATH: `${join(tools, "bin")}:${around}:${process.env.PATH}` }
      const layer = BwrapSandbox.layerWith({ hidden: [join(tools, "data"), join(around, "private")], hostEnv })
      const r = yield* runWith(layer, {
        command: `hello-tool; "${node}" read-files.js ${join(tools, "data", "secret.key")} ${join(tools, "data")} ${join(around, "private", "secret.key")}`,
        cwd: dir
      })
      expect(r.stdout).toContain("HELLO-FROM-TOOL")
      expect(lastJson(r.stdout).read).toEqual({})
      expect(r.output).not.toMatch(/MASKED-SECRET|AROUND-SECRET/)
    })
  )

  live("a step in a git worktree can read its own git metadata, not write it", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const repo = yield* fixtureRepo("hostile")
        const state = yield* tempDir("ratchet-state-")
        chmodSync(state, 0o700) // like the server's data directory, which holds the mirrors
        const ws = yield* Effect.gen(function* () {
          const workspaces = yield* Workspace.Workspace
          return yield* workspaces.prepare({ source: repo, purpose: "baseline" })
        }).pipe(Effect.provide(GitWorkspace.layer({ stateDir: state })))
        // the rest of the data directory: a key, and another repository's mirror
        writeFileSync(join(state, "secret.key"), "DATA-DIR-SECRET-KEY")
        mkdirSync(join(state, "cache", "mirrors", "other.git"), { recursive: true })
        writeFileSync(join(state, "cache", "mirrors", "other.git", "config"), "OTHER-REPOSITORY")
        const r = yield* runWith(BwrapSandbox.layerWith({ hidden: [state] }), {
          command: `git rev-parse HEAD; git commit --allow-empty -q -m x 2>&1 | head -1; "${node}" read-files.js ${join(state, "secret.key")} ${join(state, "cache", "mirrors", "other.git", "config")}`,
          cwd: ws.path
        })
        expect(r.stdout.split("\n")[0]).toBe(ws.commit)
        expect(r.output).toMatch(/Read-only file system|Permission denied|unable/i)
        expect(lastJson(r.stdout.split("\n").filter((l) => l.startsWith("{")).join("\n")).read).toEqual({})
        expect(r.output).not.toMatch(/DATA-DIR-SECRET-KEY|OTHER-REPOSITORY/)
      })
    )
  )

  it.effect("fails with BadInput naming the reason when bubblewrap cannot run", () =>
    Effect.gen(function* () {
      const error = yield* Effect.gen(function* () {
        return yield* Sandbox.Sandbox
      }).pipe(Effect.provide(BwrapSandbox.layerWith({ capabilities: { bwrap: null, bwrapProblem: "simulated: bwrap is not installed" } })), Effect.flip)
      expect(error.reason._tag).toBe("BadInput")
      expect(error.message).toContain("simulated: bwrap is not installed")
    })
  )
})
