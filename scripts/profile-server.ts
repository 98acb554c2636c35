// profile:server — what GET /api/runs/:id costs per request, next to the bare Hono handler, measured
// in CPU rather than wall time (bench:server's req/s move with the machine's load; this much less).
//
//   npm run profile:server [-- --requests 40000 --connections 20 --top 25]
//
// Like bench:server: the Ratchet server bundled from its TypeScript sources (fake stages, embedded
// PGlite in a temp dir, request log off) and a bare Hono handler sending the same bytes, each a child
// process, driven by autocannon for a fixed number of requests. Each child runs under --cpu-prof.
// Printed per server: the process's CPU time (utime + stime from /proc) per request over the load
// window, the profile's samples per request grouped by where the code lives (the socket write, Node,
// Hono, the Node adapter, undici's Headers, Effect, the database, our bundle), and the functions with
// the most self time. RATCHET_PROFILE_BUNDLE=<file.mjs> profiles another bundle of the server
// (e.g. one built from an older main) in place of the current sources.
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { parseArgs } from "node:util"
import { bareHandlerScript, bundleServer, root, seedFinishedRun, serverEnv, waitReady } from "./lib/server-bench.ts"

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "40000" },
    connections: { type: "string", default: "20" },
    top: { type: "string", default: "25" }
  }
})
const amount = Number(values.requests)
const connections = Number(values.connections)
const top = Number(values.top)
const work = Fs.mkdtempSync(Path.join(Os.tmpdir(), "ratchet-profile-server-"))

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly children?: ReadonlyArray<number>
}
interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly startTime: number
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/** utime + stime of a process, in clock ticks (100 per second on Linux). */
const cpuTicks = (pid: number): number => {
  const fields = Fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return Number(fields[11]) + Number(fields[12])
}
const nowUs = () => Number(process.hrtime.bigint() / 1000n)

const load = async (url: string, headers: Record<string, string>) => {
  const autocannon = (await import("autocannon")).default
  return new Promise<{ rps: number; p99: number; total: number }>((resolve, reject) =>
    autocannon({ connections, amount, url, headers }, (err: unknown, r: any) =>
      err ? reject(err) : resolve({ rps: r.requests.average, p99: r.latency.p99, total: r.requests.total })
    )
  )
}

/** Drives `url` for the fixed number of requests; returns the figures and the load window. */
const measure = async (proc: ChildProcess, url: string, headers: Record<string, string>) => {
  const ticks0 = cpuTicks(proc.pid!)
  const from = nowUs()
  const figures = await load(url, headers)
  const to = nowUs()
  const cpuUs = (cpuTicks(proc.pid!) - ticks0) * (1_000_000 / 100)
  return { ...figures, from, to, cpuUsPerRequest: cpuUs / figures.total }
}

const stop = (proc: ChildProcess) =>
  new Promise<void>((resolve) => {
    proc.once("exit", () => resolve())
    proc.kill("SIGINT")
  })

const bucketOf = (url: string, name: string): string => {
  if (url === "") return name === "writeUtf8String" ? "socket write" : name === "(garbage collector)" ? "GC" : "native/other"
  if (url.includes("/effect/") || url.includes("@effect/")) return "Effect"
  if (url.includes("@hono/node-server")) return "Node adapter"
  if (url.includes("/hono/")) return "Hono"
  if (url.includes("undici")) return "Headers (undici)"
  if (url.includes("pglite") || url.startsWith("wasm")) return "database"
  if (url.startsWith("node:")) return "Node"
  if (url.includes("ratchet-server-profile")) return "Ratchet (bundle)"
  return "other"
}

/** Self time per request in the load window, by bucket and by function. */
const analyse = (file: string, from: number, to: number, requests: number) => {
  const profile: Profile = JSON.parse(Fs.readFileSync(file, "utf8"))
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const buckets = new Map<string, number>()
  const functions = new Map<string, number>()
  let t = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0
    const spent = profile.timeDeltas[i + 1] ?? 0
    if (t < from || t > to) continue
    const frame = byId.get(profile.samples[i]!)!.callFrame
    if (frame.functionName === "(idle)") continue
    const bucket = bucketOf(frame.url, frame.functionName)
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + spent)
    const name = `${frame.functionName || "(anonymous)"} ${frame.url.split("/").slice(-2).join("/")}:${frame.lineNumber + 1}`
    functions.set(name, (functions.get(name) ?? 0) + spent)
  }
  const per = (us: number) => (us / requests).toFixed(1).padStart(6)
  const sampled = [...buckets.values()].reduce((a, b) => a + b, 0)
  console.log(`  sampled (wall-clock sampler, grows with load): ${per(sampled).trim()} us/request`)
  for (const [name, us] of [...buckets].sort((a, b) => b[1] - a[1])) console.log(`    ${per(us)} us  ${name}`)
  console.log(`  top ${top} functions by self time:`)
  for (const [name, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`    ${per(us)} us  ${name}`)
}

const profileDir = (name: string) => {
  const dir = Path.join(work, name)
  Fs.mkdirSync(dir)
  return dir
}
const profileIn = (dir: string) => Path.join(dir, Fs.readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))!)

const main = async () => {
  const children: Array<ChildProcess> = []
  try {
    const file = await bundleServer("ratchet-server-profile", process.env.RATCHET_PROFILE_BUNDLE)
    const serverProfiles = profileDir("server")
    const dataDir = profileDir("data")
    const server = spawn(process.execPath, ["--cpu-prof", "--cpu-prof-interval", "200", "--cpu-prof-dir", serverProfiles, file], { env: serverEnv(dataDir), stdio: ["ignore", "pipe", "pipe"] })
    children.push(server)
    const base = `http://127.0.0.1:${await waitReady(server, "ratchet server")}`
    const { headers, runId, body, sent: sentHeaders } = await seedFinishedRun(base)

    console.log(`profile:server — ${amount} requests per server, ${connections} connections, loopback, ${Os.cpus().length} CPUs; load average ${Os.loadavg().map((l) => l.toFixed(2)).join(" ")}`)
    const ours = await measure(server, `${base}/api/runs/${runId}`, headers)
    await stop(server)

    const bareProfiles = profileDir("bare")
    const bare = spawn(process.execPath, ["--cpu-prof", "--cpu-prof-interval", "200", "--cpu-prof-dir", bareProfiles, "--input-type=module", "-e", bareHandlerScript(body, sentHeaders)], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    children.push(bare)
    const bareBase = `http://127.0.0.1:${await waitReady(bare, "bare Hono server")}`
    const reference = await measure(bare, `${bareBase}/api/runs/${runId}`, {})
    await stop(bare)

    for (const [name, m, dir] of [["GET /api/runs/:id", ours, serverProfiles], ["bare Hono handler", reference, bareProfiles]] as const) {
      console.log(`${name}: ${m.cpuUsPerRequest.toFixed(1)} us CPU per request (utime+stime), ${m.rps.toFixed(0)} req/s, p99 ${m.p99} ms`)
      analyse(profileIn(dir), m.from, m.to, m.total)
    }
    console.log(`CPU per request: ${(ours.cpuUsPerRequest / reference.cpuUsPerRequest).toFixed(2)}x the bare handler's; load average now ${Os.loadavg().map((l) => l.toFixed(2)).join(" ")}`)
  } finally {
    for (const c of children) c.kill("SIGKILL")
    Fs.rmSync(work, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
