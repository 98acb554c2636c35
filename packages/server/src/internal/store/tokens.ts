/**
 * Organisations and their API tokens. A token is stored only as the sha256 of its value (it is
 * high-entropy random, so the hash cannot be turned back into the token); the value is shown once,
 * when it is created. A token carries scopes, an optional expiry, a revocation time and quotas.
 *
 * The operator organisation (`org_default`, where the bootstrap token lives) is the one whose
 * administrators create organisations and set their quotas.
 *
 * @internal
 */
import { Effect } from "effect"
import { conflict, notFound, type ServerError } from "../../ServerError.js"
import { applyQuotas, isScope, type QuotaName, type Quotas, quotasOf, type Scope, scopes as allScopes } from "../../Tenants.js"
import { iso, isoOrNull, json, newId, newToken, now, type Row, sha256, type StoreContext, str, strOrNull } from "./sql.js"

/** The organisation the bootstrap token belongs to; its administrators manage every organisation. */
export const OPERATOR_ORG = "org_default"

/** An organisation (a tenant). */
export interface Organisation {
  readonly id: string
  readonly name: string
  readonly quotas: Quotas
  /** Whether this is the operator organisation (its administrators manage all organisations). */
  readonly operator: boolean
  readonly createdAt: string
}

/** An API token as it is listed: never its value, never its hash. */
export interface TokenInfo {
  readonly id: string
  readonly orgId: string
  readonly name: string
  readonly scopes: ReadonlyArray<Scope>
  readonly quotas: Quotas
  readonly createdAt: string
  /** When it stops working; `null` for never. */
  readonly expiresAt: string | null
  readonly revokedAt: string | null
  /** The id of the token that created it (`null`: the CLI or the bootstrap). */
  readonly createdBy: string | null
  readonly status: "active" | "expired" | "revoked"
}

/** The caller behind a bearer token. */
export interface Principal {
  readonly orgId: string
  readonly tokenId: string
  readonly tokenName: string
  readonly scopes: ReadonlyArray<Scope>
  /** When the token expires (ISO-8601), `null` for never: checked on every request. */
  readonly expiresAt: string | null
  /** Whether the token belongs to the operator organisation. */
  readonly operator: boolean
  /** The quotas that bind this caller: its organisation's and its own. */
  readonly quotas: { readonly organisation: Quotas; readonly token: Quotas }
}

/** What a presented token turned out to be. */
export type Identified =
  | { readonly _tag: "Active"; readonly principal: Principal }
  | { readonly _tag: "Expired"; readonly at: string }
  | { readonly _tag: "Revoked"; readonly at: string }
  | { readonly _tag: "Unknown" }

/** What a new token is made of. */
export interface NewToken {
  readonly name: string
  readonly scopes: ReadonlyArray<Scope>
  readonly expiresAt: Date | null
  readonly quotas: Quotas
  readonly createdBy: string | null
}

