import { Effect } from "effect"
import * as Migrator from "effect/sql/Migrator"
import { SqlClient } from "effect/sql/SqlClient"
import { storeFailure } from "../ServerError.js"

const initial = Effect.gen(function* () {
  const sql = yield* SqlClient
  yield* sql`CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`
  yield* sql`CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
  )`
  yield* sql`CREATE TABLE repositories (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    url TEXT,
    path TEXT,
    default_branch TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, name)
  )`
  yield* sql`CREATE TABLE repository_settings (
    repo_id TEXT PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
    schedule TEXT,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    provider TEXT,
    model TEXT,
    compute_minutes_per_day INTEGER NOT NULL DEFAULT 60,
    candidates_per_run INTEGER NOT NULL DEFAULT 20,
    proposals_per_run INTEGER NOT NULL DEFAULT 5,
    max_setup_failures INTEGER NOT NULL DEFAULT 3,
    consecutive_setup_failures INTEGER NOT NULL DEFAULT 0,
    paused BOOLEAN NOT NULL DEFAULT false,
    paused_reason TEXT,
    updated_at TIMESTAMPTZ NOT NULL
  )`
  yield* sql`CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    repo_id TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    cancel_requested BOOLEAN NOT NULL DEFAULT false,
    candidates INTEGER NOT NULL DEFAULT 0,
    proposals INTEGER NOT NULL DEFAULT 0,
    runner TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ
  )`
  yield* sql`CREATE INDEX runs_repo_idx ON runs (repo_id, created_at DESC)`
  yield* sql`CREATE TABLE run_stages (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    status TEXT NOT NULL,
    executions INTEGER NOT NULL DEFAULT 0,
    output JSONB,
    error TEXT,
    runner TEXT,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    PRIMARY KEY (run_id, stage)
  )`
  yield* sql`CREATE TABLE run_events (
    seq BIGSERIAL PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    data JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
  )`
  yield* sql`CREATE INDEX run_events_run_idx ON run_events (run_id, seq)`
  yield* sql`CREATE TABLE attempts (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    data JSONB NOT NULL
  )`
  yield* sql`CREATE TABLE proposals (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    repo_id TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    data JSONB NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    created_at TIMESTAMPTZ NOT NULL
  )`
  yield* sql`CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    proposal_id TEXT NOT NULL REFERENCES proposals(id) ON DELETE CASCADE,
    decision TEXT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT,
    content_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
  )`
  yield* sql`CREATE TABLE artifacts (
    id TEXT PRIMARY KEY,
    run_id TEXT REFERENCES runs(id) ON DELETE CASCADE,
    proposal_id TEXT REFERENCES proposals(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
  )`
  yield* sql`CREATE TABLE budget_usage (
    repo_id TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    compute_ms BIGINT NOT NULL DEFAULT 0,
    runs INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repo_id, day)
  )`
})

// Browser sessions of the dashboard: the cookie value is stored only as its sha256; a session dies
// with its API token (ON DELETE CASCADE) and after expires_at.
const dashboardSessions = Effect.gen(function* () {
  const sql = yield* SqlClient
  yield* sql`CREATE TABLE dashboard_sessions (
    id_hash TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    token_id TEXT NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
  )`
  yield* sql`CREATE INDEX dashboard_sessions_expiry_idx ON dashboard_sessions (expires_at)`
})

// Per-repository policy limits set on the server (null: the repository's config or the defaults).
const repositoryPolicy = Effect.gen(function* () {
  const sql = yield* SqlClient
  yield* sql`ALTER TABLE repository_settings ADD COLUMN policy_max_files INTEGER, ADD COLUMN policy_max_lines INTEGER`
})

/**
 * One decision per proposal, atomically: a decision is a compare-and-set on the proposal's
 * `decision_version` (and its content hash and status), and each approval row carries the
 * version it set, unique per proposal, so two writers (two server processes on one PostgreSQL)
 * can never both record a decision from the same state. The approver is the token's identity.
 */
const atomicDecisions = Effect.gen(function* () {
  const sql = yield* SqlClient
  yield* sql`ALTER TABLE proposals ADD COLUMN decision_version INTEGER NOT NULL DEFAULT 0`
  yield* sql`ALTER TABLE approvals ADD COLUMN version INTEGER`
  yield* sql`ALTER TABLE approvals ADD COLUMN token_id TEXT`
  yield* sql`CREATE UNIQUE INDEX approvals_one_per_version ON approvals (proposal_id, version)`
})

/**
 * The durable run queue: a queued run is dispatched (handed to the workflow engine) only when the
 * global and per-repository concurrency allow; `dispatched_at` marks the claim.
 */
