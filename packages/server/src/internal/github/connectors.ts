/**
 * The server's GitHub connectors: request validation for creating and changing one, and the live
 * `GitHubConnector` built from a stored connector (its secrets opened with the server's key). Live
 * connectors are kept per process while their configuration and secrets are unchanged, so an App's
 * installation tokens stay cached until they near expiry.
 *
 * @internal
 */
import { GitHubConnector } from "@ratchet/connectors"
import { LanguageModel } from "@ratchet/core"
import { Registry } from "@ratchet/providers"
import { Effect } from "effect"
import * as Net from "node:net"
import { invalid, type ServerError } from "../../ServerError.js"
import { type Connector, type GitHubConfig, type Repo, sha256, Store } from "../../Store.js"
import { connectorOwner } from "../store/connectors.js"

type V<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: ServerError }
const ok = <A>(value: A): V<A> => ({ ok: true, value })
const bad = (field: string, detail: string): V<never> => ({ ok: false, error: invalid(field, detail) })
const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** Secret names a GitHub connector may hold. */
export const SECRET_NAMES = ["token", "privateKey", "webhookSecret"] as const
/** One of {@link SECRET_NAMES}. */
export type SecretName = (typeof SECRET_NAMES)[number]

/** A validated request to create or change a connector. */
export interface ConnectorInput {
  readonly name?: string
  readonly auth?: "token" | "app"
  readonly config: Partial<GitHubConfig>
  readonly secrets: Partial<Record<SecretName, string>>
}

/** Defaults of a new GitHub connector. */
export const DEFAULT_CONFIG: GitHubConfig = {
  appId: null,
  installationId: null,
  baseUrl: "https://api.github.com",
  cloneBaseUrl: "https://github.com",
  draft: true,
  label: "ratchet",
  command: "/ratchet",
  writeSpacingMs: 1000
}

const loopback = (host: string) => {
  const h = host.replace(/^\[|\]$/g, "")
  return h === "localhost" || (Net.isIPv4(h) && h.startsWith("127.")) || h === "::1"
}

const urlField = (value: unknown, field: string, allowLoopbackHttp: boolean): V<string> => {
  if (typeof value !== "string" || value.length > 500) return bad(field, "must be a URL string of at most 500 characters")
  let u: URL
  try {
    u = new URL(value)
  } catch {
    return bad(field, `${JSON.stringify(value)} is not a URL`)
  }
  if (u.username !== "" || u.password !== "") return bad(field, "must not carry credentials; give them as token or privateKey")
  if (u.protocol === "https:") return ok(value.replace(/\/+$/, ""))
  if (u.protocol === "http:" && allowLoopbackHttp && loopback(u.hostname)) return ok(value.replace(/\/+$/, ""))
  return bad(field, "must be an https:// URL (GitHub Enterprise: https://HOST/api/v3)")
}

const secretField = (value: unknown, field: string, max: number): V<string> =>
  typeof value === "string" && value.trim().length > 0 && value.length <= max ? ok(value.trim()) : bad(field, `must be a non-empty string of at most ${max} characters`)

/**
 * Validates a connector body. `creating` requires a name, the auth kind and its credential.
 */
