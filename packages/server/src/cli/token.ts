/**
 * `ratchet token create|list|revoke` and `ratchet org create|list|update`: tenants and their API
 * tokens, against a data directory's database (`--data`, default `.ratchet`) or `DATABASE_URL`.
 *
 * With the embedded database these commands refuse (exit 2) while a server holds the data
 * directory — one writer per directory — and say to use the server's API instead
 * (`POST/GET/DELETE /api/tokens`, `/api/orgs`). A token is printed once, when it is created.
 */
import { Clock, Effect, type Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { RatchetError } from "@ratchet/core"
import type { Organisation, TokenInfo } from "../Store.js"
import { isScope, parseDuration, parseQuotas, type QuotaName, quotaNames, type Quotas, type Scope, scopes as allScopes } from "../Tenants.js"
import { print, printJson } from "./Output.js"
import { adminError, dataFlag, jsonFlag, type Subcommand } from "./Shared.js"
import { table } from "./Table.js"

const quotaFlag = Flag.String("quota").pipe(
  Flag.withDescription(`a quota as NAME=LIMIT, repeatable (${quotaNames.join(", ")}); LIMIT none removes one`),
  Flag.atLeast(0)
)

/** The admin module, loaded only when a token or organisation command runs (it opens the database). */
const admin = Effect.promise(() => import("../internal/admin.js"))

/** A server error as the CLI reports it (see `adminError`). */
const toCli = (where: string) =>
  adminError(where, { help: "see ratchet token --help", invalid: "check the argument", list: "list them with ratchet token list / ratchet org list" })

/** `NAME=LIMIT` flags → a quotas patch (`none` → null). */
const quotasOf = (raw: ReadonlyArray<string>): Effect.Effect<{ readonly [K in QuotaName]?: number | null }, RatchetError.RatchetError> =>
  Effect.suspend(() => {
    const object: Record<string, number | null | string> = {}
    for (const item of raw) {
      const m = /^([A-Za-z]+)=(.+)$/.exec(item.trim())
      if (m === null) {
        return Effect.fail(RatchetError.badInput({ what: `not a quota: ${JSON.stringify(item)}`, where: "--quota", fix: `write NAME=LIMIT, e.g. --quota runsPerDay=20 (quotas: ${quotaNames.join(", ")})` }))
      }
      const value = m[2]!.trim()
      object[m[1]!] = value === "none" ? null : /^\d+(\.\d+)?$/.test(value) ? Number(value) : value
    }
    const parsed = parseQuotas(object)
    return parsed.ok
      ? Effect.succeed(parsed.value)
      : Effect.fail(RatchetError.badInput({ what: `${parsed.field}: ${parsed.detail}`, where: "--quota", fix: "write NAME=LIMIT with a number, or NAME=none" }))
  })

const limitsOnly = (patch: { readonly [K in QuotaName]?: number | null }): Quotas =>
  Object.fromEntries(Object.entries(patch).filter(([, v]) => typeof v === "number"))

const showQuotas = (q: Quotas): string => Object.entries(q).map(([k, v]) => `${k}=${v}`).join(" ") || "—"

const tokenRows = (tokens: ReadonlyArray<TokenInfo>, orgs: ReadonlyArray<Organisation>): string =>
  table(
    ["id", "name", "organisation", "scopes", "status", "expires", "quotas"],
    tokens.map((t) => [
      t.id,
      t.name,
      orgs.find((o) => o.id === t.orgId)?.name ?? t.orgId,
      t.scopes.join(","),
      t.status === "revoked" ? `revoked ${t.revokedAt?.slice(0, 10) ?? ""}` : t.status,
      t.expiresAt === null ? "never" : t.expiresAt.slice(0, 16).replace("T", " "),
      showQuotas(t.quotas)
    ])
  )

/** `--expires`: a lifetime (`30d`) or an ISO time; the result lies in the future. */
const expiryOf = (raw: Option.Option<string>): Effect.Effect<Date | null, RatchetError.RatchetError> =>
  Effect.gen(function* () {
    if (raw._tag === "None" || raw.value === "never") return null
    const now = yield* Clock.currentTimeMillis
    const lifetime = parseDuration(raw.value)
    const at = lifetime !== null ? now + lifetime : /^\d{4}-\d{2}-\d{2}/.test(raw.value) ? Date.parse(raw.value) : Number.NaN
    if (Number.isNaN(at)) {
      return yield* Effect.fail(RatchetError.badInput({ what: `not a lifetime or a time: ${JSON.stringify(raw.value)}`, where: "--expires", fix: "write a lifetime such as 90d, 12h, 2w, an ISO time such as 2026-12-31, or never" }))
    }
    if (at <= now) return yield* Effect.fail(RatchetError.badInput({ what: `${raw.value} lies in the past`, where: "--expires", fix: "give a time in the future" }))
    return new Date(at)
  })

const tokenCreate = Command.make(
  "create",
  {
    name: Flag.String("name").pipe(Flag.withDescription("what the token is for (shown in lists, decisions and logs)")),
    scope: Flag.String("scope").pipe(Flag.withDescription(`a scope, repeatable: ${allScopes.join(", ")}`), Flag.atLeast(1)),
    org: Flag.String("org").pipe(Flag.withDescription("the organisation (id or name; default the operator organisation, org_default)"), Flag.optional),
    expires: Flag.String("expires").pipe(Flag.withDescription("lifetime (90d, 12h, 2w) or ISO time; default never"), Flag.optional),
    quota: quotaFlag,
    data: dataFlag,
    json: jsonFlag
  },
  (args) =>
    Effect.gen(function* () {
      const bad = args.scope.find((s) => !isScope(s))
      if (bad !== undefined) return yield* Effect.fail(RatchetError.badInput({ what: `unknown scope ${JSON.stringify(bad)}`, where: "--scope", fix: `use ${allScopes.join(", ")}` }))
      if (!/^[A-Za-z0-9][A-Za-z0-9 ._:@/+-]{0,99}$/.test(args.name)) {
        return yield* Effect.fail(RatchetError.badInput({ what: `not a token name: ${JSON.stringify(args.name)}`, where: "--name", fix: "1-100 characters (letters, digits, space and . _ : @ / + -), starting with a letter or digit" }))
      }
      const expiresAt = yield* expiryOf(args.expires)
      const quotas = limitsOnly(yield* quotasOf(args.quota))
      const scopes: ReadonlyArray<Scope> = allScopes.filter((s) => args.scope.includes(s))
      const Admin = yield* admin
      const made = yield* Admin.createToken(args.data, { org: args.org._tag === "Some" ? args.org.value : undefined, name: args.name, scopes, expiresAt, quotas }).pipe(
        Effect.mapError(toCli("--org"))
      )
      if (args.json) return yield* printJson({ ...made.token, token: made.plain })
      yield* print(tokenRows([made.token], [made.org]))
      yield* print(`\nThe token (shown once, stored hashed — keep it in a secret store):\n\n  ${made.plain}\n\nUse it as: Authorization: Bearer <token>`)
    })
).pipe(Command.withDescription("Create an API token in an organisation; it is printed once"))

const tokenList = Command.make(
  "list",
  {
    org: Flag.String("org").pipe(Flag.withDescription("only this organisation's tokens (id or name); default every organisation"), Flag.optional),
    data: dataFlag,
    json: jsonFlag
  },
  (args) =>
    Effect.gen(function* () {
      const Admin = yield* admin
      const { tokens, orgs } = yield* Admin.listTokens(args.data, args.org._tag === "Some" ? args.org.value : undefined).pipe(Effect.mapError(toCli("--org")))
      yield* args.json ? printJson({ items: tokens }) : print(tokens.length === 0 ? "No tokens." : tokenRows(tokens, orgs))
    })
).pipe(Command.withDescription("List API tokens (never their values): scopes, status, expiry, quotas"))

const tokenRevoke = Command.make(
  "revoke",
  {
    id: Argument.String("id").pipe(Argument.withDescription("the token's id (tok_…), as ratchet token list shows it")),
    data: dataFlag,
    json: jsonFlag
  },
  (args) =>
    Effect.gen(function* () {
      if (!/^tok_[A-Za-z0-9_-]{1,100}$/.test(args.id)) {
        return yield* Effect.fail(RatchetError.badInput({ what: `not a token id: ${JSON.stringify(args.id)}`, where: "id", fix: "pass a token id (tok_…) from ratchet token list, not the token itself" }))
      }
      const Admin = yield* admin
      const token = yield* Admin.revokeToken(args.data, args.id).pipe(Effect.mapError(toCli(args.id)))
      yield* args.json ? printJson(token) : print(`Revoked ${token.id} (${token.name}) at ${token.revokedAt}; its dashboard sessions ended.`)
    })
).pipe(Command.withDescription("Revoke an API token: it stops working at once and its dashboard sessions end"))

/**
 * `ratchet token create|list|revoke`.
 *
 * @since 0.2.0
 */
export const tokenCommand: Subcommand<"token"> = Command.make("token").pipe(
  Command.withDescription("Manage API tokens (scopes, expiry, quotas, revocation) in the data directory's database"),
  Command.withSubcommands([tokenCreate, tokenList, tokenRevoke])
)

const orgRows = (orgs: ReadonlyArray<Organisation>): string =>
  table(["id", "name", "quotas", "created"], orgs.map((o) => [o.id, `${o.name}${o.operator ? " (operator)" : ""}`, showQuotas(o.quotas), o.createdAt.slice(0, 10)]))

const orgCreate = Command.make(
  "create",
  {
    name: Argument.String("name").pipe(Argument.withDescription("the organisation's name (letters, digits, . _ -)")),
    quota: quotaFlag,
    data: dataFlag,
    json: jsonFlag
  },
  (args) =>
    Effect.gen(function* () {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(args.name)) {
        return yield* Effect.fail(RatchetError.badInput({ what: `not an organisation name: ${JSON.stringify(args.name)}`, where: "name", fix: "1-100 letters, digits, '.', '_' or '-', starting with a letter or digit" }))
      }
      const quotas = limitsOnly(yield* quotasOf(args.quota))
      const Admin = yield* admin
      const org = yield* Admin.createOrg(args.data, args.name, quotas).pipe(Effect.mapError(toCli("name")))
      yield* args.json ? printJson(org) : print(`${orgRows([org])}\n\nNext: ratchet token create --org ${org.name} --name admin --scope read --scope run --scope approve --scope publish --scope admin`)
    })
).pipe(Command.withDescription("Create an organisation (a tenant), optionally with quotas"))

