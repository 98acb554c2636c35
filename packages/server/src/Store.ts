/**
 * The server's persistent state, one service over the SQL database. Each record kind lives in
 * its own module under `internal/store/` (tokens, repositories, runs and stages, events,
 * attempts, proposals, decisions, artifacts, budgets, the write ledger); this module composes them into the
 * `Store` service and re-exports their types.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import { SqlError } from "effect/sql/SqlError"
import { type ServerError, storeFailure } from "./ServerError.js"
import * as Artifacts from "./internal/store/artifacts.js"
import * as Attempts from "./internal/store/attempts.js"
import * as Budgets from "./internal/store/budgets.js"
import * as Connectors from "./internal/store/connectors.js"
import * as Decisions from "./internal/store/decisions.js"
import * as Events from "./internal/store/events.js"
import * as GitHubStore from "./internal/store/github.js"
import * as Ledger from "./internal/store/ledger.js"
import * as Proposals from "./internal/store/proposals.js"
import * as Repos from "./internal/store/repos.js"
import * as Runs from "./internal/store/runs.js"
import * as Secrets from "./internal/store/secrets.js"
import { SecretKeyring } from "./Secrets.js"
import { makeContext, newId as makeId, sha256 as hash } from "./internal/store/sql.js"
import * as Tokens from "./internal/store/tokens.js"
import * as Usage from "./internal/store/usage.js"

/** @since 0.1.0 */
export type RunStatus = Runs.RunStatus
/** The stage names, in pipeline order. @since 0.1.0 */
export const stageNames: ReadonlyArray<StageName> = Runs.stageNames
/** @since 0.1.0 */
export type StageName = Runs.StageName
/** A connected repository. @since 0.1.0 */
export type Repo = Repos.Repo
/** Per-repository settings: schedule, budgets, provider and the auto-pause state. @since 0.1.0 */
export type RepoSettings = Repos.RepoSettings
/** A patch to {@link RepoSettings}; absent fields stay as they are. @since 0.1.0 */
export type SettingsPatch = Repos.SettingsPatch
/** Who changes settings (a trusted repository needs an administrator of the operator organisation). @since 0.2.0 */
export type Actor = Repos.Actor
/** One change of a setting in the audit log (a repository's `trusted`). @since 0.2.0 */
export type AuditEntry = Repos.AuditEntry
/** One stage of a run. @since 0.1.0 */
export type RunStage = Runs.RunStage
/** A run as the API shows it. @since 0.1.0 */
export type Run = Runs.Run
/** A run with a summary of its proposals. @since 0.1.0 */
export type RunView = Runs.RunView
/** One entry of a run's event log; `seq` is the SSE event id. @since 0.1.0 */
export type RunEvent = Events.RunEvent
/** A reviewer's decision on a proposal, bound to its content hash. @since 0.1.0 */
export type Approval = Decisions.Approval
/** Who records a decision: the principal behind the bearer token. @since 0.1.0 */
export type Decider = Decisions.Decider
/** A stored proposal. @since 0.1.0 */
export type Proposal = Proposals.Proposal
/** Artifact metadata (the bytes come with {@link Store} `getArtifact`). @since 0.1.0 */
export type ArtifactMeta = Artifacts.ArtifactMeta
/** Budget usage of one repository on one day (in its timezone). @since 0.1.0 */
export type BudgetUsage = Budgets.BudgetUsage
/** A source connector (secrets by name only). @since 0.2.0 */
export type Connector = Connectors.Connector
/** A GitHub connector's non-secret configuration. @since 0.2.0 */
export type GitHubConfig = Connectors.GitHubConfig
/** A prompted task. @since 0.2.0 */
export type Task = GitHubStore.Task
/** Where a task came from. @since 0.2.0 */
export type TaskSource = GitHubStore.TaskSource
/** A task's state. @since 0.2.0 */
export type TaskStatus = GitHubStore.TaskStatus
/** A pull request Ratchet opened and follows. @since 0.2.0 */
export type PullRequest = GitHubStore.PullRequest
/** A webhook delivery. @since 0.2.0 */
export type Delivery = GitHubStore.Delivery
/** One write the WriteGate allowed or refused, as the proof ledger keeps it. @since 0.2.0 */
export type LedgerEntry = Ledger.LedgerEntry
/** The caller behind a bearer token: organisation, token, scopes, expiry and quotas. @since 0.1.0 */
export type Principal = Tokens.Principal
/** An organisation (a tenant). @since 0.2.0 */
export type Organisation = Tokens.Organisation
/** An API token as it is listed (never its value or hash). @since 0.2.0 */
export type TokenInfo = Tokens.TokenInfo
/** What a new token is made of. @since 0.2.0 */
export type NewToken = Tokens.NewToken
/** What a presented token turned out to be: active, expired, revoked or unknown. @since 0.2.0 */
export type Identified = Tokens.Identified
/** What a run, repository, organisation or token consumed: compute and LLM calls. @since 0.2.0 */
export type Consumption = Usage.Consumption
/** Consumption over a UTC day and month, with the runs started in them. @since 0.2.0 */
export type UsageCounters = Usage.Counters
/** Consumption grouped by repository or token. @since 0.2.0 */
export type UsageGroup = Usage.UsageGroup
/** One model call to meter. @since 0.2.0 */
export type LlmUsage = Usage.LlmUsage

