/**
 * A small worker-thread pool for the scanner: started before the files are all read; every thread
 * (the workers, and the main thread once reading is done) takes the largest file left, so the last
 * files scanned are the smallest and the threads finish together; two batches in flight per worker,
 * so a worker never waits for the next one; a per-file watchdog (a hook stuck on one file costs that
 * file, not the scan); and idle workers kept briefly for the next scan.
 */
import { existsSync } from "node:fs"
import { getCompileCacheDir } from "node:module"
import { dirname } from "node:path"
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
   * Scans one item on the main thread. When given, the main thread scans from the queue too once the
   * pool is closed (largest first, like the workers), in slices short enough that a worker's "done"
   * is answered with its next batch at once. Only for trusted (built-in) hooks: the watchdog cannot
   * stop the main thread.
   */
  readonly inThread?: ((item: WorkItem) => FileResult) | undefined
}

export interface PoolOutcome {
  readonly results: Map<string, FileResult>
  /** Items the pool could not run (workers failed to start); the caller scans them in-thread. */
  readonly leftover: Array<WorkItem>
  readonly warnings: Array<string>
}

/** Node's compile cache directory when this process enabled it (the CLI does), for workers to share; else `null`. */
const compileCacheBase = (): string | null => {
  const dir = getCompileCacheDir?.()
  // the directory Node reports has a per-version child; workers pass the base, as the CLI did
  return dir === undefined ? null : dirname(dir)
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

const BATCH_FILES = 64
const BATCH_CHARS = 64 * 1024
/**
 * Once every file is queued, a batch holds at most this share of what is left per thread (guided
 * self-scheduling): batches shrink towards the end, so no thread is left holding a large one.
 */
const BATCH_SHARE = 4
const MIN_BATCH_CHARS = 4 * 1024
/** Batches sent to a worker ahead of its results: the next one is waiting when it finishes one. */
const IN_FLIGHT = 2
/**
 * How long the main thread scans before it lets the event loop answer the workers. A file's cost
 * depends on whether a template's gate passes (then it is parsed), not on its size: a worker waiting
 * on a slice of 10 ms idled about a third of a scan.
 */
const HELP_SLICE_MS = 2

const charsOf = (items: ReadonlyArray<WorkItem>): number => items.reduce((n, item) => n + item.text.length, 0)

/**
 * Workers of a finished scan, kept for a few seconds for the next scan with the same built-in plugin
 * set (a long-lived process — the server, an SDK embedder — then skips their start-up and JIT
 * warm-up). A worker still starting when the scan ended (the main thread scanned every file first)
 * is kept too, for the next scan. Unreferenced once ready: they never keep the process alive (a
 * starting one does until it is ready: ending a thread inside a tree-sitter call aborts the process,
 * see {@link stop}). Workers that ran config-file plugins (third-party code, possibly changed since)
 * are never kept.
 */
interface IdleWorker {
  readonly worker: Worker
  readonly key: string
  readonly timer: NodeJS.Timeout
  /** "done" messages still on their way for batches whose results all arrived. */
  readonly pendingDone: number
  /** Whether the worker said it loaded the expected plugins (else it is still starting). */
  ready: boolean
  /** Removes the idle-time listeners (never `removeAllListeners`: Node's own keep the port working). */
  readonly detach: () => void
}
const idleWorkers: Array<IdleWorker> = []
const ignore = (): void => {}

/** How many workers wait for the next scan, or only those that are ready (for tests). */
export const idleWorkerCount = (only?: "ready"): number => idleWorkers.filter((w) => only === undefined || w.ready).length
const IDLE_MS = 5_000

/** Whether a worker's "ready" message lists the plugins the pool expects. */
const samePlugins = (got: ReadonlyArray<string> | undefined, want: ReadonlyArray<string>): boolean =>
  [...(got ?? [])].sort().join(",") === [...want].sort().join(",")

/**
 * The reuse key of a plugin spec, or `null` when its workers must not be reused. A repository's
 * declarative rules are part of it: a worker that built them serves only scans with the same rules.
 */
const reuseKey = (spec: PluginSpec): string | null =>
  spec.configFile === null ? JSON.stringify({ builtins: spec.builtins, off: spec.off, on: spec.on, rules: spec.queryRules ?? null }) : null

const takeIdle = (key: string): IdleWorker | undefined => {
  const i = idleWorkers.findIndex((w) => w.key === key)
  if (i === -1) return undefined
  const [taken] = idleWorkers.splice(i, 1)
  clearTimeout(taken!.timer)
  taken!.detach()
  taken!.worker.ref()
  return taken
}

/**
 * Ends a worker that may be busy: it is asked to exit by itself between two files (after the batches
 * it holds; a worker still starting, after loading its plugins), and terminated only when it has not
 * exited within `graceMs` (a hook that hangs). `terminate()` must not catch a worker inside a
 * tree-sitter call: the addon's N-API calls then fail, and the C++ exception it makes of that cannot
 * be handed to JavaScript, so the whole process aborts ("terminate called after throwing an instance
 * of 'Napi::Error'", SIGABRT). The worker stays referenced until it exits: a process that ends right
 * after a scan waits for it rather than tearing it down mid-call.
 */
const stop = (worker: Worker, graceMs: number): void => {
  worker.on("error", ignore)
  worker.postMessage({ type: "stop" })
  const timer = setTimeout(() => void worker.terminate(), graceMs)
  timer.unref()
  worker.once("exit", () => clearTimeout(timer))
}

const park = (worker: Worker, key: string, pendingDone: number, ready: boolean, expectedPlugins: ReadonlyArray<string>): void => {
  const forget = (): void => {
    const i = idleWorkers.findIndex((w) => w.worker === worker)
    if (i !== -1) {
      clearTimeout(idleWorkers[i]!.timer)
      idleWorkers.splice(i, 1)
    }
  }
  // a starting worker: ready to serve (and unreferenced) once it loaded the expected plugins
  const onMessage = (message: { type: string; plugins?: Array<string> }): void => {
    if (message.type === "ready" && samePlugins(message.plugins, expectedPlugins)) {
      entry.ready = true
      worker.unref()
    } else if (message.type === "ready" || message.type === "failed") {
      forget()
      stop(worker, IDLE_MS)
    }
  }
  worker.on("error", forget)
  worker.on("exit", forget)
  if (!ready) worker.on("message", onMessage)
  const detach = (): void => {
    worker.off("error", forget)
    worker.off("exit", forget)
    worker.off("message", onMessage)
  }
  const timer = setTimeout(() => {
    forget()
    stop(worker, IDLE_MS)
  }, IDLE_MS)
  timer.unref()
  if (ready) worker.unref()
  const entry: IdleWorker = { worker, key, timer, pendingDone, ready, detach }
  idleWorkers.push(entry)
}

interface Slot {
  worker: Worker
  ready: boolean
  /** Batches sent and not done, in order. */
  batches: Array<Array<WorkItem>>
  /** Index of the next unreported file in batches[0]. */
  cursor: number
  lastProgress: number
  dead: boolean
  /** "done" messages of a previous scan's last batch, still to arrive (a reused worker): ignored. */
  staleDone: number
  /** Removes this pool's listeners from the worker. */
  detach: () => void
}

/** A running pool: items can be added while the workers start; `close` resolves once every item has a result. */
export interface Pool {
  readonly add: (items: ReadonlyArray<WorkItem>) => void
  readonly close: () => Promise<PoolOutcome>
  /** Stops the workers now (idempotent): for when the scan ends before `close`, e.g. on interruption. */
  readonly dispose: () => void
}

/**
 * Starts `options.workers` worker threads at once, so they boot while the caller is still reading files,
 * and scans what is {@link Pool.add}ed, largest file first: on the workers, and on the main thread too
 * (when `inThread` is given) once the pool is closed.
 */
export const startPool = (options: PoolOptions): Pool => {
  const results = new Map<string, FileResult>()
  const warnings: Array<string> = []
  const queue: Array<WorkItem> = []
  let queuedChars = 0
  /** The largest queued item (the queue is sorted). */
  const take = (): WorkItem => {
    const item = queue.shift()!
    queuedChars -= item.text.length
    return item
  }
  let sorted = true
  let total = 0
  let closed = false
  let finished = false
  let respawns = 0
  let resolveOutcome: ((outcome: PoolOutcome) => void) | undefined
  let outcome: PoolOutcome | undefined
  const entry = workerEntry()
  const slots: Array<Slot> = []
  const remaining = (): number => total - results.size
  const sortQueue = (): void => {
    if (sorted) return
    queue.sort((a, b) => b.text.length - a.text.length)
    sorted = true
  }
  const finish = (leftover: Array<WorkItem>): void => {
    if (finished) return
    finished = true
    clearInterval(watchdog)
    options.signal?.removeEventListener("abort", onAbort)
    const key = reuseKey(options.spec)
    for (const slot of slots) {
      // idle: nothing in flight, or only a batch whose every result arrived (its "done" is on the way)
      const idle = slot.batches.length === 0 || (slot.batches.length === 1 && slot.cursor >= slot.batches[0]!.length)
      slot.detach()
      if (key !== null && !slot.dead && idle) park(slot.worker, key, slot.staleDone + slot.batches.length, slot.ready, options.expectedPlugins)
      else {
        slot.worker.on("error", ignore)
        // a retired worker is ended already; any other may be starting or scanning: asked to stop
        if (!slot.dead) stop(slot.worker, options.fileTimeoutMs)
      }
    }
    outcome = { results, leftover, warnings }
    resolveOutcome?.(outcome)
  }
  const pending = (): Array<WorkItem> => {
    const out = [...queue]
    for (const slot of slots) for (const [i, batch] of slot.batches.entries()) out.push(...batch.slice(i === 0 ? slot.cursor : 0))
    return out.filter((item) => !results.has(item.path))
  }
  const nextBatch = (): Array<WorkItem> | null => {
    sortQueue()
    if (queue.length === 0) return null
    const threads = slots.filter((s) => !s.dead).length + (options.inThread === undefined ? 0 : 1)
    const limit = closed ? Math.max(MIN_BATCH_CHARS, Math.min(BATCH_CHARS, queuedChars / (BATCH_SHARE * threads))) : BATCH_CHARS
    const batch: Array<WorkItem> = []
    let chars = 0
    while (queue.length > 0 && batch.length < BATCH_FILES && (batch.length === 0 || chars + queue[0]!.text.length <= limit)) {
      const item = take()
      chars += item.text.length
      batch.push(item)
    }
    return batch
  }
  const feed = (slot: Slot): void => {
    // The queue is largest first: what a worker holds at the end is small, so two in flight cost the
    // main thread no idle time at the end.
    while (slot.ready && !slot.dead && slot.batches.length < IN_FLIGHT) {
      const batch = nextBatch()
      if (batch === null) break
      if (slot.batches.length === 0) {
        slot.cursor = 0
        slot.lastProgress = performance.now()
      }
      slot.batches.push(batch)
      slot.worker.postMessage({ type: "batch", root: options.spec.root, files: batch })
    }
  }
  const settleIfDone = (): void => {
    if (closed && remaining() === 0) finish([])
  }
  /** Takes a worker out of the pool: terminated when it hangs or has failed already, else asked to stop. */
  const retire = (slot: Slot, requeue: boolean, end: "terminate" | "stop" = "terminate"): void => {
    slot.dead = true
    if (requeue)
      for (const [i, batch] of slot.batches.entries()) {
        const back = batch.slice(i === 0 ? slot.cursor : 0)
        queue.unshift(...back)
        queuedChars += charsOf(back)
        sorted = false
      }
    slot.batches = []
    if (end === "terminate") void slot.worker.terminate()
    else stop(slot.worker, options.fileTimeoutMs)
  }
  const spawn = (url: URL): void => {
    const key = reuseKey(options.spec)
    const reused = key !== null ? takeIdle(key) : undefined
    const worker = reused?.worker ?? new Worker(url, { workerData: { spec: options.spec, compileCache: compileCacheBase() } })
    // a reused worker that is ready loaded this plugin set and said so; one still starting says so later
    const slot: Slot = {
      worker,
      ready: reused?.ready === true,
      batches: [],
      cursor: 0,
      lastProgress: performance.now(),
      dead: false,
      staleDone: reused?.pendingDone ?? 0,
      detach: () => {
        worker.off("message", onMessage)
        worker.off("error", onError)
        worker.off("exit", onExit)
      }
    }
    slots.push(slot)
    const onMessage = (message: { type: string; path?: string; result?: FileResult; plugins?: Array<string>; message?: string }): void => {
      if (finished || slot.dead) return
      switch (message.type) {
        case "ready": {
          if (!samePlugins(message.plugins, options.expectedPlugins)) {
            warnings.push(`scanner workers loaded plugins [${[...(message.plugins ?? [])].sort().join(",")}] instead of [${[...options.expectedPlugins].sort().join(",")}]; scanning in the main thread`)
            fail()
            return
          }
          slot.ready = true
          feed(slot)
          return
        }
        case "failed":
          warnings.push(`a scanner worker could not start (${message.message}); scanning in the main thread`)
          fail()
          return
        case "result":
          results.set(message.path!, message.result!)
          slot.cursor++
          slot.lastProgress = performance.now()
          settleIfDone()
          return
        case "done":
          if (slot.staleDone > 0) {
            slot.staleDone--
            return
          }
          slot.batches.shift()
          slot.cursor = 0
          slot.lastProgress = performance.now()
          feed(slot)
          return
      }
    }
    const onError = (error: Error): void => {
      if (finished || slot.dead) return
      warnings.push(`a scanner worker crashed (${error.message}); its files were retried`)
      retire(slot, true)
      replace()
    }
    const onExit = (): void => {
      if (finished || slot.dead) return
      retire(slot, true)
      replace()
    }
    worker.on("message", onMessage)
    worker.on("error", onError)
    worker.on("exit", onExit)
  }
  /** The workers cannot be used: hand every unfinished item back (scanned in the main thread). */
  let failed = false
  const fail = (): void => {
    if (failed) return
    failed = true
    // the others may still be loading their plugins (compiling tree-sitter queries)
    for (const slot of slots) if (!slot.dead) retire(slot, true, "stop")
    if (closed) finish(pending())
  }
  const replace = (): void => {
    const alive = slots.filter((s) => !s.dead).length
    if (respawns >= options.workers * 2 || entry === null) {
      if (alive === 0) fail()
      return
    }
    respawns++
    spawn(entry)
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
      if (closed && remaining() === 0) finish([])
      else replace()
    }
  }, Math.min(1000, options.fileTimeoutMs))
  const onAbort = (): void => finish([])
  options.signal?.addEventListener("abort", onAbort)
  if (entry === null) {
    warnings.push("scanner worker entry not found; scanning in the main thread")
    failed = true
  } else {
    for (let i = 0; i < options.workers; i++) spawn(entry)
    // reused workers are ready at once: give them what is already queued (nothing yet, usually)
    for (const slot of slots) feed(slot)
  }

  return {
    add: (items) => {
      if (closed) throw new Error("scanner pool: add after close")
      if (items.length === 0) return
      queue.push(...items)
      queuedChars += charsOf(items)
      total += items.length
      sorted = false
      if (!failed) for (const slot of slots) feed(slot)
    },
    close: () =>
      new Promise<PoolOutcome>((resolve) => {
        closed = true
        resolveOutcome = resolve
        if (outcome !== undefined) return resolve(outcome)
        if (failed || total === 0) return finish(failed ? pending() : [])
        settleIfDone()
        const inThread = options.inThread
        if (inThread === undefined || finished) return
        // The main thread takes the largest file left, like the workers, in short slices.
        const help = (): void => {
          if (finished) return
          sortQueue()
          const until = performance.now() + HELP_SLICE_MS
          while (queue.length > 0 && performance.now() < until) {
            const item = take()
            results.set(item.path, inThread(item))
          }
          if (remaining() === 0) finish([])
          else if (failed) finish(pending())
          else if (queue.length > 0) setImmediate(help)
        }
        setImmediate(help)
      }),
    dispose: () => finish([])
  }
}
