/**
 * The adversarial suite, server half: the built `ratchet serve` as real processes, driven over
 * HTTP the way a hostile or careless client would. Each test names the item of issue #12 it holds.
 */
import { execFileSync } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { lookup } from "node:dns/promises"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { RemoteHost } from "@ratchet/runner"
import { freePort, startPostgres } from "../helpers/postgres.js"
import { client, type Served, serve, until } from "./serve.js"

const token = "rat_hostile_server_token"
const pg = await startPostgres()
const scratch = mkdtempSync(join(tmpdir(), "ratchet-hostile-server-"))
chmodSync(scratch, 0o755)
const running: Array<Served> = []
afterAll(async () => {
  for (const s of running) await s.stop("SIGKILL")
  pg?.stop()
  rmSync(scratch, { recursive: true, force: true })
})

let n = 0
const dir = (name: string) => {
  const d = join(scratch, `${name}-${n++}`)
  mkdirSync(d, { recursive: true })
  return d
}

let sharedServer: Promise<Served> | undefined
/** One plain server (no --repo-root) shared by the tests that only send it requests. */
const shared = (): Promise<Served> => {
  sharedServer ??= started(["--data", dir("shared-data")])
  return sharedServer
}

const started = async (args: Array<string>, env: Record<string, string> = {}): Promise<Served> => {
  const s = await serve(args, { RATCHET_TOKEN: token, ...env })
  if (!("url" in s)) throw new Error(`ratchet serve exited with ${s.exitCode}:\n${s.output}`)
  running.push(s)
  return s
}

describe("hostile server: one writer per data directory (#12 item 3)", { timeout: 300_000 }, () => {
  it("a second serve on the same --data exits 2 naming the directory and the running pid; the first keeps its data", async () => {
    const data = dir("data")
    const first = await started(["--data", data], { RATCHET_FAKE_STAGE_MS: "5" })
    const call = client(first.url, token)
    const repo = await call("POST", "/api/repos", { name: "one-writer", url: "https://140.82.112.3/example/one-writer" })
    expect(repo.status).toBe(201)

    const second = await serve(["--data", data], { RATCHET_TOKEN: token })
    expect("exitCode" in second ? second.exitCode : "it started").toBe(2)
    const output = "output" in second && typeof second.output === "string" ? second.output : ""
    const line = output.split("\n").find((l) => l.startsWith("ratchet: ")) ?? output
    expect(line).toContain(data)
    expect(line).toContain(`pid ${first.proc.pid}`)

    // the first server is untouched and still serves its data
    expect((await call("GET", `/api/repos/${repo.body.id}`)).status).toBe(200)
    expect(await first.stop("SIGTERM")).toBe(143)
    expect(existsSync(join(data, "server.pid")), "SIGTERM releases the data directory").toBe(false)
  })

  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    it(`${signal} of the server, then a restart on the same --data: nothing is lost`, async () => {
      const data = dir("data")
      const first = await started(["--data", data], { RATCHET_FAKE_STAGE_MS: "300" })
      const call = client(first.url, token)
      const repo = await call("POST", "/api/repos", { name: `restart-${signal}`, url: "https://140.82.112.3/example/restart" })
      const done = await call("POST", `/api/repos/${repo.body.id}/runs`)
      expect(done.status).toBe(202)
      await until("the first run to finish", async () => {
        const r = (await call("GET", `/api/runs/${done.body.id}`)).body
        return r.status === "succeeded" ? r : undefined
      }, 90_000)
      const inFlight = await call("POST", `/api/repos/${repo.body.id}/runs`)
      expect(inFlight.status).toBe(202)
      await until("the second run to be running", async () => {
        const r = (await call("GET", `/api/runs/${inFlight.body.id}`)).body
        return r.stages?.length > 0 ? r : undefined
      })
      await first.stop(signal)
      if (signal === "SIGKILL") expect(JSON.parse(readFileSync(join(data, "server.pid"), "utf8")).pid).toBe(first.proc.pid)

      const second = await started(["--data", data], { RATCHET_FAKE_STAGE_MS: "5" })
      const call2 = client(second.url, token)
      expect((await call2("GET", `/api/repos/${repo.body.id}`)).body.name).toBe(`restart-${signal}`)
      const finished = (await call2("GET", `/api/runs/${done.body.id}`)).body
      expect(finished.status).toBe("succeeded")
      expect(finished.proposals).toHaveLength(3)
      const resumed = await until("the interrupted run to finish after the restart", async () => {
        const r = (await call2("GET", `/api/runs/${inFlight.body.id}`)).body
        return ["succeeded", "failed", "cancelled"].includes(r.status) ? r : undefined
      }, 90_000)
      expect(resumed.status).toBe("succeeded")
      expect(resumed.proposals).toHaveLength(3)
      await second.stop("SIGTERM")
    }, 240_000)
  }
})

