import { generateKeyPairSync, randomBytes } from "node:crypto"
import { Pipeline } from "@ratchet/core"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, ManagedRuntime, Scope } from "effect"
import { fakeGitHub } from "../../connectors/test/fakeGitHub.js"
import * as Api from "../src/Api.js"
import * as Secrets from "../src/Secrets.js"
import * as Server from "../src/Server.js"
import { Store } from "../src/Store.js"

const keyring = Secrets.keyringFromEnv({ RATCHET_SECRET_KEY: randomBytes(32).toString("base64") })
const runtime = ManagedRuntime.make(Server.layer({ dataDir: "memory://", secretKeyring: keyring, stages: Pipeline.Stages.layerTest({ delay: Duration.millis(1) }), scheduler: false }))
const app = Api.make(runtime, { log: () => {}, allowPrivateUrls: true, github: { retryBaseMs: 10, maxWaitMs: 2_000 } })
const TOKEN = "rat_github_connectors_test"
const PAT = `ghp_${"ConnectorsTest".repeat(3)}`
const keys = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } })

const scope = Effect.runSync(Scope.make())
let gh: Effect.Success<ReturnType<typeof fakeGitHub>>

beforeAll(async () => {
  await runtime.runPromise(Store.use((s) => s.bootstrap(TOKEN)))
  gh = await Effect.runPromise(
    fakeGitHub({ "a.js": "1\n" }, { private: true, tokens: { [PAT]: { login: "alice", scopes: "repo" }, weak: { login: "bob", scopes: "public_repo" } }, app: { id: 4711, publicKey: keys.publicKey, installationId: 9 } }).pipe(
      Scope.provide(scope)
    )
  )
}, 120_000)
afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
  await runtime.dispose()
})

const req = async (method: string, path: string, body?: unknown) => {
  const res = await app.request(path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  return { status: res.status, body: text === "" ? null : JSON.parse(text) }
}

describe("GitHub connectors on the server", () => {
  it("creates a token connector (secrets never shown) and validates it against a repository", async () => {
    const created = await req("POST", "/api/connectors", { name: "pat", auth: "token", token: PAT, webhookSecret: "w", baseUrl: gh.url, cloneBaseUrl: gh.url })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ name: "pat", kind: "github", auth: "token", draft: true, label: "ratchet", secrets: ["token", "webhookSecret"], baseUrl: gh.url })
    expect(JSON.stringify(created.body)).not.toContain(PAT)
    const checked = await req("POST", `/api/connectors/${created.body.id}/validate`, { repo: "octo/app" })
    expect(checked.status).toBe(200)
    expect(checked.body).toMatchObject({ ok: true, results: [{ repo: "octo/app", ok: true, identity: "alice", missing: [] }], warnings: [] })

    // a weaker token: the missing scope is named; the patch keeps the name and configuration
    const patched = await req("PATCH", `/api/connectors/${created.body.id}`, { token: "weak", draft: false })
    expect(patched.body).toMatchObject({ name: "pat", draft: false, baseUrl: gh.url })
    const weak = await req("POST", `/api/connectors/${created.body.id}/validate`, { repo: "octo/app" })
    expect(weak.body.ok).toBe(false)
    expect(weak.body.results[0].missing).toEqual(["the repo scope on the classic token (it has: public_repo)"])
  })

  it("an App connector is validated through its installation; a repository without one says so", async () => {
    const created = await req("POST", "/api/connectors", { name: "app", auth: "app", appId: 4711, privateKey: keys.privateKey, baseUrl: gh.url, cloneBaseUrl: gh.url })
    expect(created.status).toBe(201)
    expect(created.body.secrets).toEqual(["privateKey"])
    const ok = await req("POST", `/api/connectors/${created.body.id}/validate`, { repo: "octo/app" })
    expect(ok.body).toMatchObject({ ok: true, results: [{ auth: "app", identity: "ratchet-test" }], warnings: [expect.stringContaining("no webhookSecret")] })
    const elsewhere = await req("POST", `/api/connectors/${created.body.id}/validate`, { repo: "octo/other" })
    expect(elsewhere.body.ok).toBe(false)
    expect(elsewhere.body.results[0].missing[0]).toContain("an installation of the App ratchet-test on octo/other")
  })

  it("refuses bad bodies with the field and what to do", async () => {
    const cases: ReadonlyArray<[unknown, string]> = [
      [{ name: "x", auth: "token" }, "token"],
      [{ name: "x", auth: "app", appId: 1 }, "privateKey"],
      [{ name: "x", auth: "app", appId: 1, privateKey: "not a key" }, "privateKey"],
      [{ name: "x", auth: "token", token: "t", baseUrl: "http://example.com" }, "baseUrl"],
      [{ name: "x", auth: "token", token: "t", baseUrl: "https://user:pw@example.com" }, "baseUrl"],
      [{ name: "x", auth: "password" }, "auth"],
      [{ name: "x", auth: "token", token: "t", extra: 1 }, "extra"],
      [{ name: "../x", auth: "token", token: "t" }, "name"]
    ]
    for (const [body, field] of cases) {
      const res = await req("POST", "/api/connectors", body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.error.field).toBe(field)
    }
    expect((await req("POST", "/api/connectors/conn_missing/validate", { repo: "octo/app" })).status).toBe(404)
    expect((await req("PUT", "/api/providers/nope/key", { apiKey: "x" })).status).toBe(400)
  })
})
