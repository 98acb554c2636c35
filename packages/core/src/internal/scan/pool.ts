/**
 * A small worker-thread pool for the scanner: largest files first, a few batches in flight per
 * worker, a per-file watchdog (a hook stuck on one file costs that file, not the scan).
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Worker } from "node:worker_threads"
import type { PluginSpec } from "./plugins.js"
import type { FileResult } from "./runFile.js"

export interface WorkItem {
  readonly path: string
  readonly text: string
}

export interface PoolOptions {
  readonly workers: number
  readonly spec: PluginSpec
  /** Plugin names the main thread resolved; workers must load the same set. */
  readonly expectedPlugins: ReadonlyArray<string>
  readonly fileTimeoutMs: number
  readonly signal?: AbortSignal | undefined
  /**
   * Scans one item on the main thread. When given, the main thread takes the smallest files from the
   * queue while the workers start and take the largest, in slices short enough to keep the event
   * loop responsive. Only for trusted (built-in) hooks: the watchdog cannot stop the main thread.
   */
  readonly inThread?: ((item: WorkItem) => FileResult) | undefined
}

export interface PoolOutcome {
  readonly results: Map<string, FileResult>
  /** Items the pool could not run (workers failed to start); the caller scans them in-thread. */
  readonly leftover: Array<WorkItem>
  readonly warnings: Array<string>
}

/** The worker entry: `worker.ts` next to this module (sources), or the bundled `worker.js`. */
export const workerEntry = (): URL | null => {
  const candidates = [
    new URL("./worker.ts", import.meta.url),
    new URL("./worker.js", import.meta.url),
    new URL("./internal/scan/worker.js", import.meta.url),
    new URL("./scan-worker.js", import.meta.url)
  ]
  for (const url of candidates) if (url.protocol === "file:" && existsSync(fileURLToPath(url))) return url
  return null
}

const BATCH_FILES = 8
const BATCH_CHARS = 64 * 1024
const IN_FLIGHT = 2

interface Slot {
  worker: Worker
  ready: boolean
  /** Batches sent and not done, in order. */
  batches: Array<Array<WorkItem>>
  /** Index of the next unreported file in batches[0]. */
  cursor: number
  lastProgress: number
  dead: boolean
}

