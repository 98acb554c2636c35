/**
 * The built `ratchet serve` as a real child process, for the adversarial suite.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { join } from "node:path"

export const bin = process.env.RATCHET_TEST_BIN ?? join(import.meta.dirname, "..", "..", "dist", "bin.js")

export interface Served {
  readonly url: string
  readonly proc: ChildProcess
  readonly output: () => string
  /** Resolves with the exit code (or 128 + signal number) once the process is gone. */
  readonly exited: Promise<number>
  readonly stop: (signal?: NodeJS.Signals) => Promise<number>
}

const signals: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }

/** Starts `ratchet serve`; resolves once it listens, or with its exit code when it exits first. */
export const serve = (args: Array<string>, env: Record<string, string> = {}): Promise<Served | { readonly exitCode: number; readonly output: string }> => {
  const proc = spawn(process.execPath, [bin, "serve", "--port", "0", ...args], {
    env: { ...process.env, RATCHET_STAGES: "fake", RATCHET_LOG: "off", RATCHET_SCHEDULER: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  proc.stdout!.on("data", (d) => (out += d))
  proc.stderr!.on("data", (d) => (out += d))
  const exited = new Promise<number>((resolve) => proc.once("exit", (code, signal) => resolve(code ?? 128 + (signals[signal ?? ""] ?? 0))))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL")
      reject(new Error(`ratchet serve did not start in 180 s:\n${out}`))
    }, 180_000)
    const check = () => {
      const m = out.match(/listening on (http:\/\/[^\s]+:\d+)/)
      if (m) {
        clearTimeout(timer)
        proc.stderr!.off("data", check)
        resolve({
          url: m[1]!,
          proc,
          output: () => out,
          exited,
          stop: (signal = "SIGTERM") => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
            return exited
          }
        })
      }
    }
    proc.stderr!.on("data", check)
    void exited.then((exitCode) => {
      clearTimeout(timer)
      resolve({ exitCode, output: out })
    })
  })
}

/** A JSON API client with a bearer token. */
export const client = (base: string, token: string) => async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
  })
  const text = await res.text()
  let parsed: any = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, headers: res.headers }
}

export const until = async <A>(what: string, f: () => Promise<A | undefined>, timeoutMs = 60_000): Promise<A> => {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
