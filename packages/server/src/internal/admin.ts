/**
 * What `ratchet token …`, `ratchet org …` and `ratchet repo …` do, against a data directory's database (or
 * `DATABASE_URL`). Loaded by the CLI only when one of those commands runs.
 *
 * One writer per data directory: with the embedded database these commands take the data
 * directory's lock (`<data>/server.pid`) for as long as they run, so while a server holds the
 * directory they refuse (exit 2) and say to use the server's API instead. With `DATABASE_URL` they
 * write to that PostgreSQL directly (it takes several writers); a running server sees a revocation
 * within its token cache time (1 s).
 *
 * @internal
 */
import { Context, Effect, Layer } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Database from "../Database.js"
import { invalid, type ServerError } from "../ServerError.js"
import { type Actor, type AuditEntry, OPERATOR_ORG, type Organisation, type Repo, Store, type TokenInfo } from "../Store.js"
import type { QuotaName, Quotas, Scope } from "../Tenants.js"
import * as DataLock from "./dataLock.js"

type StoreService = Store["Service"]

/**
 * Runs `f` on the store of `dataDir` (or `DATABASE_URL`), holding the data directory's lock when
 * the database is the embedded one. Fails with `Invalid` (field `data`) when a server holds the
 * directory or when there is no database there.
 */
export const withStore = <A>(dataDir: string, f: (store: StoreService) => Effect.Effect<A, ServerError>): Effect.Effect<A, ServerError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const url = process.env.DATABASE_URL || undefined
      const dir = Path.resolve(dataDir)
      if (url === undefined) {
        if (!Fs.existsSync(Path.join(dir, "db"))) {
          return yield* Effect.fail(invalid("data", `there is no Ratchet database in ${dir} (no db/ directory): pass the --data directory your server uses (default .ratchet), or set DATABASE_URL`))
        }
        yield* DataLock.acquire(dir).pipe(
          Effect.mapError((e) =>
            e.reason._tag === "Invalid"
              ? invalid("data", `${e.reason.detail.replace(" Stop that server, or pass another --data directory.", "")} Token, organisation and repository commands write to the database directly, so they do not run beside a server: use its API (POST/GET/DELETE /api/tokens, /api/orgs, PATCH /api/repos/:id/settings with an admin token), or stop the server and run this again.`)
              : e
          )
        )
      }
      const context = yield* Layer.build(Store.layer.pipe(Layer.provide(Database.layer(url !== undefined ? { url } : { dataDir: Path.join(dir, "db") }))))
      const store = Context.get(context, Store)
      yield* store.ensureOperatorOrg
      return yield* f(store)
    })
  )

/** An organisation named by id (`org_…`) or by name. */
export const findOrg = (store: StoreService, idOrName: string): Effect.Effect<Organisation, ServerError> =>
  Effect.gen(function* () {
    const orgs = yield* store.listOrgs(null)
    const found = orgs.find((o) => o.id === idOrName) ?? orgs.find((o) => o.name === idOrName)
    if (found === undefined) {
      return yield* Effect.fail(invalid("org", `no organisation ${JSON.stringify(idOrName)}; the organisations are ${orgs.map((o) => `${o.name} (${o.id})`).join(", ")} (create one with ratchet org create NAME)`))
    }
    return found
  })

/** `ratchet token create`. */
export const createToken = (
  dataDir: string,
  input: { readonly org: string | undefined; readonly name: string; readonly scopes: ReadonlyArray<Scope>; readonly expiresAt: Date | null; readonly quotas: Quotas }
): Effect.Effect<{ readonly token: TokenInfo; readonly plain: string; readonly org: Organisation }, ServerError> =>
  withStore(dataDir, (store) =>
    Effect.gen(function* () {
      const org = yield* findOrg(store, input.org ?? OPERATOR_ORG)
      const made = yield* store.createToken(org.id, { name: input.name, scopes: input.scopes, expiresAt: input.expiresAt, quotas: input.quotas, createdBy: null })
      return { ...made, org }
    }))

/** `ratchet token list`. */
export const listTokens = (dataDir: string, org: string | undefined): Effect.Effect<{ readonly tokens: ReadonlyArray<TokenInfo>; readonly orgs: ReadonlyArray<Organisation> }, ServerError> =>
  withStore(dataDir, (store) =>
    Effect.gen(function* () {
      const orgs = yield* store.listOrgs(null)
      const only = org === undefined ? null : (yield* findOrg(store, org)).id
      return { tokens: yield* store.listTokens(only), orgs }
    }))

