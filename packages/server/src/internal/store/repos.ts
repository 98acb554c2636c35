/**
 * Connected repositories and their settings: schedule, budgets, provider, and the auto-pause
 * state that consecutive setup failures drive.
 *
 * @internal
 */
import { Effect } from "effect"
import { conflict, forbidden, notFound, type ServerError } from "../../ServerError.js"
import { bool, iso, json, newId, now, num, type Row, type StoreContext, str, strOrNull } from "./sql.js"

/** A connected repository. */
export interface Repo {
  readonly id: string
  readonly orgId: string
  readonly name: string
  readonly url: string | null
  readonly path: string | null
  readonly defaultBranch: string
  readonly createdAt: string
  readonly settings: RepoSettings
}

/** Per-repository settings: schedule, budgets, provider and the auto-pause state. */
export interface RepoSettings {
  readonly schedule: string | null
  readonly timezone: string
  readonly provider: string | null
  readonly model: string | null
  readonly budgets: {
    readonly computeMinutesPerDay: number
    readonly candidatesPerRun: number
    readonly proposalsPerRun: number
    /** The LLM agent's budgets (`null`: none; the stricter of these and the repository's config applies). */
    readonly llmUsdPerRun: number | null
    readonly llmUsdPerDay: number | null
    readonly llmTokensPerRun: number | null
    readonly llmTokensPerDay: number | null
  }
  /**
   * Policy limits set on the server: at most `maxFiles` files and `maxLines` changed lines per
   * change (`null`: the repository's `ratchet.config` or the policy's defaults). The stricter of
   * these and the repository's own config applies, in validation and again before any write.
   */
  readonly policy: { readonly maxFiles: number | null; readonly maxLines: number | null }
  readonly maxSetupFailures: number
  readonly consecutiveSetupFailures: number
  readonly paused: boolean
  readonly pausedReason: string | null
  /**
   * Whether an operator marked the repository trusted: its `ratchet.config.*` is then imported in
   * the server's process and its code plugins run. Otherwise (the default) the config is evaluated
   * as data in the sandbox and code plugins do not run. Only the operator organisation's
   * administrators change it; every change is in the audit log.
   */
  readonly trusted: boolean
}

/** A patch to {@link RepoSettings}; absent fields stay as they are. */
export interface SettingsPatch {
  readonly schedule?: string | null | undefined
  readonly timezone?: string | undefined
  readonly provider?: string | null | undefined
  readonly model?: string | null | undefined
  readonly computeMinutesPerDay?: number | undefined
  readonly candidatesPerRun?: number | undefined
  readonly proposalsPerRun?: number | undefined
  readonly llmUsdPerRun?: number | null | undefined
  readonly llmUsdPerDay?: number | null | undefined
  readonly llmTokensPerRun?: number | null | undefined
  readonly llmTokensPerDay?: number | null | undefined
  readonly maxSetupFailures?: number | undefined
  readonly paused?: boolean | undefined
  readonly policyMaxFiles?: number | null | undefined
  readonly policyMaxLines?: number | null | undefined
  /** Only with an {@link Actor} of the operator organisation; recorded in the audit log. */
  readonly trusted?: boolean | undefined
}

/** Who changes settings: the principal behind the token, and whether it administers the operator organisation. */
export interface Actor {
  readonly tokenId: string
  readonly tokenName: string
  readonly operator: boolean
}

/** One change of a setting the audit log keeps (today: a repository's `trusted`); never updated. */
export interface AuditEntry {
  readonly seq: number
  readonly at: string
  readonly repoId: string | null
  /** What changed, e.g. `repository.trusted`. */
  readonly action: string
  readonly actor: { readonly tokenId: string; readonly tokenName: string }
  readonly old: unknown
  readonly new: unknown
}

/** The repository part of the store. */
export interface RepoStore {
  readonly createRepo: (orgId: string, input: { readonly name: string; readonly url: string | null; readonly path: string | null; readonly defaultBranch: string }) => Effect.Effect<Repo, ServerError>
  readonly listRepos: (orgId: string) => Effect.Effect<ReadonlyArray<Repo>, ServerError>
  readonly listAllRepos: Effect.Effect<ReadonlyArray<Repo>, ServerError>
  /** A repository by id; `orgId` null skips the organisation check (internal callers). */
  readonly getRepo: (orgId: string | null, id: string) => Effect.Effect<Repo, ServerError>
  /**
   * Applies a patch. Changing `trusted` needs `by`, an administrator of the operator organisation
   * (else `Forbidden`, nothing changed), and appends an audit entry in the same transaction.
   */
  readonly updateSettings: (orgId: string | null, id: string, patch: SettingsPatch, by?: Actor) => Effect.Effect<Repo, ServerError>
  /** The audit log of a repository, oldest first (`orgId` null skips the organisation check). */
  readonly auditOf: (orgId: string | null, repoId: string) => Effect.Effect<ReadonlyArray<AuditEntry>, ServerError>
  /** Records the outcome of a run's setup stages; pauses the repository after `maxSetupFailures` consecutive failures. */
  readonly recordSetup: (repoId: string, ok: boolean, reason: string | null) => Effect.Effect<RepoSettings, ServerError>
}

