/**
 * What every store module shares: the SQL client, error mapping, row readers and the run-view
 * cache generation that writes bump.
 *
 * @internal
 */
import { Clock, Effect } from "effect"
import type { SqlClient } from "effect/sql/SqlClient"
import * as Crypto from "node:crypto"
import { ServerError, storeFailure } from "../../ServerError.js"

/** A database row as the driver returns it; read it through the helpers below. */
export type Row = Readonly<Record<string, unknown>>

/** What a store module is built from. */
export interface StoreContext {
  readonly sql: SqlClient
  /** Maps a database failure to `StoreFailure` naming the operation; a `ServerError` passes through. */
  readonly q: <A, E>(operation: string, effect: Effect.Effect<A, E>) => Effect.Effect<A, ServerError>
  /** Runs a write, then invalidates every cached run view of this process. */
  readonly invalidating: <A, E>(write: Effect.Effect<A, E>) => Effect.Effect<A, E>
  /** Bumped by every invalidating write. */
  readonly generation: () => number
}

/** Builds the shared context on a client. */
export const makeContext = (sql: SqlClient): StoreContext => {
  let generation = 0
  return {
    sql,
    q: (operation, effect) => Effect.mapError(effect, (err) => (err instanceof ServerError ? err : storeFailure(operation, err))),
    invalidating: (write) =>
      Effect.ensuring(write, Effect.sync(() => {
        generation++
      })),
    generation: () => generation
  }
}

/** sha256 hex of a string or bytes. */
export const sha256 = (data: string | Uint8Array): string => Crypto.hash("sha256", data, "hex")

/** A fresh random id with a readable prefix. */
export const newId = (prefix: string): string => `${prefix}_${Crypto.randomBytes(12).toString("base64url")}`

/** A fresh API token (shown once, stored hashed). */
export const newToken = (): string => `rat_${Crypto.randomBytes(24).toString("base64url")}`

/** The current time, from `Clock`. */
export const now: Effect.Effect<Date> = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

/** A timestamp column as ISO-8601. */
export const iso = (v: unknown): string => {
  if (v instanceof Date) return v.toISOString()
  const d = new Date(String(v))
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString()
}

/** A nullable timestamp column as ISO-8601 or `null`. */
export const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v))

/** A JSON(B) column: drivers hand it back parsed or as text. */
export const json = (v: unknown): unknown => (typeof v === "string" ? JSON.parse(v) : v)

/** A text column. */
export const str = (r: Row, column: string): string => String(r[column])

/** A nullable text column. */
export const strOrNull = (r: Row, column: string): string | null => {
  const v = r[column]
  return v === null || v === undefined ? null : String(v)
}

/** A numeric column (BIGINT comes back as text from some drivers). */
export const num = (r: Row, column: string): number => Number(r[column])

/** A boolean column. */
export const bool = (r: Row, column: string): boolean => Boolean(r[column])

/** The first row, or `undefined`. */
export const first = (rows: ReadonlyArray<Row>): Row | undefined => rows[0]

/** A text column holding one of `values` (anything else reads as `fallback`). */
export const literal = <A extends string>(r: Row, column: string, values: ReadonlyArray<A>, fallback: A): A => {
  const v = r[column]
  return values.find((x) => x === v) ?? fallback
}
