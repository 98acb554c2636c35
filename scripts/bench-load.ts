// bench:load — API latency while runs execute, against an idle-server reference measured in the
// same run. Target (issue #12): GET p99 < 200 ms and POST …/runs < 200 ms under a run burst.
//
//   npm run build && npm run bench:load [-- --burst 40 --repos 4 --stage-ms 150 --seconds 20]
//
// The built `ratchet serve` runs as a child process (fake stages that wait --stage-ms each,
// embedded PGlite in a temp dir). Phase 1 (idle): GET /api/runs/:id, GET /api/repos and single
// POST …/runs, each POST waiting until its run has finished, so nothing executes meanwhile.
// Phase 2 (load): a burst of --burst run requests spread over --repos repositories, then for
// --seconds the same GETs (4 concurrent loops) and one POST every 500 ms on a spare repository
// while the runs execute. Prints p50/p95/p99/max per route and phase and the load/idle ratios.
// RATCHET_BENCH_BIN points at another build (e.g. an older main) to compare.
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    burst: { type: "string", default: "40" },
    repos: { type: "string", default: "4" },
    "stage-ms": { type: "string", default: "150" },
    seconds: { type: "string", default: "20" }
  }
})
const burst = Number(values.burst)
const repoCount = Math.max(1, Number(values.repos))
const stageMs = Number(values["stage-ms"])
const seconds = Number(values.seconds)
const root = Path.resolve(import.meta.dirname, "..")
const bin = process.env.RATCHET_BENCH_BIN ?? Path.join(root, "packages/server/dist/bin.js")
const token = "rat_bench_load_token_0123456789"
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" }

const start = (dataDir: string): Promise<{ child: ChildProcess; base: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "serve", "--port", "0", "--data", dataDir], {
      env: {
        ...process.env,
        RATCHET_TOKEN: token,
        RATCHET_STAGES: "fake",
        RATCHET_FAKE_STAGE_MS: String(stageMs),
        RATCHET_SCHEDULER: "0",
        RATCHET_RUNS_PER_MINUTE: "1000000",
        RATCHET_LOG: "off"
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    const timer = setTimeout(() => reject(new Error(`ratchet serve did not start:\n${out}`)), 180_000)
    child.stderr!.on("data", (d) => {
      out += d
      const m = out.match(/listening on (http:\/\/[^\s]+:\d+)/)
      if (m) {
        clearTimeout(timer)
        resolve({ child, base: m[1]! })
      }
    })
    child.once("exit", (code) => reject(new Error(`ratchet serve exited with ${code}:\n${out}`)))
  })

const timed = async (method: string, url: string, body?: unknown): Promise<{ ms: number; status: number; json: any }> => {
  const t0 = performance.now()
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  const text = await res.text()
  const ms = performance.now() - t0
  let json: any = null
  try {
    json = JSON.parse(text)
  } catch {
    // not JSON
  }
  return { ms, status: res.status, json }
}

const pct = (xs: ReadonlyArray<number>, p: number): number => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!
}
const fmt = (x: number) => (Number.isNaN(x) ? "—" : x < 10 ? x.toFixed(1) : x.toFixed(0))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const waitFinished = async (base: string, runId: string) => {
  for (;;) {
    const r = await timed("GET", `${base}/api/runs/${runId}`)
    if (["succeeded", "failed", "cancelled"].includes(r.json?.status)) return
    await sleep(50)
  }
}