export const connectorBody = (body: unknown, options: { readonly creating: boolean; readonly auth?: "token" | "app"; readonly allowPrivateUrls: boolean }): V<ConnectorInput> => {
  if (!isObject(body)) return bad("body", 'expected a JSON object like {"name": "github", "auth": "token", "token": "ghp_…", "webhookSecret": "…"}')
  const allowed = ["name", "kind", "auth", "token", "appId", "privateKey", "installationId", "webhookSecret", "baseUrl", "cloneBaseUrl", "draft", "label", "command", "writeSpacingMs"]
  const extra = Object.keys(body).find((k) => !allowed.includes(k))
  if (extra !== undefined) return bad(extra, `unknown field; allowed: ${allowed.join(", ")}`)
  if (body.kind !== undefined && body.kind !== "github") return bad("kind", 'only "github" connectors exist')
  const config: { -readonly [K in keyof GitHubConfig]?: GitHubConfig[K] } = {}
  const secrets: Partial<Record<SecretName, string>> = {}
  let name: string | undefined
  if (body.name !== undefined || options.creating) {
    if (typeof body.name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(body.name)) return bad("name", "required; 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    name = body.name
  }
  let auth = options.auth
  if (options.creating) {
    if (body.auth !== "token" && body.auth !== "app") return bad("auth", 'required: "token" (a personal access token) or "app" (a GitHub App)')
    auth = body.auth
  } else if (body.auth !== undefined && body.auth !== options.auth) {
    return bad("auth", "cannot change how a connector authenticates; create another connector")
  }
  if (body.token !== undefined) {
    if (auth !== "token") return bad("token", 'only for auth "token"')
    const v = secretField(body.token, "token", 500)
    if (!v.ok) return v
    secrets.token = v.value
  }
  if (body.privateKey !== undefined) {
    if (auth !== "app") return bad("privateKey", 'only for auth "app"')
    const v = secretField(body.privateKey, "privateKey", 20_000)
    if (!v.ok) return v
    if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(v.value.replace(/\\n/g, "\n"))) return bad("privateKey", "must be the App's private key in PEM form (the .pem file GitHub downloads)")
    secrets.privateKey = v.value.replace(/\\n/g, "\n")
  }
  if (body.webhookSecret !== undefined) {
    const v = secretField(body.webhookSecret, "webhookSecret", 500)
    if (!v.ok) return v
    secrets.webhookSecret = v.value
  }
  if (body.appId !== undefined) {
    if (auth !== "app") return bad("appId", 'only for auth "app"')
    if (!Number.isInteger(body.appId) || (body.appId as number) <= 0) return bad("appId", "must be the App's numeric id (its settings page shows it)")
    config.appId = body.appId as number
  }
  if (body.installationId !== undefined) {
    if (auth !== "app") return bad("installationId", 'only for auth "app"')
    if (body.installationId !== null && (!Number.isInteger(body.installationId) || (body.installationId as number) <= 0)) return bad("installationId", "must be a positive integer or null (looked up per repository)")
    config.installationId = body.installationId as number | null
  }
  for (const field of ["baseUrl", "cloneBaseUrl"] as const) {
    if (body[field] === undefined) continue
    const v = urlField(body[field], field, options.allowPrivateUrls)
    if (!v.ok) return v
    config[field] = v.value
  }
  if (body.draft !== undefined) {
    if (typeof body.draft !== "boolean") return bad("draft", "must be true or false")
    config.draft = body.draft
  }
  if (body.label !== undefined) {
    if (typeof body.label !== "string" || body.label.trim() === "" || body.label.length > 50) return bad("label", "must be a label name of 1-50 characters")
    config.label = body.label.trim()
  }
  if (body.command !== undefined) {
    if (typeof body.command !== "string" || !/^\/[A-Za-z0-9_-]{1,30}$/.test(body.command)) return bad("command", 'must look like "/ratchet"')
    config.command = body.command
  }
  if (body.writeSpacingMs !== undefined) {
    if (!Number.isInteger(body.writeSpacingMs) || (body.writeSpacingMs as number) < 0 || (body.writeSpacingMs as number) > 60_000) return bad("writeSpacingMs", "must be an integer between 0 and 60000")
    config.writeSpacingMs = body.writeSpacingMs as number
  }
  if (options.creating) {
    if (auth === "token" && secrets.token === undefined) return bad("token", 'required for auth "token": a personal access token with contents and pull requests write access')
    if (auth === "app" && (secrets.privateKey === undefined || config.appId === undefined)) return bad(secrets.privateKey === undefined ? "privateKey" : "appId", 'auth "app" needs appId and privateKey')
  }
  return ok({ ...(name === undefined ? {} : { name }), ...(auth === undefined ? {} : { auth }), config, secrets })
}