describe("hostile server: small ones (#12 item 11)", { timeout: 300_000 }, () => {
  it("messages say repositories, not repositorys", async () => {
    const s = await shared()
    const res = await client(s.url, token)("GET", "/api/repos/repo_doesnotexist000000000")
    expect(res.status).toBe(404)
    expect(res.body.error.message).toContain("List the repositories")
    expect(JSON.stringify(res.body)).not.toContain("repositorys")
  })
})

/** A repository with one finished fake run: its three proposals. */
const proposals = async (call: ReturnType<typeof client>, name: string) => {
  const repo = await call("POST", "/api/repos", { name, url: `https://140.82.112.3/example/${name}` })
  expect(repo.status, JSON.stringify(repo.body)).toBe(201)
  const run = await call("POST", `/api/repos/${repo.body.id}/runs`)
  expect(run.status).toBe(202)
  const done = await until("the run to finish", async () => {
    const r = (await call("GET", `/api/runs/${run.body.id}`)).body
    return r.status === "succeeded" ? r : undefined
  }, 90_000)
  return done.proposals as Array<{ id: string; contentHash: string }>
}

const ACTIONS = ["approve", "reject", "request-changes", "reject", "approve", "request-changes"]

/** Six concurrent decisions on each proposal (spread over the given clients): exactly one wins, the rest are 409. */
const race = async (calls: Array<ReturnType<typeof client>>, items: Array<{ id: string; contentHash: string }>) => {
  for (const p of items) {
    const results = await Promise.all(
      ACTIONS.map((action, n) => calls[n % calls.length]!("POST", `/api/proposals/${p.id}/${action}`, { contentHash: p.contentHash, note: `reviewer ${n}` }))
    )
    const statuses = results.map((r) => r.status).sort()
    expect(statuses, JSON.stringify(results.map((r) => r.body))).toEqual([201, 409, 409, 409, 409, 409])
    for (const r of results) if (r.status === 409) expect(r.body.error.requestId).toBeTruthy()
    const stored = (await calls[0]!("GET", `/api/proposals/${p.id}`)).body
    expect(stored.decisions).toHaveLength(1)
    const winner = results.find((r) => r.status === 201)!.body
    expect(stored.status).toBe(winner.decision)
    // the approver is who the token says (#12 item 2)
    expect(stored.decisions[0]).toMatchObject({ actor: "RATCHET_TOKEN", tokenId: "tok_bootstrap_env" })
    if (stored.status === "rejected") {
      const pr = await calls[0]!("POST", `/api/proposals/${p.id}/pr`)
      expect(pr.status).toBeGreaterThanOrEqual(400)
    }
  }
}

