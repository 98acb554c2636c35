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

const pullRequest = {
  type: "object",
  properties: {
    proposalId: { type: "string" },
    repo: { type: "string" },
    number: { type: "integer" },
    url: { type: "string" },
    branch: { type: "string" },
    headSha: { type: "string" },
    state: { enum: ["verifying-ci", "done", "needs-human", "merged", "closed"] },
    ci: { type: ["object", "null"], description: "The last CI reading: state, summary, check runs, statuses" },
    taskId: { type: ["string", "null"] }
  }
}

const task = {
  type: "object",
  properties: {
    id: { type: "string" },
    repoId: { type: "string" },
    instruction: { type: "string" },
    paths: { type: "array", items: { type: "string" } },
    source: { type: "object", description: "via (api, label, comment), the delivery, repository, issue, comment and sender" },
    status: { enum: ["queued", "planning", "no-go", "deferred", "running", "proposed", "no-proposal", "verifying-ci", "done", "needs-human", "failed"] },
    plan: { type: ["object", "null"], description: "summary, files, approach, acceptanceCriteria, nonGoals, risk, kind, and the planning call" },
    decision: { type: ["object", "null"], description: "verdict (GO, NO-GO, DEFER), reasons, question" },
    runId: { type: ["string", "null"] },
    proposalId: { type: ["string", "null"] },
    error: { type: ["string", "null"] },
    replies: { type: "array", items: { type: "object" } },
    pullRequest: { oneOf: [pullRequest, { type: "null" }] }
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
  },
  "/api/webhooks/github": {
    post: {
      security: [],
      summary:
        "GitHub's webhook deliveries. No bearer token: X-Hub-Signature-256 (HMAC-SHA256 of the raw body with a connector's webhook secret) is checked before anything is parsed. Recorded once per X-GitHub-Delivery, answered at once, processed in the background: issues.labeled with the connector's label and issue_comment.created with its command (from a user with write access) create prompted tasks; check_run, check_suite and status follow the CI of pull requests Ratchet opened; pull_request.closed records merges; installation events are bookkept",
      parameters: [
        { name: "X-GitHub-Event", in: "header", required: true, schema: { type: "string" } },
        { name: "X-GitHub-Delivery", in: "header", required: true, schema: { type: "string" } },
        { name: "X-Hub-Signature-256", in: "header", required: true, schema: { type: "string", pattern: "^sha256=[0-9a-f]{64}$" } }
      ],
      requestBody: { required: true, ...json({ type: "object" }) },
      responses: {
        "202": { description: "Recorded; processing follows", ...json({ type: "object", properties: { delivery: { type: "string" }, queued: { const: true } } }) },
        "200": { description: "A delivery id seen before: ignored", ...json({ type: "object", properties: { delivery: { type: "string" }, duplicate: { const: true } } }) },
        "400": { description: "A missing event or delivery header, or a body that is not JSON" },
        "401": { description: "The signature matches no connector's webhook secret; nothing recorded" }
      }
    }
  },
  "/api/repos/{id}/tasks": {
    post: {
      summary: "Ask for a change in plain words (a prompted task): Ratchet plans it with the repository's model, decides GO / NO-GO / DEFER with reasons, and on GO runs the pipeline with the planned change as its patch source",
      parameters: [id("repository")],
      requestBody: { required: true, ...json({ type: "object", additionalProperties: false, required: ["instruction"], properties: { instruction: { type: "string", maxLength: 20000 }, paths: { type: "array", maxItems: 20, items: { type: "string" }, description: "Repository-relative paths the change must stay within" } } }) },
      responses: { "202": { description: "Queued", ...json(task) }, "400": err("Invalid field"), ...std }
    },
    get: { summary: "The repository's tasks, newest first", parameters: [id("repository")], responses: { "200": { description: "OK", ...json({ type: "object", properties: { items: { type: "array", items: task } } }) }, ...std } }
  },
  "/api/tasks/{id}": {
    get: { summary: "A task: its state, plan, decision, run, proposal, replies and pull request", parameters: [id("task")], responses: { "200": { description: "OK", ...json(task) }, ...std } }
  },
  "/api/proposals/{id}/pull-request": {
    get: { summary: "The pull request Ratchet opened for a proposal and its CI state (verifying-ci, done, needs-human, merged, closed)", parameters: [id("proposal")], responses: { "200": { description: "OK", ...json(pullRequest) }, ...std } }
  }
} as const