/** A nullable numeric column (PostgreSQL returns NUMERIC and BIGINT as strings). */
const numOrNull = (r: Row, column: string): number | null => (r[column] === null || r[column] === undefined ? null : num(r, column))

const toSettings = (r: Row): RepoSettings => ({
  schedule: strOrNull(r, "schedule"),
  timezone: str(r, "timezone"),
  provider: strOrNull(r, "provider"),
  model: strOrNull(r, "model"),
  budgets: {
    computeMinutesPerDay: num(r, "compute_minutes_per_day"),
    candidatesPerRun: num(r, "candidates_per_run"),
    proposalsPerRun: num(r, "proposals_per_run"),
    llmUsdPerRun: numOrNull(r, "llm_usd_per_run"),
    llmUsdPerDay: numOrNull(r, "llm_usd_per_day"),
    llmTokensPerRun: numOrNull(r, "llm_tokens_per_run"),
    llmTokensPerDay: numOrNull(r, "llm_tokens_per_day")
  },
  policy: {
    maxFiles: r.policy_max_files === null || r.policy_max_files === undefined ? null : num(r, "policy_max_files"),
    maxLines: r.policy_max_lines === null || r.policy_max_lines === undefined ? null : num(r, "policy_max_lines")
  },
  maxSetupFailures: num(r, "max_setup_failures"),
  consecutiveSetupFailures: num(r, "consecutive_setup_failures"),
  paused: bool(r, "paused"),
  pausedReason: strOrNull(r, "paused_reason"),
  trusted: bool(r, "trusted")
})

const toAudit = (r: Row): AuditEntry => ({
  seq: num(r, "seq"),
  at: iso(r.at),
  repoId: strOrNull(r, "repo_id"),
  action: str(r, "action"),
  actor: { tokenId: str(r, "actor_token_id"), tokenName: str(r, "actor_token_name") },
  old: r.old_value === null || r.old_value === undefined ? null : json(r.old_value),
  new: r.new_value === null || r.new_value === undefined ? null : json(r.new_value)
})

/** Why only the operator may trust a repository, in refusals. */
export const TRUST_REFUSED =
  "Only administrators of the operator organisation can mark a repository trusted or untrusted: a trusted repository's config is imported into the server's process, where its code could read every organisation's data and secrets. Ask the server's operator."

const toRepo = (r: Row): Repo => ({
  id: str(r, "id"),
  orgId: str(r, "org_id"),
  name: str(r, "name"),
  url: strOrNull(r, "url"),
  path: strOrNull(r, "path"),
  defaultBranch: str(r, "default_branch"),
  createdAt: iso(r.created_at),
  settings: toSettings(r)
})