/** The token part of the store. */
export interface TokenStore {
  /**
   * Ensures the operator organisation and a bootstrap token exist (every scope, no expiry).
   * Returns the plain token only when one was generated now. `RATCHET_TOKEN` (given as `token`)
   * is stored as its own bootstrap token; once revoked it stays revoked until its value changes,
   * and `envTokenRevoked` says so.
   */
  readonly bootstrap: (token: string | undefined) => Effect.Effect<{ readonly orgId: string; readonly generated: string | null; readonly envTokenRevoked: boolean }, ServerError>
  /** Ensures the operator organisation exists (without making a bootstrap token). */
  readonly ensureOperatorOrg: Effect.Effect<void, ServerError>
  /** Creates an organisation; Conflict when the name is taken. */
  readonly createOrg: (name: string, quotas: Quotas) => Effect.Effect<Organisation, ServerError>
  /** Every organisation (`visibleTo` null) or only `visibleTo`. */
  readonly listOrgs: (visibleTo: string | null) => Effect.Effect<ReadonlyArray<Organisation>, ServerError>
  /** An organisation by id; with `visibleTo` set, any other organisation is NotFound. */
  readonly getOrg: (visibleTo: string | null, id: string) => Effect.Effect<Organisation, ServerError>
  /** Sets or removes quotas of an organisation (`null` removes one). */
  readonly updateOrgQuotas: (id: string, patch: { readonly [K in QuotaName]?: number | null }) => Effect.Effect<Organisation, ServerError>
  /** Creates a token in an organisation; returns its record and the plain value (shown once, stored hashed). */
  readonly createToken: (orgId: string, input: NewToken) => Effect.Effect<{ readonly token: TokenInfo; readonly plain: string }, ServerError>
  /** The tokens of an organisation (`null`: of every organisation), newest first. */
  readonly listTokens: (orgId: string | null) => Effect.Effect<ReadonlyArray<TokenInfo>, ServerError>
  /** A token by id; with `orgId` set, another organisation's token is NotFound. */
  readonly getToken: (orgId: string | null, id: string) => Effect.Effect<TokenInfo, ServerError>
  /** Sets or removes quotas of a token. */
  readonly updateTokenQuotas: (orgId: string | null, id: string, patch: { readonly [K in QuotaName]?: number | null }) => Effect.Effect<TokenInfo, ServerError>
  /**
   * Revokes a token (idempotent: a revoked token keeps its first revocation time) and ends its
   * dashboard sessions. The row stays, so decisions and usage still name it.
   */
  readonly revokeToken: (orgId: string | null, id: string) => Effect.Effect<TokenInfo, ServerError>
  /** What a presented token is: active (with its principal), expired, revoked or unknown. */
  readonly identify: (token: string) => Effect.Effect<Identified, ServerError>
  /** The principal behind an active token, or `null` for an unknown, revoked or expired one. */
  readonly authenticate: (token: string) => Effect.Effect<Principal | null, ServerError>
  /**
   * Bumped by every write to tokens or organisations made through this store (in this process):
   * caches of principals compare it to drop what a revocation or a quota change made stale.
   */
  readonly tokensGeneration: () => number
}

const scopesOf = (value: unknown): ReadonlyArray<Scope> => {
  const parsed = json(value)
  return Array.isArray(parsed) ? allScopes.filter((s) => parsed.some((p: unknown) => p === s && isScope(p))) : []
}

const toOrg = (r: Row): Organisation => ({
  id: str(r, "id"),
  name: str(r, "name"),
  quotas: quotasOf(json(r.quotas)),
  operator: str(r, "id") === OPERATOR_ORG,
  createdAt: iso(r.created_at)
})

const toToken = (r: Row, at: Date): TokenInfo => {
  const expiresAt = isoOrNull(r.expires_at)
  const revokedAt = isoOrNull(r.revoked_at)
  return {
    id: str(r, "id"),
    orgId: str(r, "org_id"),
    name: str(r, "name"),
    scopes: scopesOf(r.scopes),
    quotas: quotasOf(json(r.quotas)),
    createdAt: iso(r.created_at),
    expiresAt,
    revokedAt,
    createdBy: strOrNull(r, "created_by"),
    status: revokedAt !== null ? "revoked" : expiresAt !== null && Date.parse(expiresAt) <= at.getTime() ? "expired" : "active"
  }
}

/**
 * The principal from a row of `api_tokens` (columns `id`, `org_id`, `name`, `scopes`, `quotas`,
 * `expires_at`) joined with its organisation's quotas as `org_quotas`.
 */
export const principalOf = (r: Row): Principal => {
  const orgId = str(r, "org_id")
  return {
    orgId,
    tokenId: str(r, "id"),
    tokenName: str(r, "name"),
    scopes: scopesOf(r.scopes),
    expiresAt: isoOrNull(r.expires_at),
    operator: orgId === OPERATOR_ORG,
    quotas: { organisation: quotasOf(json(r.org_quotas)), token: quotasOf(json(r.quotas)) }
  }
}

