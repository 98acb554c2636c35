import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { freePort, startPostgres } from "./helpers/postgres.js"
import { api, type ServerProcess, startServer, until } from "./helpers/process.js"

// Two runner processes against one real PostgreSQL. Skipped (with the reason printed by
// startPostgres) only where the PostgreSQL binaries are not installed.
const pg = await startPostgres()
const procs: Array<ServerProcess> = []
const token = "rat_scaleout_test_token"

afterAll(async () => {
  for (const p of procs) await p.kill()
  pg?.stop()
})

describe.skipIf(pg === null)("scale-out (two real processes, one PostgreSQL)", () => {
  it("splits runs between the runners and completes each run exactly once", async () => {
    // each runner has its own data directory (one server per data directory)
    const env = (runnerPort: number) => ({
      RATCHET_DATA: Fs.mkdtempSync(Path.join(Os.tmpdir(), "ratchet-scaleout-")),
      DATABASE_URL: pg!.url,
      RATCHET_TOKEN: token,
      RATCHET_STAGES: "fake",
      RATCHET_FAKE_STAGE_MS: "100",
      RATCHET_RUNNER_PORT: String(runnerPort),
      RATCHET_RUNS_PER_MINUTE: "1000",
      // up to 40 runs of one repository may wait while the runners share them out
      RATCHET_MAX_QUEUED_PER_REPO: "100",
      RATCHET_LOG: "off"
    })
    // Sequential start: the first one applies the migrations.
    const a = await startServer(env(await freePort()))
    procs.push(a)
    const b = await startServer(env(await freePort()))
    procs.push(b)
    const callA = api(a.url, token)
    const callB = api(b.url, token)

    const repo = await callA("POST", "/api/repos", { name: "scale", url: "https://140.82.112.3/example/scale" })
    expect(repo.status).toBe(201)
    const ids: Array<string> = []
    const pids = new Set([String(a.proc.pid), String(b.proc.pid)])
    const runnersOf = async (runIds: Array<string>) => {
      const seen = new Set<string>()
      for (const id of runIds) {
        const run = (await callA("GET", `/api/runs/${id}`)).body
        for (const s of run.stages ?? []) if (s.runner) seen.add(s.runner.split(":").at(-1))
      }
      return seen
    }
    // The second runner takes over its share of the shards shortly after it joins; keep starting
    // runs (through both processes) until work has landed on both, at most 40 runs.
    await until("runs to land on both runners", async () => {
      if (ids.length < 40) {
        for (let i = 0; i < 4; i++) {
          const res = await (i % 2 === 0 ? callA : callB)("POST", `/api/repos/${repo.body.id}/runs`)
          expect(res.status).toBe(202)
          ids.push(res.body.id)
        }
      }
      await new Promise((r) => setTimeout(r, 1000))
      const seen = await runnersOf(ids)
      return seen.size === 2 ? seen : undefined
    }, 90_000)

    const runs = await until("all runs to finish", async () => {
      const all = await Promise.all(ids.map(async (id) => (await callB("GET", `/api/runs/${id}`)).body))
      return all.every((r) => ["succeeded", "failed", "cancelled"].includes(r.status)) ? all : undefined
    }, 90_000)

    const runners = new Set<string>()
    for (const run of runs) {
      expect(run.status).toBe("succeeded")
      expect(run.stages).toHaveLength(6)
      for (const s of run.stages) runners.add(s.runner.split(":").at(-1))
      // Exactly once: one completion of the run and of each of its stages. (A stage interrupted while
      // its shard moved to the new runner may have been started again; it still completes once.)
      const events = await (await fetch(`${a.url}/api/runs/${run.id}/events`, { headers: { authorization: `Bearer ${token}` } })).text()
      expect([...events.matchAll(/event: run\.succeeded/g)]).toHaveLength(1)
      expect([...events.matchAll(/event: run\.(failed|cancelled)/g)]).toHaveLength(0)
      expect([...events.matchAll(/event: stage\.completed/g)]).toHaveLength(6)
      expect(run.counts.proposals).toBe(3)
    }
    // Both processes executed work, and nothing else did.
    expect(runners).toEqual(pids)
  }, 240_000)
})
