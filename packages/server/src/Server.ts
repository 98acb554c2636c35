/**
 * The reference server: database, store, durable run engine, scheduler and
 * the HTTP API, composed and served on a port.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Server } from "@ratchet/server"
 *
 * Effect.runFork(Server.serve({ port: 7420, dataDir: ".ratchet" }))
 * ```
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import { serve as honoServe } from "@hono/node-server"
import type { WriteGate } from "@ratchet/connectors"
import { Pipeline } from "@ratchet/core"
import { Context, Duration, Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import * as Net from "node:net"
import type { Sandbox } from "@ratchet/core"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { join, resolve } from "node:path"
import * as Api from "./Api.js"
import * as Dashboard from "./Dashboard.js"
import * as Database from "./Database.js"
import * as DataLock from "./internal/dataLock.js"
import { writeGateLayer } from "./internal/publish.js"
import type { LogSink } from "./middleware/logger.js"
import { silentSink, stdoutSink } from "./middleware/logger.js"
import { engineLayer, engineLayerCluster, Runs, workflowLayer } from "./Runs.js"
import * as Scheduler from "./Scheduler.js"
import { internal, invalid, type ServerError } from "./ServerError.js"
import { storedKeys } from "./internal/github/runs.js"
import * as GitHubWork from "./internal/github/work.js"
import { storedLedger } from "./internal/llmSpend.js"
import * as Secrets from "./Secrets.js"
import { Store } from "./Store.js"

/**
 * Options of {@link serve} and {@link layer}.
 *
 * @since 0.1.0
 */
export interface ServeOptions {
  readonly port: number
  /** Data directory; the embedded database lives in `<dataDir>/db` (`memory://` keeps it in memory). */
  readonly dataDir: string
  /** Interface to bind (default 127.0.0.1). */
  readonly host?: string
  /** PostgreSQL URL; defaults to `DATABASE_URL`. Without one the embedded PGlite is used. */
  readonly databaseUrl?: string | undefined
  /** Core's stage implementations; defaults to `RATCHET_STAGES` (`fake`) or the real ones, working under `dataDir` (see {@link stagesFromEnv}). */
  readonly stages?: Layer.Layer<Pipeline.Stages, never, Store>
  /** Bootstrap token; defaults to `RATCHET_TOKEN`, else one is generated on first start and printed once. */
  readonly token?: string | undefined
  /**
   * Directories under which repositories may be connected by local `path`; defaults to
   * `RATCHET_REPO_ROOTS` (separated by the platform's path delimiter), else none (URLs only).
   */
  readonly repoRoots?: ReadonlyArray<string> | undefined
  /** Run the nightly scheduler (default true). */
  readonly scheduler?: boolean
  /** Options of the HTTP layer (CORS, rate limit, body size); CORS defaults to `RATCHET_CORS_ORIGINS` (comma-separated). */
  readonly api?: Api.ApiOptions
  /** Options of the dashboard under `/dashboard` (it shares the API's repository, publishing and log options). */
  readonly dashboard?: Dashboard.DashboardOptions
  /** Called once listening, with the bound port. */
  readonly onListen?: (info: { readonly port: number; readonly host: string }) => void
  /**
   * Join a multi-runner cluster on the shared PostgreSQL (needs `databaseUrl`/`DATABASE_URL`):
   * this runner listens on `host:port` for the other runners. Defaults to
   * `RATCHET_RUNNER_PORT` (and `RATCHET_RUNNER_HOST`, default 127.0.0.1) when set.
   */
  readonly cluster?: { readonly host: string; readonly port: number } | undefined
  /**
   * The keys that seal secrets at rest; defaults to `RATCHET_SECRET_KEY` and
   * `RATCHET_SECRET_KEY_PREVIOUS`. See {@link Secrets}.
   *
   * @since 0.2.0
   */
  readonly secretKeyring?: Secrets.Keyring
  /**
   * The GitHub work in the background (webhook deliveries, prompted tasks, CI of opened pull
   * requests); `false` turns it off. Defaults from `RATCHET_PUBLIC_URL` (links in replies) and
   * `RATCHET_CI_POLL_SECONDS` (default 60).
   *
   * @since 0.2.0
   */
  readonly github?: GitHubWork.WorkOptions | false
  /**
   * Where repository commands run. {@link serve} chooses from `RATCHET_SANDBOX` (bwrap when
   * available by default; see `SandboxBackend`) and prints which backend is in force and why;
   * {@link layer} without one uses bubblewrap when available, else the local sandbox.
   */
  readonly sandbox?: Layer.Layer<Sandbox.Sandbox>
  /**
   * Take the data directory's lock (`<dataDir>/server.pid`) before opening the database (default
   * true): a second server on the same directory fails with `Invalid` naming it and the running pid.
   */
  readonly lockDataDir?: boolean
}

