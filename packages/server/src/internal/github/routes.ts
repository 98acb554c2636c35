/**
 * API routes for source connectors and stored provider keys:
 *
 * - `POST /api/connectors`, `GET /api/connectors`, `GET /api/connectors/{id}`, `PATCH /api/connectors/{id}`
 * - `POST /api/connectors/{id}/validate` — checks the credentials against a repository (the body's
 *   `repo`, else every repository using the connector) and says what is missing
 * - `PUT /api/repos/{id}/connector` — which connector a repository uses
 * - `GET /api/providers`, `PUT /api/providers/{name}/key`, `DELETE /api/providers/{name}/key`
 *
 * Secrets go into the encrypted secrets table and never come back out of the API.
 *
 * @internal
 */
import { Registry } from "@ratchet/providers"
import { Effect } from "effect"
import type { Context as HonoContext, Hono } from "hono"
import { invalid, type ServerError } from "../../ServerError.js"
import type { Runs } from "../../Runs.js"
import { Store } from "../../Store.js"
import { connectorOwner } from "../store/connectors.js"
import { connectorBody, connectorView, DEFAULT_CONFIG, githubName, type LiveOptions, liveConnector, SECRET_NAMES } from "./connectors.js"

/** What the routes borrow from the API. */
export interface RouteKit<E extends { Variables: { principal: { readonly orgId: string } } }> {
  readonly respond: <A>(c: HonoContext<E>, effect: Effect.Effect<A, ServerError, Store | Runs>, ok: (a: A) => Response | Promise<Response>) => Promise<Response>
  readonly readJson: (c: HonoContext<E>) => Promise<{ ok: true; value: unknown } | { ok: false; res: Response }>
  readonly invalid: (c: HonoContext<E>, error: ServerError) => Response
  readonly allowPrivateUrls: boolean
  readonly github?: LiveOptions
}

/** The provider secrets owner name. */
export const providerOwner = (provider: string) => `provider:${provider}`

