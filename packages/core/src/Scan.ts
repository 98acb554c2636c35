/**
 * Stage 3 — scan: find ranked improvement opportunities with tree-sitter rules and text heuristics.
 *
 * Rules are plugins (`scan` hooks): by default the built-in templates (`Templates.builtin()`),
 * the `ratchet:text-heuristics` plugin and the plugins of the repository's `ratchet.config.*`.
 * The scanner walks the repository (honouring `.gitignore`, skipping `node_modules`, build
 * output, `.d.ts`, minified, generated, compiled, binary and huge files, and — by default — tests,
 * docs, examples, fixtures, benchmarks and vendored folders, unless a `scan.include` glob names
 * them; every skip is reported with its reason), caches per-file results on disk
 * by content hash, runs hooks on worker threads, and ranks what it finds (performance first,
 * then code inside loops and hot call sites, then confidence and risk).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Scan } from "@ratchet/core"
 *
 * const result = await Effect.runPromise(Scan.scan("."))
 * console.log(Scan.format(result))
 * ```
 *
 * @since 0.1.0
 */
import { createHash, hash as hashOf } from "node:crypto"
import { closeSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from "node:fs"
import { availableParallelism, homedir } from "node:os"
import { dirname, isAbsolute, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { Clock, Effect, Schema } from "effect"
import { loadConfig, type ResolvedConfig } from "./Config.js"
import type { Opportunity, ScanResult } from "./Opportunity.js"
import { hooksOf, type Plugin } from "./Plugin.js"
import { badInput, internal, type RatchetError } from "./RatchetError.js"
import { type CacheEntry, loadCache, saveCache } from "./internal/scan/cache.js"
import { DEFAULT_MAX_FILE_BYTES, skipReasonForBytes, skipReasonForText } from "./internal/scan/classify.js"
import { activePlugins, builtinPlugins, offMatcher, type PluginSpec } from "./internal/scan/plugins.js"
import type { QueryRuleData } from "./ScanRule.js"
import { type Pool, startPool, type WorkItem } from "./internal/scan/pool.js"
import { type FileResult, opportunityId as rawOpportunityId, type RawOpportunity, scanText } from "./internal/scan/runFile.js"
import { textHeuristics as textHeuristicsPlugin } from "./internal/scan/textHeuristics.js"
import { walk } from "./internal/scan/walk.js"

/**
 * Version of the scan engine; part of the cache fingerprint.
 *
 * @since 0.1.0
 */
export const ENGINE_VERSION = "scan-2"

/**
 * Options of {@link scan}. Unset fields fall back to the config's `scan` section.
 *
 * @since 0.1.0
 */
export interface ScanOptions {
  /**
   * Extra plugins, added after the built-ins. Defaults to the config's plugins. Plugins that are
   * not the config file's own run on the main thread (functions cannot be sent to workers).
   */
  readonly plugins?: ReadonlyArray<Plugin>
  /** The loaded config; when absent (and `plugins` is absent too) `ratchet.config.*` is loaded from `root`. */
  readonly config?: ResolvedConfig
  /** Include the built-in templates and text heuristics (default `true`). */
  readonly builtins?: boolean
  /** Globs (relative to `root`) a file must match; default: config `scan.include`, else all JS/TS files. */
  readonly include?: ReadonlyArray<string>
  /** Globs (relative to `root`) of files to leave out; default: config `scan.exclude`. */
  readonly exclude?: ReadonlyArray<string>
  /** Plugin names, rule ids or globs switched "on"/"off"; merged over config `scan.rules`. */
  readonly rules?: Readonly<Record<string, "on" | "off">>
  /**
   * The cache directory (absolute, or relative to `root`), or `false` to disable the cache.
   * Default {@link cacheDirFor}`(root)`: under the user's cache directory, never inside `root`.
   */
  readonly cache?: string | false
  /**
   * Worker threads to use at most. Default: the number of CPUs. Small scans with built-in rules
   * only run on the main thread; hooks from a config file always run on a worker, where a hung
   * hook can be stopped (see `fileTimeoutMs`).
   */
  readonly concurrency?: number
  /** Files larger than this are skipped with a warning. Default 1 MiB. */
  readonly maxFileBytes?: number
  /** A hook running longer than this on one file (in a worker) is abandoned for that file. Default 30 s. */
  readonly fileTimeoutMs?: number
  /**
   * A V8 CPU profile (`.cpuprofile`, e.g. from `node --cpu-prof`) of the code at work, absolute or relative to
   * `root`. Findings inside functions that take at least 1% of its samples (inclusive) rank first.
   */
  readonly profile?: string
}

/**
 * Scanner statistics: the contract's `files`, `bytes`, `durationMs` plus details.
 *
 * @since 0.1.0
 */
export interface ScanStats {
  /** Files scanned (from the cache or freshly). */
  readonly files: number
  /** Bytes of the files scanned. */
  readonly bytes: number
  readonly durationMs: number
  /** Files whose result came from the cache. */
  readonly cached: number
  /** Files that tree-sitter parsed in this run. */
  readonly parsed: number
  /** Files skipped (see `skipped`). */
  readonly skippedFiles: number
  /** Worker threads used (0: main thread only). */
  readonly workers: number
}

/**
 * The result of {@link scan}: a `ScanResult` (the `ratchet scan --json` contract) plus skipped files and warnings.
 *
 * @since 0.1.0
 */
export interface ScanReport extends ScanResult {
  readonly stats: ScanStats
  readonly skipped: ReadonlyArray<{ readonly file: string; readonly reason: string }>
  readonly warnings: ReadonlyArray<string>
}

/**
 * The `ratchet:text-heuristics` plugin (rules `text:await-in-loop`, `text:sync-fs-in-handler`,
 * `text:spread-in-reduce`); part of the built-ins.
 *
 * @since 0.1.0
 */
export const textHeuristics: () => Plugin = textHeuristicsPlugin

/**
 * A stable opportunity id: a hash of rule, file, byte range and the code in that range.
 *
 * @since 0.1.0
 */
export const opportunityId: (rule: string, file: string, startByte: number, endByte: number, code: string) => string = rawOpportunityId

const RISK_PENALTY = { low: 0, medium: 10, high: 25 } as const

/**
 * Estimated benefit below which a performance finding ranks with tech-debt, after every finding that can
 * pay (e.g. hoisting a regex literal, whose compiled pattern V8 already caches).
 *
 * @since 0.2.0
 */
export const LOW_BENEFIT = 0.1

/**
 * The ranking score of an opportunity (higher first): performance before tech-debt (a performance
 * finding whose estimated benefit is below {@link LOW_BENEFIT} counts as tech-debt here); then code a
 * CPU profile shows as hot; then loop nesting and hot call sites, confidence, estimated benefit, minus
 * risk; code that only runs at start-up or in build scripts, CLIs and tests ranks last.
 *
 * @since 0.1.0
 */
export const score = (o: {
  readonly kind: Opportunity["kind"]
  readonly confidence: number
  readonly risk: Opportunity["risk"]
  readonly benefit?: number | undefined
  readonly loopDepth?: number
  readonly hot?: boolean
  /** Inside a function a CPU profile shows taking ≥ 1% of the time. */
  readonly profiled?: boolean
  /** In a file that only runs at start-up, in builds or in tests (see {@link isStartupPath}). */
  readonly startup?: boolean
}): number =>
  (o.kind === "performance" && (o.benefit === undefined || o.benefit >= LOW_BENEFIT) ? 100 : 0) +
  (o.profiled ? 90 : 0) -
  (o.startup ? 90 : 0) +
  Math.min(Math.max(o.loopDepth ?? 0, 0), 3) * 15 +
  (o.hot ? 12 : 0) +
  o.confidence * 30 +
  Math.min(Math.max(o.benefit ?? 0, 0), 1) * 20 -
  RISK_PENALTY[o.risk]

const STARTUP_PATH = /(?:^|\/)(?:scripts?|bin|tools|build|config|test|tests|__tests__|spec|e2e|bench|benchmarks?)\/|(?:^|\/)(?:cli|bin|gulpfile|gruntfile|Gulpfile|Gruntfile|Jakefile)\.[cm]?[jt]s$|\.config\.[cm]?[jt]s$|\.(?:test|spec|bench)\.[cm]?[jt]sx?$/

/**
 * Whether a file (path relative to the repository) is code that runs once at start-up, in builds or in
 * tests — CLI entry points, `scripts/`, `bin/`, `tools/`, config files, tests and benchmarks — where a
 * faster loop rarely matters to anyone.
 *
 * @since 0.2.0
 */
export const isStartupPath = (path: string): boolean => STARTUP_PATH.test(path)

/**
 * The parts of a V8 CPU profile (`.cpuprofile`) the ranking reads.
 *
 * @since 0.2.0
 */
export const CpuProfile = Schema.Struct({
  nodes: Schema.Array(
    Schema.Struct({
      id: Schema.Number,
      callFrame: Schema.optionalKey(Schema.Struct({ url: Schema.optionalKey(Schema.String), lineNumber: Schema.optionalKey(Schema.Number) })),
      hitCount: Schema.optionalKey(Schema.Number),
      children: Schema.optionalKey(Schema.Array(Schema.Number))
    })
  ),
  samples: Schema.optionalKey(Schema.Array(Schema.Number))
})
/** @since 0.2.0 */
export type CpuProfile = typeof CpuProfile.Type

/**
 * Functions a V8 CPU profile shows as hot: for each file (relative to `root`), the 1-based start lines of
 * functions whose inclusive samples reach `threshold` (a share of all samples).
 *
 * @since 0.2.0
 */
export const hotFunctions = (profile: CpuProfile, root: string, threshold = 0.01): Map<string, Set<number>> => {
  const out = new Map<string, Set<number>>()
  type ProfileNode = CpuProfile["nodes"][number]
  const nodes = profile.nodes
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const samples = profile.samples
  const self = new Map<number, number>()
  if (samples !== undefined) for (const id of samples) self.set(id, (self.get(id) ?? 0) + 1)
  else for (const n of nodes) self.set(n.id, n.hitCount ?? 0)
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  if (total === 0) return out
  const rootDir = resolve(root)
  const keyOf = (n: ProfileNode): string | null => {
    const url = n.callFrame?.url ?? ""
    if (url === "" || n.callFrame?.lineNumber === undefined || n.callFrame.lineNumber < 0) return null
    let path: string
    try {
      path = url.startsWith("file:") ? fileURLToPath(url) : url
    } catch {
      return null
    }
    if (!isAbsolute(path) || !path.startsWith(`${rootDir}/`)) return null
    return `${path.slice(rootDir.length + 1)}\0${n.callFrame.lineNumber + 1}`
  }
  // inclusive samples: a node's own samples count once for every distinct function on its stack
  const inclusive = new Map<string, number>()
  const referenced = new Set(nodes.flatMap((n) => n.children ?? []))
  const stack: Array<{ node: ProfileNode; keys: ReadonlySet<string> }> = nodes.filter((n) => !referenced.has(n.id)).map((node) => ({ node, keys: new Set<string>() }))
  while (stack.length > 0) {
    const { node, keys } = stack.pop()!
    const key = keyOf(node)
    const here = key === null || keys.has(key) ? keys : new Set([...keys, key])
    const hits = self.get(node.id) ?? 0
    if (hits > 0) for (const k of here) inclusive.set(k, (inclusive.get(k) ?? 0) + hits)
    for (const child of node.children ?? []) {
      const c = byId.get(child)
      if (c) stack.push({ node: c, keys: here })
    }
  }
  for (const [key, hits] of inclusive) {
    if (hits / total < threshold) continue
    const [file, line] = key.split("\0") as [string, string]
    let lines = out.get(file)
    if (lines === undefined) {
      lines = new Set()
      out.set(file, lines)
    }
    lines.add(Number(line))
  }
  return out
}

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/**
 * The user's cache directory for Ratchet: `$XDG_CACHE_HOME/ratchet`, else `~/.cache/ratchet`.
 *
 * @since 0.1.0
 */
export const userCacheDir = (env: Record<string, string | undefined> = process.env): string => {
  const xdg = env.XDG_CACHE_HOME
  return xdg !== undefined && isAbsolute(xdg) ? join(xdg, "ratchet") : join(homedir(), ".cache", "ratchet")
}

/**
 * Where the scan cache of a repository lives: `<base>/scan/<key>`, the key derived from the
 * repository's real path (symlinks resolved), `base` defaulting to {@link userCacheDir}. Scanning
 * never writes into the repository itself.
 *
 * @since 0.1.0
 */
export const cacheDirFor = (root: string, base: string = userCacheDir()): string => {
  let real = resolve(root)
  try {
    real = realpathSync(real)
  } catch {
    // a missing root fails later with its own message
  }
  return join(resolve(base), "scan", createHash("sha256").update(real).digest("hex").slice(0, 24))
}

/** Fingerprint of the engine code itself, so a changed rule implementation invalidates the cache. */
const engineFingerprint = (() => {
  let memo: string | undefined
  return (): string => {
    if (memo !== undefined) return memo
    const hash = createHash("sha256").update(ENGINE_VERSION)
    try {
      const self = fileURLToPath(import.meta.url)
      if (self.endsWith(".ts")) {
        // Running from sources: every source file of the package counts.
        const stack = [dirname(self)]
        while (stack.length > 0) {
          const dir = stack.pop()!
          for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
            const path = join(dir, entry.name)
            if (entry.isDirectory()) stack.push(path)
            else if (entry.isFile()) {
              const s = statSync(path)
              hash.update(`${path}:${s.size}:${s.mtimeMs}\n`)
            }
          }
        }
      } else {
        const s = statSync(self)
        hash.update(`${self}:${s.size}:${s.mtimeMs}`)
      }
    } catch {
      hash.update("unknown")
    }
    memo = hash.digest("hex")
    return memo
  }
})()

const rulesetFingerprint = (
  plugins: ReadonlyArray<Plugin>,
  configFile: string | null,
  maxFileBytes: number,
  queryRules: ReadonlyArray<QueryRuleData> | undefined
): string => {
  const hash = createHash("sha256").update(engineFingerprint()).update(`\0${maxFileBytes}\0`)
  if (queryRules !== undefined) hash.update(JSON.stringify(queryRules))
  for (const p of plugins) {
    const hook = p.scan
    const fn = typeof hook === "function" ? hook : hook?.handler
    hash.update(`${p.name}\0${p.enforce ?? ""}\0${typeof hook === "object" ? (hook.order ?? "") : ""}\0${fn?.toString() ?? ""}\0`)
  }
  if (configFile !== null) {
    try {
      hash.update(readFileSync(configFile))
    } catch {
      hash.update("unreadable")
    }
  }
  return hash.digest("hex")
}

/** Uncached text (UTF-16 code units) at which starting worker threads pays for their start-up. */
const POOL_MIN_CHARS = 512 * 1024
/** Files read between two hand-overs to a started pool. */
const POOL_FEED_FILES = 32

/** One buffer the scan reads every file into: its bytes are hashed and decoded at once, never kept. */
let scratch = Buffer.allocUnsafe(256 * 1024)

/**
 * Reads a file into the shared scratch buffer (grown when needed) and returns a view of its bytes,
 * valid until the next call. Scans read thousands of files: one buffer avoids as many allocations.
 */
const readReused = (path: string, sizeHint: number): Buffer => {
  if (scratch.length <= sizeHint) scratch = Buffer.allocUnsafe(Math.max(sizeHint + 1, scratch.length * 2))
  const fd = openSync(path, "r")
  try {
    let length = 0
    for (;;) {
      if (length === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2)
        scratch.copy(bigger, 0, 0, length)
        scratch = bigger
      }
      const n = readSync(fd, scratch, length, scratch.length - length, null)
      if (n === 0) return scratch.subarray(0, length)
      length += n
    }
  } finally {
    closeSync(fd)
  }
}