/**
 * Core's stages as `RATCHET_STAGES` picks them: `fake` gives `Pipeline.Stages.layerTest` (with
 * `RATCHET_FAKE_STAGE_MS`, `RATCHET_FAKE_FAIL_STAGE`); otherwise the real stages on the local
 * adapters, with everything Ratchet writes (mirrors, dependency cache, artifacts) under
 * `stateDir` (`memory://`: a temporary directory, removed on release). The real adapters are
 * loaded only then, so a server on fake stages never loads them.
 *
 * @since 0.2.0
 */
export const stagesFromEnv = (
  env: Record<string, string | undefined> = process.env,
  options: { readonly stateDir: string; readonly sandbox?: Layer.Layer<Sandbox.Sandbox> } = { stateDir: resolve(env.RATCHET_HOME ?? ".ratchet") }
): Layer.Layer<Pipeline.Stages, never, Store> =>
  env.RATCHET_STAGES === "fake"
    ? Pipeline.Stages.layerTest({ delay: Duration.millis(Number(env.RATCHET_FAKE_STAGE_MS ?? 20)), failAt: env.RATCHET_FAKE_FAIL_STAGE })
    : Layer.unwrap(
      Effect.gen(function* () {
        let stateDir = options.stateDir
        if (stateDir === "memory://") {
          const dir = mkdtempSync(join(tmpdir(), "ratchet-server-"))
          yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
          stateDir = dir
        }
        const real = yield* Effect.promise(() => import("./internal/pipeline.js"))
        const store = yield* Store
        // repository commands and repository configs run in the sandbox (default: bubblewrap when available,
        // the data directory hidden); a run's agent (the repository's model) may use the organisation's stored provider keys
        return real.stagesLayer({
          stateDir: resolve(stateDir),
          configIn: "sandbox",
          keys: storedKeys(store),
          // the daily LLM budgets are checked against the repository's metered calls in the database
          ledger: storedLedger(store),
          ...(options.sandbox ? { sandbox: options.sandbox } : {})
        })
      })
    )

/** A listen error as bad input where the flags are to blame (busy port, unknown host). */
const listenError = (e: NodeJS.ErrnoException, host: string, port: number): ServerError => {
  switch (e.code) {
    case "EADDRINUSE":
      return invalid("port", `port ${port} on ${host} is already in use (another ratchet server or program listens there); pass another --port, or --port 0 to pick a free one`)
    case "EACCES":
      return invalid("port", `not allowed to listen on port ${port} (ports below 1024 need privileges); pass a port of 1024 or more`)
    case "EADDRNOTAVAIL":
      return invalid("host", `${host} is not an address of this machine; pass one of its addresses, 127.0.0.1 or 0.0.0.0`)
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
      return invalid("host", `cannot resolve host ${JSON.stringify(host)}; pass an IP address such as 127.0.0.1 or 0.0.0.0`)
    default:
      return internal(`cannot listen on ${host}:${port}: ${e.message}`)
  }
}

/** Checks that `host:port` can be listened on, before anything else starts. */
const probeListen = (host: string, port: number): Effect.Effect<void, ServerError> =>
  Effect.callback<void, ServerError>((resume) => {
    const probe = Net.createServer()
    probe.once("error", (e) => resume(Effect.fail(listenError(e, host, port))))
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resume(Effect.void)))
  })

/**
 * The repository roots in `RATCHET_REPO_ROOTS` (absolute paths separated by `:`, `;` on Windows).
 *
 * @since 0.1.0
 */
export const repoRootsFromEnv = (env: Record<string, string | undefined> = process.env): ReadonlyArray<string> =>
  (env.RATCHET_REPO_ROOTS ?? "").split(Path.delimiter).map((s) => s.trim()).filter((s) => s.length > 0).map((s) => Path.resolve(s))

