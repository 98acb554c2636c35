/**
 * Octokit for the GitHub connector: a personal access token or a GitHub App (installation tokens
 * exchanged by `@octokit/auth-app`, cached per installation until shortly before they expire),
 * with `@octokit/plugin-throttling` (primary and secondary rate limits; writes serialised and
 * spaced) and `@octokit/plugin-retry` (5xx, only where a repeat is safe).
 *
 * @internal
 */
import { randomUUID } from "node:crypto"
import { createAppAuth } from "@octokit/auth-app"
import { retry } from "@octokit/plugin-retry"
import { throttling } from "@octokit/plugin-throttling"
import { Octokit } from "@octokit/rest"
import Bottleneck from "bottleneck"

/**
 * How the connector authenticates.
 *
 * - `token`: a personal access token (classic or fine-grained).
 * - `app`: a GitHub App; the installation is looked up per repository (`GET /repos/{o}/{r}/installation`)
 *   unless `installationId` is given.
 */
export type Credentials =
  | { readonly type: "token"; readonly token: string }
  | { readonly type: "app"; readonly appId: string | number; readonly privateKey: string; readonly installationId?: number | undefined }

/** The Octokit class with the plugins (their additions are not used directly, so it is typed as Octokit). */
const RatchetOctokit: typeof Octokit = Octokit.plugin(throttling, retry)
/** An Octokit instance with the plugins. */
export type Client = Octokit

export interface ClientOptions {
  readonly credentials: Credentials
  readonly baseUrl: string
  /** Rate-limit retries the connector accepts. */
  readonly maxRetries: number
  /** Longest wait accepted from a rate limit, in ms. */
  readonly maxWaitMs: number
  /** Spacing of content-creating requests (GitHub asks for about one second). */
  readonly writeSpacingMs: number
  /** First delay of the 5xx retries, in ms (then squared steps: 1, 4, 9 × this). */
  readonly retryBaseMs: number
  /** The clock for installation token expiry. */
  readonly now: () => number
  /** An installation token is renewed this long before it expires. */
  readonly refreshMarginMs: number
  /** Called with every secret the client obtains (installation tokens), so errors can redact them. */
  readonly onSecret: (secret: string) => void
}

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

/** auth-app's cache entry is `token|createdAt|expiresAt|…`; expired or expiring entries are dropped. */
const expiringCache = (now: () => number, marginMs: number) => {
  const entries = new Map<string, string>()
  return {
    get: async (key: string): Promise<string | undefined> => {
      const value = entries.get(key)
      if (value === undefined) return undefined
      const expiresAt = Date.parse(value.split("|")[2] ?? "")
      if (!Number.isFinite(expiresAt) || expiresAt - marginMs <= now()) {
        entries.delete(key)
        return undefined
      }
      return value
    },
    set: async (key: string, value: string): Promise<void> => {
      entries.set(key, value)
    }
  }
}

/** Clients for one set of credentials. */
export interface Clients {
  readonly kind: "token" | "app"
  /** The client for a repository (an App: its installation's, with a fresh or cached token). */
  readonly forRepo: (owner: string, repo: string) => Promise<Client>
  /** The token git uses for a repository. */
  readonly tokenFor: (owner: string, repo: string) => Promise<string>
  /** The client authenticated as the App itself (a JWT), or `null` for a token. */
  readonly app: Client | null
}

/**
 * A client factory for one set of credentials. Clients are made per installation (an App) or once
 * (a token); installation ids are remembered per repository.
 */
export const makeClients = (options: ClientOptions): Clients => {
  const id = `ratchet-${randomUUID()}`
  const throttle = {
    id,
    write: new Bottleneck.Group({ maxConcurrent: 1, minTime: options.writeSpacingMs }),
    notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: options.writeSpacingMs }),
    onRateLimit: (retryAfter: number, _request: unknown, _octokit: unknown, retryCount: number) =>
      retryCount < options.maxRetries && retryAfter * 1000 <= options.maxWaitMs,
    onSecondaryRateLimit: (retryAfter: number, _request: unknown, _octokit: unknown, retryCount: number) =>
      retryCount < options.maxRetries && retryAfter * 1000 <= options.maxWaitMs
  }
  const common = {
    baseUrl: options.baseUrl,
    userAgent: "ratchet-connectors",
    log: silent,
    throttle,
    retry: { retries: options.maxRetries, retryAfterBaseValue: options.retryBaseMs, doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451] }
  }
  const credentials = options.credentials
  if (credentials.type === "token") {
    options.onSecret(credentials.token)
    const client = new RatchetOctokit({ ...common, auth: credentials.token })
    return {
      kind: "token" as const,
      /** The client for a repository. */
      forRepo: async (_owner: string, _repo: string): Promise<Client> => client,
      /** The token git uses for a repository. */
      tokenFor: async (_owner: string, _repo: string): Promise<string> => credentials.token,
      app: null
    }
  }
  options.onSecret(credentials.privateKey)
  const cache = expiringCache(options.now, options.refreshMarginMs)
  const appAuth = { appId: credentials.appId, privateKey: credentials.privateKey, cache, log: silent }
  // Authenticated as the app itself (a JWT): /app, /repos/{o}/{r}/installation.
  const app = new RatchetOctokit({ ...common, authStrategy: createAppAuth, auth: appAuth })
  const installations = new Map<string, number>()
  const clients = new Map<number, Client>()
  const installationOf = async (owner: string, repo: string): Promise<number> => {
    if (credentials.installationId !== undefined) return credentials.installationId
    const key = `${owner}/${repo}`.toLowerCase()
    const known = installations.get(key)
    if (known !== undefined) return known
    const found = await app.rest.apps.getRepoInstallation({ owner, repo })
    installations.set(key, found.data.id)
    return found.data.id
  }
  const clientOf = (installationId: number): Client => {
    let client = clients.get(installationId)
    if (client === undefined) {
      client = new RatchetOctokit({ ...common, authStrategy: createAppAuth, auth: { ...appAuth, installationId } })
      clients.set(installationId, client)
    }
    return client
  }
  const tokenOf = async (installationId: number): Promise<string> => {
    const auth = (await clientOf(installationId).auth({ type: "installation", installationId })) as { readonly token: string }
    options.onSecret(auth.token)
    return auth.token
  }
  return {
    kind: "app" as const,
    forRepo: async (owner: string, repo: string): Promise<Client> => {
      const installationId = await installationOf(owner, repo)
      // exchange (or reuse) the token first so it is known to the redactor before any request
      await tokenOf(installationId)
      return clientOf(installationId)
    },
    tokenFor: async (owner: string, repo: string): Promise<string> => tokenOf(await installationOf(owner, repo)),
    app
  }
}

