import { spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Pipeline } from "@ratchet/core"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Duration, Exit, ManagedRuntime } from "effect"
import * as Api from "../src/Api.js"
import * as Secrets from "../src/Secrets.js"
import * as Server from "../src/Server.js"
import { Store } from "../src/Store.js"

const K1 = randomBytes(32).toString("base64")
const K2 = randomBytes(32).toString("hex")
const ring = (env: Record<string, string>) => Secrets.keyringFromEnv(env)

const PAT = `ghp_${"Sealed5ecretValue".repeat(2)}XY`
const WEBHOOK = "whsec-plaintext-never-on-disk-7f3a"
const OPENAI = `sk-proj-${"OpenAiKeyAtRest".repeat(3)}`

const dirs: Array<string> = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** Every file of the data directory, as bytes read as latin1 (a plaintext would show as is). */
const everything = (dir: string): string =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f).toString("latin1"))
    .join("\n")

const open = (dataDir: string, keyring: Secrets.Keyring) => {
  const runtime = ManagedRuntime.make(Server.layer({ dataDir, secretKeyring: keyring, stages: Pipeline.Stages.layerTest({ delay: Duration.millis(1) }), scheduler: false }))
  const app = Api.make(runtime, { log: () => {} })
  const req = (token: string) => (method: string, path: string, body?: unknown) =>
    app.request(path, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  return { runtime, app, req }
}

describe("Secrets (AES-256-GCM)", () => {
  it("seals with a fresh nonce, binds the ciphertext to its row, and names the key by id", () => {
    const keyring = ring({ RATCHET_SECRET_KEY: K1 })
    const key = keyring.current as Secrets.Key
    expect(key.id).toMatch(/^k[0-9a-f]{16}$/)
    expect(key.id).not.toContain(K1)
    const a = Secrets.seal(key, PAT, "org\0connector:c1\0token")
    const b = Secrets.seal(key, PAT, "org\0connector:c1\0token")
    expect(Buffer.from(a.ciphertext).equals(Buffer.from(b.ciphertext))).toBe(false)
    expect(Secrets.open(keyring, a, "org\0connector:c1\0token")).toBe(PAT)
    // moved to another row, or one byte changed: refused
    expect(Secrets.open(keyring, a, "org\0connector:c2\0token")).toBe("tampered")
    const flipped = new Uint8Array(a.ciphertext)
    flipped[0] ^= 1
    expect(Secrets.open(keyring, { ...a, ciphertext: flipped }, "org\0connector:c1\0token")).toBe("tampered")
    expect(Secrets.open(ring({ RATCHET_SECRET_KEY: K2 }), a, "org\0connector:c1\0token")).toBe("unknown-key")
    expect(Secrets.open(ring({ RATCHET_SECRET_KEY: K2, RATCHET_SECRET_KEY_PREVIOUS: K1 }), a, "org\0connector:c1\0token")).toBe(PAT)
  })

  it("a malformed key is a problem that names the variable and how to make one", () => {
    expect(ring({}).current).toBeNull()
    expect(ring({ RATCHET_SECRET_KEY: "hunter2" }).problem).toContain("RATCHET_SECRET_KEY must be 32 random bytes")
    expect(ring({ RATCHET_SECRET_KEY: K1, RATCHET_SECRET_KEY_PREVIOUS: "short" }).problem).toContain("RATCHET_SECRET_KEY_PREVIOUS (entry 1)")
    expect(ring({ RATCHET_SECRET_KEY: randomBytes(16).toString("base64") }).problem).toContain("openssl rand -base64 32")
  })
})

describe("secrets at rest in the server", () => {
  it("are unreadable in the database files, readable through the store, and survive a key rotation", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "ratchet-secrets-"))
    dirs.push(dataDir)
    const first = open(dataDir, ring({ RATCHET_SECRET_KEY: K1 }))
    await first.runtime.runPromise(Store.use((s) => s.bootstrap("rat_secrets_test_token_1")))
    const req = first.req("rat_secrets_test_token_1")
    const created = await req("POST", "/api/connectors", { name: "gh", auth: "token", token: PAT, webhookSecret: WEBHOOK })
    expect(created.status, await created.clone().text()).toBe(201)
    const view = (await created.json()) as { id: string; secrets: Array<string> }
    expect(view.secrets).toEqual(["token", "webhookSecret"])
    expect(JSON.stringify(view)).not.toContain(PAT)
    expect((await req("PUT", "/api/providers/openai/key", { apiKey: OPENAI })).status).toBe(200)
    const providers = (await (await req("GET", "/api/providers")).json()) as { items: Array<{ name: string; key: string }> }
    expect(providers.items.find((p) => p.name === "openai")?.key).toBe("stored")
    expect(JSON.stringify(providers)).not.toContain(OPENAI)
    const orgId = (await first.runtime.runPromise(Store.use((s) => s.authenticate("rat_secrets_test_token_1"))))?.orgId as string
    expect(await first.runtime.runPromise(Store.use((s) => s.getSecret(orgId, `connector:${view.id}`, "token")))).toBe(PAT)
    await first.runtime.dispose()

    // the plaintexts appear nowhere in the data directory (tables, WAL, anything PGlite wrote)
    const files = everything(dataDir)
    expect(files.length).toBeGreaterThan(100_000)
    // the tables did reach the disk: the connector's non-secret configuration is there in plain text
    expect(files).toContain("https://api.github.com")
    for (const plain of [PAT, WEBHOOK, OPENAI]) {
      expect(files).not.toContain(plain)
      expect(files).not.toContain(Buffer.from(plain).toString("base64"))
      expect(files).not.toContain(Buffer.from(plain).toString("hex"))
    }

    // without the key the server refuses to start, saying why
    const noKey = open(dataDir, ring({}))
    const refused = await noKey.runtime.runPromiseExit(Store.use((s) => Server.checkSecrets(s, ring({}))))
    await noKey.runtime.dispose()
    expect(Exit.isFailure(refused)).toBe(true)
    expect(String(Exit.isFailure(refused) ? refused.cause : "")).toContain("3 encrypted secrets (connector credentials, provider keys) exist but RATCHET_SECRET_KEY is not set")

    // rotation: the new key with the old one as previous re-encrypts everything
    const rotated = ring({ RATCHET_SECRET_KEY: K2, RATCHET_SECRET_KEY_PREVIOUS: K1 })
    const second = open(dataDir, rotated)
    expect(await second.runtime.runPromise(Store.use((s) => Server.checkSecrets(s, rotated)))).toBe(3)
    const inventory = await second.runtime.runPromise(Store.use((s) => s.secretInventory))
    expect(inventory).toEqual([{ keyId: (rotated.current as Secrets.Key).id, count: 3 }])
    await second.runtime.dispose()

    // the old key alone no longer opens them; the new key alone does
    const oldOnly = ring({ RATCHET_SECRET_KEY: K1 })
    const third = open(dataDir, oldOnly)
    const stale = await third.runtime.runPromiseExit(Store.use((s) => Server.checkSecrets(s, oldOnly)))
    await third.runtime.dispose()
    expect(String(Exit.isFailure(stale) ? stale.cause : "")).toContain("RATCHET_SECRET_KEY_PREVIOUS to rotate")
    const newOnly = ring({ RATCHET_SECRET_KEY: K2 })
    const fourth = open(dataDir, newOnly)
    expect(await fourth.runtime.runPromise(Store.use((s) => Server.checkSecrets(s, newOnly)))).toBe(0)
    expect(await fourth.runtime.runPromise(Store.use((s) => s.getSecret(orgId, `connector:${view.id}`, "token")))).toBe(PAT)
    expect(await fourth.runtime.runPromise(Store.use((s) => s.getSecret(orgId, "provider:openai", "apiKey")))).toBe(OPENAI)
    await fourth.runtime.dispose()
    expect(everything(dataDir)).not.toContain(PAT)
  })

  it("ratchet serve exits 2 with the reason when encrypted secrets exist and the key is missing", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "ratchet-secrets-cli-"))
    dirs.push(dataDir)
    const seeded = open(dataDir, ring({ RATCHET_SECRET_KEY: K1 }))
    await seeded.runtime.runPromise(Store.use((s) => s.bootstrap("rat_secrets_test_token_2")))
    expect((await seeded.req("rat_secrets_test_token_2")("PUT", "/api/providers/anthropic/key", { apiKey: "sk-ant-abcdefghijklmnopqrstuvwxyz" })).status).toBe(200)
    await seeded.runtime.dispose()
    const bin = join(import.meta.dirname, "..", "dist", "bin.js")
    const env = { ...process.env, RATCHET_SECRET_KEY: "", RATCHET_TOKEN: "rat_secrets_test_token_2", RATCHET_LOG: "off" }
    const result = spawnSync(process.execPath, [bin, "serve", "--data", dataDir, "--port", "0"], { encoding: "utf8", timeout: 60_000, env })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain("RATCHET_SECRET_KEY is not set")
    expect(result.stderr).toContain("refusing to start")
    const bad = spawnSync(process.execPath, [bin, "serve", "--data", dataDir, "--port", "0"], { encoding: "utf8", timeout: 60_000, env: { ...env, RATCHET_SECRET_KEY: "not-a-key" } })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain("openssl rand -base64 32")
  })

  it("without a key, connector credentials are refused and nothing is created", async () => {
    const { runtime, req } = open("memory://", ring({}))
    await runtime.runPromise(Store.use((s) => s.bootstrap("rat_secrets_test_token_3")))
    const res = await req("rat_secrets_test_token_3")("POST", "/api/connectors", { name: "gh", auth: "token", token: PAT })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("RATCHET_SECRET_KEY")
    expect(((await (await req("rat_secrets_test_token_3")("GET", "/api/connectors")).json()) as { items: Array<unknown> }).items).toEqual([])
    await runtime.dispose()
  })
})
