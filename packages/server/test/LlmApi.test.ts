import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, realpathSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Duration, ManagedRuntime } from "effect"
import * as Api from "../src/Api.js"
import * as Server from "../src/Server.js"
import { Pipeline } from "@ratchet/core"
import { Store } from "../src/Store.js"

const KEY = "sk-proj-ServerSideKeyNeverShown0123456789abcdefgh"
const runtime = ManagedRuntime.make(Server.layer({ dataDir: "memory://", stages: Pipeline.Stages.layerTest({ delay: Duration.millis(5) }), scheduler: false }))
// Local repositories must be git work trees under an allowed root.
const srv = realpathSync(mkdtempSync(join(tmpdir(), "ratchet-llm-api-srv-")))
mkdirSync(join(srv, "llm-repo"))
execFileSync("git", ["init", "-q"], { cwd: join(srv, "llm-repo") })
const app = Api.make(runtime, { log: () => undefined, repoRoots: [srv], llmEnv: { OPENAI_API_KEY: KEY, ANTHROPIC_API_KEY: "" } })
const token = "rat_llm_api_token_0123456789"

beforeAll(async () => {
  await runtime.runPromise(Store.use((s) => s.bootstrap(token)))
}, 60_000)
afterAll(() => runtime.dispose())

const req = (method: string, path: string, body?: unknown, auth = true) =>
  app.request(path, {
    method,
    headers: { ...(auth ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })

describe("GET /api/llm/models and the repository's model settings", () => {
  it("needs a token like every /api route", async () => {
    expect((await req("GET", "/api/llm/models", undefined, false)).status).toBe(401)
  })

  it("lists the providers, whether each has a key, their models with prices; never a key", async () => {
    const res = await req("GET", "/api/llm/models")
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).not.toContain(KEY)
    const body = JSON.parse(text) as { providers: Array<{ provider: string; configured: boolean; keyVariables: Array<string>; models: Array<{ id: string; price: unknown }> }> }
    const by = Object.fromEntries(body.providers.map((p) => [p.provider, p]))
    expect(by.openai?.configured).toBe(true)
    expect(by.anthropic?.configured).toBe(false) // set but empty
    expect(by.google).toMatchObject({ configured: false, keyVariables: ["GEMINI_API_KEY", "GOOGLE_API_KEY"] })
    expect(by["openai-compatible"]?.configured).toBe(true) // local servers need no key
    expect(by.openai?.models).toContainEqual({ id: "gpt-5-mini", spec: "openai:gpt-5-mini", price: expect.objectContaining({ input: 0.25, output: 2 }) })
  })

  it("settings accept known providers only, and an endpoint for openai-compatible; the repository's model is then listed", async () => {
    const created = await req("POST", "/api/repos", { name: "llm-repo", path: join(srv, "llm-repo") })
    expect(created.status).toBe(201)
    const repo = (await created.json()) as { id: string }
    const unknown = await req("PATCH", `/api/repos/${repo.id}/settings`, { provider: "mistral", model: "large" })
    expect(unknown.status).toBe(400)
    expect(((await unknown.json()) as any).error).toMatchObject({ field: "provider", message: expect.stringContaining("openai-compatible") })
    const noUrl = await req("PATCH", `/api/repos/${repo.id}/settings`, { provider: "openai-compatible", model: "qwen2.5-coder:7b" })
    expect(noUrl.status).toBe(400)
    expect(((await noUrl.json()) as any).error.field).toBe("model")
    const ok = await req("PATCH", `/api/repos/${repo.id}/settings`, { provider: "openai-compatible", model: "qwen2.5-coder:7b@http://127.0.0.1:11434/v1" })
    expect(ok.status).toBe(200)
    const models = (await (await req("GET", "/api/llm/models")).json()) as any
    expect(models.repositories).toEqual([{ id: repo.id, name: "llm-repo", spec: "openai-compatible:qwen2.5-coder:7b@http://127.0.0.1:11434/v1", configured: true }])
    expect(models.providers.find((p: any) => p.provider === "openai-compatible").models.map((m: any) => m.spec)).toContain(
      "openai-compatible:qwen2.5-coder:7b@http://127.0.0.1:11434/v1"
    )
  })

  it("settings carry the repository's LLM budgets (null: none); bad ones are refused naming the field", async () => {
    const repos = (await (await req("GET", "/api/repos")).json()) as any
    const id = repos.items[0].id as string
    const set = await req("PATCH", `/api/repos/${id}/settings`, { budgets: { llmUsdPerRun: 0.5, llmUsdPerDay: 5, llmTokensPerRun: 200_000, llmTokensPerDay: null } })
    expect(set.status).toBe(200)
    expect(((await set.json()) as any).settings.budgets).toMatchObject({ llmUsdPerRun: 0.5, llmUsdPerDay: 5, llmTokensPerRun: 200_000, llmTokensPerDay: null })
    // absent fields stay; null clears
    const cleared = await req("PATCH", `/api/repos/${id}/settings`, { budgets: { llmUsdPerRun: null } })
    expect(((await cleared.json()) as any).settings.budgets).toMatchObject({ llmUsdPerRun: null, llmUsdPerDay: 5, llmTokensPerRun: 200_000 })
    for (const [field, value] of [["llmUsdPerRun", -1], ["llmUsdPerDay", "5"], ["llmTokensPerRun", 1.5], ["llmTokensPerDay", -3]] as const) {
      const bad = await req("PATCH", `/api/repos/${id}/settings`, { budgets: { [field]: value } })
      expect(bad.status, field).toBe(400)
      expect(((await bad.json()) as any).error.field).toBe(`budgets.${field}`)
    }
  })

  it("is described in the OpenAPI document", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as any
    expect(doc.paths["/api/llm/models"].get.summary).toContain("LLM providers")
  })
})
