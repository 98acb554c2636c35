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
  cached = { prlimit, dropUid, netns, netnsProblem, gnuTime }
  return cached
}
