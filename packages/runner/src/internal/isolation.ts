/**
 * What the OS lets the local sandbox do: drop to a dedicated uid, cut the network, apply rlimits.
 *
 * @internal
 */
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"

export interface Capabilities {
  /** `prlimit` is available. */
  readonly prlimit: boolean
  /** We run as root and can switch to a dedicated, unprivileged uid per command (`setpriv`). */
  readonly dropUid: boolean
  /** The argv prefix that runs a command in a fresh network namespace, or `null`. */
  readonly netns: ReadonlyArray<string> | null
  /** Why the network cannot be cut, when it cannot. */
  readonly netnsProblem: string | null
  /** `/usr/bin/time` (GNU) for CPU time and peak RSS of the process tree. */
  readonly gnuTime: string | null
  /** bubblewrap, when it can build a sandbox here: its path, version and whether it runs privileged (as root). */
  readonly bwrap: {
    readonly path: string
    readonly version: string
    readonly privileged: boolean
    /** `--disable-userns` is supported (bubblewrap 0.8+; used in unprivileged mode). */
    readonly disableUserns: boolean
  } | null
  /** Why bubblewrap cannot be used, when it cannot. */
  readonly bwrapProblem: string | null
}

const works = (argv: ReadonlyArray<string>): string | null => {
  try {
    execFileSync(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"], timeout: 5000 })
    return null
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim()
    return stderr && stderr.length > 0 ? stderr : String((error as Error).message)
  }
}

let cached: Capabilities | undefined

/** Probes once per process. */
export const probe = (): Capabilities => {
  if (cached) return cached
  const linux = process.platform === "linux"
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0
  const prlimit = linux && works(["prlimit", "--version"]) === null
  const dropUid = linux && isRoot && works(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "true"]) === null
  let netns: ReadonlyArray<string> | null = null
  let netnsProblem: string | null = null
  if (!linux) netnsProblem = `network isolation needs Linux namespaces; this is ${process.platform}`
  else {
    const candidates: Array<ReadonlyArray<string>> = isRoot
      ? [["unshare", "--net", "--"], ["unshare", "--user", "--map-root-user", "--net", "--"]]
      : [["unshare", "--user", "--map-root-user", "--net", "--"]]
    for (const prefix of candidates) {
      const problem = works([...prefix, "true"])
      if (problem === null) {
        netns = prefix
        netnsProblem = null
        break
      }
      netnsProblem = `unshare refused a network namespace: ${problem}`
    }
  }
  const gnuTime = linux && existsSync("/usr/bin/time") && works(["/usr/bin/time", "-f", "%e", "true"]) === null ? "/usr/bin/time" : null
  const { bwrap, bwrapProblem } = probeBwrap(linux, isRoot)
  cached = { prlimit, dropUid, netns, netnsProblem, gnuTime, bwrap, bwrapProblem }
  return cached
}

const findOnPath = (name: string): string | null => {
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
    if (dir.length > 0 && existsSync(`${dir}/${name}`)) return `${dir}/${name}`
  }
  for (const dir of ["/usr/bin", "/bin", "/usr/local/bin"]) if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`
  return null
}

/**
 * Whether bubblewrap can build the sandbox the bwrap backend needs: it is tried for real, with new
 * PID, IPC, UTS and network namespaces and a read-only root (as root without a user namespace, so
 * commands can still drop to a dedicated uid; otherwise through an unprivileged user namespace).
 */
const probeBwrap = (linux: boolean, isRoot: boolean): Pick<Capabilities, "bwrap" | "bwrapProblem"> => {
  if (!linux) return { bwrap: null, bwrapProblem: `bubblewrap needs Linux namespaces; this is ${process.platform}` }
  const path = findOnPath("bwrap")
  if (path === null) return { bwrap: null, bwrapProblem: "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)" }
  let version = "unknown"
  let help = ""
  try {
    version = execFileSync(path, ["--version"], { stdio: ["ignore", "pipe", "ignore"], timeout: 5000 }).toString().trim().replace(/^bubblewrap\s+/, "")
    help = execFileSync(path, ["--help"], { stdio: ["ignore", "pipe", "ignore"], timeout: 5000 }).toString()
  } catch {
    // old versions have no --version; the trial below decides
  }
  const disableUserns = help.includes("--disable-userns")
  const trial = [path, "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net", "--die-with-parent"]
  if (isRoot) trial.push("--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID")
  else if (disableUserns) trial.push("--unshare-user", "--disable-userns")
  const problem = works([...trial, "--", "true"])
  if (problem !== null) return { bwrap: null, bwrapProblem: `bwrap ${version} cannot create a sandbox here: ${problem}` }
  return { bwrap: { path, version, privileged: isRoot, disableUserns }, bwrapProblem: null }
}
