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
import type { Context as HonoContext, Hono, MiddlewareHandler } from "hono"
import type { Env } from "../../Api.js"
import { invalid, notFound, type ServerError } from "../../ServerError.js"
import type { Runs } from "../../Runs.js"
import { type PullRequest, Store, type Task } from "../../Store.js"
import { connectorOwner } from "../store/connectors.js"
import { processDelivery, receive } from "./work.js"
import { connectorBody, connectorView, DEFAULT_CONFIG, githubName, type LiveOptions, liveConnector, providerOwner, SECRET_NAMES } from "./connectors.js"

/** What the routes borrow from the API. */
export interface RouteKit<E extends { Variables: { principal: { readonly orgId: string } } }> {
  readonly respond: <A>(c: HonoContext<E>, effect: Effect.Effect<A, ServerError, Store | Runs>, ok: (a: A) => Response | Promise<Response>) => Response | Promise<Response>
  readonly readJson: (c: HonoContext<E>) => Promise<{ ok: true; value: unknown } | { ok: false; res: Response }>
  readonly invalid: (c: HonoContext<E>, error: ServerError) => Response
  readonly allowPrivateUrls: boolean
  readonly github?: LiveOptions
  /** The scope check of a route (a middleware). */
  readonly scope: (needed: "read" | "run" | "approve" | "publish" | "admin") => MiddlewareHandler
  /** Runs an effect without waiting for it (webhook processing after the answer). */
  readonly background: (effect: Effect.Effect<void, never, Store | Runs>) => void
}

/**
 * `POST /api/webhooks/github`: no bearer token — the `X-Hub-Signature-256` signature (HMAC of the raw
 * body with a connector's webhook secret) authenticates it, and is checked before anything is
 * parsed. Answers 202 once the delivery is recorded (processing follows in the background), 200 for
 * a delivery id seen before, 401 for a bad signature (nothing recorded), 400 for missing headers.
 */
export const webhookRoute = (app: Hono<Env>, kit: RouteKit<Env>): void => {
  app.post("/api/webhooks/github", async (c) => {
    const body = await c.req.text()
    const input = { event: c.req.header("x-github-event"), delivery: c.req.header("x-github-delivery"), signature: c.req.header("x-hub-signature-256"), body }
    return kit.respond(c, receive(input), (received) => {
      if (received.status === 202 && input.delivery !== undefined) kit.background(processDelivery(input.delivery, kit.github === undefined ? {} : { github: kit.github }))
      return c.json(received.body, received.status)
    })
  })
}

