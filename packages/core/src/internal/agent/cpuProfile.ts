/**
 * Reading V8 `.cpuprofile` files (what `node --cpu-prof` writes) into self time per function of the
 * repository. A sample belongs to the function on top of the stack; when that is not repository code
 * (a builtin such as `Array.prototype.includes`, Node's internals, a dependency), it belongs to the
 * nearest repository function below it on the stack — the code that chose to call it. So a loop that
 * spends its time in `includes` ranks as the loop's function. Functions are grouped by (file,
 * function, line); only files inside the repository count (not `node_modules`, not Node's internals).
 */
import { isAbsolute, relative, sep } from "node:path"
import { fileURLToPath } from "node:url"

/** One function's share of the sampled CPU time. */
export interface Hotspot {
  /** Repository-relative, `/`-separated. */
  readonly file: string
  /** The function name V8 recorded (`(anonymous)` when it had none). */
  readonly name: string
  /** 1-based line of the function's start, as V8 saw it (transpiled sources may be off by a few lines). */
  readonly line: number
  readonly samples: number
  readonly selfMs: number
  /** Share of all samples of all profiles, 0..1. */
  readonly share: number
}

interface CallFrame {
  readonly functionName?: string
  readonly url?: string
  readonly lineNumber?: number
}

interface ProfileNode {
  readonly id: number
  readonly callFrame?: CallFrame
  readonly hitCount?: number
  readonly children?: ReadonlyArray<number>
}

interface CpuProfile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly startTime: number
  readonly endTime: number
  readonly samples?: ReadonlyArray<number>
  readonly timeDeltas?: ReadonlyArray<number>
}

const isProfile = (value: unknown): value is CpuProfile =>
  typeof value === "object" && value !== null && Array.isArray(Reflect.get(value, "nodes")) && typeof Reflect.get(value, "startTime") === "number"

/** The repository-relative path of a profile URL, or `null` when it is not a repository file. */
export const repoPath = (url: string, root: string): string | null => {
  if (url === "" || url.startsWith("node:") || url.startsWith("internal/")) return null
  let path = url
  if (url.startsWith("file://")) {
    try {
      path = fileURLToPath(url.replace(/[?#].*$/, ""))
    } catch {
      return null
    }
  } else {
    path = url.replace(/[?#].*$/, "")
  }
  if (!isAbsolute(path)) return null
  const rel = relative(root, path)
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return null
  const parts = rel.split(sep)
  if (parts.includes("node_modules") || parts[0] === ".git") return null
  return parts.join("/")
}

interface Tally {
  samples: number
  selfUs: number
}

/** Accumulates profiles; `hotspots()` ranks the repository's functions by self time. */
export const accumulator = (root: string) => {
  const byKey = new Map<string, Tally & { file: string; name: string; line: number }>()
  let total = 0
  return {
    /** Adds one parsed `.cpuprofile`; returns false when the value is not a CPU profile. */
    add: (value: unknown): boolean => {
      if (!isProfile(value)) return false
      const nodes = new Map(value.nodes.map((n) => [n.id, n]))
      const parents = new Map<number, number>()
      for (const n of value.nodes) for (const child of n.children ?? []) parents.set(child, n.id)
      // The repository frame a node's time belongs to: itself, else its nearest repository ancestor.
      const owners = new Map<number, { file: string; frame: CallFrame } | null>()
      const ownerOf = (id: number): { file: string; frame: CallFrame } | null => {
        const known = owners.get(id)
        if (known !== undefined) return known
        const trail: Array<number> = []
        let current: number | undefined = id
        let found: { file: string; frame: CallFrame } | null = null
        while (current !== undefined) {
          const cached = owners.get(current)
          if (cached !== undefined) {
            found = cached
            break
          }
          trail.push(current)
          const frame = nodes.get(current)?.callFrame
          const file = repoPath(frame?.url ?? "", root)
          if (file !== null && frame !== undefined) {
            found = { file, frame }
            break
          }
          current = parents.get(current)
        }
        for (const t of trail) owners.set(t, found)
        return found
      }
      const samples = value.samples ?? []
      const deltas = value.timeDeltas ?? []
      const interval = samples.length > 0 ? Math.max(0, value.endTime - value.startTime) / samples.length : 0
      const counts = new Map<number, Tally>()
      if (samples.length > 0) {
        for (const [i, id] of samples.entries()) {
          const t = counts.get(id) ?? { samples: 0, selfUs: 0 }
          t.samples++
          // A sample's time is the gap to the next one; the last one gets the mean interval.
          const next = deltas[i + 1]
          t.selfUs += next !== undefined && next >= 0 ? Math.min(next, interval * 10) : interval
          counts.set(id, t)
        }
      } else {
        for (const n of value.nodes) if ((n.hitCount ?? 0) > 0) counts.set(n.id, { samples: n.hitCount ?? 0, selfUs: (n.hitCount ?? 0) * 1000 })
      }
      for (const [id, tally] of counts) {
        total += tally.samples
        const owner = ownerOf(id)
        if (owner === null) continue
        const { file, frame } = owner
        const name = frame?.functionName && frame.functionName !== "" ? frame.functionName : "(anonymous)"
        const line = (frame?.lineNumber ?? 0) + 1
        const key = `${file}\0${name}\0${line}`
        const entry = byKey.get(key) ?? { file, name, line, samples: 0, selfUs: 0 }
        entry.samples += tally.samples
        entry.selfUs += tally.selfUs
        byKey.set(key, entry)
      }
      return true
    },
    hotspots: (limit = 30): Array<Hotspot> =>
      [...byKey.values()]
        .sort((a, b) => b.samples - a.samples || a.file.localeCompare(b.file) || a.line - b.line)
        .slice(0, limit)
        .map((e) => ({ file: e.file, name: e.name, line: e.line, samples: e.samples, selfMs: Math.round(e.selfUs) / 1000, share: total === 0 ? 0 : e.samples / total }))
  }
}
