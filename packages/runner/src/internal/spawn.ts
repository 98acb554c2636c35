/**
 * The process-level part of the local sandbox: wraps a command in isolation tools, runs it with
 * `execa`, watches its process tree, and kills the whole tree on timeout or memory overrun.
 *
 * @internal
 */
import { createHash } from "node:crypto"
import { chmodSync, chownSync, existsSync, mkdirSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { constants, tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { execa } from "execa"
import type { Sandbox } from "@ratchet/core"
import { scrubbedEnv } from "./env.js"
import type { Capabilities } from "./isolation.js"
import { HeadTail } from "./output.js"
import { killTree, listProcesses, treeOf } from "./procfs.js"

export const DEFAULTS = {
  timeoutMs: 10 * 60_000,
  maxOutputBytes: 1024 * 1024,
  maxProcesses: 1024,
  maxFileBytes: 2 * 1024 * 1024 * 1024
}

const signalName = (n: number): string =>
  Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`

/** A stable unprivileged uid per workspace, so all steps in one workspace share file ownership. */
export const uidFor = (key: string): number => 3_000_000 + (createHash("sha256").update(key).digest().readUInt32BE(0) % 1_000_000)

/** Gives `uid` ownership of a tree, leaving dependency trees (`node_modules`) untouched except their caches. */
export const chownTree = (root: string, uid: number): void => {
  const visit = (path: string, depth: number): void => {
    let st
    try {
      st = lstatSync(path)
    } catch {
      return
    }
    if (st.uid !== uid || st.gid !== uid) {
      try {
        chownSync(path, uid, uid)
      } catch {
        // read-only or vanished; the command will report what it cannot write
      }
    }
    if (!st.isDirectory() || depth > 64) return
    let entries: Array<string>
    try {
      entries = readdirSync(path)
    } catch {
      return
    }
    for (const entry of entries) {
      if (entry === "node_modules") {
        const nm = join(path, entry)
        for (const cache of [".vite", ".cache", ".vitest"]) {
          if (existsSync(join(nm, cache))) visit(join(nm, cache), depth + 1)
        }
        continue
      }
      visit(join(path, entry), depth + 1)
    }
  }
  try {
    if (statSync(root).uid === uid) return
  } catch {
    return
  }
  visit(root, 0)
}

/** Whether a directory and all its ancestors can be searched by any user (PATH entries for a dropped uid). */
const worldSearchable = (dir: string): boolean => {
  if (!dir.startsWith("/")) return false
  let path = dir
  for (;;) {
    try {
      if ((statSync(path).mode & 0o001) === 0) return false
    } catch {
      return false
    }
    const parent = dirname(path)
    if (parent === path) return true
    path = parent
  }
}

export interface SpawnOutcome extends Sandbox.RunResult {}

export const runCommand = async (
  options: Sandbox.RunOptions,
  caps: Capabilities,
  host: NodeJS.ProcessEnv,
  signal: AbortSignal
): Promise<SpawnOutcome> => {
  const warnings: Array<string> = []
  const network = options.network !== false
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs
  const cap = options.maxOutputBytes ?? DEFAULTS.maxOutputBytes
  const limits = options.limits ?? {}
  const owner = options.writable?.[0] ?? options.cwd
  const uid = caps.dropUid ? uidFor(owner) : null

  const runDir = mkdtempSync(join(tmpdir(), "ratchet-sbx-"))
  const home = join(runDir, "home")
  const tmp = join(runDir, "tmp")
  const timeFile = join(runDir, "time.out")
  try {
    chmodSync(runDir, 0o755)
    for (const dir of [home, tmp]) mkdirSync(dir, { recursive: true })
    if (uid !== null) {
      chownSync(home, uid, uid)
      chownSync(tmp, uid, uid)
      for (const path of options.writable ?? [options.cwd]) chownTree(path, uid)
    }

    const { env, refused } = scrubbedEnv({ host, network, home, tmp, extra: options.env })
    if (uid !== null && env.PATH) env.PATH = env.PATH.split(":").filter(worldSearchable).join(":")
    if (refused.length > 0) warnings.push(`refused secret-looking variables for the sandbox: ${refused.join(", ")}`)
    if (limits.memoryBytes !== undefined) {
      // V8 reserves far more address space than it uses, so RLIMIT_AS would break node; instead cap the
      // old-space heap of node processes and watch the tree's RSS.
      const mb = Math.max(16, Math.floor((limits.memoryBytes / 1024 / 1024) * 0.75))
      env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ""} --max-old-space-size=${mb}`.trim()
    }

    let argv: Array<string> = ["sh", "-c", options.command]
    if (uid !== null) argv = ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--no-new-privs", "--", ...argv]
    if (caps.prlimit) {
      const maxProcesses = limits.maxProcesses ?? DEFAULTS.maxProcesses
      // RLIMIT_NPROC counts every process of the real uid; without a dedicated uid, leave room for ours.
      const base = uid === null ? listProcesses().filter((p) => p.uid === process.getuid?.()).length : 0
      const flags = [
        `--nproc=${base + maxProcesses}`,
        `--fsize=${limits.maxFileBytes ?? DEFAULTS.maxFileBytes}`,
        "--core=0"
      ]
      if (limits.cpuSeconds !== undefined) flags.push(`--cpu=${Math.max(1, Math.ceil(limits.cpuSeconds))}`)
      if (uid === null && process.getuid?.() === 0) warnings.push("running as root without setpriv: the process limit is not enforced")
      argv = ["prlimit", ...flags, "--", ...argv]
    } else {
      warnings.push("prlimit is unavailable: CPU, process and file-size limits are not applied")
    }
    if (caps.gnuTime) argv = [caps.gnuTime, "-f", "%e %U %S %M", "-o", timeFile, ...argv]
    if (!network) {
      if (caps.netns) argv = [...caps.netns, "sh", "-c", 'ip link set lo up 2>/dev/null; exec "$@"', "sh", ...argv]
      else warnings.push(`network not cut off: ${caps.netnsProblem ?? "no isolation tool available"}`)
    }

    const combined = new HeadTail(cap)
    const out = new HeadTail(cap)
    const err = new HeadTail(cap)
    const started = performance.now()
    const child = execa(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env,
      extendEnv: false,
      stdin: "ignore",
      buffer: false,
      reject: false,
      detached: true,
      cleanup: true,
      encoding: "buffer"
    })
    const root = { pid: child.pid, uid }
    child.stdout?.on("data", (chunk: Buffer) => {
      out.push(chunk)
      combined.push(chunk)
    })
    child.stderr?.on("data", (chunk: Buffer) => {
      err.push(chunk)
      combined.push(chunk)
    })

    let timedOut = false
    let killedFor: string | null = null
    let peakTree = 0
    const kill = (why: string) => {
      if (killedFor === null) killedFor = why
      killTree(root)
    }
    const timer = setTimeout(() => {
      timedOut = true
      kill(`timed out after ${timeoutMs} ms`)
    }, timeoutMs)
    const watchdog = setInterval(() => {
      const rss = treeOf(root).reduce((sum, p) => sum + p.rssBytes, 0)
      if (rss > peakTree) peakTree = rss
      if (limits.memoryBytes !== undefined && rss > limits.memoryBytes) {
        kill(`memory limit exceeded: process tree used ${rss} bytes (limit ${limits.memoryBytes})`)
      }
    }, 200)
    const onAbort = () => kill("interrupted")
    signal.addEventListener("abort", onAbort)

    const result = await child
    clearTimeout(timer)
    clearInterval(watchdog)
    signal.removeEventListener("abort", onAbort)
    const leftovers = killTree(root)
    if (leftovers > 0) warnings.push(`killed ${leftovers} leftover background process(es) after the command ended`)
    const durationMs = Math.round(performance.now() - started)

    let exitCode: number | null = typeof result.exitCode === "number" ? result.exitCode : null
    let sig: string | null = typeof result.signal === "string" ? result.signal : null
    let cpuMs: number | null = null
    let peak: number | null = peakTree > 0 ? peakTree : null
    if (caps.gnuTime && existsSync(timeFile)) {
      const lines = readFileSync(timeFile, "utf8").trim().split("\n")
      const last = lines[lines.length - 1]?.trim().split(/\s+/) ?? []
      if (last.length === 4) {
        cpuMs = Math.round((Number(last[1]) + Number(last[2])) * 1000)
        const maxRss = Number(last[3]) * 1024
        peak = Math.max(peak ?? 0, maxRss)
      }
      const terminated = lines.find((l) => l.startsWith("Command terminated by signal"))
      if (terminated && sig === null) {
        sig = signalName(Number(terminated.replace(/\D+/g, "")))
        exitCode = null
      }
    }
    if (killedFor !== null) warnings.push(killedFor)
    if (sig === null && exitCode === null) exitCode = 1

    return {
      command: options.command,
      cwd: options.cwd,
      exitCode,
      signal: sig,
      timedOut,
      durationMs,
      cpuMs,
      peakMemoryBytes: peak,
      output: combined.toString(),
      stdout: out.toString(),
      stderr: err.toString(),
      droppedBytes: combined.dropped,
      warnings
    }
  } finally {
    rmSync(runDir, { recursive: true, force: true })
  }
}