/** Registers the connector and provider-key routes. */
export const connectorRoutes = (app: Hono<Env>, kit: RouteKit<Env>): void => {
  const org = (c: HonoContext<Env>) => c.get("principal").orgId

  app.post("/api/connectors", kit.scope("admin"), async (c) => {
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
  app.get("/api/connectors", kit.scope("read"), (c) => kit.respond(c, Store.use((s) => s.listConnectors(org(c))), (list) => c.json({ items: list.map(connectorView) })))
  app.get("/api/connectors/:id", kit.scope("read"), (c) => kit.respond(c, Store.use((s) => s.getConnector(org(c), c.req.param("id"))), (connector) => c.json(connectorView(connector))))
  app.patch("/api/connectors/:id", kit.scope("admin"), async (c) => {
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
  app.post("/api/connectors/:id/validate", kit.scope("admin"), async (c) => {
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
  app.put("/api/repos/:id/connector", kit.scope("admin"), async (c) => {
    const body = await kit.readJson(c)
    if (!body.ok) return body.res
    const value = body.value
    const connectorId = typeof value === "object" && value !== null && !Array.isArray(value) ? Reflect.get(value, "connectorId") : undefined
    if (connectorId !== null && typeof connectorId !== "string") return kit.invalid(c, invalid("connectorId", "must be a connector id, or null for the default"))
    return kit.respond(c, Store.use((s) => s.linkConnector(org(c), c.req.param("id"), connectorId)), () => c.json({ repoId: c.req.param("id"), connectorId }))
  })

  // --- provider API keys, stored encrypted
  const providers = Object.keys(Registry.BUILTIN)
  app.get("/api/providers", kit.scope("read"), (c) =>
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
  app.put("/api/providers/:name/key", kit.scope("admin"), async (c) => {
    const name = c.req.param("name")
    if (!providers.includes(name)) return kit.invalid(c, invalid("name", `unknown provider ${JSON.stringify(name)}; one of ${providers.join(", ")}`))
    const body = await kit.readJson(c)
    if (!body.ok) return body.res
    const key = typeof body.value === "object" && body.value !== null ? Reflect.get(body.value, "apiKey") : undefined
    if (typeof key !== "string" || key.trim() === "" || key.length > 1000) return kit.invalid(c, invalid("apiKey", "required: the provider's API key"))
    return kit.respond(c, Store.use((s) => s.putSecret(org(c), providerOwner(name), "apiKey", key.trim())), () => c.json({ name, key: "stored" }))
  })
  app.delete("/api/providers/:name/key", kit.scope("admin"), (c) =>
    kit.respond(c, Store.use((s) => s.deleteSecret(org(c), providerOwner(c.req.param("name")), "apiKey")), () => c.body(null, 204))
  )
}


const taskView = (t: Task, pr: PullRequest | null) => ({ ...t, orgId: undefined, pullRequest: pr })

/** `POST /api/repos/{id}/tasks`, `GET /api/repos/{id}/tasks`, `GET /api/tasks/{id}`, `GET /api/proposals/{id}/pull-request`. */
export const taskRoutes = (app: Hono<Env>, kit: RouteKit<Env>): void => {
  const org = (c: HonoContext<Env>) => c.get("principal").orgId
  app.post("/api/repos/:id/tasks", kit.scope("run"), async (c) => {
    const body = await kit.readJson(c)
    if (!body.ok) return body.res
    const v = taskBody(body.value)
    if (!v.ok) return kit.invalid(c, v.error)
    return kit.respond(
      c,
      Effect.gen(function* () {
        const store = yield* Store
        const repo = yield* store.getRepo(org(c), c.req.param("id"))
        return yield* store.createTask({ orgId: repo.orgId, repoId: repo.id, instruction: v.value.instruction, paths: v.value.paths, source: { via: "api", connectorId: null, deliveryId: null, repo: githubName(repo.url), issue: null, commentId: null, sender: null } })
      }),
      (task) => {
        c.header("Location", `/api/tasks/${task.id}`)
        return c.json(taskView(task, null), 202)
      }
    )
  })
  app.get("/api/repos/:id/tasks", kit.scope("read"), (c) =>
    kit.respond(c, Effect.gen(function* () {
      const store = yield* Store
      const repo = yield* store.getRepo(org(c), c.req.param("id"))
      return yield* store.listTasks(repo.orgId, repo.id)
    }), (tasks) => c.json({ items: tasks.map((t) => taskView(t, null)) }))
  )
  app.get("/api/tasks/:id", kit.scope("read"), (c) =>
    kit.respond(c, Effect.gen(function* () {
      const store = yield* Store
      const task = yield* store.getTask(org(c), c.req.param("id"))
      const pr = task.proposalId === null ? null : yield* store.getPullRequest(task.proposalId)
      return taskView(task, pr)
    }), (view) => c.json(view))
  )
  app.get("/api/proposals/:id/pull-request", kit.scope("read"), (c) =>
    kit.respond(c, Effect.gen(function* () {
      const store = yield* Store
      const proposal = yield* store.getProposal(org(c), c.req.param("id"))
      const pr = yield* store.getPullRequest(proposal.id)
      if (pr === null) return yield* Effect.fail(notFound("pull request of proposal", proposal.id))
      return pr
    }), (pr) => c.json(pr))
  )
}

type V<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: ServerError }

/** A task body: `{ instruction, paths? }`. */
export const taskBody = (body: unknown): V<{ readonly instruction: string; readonly paths: ReadonlyArray<string> }> => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, error: invalid("body", 'expected {"instruction": "make parse() faster", "paths": ["src/parse.ts"]}') }
  const extra = Object.keys(body).find((k) => k !== "instruction" && k !== "paths")
  if (extra !== undefined) return { ok: false, error: invalid(extra, "unknown field; allowed: instruction, paths") }
  const instruction = Reflect.get(body, "instruction")
  if (typeof instruction !== "string" || instruction.trim().length === 0 || instruction.length > 20_000) return { ok: false, error: invalid("instruction", "required: the change to make, in plain words (at most 20000 characters)") }
  const paths = Reflect.get(body, "paths") ?? []
  if (!Array.isArray(paths) || paths.length > 20) return { ok: false, error: invalid("paths", "must be a list of at most 20 repository-relative paths") }
  for (const p of paths) {
    if (typeof p !== "string" || p.length === 0 || p.length > 500 || p.startsWith("/") || p.includes("\0") || p.split("/").includes("..")) {
      return { ok: false, error: invalid("paths", `${JSON.stringify(p)} is not a repository-relative path (no leading /, no ..)`) }
    }
  }
  return { ok: true, value: { instruction: instruction.trim(), paths: paths.filter((p): p is string => typeof p === "string") } }
}