/** Registers the connector and provider-key routes. */
export const connectorRoutes = <E extends { Variables: { principal: { readonly orgId: string } } }>(app: Hono<E>, kit: RouteKit<E>): void => {
  const org = (c: HonoContext<E>) => c.get("principal").orgId

  app.post("/api/connectors", async (c) => {
    const body = await kit.readJson(c)
    if (!body.ok) return body.res
    const v = connectorBody(body.value, { creating: true, allowPrivateUrls: kit.allowPrivateUrls })
    if (!v.ok) return kit.invalid(c, v.error)
    const input = v.value
    return kit.respond(
      c,
      Effect.gen(function* () {
        const store = yield* Store
        const orgId = org(c)
        // nothing is created when the secrets cannot be sealed
        yield* store.canSealSecrets
        const created = yield* store.createConnector(orgId, { name: input.name ?? "github", auth: input.auth ?? "token", config: { ...DEFAULT_CONFIG, ...input.config } })
        for (const name of SECRET_NAMES) {
          const value = input.secrets[name]
          if (value !== undefined) yield* store.putSecret(orgId, connectorOwner(created.id), name, value)
        }
        return yield* store.getConnector(orgId, created.id)
      }),
      (connector) => {
        c.header("Location", `/api/connectors/${connector.id}`)
        return c.json(connectorView(connector), 201)
      }
    )
  })
  app.get("/api/connectors", (c) => kit.respond(c, Store.use((s) => s.listConnectors(org(c))), (list) => c.json({ items: list.map(connectorView) })))
  app.get("/api/connectors/:id", (c) => kit.respond(c, Store.use((s) => s.getConnector(org(c), c.req.param("id"))), (connector) => c.json(connectorView(connector))))
  app.patch("/api/connectors/:id", async (c) => {
    const body = await kit.readJson(c)
    if (!body.ok) return body.res
    const orgId = org(c)
    const id = c.req.param("id")
    return kit.respond(
      c,
      Effect.gen(function* () {
        const store = yield* Store
        const existing = yield* store.getConnector(orgId, id)
        const v = connectorBody(body.value, { creating: false, auth: existing.auth, allowPrivateUrls: kit.allowPrivateUrls })
        if (!v.ok) return yield* Effect.fail(v.error)
        for (const name of SECRET_NAMES) {
          const value = v.value.secrets[name]
          if (value !== undefined) yield* store.putSecret(orgId, connectorOwner(id), name, value)
        }
        return yield* store.updateConnector(orgId, id, { ...(v.value.name === undefined ? {} : { name: v.value.name }), config: { ...existing.config, ...v.value.config } })
      }),
      (connector) => c.json(connectorView(connector))
    )
  })
  app.post("/api/connectors/:id/validate", async (c) => {
    const body = await kit.readJson(c)
    if (!body.ok) return body.res
    const value = body.value
    const asked = typeof value === "object" && value !== null && !Array.isArray(value) ? Reflect.get(value, "repo") : undefined
    if (asked !== undefined && (typeof asked !== "string" || !/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/.test(asked))) {
      return kit.invalid(c, invalid("repo", 'must be "owner/name"'))
    }
    const orgId = org(c)
    return kit.respond(
      c,
      Effect.gen(function* () {
        const store = yield* Store
        const connector = yield* store.getConnector(orgId, c.req.param("id"))
        let targets: ReadonlyArray<string>
        if (typeof asked === "string") targets = [asked]
        else {
          const repos = yield* store.listRepos(orgId)
          const mine: Array<string> = []
          for (const repo of repos) {
            const used = yield* store.connectorOfRepo(orgId, repo.id)
            const name = githubName(repo.url)
            if (used?.id === connector.id && name !== null) mine.push(name)
          }
          targets = mine
        }
        if (targets.length === 0) {
          return yield* Effect.fail(invalid("repo", "no repository uses this connector yet; pass {\"repo\": \"owner/name\"} to check one"))
        }
        const github = yield* liveConnector(connector, kit.github)
        const results = []
        for (const repo of targets) {
          const access = yield* github.validate(repo).pipe(
            Effect.catch((e) => Effect.succeed({ ok: false, auth: connector.auth, identity: null, checks: [{ name: "github", ok: false, detail: e.message }], missing: [`a working connection to GitHub: ${e.message}`] }))
          )
          results.push({ repo, ...access })
        }
        const missingWebhookSecret = !connector.secrets.includes("webhookSecret")
        return {
          connector: connector.id,
          ok: results.every((r) => r.ok),
          results,
          warnings: missingWebhookSecret ? ["no webhookSecret: webhook deliveries for this connector cannot be verified and are refused"] : []
        }
      }),
      (result) => c.json(result)
    )
  })
  app.put("/api/repos/:id/connector", async (c) => {
    const body = await kit.readJson(c)
    if (!body.ok) return body.res
    const value = body.value
    const connectorId = typeof value === "object" && value !== null && !Array.isArray(value) ? Reflect.get(value, "connectorId") : undefined
    if (connectorId !== null && typeof connectorId !== "string") return kit.invalid(c, invalid("connectorId", "must be a connector id, or null for the default"))
    return kit.respond(c, Store.use((s) => s.linkConnector(org(c), c.req.param("id"), connectorId)), () => c.json({ repoId: c.req.param("id"), connectorId }))
  })

  // --- provider API keys, stored encrypted
  const providers = Object.keys(Registry.BUILTIN)
  app.get("/api/providers", (c) =>
    kit.respond(
      c,
      Effect.gen(function* () {
        const store = yield* Store
        const items = []
        for (const name of providers) {
          const stored = (yield* store.secretNames(org(c), providerOwner(name))).includes("apiKey")
          const variables = Registry.BUILTIN[name]?.keyVariables ?? []
          items.push({ name, key: stored ? "stored" : variables.some((v) => (process.env[v] ?? "") !== "") ? "environment" : variables.length === 0 ? "not-needed" : "missing", variables })
        }
        return items
      }),
      (items) => c.json({ items })
    )
  )
  app.put("/api/providers/:name/key", async (c) => {
    const name = c.req.param("name")
    if (!providers.includes(name)) return kit.invalid(c, invalid("name", `unknown provider ${JSON.stringify(name)}; one of ${providers.join(", ")}`))
    const body = await kit.readJson(c)
    if (!body.ok) return body.res
    const key = typeof body.value === "object" && body.value !== null ? Reflect.get(body.value, "apiKey") : undefined
    if (typeof key !== "string" || key.trim() === "" || key.length > 1000) return kit.invalid(c, invalid("apiKey", "required: the provider's API key"))
    return kit.respond(c, Store.use((s) => s.putSecret(org(c), providerOwner(name), "apiKey", key.trim())), () => c.json({ name, key: "stored" }))
  })
  app.delete("/api/providers/:name/key", (c) =>
    kit.respond(c, Store.use((s) => s.deleteSecret(org(c), providerOwner(c.req.param("name")), "apiKey")), () => c.body(null, 204))
  )
}

/**
 * The stored provider API keys of an organisation, by provider (for runs that use a model).
 */
export const providerKeys = (orgId: string): Effect.Effect<Readonly<Record<string, string>>, ServerError, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    const keys: Record<string, string> = {}
    for (const name of Object.keys(Registry.BUILTIN)) {
      const key = yield* store.getSecret(orgId, providerOwner(name), "apiKey")
      if (key !== null) keys[name] = key
    }
    return keys
  })
