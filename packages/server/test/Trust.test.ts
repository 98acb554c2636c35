/**
 * A hostile repository through the server's real stages, on both sandbox backends: its install,
 * typecheck, tests and benchmark try to read the data directory, print the environment (the
 * server's tokens and keys are in it), connect to a loopback service (where the embedded database
 * would listen), and write outside the workspace. Every attempt fails and is reported in the logs,
 * the steps that depend on one fail with their reason, the run goes on to the end, and the data
 * directory and the secrets are untouched.
 */
import { spawn, spawnSync } from "node:child_process"
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import type { Sandbox } from "@ratchet/core"
import { BwrapSandbox, LocalSandbox } from "@ratchet/runner"
import * as Database from "../src/Database.js"
import { engineLayer, Runs, workflowLayer } from "../src/Runs.js"
import { stagesFromEnv } from "../src/Server.js"
import { type Run, Store } from "../src/Store.js"
import { committedRepo, waitForRun } from "./helpers/fixtureRepo.js"

const temp = mkdtempSync(join(tmpdir(), "ratchet-trust-"))
chmodSync(temp, 0o755)

const SECRETS = {
  RATCHET_TOKEN: "rt_hostile_probe_token_value",
  // a well-formed key (32 bytes, base64): `ratchet serve` refuses to start with a malformed one
  RATCHET_SECRET_KEY: "aG9zdGlsZS1wcm9iZS1zZWNyZXQta2V5LTMyYnl0ZXM=",
  GITHUB_TOKEN: "ghp_hostileprobetokenvalue000000000000",
  OPENAI_API_KEY: "sk-hostile-probe-openai-key-value"
}
const saved: Record<string, string | undefined> = {}

// A loopback service, like the embedded database's socket: nothing may reach it.
const seen: Array<string> = []
const service = createServer((s) => {
  seen.push("connection")
  s.end()
})
let port = 0

beforeAll(async () => {
  for (const [k, v] of Object.entries(SECRETS)) {
    saved[k] = process.env[k]
    process.env[k] = v
  }
  await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", () => resolve()))
  port = (service.address() as { port: number }).port
})
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  service.close()
  rmSync(temp, { recursive: true, force: true })
})

/** The hostile script: one phase per step; prints one JSON line per attempt. */
const hostile = (dataDir: string, outside: string) => `
import { readFileSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
const phase = process.argv[2]
const report = (what, result) => console.log("HOSTILE " + JSON.stringify({ phase, what, result }))
const tryRead = (path) => { try { return "READ " + readFileSync(path, "utf8").slice(0, 80) } catch (e) { return "DENIED " + e.code } }
const tryWrite = (path) => { try { writeFileSync(path, "planted"); return "WROTE" } catch (e) { return "DENIED " + e.code } }
report("env", Object.keys(process.env).sort().join(","))
console.log("ENV-DUMP " + JSON.stringify(process.env))
report("data-key", tryRead(${JSON.stringify(join(dataDir, "secret.key"))}))
report("data-dir", tryRead(${JSON.stringify(join(dataDir, "db", "PG_VERSION"))}))
report("write-outside", tryWrite(${JSON.stringify(join(outside, `planted-${Math.random().toString(36).slice(2)}`))}))
report("write-data-dir", tryWrite(${JSON.stringify(join(dataDir, "planted"))}))
const net = await new Promise((resolve) => {
  const s = connect({ host: "127.0.0.1", port: ${port} })
  s.setTimeout(2000)
  s.on("connect", () => { s.end(); resolve("CONNECTED") })
  s.on("timeout", () => { s.destroy(); resolve("BLOCKED timeout") })
  s.on("error", (e) => resolve("BLOCKED " + e.code))
})
report("loopback", net)
if (process.env.HTTPS_PROXY) {
  const proxy = new URL(process.env.HTTPS_PROXY)
  const answer = await new Promise((resolve) => {
    const s = connect(Number(proxy.port), proxy.hostname, () => s.write("CONNECT 127.0.0.1:${port} HTTP/1.1\\r\\n\\r\\n"))
    s.once("data", (d) => { s.destroy(); resolve(d.toString().split("\\r\\n")[0]) })
    s.on("error", (e) => resolve("ERROR " + e.code))
  })
  report("loopback-via-proxy", answer)
}
// install and test go on (a failed attempt is not a crash); typecheck and bench fail when they got nothing
if (phase === "typecheck" || phase === "bench") process.exit(net === "CONNECTED" ? 0 : 1)
`

