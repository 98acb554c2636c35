/**
 * Organisations and their API tokens (stored as sha256 hashes, never in plain text).
 *
 * @internal
 */
import { Effect } from "effect"
import type { ServerError } from "../../ServerError.js"
import { newId, newToken, now, type Row, sha256, type StoreContext, str } from "./sql.js"

/** The caller behind a bearer token. */
export interface Principal {
  readonly orgId: string
  readonly tokenId: string
  readonly tokenName: string
}

/** The token part of the store. */
export interface TokenStore {
  /** Ensures the default organisation and a bootstrap token exist. Returns the plain token only when one was generated now. */
  readonly bootstrap: (token: string | undefined) => Effect.Effect<{ readonly orgId: string; readonly generated: string | null }, ServerError>
  /** Creates an API token for an organisation; returns the plain token (stored hashed). */
  readonly createToken: (orgId: string, name: string) => Effect.Effect<string, ServerError>
  /** The principal behind a plain token, or `null` for an unknown one. */
  readonly authenticate: (token: string) => Effect.Effect<Principal | null, ServerError>
}

/** The token store on a context. */
export const make = ({ sql, q }: StoreContext): TokenStore => ({
  bootstrap: (token) =>
    q("bootstrapping", sql.withTransaction(Effect.gen(function* () {
      const orgId = "org_default"
      const at = yield* now
      yield* sql`INSERT INTO organisations (id, name, created_at) VALUES (${orgId}, 'default', ${at}) ON CONFLICT (id) DO NOTHING`
      if (token !== undefined && token.length > 0) {
        yield* sql`INSERT INTO api_tokens (id, org_id, name, token_hash, created_at)
          VALUES ('tok_bootstrap_env', ${orgId}, 'RATCHET_TOKEN', ${sha256(token)}, ${at})
          ON CONFLICT (id) DO UPDATE SET token_hash = EXCLUDED.token_hash`
        return { orgId, generated: null }
      }
      const existing = yield* sql<Row>`SELECT id FROM api_tokens WHERE id = 'tok_bootstrap'`
      if (existing.length > 0) return { orgId, generated: null }
      const plain = newToken()
      yield* sql`INSERT INTO api_tokens (id, org_id, name, token_hash, created_at)
        VALUES ('tok_bootstrap', ${orgId}, 'bootstrap', ${sha256(plain)}, ${at})`
      return { orgId, generated: plain }
    }))),

  createToken: (orgId, name) =>
    Effect.gen(function* () {
      const token = newToken()
      const at = yield* now
      yield* q("creating a token", sql`INSERT INTO api_tokens (id, org_id, name, token_hash, created_at)
        VALUES (${newId("tok")}, ${orgId}, ${name}, ${sha256(token)}, ${at})`)
      return token
    }),

  authenticate: (token) =>
    q("checking a token", sql<Row>`SELECT t.id, t.org_id, t.name FROM api_tokens t WHERE t.token_hash = ${sha256(token)}`).pipe(
      Effect.map((rows) => {
        const r = rows[0]
        return r === undefined ? null : { orgId: str(r, "org_id"), tokenId: str(r, "id"), tokenName: str(r, "name") }
      })
    )
})
