/**
 * The adversarial suite, server half: the built `ratchet serve` as real processes, driven over
 * HTTP the way a hostile or careless client would. Each test names the item of issue #12 it holds.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { client, type Served, serve, until } from "./serve.js"

const token = "rat_hostile_server_token"
const scratch = mkdtempSync(join(tmpdir(), "ratchet-hostile-server-"))
chmodSync(scratch, 0o755)
const running: Array<Served> = []
afterAll(async () => {
  for (const s of running) await s.stop("SIGKILL")
  rmSync(scratch, { recursive: true, force: true })
})

let n = 0
const dir = (name: string) => {
  const d = join(scratch, `${name}-${n++}`)
  mkdirSync(d, { recursive: true })
  return d
}

const started = async (args: Array<string>, env: Record<string, string> = {}): Promise<Served> => {
  const s = await serve(args, { RATCHET_TOKEN: token, ...env })
  if (!("url" in s)) throw new Error(`ratchet serve exited with ${s.exitCode}:\n${s.output}`)
  running.push(s)
  return s
}

describe("hostile server: one writer per data directory (#12 item 3)", () => {
  it("a second serve on the same --data exits 2 naming the directory and the running pid; the first keeps its data", async () => {
    const data = dir("data")
    const first = await started(["--data", data], { RATCHET_FAKE_STAGE_MS: "5" })
    const call = client(first.url, token)
    const repo = await call("POST", "/api/repos", { name: "one-writer", url: "https://github.com/example/one-writer" })
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
      const repo = await call("POST", "/api/repos", { name: `restart-${signal}`, url: "https://github.com/example/restart" })
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

describe("hostile server: small ones (#12 item 11)", () => {
  it("messages say repositories, not repositorys", async () => {
    const s = await started(["--data", dir("data")])
    const res = await client(s.url, token)("GET", "/api/repos/repo_doesnotexist000000000")
    expect(res.status).toBe(404)
    expect(res.body.error.message).toContain("List the repositories")
    expect(JSON.stringify(res.body)).not.toContain("repositorys")
    await s.stop()
  })
})