/** `ratchet token revoke`. */
export const revokeToken = (dataDir: string, id: string): Effect.Effect<TokenInfo, ServerError> =>
  withStore(dataDir, (store) => store.revokeToken(null, id))

/** `ratchet org create`. */
export const createOrg = (dataDir: string, name: string, quotas: Quotas): Effect.Effect<Organisation, ServerError> =>
  withStore(dataDir, (store) => store.createOrg(name, quotas))

/** `ratchet org list`. */
export const listOrgs = (dataDir: string): Effect.Effect<ReadonlyArray<Organisation>, ServerError> => withStore(dataDir, (store) => store.listOrgs(null))

/** `ratchet org update`. */
export const updateOrg = (dataDir: string, org: string, quotas: { readonly [K in QuotaName]?: number | null }): Effect.Effect<Organisation, ServerError> =>
  withStore(dataDir, (store) => Effect.flatMap(findOrg(store, org), (o) => store.updateOrgQuotas(o.id, quotas)))

/** The repositories of these organisations. */
const reposOf = (store: StoreService, orgs: ReadonlyArray<Organisation>): Effect.Effect<Array<Repo>, ServerError> =>
  Effect.map(Effect.forEach(orgs, (o) => store.listRepos(o.id)), (lists) => lists.flat())

/** A repository named by id (`repo_…`) or by a name no other repository has. */
const findRepo = (store: StoreService, idOrName: string): Effect.Effect<Repo, ServerError> =>
  Effect.gen(function* () {
    const repos = yield* reposOf(store, yield* store.listOrgs(null))
    const byId = repos.find((r) => r.id === idOrName)
    if (byId !== undefined) return byId
    const named = repos.filter((r) => r.name === idOrName)
    if (named.length === 1) return named[0]!
    return yield* Effect.fail(
      invalid(
        "repo",
        named.length > 1
          ? `${named.length} repositories are named ${JSON.stringify(idOrName)} (${named.map((r) => r.id).join(", ")}): pass the id`
          : `no repository ${JSON.stringify(idOrName)}; list them with ratchet repo list`
      )
    )
  })

/** `ratchet repo list`: the repositories of one organisation (id or name), or of every one. */
export const listRepos = (dataDir: string, org: string | undefined): Effect.Effect<{ readonly repos: ReadonlyArray<Repo>; readonly orgs: ReadonlyArray<Organisation> }, ServerError> =>
  withStore(dataDir, (store) =>
    Effect.gen(function* () {
      const orgs = yield* store.listOrgs(null)
      const chosen = org === undefined ? orgs : [yield* findOrg(store, org)]
      return { repos: yield* reposOf(store, chosen), orgs }
    })
  )

/**
 * `ratchet repo trust`: marks a repository trusted (its config is imported and its plugins run in the
 * server's process) or not. Whoever can open the data directory's database is the operator; `actor`
 * names them in the audit log. Returns the repository, whether the setting changed, and its audit log.
 */
export const setTrusted = (
  dataDir: string,
  repo: string,
  trusted: boolean,
  actor: Actor
): Effect.Effect<{ readonly repo: Repo; readonly changed: boolean; readonly audit: ReadonlyArray<AuditEntry> }, ServerError> =>
  withStore(dataDir, (store) =>
    Effect.gen(function* () {
      const found = yield* findRepo(store, repo)
      const updated = yield* store.updateSettings(null, found.id, { trusted }, actor)
      return { repo: updated, changed: found.settings.trusted !== trusted, audit: yield* store.auditOf(null, found.id) }
    })
  )

/** `ratchet repo audit`: a repository's audit log, oldest first. */
export const auditOf = (dataDir: string, repo: string): Effect.Effect<{ readonly repo: Repo; readonly audit: ReadonlyArray<AuditEntry> }, ServerError> =>
  withStore(dataDir, (store) =>
    Effect.gen(function* () {
      const found = yield* findRepo(store, repo)
      return { repo: found, audit: yield* store.auditOf(null, found.id) }
    })
  )