const clusterFromEnv = (): { readonly host: string; readonly port: number } | undefined => {
  const port = Number(process.env.RATCHET_RUNNER_PORT)
  return Number.isInteger(port) && port > 0 ? { host: process.env.RATCHET_RUNNER_HOST || "127.0.0.1", port } : undefined
}

/**
 * Everything but HTTP: the database, `Store`, the workflow engine with the
 * run workflow registered, `Runs`, and (optionally) the scheduler.
 *
 * @since 0.1.0
 */
export const layer = (options: Omit<ServeOptions, "port">): Layer.Layer<Store | Runs | Dashboard.DashboardStore | WriteGate.WriteGate, ServerError> => {
  const url = options.databaseUrl ?? (process.env.DATABASE_URL || undefined)
  const db = Database.layer(url ? { url } : { dataDir: options.dataDir === "memory://" ? "memory://" : `${options.dataDir}/db` })
  const cluster = options.cluster ?? clusterFromEnv()
  if (cluster !== undefined && !url) {
    return Layer.effectDiscard(
      Effect.fail(invalid("cluster", "a multi-runner cluster needs a shared PostgreSQL: set DATABASE_URL (PGlite is single-process)"))
    ) as unknown as Layer.Layer<Store | Runs | Dashboard.DashboardStore | WriteGate.WriteGate, ServerError>
  }
  const engine = cluster === undefined ? engineLayer : engineLayerCluster(cluster)
  // One writer per data directory: the lock is taken before the database is opened.
  const locked = options.dataDir.startsWith("memory://") || options.lockDataDir === false ? db : db.pipe(Layer.provide(Layer.effectDiscard(DataLock.acquire(options.dataDir))))
  const keyring = options.secretKeyring ?? Secrets.keyringFromEnv(process.env)
  const stored = Layer.mergeAll(Store.layer.pipe(Layer.provide(Layer.succeed(Secrets.SecretKeyring, keyring))), Dashboard.DashboardStore.layer, engine).pipe(Layer.provideMerge(locked))
  // the server's one WriteGate: one permit per repository (and, on a shared PostgreSQL, its database
  // lock, so several server processes serialise a repository's writes), every audit entry persisted (the proof ledger)
  const base = writeGateLayer({ databaseLock: url !== undefined }).pipe(Layer.provideMerge(stored))
  const runs = Runs.layer.pipe(
    Layer.provideMerge(workflowLayer),
    Layer.provide(options.stages ?? stagesFromEnv(process.env, { stateDir: options.dataDir, ...(options.sandbox ? { sandbox: options.sandbox } : {}) })),
    Layer.provideMerge(base)
  )
  const scheduler = options.scheduler === false ? Layer.empty : Scheduler.layer
  // tasks are planned with the repository's config evaluated in the same sandbox as its runs, the data directory out of sight
  const github = options.github === false
    ? Layer.empty
    : GitHubWork.layer({
        ...(options.github ?? githubFromEnv(process.env)),
        ...(options.sandbox ? { sandbox: options.sandbox } : {}),
        hidden: options.dataDir.startsWith("memory://") ? [] : [options.dataDir]
      })
  return Layer.merge(scheduler, github).pipe(Layer.provideMerge(runs))
}

const githubFromEnv = (env: Readonly<Record<string, string | undefined>>): GitHubWork.WorkOptions => {
  const ciPollMs = Number(env.RATCHET_CI_POLL_SECONDS) * 1000
  return {
    ...(env.RATCHET_PUBLIC_URL ? { publicUrl: env.RATCHET_PUBLIC_URL } : {}),
    ...(Number.isFinite(ciPollMs) && ciPollMs > 0 ? { ciPollMs } : {})
  }
}

/**
 * The start-up check of secrets at rest: refuses (Invalid, so `ratchet serve` exits 2) a malformed
 * key, and encrypted secrets whose key is not configured; re-encrypts secrets sealed by a previous
 * key under the current one. Returns how many were re-encrypted.
 *
 * @since 0.2.0
 */