/** Scans `items` on worker threads. Resolves when every item has a result or is handed back. */
export const runPool = (items: ReadonlyArray<WorkItem>, options: PoolOptions): Promise<PoolOutcome> =>
  new Promise((resolve) => {
    const results = new Map<string, FileResult>()
    const warnings: Array<string> = []
    const queue = [...items].sort((a, b) => b.text.length - a.text.length)
    const entry = workerEntry()
    if (entry === null || items.length === 0) {
      if (entry === null) warnings.push("scanner worker entry not found; scanning in the main thread")
      resolve({ results, leftover: queue, warnings })
      return
    }
    const slots: Array<Slot> = []
    let finished = false
    let respawns = 0
    const remaining = (): number => items.length - results.size
    const finish = (leftover: Array<WorkItem>): void => {
      if (finished) return
      finished = true
      clearInterval(watchdog)
      options.signal?.removeEventListener("abort", onAbort)
      for (const slot of slots) void slot.worker.terminate()
      resolve({ results, leftover, warnings })
    }
    const pending = (): Array<WorkItem> => {
      const out = [...queue]
      for (const slot of slots) for (const [i, batch] of slot.batches.entries()) out.push(...batch.slice(i === 0 ? slot.cursor : 0))
      return out.filter((item) => !results.has(item.path))
    }
    const nextBatch = (): Array<WorkItem> | null => {
      if (queue.length === 0) return null
      const batch: Array<WorkItem> = []
      let chars = 0
      while (queue.length > 0 && batch.length < BATCH_FILES && (batch.length === 0 || chars + queue[0]!.text.length <= BATCH_CHARS)) {
        const item = queue.shift()!
        chars += item.text.length
        batch.push(item)
      }
      return batch
    }
    const feed = (slot: Slot): void => {
      while (slot.ready && !slot.dead && slot.batches.length < IN_FLIGHT) {
        const batch = nextBatch()
        if (batch === null) break
        if (slot.batches.length === 0) {
          slot.cursor = 0
          slot.lastProgress = performance.now()
        }
        slot.batches.push(batch)
        slot.worker.postMessage({ type: "batch", files: batch })
      }
    }
    const retire = (slot: Slot, requeue: boolean): void => {
      slot.dead = true
      if (requeue) for (const [i, batch] of slot.batches.entries()) queue.unshift(...batch.slice(i === 0 ? slot.cursor : 0))
      slot.batches = []
      void slot.worker.terminate()
    }
    const spawn = (): void => {
      const worker = new Worker(entry, { workerData: { spec: options.spec } })
      const slot: Slot = { worker, ready: false, batches: [], cursor: 0, lastProgress: performance.now(), dead: false }
      slots.push(slot)
      worker.on("message", (message: { type: string; path?: string; result?: FileResult; plugins?: Array<string>; message?: string }) => {
        if (finished || slot.dead) return
        switch (message.type) {
          case "ready": {
            const got = [...(message.plugins ?? [])].sort().join(",")
            const want = [...options.expectedPlugins].sort().join(",")
            if (got !== want) {
              warnings.push(`scanner workers loaded plugins [${got}] instead of [${want}]; scanning in the main thread`)
              finish(pending())
              return
            }
            slot.ready = true
            feed(slot)
            return
          }
          case "failed":
            warnings.push(`a scanner worker could not start (${message.message}); scanning in the main thread`)
            finish(pending())
            return
          case "result":
            results.set(message.path!, message.result!)
            slot.cursor++
            slot.lastProgress = performance.now()
            if (remaining() === 0) finish([])
            return
          case "done":
            slot.batches.shift()
            slot.cursor = 0
            slot.lastProgress = performance.now()
            feed(slot)
            return
        }
      })
      worker.on("error", (error) => {
        if (finished || slot.dead) return
        warnings.push(`a scanner worker crashed (${error.message}); its files were retried`)
        retire(slot, true)
        replace()
      })
      worker.on("exit", () => {
        if (finished || slot.dead) return
        retire(slot, true)
        replace()
      })
    }
    const replace = (): void => {
      const alive = slots.filter((s) => !s.dead).length
      if (respawns >= options.workers * 2) {
        if (alive === 0) finish(pending())
        return
      }
      respawns++
      spawn()
    }
    const watchdog = setInterval(() => {
      const now = performance.now()
      for (const slot of slots) {
        if (slot.dead || slot.batches.length === 0 || now - slot.lastProgress < options.fileTimeoutMs) continue
        const stuck = slot.batches[0]![slot.cursor]
        if (stuck !== undefined) {
          warnings.push(`scanning ${stuck.path} took longer than ${options.fileTimeoutMs} ms; skipped it`)
          results.set(stuck.path, { opportunities: [], warnings: [], parsed: false, incomplete: true })
          slot.cursor++
        }
        retire(slot, true)
        if (remaining() === 0) finish([])
        else replace()
      }
    }, Math.min(1000, options.fileTimeoutMs))
    const onAbort = (): void => finish([])
    options.signal?.addEventListener("abort", onAbort)
    for (let i = 0; i < options.workers; i++) spawn()
    const inThread = options.inThread
    if (inThread !== undefined) {
      const help = (): void => {
        if (finished) return
        const until = performance.now() + 10
        while (queue.length > 0 && performance.now() < until) {
          const item = queue.pop()!
          results.set(item.path, inThread(item))
        }
        if (remaining() === 0) finish([])
        else if (queue.length > 0) setImmediate(help)
      }
      setImmediate(help)
    }
  })
