import { githubPaths } from "./github/openapi.js"

const json = (schema: object) => ({ content: { "application/json": { schema } } })
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const err = (description: string) => ({ description, ...json(ref("Error")) })
const idParam = (name: string) => ({ name: "id", in: "path", required: true, schema: { type: "string" }, description: `The ${name} id` })
const std = {
  "401": err("Missing, unknown, revoked or expired bearer token (the message says which)"),
  "403": err("The token lacks the scope this route needs (error.scope names it)"),
  "404": err("Unknown id, or another organisation's")
}
const quotas = {
  type: "object",
  additionalProperties: false,
  description: "Limits by quota; null removes one (in a patch); an absent quota does not bind. Days and months are UTC.",
  properties: Object.fromEntries(
    ["runsPerDay", "computeMinutesPerDay", "llmTokensPerDay", "llmTokensPerMonth", "llmUsdPerDay", "llmUsdPerMonth", "proposalsPerRun"].map((q) => [q, { type: ["number", "null"], minimum: 0 }])
  )
}
const scopes = { type: "array", items: { type: "string", enum: ["read", "run", "approve", "publish", "admin"] } }
const list = (item: object) => json({ type: "object", properties: { items: { type: "array", items: item } } })

const decisionBody = (hashRequired: boolean) => ({
  required: hashRequired,
  ...json({
    type: "object",
    additionalProperties: false,
    required: hashRequired ? ["contentHash"] : [],
    properties: {
      contentHash: { type: "string", pattern: "^[0-9a-f]{64}$", description: "The proposal content hash you reviewed; the decision is bound to it" },
      note: { type: "string", maxLength: 10000, description: "Free text; who decides is the identity of the bearer token" }
    }
  })
})