/**
 * The operator organisation: where the bootstrap token lives; its administrators create
 * organisations and set their quotas.
 *
 * @since 0.2.0
 */
export const OPERATOR_ORG: string = Tokens.OPERATOR_ORG

/** sha256 hex of a string or bytes. @since 0.1.0 */
export const sha256: (data: string | Uint8Array) => string = hash

/** A fresh random id with a readable prefix. @since 0.1.0 */
export const newId: (prefix: string) => string = makeId

/**
 * The content hash of stored proposal data: core's `Package.contentHashOf` over the proposal as
 * core's `Proposal` Schema reads it (the only proposal hash; approvals bind to it).
 *
 * @since 0.2.0
 */
export const contentHashOf: (data: unknown) => Effect.Effect<string, ServerError> = Proposals.contentHashOf

/** The first key of the advisory locks held while writing to a repository ("RATC"). */
const WRITE_LOCK_CLASS = 0x52415443

/** The second key: the first 32 bits of the sha256 of `key` (which may hold NUL, which text cannot), as a signed int4. */
const writeLockKey = (key: string): number => Number.parseInt(hash(key).slice(0, 8), 16) | 0

/**
 * What the store offers: the union of its parts. Every method fails only with `ServerError`.
 *
 * @since 0.2.0
 */
export type StoreService =
  & Tokens.TokenStore
  & Repos.RepoStore
  & Runs.RunStore
  & Events.EventStore
  & Attempts.AttemptStore
  & Proposals.ProposalStore
  & Decisions.DecisionStore
  & Artifacts.ArtifactStore
  & Budgets.BudgetStore
  & Connectors.ConnectorStore
  & Secrets.SecretStore
  & GitHubStore.GitHubStore
  & Ledger.LedgerStore
  & Usage.UsageStore
  & {
    /** Runs `effect` in a transaction holding the organisation's row lock (quota admission). */
    readonly withOrgLock: <A, E, R>(orgId: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | ServerError, R>
    /**
     * Runs `effect` holding the database's lock for writes to one repository (`key` names the
     * connector and the repository): a transaction-scoped advisory lock that every process sharing
     * the database waits for, so a repository's writes are serialised across server processes.
     * The effect's queries run in that transaction, and its own failure does not roll back what it
     * wrote (the ledger keeps refusals); only a failure to take the lock is a `StoreFailure`.
     *
     * @since 0.2.3
     */
    readonly withWriteLock: <A, E, R>(key: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | ServerError, R>
  }

/**
 * The store service. Every method fails only with `ServerError`.
 *
 * @since 0.1.0
 */
export class Store extends Context.Service<Store, StoreService>()("@ratchet/server/Store") {
  /**
   * The store on the current `SqlClient` (see `Database.layer`).
   *
   * @since 0.1.0
   */
  static readonly layer: Layer.Layer<Store, never, SqlClient> = Layer.effect(Store, Effect.gen(function* () {
    const ctx = makeContext(yield* SqlClient)
    // secrets are sealed and opened with the keyring in context at build time (default: the environment)
    const keyring = yield* SecretKeyring
    const proposals = Proposals.make(ctx)
    return Store.of({
      ...Tokens.make(ctx),
      ...Repos.make(ctx),
      ...Runs.make(ctx),
      ...Events.make(ctx),
      ...Attempts.make(ctx),
      ...proposals,
      ...Decisions.make(ctx),
      ...Artifacts.make(ctx),
      ...Budgets.make(ctx),
      ...Connectors.make(ctx),
      ...Secrets.make(ctx, keyring),
      ...GitHubStore.make(ctx),
      ...Ledger.make(ctx),
      ...Usage.make(ctx),
      withOrgLock: (orgId, effect) =>
        ctx.sql.withTransaction(Effect.andThen(ctx.q("locking an organisation", ctx.sql`SELECT id FROM organisations WHERE id = ${orgId} FOR UPDATE`), effect)).pipe(
          Effect.catchIf((e): e is SqlError => e instanceof SqlError, (e) => Effect.fail(storeFailure("a transaction on an organisation", e)))
        ),
      withWriteLock: (key, effect) =>
        // two int4 keys (a class for Ratchet's repository writes, the key's hash): a key space apart
        // from single-bigint advisory locks; a hash collision only serialises two repositories' writes
        ctx.sql.withTransaction(
          Effect.andThen(ctx.sql`SELECT pg_advisory_xact_lock(${WRITE_LOCK_CLASS}::int4, ${writeLockKey(key)}::int4)`, Effect.exit(effect))
        ).pipe(
          Effect.catchIf((e): e is SqlError => e instanceof SqlError, (e) => Effect.fail(storeFailure("locking a repository for a write", e))),
          Effect.flatten
        )
    })
  }))
}