describe("hostile server: one decision per proposal, atomically (#12 items 1 and 2)", { timeout: 300_000 }, () => {
  it("concurrent approve/reject/request-changes on one server: one decision, the losers get 409", async () => {
    const s = await started(["--data", dir("data")], { RATCHET_FAKE_STAGE_MS: "5" })
    const call = client(s.url, token)
    await race([call, call], await proposals(call, "race-one"))
    // a client-supplied actor is refused, never recorded
    const [p] = await proposals(call, "race-actor")
    const spoofed = await call("POST", `/api/proposals/${p!.id}/approve`, { contentHash: p!.contentHash, actor: "the-cto" })
    expect(spoofed.status).toBe(400)
    expect((await call("GET", `/api/proposals/${p!.id}`)).body.decisions).toEqual([])
    await s.stop()
  }, 180_000)

  it.skipIf(pg === null)("two server processes on one PostgreSQL: still one decision per proposal", async () => {
    const env = { DATABASE_URL: pg!.url, RATCHET_FAKE_STAGE_MS: "5", RATCHET_RUNS_PER_MINUTE: "1000" }
    // a two-runner cluster, started one after the other (the first applies the migrations)
    const a = await started(["--data", dir("data-a")], { ...env, RATCHET_RUNNER_PORT: String(await freePort()) })
    const b = await started(["--data", dir("data-b")], { ...env, RATCHET_RUNNER_PORT: String(await freePort()) })
    const callA = client(a.url, token)
    const callB = client(b.url, token)
    await race([callA, callB], await proposals(callA, "race-two"))
    await a.stop()
    await b.stop()
  }, 240_000)
})

describe("hostile server: local paths only where the operator says (#12 item 5)", { timeout: 300_000 }, () => {
  it("without --repo-root, a local path is refused at creation (URLs only)", async () => {
    const s = await shared()
    const call = client(s.url, token)
    const repo = dir("a-real-repo")
    execFileSync("git", ["init", "-q"], { cwd: repo })
    const res = await call("POST", "/api/repos", { name: "no-roots", path: repo })
    expect(res.status).toBe(400)
    expect(res.body.error).toMatchObject({ code: "Invalid", field: "path" })
    expect(res.body.error.message).toContain("--repo-root")
    expect((await call("GET", "/api/repos")).body.items.filter((r: { name: string }) => r.name === "no-roots")).toEqual([])
  })

  it("with --repo-root: /, /etc, /proc, files, missing paths, non-git directories and symlinks out are 400; a git work tree inside is 201", async () => {
    const root = dir("roots")
    const inside = join(root, "project")
    mkdirSync(inside)
    execFileSync("git", ["init", "-q"], { cwd: inside })
    const plain = join(root, "not-git")
    mkdirSync(plain)
    const file = join(root, "file.txt")
    writeFileSync(file, "x")
    const outLink = join(root, "escape")
    symlinkSync("/etc", outLink)
    const s = await started(["--data", dir("data"), "--repo-root", root])
    const call = client(s.url, token)
    const refused: Array<[string, string]> = [
      ["/", "outside"],
      ["/etc", "outside"],
      ["/proc/self/cwd", "outside"],
      [file, "not a directory"],
      [join(root, "missing"), "does not exist"],
      [plain, "not a git work tree"],
      [outLink, "outside"],
      [`${inside}/../../..`, "outside"]
    ]
    for (const [path, reason] of refused) {
      const res = await call("POST", "/api/repos", { name: `p${n++}`, path })
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(400)
      expect(res.body.error.field).toBe("path")
      expect(res.body.error.message).toContain(reason)
    }
    const ok = await call("POST", "/api/repos", { name: "inside", path: inside })
    expect(ok.status, JSON.stringify(ok.body)).toBe(201)
    expect(ok.body.path).toBe(realpathSync(inside))
    await s.stop()
  })
})

