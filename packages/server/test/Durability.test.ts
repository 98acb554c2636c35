import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { api, type ServerProcess, startServer, until } from "./helpers/process.js"

const token = "rat_durability_test_token"
const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "ratchet-durable-"))
const env = { RATCHET_DATA: dataDir, RATCHET_TOKEN: token, RATCHET_STAGES: "fake", RATCHET_FAKE_STAGE_MS: "700" }
const procs: Array<ServerProcess> = []

afterAll(async () => {
  for (const p of procs) await p.kill()
  Fs.rmSync(dataDir, { recursive: true, force: true })
})

describe("durable runs (real processes)", () => {
  it("a run survives SIGKILL mid-run: it completes after restart, completed stages are not repeated, nothing is lost", async () => {
    const first = await startServer(env)
    procs.push(first)
    const call = api(first.url, token)
    const repo = await call("POST", "/api/repos", { name: "durable", url: "https://140.82.112.3/example/durable" })
    expect(repo.status).toBe(201)
    const started = await call("POST", `/api/repos/${repo.body.id}/runs`)
    expect(started.status).toBe(202)
    const runId: string = started.body.id

    // Wait until two stages are done and the third is running, then kill the process hard.
    await until("scan to start", async () => {
      const run = (await call("GET", `/api/runs/${runId}`)).body
      return run.stages.some((s: any) => s.stage === "scan" && s.status === "running") ? run : undefined
    })
    await first.kill("SIGKILL")
    expect(first.proc.signalCode).toBe("SIGKILL")

    const { second, run } = await restartAndFinish(env, runId)
    expect(run.status).toBe("succeeded")
    const executions = Object.fromEntries(run.stages.map((s: any) => [s.stage, s.executions]))
    // Completed before the crash: executed exactly once.
    expect(executions.detect).toBe(1)
    expect(executions.baseline).toBe(1)
    // Interrupted by the crash: started again once.
    expect(executions.scan).toBe(2)
    expect(executions.patchgen).toBe(1)
    expect(executions.validate).toBe(1)
    expect(executions.package).toBe(1)
    expect(run.counts).toEqual({ candidates: 3, proposals: 3 })
    expect(run.proposals).toHaveLength(3)
    expect(run.stages.find((s: any) => s.stage === "package").runner).toMatch(new RegExp(`:${second.proc.pid}$`))

    // Nothing lost: the event log holds the whole history, including the events before the crash.
    const events = await (await fetch(`${second.url}/api/runs/${runId}/events`, { headers: { authorization: `Bearer ${token}` } })).text()
    const types = [...events.matchAll(/event: ([\w.-]+)/g)].map((m) => m[1])
    expect(types[0]).toBe("run.queued")
    expect(types.filter((t) => t === "stage.completed")).toHaveLength(6)
    expect(types.filter((t) => t === "stage.started")).toHaveLength(7)
    expect(types.at(-1)).toBe("run.succeeded")
  }, 120_000)

  it("validation is durable per candidate: SIGKILL during the second of three candidates, and after restart the first is not validated again", async () => {
    const perCandidateDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "ratchet-durable-candidates-"))
    const candidatesEnv = { ...env, RATCHET_DATA: perCandidateDir }
    try {
      const first = await startServer(candidatesEnv)
      procs.push(first)
      const call = api(first.url, token)
      // fake stages: the repository is never fetched (an IP-literal URL passes the admission check without DNS)
      const repo = await call("POST", "/api/repos", { name: "per-candidate", url: "https://140.82.112.3/example/per-candidate" })
      expect(repo.status, JSON.stringify(repo.body)).toBe(201)
      const started = await call("POST", `/api/repos/${repo.body.id}/runs`)
      expect(started.status, JSON.stringify(started.body)).toBe(202)
      const runId: string = started.body.id

      // Follow the live event stream until the second candidate's validation has started, then kill the process hard.
      const seen = await firstEvent(first.url, runId, (type, data) => type === "call.started" && data.call === "validate/1")
      expect(seen.runner).toMatch(new RegExp(`:${first.proc.pid}$`))
      await first.kill("SIGKILL")

      const { second, run } = await restartAndFinish(candidatesEnv, runId)
      expect(run.status).toBe("succeeded")
      expect(run.proposals).toHaveLength(3)

      const events = await (await fetch(`${second.url}/api/runs/${runId}/events`, { headers: { authorization: `Bearer ${token}` } })).text()
      const calls = [...events.matchAll(/event: call\.started\ndata: (.*)/g)].map((m) => JSON.parse(m[1]!) as { call: string; runner: string })
      const startsOf = (key: string) => calls.filter((c) => c.call === key)
      // the first candidate finished before the crash: validated once, by the first process
      expect(startsOf("validate/0")).toHaveLength(1)
      expect(startsOf("validate/0")[0]!.runner).toMatch(new RegExp(`:${first.proc.pid}$`))
      // the second was interrupted: validated again by the second process; the third only there
      expect(startsOf("validate/1").map((c) => c.runner)).toEqual([expect.stringMatching(new RegExp(`:${first.proc.pid}$`)), expect.stringMatching(new RegExp(`:${second.proc.pid}$`))])
      expect(startsOf("validate/2").map((c) => c.runner)).toEqual([expect.stringMatching(new RegExp(`:${second.proc.pid}$`))])
      // one attempt per candidate, and the stage counts its resumption
      expect([...events.matchAll(/event: attempt\.recorded/g)]).toHaveLength(3)
      const executions = Object.fromEntries(run.stages.map((s: any) => [s.stage, s.executions]))
      expect(executions).toEqual({ detect: 1, baseline: 1, scan: 1, patchgen: 1, validate: 2, package: 1 })
    } finally {
      Fs.rmSync(perCandidateDir, { recursive: true, force: true })
    }
  }, 120_000)
})

/** Starts a fresh server process on the same data directory and waits for the run to end there. */
const restartAndFinish = async (processEnv: Record<string, string>, runId: string): Promise<{ second: ServerProcess; run: any }> => {
  const second = await startServer(processEnv)
  procs.push(second)
  const call2 = api(second.url, token)
  const run = await until("the run to finish after restart", async () => {
    const r = (await call2("GET", `/api/runs/${runId}`)).body
    return ["succeeded", "failed", "cancelled"].includes(r.status) ? r : undefined
  })
  return { second, run }
}

/** Reads a run's live event stream until an event matches; returns its data. */
const firstEvent = async (url: string, runId: string, match: (type: string, data: any) => boolean): Promise<any> => {
  const abort = new AbortController()
  const res = await fetch(`${url}/api/runs/${runId}/events`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal })
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) throw new Error(`the event stream of ${runId} ended before the expected event`)
      buffer += decoder.decode(value, { stream: true })
      let end = buffer.indexOf("\n\n")
      while (end !== -1) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const type = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (type !== undefined && data !== undefined && match(type, JSON.parse(data))) return JSON.parse(data)
        end = buffer.indexOf("\n\n")
      }
    }
  } finally {
    abort.abort()
  }
}