/** The repository store on a context. */
export const make = ({ sql, q }: StoreContext): RepoStore => {
  const getRepo = (orgId: string | null, id: string) =>
    q("reading a repository", sql<Row>`SELECT r.*, s.* FROM repositories r JOIN repository_settings s ON s.repo_id = r.id
      WHERE r.id = ${id} ${orgId === null ? sql`` : sql`AND r.org_id = ${orgId}`}`).pipe(
      Effect.flatMap((rows) => {
        const r = rows[0]
        return r === undefined ? Effect.fail(notFound("repository", id)) : Effect.succeed(toRepo(r))
      })
    )

  return {
    createRepo: (orgId, input) =>
      Effect.gen(function* () {
        const id = newId("repo")
        const at = yield* now
        const dup = yield* q("checking repository names", sql<Row>`SELECT id FROM repositories WHERE org_id = ${orgId} AND name = ${input.name}`)
        const existing = dup[0]
        if (existing !== undefined) {
          return yield* Effect.fail(conflict(`A repository named ${JSON.stringify(input.name)} already exists (${str(existing, "id")}). Pick another name.`))
        }
        yield* q("creating a repository", sql.withTransaction(Effect.gen(function* () {
          yield* sql`INSERT INTO repositories (id, org_id, name, url, path, default_branch, created_at)
            VALUES (${id}, ${orgId}, ${input.name}, ${input.url}, ${input.path}, ${input.defaultBranch}, ${at})`
          yield* sql`INSERT INTO repository_settings (repo_id, updated_at) VALUES (${id}, ${at})`
        })))
        return yield* getRepo(orgId, id)
      }),

    listRepos: (orgId) =>
      q("listing repositories", sql<Row>`SELECT r.*, s.* FROM repositories r JOIN repository_settings s ON s.repo_id = r.id
        WHERE r.org_id = ${orgId} ORDER BY r.created_at, r.id`).pipe(Effect.map((rows) => rows.map(toRepo))),

    listAllRepos: q("listing repositories", sql<Row>`SELECT r.*, s.* FROM repositories r JOIN repository_settings s ON s.repo_id = r.id ORDER BY r.id`).pipe(
      Effect.map((rows) => rows.map(toRepo))
    ),

    getRepo,

    updateSettings: (orgId, id, p, by) =>
      Effect.gen(function* () {
        if (p.trusted !== undefined && by?.operator !== true) return yield* Effect.fail(forbidden("admin", TRUST_REFUSED))
        const repo = yield* getRepo(orgId, id)
        const s = repo.settings
        const at = yield* now
        const paused = p.paused ?? s.paused
        const update = sql`UPDATE repository_settings SET
          schedule = ${p.schedule === undefined ? s.schedule : p.schedule},
          timezone = ${p.timezone ?? s.timezone},
          provider = ${p.provider === undefined ? s.provider : p.provider},
          model = ${p.model === undefined ? s.model : p.model},
          compute_minutes_per_day = ${p.computeMinutesPerDay ?? s.budgets.computeMinutesPerDay},
          candidates_per_run = ${p.candidatesPerRun ?? s.budgets.candidatesPerRun},
          proposals_per_run = ${p.proposalsPerRun ?? s.budgets.proposalsPerRun},
          llm_usd_per_run = ${p.llmUsdPerRun === undefined ? s.budgets.llmUsdPerRun : p.llmUsdPerRun},
          llm_usd_per_day = ${p.llmUsdPerDay === undefined ? s.budgets.llmUsdPerDay : p.llmUsdPerDay},
          llm_tokens_per_run = ${p.llmTokensPerRun === undefined ? s.budgets.llmTokensPerRun : p.llmTokensPerRun},
          llm_tokens_per_day = ${p.llmTokensPerDay === undefined ? s.budgets.llmTokensPerDay : p.llmTokensPerDay},
          max_setup_failures = ${p.maxSetupFailures ?? s.maxSetupFailures},
          policy_max_files = ${p.policyMaxFiles === undefined ? s.policy.maxFiles : p.policyMaxFiles},
          policy_max_lines = ${p.policyMaxLines === undefined ? s.policy.maxLines : p.policyMaxLines},
          paused = ${paused},
          paused_reason = ${paused ? (p.paused === true ? "paused by a user" : s.pausedReason) : null},
          consecutive_setup_failures = ${p.paused === false ? 0 : s.consecutiveSetupFailures},
          updated_at = ${at}
          WHERE repo_id = ${id}`
        const trusted = p.trusted
        if (trusted === undefined || by === undefined) {
          yield* q("updating settings", update)
        } else {
          // the change and its audit entry commit together; the old value is read under the row lock
          yield* q("updating settings", sql.withTransaction(Effect.gen(function* () {
            const locked = yield* sql<Row>`SELECT trusted FROM repository_settings WHERE repo_id = ${id} FOR UPDATE`
            const old = locked[0] === undefined ? s.trusted : bool(locked[0], "trusted")
            yield* update
            if (old === trusted) return
            yield* sql`UPDATE repository_settings SET trusted = ${trusted} WHERE repo_id = ${id}`
            yield* sql`INSERT INTO audit_log (at, org_id, repo_id, action, actor_token_id, actor_token_name, old_value, new_value)
              VALUES (${at}, ${repo.orgId}, ${id}, 'repository.trusted', ${by.tokenId}, ${by.tokenName}, ${JSON.stringify(old)}::jsonb, ${JSON.stringify(trusted)}::jsonb)`
          })))
        }
        return yield* getRepo(orgId, id)
      }),

    auditOf: (orgId, repoId) =>
      q("reading the audit log", sql<Row>`SELECT a.* FROM audit_log a JOIN repositories r ON r.id = a.repo_id
        WHERE a.repo_id = ${repoId} ${orgId === null ? sql`` : sql`AND r.org_id = ${orgId}`} ORDER BY a.seq`).pipe(Effect.map((rows) => rows.map(toAudit))),

    recordSetup: (repoId, ok, reason) =>
      Effect.gen(function* () {
        if (ok) {
          yield* q("recording setup", sql`UPDATE repository_settings SET consecutive_setup_failures = 0 WHERE repo_id = ${repoId}`)
        } else {
          yield* q("recording setup", sql`UPDATE repository_settings SET consecutive_setup_failures = consecutive_setup_failures + 1,
            paused = paused OR consecutive_setup_failures + 1 >= max_setup_failures,
            paused_reason = CASE WHEN paused THEN paused_reason
              WHEN consecutive_setup_failures + 1 >= max_setup_failures
              THEN ${`auto-paused after repeated setup failures; last: ${reason ?? "unknown"}`} || ' (' || (consecutive_setup_failures + 1) || ' in a row). Fix the repository, then PATCH settings with {"paused": false}.'
              ELSE paused_reason END
            WHERE repo_id = ${repoId}`)
        }
        return (yield* getRepo(null, repoId)).settings
      })
  }
}