describe("hostile server: ids are validated at the edge (#12 item 6)", { timeout: 300_000 }, () => {
  it("NUL bytes, wrong prefixes and over-long ids get 400/404, never a 5xx", async () => {
    const s = await shared()
    const call = client(s.url, token)
    const bad = ["repo_%00x", "%00", "run_a%00b", "x".repeat(300), `run_${"a".repeat(5000)}`, "prop_%C0%AF", "..%2F..%2Fetc", "run_'%3B DROP TABLE runs;--", "art_%F0%9F%92%A9"]
    const routes = ["/api/repos/ID", "/api/repos/ID/runs", "/api/repos/ID/budgets", "/api/runs/ID", "/api/runs/ID/events", "/api/proposals/ID", "/api/artifacts/ID"]
    for (const route of routes) {
      for (const id of bad) {
        const res = await call("GET", route.replace("ID", id))
        expect(res.status, `${route} ${id}: ${JSON.stringify(res.body)}`).toBeLessThan(500)
        expect([400, 404]).toContain(res.status)
      }
    }
    for (const [route, method] of [["/api/runs/ID/cancel", "POST"], ["/api/proposals/ID/approve", "POST"], ["/api/proposals/ID/pr", "POST"], ["/api/repos/ID/settings", "PATCH"]] as const) {
      for (const id of bad) {
        const res = await call(method, route.replace("ID", id), method === "PATCH" ? { paused: true } : { contentHash: "a".repeat(64) })
        expect([400, 404], `${method} ${route} ${id}: ${res.status} ${JSON.stringify(res.body)}`).toContain(res.status)
      }
    }
    // a wrong prefix is a 404 that names the kind
    const wrong = await call("GET", "/api/runs/repo_abc")
    expect(wrong.status).toBe(404)
    expect(wrong.body.error.message).toContain("run ids start with run_")
    const nul = await call("GET", "/api/proposals/prop_%00")
    expect(nul.status).toBe(400)
    expect(nul.body.error.requestId).toBeTruthy()
  })
})

describe("hostile server: SSRF by name (#12 item 4)", { timeout: 300_000 }, () => {
  it("URLs whose host is, or resolves to, a non-public address are refused at creation, in every form", async () => {
    const s = await shared()
    const call = client(s.url, token)
    const literal = [
      "https://[::ffff:127.0.0.1]/a.git",
      "https://[::ffff:a9fe:a9fe]/latest",
      "https://100.100.100.200/latest",
      "https://[64:ff9b::7f00:1]/a.git",
      "https://[2002:7f00:1::]/a.git",
      "https://[::127.0.0.1]/a.git",
      "https://[fd00:ec2::254]/latest",
      "https://2130706433/a.git",
      "https://0x7f.1/a.git",
      "https://224.0.0.1/a.git",
      "https://0.0.0.0/a.git"
    ]
    for (const url of literal) {
      const res = await call("POST", "/api/repos", { name: `ssrf${n++}`, url })
      expect(res.status, `${url}: ${JSON.stringify(res.body)}`).toBe(400)
      expect(res.body.error.field).toBe("url")
    }
    // a name (not an address) that resolves to this machine: /etc/hosts, no network needed
    const local = (await lookup(hostname(), { all: true })).map((a) => a.address)
    if (local.length > 0 && local.every((a) => RemoteHost.classify(a) !== null)) {
      const res = await call("POST", "/api/repos", { name: "by-name", url: `https://${hostname()}/a.git` })
      expect(res.status, JSON.stringify(res.body)).toBe(400)
      expect(res.body.error.message).toContain(`resolves to ${local[0]}`)
    }
    expect((await call("GET", "/api/repos")).body.items.filter((r: { name: string }) => r.name.startsWith("ssrf") || r.name === "by-name")).toEqual([])
    // a public address is accepted
    expect((await call("POST", "/api/repos", { name: "public", url: "https://140.82.112.3/example/public" })).status).toBe(201)
  })
})