const main = async () => {
  if (!Fs.existsSync(bin)) throw new Error(`${bin} is missing: run npm run build first`)
  const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "ratchet-bench-load-"))
  const { child, base } = await start(dataDir)
  try {
    const repos: Array<string> = []
    for (let i = 0; i <= repoCount; i++) {
      const r = await timed("POST", `${base}/api/repos`, { name: `load-${i}`, url: `https://140.82.112.3/example/load-${i}` })
      if (r.status !== 201) throw new Error(`creating a repository: ${r.status} ${JSON.stringify(r.json)}`)
      await timed("PATCH", `${base}/api/repos/${r.json.id}/settings`, { budgets: { computeMinutesPerDay: 1440 } })
      repos.push(r.json.id)
    }
    const spare = repos.pop()!
    const first = await timed("POST", `${base}/api/repos/${spare}/runs`)
    await waitFinished(base, first.json.id)
    const runUrl = `${base}/api/runs/${first.json.id}`

    // Phase 1: idle reference
    const idle = { getRun: [] as Array<number>, getRepos: [] as Array<number>, post: [] as Array<number> }
    const end1 = Date.now() + Math.max(3000, (seconds * 1000) / 4)
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (Date.now() < end1) {
        idle.getRun.push((await timed("GET", runUrl)).ms)
        idle.getRepos.push((await timed("GET", `${base}/api/repos`)).ms)
      }
    }))
    for (let i = 0; i < 8; i++) {
      const p = await timed("POST", `${base}/api/repos/${spare}/runs`)
      idle.post.push(p.ms)
      if (p.status === 202) await waitFinished(base, p.json.id)
    }

    // Phase 2: a burst of run requests, then reads and single POSTs while the runs execute
    const t0 = performance.now()
    const burstResults = await Promise.all(Array.from({ length: burst }, (_, i) => timed("POST", `${base}/api/repos/${repos[i % repos.length]}/runs`)))
    const burstWall = performance.now() - t0
    const load = { getRun: [] as Array<number>, getRepos: [] as Array<number>, post: [] as Array<number> }
    const end2 = Date.now() + seconds * 1000
    const loops = Array.from({ length: 4 }, async () => {
      while (Date.now() < end2) {
        load.getRun.push((await timed("GET", runUrl)).ms)
        load.getRepos.push((await timed("GET", `${base}/api/repos`)).ms)
      }
    })
    const posts = (async () => {
      while (Date.now() < end2) {
        load.post.push((await timed("POST", `${base}/api/repos/${spare}/runs`)).ms)
        await sleep(500)
      }
    })()
    await Promise.all([...loops, posts])
    const list = await timed("GET", `${base}/api/repos/${repos[0]}/runs?limit=200`)
    const executing = (list.json?.items ?? []).filter((r: { status: string }) => r.status !== "succeeded").length

    const accepted = burstResults.filter((r) => r.status === 202).length
    const refused = burstResults.filter((r) => r.status === 429).length
    console.log(`bench:load — ${Os.cpus().length} CPUs, fake stages of ${stageMs} ms (6 per run), ${bin === Path.join(root, "packages/server/dist/bin.js") ? "this build" : bin}`)
    console.log(`burst: ${burst} POST …/runs over ${repoCount} repositories in ${fmt(burstWall)} ms: ${accepted} accepted (202), ${refused} refused (429), ${burst - accepted - refused} other; p50 ${fmt(pct(burstResults.map((r) => r.ms), 50))} ms, p99 ${fmt(pct(burstResults.map((r) => r.ms), 99))} ms, max ${fmt(Math.max(...burstResults.map((r) => r.ms)))} ms`)
    console.log(`runs of repository 1 not finished when the load phase ended: ${executing}`)
    console.log("")
    console.log("route                  phase  n      p50     p95     p99     max    p99 load/idle")
    const row = (name: string, phase: string, xs: Array<number>, ref?: Array<number>) =>
      console.log(
        `${name.padEnd(22)} ${phase.padEnd(6)} ${String(xs.length).padEnd(6)} ${fmt(pct(xs, 50)).padStart(6)}  ${fmt(pct(xs, 95)).padStart(6)}  ${fmt(pct(xs, 99)).padStart(6)}  ${fmt(Math.max(...xs)).padStart(6)}   ${ref ? `${(pct(xs, 99) / pct(ref, 99)).toFixed(2)}×` : ""}`
      )
    row("GET /api/runs/:id", "idle", idle.getRun)
    row("GET /api/runs/:id", "load", load.getRun, idle.getRun)
    row("GET /api/repos", "idle", idle.getRepos)
    row("GET /api/repos", "load", load.getRepos, idle.getRepos)
    row("POST /api/repos/:id/runs", "idle", idle.post)
    row("POST /api/repos/:id/runs", "load", load.post, idle.post)
    const ok = pct(load.getRun, 99) < 200 && pct(load.getRepos, 99) < 200 && Math.max(...load.post) < 200
    console.log(`\ntarget (GET p99 < 200 ms, every POST < 200 ms under load): ${ok ? "met" : "NOT met"} (latencies in ms, loopback)`)
  } finally {
    child.kill("SIGTERM")
    await new Promise((r) => child.once("exit", r))
    Fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