interface Pending extends WorkItem {
  readonly size: number
  readonly mtimeMs: number
  readonly hash: string
}

/**
 * Scans the repository at `root` and returns ranked opportunities.
 *
 * Fails with `BadInput` when `root` is not a readable directory or an option is invalid,
 * and with `ConfigInvalid` when the repository's config cannot be loaded.
 *
 * @since 0.1.0
 */
export const scan = (root: string, options: ScanOptions = {}): Effect.Effect<ScanReport, RatchetError> =>
  Effect.suspend(() => {
    // The worker pool, once started; stopped on every exit (success, failure, interruption).
    let pool: Pool | undefined
    const abort = new AbortController()
    return scanWith(root, options, abort, (p) => (pool = p)).pipe(
      Effect.ensuring(
        Effect.sync(() => {
          abort.abort()
          pool?.dispose()
        })
      )
    )
  }).pipe(Effect.withSpan("Scan.scan"))

const scanWith = (
  root: string,
  options: ScanOptions,
  abort: AbortController,
  onPool: (pool: Pool) => void
): Effect.Effect<ScanReport, RatchetError> =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeMillis
    const absRoot = resolve(root)
    const rootStat = yield* Effect.try({
      try: () => statSync(absRoot),
      catch: () => badInput({ what: "the scan root does not exist", where: absRoot, fix: "pass the path of a repository directory" })
    })
    if (!rootStat.isDirectory()) {
      return yield* Effect.fail(badInput({ what: "the scan root is not a directory", where: absRoot, fix: "pass the path of a repository directory" }))
    }
    if (options.concurrency !== undefined && !(Number.isInteger(options.concurrency) && options.concurrency >= 1)) {
      return yield* Effect.fail(badInput({ what: `concurrency must be a whole number ≥ 1 (got ${options.concurrency})`, where: "Scan.scan options", fix: "pass e.g. { concurrency: 2 }" }))
    }
    if (options.maxFileBytes !== undefined && !(Number.isFinite(options.maxFileBytes) && options.maxFileBytes > 0)) {
      return yield* Effect.fail(badInput({ what: `maxFileBytes must be a positive number (got ${options.maxFileBytes})`, where: "Scan.scan options", fix: "pass a size in bytes, e.g. 2097152" }))
    }

    const config: ResolvedConfig | null =
      options.config ?? (options.plugins === undefined ? yield* loadConfig(absRoot) : null)
    const extra = options.plugins ?? config?.plugins ?? []
    const rules = { ...config?.scan?.rules, ...options.rules }
    const off = Object.entries(rules)
      .filter(([, v]) => v === "off")
      .map(([k]) => k)
    const on = Object.entries(rules)
      .filter(([, v]) => v === "on")
      .map(([k]) => k)
    const builtins = options.builtins !== false
    const plugins = activePlugins([...(builtins ? builtinPlugins() : []), ...extra], off, on)
    const hooks = hooksOf(plugins, "scan")
    const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES
    // A config evaluated as data (in the sandbox) is never imported: workers rebuild its declarative rules.
    const queryRules = config?.queryRules
    const configFile = queryRules === undefined ? (config?.file ?? null) : null
    // Workers can rebuild the set when the extra plugins are exactly the config's.
    const transferable =
      extra.length === 0 ||
      ((configFile !== null || queryRules !== undefined) &&
        config !== null &&
        extra.length === config.plugins.length &&
        extra.every((p, i) => p === config.plugins[i]))
    const thirdParty = plugins.some((p) => extra.includes(p))
    const spec: PluginSpec = {
      builtins,
      configFile: thirdParty ? configFile : null,
      ...(thirdParty && queryRules !== undefined ? { queryRules } : {}),
      root: absRoot,
      off,
      on
    }

    const warnings: Array<string> = []
    const include = options.include ?? config?.scan?.include
    const exclude = options.exclude ?? config?.scan?.exclude
    const listed = yield* Effect.try({
      try: () => walk(absRoot, { include, exclude }),
      catch: (cause) => badInput({ what: `invalid include/exclude glob: ${describe(cause)}`, where: "scan.include / scan.exclude", fix: "use picomatch globs such as src/**/*.ts" })
    })
    warnings.push(...listed.warnings)
    const skipped: Array<{ file: string; reason: string }> = listed.skipped.map((s) => ({ file: s.path, reason: s.reason }))

    const cacheDir = options.cache === false ? null : options.cache === undefined ? cacheDirFor(absRoot) : isAbsolute(options.cache) ? options.cache : join(absRoot, options.cache)
    const fingerprint = rulesetFingerprint(plugins, spec.configFile, maxFileBytes, spec.queryRules)
    const previous = cacheDir === null ? new Map<string, CacheEntry>() : loadCache(cacheDir, fingerprint, warnings)
    const next = new Map<string, CacheEntry>()

    // Reuse cached results; read, classify and hash the rest.
    const results = new Map<string, FileResult>()
    const pending: Array<Pending> = []
    let bytes = 0
    let cached = 0
    // The worker pool starts as soon as enough uncached text is read, so workers boot while this thread
    // reads on. Built-in hooks: the main thread scans too, so `concurrency - 1` workers. Hooks from a
    // config file are third-party code: always on workers, where a watchdog can stop a hung one.
    const concurrency = options.concurrency ?? availableParallelism()
    const guarded = transferable && (spec.configFile !== null || spec.queryRules !== undefined)
    const poolWorkers = guarded ? concurrency : concurrency - 1
    const poolThreshold = guarded ? 0 : POOL_MIN_CHARS
    let pendingChars = 0
    let added = 0
    let pool: Pool | undefined
    const feedPool = (): void => {
      if (!transferable || poolWorkers < 1 || pendingChars < poolThreshold || pending.length === 0) return
      if (pool === undefined) {
        pool = startPool({
          workers: poolWorkers,
          spec,
          expectedPlugins: plugins.map((p) => p.name),
          fileTimeoutMs: options.fileTimeoutMs ?? 30_000,
          inThread: guarded ? undefined : (item: WorkItem) => scanText(item.path, item.text, hooks, absRoot),
          signal: abort.signal
        })
        onPool(pool)
      }
      pool.add(pending.slice(added))
      added = pending.length
    }
    for (const file of listed.files) {
      let size: number
      let mtimeMs: number
      try {
        const s = statSync(file.absolute)
        size = s.size
        mtimeMs = s.mtimeMs
      } catch (cause) {
        warnings.push(`cannot read ${file.path}: ${(cause as NodeJS.ErrnoException).code ?? describe(cause)}`)
        continue
      }
      const old = previous.get(file.path)
      if (old !== undefined && old.size === size && old.mtimeMs === mtimeMs) {
        next.set(file.path, old)
        if (old.skip !== undefined) skipped.push({ file: file.path, reason: old.skip })
        else if (old.result !== undefined) {
          results.set(file.path, old.result)
          bytes += size
          cached++
        }
        continue
      }
      if (size > maxFileBytes) {
        const reason = `too large (${size} bytes > ${maxFileBytes}; raise maxFileBytes to include it)`
        skipped.push({ file: file.path, reason })
        warnings.push(`skipped ${file.path}: ${reason}`)
        continue
      }
      let buffer: Buffer
      try {
        buffer = readReused(file.absolute, size)
      } catch (cause) {
        warnings.push(`cannot read ${file.path}: ${(cause as NodeJS.ErrnoException).code ?? describe(cause)}`)
        continue
      }
      const hash = hashOf("sha1", buffer, "hex")
      if (old !== undefined && old.hash === hash) {
        const entry = { ...old, size, mtimeMs }
        next.set(file.path, entry)
        if (old.skip !== undefined) skipped.push({ file: file.path, reason: old.skip })
        else if (old.result !== undefined) {
          results.set(file.path, old.result)
          bytes += size
          cached++
        }
        continue
      }
      const byteSkip = skipReasonForBytes(buffer, maxFileBytes)
      const text = byteSkip === null ? buffer.toString("utf8") : ""
      const skip = byteSkip ?? skipReasonForText(text)
      if (skip !== null) {
        skipped.push({ file: file.path, reason: skip })
        if (byteSkip !== null) warnings.push(`skipped ${file.path}: ${skip}`)
        next.set(file.path, { size, mtimeMs, hash, skip })
        continue
      }
      pending.push({ path: file.path, text, size, mtimeMs, hash })
      pendingChars += text.length
      if (pool !== undefined ? pending.length - added >= POOL_FEED_FILES : pendingChars >= poolThreshold) feedPool()
    }
    feedPool()

    // Scan what the cache could not answer: on the pool when it started, else here.
    let usedWorkers = 0
    let inThread: ReadonlyArray<WorkItem> = pending
    if (pool !== undefined) {
      const running = pool
      const outcome = yield* Effect.tryPromise({
        try: () => running.close(),
        catch: (cause) => internal(`scanner worker pool failed: ${describe(cause)}`)
      })
      for (const [path, result] of outcome.results) results.set(path, result)
      warnings.push(...outcome.warnings)
      inThread = outcome.leftover
      if (outcome.results.size > 0) usedWorkers = poolWorkers
    }
    for (const item of inThread) results.set(item.path, scanText(item.path, item.text, hooks, absRoot))
    let parsed = 0
    for (const item of pending) {
      const result = results.get(item.path)
      if (result === undefined) continue
      bytes += item.size
      if (result.parsed) parsed++
      if (!result.incomplete) next.set(item.path, { size: item.size, mtimeMs: item.mtimeMs, hash: item.hash, result })
    }
    if (cacheDir !== null) saveCache(cacheDir, fingerprint, next, warnings, previous)

    // A CPU profile, when given, says which functions are hot.
    let hot = new Map<string, Set<number>>()
    if (options.profile !== undefined) {
      const profilePath = isAbsolute(options.profile) ? options.profile : join(absRoot, options.profile)
      const fix = "pass a .cpuprofile written by node --cpu-prof"
      const read = yield* Effect.try({
        try: (): unknown => JSON.parse(readFileSync(profilePath, "utf8")),
        catch: (cause) => badInput({ what: `cannot read the CPU profile: ${describe(cause)}`, where: profilePath, fix })
      })
      const decoded = yield* Schema.decodeUnknownEffect(CpuProfile)(read).pipe(
        Effect.mapError(() => badInput({ what: "the CPU profile is not a V8 .cpuprofile (no nodes with ids and call frames)", where: profilePath, fix }))
      )
      hot = hotFunctions(decoded, absRoot)
      if (hot.size === 0) warnings.push(`the CPU profile ${options.profile} has no samples in files under the repository`)
    }

    // Assemble, filter switched-off rules, drop duplicates, rank.
    const isOff = offMatcher(off, on)
    const ranked: Array<{ o: Opportunity; s: number }> = []
    const seenIds = new Set<string>()
    for (const [path, result] of [...results].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      warnings.push(...result.warnings)
      const kept = result.opportunities.filter((o) => !isOff(o.rule) && !isOff(o.plugin))
      const seen = new Set<string>()
      for (const raw of kept) {
        const key = `${raw.rule}\0${raw.startByte}\0${raw.endByte}`
        if (seen.has(key)) continue
        seen.add(key)
        // A text heuristic defers to an AST rule on the same code.
        if (raw.rule === "text:await-in-loop" && kept.some((k) => k !== raw && !k.rule.startsWith("text:") && /await|promise/i.test(k.rule) && k.startByte < raw.endByte && raw.startByte < k.endByte))
          continue
        if (raw.rule === "text:spread-in-reduce" && kept.some((k) => k.rule === "reduce-spread" && k.startByte < raw.endByte + 400 && raw.startByte < k.endByte))
          continue
        const profiled = raw.fnLine !== undefined && hot.get(path)?.has(raw.fnLine) === true
        ranked.push({ o: toOpportunity(raw, path, seenIds), s: score({ ...raw, profiled, startup: isStartupPath(path) }) })
      }
    }
    ranked.sort((a, b) => b.s - a.s || (a.o.file < b.o.file ? -1 : a.o.file > b.o.file ? 1 : 0) || a.o.startLine - b.o.startLine || (a.o.rule < b.o.rule ? -1 : a.o.rule > b.o.rule ? 1 : 0))
    const finished = yield* Clock.currentTimeMillis
    return {
      opportunities: ranked.map((r) => r.o),
      stats: {
        files: results.size,
        bytes,
        durationMs: Math.max(0, finished - started),
        cached,
        parsed,
        skippedFiles: skipped.length,
        workers: usedWorkers
      },
      skipped,
      warnings
    } satisfies ScanReport
  })

