/**
 * Trusted repositories (#17): only an administrator of the operator organisation marks a repository
 * trusted (through the settings API or the dashboard's settings form); everyone else gets 403 and
 * nothing changes; every change is in the audit log (who, when, old → new); the setting is in
 * /openapi.json; and the migration that adds it applies to a database made by the migrations
 * before it (existing repositories stay untrusted).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Migrator from "effect/sql/Migrator"
import { SqlClient } from "effect/sql/SqlClient"
import * as Database from "../src/Database.js"
import { migrations } from "../src/internal/migrations.js"
import { OPERATOR_ORG, Store } from "../src/Store.js"
import { dashboardClient, makeTenantServer, type Minted } from "./helpers/tenants.js"

const server = makeTenantServer()
const { req, json, mkOrg, mkToken, mkRepo, rootToken } = server

let orgA = ""
let adminA: Minted
/** A token of the operator organisation without the admin scope. */
let operatorReader: Minted

beforeAll(async () => {
  await server.setup()
  orgA = await mkOrg("acme")
  adminA = await mkToken(orgA, { name: "acme-admin" })
  operatorReader = await mkToken(OPERATOR_ORG, { name: "operator-ci", scopes: ["read", "run"] })
}, 120_000)
afterAll(() => server.dispose())

const audit = async (token: string, repo: string) => {
  const res = await req(token, "GET", `/api/repos/${repo}/audit`)
  expect(res.status, await res.clone().text()).toBe(200)
  return (await json(res)).items as Array<{ action: string; actor: { tokenId: string; tokenName: string }; old: unknown; new: unknown; at: string }>
}