/** A connector as the API shows it: configuration and secret names, never a secret. */
export const connectorView = (c: Connector) => ({
  id: c.id,
  name: c.name,
  kind: c.kind,
  auth: c.auth,
  ...c.config,
  secrets: c.secrets,
  installations: c.installations,
  webhookPath: "/api/webhooks/github",
  createdAt: c.createdAt,
  updatedAt: c.updatedAt
})

const live = new Map<string, GitHubConnector.GitHub>()

/** Options every live connector gets (tests shorten the retry delays). */
export interface LiveOptions {
  readonly retryBaseMs?: number
  readonly maxWaitMs?: number
  readonly now?: () => number
}

/**
 * The live GitHub connector of a stored connector: credentials opened from the secrets table.
 */
export const liveConnector = (connector: Connector, options: LiveOptions = {}): Effect.Effect<GitHubConnector.GitHub, ServerError, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    const owner = connectorOwner(connector.id)
    const secret = (name: SecretName) => store.getSecret(connector.orgId, owner, name)
    const token = connector.auth === "token" ? yield* secret("token") : null
    const privateKey = connector.auth === "app" ? yield* secret("privateKey") : null
    const key = sha256(JSON.stringify([connector.id, connector.auth, connector.config, token, privateKey]))
    const cached = live.get(key)
    if (cached !== undefined) return cached
    const c = connector.config
    let auth: GitHubConnector.Credentials
    if (connector.auth === "app") {
      if (privateKey === null || c.appId === null) {
        return yield* Effect.fail(invalid("connector", `the connector ${connector.name} has no App id or private key; set them with PATCH /api/connectors/${connector.id}`))
      }
      auth = { type: "app", appId: c.appId, privateKey, ...(c.installationId === null ? {} : { installationId: c.installationId }) }
    } else {
      if (token === null) return yield* Effect.fail(invalid("connector", `the connector ${connector.name} has no token; set one with PATCH /api/connectors/${connector.id}`))
      auth = { type: "token", token }
    }
    const made = GitHubConnector.make({
      auth,
      baseUrl: c.baseUrl,
      cloneBaseUrl: c.cloneBaseUrl,
      draft: c.draft,
      writeSpacingMs: c.writeSpacingMs,
      ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
      ...(options.maxWaitMs === undefined ? {} : { maxWaitMs: options.maxWaitMs }),
      ...(options.now === undefined ? {} : { now: options.now })
    })
    if (live.size > 100) live.clear()
    live.set(key, made)
    return made
  })

const GITHUB_URL = /^https:\/\/github\.com\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/

/** `owner/name` of a repository URL on github.com, or `null`. */
export const githubName = (url: string | null): string | null => {
  const m = url === null ? null : GITHUB_URL.exec(url)
  return m === null ? null : `${m[1]}/${m[2]}`
}

/** The secrets owner name of a provider's key. */
export const providerOwner = (provider: string) => `provider:${provider}`

/**
 * The stored provider API keys of an organisation, by provider (for runs and plans that use a model).
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

/** The language model a repository's settings name, with its key from the secret store or the environment. */
export const modelFor = (repo: Repo): Effect.Effect<LanguageModel.LanguageModel["Service"], ServerError, Store> =>
  Effect.gen(function* () {
    const { provider, model } = repo.settings
    if (provider === null || model === null) {
      return yield* Effect.fail(invalid("model", `the repository ${repo.name} has no LLM model: set provider and model in its settings (PATCH /api/repos/${repo.id}/settings) to plan and write prompted tasks`))
    }
    const keys = yield* providerKeys(repo.orgId)
    const v1 = yield* Registry.fromSpec(`${provider}:${model}`, { ...(keys[provider] === undefined ? {} : { apiKey: keys[provider] }) }).pipe(
      Effect.mapError((e) => invalid("model", `the repository's model ${provider}:${model} cannot be used: ${e.message}`))
    )
    return LanguageModel.LanguageModel.make(v1, { maxRetries: 2 })
  })