const toOpportunity = (raw: RawOpportunity, file: string, seenIds: Set<string>): Opportunity => {
  // Ids are computed per file (see `scanText`); only a plugin-chosen id can repeat.
  let id = raw.id
  for (let n = 2; seenIds.has(id); n++) id = `${raw.id}-${n}`
  seenIds.add(id)
  return {
    id,
    rule: raw.rule,
    kind: raw.kind,
    file,
    startLine: raw.startLine,
    endLine: raw.endLine,
    startByte: raw.startByte,
    endByte: raw.endByte,
    rationale: raw.rationale,
    ...(raw.benefit !== undefined ? { benefit: raw.benefit } : {}),
    risk: raw.risk,
    confidence: raw.confidence
  }
}

const truncate = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`)

/**
 * Renders a scan result for people: a summary line, then one row per opportunity in rank order.
 *
 * @since 0.1.0
 */
export const format = (result: ScanResult | ScanReport): string => {
  const { files, bytes, durationMs } = result.stats
  const report = result as Partial<ScanReport>
  const extra: Array<string> = []
  if (report.stats?.cached !== undefined && report.stats.cached > 0) extra.push(`${report.stats.cached} from cache`)
  if (report.skipped !== undefined && report.skipped.length > 0) extra.push(`${report.skipped.length} skipped`)
  const head = `Scanned ${files} file${files === 1 ? "" : "s"} (${(bytes / 1e6).toFixed(2)} MB${extra.length > 0 ? `, ${extra.join(", ")}` : ""}) in ${Math.round(durationMs)} ms — ${result.opportunities.length} opportunit${result.opportunities.length === 1 ? "y" : "ies"}`
  const lines = [head]
  if (result.opportunities.length > 0) {
    const rows = result.opportunities.map((o, i) => [
      String(i + 1),
      o.rule,
      o.kind,
      `${o.file}:${o.startLine}${o.endLine !== o.startLine ? `-${o.endLine}` : ""}`,
      o.risk,
      `${Math.round(o.confidence * 100)}%`,
      truncate(o.rationale, 90)
    ])
    const header = ["#", "rule", "kind", "location", "risk", "conf", "why"]
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)))
    const render = (cells: ReadonlyArray<string>): string => cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ")
    lines.push("", render(header), render(widths.map((w) => "-".repeat(w))), ...rows.map(render))
  }
  if (report.warnings !== undefined && report.warnings.length > 0) {
    lines.push("", `${report.warnings.length} warning${report.warnings.length === 1 ? "" : "s"}:`, ...report.warnings.slice(0, 20).map((w) => `  - ${w}`))
    if (report.warnings.length > 20) lines.push(`  … and ${report.warnings.length - 20} more`)
  }
  return lines.join("\n")
}