describe("hostile server: secrets never leave (#12 item 9)", { timeout: 300_000 }, () => {
  it("secrets a repository's own tests print are scrubbed from events, stage errors, the run view and run-log artifacts", async () => {
    const aws = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    const gh = `ghp_${"Zq8xW3vN7k".repeat(4)}`
    const root = dir("roots")
    chmodSync(root, 0o755)
    const repo = join(root, "leaky")
    mkdirSync(repo)
    writeFileSync(join(repo, "package.json"), JSON.stringify({ name: "leaky", scripts: { test: "node leak.js" } }))
    writeFileSync(join(repo, "leak.js"), `console.log("AWS_SECRET_ACCESS_KEY=${aws}")\nconsole.error("auth with ${gh} failed")\nprocess.exit(1)\n`)
    const git = (...args: Array<string>) => execFileSync("git", ["-c", "user.email=t@e", "-c", "user.name=t", ...args], { cwd: repo, stdio: "pipe" })
    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "init")
    const data = dir("data")
    // the real stages: the baseline runs the repository's tests in the sandbox (roots from the environment)
    const s = await started(["--data", data], { RATCHET_STAGES: "real", RATCHET_REPO_ROOTS: root })
    const call = client(s.url, token)
    const created = await call("POST", "/api/repos", { name: "leaky", path: repo })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const run = await call("POST", `/api/repos/${created.body.id}/runs`)
    const done = await until("the run to fail at the baseline", async () => {
      const r = (await call("GET", `/api/runs/${run.body.id}`)).body
      return ["succeeded", "failed", "cancelled"].includes(r.status) ? r : undefined
    }, 180_000)
    expect(done.status).toBe("failed")
    const events = await (await fetch(`${s.url}/api/runs/${run.body.id}/events`, { headers: { authorization: `Bearer ${token}` } })).text()
    // the failure is reported, with the output, but without the secrets
    expect(events).toContain("stage.failed")
    expect(events).toContain("[REDACTED]")
    for (const secret of [aws, gh]) {
      expect(events).not.toContain(secret)
      expect(JSON.stringify(done)).not.toContain(secret)
    }
    // no run log, artifact or report under the data directory holds them either (the mirror of
    // the repository holds its own source, which is where the secrets come from; the database is
    // checked through the API above)
    const leaks = execFileSync("sh", ["-c", `grep -rl -F -e '${aws}' -e '${gh}' '${data}' --exclude-dir=db --exclude-dir=mirrors || true`], { encoding: "utf8" }).trim()
    expect(leaks).toBe("")
    await s.stop()
  }, 300_000)
})

describe("hostile server: the API stays responsive under work (#12 item 10)", { timeout: 300_000 }, () => {
  it("a burst of 40 run requests: queued within the limits, the excess gets 429 with Retry-After and a requestId; one run per repository executes at a time", async () => {
    const s = await started(["--data", dir("data")], { RATCHET_FAKE_STAGE_MS: "20", RATCHET_MAX_QUEUED_PER_REPO: "10", RATCHET_RUNS_PER_MINUTE: "1000" })
    const call = client(s.url, token)
    const repo = await call("POST", "/api/repos", { name: "burst", url: "https://140.82.112.3/example/burst" })
    const burst = await Promise.all(Array.from({ length: 40 }, () => call("POST", `/api/repos/${repo.body.id}/runs`)))
    const accepted = burst.filter((r) => r.status === 202)
    const refused = burst.filter((r) => r.status === 429)
    expect(accepted.length + refused.length, JSON.stringify(burst.map((r) => r.status))).toBe(40)
    expect(accepted.length).toBeGreaterThanOrEqual(10)
    expect(accepted.length).toBeLessThanOrEqual(12)
    for (const r of refused) {
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0)
      expect(r.body.error).toMatchObject({ code: "Busy", requestId: expect.any(String) })
      expect(r.body.error.requestId).toBe(r.headers.get("x-request-id"))
    }
    let maxRunning = 0
    const ids = accepted.map((r) => r.body.id as string)
    await until("every accepted run to finish", async () => {
      const list = (await call("GET", `/api/repos/${repo.body.id}/runs?limit=200`)).body.items as Array<{ id: string; status: string }>
      maxRunning = Math.max(maxRunning, list.filter((r) => r.status === "running").length)
      const mine = list.filter((r) => ids.includes(r.id))
      return mine.length === ids.length && mine.every((r) => r.status === "succeeded") ? mine : undefined
    }, 240_000)
    expect(maxRunning).toBe(1)
    await s.stop()
  }, 300_000)
})
