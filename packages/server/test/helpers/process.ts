/**
 * Runs the server as a real child process: the TypeScript sources are bundled
 * once with esbuild (workspace packages inlined, npm packages left external)
 * and started with this process's Node.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { build } from "esbuild"

const root = Path.resolve(import.meta.dirname, "../../../..")
const outDir = Path.join(root, "node_modules", ".cache", "ratchet-server-test")

/**
 * Bundles `server-main.ts` into `outfile`: the workspace packages' sources inlined, npm packages left
 * external. The tests and the server benchmarks (`scripts/lib/server-bench.ts`) run this same bundle.
 */
export const bundleServerTo = async (outfile: string): Promise<string> => {
  Fs.mkdirSync(Path.dirname(outfile), { recursive: true })
  await build({
    entryPoints: [Path.join(import.meta.dirname, "server-main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    conditions: ["source"],
    logLevel: "error",
    plugins: [{
      name: "externals",
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("@ratchet/") ? undefined : { path: args.path, external: true }))
      }
    }]
  })
  return outfile
}

let built: Promise<string> | undefined

export const buildServer = (): Promise<string> => {
  built ??= bundleServerTo(Path.join(outDir, `server-${process.pid}.mjs`))
  return built
}

export interface ServerProcess {
  readonly port: number
  readonly url: string
  readonly proc: ChildProcess
  readonly output: () => string
  readonly kill: (signal?: NodeJS.Signals) => Promise<void>
}

export const startServer = async (env: Record<string, string>): Promise<ServerProcess> => {
  const file = await buildServer()
  const proc = spawn(process.execPath, [file], {
    env: { ...process.env, PORT: "0", RATCHET_SCHEDULER: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  proc.stdout!.on("data", (d) => (out += d))
  proc.stderr!.on("data", (d) => (out += d))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL")
      reject(new Error(`server did not start in 60 s:\n${out}`))
    }, 60_000)
    const check = () => {
      const m = out.match(/"msg":"ready","port":(\d+)/)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    }
    proc.stdout!.on("data", check)
    proc.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code} before it was ready:\n${out}`))
    })
  })
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    proc,
    output: () => out,
    kill: (signal = "SIGKILL") =>
      new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve()
        proc.once("exit", () => resolve())
        proc.kill(signal)
      })
  }
}

export const api = (base: string, token: string) => async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  return { status: res.status, body: text.length > 0 && res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text, headers: res.headers }
}

export const until = async <A>(what: string, f: () => Promise<A | undefined>, timeoutMs = 60_000): Promise<A> => {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
