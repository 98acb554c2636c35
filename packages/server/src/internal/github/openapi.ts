/**
 * The OpenAPI paths of the GitHub routes (merged into the server's description).
 *
 * @internal
 */
const json = (schema: object) => ({ content: { "application/json": { schema } } })
const err = (description: string) => ({ description, ...json({ $ref: "#/components/schemas/Error" }) })
const id = (name: string) => ({ name: "id", in: "path", required: true, schema: { type: "string" }, description: `The ${name} id` })
const std = { "401": err("Missing or unknown bearer token"), "404": err("Unknown id") }

const connectorFields = {
  name: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" },
  kind: { const: "github" },
  auth: { enum: ["token", "app"], description: "A personal access token, or a GitHub App" },
  token: { type: "string", writeOnly: true, description: "auth token: the personal access token (stored encrypted)" },
  appId: { type: "integer", description: "auth app: the App's id" },
  privateKey: { type: "string", writeOnly: true, description: "auth app: the App's private key, PEM (stored encrypted)" },
  installationId: { type: ["integer", "null"], description: "auth app: a fixed installation (default: looked up per repository)" },
  webhookSecret: { type: "string", writeOnly: true, description: "The webhook secret GitHub signs deliveries with (stored encrypted)" },
  baseUrl: { type: "string", format: "uri", description: "REST API base (default https://api.github.com)" },
  cloneBaseUrl: { type: "string", format: "uri", description: "Where repositories are cloned from (default https://github.com)" },
  draft: { type: "boolean", description: "Open pull requests as drafts (default true)" },
  label: { type: "string", description: "The issue label that creates a task (default ratchet)" },
  command: { type: "string", description: "The comment command that creates a task (default /ratchet)" },
  writeSpacingMs: { type: "integer", minimum: 0, maximum: 60000, description: "Spacing of content-creating requests (default 1000)" }
}

const connector = {
  type: "object",
  properties: {
    id: { type: "string" },
    ...Object.fromEntries(Object.entries(connectorFields).filter(([k]) => !["token", "privateKey", "webhookSecret"].includes(k))),
    secrets: { type: "array", items: { type: "string" }, description: "Names of the stored secrets (never their values)" },
    installations: { type: "array", items: { type: "object" } },
    webhookPath: { type: "string" },
    createdAt: { type: "string" },
    updatedAt: { type: "string" }
  }
}

/** The paths. */
export const githubPaths = {
  "/api/connectors": {
    post: {
      summary: "Add a GitHub connector (token or App); its secrets are stored encrypted (RATCHET_SECRET_KEY) and never returned",
      requestBody: { required: true, ...json({ type: "object", additionalProperties: false, required: ["name", "auth"], properties: connectorFields }) },
      responses: { "201": { description: "Created", ...json(connector) }, "400": err("Invalid field, or no RATCHET_SECRET_KEY to seal the secrets"), "409": err("Name taken"), "401": std["401"] }
    },
    get: { summary: "The organisation's connectors", responses: { "200": { description: "OK", ...json({ type: "object", properties: { items: { type: "array", items: connector } } }) }, "401": std["401"] } }
  },
  "/api/connectors/{id}": {
    get: { summary: "A connector", parameters: [id("connector")], responses: { "200": { description: "OK", ...json(connector) }, ...std } },
    patch: {
      summary: "Change a connector's configuration or replace its secrets (rotate a token)",
      parameters: [id("connector")],
      requestBody: { required: true, ...json({ type: "object", additionalProperties: false, properties: connectorFields }) },
      responses: { "200": { description: "OK", ...json(connector) }, "400": err("Invalid field"), ...std }
    }
  },
  "/api/connectors/{id}/validate": {
    post: {
      summary: "Check the connector's credentials against a repository (the body's repo, else every repository using it) and say what is missing: a valid token, a scope, the repository, write access, the App's installation or one of its permissions",
      parameters: [id("connector")],
      requestBody: { required: false, ...json({ type: "object", properties: { repo: { type: "string", pattern: "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$" } } }) },
      responses: {
        "200": {
          description: "The checks per repository",
          ...json({
            type: "object",
            properties: {
              ok: { type: "boolean" },
              results: { type: "array", items: { type: "object", properties: { repo: { type: "string" }, ok: { type: "boolean" }, auth: { type: "string" }, identity: { type: ["string", "null"] }, checks: { type: "array" }, missing: { type: "array", items: { type: "string" } } } } },
              warnings: { type: "array", items: { type: "string" } }
            }
          })
        },
        "400": err("No repository to check"),
        ...std
      }
    }
  },
  "/api/repos/{id}/connector": {
    put: {
      summary: "Which connector a repository uses (null: the organisation's only GitHub connector, if there is exactly one)",
      parameters: [id("repository")],
      requestBody: { required: true, ...json({ type: "object", properties: { connectorId: { type: ["string", "null"] } } }) },
      responses: { "200": { description: "OK" }, "400": err("Invalid field"), ...std }
    }
  },
  "/api/providers": {
    get: { summary: "LLM providers and where their key comes from (stored, environment, missing); never the key", responses: { "200": { description: "OK" }, "401": std["401"] } }
  },
  "/api/providers/{name}/key": {
    put: {
      summary: "Store a provider's API key, encrypted",
      parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
      requestBody: { required: true, ...json({ type: "object", required: ["apiKey"], properties: { apiKey: { type: "string", writeOnly: true } } }) },
      responses: { "200": { description: "Stored" }, "400": err("Unknown provider or no RATCHET_SECRET_KEY"), "401": std["401"] }
    },
    delete: { summary: "Forget a provider's stored key", parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }], responses: { "204": { description: "Deleted" }, "401": std["401"] } }
  }
} as const
