/**
 * The SQL database behind the server: embedded PGlite (served on a loopback
 * socket so the same `@effect/sql-pg` client talks to it) unless a
 * PostgreSQL URL is given. Runs the migrations on start.
 *
 * @since 0.1.0
 */
import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import type { SqlClient } from "effect/sql/SqlClient"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { runMigrations } from "./internal/migrations.js"
import { type ServerError, storeFailure } from "./ServerError.js"

/**
 * Where the data lives: `url` (a `postgres://` URL) wins; otherwise PGlite
 * under `dataDir` (`memory://` for a throwaway in-memory database).
 *
 * @since 0.1.0
 */
export interface DatabaseOptions {
  readonly url?: string | undefined
  readonly dataDir?: string | undefined
  /** Pool size for PostgreSQL; PGlite always uses one connection. */
  readonly maxConnections?: number | undefined
}

const pgliteClient = (dataDir: string) =>
  Effect.gen(function* () {
    if (dataDir !== "memory://") {
      yield* Effect.try({
        try: () => Fs.mkdirSync(dataDir, { recursive: true }),
        catch: (e) => storeFailure(`creating the data directory ${dataDir}`, e)
      })
    }
    const db = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => PGlite.create(dataDir === "memory://" ? undefined : Path.resolve(dataDir)),
        catch: (e) => storeFailure(`opening the embedded database at ${dataDir}`, e)
      }),
      (db) => Effect.promise(() => db.close()).pipe(Effect.ignore)
    )
    const server = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0 })
          await server.start()
          return server
        },
        catch: (e) => storeFailure("starting the embedded database socket", e)
      }),
      (server) => Effect.promise(() => server.stop()).pipe(Effect.ignore)
    )
    const conn = server.getServerConn()
    const port = Number(conn.slice(conn.lastIndexOf(":") + 1))
    return yield* PgClient.make({
      host: "127.0.0.1",
      port,
      database: "postgres",
      username: "postgres",
      maxConnections: 1
    }).pipe(Effect.mapError((e) => storeFailure("connecting to the embedded database", e)))
  })

/**
 * The SQL client layer without running the migrations (for tools and tests that migrate
 * themselves, e.g. to make a database as an older server left it); the server uses {@link layer}.
 *
 * @since 0.2.0
 */
export const clientLayer = (options: DatabaseOptions): Layer.Layer<PgClient.PgClient | SqlClient, ServerError> =>
  PgClient.layerFrom(
    options.url
      ? PgClient.make({ url: Redacted.make(options.url), maxConnections: options.maxConnections ?? 10 }).pipe(
        Effect.mapError((e) => storeFailure("connecting to DATABASE_URL", e))
      )
      : pgliteClient(options.dataDir ?? "memory://")
  )

/**
 * The SQL client layer, migrated and ready.
 *
 * @since 0.1.0
 */
export const layer = (options: DatabaseOptions): Layer.Layer<PgClient.PgClient | SqlClient, ServerError> =>
  Layer.effectDiscard(runMigrations).pipe(Layer.provideMerge(clientLayer(options)))

/**
 * Resolves options from the environment: `DATABASE_URL`, else PGlite under `<dataDir>/db`.
 *
 * @since 0.1.0
 */
export const optionsFromEnv = (dataDir: string): DatabaseOptions => {
  const url = process.env.DATABASE_URL
  return url && url.length > 0 ? { url } : { dataDir: Path.join(dataDir, "db") }
}