/** The token store on a context. */
export const make = ({ sql, q }: StoreContext): TokenStore => {
  let generation = 0
  const changed = <A, E>(write: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.ensuring(write, Effect.sync(() => {
      generation++
    }))

  const getOrg = (visibleTo: string | null, id: string) =>
    Effect.gen(function* () {
      if (visibleTo !== null && visibleTo !== id) return yield* Effect.fail(notFound("organisation", id))
      const rows = yield* q("reading an organisation", sql<Row>`SELECT * FROM organisations WHERE id = ${id}`)
      const r = rows[0]
      return r === undefined ? yield* Effect.fail(notFound("organisation", id)) : toOrg(r)
    })

  const getToken = (orgId: string | null, id: string) =>
    Effect.gen(function* () {
      const rows = yield* q("reading a token", sql<Row>`SELECT id, org_id, name, scopes, quotas, created_at, expires_at, revoked_at, created_by
        FROM api_tokens WHERE id = ${id} ${orgId === null ? sql`` : sql`AND org_id = ${orgId}`}`)
      const r = rows[0]
      if (r === undefined) return yield* Effect.fail(notFound("token", id))
      return toToken(r, yield* now)
    })

  const identify = (token: string): Effect.Effect<Identified, ServerError> =>
    Effect.gen(function* () {
      const rows = yield* q("checking a token", sql<Row>`SELECT t.id, t.org_id, t.name, t.scopes, t.quotas, t.expires_at, t.revoked_at, o.quotas AS org_quotas
        FROM api_tokens t JOIN organisations o ON o.id = t.org_id WHERE t.token_hash = ${sha256(token)}`)
      const r = rows[0]
      if (r === undefined) return { _tag: "Unknown" } as const
      const revokedAt = isoOrNull(r.revoked_at)
      if (revokedAt !== null) return { _tag: "Revoked", at: revokedAt } as const
      const expiresAt = isoOrNull(r.expires_at)
      const at = yield* now
      if (expiresAt !== null && Date.parse(expiresAt) <= at.getTime()) return { _tag: "Expired", at: expiresAt } as const
      return { _tag: "Active", principal: principalOf(r) } as const
    })

  return {
    bootstrap: (token) =>
      changed(q("bootstrapping", sql.withTransaction(Effect.gen(function* () {
        const orgId = OPERATOR_ORG
        const at = yield* now
        yield* sql`INSERT INTO organisations (id, name, created_at) VALUES (${orgId}, 'default', ${at}) ON CONFLICT (id) DO NOTHING`
        const every = JSON.stringify(allScopes)
        if (token !== undefined && token.length > 0) {
          const hash = sha256(token)
          const existing = yield* sql<Row>`SELECT token_hash, revoked_at FROM api_tokens WHERE id = 'tok_bootstrap_env'`
          const row = existing[0]
          if (row !== undefined && str(row, "token_hash") === hash) {
            return { orgId, generated: null, envTokenRevoked: row.revoked_at !== null && row.revoked_at !== undefined }
          }
          // a new value is a new secret: it replaces the old one, revoked or not
          yield* sql`INSERT INTO api_tokens (id, org_id, name, token_hash, scopes, created_at)
            VALUES ('tok_bootstrap_env', ${orgId}, 'RATCHET_TOKEN', ${hash}, ${every}::jsonb, ${at})
            ON CONFLICT (id) DO UPDATE SET token_hash = EXCLUDED.token_hash, scopes = EXCLUDED.scopes, revoked_at = NULL, expires_at = NULL, created_at = EXCLUDED.created_at`
          return { orgId, generated: null, envTokenRevoked: false }
        }
        const existing = yield* sql<Row>`SELECT id FROM api_tokens WHERE id = 'tok_bootstrap'`
        if (existing.length > 0) return { orgId, generated: null, envTokenRevoked: false }
        const plain = newToken()
        yield* sql`INSERT INTO api_tokens (id, org_id, name, token_hash, scopes, created_at)
          VALUES ('tok_bootstrap', ${orgId}, 'bootstrap', ${sha256(plain)}, ${every}::jsonb, ${at})`
        return { orgId, generated: plain, envTokenRevoked: false }
      })))),

    ensureOperatorOrg: Effect.gen(function* () {
      const at = yield* now
      yield* q("creating the operator organisation", sql`INSERT INTO organisations (id, name, created_at) VALUES (${OPERATOR_ORG}, 'default', ${at}) ON CONFLICT (id) DO NOTHING`)
    }),

    createOrg: (name, quotas) =>
      changed(Effect.gen(function* () {
        const at = yield* now
        const id = newId("org")
        const inserted = yield* q("creating an organisation", sql<Row>`INSERT INTO organisations (id, name, quotas, created_at)
          VALUES (${id}, ${name}, ${JSON.stringify(quotas)}::jsonb, ${at}) ON CONFLICT (name) DO NOTHING RETURNING *`)
        const r = inserted[0]
        return r === undefined ? yield* Effect.fail(conflict(`An organisation named ${JSON.stringify(name)} exists already; pick another name (list them with GET /api/orgs).`)) : toOrg(r)
      })),

    listOrgs: (visibleTo) =>
      q("listing organisations", sql<Row>`SELECT * FROM organisations ${visibleTo === null ? sql`` : sql`WHERE id = ${visibleTo}`} ORDER BY created_at, id`).pipe(
        Effect.map((rows) => rows.map(toOrg))
      ),

    getOrg,

    updateOrgQuotas: (id, patch) =>
      changed(Effect.gen(function* () {
        const org = yield* getOrg(null, id)
        const next = applyQuotas(org.quotas, patch)
        yield* q("updating quotas", sql`UPDATE organisations SET quotas = ${JSON.stringify(next)}::jsonb WHERE id = ${id}`)
        return { ...org, quotas: next }
      })),

    createToken: (orgId, input) =>
      changed(Effect.gen(function* () {
        yield* getOrg(null, orgId)
        const plain = newToken()
        const at = yield* now
        const id = newId("tok")
        const rows = yield* q("creating a token", sql<Row>`INSERT INTO api_tokens (id, org_id, name, token_hash, scopes, quotas, expires_at, created_by, created_at)
          VALUES (${id}, ${orgId}, ${input.name}, ${sha256(plain)}, ${JSON.stringify(allScopes.filter((s) => input.scopes.includes(s)))}::jsonb,
            ${JSON.stringify(input.quotas)}::jsonb, ${input.expiresAt}, ${input.createdBy}, ${at})
          RETURNING id, org_id, name, scopes, quotas, created_at, expires_at, revoked_at, created_by`)
        const r = rows[0]
        if (r === undefined) return yield* Effect.fail(notFound("token", id))
        return { token: toToken(r, at), plain }
      })),

    listTokens: (orgId) =>
      Effect.gen(function* () {
        const rows = yield* q("listing tokens", sql<Row>`SELECT id, org_id, name, scopes, quotas, created_at, expires_at, revoked_at, created_by
          FROM api_tokens ${orgId === null ? sql`` : sql`WHERE org_id = ${orgId}`} ORDER BY created_at DESC, id`)
        const at = yield* now
        return rows.map((r) => toToken(r, at))
      }),

    getToken,

    updateTokenQuotas: (orgId, id, patch) =>
      changed(Effect.gen(function* () {
        const token = yield* getToken(orgId, id)
        const next = applyQuotas(token.quotas, patch)
        yield* q("updating quotas", sql`UPDATE api_tokens SET quotas = ${JSON.stringify(next)}::jsonb WHERE id = ${id}`)
        return { ...token, quotas: next }
      })),

    revokeToken: (orgId, id) =>
      changed(Effect.gen(function* () {
        yield* getToken(orgId, id)
        const at = yield* now
        yield* q("revoking a token", sql.withTransaction(Effect.gen(function* () {
          yield* sql`UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ${at}) WHERE id = ${id}`
          yield* sql`DELETE FROM dashboard_sessions WHERE token_id = ${id}`
        })))
        return yield* getToken(orgId, id)
      })),

    identify,

    authenticate: (token) => Effect.map(identify(token), (found) => (found._tag === "Active" ? found.principal : null)),

    tokensGeneration: () => generation
  }
}