const repo = (name: string, dataDir: string, outside: string): string => {
  const dir = join(temp, name)
  const files: Record<string, string> = {
    "package.json": `${JSON.stringify({ name, version: "1.0.0", private: true, type: "module", scripts: { test: "node --test" } }, null, 2)}\n`,
    // the config itself is hostile too: it plants markers where the server would see them and flags the process it runs in
    "ratchet.config.mjs": [
      'import { writeFileSync } from "node:fs"',
      `for (const dir of ${JSON.stringify([outside, dataDir])}) { try { writeFileSync(dir + "/CONFIG-MARKER", "config ran here") } catch {} }`,
      "globalThis.__ratchetHostileConfig = true",
      'process.env.RATCHET_HOSTILE_CONFIG = "ran"',
      'export default { profile: { commands: { install: "node hostile.mjs install", typecheck: "node hostile.mjs typecheck", test: "node hostile.mjs test && node --test", bench: "node hostile.mjs bench" } } }',
      ""
    ].join("\n"),
    "hostile.mjs": hostile(dataDir, outside),
    "src/codes.js": ["export function keep(codes) {", "  const skip = [200, 201, 204, 301, 302, 304]", "  return codes.filter((code) => skip.indexOf(code) === -1)", "}", ""].join("\n"),
    "test/codes.test.js": [
      'import { test } from "node:test"',
      'import assert from "node:assert/strict"',
      'import { keep } from "../src/codes.js"',
      'test("keep drops success codes", () => assert.deepEqual(keep([200, 404]), [404]))',
      ""
    ].join("\n")
  }
  return committedRepo(dir, files)
}

const waitFor = (runId: string) => waitForRun(runId, { polls: 4800, everyMs: 50 })

const backends: ReadonlyArray<{ readonly name: string; readonly available: boolean; readonly sandbox: (dataDir: string) => Layer.Layer<Sandbox.Sandbox, unknown> }> = [
  { name: "local", available: LocalSandbox.capabilities().dropUid, sandbox: () => LocalSandbox.layer },
  { name: "bwrap", available: BwrapSandbox.availability().available, sandbox: (dataDir) => BwrapSandbox.layerWith({ hidden: [dataDir] }) }
]

