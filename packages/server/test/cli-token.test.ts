/**
 * `ratchet token create|list|revoke`, `ratchet org create|list|update` and `ratchet repo list|trust|audit` as users run them: the
 * built binary in a child process against a data directory's embedded database. A token made by
 * the CLI works against the API on that database; a revoked one is refused on the next request;
 * bad input exits 2 naming the flag; a data directory held by a server is refused with a pointer
 * to the API.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime } from "effect"
import * as Api from "../src/Api.js"
import * as Database from "../src/Database.js"
import { OPERATOR_ORG, type Repo, Store } from "../src/Store.js"

const bin = join(import.meta.dirname, "..", "dist", "bin.js")
const data = mkdtempSync(join(tmpdir(), "ratchet-cli-token-"))

const ratchet = (...args: Array<string>) => {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 60_000, env: { ...process.env, DATABASE_URL: "" } })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Opens the data directory's database in this process (as a server would), runs `f`, closes it. */
const withApi = async <A>(f: (api: ReturnType<typeof Api.make>) => Promise<A>): Promise<A> => {
  const runtime = ManagedRuntime.make(Store.layer.pipe(Layer.provideMerge(Database.layer({ dataDir: join(data, "db") }))))
  try {
    return await f(Api.make(runtime, { log: () => {}, tokenCacheMs: 0 }))
  } finally {
    await runtime.dispose()
  }
}

const get = (api: ReturnType<typeof Api.make>, token: string, path: string) => api.request(path, { headers: { authorization: `Bearer ${token}` } })

beforeAll(async () => {
  // the database a first `ratchet serve --data DIR` makes
  const runtime = ManagedRuntime.make(Store.layer.pipe(Layer.provideMerge(Database.layer({ dataDir: join(data, "db") }))))
  await runtime.runPromise(Store.use((s) => s.bootstrap(undefined)).pipe(Effect.asVoid))
  await runtime.dispose()
}, 60_000)
afterAll(() => rmSync(data, { recursive: true, force: true }))

describe("ratchet token / ratchet org", () => {
  let ci: { id: string; token: string } = { id: "", token: "" }

  it("creates an organisation and a scoped token in it; the token is printed once and works against the API", async () => {
    const org = ratchet("org", "create", "acme", "--quota", "runsPerDay=5", "--data", data, "--json")
    expect(org.code, org.stderr).toBe(0)
    const madeOrg = JSON.parse(org.stdout)
    expect(madeOrg).toMatchObject({ name: "acme", quotas: { runsPerDay: 5 }, operator: false })

    const made = ratchet("token", "create", "--org", "acme", "--name", "ci", "--scope", "read", "--scope", "run", "--expires", "30d", "--data", data, "--json")
    expect(made.code, made.stderr).toBe(0)
    const body = JSON.parse(made.stdout)
    expect(body).toMatchObject({ orgId: madeOrg.id, name: "ci", scopes: ["read", "run"], status: "active" })
    expect(body.token).toMatch(/^rat_/)
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000)
    ci = { id: body.id, token: body.token }

    const human = ratchet("token", "list", "--data", data)
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toContain(ci.id)
    expect(human.stdout).toContain("acme")
    expect(human.stdout).not.toContain(ci.token)
    const listed = JSON.parse(ratchet("token", "list", "--org", "acme", "--data", data, "--json").stdout)
    expect(listed.items.map((t: { id: string }) => t.id)).toEqual([ci.id])

    await withApi(async (api) => {
      expect((await get(api, ci.token, "/api/repos")).status).toBe(200)
      // read and run, not admin
      expect((await get(api, ci.token, "/api/tokens")).status).toBe(403)
    })
  }, 120_000)

  it("revoke stops the token on the next request and keeps it listed as revoked", async () => {
    const revoked = ratchet("token", "revoke", ci.id, "--data", data)
    expect(revoked.code, revoked.stderr).toBe(0)
    expect(revoked.stdout).toContain(`Revoked ${ci.id}`)
    await withApi(async (api) => {
      const res = await get(api, ci.token, "/api/repos")
      expect(res.status).toBe(401)
      expect(await res.text()).toContain("revoked")
    })
    const listed = JSON.parse(ratchet("token", "list", "--data", data, "--json").stdout)
    expect(listed.items.find((t: { id: string }) => t.id === ci.id)).toMatchObject({ status: "revoked" })
  }, 120_000)

  it("bad input exits 2 naming what is wrong, and changes nothing", () => {
    const before = JSON.parse(ratchet("token", "list", "--data", data, "--json").stdout).items.length
    for (const [args, where] of [
      [["token", "create", "--name", "x", "--scope", "root"], "--scope"],
      [["token", "create", "--name", "x", "--scope", "read", "--expires", "2001-01-01"], "--expires"],
      [["token", "create", "--name", "x", "--scope", "read", "--quota", "runsPerDay=-1"], "--quota"],
      [["token", "create", "--name", "x", "--scope", "read", "--org", "nowhere"], "nowhere"],
      [["token", "revoke", "rat_not_an_id"], "tok_"],
      [["token", "revoke", "tok_unknown"], "tok_unknown"],
      [["org", "create", "acme"], "exists"],
      [["org", "create", "../etc"], "organisation name"],
      [["org", "update", "acme"], "--quota"]
    ] as const) {
      const r = ratchet(...args, "--data", data)
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2)
      expect(r.stderr, args.join(" ")).toContain(where)
    }
    expect(JSON.parse(ratchet("token", "list", "--data", data, "--json").stdout).items.length).toBe(before)
  }, 180_000)

  it("refuses a data directory a server holds, pointing to the API", () => {
    // a live pid (this test process) holds the directory, as `ratchet serve` does
    writeFileSync(join(data, "server.pid"), JSON.stringify({ pid: process.pid, host: "test", startedAt: new Date().toISOString() }))
    try {
      const r = ratchet("token", "list", "--data", data)
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("/api/tokens")
    } finally {
      rmSync(join(data, "server.pid"), { force: true })
    }
    const missing = ratchet("token", "list", "--data", join(data, "nothing-here"))
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("no Ratchet database")
  }, 60_000)
})

