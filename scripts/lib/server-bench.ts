// What bench:server and profile:server share: the Ratchet server bundled from its TypeScript sources
// (fake stages, embedded PGlite in a temp dir, request log off), a run seeded and finished so the
// read route returns a complete run, and a bare Hono handler sending the same bytes.
import type { ChildProcess } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { bundleServerTo } from "../../packages/server/test/helpers/process.ts"

export const root = Path.resolve(import.meta.dirname, "..", "..")
export const token = "rat_bench_token_0123456789abcdef"

/**
 * Bundles the server's entry into `node_modules/.cache/<cacheName>/server.mjs` the way the server tests
 * do (`bundleServerTo`) and returns its path; `prebuilt` is copied there instead.
 */
export const bundleServer = async (cacheName: string, prebuilt?: string): Promise<string> => {
  const outfile = Path.join(root, "node_modules", ".cache", cacheName, "server.mjs")
  if (!prebuilt) return bundleServerTo(outfile)
  Fs.mkdirSync(Path.dirname(outfile), { recursive: true })
  Fs.copyFileSync(Path.resolve(prebuilt), outfile)
  return outfile
}

/** The bundled server's environment: fake stages of 5 ms, no scheduler, no run-rate limit, no request log. */
export const serverEnv = (dataDir: string): NodeJS.ProcessEnv => ({
  ...process.env,
  PORT: "0",
  RATCHET_DATA: dataDir,
  RATCHET_TOKEN: token,
  RATCHET_STAGES: "fake",
  RATCHET_FAKE_STAGE_MS: "5",
  RATCHET_SCHEDULER: "0",
  RATCHET_RUNS_PER_MINUTE: "100000000",
  RATCHET_LOG: "off"
})

/** Resolves with the port a child announces (`{"msg":"ready","port":N}` on stdout); rejects when it exits first. */
export const waitReady = (proc: ChildProcess, what: string) =>
  new Promise<number>((resolve, reject) => {
    let out = ""
    proc.stderr!.on("data", (d) => (out += d))
    proc.stdout!.on("data", (d) => {
      out += d
      const m = out.match(/"msg":"ready","port":(\d+)/)
      if (m) resolve(Number(m[1]))
    })
    proc.once("exit", (code) => reject(new Error(`${what} exited (${code}):\n${out}`)))
  })

/** A repository and one finished run on the server at `base`, with the run's body and response headers (per-response ones left out). */
export const seedFinishedRun = async (base: string) => {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" }
  const repo = await (await fetch(`${base}/api/repos`, { method: "POST", headers, body: JSON.stringify({ name: "bench", url: "https://140.82.112.3/example/bench" }) })).json() as { id: string }
  await fetch(`${base}/api/repos/${repo.id}/settings`, { method: "PATCH", headers, body: JSON.stringify({ budgets: { computeMinutesPerDay: 1440 } }) })
  const run = await (await fetch(`${base}/api/repos/${repo.id}/runs`, { method: "POST", headers })).json() as { id: string }
  // Let the run finish so the read route returns a complete run (stages, counts, proposals).
  for (let i = 0; i < 400; i++) {
    const r = await (await fetch(`${base}/api/runs/${run.id}`, { headers })).json() as { status: string }
    if (r.status === "succeeded" || r.status === "failed") break
    await new Promise((res) => setTimeout(res, 50))
  }
  const sampled = await fetch(`${base}/api/runs/${run.id}`, { headers })
  const body = await sampled.text()
  const sent = Object.fromEntries([...sampled.headers].filter(([name]) => !["date", "connection", "keep-alive", "content-length", "x-request-id"].includes(name)))
  return { headers, repoId: repo.id, runId: run.id, body, sent }
}

/**
 * The bare Hono handler (`node --input-type=module -e`): the read route sends the same bytes as the
 * server (body and response headers, with a fresh request id), so the load generator and the kernel do
 * the same work on both sides; the write route answers 202 at once. Exits on SIGINT.
 */
export const bareHandlerScript = (body: string, headers: Record<string, string>) => `
import { serve } from "@hono/node-server"
import { Hono } from "hono"
const body = ${JSON.stringify(body)}
const headers = ${JSON.stringify(headers)}
const app = new Hono()
app.get("/api/runs/:id", (c) => c.body(body, 200, { ...headers, "x-request-id": crypto.randomUUID() }))
app.post("/api/repos/:id/runs", (c) => c.json({ id: "run_x", status: "queued" }, 202))
serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => console.log(JSON.stringify({ msg: "ready", port: info.port })))
process.on("SIGINT", () => process.exit(0))
`