const runQueue = Effect.gen(function* () {
  const sql = yield* SqlClient
  yield* sql`ALTER TABLE runs ADD COLUMN dispatched_at TIMESTAMPTZ`
  yield* sql`UPDATE runs SET dispatched_at = created_at WHERE status IN ('queued', 'running')`
  yield* sql`CREATE INDEX runs_queue ON runs (status, dispatched_at, created_at)`
})

/**
 * The proof ledger: every write the WriteGate allowed or refused (who asked, the proposal, the
 * content hash, the outcome, when). Append-only; no foreign key, so a refusal naming an unknown
 * proposal is kept too and an entry outlives its proposal.
 */
const writeLedger = Effect.gen(function* () {
  const sql = yield* SqlClient
  yield* sql`CREATE TABLE write_ledger (
    seq BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    proposal_id TEXT NOT NULL,
    connector TEXT NOT NULL,
    repo TEXT NOT NULL,
    actor TEXT,
    content_hash TEXT,
    approved_by TEXT,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL,
    branch TEXT,
    created BOOLEAN,
    commit_sha TEXT
  )`
  yield* sql`CREATE INDEX write_ledger_proposal ON write_ledger (proposal_id, seq)`
})

/**
 * Tenants: organisations get quotas (and unique names); tokens get scopes, an expiry, a revocation
 * time, quotas and who created them; a run remembers the token that started it; usage records
 * meter runs, compute and LLM calls per run, repository, organisation and token. Tokens that
 * existed before keep every scope (they could do everything).
 */
const tenants = Effect.gen(function* () {
  const sql = yield* SqlClient
  yield* sql`ALTER TABLE organisations ADD COLUMN quotas JSONB NOT NULL DEFAULT '{}'::jsonb`
  yield* sql`CREATE UNIQUE INDEX organisations_name ON organisations (name)`
  yield* sql`ALTER TABLE api_tokens
    ADD COLUMN scopes JSONB NOT NULL DEFAULT '["read","run","approve","publish","admin"]'::jsonb,
    ADD COLUMN expires_at TIMESTAMPTZ,
    ADD COLUMN revoked_at TIMESTAMPTZ,
    ADD COLUMN quotas JSONB NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN created_by TEXT`
  yield* sql`CREATE INDEX api_tokens_org ON api_tokens (org_id, created_at)`
  yield* sql`ALTER TABLE runs ADD COLUMN token_id TEXT`
  yield* sql`CREATE INDEX runs_created ON runs (created_at)`
  yield* sql`CREATE TABLE usage_records (
    seq BIGSERIAL PRIMARY KEY,
    org_id TEXT NOT NULL,
    repo_id TEXT,
    run_id TEXT,
    token_id TEXT,
    kind TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    compute_ms BIGINT NOT NULL DEFAULT 0,
    llm_calls INTEGER NOT NULL DEFAULT 0,
    input_tokens BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    cost_usd NUMERIC(20, 9) NOT NULL DEFAULT 0,
    provider TEXT,
    model TEXT
  )`
  yield* sql`CREATE INDEX usage_records_org ON usage_records (org_id, at)`
  yield* sql`CREATE INDEX usage_records_token ON usage_records (token_id, at)`
  yield* sql`CREATE INDEX usage_records_run ON usage_records (run_id)`
})

/**
 * LLM budgets a repository's settings impose on its runs' agent (each `NULL`: none; the stricter of
 * them and the repository's config applies): USD and tokens per run and per day.
 */
const repositoryLlmBudgets = Effect.gen(function* () {
  const sql = yield* SqlClient
  yield* sql`ALTER TABLE repository_settings
    ADD COLUMN llm_usd_per_run NUMERIC(20, 9),
    ADD COLUMN llm_usd_per_day NUMERIC(20, 9),
    ADD COLUMN llm_tokens_per_run BIGINT,
    ADD COLUMN llm_tokens_per_day BIGINT`
})

/**
 * Source connectors and encrypted secrets. A secret row holds the id of the key that sealed it, the
 * nonce, the ciphertext and the GCM tag — never the plaintext. Numbered 0013, after
 * the LLM budgets (0012) that landed first: the migrator skips ids at or below the latest applied.
 */
const connectorsAndSecrets = Effect.gen(function* () {
  const sql = yield* SqlClient
  yield* sql`CREATE TABLE connectors (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    auth TEXT NOT NULL,
    config JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, name)
  )`
  yield* sql`CREATE TABLE secrets (
    org_id TEXT NOT NULL REFERENCES organisations(id),
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    key_id TEXT NOT NULL,
    iv BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL,
    tag BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, owner, name)
  )`
  yield* sql`CREATE TABLE repository_connectors (
    repo_id TEXT PRIMARY KEY REFERENCES repositories(id) ON DELETE CASCADE,
    connector_id TEXT NOT NULL REFERENCES connectors(id) ON DELETE CASCADE
  )`
  yield* sql`CREATE TABLE connector_installations (
    connector_id TEXT NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
    installation_id BIGINT NOT NULL,
    account TEXT,
    repositories JSONB NOT NULL,
    suspended BOOLEAN NOT NULL DEFAULT false,
    deleted BOOLEAN NOT NULL DEFAULT false,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (connector_id, installation_id)
  )`
})