describe.each(backends)("a hostile repository through the server on the $name backend", (backend) => {
  const live = backend.available ? it.live : it.skip
  live(
    "every attempt fails and is reported, the failing steps carry their reason, the run goes on, and the data is untouched",
    () =>
      Effect.gen(function* () {
        // the server's data directory, private like `ratchet serve` makes it, with a key and a database file
        const dataDir = join(temp, `data-${backend.name}`)
        mkdirSync(join(dataDir, "db"), { recursive: true, mode: 0o700 })
        chmodSync(dataDir, 0o700)
        writeFileSync(join(dataDir, "secret.key"), "DATA-DIR-SECRET-KEY")
        writeFileSync(join(dataDir, "db", "PG_VERSION"), "DATA-DIR-DATABASE")
        const outside = mkdtempSync(join(temp, "outside-"))
        chmodSync(outside, 0o755)
        const source = repo(`hostile-${backend.name}`, dataDir, outside)

        const sandbox = Layer.orDie(backend.sandbox(dataDir))
        const base = Layer.mergeAll(Store.layer, engineLayer).pipe(Layer.provideMerge(Database.layer({ dataDir: "memory://" })))
        const app = Runs.layer.pipe(Layer.provideMerge(workflowLayer), Layer.provide(stagesFromEnv({}, { stateDir: dataDir, sandbox })), Layer.provideMerge(base))

        const { done, logs } = yield* Effect.gen(function* () {
          const store = yield* Store
          const runs = yield* Runs
          const { orgId } = yield* store.bootstrap(undefined)
          const created = yield* store.createRepo(orgId, { name: "hostile", url: null, path: source, defaultBranch: "main" })
          const done: Run = yield* waitFor((yield* runs.start(orgId, created.id, "api")).id)
          // the baseline's logs.txt, from the content-addressed store under the data directory
          const artifacts = join(dataDir, "artifacts")
          const texts = readdirSync(artifacts, { recursive: true })
            .map((f) => join(artifacts, String(f)))
            .filter((f) => statSync(f).isFile())
            .map((f) => readFileSync(f, "utf8"))
          return { done, logs: texts.find((t) => t.includes("===== install:")) ?? "" }
        }).pipe(Effect.provide(app), Effect.scoped)

        // the run went on to the end
        expect(done.stages.map((s) => s.stage)).toEqual(["detect", "baseline", "scan", "patchgen", "validate", "package"])
        expect(done.status).toBe("succeeded")

        // each attempt failed and is in the logs
        const attempts = logs
          .split("\n")
          .filter((l) => l.startsWith("HOSTILE "))
          .map((l) => JSON.parse(l.slice("HOSTILE ".length)) as { phase: string; what: string; result: string })
        expect(new Set(attempts.map((a) => a.phase))).toEqual(new Set(["install", "typecheck", "test", "bench"]))
        for (const a of attempts.filter((a) => a.what !== "env")) {
          if (a.what === "loopback-via-proxy") expect(a.result).toMatch(/^HTTP\/1\.1 403/)
          else expect(a.result).toMatch(/^(DENIED|BLOCKED)/)
        }
        expect(attempts.some((a) => a.phase === "install" && a.what === "loopback-via-proxy")).toBe(true)
        expect(seen).toEqual([])

        // no secret of the server in any step's environment, nor anywhere in the logs
        for (const value of Object.values(SECRETS)) expect(logs).not.toContain(value)
        for (const name of Object.keys(SECRETS)) expect(logs).not.toMatch(new RegExp(`"${name}"`))
        expect(logs).toContain("ENV-DUMP")
        expect(logs).not.toMatch(/DATA-DIR-SECRET-KEY|DATA-DIR-DATABASE/)

        // the steps that relied on an attempt failed, with the reason recorded
        const baseline = JSON.parse(readBaseline(dataDir)) as { steps: Array<{ name: string; outcome: string; reason: string | null }> }
        const step = (name: string) => baseline.steps.find((s) => s.name === name)
        expect(step("install")?.outcome).toBe("passed")
        expect(step("test")?.outcome).toBe("passed")
        expect(step("typecheck")?.outcome).toBe("failed")
        expect(step("typecheck")?.reason).toMatch(/typecheck failed with exit code 1/)
        expect(step("bench")?.outcome).toBe("failed")

        // the data directory is as it was: nothing planted, key and database intact, still private
        expect(readFileSync(join(dataDir, "secret.key"), "utf8")).toBe("DATA-DIR-SECRET-KEY")
        expect(readFileSync(join(dataDir, "db", "PG_VERSION"), "utf8")).toBe("DATA-DIR-DATABASE")
        expect(readdirSync(dataDir).includes("planted")).toBe(false)
        expect(statSync(dataDir).mode & 0o777).toBe(0o700)
        expect(readdirSync(outside)).toEqual([])
        // the repository's config ran in the sandbox (its commands were used), never in the server's process (#17)
        expect(readdirSync(dataDir).includes("CONFIG-MARKER")).toBe(false)
        expect((globalThis as Record<string, unknown>).__ratchetHostileConfig).toBeUndefined()
        expect(process.env.RATCHET_HOSTILE_CONFIG).toBeUndefined()
      }),
    600_000
  )
})

// `ratchet serve` as users run it: the built binary in a child process.
const bin = join(import.meta.dirname, "..", "dist", "bin.js")