describe("the trusted setting", () => {
  it("only the operator's administrators change it; every change is audited (who, when, old → new)", async () => {
    const repo = await mkRepo(adminA.token, "plugins")
    expect((await json(await req(adminA.token, "GET", `/api/repos/${repo}`))).settings.trusted).toBe(false)

    // the tenant's own administrator cannot trust its repository (its code would run next to every tenant's data)
    const tenant = await req(adminA.token, "PATCH", `/api/repos/${repo}/settings`, { trusted: true, timezone: "Europe/Paris" })
    expect(tenant.status).toBe(403)
    const refused = await json(tenant)
    expect(refused.error.code).toBe("Forbidden")
    expect(refused.error.scope).toBe("admin")
    expect(refused.error.message).toMatch(/operator organisation.*server's process/)
    // nothing changed, the other field of the refused patch included
    const after = (await json(await req(adminA.token, "GET", `/api/repos/${repo}`))).settings
    expect(after.trusted).toBe(false)
    expect(after.timezone).toBe("UTC")
    // a token of the operator organisation without "admin" is refused by the route's scope check
    const reader = await req(operatorReader.token, "PATCH", `/api/repos/${repo}/settings`, { trusted: true })
    expect(reader.status).toBe(403)
    expect((await json(reader)).error.scope).toBe("admin")
    expect(await audit(adminA.token, repo)).toEqual([])

    // a bad value is named
    const bad = await req(rootToken, "PATCH", `/api/repos/${repo}/settings`, { trusted: "yes" })
    expect(bad.status).toBe(400)
    expect((await json(bad)).error.field).toBe("trusted")

    // the operator's administrator marks it trusted (a tenant's repository, by id)
    const t0 = server.now()
    const marked = await req(rootToken, "PATCH", `/api/repos/${repo}/settings`, { trusted: true })
    expect(marked.status, await marked.clone().text()).toBe(200)
    expect((await json(marked)).settings.trusted).toBe(true)
    // the same value again is no change, and no entry
    expect((await req(rootToken, "PATCH", `/api/repos/${repo}/settings`, { trusted: true })).status).toBe(200)
    await server.adjust(60_000)
    expect((await req(rootToken, "PATCH", `/api/repos/${repo}/settings`, { trusted: false })).status).toBe(200)

    const entries = await audit(adminA.token, repo)
    const operator = (await server.runtime.runPromise(Store.use((s) => s.identify(rootToken))))
    if (operator._tag !== "Active") throw new Error("the root token is not active")
    expect(entries.map((e) => ({ action: e.action, old: e.old, new: e.new, by: e.actor.tokenId }))).toEqual([
      { action: "repository.trusted", old: false, new: true, by: operator.principal.tokenId },
      { action: "repository.trusted", old: true, new: false, by: operator.principal.tokenId }
    ])
    expect(entries[0]!.actor.tokenName).toBe(operator.principal.tokenName)
    expect(Date.parse(entries[0]!.at)).toBe(t0)
    expect(Date.parse(entries[1]!.at)).toBe(t0 + 60_000)

    // the tenant's administrator still changes the other settings of a trusted repository, leaving trust alone
    await req(rootToken, "PATCH", `/api/repos/${repo}/settings`, { trusted: true })
    const other = await req(adminA.token, "PATCH", `/api/repos/${repo}/settings`, { timezone: "Europe/Paris" })
    expect(other.status).toBe(200)
    expect((await json(other)).settings).toMatchObject({ timezone: "Europe/Paris", trusted: true })
    expect(await audit(adminA.token, repo)).toHaveLength(3)
    // another organisation's administrator sees neither the repository nor its audit log
    const adminB = await mkToken(await mkOrg("globex"), { name: "globex-admin" })
    expect((await req(adminB.token, "GET", `/api/repos/${repo}/audit`)).status).toBe(404)
  })

  it("the store refuses a change of trust without an operator actor, and changes nothing", async () => {
    const repo = await mkRepo(adminA.token, "direct")
    const exit = await server.runtime.runPromiseExit(Store.use((s) => s.updateSettings(null, repo, { trusted: true, paused: true })))
    expect(exit._tag).toBe("Failure")
    const tenantAdmin = await server.runtime.runPromiseExit(
      Store.use((s) => s.updateSettings(null, repo, { trusted: true }, { tokenId: adminA.id, tokenName: "acme-admin", operator: false }))
    )
    expect(tenantAdmin._tag).toBe("Failure")
    const settings = await server.runtime.runPromise(Store.use((s) => s.getRepo(null, repo)))
    expect(settings.settings).toMatchObject({ trusted: false, paused: false })
    expect(await server.runtime.runPromise(Store.use((s) => s.auditOf(null, repo)))).toEqual([])
  })

  it("/openapi.json describes the setting and the audit log", async () => {
    const doc = await json(await server.app.request("/openapi.json"))
    expect(doc.components.schemas.Settings.properties.trusted.type).toBe("boolean")
    expect(doc.components.schemas.Settings.properties.trusted.description).toMatch(/operator organisation/)
    expect(doc.paths["/api/repos/{id}/audit"].get["x-ratchet-scope"]).toBe("read")
  })
})

describe("the dashboard's settings form", () => {
  it("offers the choice to the operator's administrators only, and the change is audited", async () => {
    const repo = await mkRepo(adminA.token, "dash-trust")
    const tenant = dashboardClient(server)
    expect((await tenant.signIn(adminA.token)).status).toBe(303)
    const page = await (await tenant.get(`/dashboard/repos/${repo}`)).text()
    expect(page).toContain("Untrusted")
    expect(page).toContain("Only an administrator of the operator organisation can change it.")
    expect(page).not.toContain('name="trusted"')
    // posting the field anyway is refused, and nothing changes
    const forged = await tenant.post(`/dashboard/repos/${repo}/settings`, { _csrf: tenant.field(page, "_csrf"), timezone: "UTC", trusted: "yes" })
    expect(forged.status).toBe(403)
    expect(await forged.text()).toMatch(/operator organisation/)
    expect((await json(await req(adminA.token, "GET", `/api/repos/${repo}`))).settings.trusted).toBe(false)

    const operator = dashboardClient(server)
    expect((await operator.signIn(rootToken)).status).toBe(303)
    const form = await (await operator.get(`/dashboard/repos/${repo}`)).text()
    expect(form).toContain('<select id="trusted" name="trusted"')
    const saved = await operator.post(`/dashboard/repos/${repo}/settings`, { _csrf: operator.field(form, "_csrf"), timezone: "UTC", trusted: "yes" })
    expect(saved.status, await saved.clone().text()).toBe(303)
    expect((await json(await req(adminA.token, "GET", `/api/repos/${repo}`))).settings.trusted).toBe(true)
    const shown = await (await tenant.get(`/dashboard/repos/${repo}`)).text()
    expect(shown).toContain("<b>Trusted</b>")
    expect(shown).toMatch(/Marked trusted by /)
    expect(await audit(adminA.token, repo)).toHaveLength(1)
  })
})

describe("the migration", () => {
  it.live("applies on a database made by the earlier migrations (with 0013/0014 already applied): existing repositories stay untrusted", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "ratchet-migrate-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      {
        // an older server's database on disk: every migration before 0015 (stand-ins for 0013/0014 only if they are missing)
        const older = Object.fromEntries(Object.entries(migrations).filter(([id]) => id < "0015"))
        const olderLoader = Migrator.fromRecord({ "0013_connectors_secrets": Effect.void, "0014_github_work": Effect.void, ...older })
        yield* Effect.gen(function* () {
          const sql = yield* SqlClient
          yield* Migrator.make({})({ loader: olderLoader, table: "ratchet_migrations" })
          const applied = yield* sql<{ migration_id: number; name: string }>`SELECT migration_id, name FROM ratchet_migrations ORDER BY migration_id`
          expect(applied.map((r) => r.migration_id).at(-1)).toBe(14)
          // the older server's data: an organisation and a repository with its settings
          yield* sql`INSERT INTO organisations (id, name) VALUES ('org_old', 'old')`
          yield* sql`INSERT INTO repositories (id, org_id, name, default_branch, created_at) VALUES ('repo_old', 'org_old', 'old', 'main', now())`
          yield* sql`INSERT INTO repository_settings (repo_id, updated_at) VALUES ('repo_old', now())`
        }).pipe(Effect.provide(Database.clientLayer({ dataDir: join(dir, "db") })), Effect.scoped)

        // this server opens it: 0015 applies, the repository is untrusted, its audit log is empty
        yield* Effect.gen(function* () {
          const sql = yield* SqlClient
          const applied = yield* sql<{ migration_id: number }>`SELECT migration_id FROM ratchet_migrations ORDER BY migration_id`
          expect(applied.map((r) => r.migration_id)).toContain(15)
          const store = yield* Store
          const repo = yield* store.getRepo(null, "repo_old")
          expect(repo.settings.trusted).toBe(false)
          expect(yield* store.auditOf(null, "repo_old")).toEqual([])
          const marked = yield* store.updateSettings(null, "repo_old", { trusted: true }, { tokenId: "tok_x", tokenName: "operator", operator: true })
          expect(marked.settings.trusted).toBe(true)
          expect((yield* store.auditOf(null, "repo_old")).map((e) => [e.old, e.new])).toEqual([[false, true]])
        }).pipe(Effect.provide(Store.layer.pipe(Layer.provideMerge(Database.layer({ dataDir: join(dir, "db") })))), Effect.scoped)
      }
    }).pipe(Effect.scoped), 120_000)
})