export const checkSecrets = (store: Store["Service"], keyring: Secrets.Keyring): Effect.Effect<number, ServerError> =>
  Effect.gen(function* () {
    if (keyring.problem !== null) return yield* Effect.fail(invalid("RATCHET_SECRET_KEY", keyring.problem))
    const inventory = yield* store.secretInventory
    const total = inventory.reduce((n, k) => n + k.count, 0)
    if (total === 0) return 0
    const known = new Set([keyring.current?.id, ...keyring.previous.map((k) => k.id)].filter((id): id is string => id !== undefined))
    const unknown = inventory.filter((k) => !known.has(k.keyId))
    if (keyring.current === null) {
      return yield* Effect.fail(
        invalid(
          "RATCHET_SECRET_KEY",
          `${total} encrypted secret${total === 1 ? "" : "s"} (connector credentials, provider keys) exist but RATCHET_SECRET_KEY is not set: start the server with the key they were sealed with (key id ${inventory.map((k) => k.keyId).join(", ")}); refusing to start`
        )
      )
    }
    if (unknown.length > 0) {
      return yield* Effect.fail(
        invalid(
          "RATCHET_SECRET_KEY",
          `${unknown.reduce((n, k) => n + k.count, 0)} encrypted secret(s) are sealed with key ${unknown.map((k) => k.keyId).join(", ")}, which is neither RATCHET_SECRET_KEY (${keyring.current.id}) nor in RATCHET_SECRET_KEY_PREVIOUS: set the old key in RATCHET_SECRET_KEY_PREVIOUS to rotate; refusing to start`
        )
      )
    }
    return inventory.some((k) => k.keyId !== keyring.current?.id) ? yield* store.rotateSecrets : 0
  })

const log = (sink: LogSink, msg: string, fields: Record<string, unknown> = {}) =>
  Effect.sync(() => sink({ level: "info", msg, time: new Date().toISOString(), ...fields }))

/**
 * The data directory holds the database, the token hashes and the artifacts: it is created `0700`,
 * and an existing one that other users can enter is tightened to `0700` (and the change logged).
 */
const ensurePrivateDataDir = (dataDir: string, sink: LogSink): Effect.Effect<void, ServerError> =>
  Effect.gen(function* () {
    const result = yield* Effect.try({
      try: () => {
        Fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 })
        const st = Fs.statSync(dataDir)
        if (!st.isDirectory()) throw new Error("not a directory")
        const mode = st.mode & 0o777
        if ((mode & 0o077) === 0) return null
        if (st.uid !== process.getuid?.()) return { mode, tightened: false }
        Fs.chmodSync(dataDir, 0o700)
        return { mode, tightened: true }
      },
      catch: (e) => invalid("data", `cannot create the data directory ${dataDir}: ${e instanceof Error ? e.message : String(e)}`)
    })
    if (result === null) return
    yield* log(sink, result.tightened ? "data directory tightened" : "data directory is not private", {
      dataDir,
      mode: `0${result.mode.toString(8)}`,
      ...(result.tightened ? { now: "0700" } : { fix: `chmod 700 ${dataDir} (it belongs to another user)` })
    })
  })

/**
 * Starts the server and runs until interrupted. On start it ensures the
 * bootstrap token (printing a generated one once, on stderr) and resumes
 * unfinished runs.
 *
 * @since 0.1.0
 */
