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
 * The processes that belong to a sandboxed command: everything owned by its dedicated uid
 * (when it has one), everything in its process group, and every descendant of its root pid.
 */
export const treeOf = (root: { pid: number | undefined; uid: number | null }, all = listProcesses()): Array<ProcInfo> => {
  const selected = new Map<number, ProcInfo>()
  for (const p of all) {
    if (root.uid !== null && p.uid === root.uid) selected.set(p.pid, p)
    else if (root.pid !== undefined && (p.pgrp === root.pid || p.pid === root.pid)) selected.set(p.pid, p)
  }
  if (root.pid !== undefined) {
    const children = new Map<number, Array<ProcInfo>>()
    for (const p of all) {
      const list = children.get(p.ppid)
      if (list) list.push(p)
      else children.set(p.ppid, [p])
    }
    const stack = [root.pid]
    while (stack.length > 0) {
      const pid = stack.pop() as number
      for (const child of children.get(pid) ?? []) {
        if (!selected.has(child.pid)) selected.set(child.pid, child)
        stack.push(child.pid)
      }
    }
  }
  return [...selected.values()]
}

/** Sends SIGKILL to the whole tree, repeating until it is empty (bounded), e.g. against a fork bomb. */
export const killTree = (root: { pid: number | undefined; uid: number | null }): number => {
  let killed = 0
  for (let round = 0; round < 50; round++) {
    if (root.pid !== undefined) {
      try {
        process.kill(-root.pid, "SIGKILL")
      } catch {
        // no such group
      }
    }
    const tree = treeOf(root).filter((p) => p.pid !== process.pid)
    if (tree.length === 0) break
    for (const p of tree) {
      try {
        process.kill(p.pid, "SIGKILL")
        killed++
      } catch {
        // already gone
      }
    }
  }
  return killed
}
