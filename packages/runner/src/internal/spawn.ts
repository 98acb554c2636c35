/**
 * The process-level part of the local sandbox: wraps a command in isolation tools, runs it with
 * `execa`, watches its process tree, and kills the whole tree on timeout or memory overrun.
 *
 * @internal
 */
import { createHash } from "node:crypto"
import { type Stats, chmodSync, chownSync, existsSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs"
import { constants, homedir, tmpdir } from "node:os"
import { dirname, join, relative, resolve } from "node:path"
import { execa } from "execa"
import type { Sandbox } from "@ratchet/core"
import { gitDirs, INSIDE, plan, toolchain } from "./bwrap.js"
import { BRIDGE_PORT, type EgressPolicy, proxyEnv, startEgress, writeBridge } from "./egress.js"
import { scrubbedEnv } from "./env.js"
import type { Capabilities } from "./isolation.js"
import { HeadTail } from "./output.js"
import { killTree, listProcesses, type Target, treeOf, waitForUidGone } from "./procfs.js"

export const DEFAULTS = {
  timeoutMs: 10 * 60_000,
  maxOutputBytes: 1024 * 1024,
  maxProcesses: 1024,
  maxFileBytes: 2 * 1024 * 1024 * 1024
}

/** How long a step waits for init to reap its killed processes (one init seen here sweeps every ~1.7 s). */
const REAP_WAIT_MS = 5_000

const signalName = (n: number): string =>
  Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`

/** A stable unprivileged uid per workspace, so all steps in one workspace share file ownership. */
export const uidFor = (key: string): number => 3_000_000 + (createHash("sha256").update(key).digest().readUInt32BE(0) % 1_000_000)

/**
 * Whether a `node_modules` holds packages of its own rather than hard links into the dependency cache
 * or files the sandbox user installed: a few package manifests are looked at, and one that is a plain
 * file (a single link) owned by someone else means the tree came with the repository (committed to git)
 * or was copied, and must change hands like the rest of the workspace.
 */
const holdsOwnPackages = (nm: string, uid: number): boolean => {
  let names: Array<string>
  try {
    names = readdirSync(nm)
      .filter((n) => !n.startsWith("."))
      .slice(0, 8)
  } catch {
    return false
  }
  for (const name of names) {
    let manifests = [join(nm, name, "package.json")]
    if (name.startsWith("@")) {
      try {
        manifests = readdirSync(join(nm, name))
          .slice(0, 2)
          .map((scoped) => join(nm, name, scoped, "package.json"))
      } catch {
        continue
      }
    }
    for (const manifest of manifests) {
      try {
        const st = lstatSync(manifest)
        if (st.isFile() && st.nlink === 1 && st.uid !== uid) return true
      } catch {
        // no manifest there
      }
    }
  }
  return false
}

/**
 * Gives `uid` ownership of a tree. Inside `node_modules` only the directory itself and tool caches
 * change hands: installed packages may be hard links shared with the dependency cache and other
 * workspaces, and stay read-only for this uid. A `node_modules` that holds packages of its own
 * (committed to the repository) changes hands whole, so `npm ci` can replace it.
 */
export const chownTree = (root: string, uid: number): void => {
  const visit = (path: string, depth: number): void => {
    let st: Stats
    try {
      st = lstatSync(path)
    } catch {
      return
    }
    // lchown: a symlink in an untrusted tree must never hand its target over; hard-linked files may be
    // shared with other trees (the dependency cache) and stay as they are
    if ((st.uid !== uid || st.gid !== uid) && !(st.isFile() && st.nlink > 1)) {
      try {
        lchownSync(path, uid, uid)
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
        // packages of its own (committed to git, or copied): the package manager must be able to replace them
        if (holdsOwnPackages(nm, uid)) {
          visit(nm, depth + 1)
          continue
        }
        // the directory itself (tools create .vite-temp, .cache, … in it), not the shared packages below
        try {
          const nst = lstatSync(nm)
          if (nst.isDirectory() && nst.uid !== uid) lchownSync(nm, uid, uid)
        } catch {
          // vanished
        }
        for (const cache of [".vite", ".vite-temp", ".cache", ".vitest"]) {
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

export interface SpawnOutcome extends Sandbox.RunResult {}

/**
 * Why a directory must not be handed over (chowned) to a sandbox uid, or `null` when it may be:
 * never `/`, a top-level directory, or anything that is or contains the temp directory, the home
 * directory or the host's working directory — only dedicated workspaces.
 */
export const handOverProblem = (path: string): string | null => {
  let real: string
  try {
    real = realpathSync(path)
  } catch {
    return null // does not exist: nothing to hand over
  }
  if (real.split("/").filter((s) => s.length > 0).length < 2) return `${real} is a top-level directory`
  const guarded = ["/tmp", "/var/tmp", "/root", "/home", tmpdir(), homedir(), process.cwd()]
  for (const g of guarded) {
    let target: string
    try {
      target = realpathSync(g)
    } catch {
      target = resolve(g)
    }
    if (real === target || target.startsWith(`${real}/`)) return `${real} is or contains the shared directory ${target}`
  }
  return null
}

/**
 * The first of `dir` and its ancestors that a user cannot search (execute permission), or `null`. With
 * `uid`, permissions are read as for a step running under that uid and its own group with no others
 * (`setpriv --reuid=uid --regid=uid --clear-groups`): the owner's bits on what it owns (its workspace,
 * 0700), the group's where only the group matches, the others' elsewhere. Without, as for any other user.
 * A relative path is unreachable.
 */
export const unreachableAncestor = (dir: string, uid?: number): string | null => {
  if (!dir.startsWith("/")) return dir
  let path = dir
  for (;;) {
    try {
      const st = statSync(path)
      const bit = uid !== undefined && st.uid === uid ? 0o100 : uid !== undefined && st.gid === uid ? 0o010 : 0o001
      if ((st.mode & bit) === 0) return path
    } catch {
      return path
    }
    const parent = dirname(path)
    if (parent === path) return null
    path = parent
  }
}

/**
 * How a step is isolated beyond limits and the uid: the local backend (a network namespace from
 * `unshare` for offline steps) or bubblewrap (mount, PID, IPC, UTS and network namespaces).
 */
export type Backend =
  | {
    readonly kind: "local"
    /** Filtered egress for steps with network, or `null` for the host's network. */
    readonly egress: EgressPolicy | null
  }
  | {
    readonly kind: "bwrap"
    readonly egress: EgressPolicy | null
    /** Never visible inside (the server's data directory). */
    readonly hidden: ReadonlyArray<string>
    /** Extra read-only paths (provisioned tools). */
    readonly readOnly: ReadonlyArray<string>
  }

/** The refusal text of an offline step when the network cannot be cut. */
export const offlineRefusal = (label: string, problem: string): string =>
  `refused to run ${label}: it must run without network, and this host cannot cut the network off (${problem}); ` +
  "fix the host (allow network namespaces, or use the bwrap backend) or let steps keep the network explicitly " +
  "(RATCHET_SANDBOX_ALLOW_NETWORK=1, LocalSandbox.layerWith({ allowNetwork: true }))"

/** How the repository wants its commands run (see `LocalSandbox`): CI flag, Node directory, notes for the log. */
export interface RepoSetup {
  readonly ci: boolean
  readonly nodeDir?: string
  readonly notes: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<string>
}

export const runCommand = async (
  options: Sandbox.RunOptions,
  caps: Capabilities,
  host: NodeJS.ProcessEnv,
  signal: AbortSignal,
  backend: Backend = { kind: "local", egress: null },
  setup: RepoSetup = { ci: false, notes: [], warnings: [] }
): Promise<SpawnOutcome> => {
  const warnings: Array<string> = [...setup.warnings]
  const network = options.network === true
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs
  const cap = options.maxOutputBytes ?? DEFAULTS.maxOutputBytes
  const limits = options.limits ?? {}
  const owner = options.writable?.[0] ?? options.cwd
  const uid = caps.dropUid ? uidFor(owner) : null
  const bwrap = backend.kind === "bwrap" ? caps.bwrap : null
  if (backend.kind === "bwrap" && bwrap === null) throw new Error(`bubblewrap is unavailable: ${caps.bwrapProblem ?? "not probed"}`)

  const runDir = mkdtempSync(join(tmpdir(), "ratchet-sbx-"))
  const home = join(runDir, "home")
  const tmp = join(runDir, "tmp")
  // time output, egress socket and bridge: root-owned, so a dropped uid cannot tamper with them
  const control = join(runDir, "control")
  const timeFile = join(control, "time.out")
  const inside = (path: string) => (bwrap === null ? path : join(INSIDE.control, relative(control, path)))
  let egress: Awaited<ReturnType<typeof startEgress>> | null = null
  try {
    chmodSync(runDir, 0o755)
    for (const dir of [home, tmp, control]) mkdirSync(dir, { recursive: true, mode: 0o755 })
    chmodSync(control, 0o755)
    if (uid !== null) {
      chownSync(home, uid, uid)
      chownSync(tmp, uid, uid)
      for (const path of options.writable ?? [options.cwd]) {
        // a writable directory that does not exist yet (a fresh package-manager cache) is created for the uid
        if (!existsSync(path)) mkdirSync(path, { recursive: true })
        const problem = handOverProblem(path)
        // LocalSandbox refuses these before it gets here; this is the last line of defence
        if (problem !== null) throw new Error(`refusing to hand ${path} to the sandbox user: ${problem}`)
        chownTree(path, uid)
        // other workspaces' uids must not read this one (files are created world-readable by default);
        // the other writable directories (reports, scratch) keep the mode their creator chose
        if (path === owner && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o700)
      }
      // inside bubblewrap the parents of a mount are fresh, world-searchable directories
      const blocked = bwrap === null ? unreachableAncestor(dirname(owner)) : null
      if (blocked !== null) {
        warnings.push(
          `the sandbox user (uid ${uid}) cannot reach ${owner}: ${blocked} is not searchable by other users; make it world-searchable (chmod o+x) or place Ratchet's state directory elsewhere`
        )
      }
    } else if (bwrap !== null) {
      for (const path of options.writable ?? [options.cwd]) if (!existsSync(path)) mkdirSync(path, { recursive: true })
    }

    // a step with network gets it through the filtering proxy when the step has a namespace of its own
    const proxied = network && backend.egress !== null && (bwrap !== null || caps.netns !== null)
    if (network && backend.egress !== null && !proxied) warnings.push(`egress not filtered: ${caps.netnsProblem ?? "no network namespace"}; the step has the host's network`)
    const { env, refused } = scrubbedEnv({
      host,
      network: network && !proxied,
      home: bwrap === null ? home : INSIDE.home,
      tmp: bwrap === null ? tmp : INSIDE.tmp,
      ci: setup.ci,
      ...(setup.nodeDir !== undefined ? { nodeDir: setup.nodeDir } : {}),
      ...(options.env ? { extra: options.env } : {})
    })
    // PATH entries the step's uid cannot search are dropped; its own workspace (0700) stays, so a test
    // plan's `node_modules/.bin` there is found
    if (uid !== null && env.PATH) env.PATH = env.PATH.split(":").filter((dir) => unreachableAncestor(dir, uid) === null).join(":")
    // the worktree's git metadata belongs to Ratchet, not to the step's uid: let git in the step read it
    if (uid !== null) writeFileSync(join(home, ".gitconfig"), "[safe]\n\tdirectory = *\n", { mode: 0o644 })
    if (refused.length > 0) warnings.push(`refused secret-looking variables for the sandbox: ${refused.join(", ")}`)
    if (limits.memoryBytes !== undefined) {
      // V8 reserves far more address space than it uses, so RLIMIT_AS would break node; instead cap the
      // old-space heap of node processes and watch the tree's RSS.
      const mb = Math.max(16, Math.floor((limits.memoryBytes / 1024 / 1024) * 0.75))
      env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ""} --max-old-space-size=${mb}`.trim()
    }

    let argv: Array<string> = ["sh", "-c", options.command]
    if (proxied && backend.egress !== null) {
      const socket = join(control, "egress.sock")
      writeBridge(join(control, "bridge.mjs"))
      egress = await startEgress(socket, backend.egress)
      for (const problem of egress.problems) warnings.push(`egress allow-list entry ignored: ${problem}`)
      Object.assign(env, proxyEnv())
      argv = [process.execPath, inside(join(control, "bridge.mjs")), inside(socket), String(BRIDGE_PORT), ...argv]
    }
    if (uid !== null) argv = ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--no-new-privs", "--", ...argv]
    if (caps.prlimit) {
      const maxProcesses = limits.maxProcesses ?? DEFAULTS.maxProcesses
      // RLIMIT_NPROC counts every process of the real uid, zombies included: without a dedicated uid, leave
      // room for ours; with one, for a previous step's killed processes init has still not reaped (see waitForUidGone)
      const counted = uid ?? process.getuid?.()
      const base = listProcesses().filter((p) => p.uid === counted).length
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
    if (caps.gnuTime) argv = [caps.gnuTime, "-f", "%e %U %S %M", "-o", inside(timeFile), ...argv]
    if (bwrap !== null && backend.kind === "bwrap") {
      const writable = [...(options.writable ?? [options.cwd])]
      const git = gitDirs(owner)
      const built = plan({
        bwrap: bwrap.path,
        privileged: bwrap.privileged,
        uid,
        cwd: options.cwd,
        writable,
        readOnly: toolchain({
          path: env.PATH,
          nodeExecPath: process.execPath,
          home: homedir(),
          extra: [...backend.readOnly, ...(setup.nodeDir !== undefined ? [setup.nodeDir] : []), ...caFiles(env)]
        }),
        hidden: backend.hidden,
        gitMetadata: git === null ? [] : [...new Set([git.common, git.admin])],
        home,
        tmp,
        control,
        // unfiltered host network only when the operator chose it (no egress policy) for a step that needs network
        shareNetwork: network && !proxied,
        disableUserns: bwrap.disableUserns
      })
      argv = [...built.argv, ...argv]
    } else if (!network) {
      if (caps.netns) argv = [...caps.netns, "sh", "-c", 'ip link set lo up 2>/dev/null; exec "$@"', "sh", ...argv]
      else warnings.push(`network not cut off: ${caps.netnsProblem ?? "no isolation tool available"}`)
    } else if (proxied && caps.netns) {
      argv = [...caps.netns, "sh", "-c", 'ip link set lo up 2>/dev/null; exec "$@"', "sh", ...argv]
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
    // the child's pid (and group) can be trusted only until it is reaped; Node reaps synchronously
    // with setting exitCode/signalCode, so this check is exact within one tick
    const node = child.nodeChildProcess
    const root: Target = { pid: child.pid, uid, alive: () => node.exitCode === null && node.signalCode === null }
    // a background process that keeps stdout/stderr open must not keep us waiting forever
    let streamGuard: ReturnType<typeof setTimeout> | undefined
    node.once("exit", () => {
      killTree(root)
      streamGuard = setTimeout(() => {
        child.stdout?.destroy()
        child.stderr?.destroy()
      }, 2000)
    })
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
    if (streamGuard !== undefined) clearTimeout(streamGuard)
    signal.removeEventListener("abort", onAbort)
    // after the child is reaped only the dedicated uid identifies leftovers safely
    const leftovers = killTree(root)
    if (leftovers > 0) warnings.push(`killed ${leftovers} leftover background process(es) after the command ended`)
    // the step is over once its processes are gone: unreaped ones would count against the next step's process limit
    const unreaped = await waitForUidGone(uid, REAP_WAIT_MS)
    if (unreaped > 0) warnings.push(`${unreaped} killed process(es) of the sandbox uid were not reaped by init within ${REAP_WAIT_MS} ms; the next step's process limit leaves room for them`)
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
    if (egress !== null) {
      for (const r of egress.refused) warnings.push(`egress refused ${r}`)
    }

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
      warnings,
      notes: setup.notes
    }
  } finally {
    if (egress !== null) await egress.close()
    rmSync(runDir, { recursive: true, force: true })
  }
}

/** CA bundles named by the environment: the step needs to read them. */
const caFiles = (env: Readonly<Record<string, string>>): Array<string> =>
  [env.NODE_EXTRA_CA_CERTS, env.SSL_CERT_FILE, env.SSL_CERT_DIR, env.DENO_CERT].filter((p): p is string => p !== undefined && p.length > 0)