/** Starts `ratchet serve` on a free port, waits until it listens, stops it; returns what it printed. */
const serveOnce = (dataDir: string, env: Record<string, string> = {}): Promise<string> =>
  new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [bin, "serve", "--port", "0", "--data", dataDir], {
      env: { ...process.env, RATCHET_TOKEN: "rt_serve_test_token", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    const timer = setTimeout(() => {
      proc.kill("SIGKILL")
      reject(new Error(`ratchet serve did not start in 120 s:\n${out}`))
    }, 120_000)
    const onData = (d: Buffer) => {
      out += d.toString()
      if (out.includes("ratchet server listening on")) {
        clearTimeout(timer)
        proc.once("exit", () => resolve(out))
        proc.kill("SIGTERM")
      }
    }
    proc.stdout.on("data", onData)
    proc.stderr.on("data", onData)
    proc.once("exit", (code) => {
      clearTimeout(timer)
      if (!out.includes("ratchet server listening on")) reject(new Error(`ratchet serve exited with ${code}:\n${out}`))
    })
  })

describe("ratchet serve", () => {
  it.live("creates its data directory 0700, tightens an existing open one, and says which sandbox is in force and why", () =>
    Effect.gen(function* () {
      const fresh = join(temp, "serve-fresh")
      const out = yield* Effect.promise(() => serveOnce(fresh))
      expect(statSync(fresh).mode & 0o777).toBe(0o700)
      const bwrap = BwrapSandbox.availability()
      expect(out).toMatch(
        bwrap.available
          ? /ratchet server: sandbox: bwrap \(bubblewrap is available \(the default\)\) — bubblewrap .*never the data directory/
          : /ratchet server: sandbox: local \(bubblewrap is unavailable: .*\) — /
      )
      const open = join(temp, "serve-open")
      mkdirSync(open, { mode: 0o755 })
      chmodSync(open, 0o755)
      const again = yield* Effect.promise(() => serveOnce(open, { RATCHET_SANDBOX: "local" }))
      expect(statSync(open).mode & 0o777).toBe(0o700)
      expect(again).toContain('"msg":"data directory tightened"')
      expect(again).toMatch(/ratchet server: sandbox: local \(requested by RATCHET_SANDBOX=local\)/)
    }),
    300_000
  )

  it("an unknown sandbox or a malformed egress allow-list is bad input (exit 2, named on stderr)", () => {
    const data = join(temp, "serve-bad")
    const unknown = spawnSync(process.execPath, [bin, "serve", "--port", "0", "--data", data], { env: { ...process.env, RATCHET_SANDBOX: "docker" }, encoding: "utf8", timeout: 60_000 })
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain('unknown sandbox "docker"')
    expect(unknown.stderr).toContain("RATCHET_SANDBOX")
    const allow = spawnSync(process.execPath, [bin, "serve", "--port", "0", "--data", data], { env: { ...process.env, RATCHET_EGRESS_ALLOW: "registry.npmjs.org,https://evil/x" }, encoding: "utf8", timeout: 60_000 })
    expect(allow.status).toBe(2)
    expect(allow.stderr).toContain("RATCHET_EGRESS_ALLOW")
    expect(allow.stderr).toContain("https://evil/x")
  }, 120_000)
})

/** The baseline stage's stored baseline.json: the one whose install step ran (candidates reuse the baseline's install). */
const readBaseline = (dataDir: string): string => {
  const artifacts = join(dataDir, "artifacts")
  for (const f of readdirSync(artifacts, { recursive: true })) {
    const path = join(artifacts, String(f))
    if (!statSync(path).isFile()) continue
    const text = readFileSync(path, "utf8")
    if (!text.trimStart().startsWith("{") || !text.includes('"steps"')) continue
    const steps = (JSON.parse(text) as { steps?: Array<{ name: string; outcome?: string }> }).steps ?? []
    if (steps.some((s) => s.name === "install" && s.outcome !== "reused" && s.outcome !== "skipped")) return text
  }
  return "{}"
}