/**
 * GitHub work: webhook deliveries (the delivery id is the key, so a redelivery is recognised, and
 * the signed body's hash is unique, so a captured delivery replayed under another id is too),
 * prompted tasks, and the pull requests Ratchet opened with their CI state.
 */
const githubWork = Effect.gen(function* () {
  const sql = yield* SqlClient
  yield* sql`CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    connector_id TEXT REFERENCES connectors(id) ON DELETE SET NULL,
    event TEXT NOT NULL,
    action TEXT,
    payload JSONB NOT NULL,
    body_sha256 TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    result JSONB,
    attempts INTEGER NOT NULL DEFAULT 0,
    received_at TIMESTAMPTZ NOT NULL,
    claimed_at TIMESTAMPTZ,
    processed_at TIMESTAMPTZ
  )`
  yield* sql`CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (status, received_at)`
  yield* sql`CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    repo_id TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    instruction TEXT NOT NULL,
    paths JSONB NOT NULL,
    source JSONB NOT NULL,
    status TEXT NOT NULL,
    plan JSONB,
    decision JSONB,
    run_id TEXT,
    proposal_id TEXT,
    error TEXT,
    replies JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
  )`
  yield* sql`CREATE INDEX tasks_status ON tasks (status, updated_at)`
  yield* sql`CREATE INDEX tasks_repo ON tasks (repo_id, created_at)`
  yield* sql`CREATE TABLE pull_requests (
    proposal_id TEXT PRIMARY KEY REFERENCES proposals(id) ON DELETE CASCADE,
    repo_id TEXT NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    connector_id TEXT,
    repo TEXT NOT NULL,
    number INTEGER NOT NULL,
    url TEXT NOT NULL,
    branch TEXT NOT NULL,
    head_sha TEXT NOT NULL,
    state TEXT NOT NULL,
    ci JSONB,
    task_id TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
  )`
  yield* sql`CREATE INDEX pull_requests_head ON pull_requests (repo, head_sha)`
  yield* sql`CREATE INDEX pull_requests_state ON pull_requests (state, updated_at)`
})

/**
 * Trusted repositories (#17): a repository's config is evaluated as data in the sandbox unless an
 * operator marks the repository trusted (then it is imported in the server's process and its code
 * plugins run). Every change of that setting is kept in `audit_log` (who, when, old and new value);
 * rows are never updated. Numbered 0015, after the connectors and GitHub work (0013, 0014): the
 * migrator skips ids at or below the latest applied.
 */
const repositoryTrust = Effect.gen(function* () {
  const sql = yield* SqlClient
  yield* sql`ALTER TABLE repository_settings ADD COLUMN trusted BOOLEAN NOT NULL DEFAULT false`
  yield* sql`CREATE TABLE audit_log (
    seq BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    org_id TEXT NOT NULL,
    repo_id TEXT,
    action TEXT NOT NULL,
    actor_token_id TEXT NOT NULL,
    actor_token_name TEXT NOT NULL,
    old_value JSONB,
    new_value JSONB
  )`
  yield* sql`CREATE INDEX audit_log_repo ON audit_log (repo_id, seq)`
})

/** The server's migrations by id (a test replays a prefix of them to make an older database). */
export const migrations = {
  "0001_initial": initial,
  "0002_dashboard_sessions": dashboardSessions,
  "0003_repository_policy": repositoryPolicy,
  "0004_atomic_decisions": atomicDecisions,
  "0005_run_queue": runQueue,
  "0006_write_ledger": writeLedger,
  "0007_tenants": tenants,
  // numbered after the ones other branches had reserved (connectors 0010-0011)
  "0012_repository_llm_budgets": repositoryLlmBudgets,
  // GitHub work landed after 0012: the migrator skips ids at or below the latest applied
  "0013_connectors_secrets": connectorsAndSecrets,
  "0014_github_work": githubWork,
  // trusted repositories, after the GitHub work
  "0015_repository_trust": repositoryTrust
}

/** Runs the server's migrations (idempotent; recorded in `ratchet_migrations`). */
export const runMigrations = Migrator.make({})({
  loader: Migrator.fromRecord(migrations),
  table: "ratchet_migrations"
}).pipe(Effect.mapError((e) => storeFailure("running migrations", e)))