export const serve = (options: ServeOptions): Effect.Effect<never, ServerError> =>
  Effect.gen(function* () {
    const sink = options.api?.log ?? stdoutSink
    const host = options.host ?? "127.0.0.1"
    if (!options.dataDir.startsWith("memory://")) yield* ensurePrivateDataDir(options.dataDir, sink)
    // The data directory's lock first (a second server names the first one), then the port, then the database.
    if (!options.dataDir.startsWith("memory://") && options.lockDataDir !== false) yield* DataLock.acquire(options.dataDir)
    yield* probeListen(host, options.port)
    let sandbox = options.sandbox
    if (sandbox === undefined && options.stages === undefined && process.env.RATCHET_STAGES !== "fake") {
      // loaded here, like the pipeline: the fake stages and the API alone do not need the runner
      const { SandboxBackend } = yield* Effect.promise(() => import("@ratchet/runner"))
      const selectOptions = yield* SandboxBackend.optionsFromEnv(process.env).pipe(Effect.mapError((e) => invalid("sandbox", e.message)))
      const selected = yield* SandboxBackend.select({ ...selectOptions, hidden: [options.dataDir] }).pipe(Effect.mapError((e) => invalid("sandbox", e.message)))
      sandbox = selected.layer
      yield* Effect.sync(() => process.stderr.write(`ratchet server: ${SandboxBackend.describe(selected)}\n`))
      yield* log(sink, "sandbox", { backend: selected.kind, why: selected.why, guarantees: selected.guarantees })
    }
    const context = yield* Layer.build(layer({ ...options, lockDataDir: false, ...(sandbox ? { sandbox } : {}) }))
    const runtime: Api.AppRuntime & Dashboard.DashboardRuntime = Api.runtimeOf(context)
    const store = Context.get(context, Store)
    const { generated } = yield* store.bootstrap(options.token ?? (process.env.RATCHET_TOKEN || undefined))
    if (generated !== null) {
      yield* Effect.sync(() =>
        process.stderr.write(`\nRatchet bootstrap API token (shown once, stored hashed):\n\n  ${generated}\n\nUse it as: Authorization: Bearer <token>\n\n`)
      )
    }
    const rotated = yield* checkSecrets(store, options.secretKeyring ?? Secrets.keyringFromEnv(process.env))
    if (rotated > 0) yield* log(sink, "secrets re-encrypted under the current key", { count: rotated })
    const resumed = yield* Context.get(context, Runs).recover
    const env = process.env
    const corsEnv = env.RATCHET_CORS_ORIGINS
    const runsPerMinute = Number(env.RATCHET_RUNS_PER_MINUTE)
    const apiOptions: Api.ApiOptions = {
      ...(corsEnv ? { corsOrigins: corsEnv.split(",").map((s) => s.trim()).filter(Boolean) } : {}),
      ...(Number.isInteger(runsPerMinute) && runsPerMinute > 0 ? { runsPerMinute } : {}),
      ...(env.RATCHET_LOG === "off" ? { log: silentSink } : {}),
      allowPrivateUrls: env.RATCHET_ALLOW_PRIVATE_URLS === "1",
      repoRoots: options.repoRoots ?? repoRootsFromEnv(env),
      publish: {
        patchesDir: join(options.dataDir.startsWith("memory://") ? tmpdir() : options.dataDir, "patches"),
        githubToken: env.GITHUB_TOKEN || undefined,
        sandbox
      },
      ...options.api
    }
    const app = Api.make(runtime, apiOptions)
    const sessionHours = Number(env.RATCHET_SESSION_HOURS)
    const dashboard = Dashboard.make(runtime, {
      ...(apiOptions.allowPrivateUrls === undefined ? {} : { allowPrivateUrls: apiOptions.allowPrivateUrls }),
      ...(apiOptions.repoRoots === undefined ? {} : { repoRoots: apiOptions.repoRoots }),
      ...(apiOptions.resolve === undefined ? {} : { resolve: apiOptions.resolve }),
      ...(apiOptions.publish === undefined ? {} : { publish: apiOptions.publish }),
      ...(apiOptions.runsPerMinute === undefined ? {} : { runsPerMinute: apiOptions.runsPerMinute }),
      ...(apiOptions.ssePollMs === undefined ? {} : { ssePollMs: apiOptions.ssePollMs }),
      ...(apiOptions.log === undefined ? {} : { log: apiOptions.log }),
      ...(Number.isFinite(sessionHours) && sessionHours > 0 ? { sessionTtlMs: sessionHours * 3600_000 } : {}),
      ...options.dashboard
    })
    const fetch = Dashboard.withDashboard(app.fetch, dashboard)
    const server = yield* Effect.acquireRelease(
      Effect.callback<ReturnType<typeof honoServe>, ServerError>((resume) => {
        const s = honoServe({ fetch, port: options.port, hostname: host }, () => resume(Effect.succeed(s)))
        s.once("error", (e) => resume(Effect.fail(listenError(e, host, options.port))))
      }),
      (s) => Effect.callback<void>((resume) => {
        s.close(() => resume(Effect.void))
        ;(s as any).closeAllConnections?.()
      })
    )
    const port = (server.address() as AddressInfo).port
    yield* log(sink, "listening", { host, port, resumedRuns: resumed, database: options.databaseUrl ?? process.env.DATABASE_URL ? "postgresql" : "pglite" })
    options.onListen?.({ port, host })
    return yield* Effect.never
  }).pipe(Effect.scoped)
