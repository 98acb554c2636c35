// bench:server — drives the reference server on loopback with a load generator and prints
// requests/s and p99 latency for GET /api/runs/:id and POST /api/repos/:id/runs, next to a bare
// Hono handler measured in the same run (ratios). Target: read route >= 0.8x the bare handler (issue #13).
//
//   npm run bench:server [-- --duration 5 --connections 20 --rounds 3]
//
// Both servers run as child processes (the Ratchet server bundled from its TypeScript sources with
// esbuild, fake stages, embedded PGlite in a temp dir, DATABASE_URL honoured if set; the bare Hono
// handler serving the same body and headers), so the load generator here never shares their event loop.
// The load generator is autocannon when installed, else a keep-alive HTTP loop with the same options.
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Os from "node:os"
import * as Path from "node:path"
import { parseArgs } from "node:util"
import { bareHandlerScript, bundleServer, root, seedFinishedRun, serverEnv, waitReady } from "./lib/server-bench.ts"

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "20" },
    rounds: { type: "string", default: "3" }
  }
})
const rounds = Math.max(1, Number(values.rounds))
const duration = Number(values.duration)
const connections = Number(values.connections)

interface Figures {
  readonly rps: number
  readonly p99: number
  readonly errors: number
  readonly non2xx: number
}
interface Target {
  readonly url: string
  readonly method?: string
  readonly headers?: Record<string, string>
}

const builtinLoad = async (t: Target): Promise<Figures> => {
  const agent = new Http.Agent({ keepAlive: true, maxSockets: connections })
  const u = new URL(t.url)
  const latencies: Array<number> = []
  let errors = 0
  let non2xx = 0
  const end = performance.now() + duration * 1000
  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now()
      const req = Http.request({ agent, host: u.hostname, port: u.port, path: u.pathname, method: t.method ?? "GET", headers: t.headers }, (res) => {
        res.resume()
        res.on("end", () => {
          latencies.push(performance.now() - t0)
          if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) non2xx++
          resolve()
        })
      })
      req.on("error", () => {
        errors++
        resolve()
      })
      req.end()
    })
  const started = performance.now()
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < end) await one()
  }))
  const seconds = (performance.now() - started) / 1000
  agent.destroy()
  latencies.sort((a, b) => a - b)
  return { rps: latencies.length / seconds, p99: Math.round(latencies[Math.floor(latencies.length * 0.99)] ?? 0), errors, non2xx }
}

const makeLoad = async (): Promise<{ name: string; run: (t: Target) => Promise<Figures> }> => {
  try {
    const autocannon = (await import("autocannon")).default
    return {
      name: "autocannon",
      run: (t) =>
        new Promise((resolve, reject) => {
          autocannon({ connections, duration, pipelining: 1, url: t.url, method: t.method ?? "GET", headers: t.headers }, (err: unknown, r: any) => {
            if (err) return reject(err)
            resolve({ rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx })
          })
        })
    }
  } catch {
    return { name: "built-in keep-alive loop (autocannon not installed)", run: builtinLoad }
  }
}

const main = async () => {
  const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "ratchet-bench-server-"))
  const children: Array<ChildProcess> = []
  try {
    const file = await bundleServer("ratchet-server-bench")
    const server = spawn(process.execPath, [file], { env: serverEnv(dataDir), stdio: ["ignore", "pipe", "pipe"] })
    children.push(server)
    const base = `http://127.0.0.1:${await waitReady(server, "ratchet server")}`
    const { headers, repoId, runId, body: sample, sent: sampleHeaders } = await seedFinishedRun(base)

    const bare = spawn(process.execPath, ["--input-type=module", "-e", bareHandlerScript(sample, sampleHeaders)], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    children.push(bare)
    const bareBase = `http://127.0.0.1:${await waitReady(bare, "bare Hono server")}`

    const load = await makeLoad()
    console.log(`bench:server — ${load.name}; ${duration} s per measurement, GET routes interleaved over ${rounds} rounds (medians), ${connections} connections, loopback, ${Os.cpus().length} CPUs; GET body ${sample.length} bytes`)
    // The read route and the bare handler are measured interleaved (A B A B …), so drift and
    // background load hit both alike; the figures are the medians.
    const bareReads: Array<Figures> = []
    const reads: Array<Figures> = []
    for (let round = 0; round < rounds; round++) {
      bareReads.push(await load.run({ url: `${bareBase}/api/runs/${runId}` }))
      reads.push(await load.run({ url: `${base}/api/runs/${runId}`, headers }))
    }
    const median = (xs: Array<Figures>): Figures => [...xs].sort((a, b) => a.rps - b.rps)[Math.floor(xs.length / 2)]!
    const bareRead = median(bareReads)
    const read = median(reads)
    const ratios = reads.map((r, i) => (r.rps / bareReads[i]!.rps).toFixed(2)).join(", ")
    const bareWrite = await load.run({ url: `${bareBase}/api/repos/${repoId}/runs`, method: "POST" })
    const write = await load.run({ url: `${base}/api/repos/${repoId}/runs`, method: "POST", headers })

    const row = (name: string, f: Figures, ref: Figures) =>
      `${name.padEnd(28)} ${f.rps.toFixed(0).padStart(8)} req/s   p99 ${String(f.p99).padStart(5)} ms   ${(f.rps / ref.rps).toFixed(2)}x bare Hono${f.errors + f.non2xx > 0 ? `   (errors ${f.errors}, non-2xx ${f.non2xx})` : ""}`
    console.log(row("bare Hono GET", bareRead, bareRead))
    console.log(row("GET /api/runs/:id", read, bareRead))
    console.log(row("bare Hono POST", bareWrite, bareWrite))
    console.log(row("POST /api/repos/:id/runs", write, bareWrite))
    console.log(`read route per round: ${ratios}x`)
    const ratio = read.rps / bareRead.rps
    console.log(`read route: ${ratio.toFixed(2)}x the bare handler's throughput (target >= 0.80x): ${ratio >= 0.8 ? "met" : "NOT met"}`)
  } finally {
    for (const c of children) c.kill("SIGKILL")
    Fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