const orgList = Command.make("list", { data: dataFlag, json: jsonFlag }, (args) =>
  Effect.gen(function* () {
    const Admin = yield* admin
    const orgs = yield* Admin.listOrgs(args.data).pipe(Effect.mapError(toCli("--data")))
    yield* args.json ? printJson({ items: orgs }) : print(orgRows(orgs))
  })).pipe(Command.withDescription("List organisations and their quotas"))

const orgUpdate = Command.make(
  "update",
  {
    org: Argument.String("org").pipe(Argument.withDescription("the organisation (id or name)")),
    quota: quotaFlag,
    data: dataFlag,
    json: jsonFlag
  },
  (args) =>
    Effect.gen(function* () {
      if (args.quota.length === 0) return yield* Effect.fail(RatchetError.badInput({ what: "nothing to change", where: "--quota", fix: "pass --quota NAME=LIMIT (or NAME=none) at least once" }))
      const patch = yield* quotasOf(args.quota)
      const Admin = yield* admin
      const org = yield* Admin.updateOrg(args.data, args.org, patch).pipe(Effect.mapError(toCli("org")))
      yield* args.json ? printJson(org) : print(orgRows([org]))
    })
).pipe(Command.withDescription("Set or remove an organisation's quotas"))

/**
 * `ratchet org create|list|update`.
 *
 * @since 0.2.0
 */
export const orgCommand: Subcommand<"org"> = Command.make("org").pipe(
  Command.withDescription("Manage organisations (tenants) and their quotas in the data directory's database"),
  Command.withSubcommands([orgCreate, orgList, orgUpdate])
)