describe("ratchet repo", () => {
  /** Repositories as `ratchet serve` would have registered them, made in this process. */
  const register = async (orgId: string, name: string): Promise<Repo> => {
    const runtime = ManagedRuntime.make(Store.layer.pipe(Layer.provideMerge(Database.layer({ dataDir: join(data, "db") }))))
    try {
      return await runtime.runPromise(Store.use((s) => s.createRepo(orgId, { name, url: null, path: `/srv/${name}`, defaultBranch: "main" })))
    } finally {
      await runtime.dispose()
    }
  }
  const json = (...args: Array<string>) => {
    const r = ratchet(...args, "--data", data, "--json")
    expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0)
    return JSON.parse(r.stdout)
  }

  it("lists repositories, trusts one by id with an audit entry naming the user, and stops trusting it", async () => {
    const beta = json("org", "create", "beta")
    const web = await register(OPERATOR_ORG, "web")
    const betaWeb = await register(beta.id, "web")
    await register(OPERATOR_ORG, "api")

    const listed = json("repo", "list").items as Array<Repo>
    expect(listed.map((r) => [r.name, r.settings.trusted]).sort()).toEqual([["api", false], ["web", false], ["web", false]])
    expect((json("repo", "list", "--org", "beta").items as Array<Repo>).map((r) => r.id)).toEqual([betaWeb.id])
    const human = ratchet("repo", "list", "--data", data)
    expect(human.stdout).toContain(web.id)
    expect(human.stdout).toContain("beta")

    // a name two repositories share is refused, naming both ids; nothing changes
    const ambiguous = ratchet("repo", "trust", "web", "--data", data)
    expect(ambiguous.code).toBe(2)
    expect(ambiguous.stderr).toContain(web.id)
    expect(ambiguous.stderr).toContain(betaWeb.id)

    const trusted = json("repo", "trust", web.id)
    expect(trusted).toMatchObject({ changed: true, repo: { id: web.id, settings: { trusted: true } } })
    expect(trusted.audit).toHaveLength(1)
    expect(trusted.audit[0]).toMatchObject({ action: "repository.trusted", old: false, new: true, actor: { tokenId: "cli" } })
    expect(trusted.audit[0].actor.tokenName).toMatch(/^ratchet repo trust \(.+@.+\)$/)
    // trusting it again changes nothing and records nothing
    expect(json("repo", "trust", web.id)).toMatchObject({ changed: false, audit: [{ new: true }] })
    // a unique name works; an untrusted repository stays so with --off
    expect(json("repo", "trust", "api", "--off")).toMatchObject({ changed: false, repo: { settings: { trusted: false } }, audit: [] })

    expect(json("repo", "trust", web.id, "--off")).toMatchObject({ changed: true, repo: { settings: { trusted: false } } })
    const audit = json("repo", "audit", web.id)
    expect(audit.items.map((a: { old: boolean; new: boolean }) => [a.old, a.new])).toEqual([[false, true], [true, false]])
    expect(ratchet("repo", "audit", web.id, "--data", data).stdout).toContain("repository.trusted")
    // the other organisation's repository of the same name was never touched
    expect((json("repo", "list", "--org", "beta").items as Array<Repo>)[0]!.settings.trusted).toBe(false)
    expect(json("repo", "audit", betaWeb.id).items).toEqual([])
  }, 180_000)

  it("bad input exits 2 naming what is wrong; a data directory a server holds is refused", () => {
    for (const [args, where] of [
      [["repo", "trust", "repo_nowhere"], "no repository"],
      [["repo", "audit", "nowhere"], "ratchet repo list"],
      [["repo", "list", "--org", "nowhere"], "nowhere"]
    ] as const) {
      const r = ratchet(...args, "--data", data)
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2)
      expect(r.stderr, args.join(" ")).toContain(where)
    }
    writeFileSync(join(data, "server.pid"), JSON.stringify({ pid: process.pid, host: "test", startedAt: new Date().toISOString() }))
    try {
      const r = ratchet("repo", "trust", "api", "--data", data)
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("PATCH /api/repos/:id/settings")
    } finally {
      rmSync(join(data, "server.pid"), { force: true })
    }
  }, 120_000)
})
