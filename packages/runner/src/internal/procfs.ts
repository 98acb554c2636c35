/**
 * Process-table helpers over `/proc` (Linux). On other systems they return empty results.
 *
 * @internal
 */
import { readdirSync, readFileSync, statSync } from "node:fs"

export interface ProcInfo {
  readonly pid: number
  readonly ppid: number
  readonly pgrp: number
  readonly uid: number
  readonly rssBytes: number
}

const PAGE = 4096

const readProc = (pid: number): ProcInfo | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1")
    const close = stat.lastIndexOf(")")
    const fields = stat.slice(close + 2).split(" ")
    // fields[0] = state (field 3), so field N is fields[N - 3]
    const ppid = Number(fields[1])
    const pgrp = Number(fields[2])
    const rss = Number(fields[21]) * PAGE
    const uid = statSync(`/proc/${pid}`).uid
    return { pid, ppid, pgrp, uid, rssBytes: rss }
  } catch {
    return null
  }
}

/** All processes visible in `/proc`. */
export const listProcesses = (): Array<ProcInfo> => {
  let entries: Array<string>
  try {
    entries = readdirSync("/proc")
  } catch {
    return []
  }
  const out: Array<ProcInfo> = []
  for (const entry of entries) {
    const c = entry.charCodeAt(0)
    if (c < 48 || c > 57) continue
    const info = readProc(Number(entry))
    if (info) out.push(info)
  }
  return out
}

/**
 * Who a sandboxed command is. `alive()` must say whether the direct child is still unreaped: only
 * then can its pid and process group be trusted (a reaped pid may already belong to someone else).
 */
export interface Target {
  readonly pid: number | undefined
  /** The dedicated, unprivileged uid the command runs as, or `null`. */
  readonly uid: number | null
  readonly alive: () => boolean
}

/** A uid that is safe to kill wholesale: a dedicated sandbox uid, never root or ourselves. */
const killableUid = (uid: number | null): uid is number =>
  uid !== null && uid >= 1_000_000 && uid !== process.getuid?.() && uid !== 0

/**
 * The processes that belong to a sandboxed command (read-only, for memory accounting): everything
 * owned by its dedicated uid, else (while the child is alive) its process group and descendants.
 */
export const treeOf = (target: Target, all = listProcesses()): Array<ProcInfo> => {
  if (killableUid(target.uid)) return all.filter((p) => p.uid === target.uid)
  if (target.pid === undefined || !target.alive()) return []
  const selected = new Map<number, ProcInfo>()
  for (const p of all) if (p.pgrp === target.pid || p.pid === target.pid) selected.set(p.pid, p)
  const children = new Map<number, Array<ProcInfo>>()
  for (const p of all) {
    const list = children.get(p.ppid)
    if (list) list.push(p)
    else children.set(p.ppid, [p])
  }
  const stack = [target.pid]
  while (stack.length > 0) {
    const pid = stack.pop() as number
    for (const child of children.get(pid) ?? []) {
      if (selected.has(child.pid)) continue
      selected.set(child.pid, child)
      stack.push(child.pid)
    }
  }
  return [...selected.values()]
}

/**
 * Sends SIGKILL to a sandboxed command's processes.
 *
 * - With a dedicated uid: every process of that uid, repeated until none is left (bounded), which
 *   also catches daemons that left the process group and fork bombs.
 * - Otherwise, and only while the direct child is unreaped: its process group and descendants, once.
 *
 * It never signals a pid it cannot attribute to the command: after the child is reaped its pid and
 * group id may be reused by unrelated processes.
 */
export const killTree = (target: Target): number => {
  let killed = 0
  if (target.pid !== undefined && target.alive()) {
    try {
      process.kill(-target.pid, "SIGKILL")
    } catch {
      // no such group
    }
    if (!killableUid(target.uid)) {
      for (const p of treeOf(target)) {
        if (p.pid === process.pid || p.pid <= 1) continue
        try {
          process.kill(p.pid, "SIGKILL")
          killed++
        } catch {
          // already gone
        }
      }
    }
  }
  if (killableUid(target.uid)) {
    for (let round = 0; round < 50; round++) {
      const left = listProcesses().filter((p) => p.uid === target.uid)
      if (left.length === 0) break
      killed += killAll(left)
    }
  }
  return killed
}

/** SIGKILLs each process; returns how many signals were delivered (a zombie takes one and stays until reaped). */
const killAll = (processes: ReadonlyArray<ProcInfo>): number => {
  let killed = 0
  for (const p of processes) {
    try {
      process.kill(p.pid, "SIGKILL")
      killed++
    } catch {
      // already gone
    }
  }
  return killed
}

/**
 * Waits until no process of a dedicated sandbox uid is left, zombies included, for up to `timeoutMs`, and
 * returns how many are left then. Killed processes whose parent died too are reaped by init, and until
 * then they count against the uid's RLIMIT_NPROC: an init that reaps orphans late (some sweep only every
 * couple of seconds) would start the next step of that uid short of processes — a `node` that cannot
 * create its threads fails at once. Anything still running is killed again on every round.
 */
export const waitForUidGone = async (uid: number | null, timeoutMs: number): Promise<number> => {
  if (!killableUid(uid)) return 0
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const left = listProcesses().filter((p) => p.uid === uid)
    if (left.length === 0 || performance.now() >= deadline) return left.length
    killAll(left)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