const document = {
  openapi: "3.1.0",
  info: {
    title: "Ratchet reference server",
    version: "0.1.0",
    description: "Connect repositories, run the Ratchet pipeline durably, follow runs live (SSE), review and approve proposals. Every /api route needs `Authorization: Bearer <token>` and the scope named by the operation's `x-ratchet-scope` (read, run, approve, publish, admin); every query is scoped to the token's organisation."
  },
  servers: [{ url: "/" }],
  security: [{ bearer: [] }],
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    schemas: {
      Error: {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["code", "message", "requestId"],
            properties: {
              code: { type: "string" },
              message: { type: "string" },
              requestId: { type: "string" },
              field: { type: "string", description: "The invalid field (400 only)" },
              scope: { type: "string", description: "The scope the token lacks (403 only)" },
              quota: {
                type: "object",
                description: "The quota that refused (429 QuotaExceeded only)",
                properties: { name: { type: "string" }, scope: { enum: ["organisation", "token"] }, subject: { type: "string" }, limit: { type: "number" }, used: { type: "number" }, unit: { type: "string" }, resetsAt: { type: ["string", "null"], format: "date-time" } }
              }
            }
          }
        }
      },
      Organisation: {
        type: "object",
        properties: { id: { type: "string" }, name: { type: "string" }, quotas, operator: { type: "boolean" }, createdAt: { type: "string", format: "date-time" } }
      },
      Token: {
        type: "object",
        properties: {
          id: { type: "string" },
          orgId: { type: "string" },
          name: { type: "string" },
          scopes,
          quotas,
          status: { enum: ["active", "expired", "revoked"] },
          createdAt: { type: "string", format: "date-time" },
          expiresAt: { type: ["string", "null"], format: "date-time" },
          revokedAt: { type: ["string", "null"], format: "date-time" },
          createdBy: { type: ["string", "null"], description: "The id of the token that created it" }
        }
      },
      NewRepo: {
        type: "object",
        additionalProperties: false,
        required: ["name"],
        properties: {
          name: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$" },
          url: { type: "string", format: "uri", description: "https git URL (exactly one of url or path)" },
          path: { type: "string", description: "Absolute local path (exactly one of url or path)" },
          defaultBranch: { type: "string", default: "main" }
        }
      },
      Settings: {
        type: "object",
        properties: {
          schedule: { type: ["string", "null"], description: "Cron expression for nightly runs, e.g. \"0 2 * * *\"" },
          timezone: { type: "string", description: "IANA time zone of the schedule and the budget day" },
          provider: { type: ["string", "null"] },
          model: { type: ["string", "null"] },
          budgets: {
            type: "object",
            properties: {
              computeMinutesPerDay: { type: "integer", minimum: 0, maximum: 1440 },
              candidatesPerRun: { type: "integer", minimum: 0, maximum: 1000 },
              proposalsPerRun: { type: "integer", minimum: 0, maximum: 100 },
              llmUsdPerRun: { type: ["number", "null"], minimum: 0, description: "The LLM agent's USD per run (null: none); the stricter of this and the repository's config applies" },
              llmUsdPerDay: { type: ["number", "null"], minimum: 0, description: "The LLM agent's USD per repository per UTC day (null: none)" },
              llmTokensPerRun: { type: ["integer", "null"], minimum: 0, description: "The LLM agent's tokens (input + output) per run (null: none)" },
              llmTokensPerDay: { type: ["integer", "null"], minimum: 0, description: "The LLM agent's tokens per repository per UTC day (null: none)" }
            }
          },
          policy: {
            type: "object",
            description: "Policy limits for this repository (null: its ratchet.config or the defaults of 5 files and 200 lines); the stricter of these and the repository's config applies, in validation and before any write",
            properties: {
              maxFiles: { type: ["integer", "null"], minimum: 1, maximum: 1000 },
              maxLines: { type: ["integer", "null"], minimum: 1, maximum: 100000 }
            }
          },
          maxSetupFailures: { type: "integer", minimum: 1, description: "Auto-pause after this many consecutive setup failures" },
          consecutiveSetupFailures: { type: "integer", readOnly: true },
          paused: { type: "boolean", description: "Set false to resume an auto-paused repository" },
          pausedReason: { type: ["string", "null"], readOnly: true },
          trusted: {
            type: "boolean",
            default: false,
            description: "Trusted repository: its ratchet.config is imported in the server's process and its code plugins run (each run records a warning saying so). Untrusted (the default): the config is evaluated as data in the sandbox and code plugins do not run. Only an administrator of the operator organisation may change it (403 otherwise, nothing changed); every change is in GET /api/repos/{id}/audit"
          }
        }
      },
      AuditEntry: {
        type: "object",
        description: "One change of a setting (never updated or removed)",
        properties: {
          seq: { type: "integer" },
          at: { type: "string", format: "date-time" },
          repoId: { type: ["string", "null"] },
          action: { type: "string", description: "What changed: repository.trusted" },
          actor: { type: "object", properties: { tokenId: { type: "string" }, tokenName: { type: "string" } } },
          old: { description: "The value before (JSON)" },
          new: { description: "The value after (JSON)" }
        }
      },
      Repo: {
        type: "object",
        properties: {
          id: { type: "string" },
          name: { type: "string" },
          url: { type: ["string", "null"] },
          path: { type: ["string", "null"] },
          defaultBranch: { type: "string" },
          createdAt: { type: "string", format: "date-time" },
          settings: ref("Settings")
        }
      },
      Stage: {
        type: "object",
        properties: {
          stage: { type: "string", enum: ["detect", "baseline", "scan", "patchgen", "validate", "package"] },
          status: { type: "string", enum: ["running", "succeeded", "failed"] },
          executions: { type: "integer", description: "How many times the stage started (1 unless a crash interrupted it)" },
          runner: { type: ["string", "null"] },
          error: { type: ["string", "null"] },
          startedAt: { type: ["string", "null"] },
          finishedAt: { type: ["string", "null"] }
        }
      },
      Run: {
        type: "object",
        properties: {
          id: { type: "string" },
          repoId: { type: "string" },
          trigger: { type: "string", enum: ["api", "schedule"] },
          status: { type: "string", enum: ["queued", "running", "succeeded", "failed", "cancelled"] },
          error: { type: ["string", "null"] },
          cancelRequested: { type: "boolean" },
          counts: { type: "object", properties: { candidates: { type: "integer" }, proposals: { type: "integer" } } },
          stages: { type: "array", items: ref("Stage") },
          proposals: { type: "array", items: { type: "object", properties: { id: { type: "string" }, title: { type: "string" }, status: { type: "string" }, contentHash: { type: "string" } } } },
          createdAt: { type: "string" },
          startedAt: { type: ["string", "null"] },
          finishedAt: { type: ["string", "null"] }
        }
      },
      Approval: {
        type: "object",
        properties: {
          id: { type: "string" },
          proposalId: { type: "string" },
          decision: { type: "string", enum: ["approved", "rejected", "changes-requested"] },
          actor: { type: "string", description: "The name of the API token that decided" },
          tokenId: { type: ["string", "null"], description: "The id of that token" },
          note: { type: ["string", "null"] },
          contentHash: { type: "string" },
          createdAt: { type: "string" }
        }
      },
      Proposal: {
        type: "object",
        properties: {
          id: { type: "string" },
          runId: { type: "string" },
          repoId: { type: "string" },
          title: { type: "string" },
          contentHash: { type: "string", description: "Core's content hash of the proposal's reviewable content (what an approval covers)" },
          status: { type: "string", enum: ["pending", "approved", "rejected", "changes-requested"] },
          data: { type: "object", description: "The proposal bundle (diff, files, evidence)" },
          decisions: { type: "array", items: ref("Approval") },
          pullRequest: {
            type: ["object", "null"],
            description: "The pull request Ratchet opened for it and its state: verifying-ci (CI is followed), done (CI passed), needs-human (CI failed), merged, closed"
          }
        }
      },
      LedgerEntry: {
        type: "object",
        description: "One write the WriteGate allowed or refused (the proof ledger; append-only, kept across restarts)",
        properties: {
          seq: { type: "integer", description: "Position in the server's ledger" },
          at: { type: "string", description: "When the gate decided (ISO-8601)" },
          proposalId: { type: "string" },
          connector: { type: "string", description: "local-git or github" },
          repo: { type: "string", description: "The target repository as the connector names it" },
          actor: { type: ["string", "null"], description: "Who asked for the write: token:<name> (<token id>)" },
          contentHash: { type: ["string", "null"], description: "The content hash the gate recomputed from the proposal (the commit's Ratchet-Content-Hash trailer when allowed)" },
          approvedBy: { type: ["string", "null"] },
          outcome: { type: "string", enum: ["allowed", "refused", "failed"] },
          reason: { type: "string", description: "published, already published, or why the write was refused or failed" },
          branch: { type: ["string", "null"] },
          created: { type: ["boolean", "null"] },
          commit: { type: ["string", "null"] }
        }
      }
    }
  },
  paths: {
    ...githubPaths,
    "/health": { get: { security: [], summary: "Liveness and database check", responses: { "200": { description: "OK", ...json({ type: "object", properties: { status: { const: "ok" } } }) } } } },
    "/openapi.json": { get: { security: [], summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } } },
    "/api/repos": {
      post: {
        summary: "Connect a repository",
        requestBody: { required: true, ...json(ref("NewRepo")) },
        responses: { "201": { description: "Created", ...json(ref("Repo")) }, "400": err("Invalid field (named in error.field)"), "409": err("Name taken"), "413": err("Body too large"), ...std }
      },
      get: { summary: "List repositories", responses: { "200": { description: "OK", ...json({ type: "object", properties: { items: { type: "array", items: ref("Repo") } } }) }, ...std } }
    },
    "/api/repos/{id}": { get: { summary: "Get a repository", parameters: [idParam("repository")], responses: { "200": { description: "OK", ...json(ref("Repo")) }, ...std } } },
    "/api/repos/{id}/settings": {
      patch: {
        summary: "Change schedule, time zone, budgets, policy limits, provider/model, pause state, and (operator administrators only, audited) whether the repository is trusted",
        parameters: [idParam("repository")],
        requestBody: { required: true, ...json(ref("Settings")) },
        responses: { "200": { description: "Updated repository", ...json(ref("Repo")) }, "400": err("Invalid field"), ...std }
      }
    },
    "/api/repos/{id}/audit": {
      get: {
        summary: "The audit log of a repository's settings, oldest first: who marked it trusted or untrusted, when, old and new value",
        parameters: [idParam("repository")],
        responses: { "200": { description: "OK", ...json({ type: "object", properties: { items: { type: "array", items: ref("AuditEntry") } } }) }, ...std }
      }
    },
    "/api/llm/models": {
      get: {
        summary: "LLM providers (whether a key is configured: OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, OPENAI_COMPATIBLE_API_KEY), their known models with prices in USD per million tokens, and the model each repository uses (settings provider and model)",
        responses: {
          "200": {
            description: "OK",
            ...json({
              type: "object",
              properties: {
                providers: {
                  type: "array",
                  items: {
                    type: "object",
                    properties: {
                      provider: { type: "string" },
                      configured: { type: "boolean" },
                      keyVariables: { type: "array", items: { type: "string" } },
                      models: { type: "array", items: { type: "object", properties: { id: { type: "string" }, spec: { type: "string" }, price: { type: ["object", "null"] } } } }
                    }
                  }
                },
                repositories: { type: "array", items: { type: "object", properties: { id: { type: "string" }, name: { type: "string" }, spec: { type: "string" }, configured: { type: "boolean" } } } }
              }
            })
          },
          ...std
        }
      }
    },
    "/api/repos/{id}/budgets": {
      get: { summary: "Today's budget limits and usage", parameters: [idParam("repository")], responses: { "200": { description: "OK" }, ...std } }
    },
    "/api/repos/{id}/runs": {
      post: {
        summary: "Start a run",
        parameters: [idParam("repository")],
        responses: {
          "202": { description: "Queued", ...json({ type: "object", properties: { id: { type: "string" }, status: { const: "queued" } } }) },
          "409": err("Repository paused or daily compute budget used up"),
          "429": { description: "Rate limited, queue full, or a quota of the organisation or the token used up (error.quota); see Retry-After", headers: { "Retry-After": { schema: { type: "integer" } } }, ...json(ref("Error")) },
          ...std
        }
      },
      get: { summary: "List runs (newest first)", parameters: [idParam("repository"), { name: "limit", in: "query", schema: { type: "integer", maximum: 200 } }], responses: { "200": { description: "OK" }, ...std } }
    },
    "/api/runs/{id}": { get: { summary: "Run status, stages and counts", parameters: [idParam("run")], responses: { "200": { description: "OK", ...json(ref("Run")) }, ...std } } },
    "/api/runs/{id}/cancel": { post: { summary: "Cancel a queued or running run (takes effect at the next stage boundary)", parameters: [idParam("run")], responses: { "202": { description: "Cancel requested" }, "409": err("Run already finished"), ...std } } },
    "/api/runs/{id}/events": {
      get: {
        summary: "Run events as Server-Sent Events; resume with Last-Event-ID",
        parameters: [idParam("run"), { name: "Last-Event-ID", in: "header", schema: { type: "string" } }],
        responses: { "200": { description: "text/event-stream; event names: run.queued, run.started, stage.started, stage.completed, stage.failed, proposal.created, run.succeeded, run.failed, run.cancelled", content: { "text/event-stream": {} } }, ...std }
      }
    },
    "/api/proposals/{id}": { get: { summary: "A proposal with its decisions", parameters: [idParam("proposal")], responses: { "200": { description: "OK", ...json(ref("Proposal")) }, ...std } } },
    "/api/proposals/{id}/approve": { post: { summary: "Approve (bound to contentHash)", parameters: [idParam("proposal")], requestBody: decisionBody(true), responses: { "201": { description: "Recorded", ...json(ref("Approval")) }, "400": err("Invalid field"), "409": err("Content changed or already decided"), ...std } } },
    "/api/proposals/{id}/reject": { post: { summary: "Reject", parameters: [idParam("proposal")], requestBody: decisionBody(false), responses: { "201": { description: "Recorded", ...json(ref("Approval")) }, "409": err("Already decided"), ...std } } },
    "/api/proposals/{id}/pr": { post: { summary: "Create the pull request of an approved proposal (through the WriteGate: approval of the current content and the policy are checked again); a local repository gets branch ratchet/<id> and a .patch file", parameters: [idParam("proposal")], responses: { "201": { description: "Created", ...json({ type: "object", properties: { proposalId: { type: "string" }, connector: { type: "string" }, branch: { type: "string" }, url: { type: ["string", "null"] }, created: { type: "boolean" }, commit: { type: ["string", "null"] }, patchFile: { type: ["string", "null"] }, contentHash: { type: "string", description: "The approved content hash (the commit's Ratchet-Content-Hash trailer)" }, approvedBy: { type: "string" } } }) }, "200": { description: "Already published" }, "400": err("No connector for this repository"), "409": err("Not approved, changed after approval, or blocked by policy"), ...std } } },
    "/api/proposals/{id}/ledger": { get: { summary: "The proof ledger of a proposal: every write the WriteGate allowed or refused for it (who asked, content hash, outcome, time), oldest first", parameters: [idParam("proposal")], responses: { "200": { description: "OK", ...json({ type: "object", properties: { proposalId: { type: "string" }, entries: { type: "array", items: ref("LedgerEntry") } } }) }, ...std } } },
    "/api/proposals/{id}/request-changes": { post: { summary: "Request changes with a note", parameters: [idParam("proposal")], requestBody: decisionBody(false), responses: { "201": { description: "Recorded", ...json(ref("Approval")) }, "409": err("Already decided"), ...std } } },
    "/api/orgs": {
      get: { summary: "Organisations (the operator's administrators see all, others their own)", responses: { "200": { description: "OK", ...list(ref("Organisation")) }, ...std } },
      post: {
        summary: "Create an organisation (administrators of the operator organisation only)",
        requestBody: { required: true, ...json({ type: "object", additionalProperties: false, required: ["name"], properties: { name: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$" }, quotas } }) },
        responses: { "201": { description: "Created", ...json(ref("Organisation")) }, "400": err("Invalid field"), "409": err("Name taken"), ...std }
      }
    },
    "/api/orgs/{id}": {
      get: { summary: "An organisation", parameters: [idParam("organisation")], responses: { "200": { description: "OK", ...json(ref("Organisation")) }, ...std } },
      patch: { summary: "Set or remove an organisation's quotas (operator only)", parameters: [idParam("organisation")], requestBody: { required: true, ...json({ type: "object", additionalProperties: false, properties: { quotas } }) }, responses: { "200": { description: "Updated", ...json(ref("Organisation")) }, "400": err("Invalid field"), ...std } }
    },
    "/api/tokens": {
      get: { summary: "The organisation's tokens (never their values)", parameters: [{ name: "orgId", in: "query", schema: { type: "string" }, description: "Another organisation's (operator only; `all` for every one)" }], responses: { "200": { description: "OK", ...list(ref("Token")) }, ...std } },
      post: {
        summary: "Create a token; its value is in the response, once (stored hashed)",
        requestBody: {
          required: true,
          ...json({
            type: "object",
            additionalProperties: false,
            required: ["name", "scopes"],
            properties: { name: { type: "string" }, scopes, expiresAt: { type: ["string", "null"], format: "date-time" }, expiresIn: { type: "string", description: "A lifetime: 90m, 12h, 30d, 2w" }, quotas, orgId: { type: "string", description: "Another organisation (operator only)" } }
          })
        },
        responses: { "201": { description: "Created; `token` holds the value", ...json({ allOf: [ref("Token"), { type: "object", properties: { token: { type: "string" } } }] }) }, "400": err("Invalid field, or scopes/expiry beyond the creating token's"), ...std }
      }
    },
    "/api/tokens/{id}": {
      get: { summary: "A token (never its value)", parameters: [idParam("token")], responses: { "200": { description: "OK", ...json(ref("Token")) }, ...std } },
      patch: { summary: "Set or remove a token's quotas", parameters: [idParam("token")], requestBody: { required: true, ...json({ type: "object", additionalProperties: false, properties: { quotas } }) }, responses: { "200": { description: "Updated", ...json(ref("Token")) }, "400": err("Invalid field"), ...std } },
      delete: { summary: "Revoke a token (any token may revoke itself; others need admin); takes effect on the next request", parameters: [idParam("token")], responses: { "200": { description: "Revoked", ...json(ref("Token")) }, ...std } }
    },
    "/api/usage": {
      get: { summary: "Quotas (limit, used, remaining, resetsAt) and consumption of the caller's organisation and token, today and this month, by repository and by token", responses: { "200": { description: "OK" }, ...std } }
    },
    "/api/artifacts/{id}": {
      get: {
        summary: "Download an artifact; its sha256 is verified before sending (ETag and Digest carry it)",
        parameters: [idParam("artifact")],
        responses: { "200": { description: "The bytes" }, "500": err("Integrity check failed"), ...std }
      }
    }
  }
} as const

/** The scope each operation needs (`GET` needs `read` unless named here). */
const scopeOf = (method: string, path: string): string | null => {
  if (!path.startsWith("/api/")) return null
  if (path === "/api/webhooks/github") return null // authenticated by GitHub's signature, not a token
  if (path.startsWith("/api/orgs") || path.startsWith("/api/tokens")) return "admin"
  if (method === "get") return "read"
  if (path === "/api/repos" || path.endsWith("/settings")) return "admin"
  if (path.startsWith("/api/connectors") || path.startsWith("/api/providers") || path.endsWith("/connector")) return "admin"
  if (path.endsWith("/tasks")) return "run"
  if (path.endsWith("/runs") || path.endsWith("/cancel")) return "run"
  if (path.endsWith("/pr")) return "publish"
  if (/\/(approve|reject|request-changes)$/.test(path)) return "approve"
  return null
}

/** The OpenAPI 3.1 description served at `/openapi.json`; each `/api` operation names its scope in `x-ratchet-scope`. */
export const openApiDocument = {
  ...document,
  paths: Object.fromEntries(
    Object.entries(document.paths).map(([path, operations]) => [
      path,
      Object.fromEntries(Object.entries(operations).map(([method, op]) => {
        const scope = scopeOf(method, path)
        return [method, scope === null ? op : { ...op, "x-ratchet-scope": scope }]
      }))
    ])
  )
}
