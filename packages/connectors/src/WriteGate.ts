/**
 * The `WriteGate`: the only path to a remote write. One gate serves every connector and every
 * repository of a host (the reference server builds it once, in `Server.layer`). For every
 * publish it, in order and while holding the permit of the target repository (writes to one
 * repository are serialised; writes to different repositories are not):
 *
 * 1. validates the request (repository, base branch, proposal shape, proposal id);
 * 2. recomputes the proposal's content hash from its content (`Package.contentHashOf`, core's only
 *    proposal hash) and refuses a proposal whose stored `contentHash` no longer matches it;
 * 3. looks up the approval in the {@link ApprovalStore.ApprovalStore} and refuses when there is
 *    none, when it names another proposal, or when it covers another content hash (edited after
 *    approval);
 * 4. runs the policy again on the diff through core's `PolicyCheck` port (with the request's
 *    config, the repository's) and refuses on BLOCK;
 * 5. re-roots the verified diff under the request's `prefix` (a package inside a monorepo) and
 *    hands the connector's writer a permit for exactly that content, bound to the approved hash.
 *
 * Each attempt — allowed, refused or failed — becomes an {@link AuditEntry} (who asked, the
 * proposal, the content hash, the outcome, when) that `audit` reads back and `onAudit` persists
 * (the server's proof ledger). A connector's write capability is an opaque {@link Writer}: nothing
 * outside this gate can call it. {@link sourceConnector} presents a connector as core's
 * `SourceConnector` port, publishing through the gate.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { PolicyCheck, SourceConnector } from "@ratchet/core"
 * import { ApprovalStore, LocalGitConnector, WriteGate } from "@ratchet/connectors"
 *
 * const gate = WriteGate.WriteGate.layer().pipe(Layer.provide([approvalStoreLayer, PolicyCheck.PolicyCheck.layerTest()]))
 * const program = Effect.gen(function* () {
 *   const connector = yield* SourceConnector.SourceConnector
 *   return yield* connector.publish({ repo: "/srv/git/app.git", baseBranch: "main", proposal, actor: "ada" })
 * }).pipe(Effect.provide(LocalGitConnector.layer({ outDir: ".ratchet/patches" })), Effect.provide(gate))
 * ```
 *
 * @since 0.1.0
 */
import { type Config, Diff, Package, PolicyCheck, Proposal, RatchetError, SourceConnector } from "@ratchet/core"
import { Clock, Context, Effect, Layer, Ref, Result, Schema, Semaphore } from "effect"
import { ApprovalStore } from "./ApprovalStore.js"
import {
  approvalMismatch,
  type ConnectorError,
  checkUnavailable,
  invalidRequest,
  notApproved,
  policyBlocked
} from "./ConnectorError.js"
import { redactPatterns } from "./Redact.js"
import { issuePermit, makeWriter, type Permit, type WriteResult, write, type Writer as InternalWriter } from "./internal/writer.js"

/**
 * An opaque handle to a connector's write capability. Only the WriteGate can use it.
 *
 * @since 0.1.0
 */
export type Writer = InternalWriter

/**
 * What a connector's write returns: core's `PublishResult` plus the commit and the patch file.
 *
 * @since 0.1.0
 */
export type PublishResult = WriteResult

/**
 * A source connector as the gate sees it: reads are free, the write is a {@link Writer}.
 *
 * @since 0.1.0
 */
export interface Connector {
  readonly name: string
  /** Clones `repo` at `commit` into `dir`; returns the resolved commit sha. */
  readonly fetch: (repo: string, commit: string, dir: string) => Effect.Effect<string, ConnectorError>
  readonly writer: Writer
}

/**
 * A request to publish a proposal. The approval is not part of it: the gate looks it up.
 *
 * @since 0.1.0
 */
export interface WriteRequest {
  /** The target repository (a path or URL for the local git connector, `owner/name` for GitHub). */
  readonly repo: string
  readonly baseBranch: string
  /** The commit the proposal was made against; default: the tip of `baseBranch`. */
  readonly baseCommit?: string
  /** The proposal as it is now; its content hash is recomputed from this. */
  readonly proposal: Proposal.Proposal
  /** PR description / commit body. */
  readonly body?: string
  /** Who asks for the write (a token identity, a user): recorded in the audit entry. */
  readonly actor?: string
  /**
   * Publish under this directory of the repository (a package inside a monorepo, e.g.
   * `"packages/lib/"`): the verified diff's paths are re-rooted under it (core's `Diff.reroot`)
   * after every check, and the permit keeps the approved content hash.
   */
  readonly prefix?: string
  /** The config whose policy the write is checked against again (the repository's); default: the policy adapter's defaults. */
  readonly config?: Config.ResolvedConfig
}

/**
 * One publish attempt.
 *
 * @since 0.1.0
 */
export interface AuditEntry {
  readonly seq: number
  readonly at: string
  readonly connector: string
  readonly repo: string
  readonly proposalId: string
  /** Who asked for the write (`WriteRequest.actor`), or null when the request did not say. */
  readonly actor: string | null
  /** The content hash recomputed from the request (null when the request was unreadable). */
  readonly contentHash: string | null
  readonly approvedBy: string | null
  /** `allowed`: written (or already there); `refused`: stopped by the gate; `failed`: allowed but the write failed. */
  readonly outcome: "allowed" | "refused" | "failed"
  readonly reason: string
  readonly branch: string | null
  readonly created: boolean | null
  /** The commit written, when the connector says. */
  readonly commit: string | null
}

/**
 * Gate options.
 *
 * @since 0.1.0
 */
export interface GateOptions {
  /**
   * Called with every audit entry, inside the repository's permit (the server persists it: the
   * proof ledger). A failure is logged and does not stop the gate: a refusal stays a refusal.
   */
  readonly onAudit?: (entry: AuditEntry) => Effect.Effect<void, unknown>
  /**
   * Held around every write to one repository, inside this gate's own permit for it (`key` names
   * the connector and the repository). The gate's permits serialise the writes of one process;
   * where several processes write to the same repositories (servers sharing one PostgreSQL), this
   * is a lock they all see, so a repository's writes are serialised across processes too. It
   * reports its own failures as `ConnectorError` (`CheckUnavailable`). Default: none.
   *
   * @since 0.2.3
   */
  readonly serialize?: <A, R>(key: string, write: Effect.Effect<A, ConnectorError, R>) => Effect.Effect<A, ConnectorError, R>
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/
const HEX = /^[0-9a-f]{7,64}$/i

/**
 * Why `id` cannot be a proposal id (it becomes a branch name and a file name), or `null`.
 *
 * @since 0.1.0
 */
export const checkProposalId = (id: string): string | null => {
  if (!ID.test(id)) return "a proposal id must be 1-100 characters of letters, digits, '.', '_' and '-', starting with a letter or digit"
  if (id.includes("..")) return "a proposal id must not contain '..'"
  if (id.endsWith(".lock") || id.endsWith(".")) return "a proposal id must not end with '.lock' or '.'"
  return null
}

/**
 * Why `name` cannot be a branch name, or `null`.
 *
 * @since 0.1.0
 */
export const checkBranchName = (name: string): string | null => {
  if (name.length === 0 || name.length > 200) return "a branch name must be 1-200 characters"
  if (!/^[A-Za-z0-9._/-]+$/.test(name)) return "a branch name may only contain letters, digits, '.', '_', '-' and '/'"
  if (name.startsWith("-") || name.startsWith("/") || name.endsWith("/") || name.endsWith(".") || name.endsWith(".lock")) {
    return "a branch name must not start with '-' or '/' nor end with '/', '.' or '.lock'"
  }
  if (name.includes("..") || name.includes("//") || name.split("/").some((s) => s.startsWith("."))) {
    return "a branch name must not contain '..', '//' or a component starting with '.'"
  }
  return null
}

const decodeProposal = Schema.decodeUnknownResult(Proposal.Proposal)

type Validated = { readonly request: WriteRequest; readonly proposal: Proposal.Proposal }

const validate = (typed: WriteRequest): Result.Result<Validated, ConnectorError> => {
  const input: unknown = typed
  const bad = (what: string, where: string, fix: string) => Result.fail(invalidRequest({ what, where, fix }))
  if (typeof input !== "object" || input === null) return bad("the publish request is not an object", "request", "pass { repo, baseBranch, proposal }")
  const r = input as Record<string, unknown>
  if (typeof r.repo !== "string" || r.repo.trim().length === 0 || r.repo.includes("\0") || r.repo.length > 4096) {
    return bad("the repository is missing, empty, too long or contains a NUL byte", "request.repo", "pass a repository path or URL")
  }
  if (typeof r.baseBranch !== "string") return bad("the base branch is missing", "request.baseBranch", "pass the branch the proposal targets, e.g. main")
  const branchProblem = checkBranchName(r.baseBranch)
  if (branchProblem !== null) return bad(branchProblem, `request.baseBranch ${JSON.stringify(r.baseBranch.slice(0, 200))}`, "pass a plain branch name such as main")
  if (r.baseCommit !== undefined && (typeof r.baseCommit !== "string" || !HEX.test(r.baseCommit))) {
    return bad("the base commit is not a hex commit id", "request.baseCommit", "pass the full sha the proposal was made against, or leave it out")
  }
  if (r.body !== undefined && (typeof r.body !== "string" || r.body.length > 65_536)) {
    return bad("the body is not a string of at most 64 KiB", "request.body", "shorten the description")
  }
  if (r.actor !== undefined && (typeof r.actor !== "string" || r.actor.length > 500)) {
    return bad("the actor is not a string of at most 500 characters", "request.actor", "pass who asks for the write, e.g. the token's name")
  }
  if (r.prefix !== undefined && (typeof r.prefix !== "string" || (r.prefix !== "" && checkPrefix(r.prefix) !== null))) {
    return bad(typeof r.prefix === "string" ? checkPrefix(r.prefix) ?? "" : "the prefix is not a string", "request.prefix", "pass the package's directory relative to the repository root, ending in '/', e.g. packages/lib/")
  }
  const decoded = decodeProposal(r.proposal)
  if (Result.isFailure(decoded)) {
    return bad(`the proposal does not match the Proposal schema: ${String(decoded.failure.message).slice(0, 500)}`, "request.proposal", "pass the proposal as packaged")
  }
  const proposal = decoded.success
  const idProblem = checkProposalId(proposal.id)
  if (idProblem !== null) return bad(idProblem, `proposal.id ${JSON.stringify(proposal.id.slice(0, 120))}`, "use the id Ratchet assigned")
  if (proposal.diff.trim().length === 0) return bad("the proposal's diff is empty", `proposal ${proposal.id}`, "publish a proposal that changes something")
  const request: WriteRequest = {
    repo: r.repo,
    baseBranch: r.baseBranch,
    proposal,
    ...(typeof r.baseCommit === "string" ? { baseCommit: r.baseCommit } : {}),
    ...(typeof r.body === "string" ? { body: r.body } : {}),
    ...(typeof r.actor === "string" ? { actor: r.actor } : {}),
    ...(typeof r.prefix === "string" ? { prefix: r.prefix } : {}),
    // the config is the host's own object (never read from a request body); it is passed to the policy as is
    ...(typed.config === undefined ? {} : { config: typed.config })
  }
  return Result.succeed({ request, proposal })
}

/** Why `prefix` cannot be a directory inside a repository, or `null`. */
const checkPrefix = (prefix: string): string | null => {
  if (!prefix.endsWith("/") || prefix.startsWith("/") || prefix.includes("\\") || prefix.includes("\0")) return "the prefix must be a relative directory ending in '/'"
  if (prefix.split("/").slice(0, -1).some((part) => part === "" || part === "." || part === ".." || part.toLowerCase() === ".git")) {
    return "the prefix must not contain empty, '.', '..' or '.git' components"
  }
  return null
}

const describePolicyError = (error: RatchetError.RatchetError): string => error.message

/** The same proposal with every path under `prefix` (diff headers, renames, copies and `files`). */
const rerooted = (proposal: Proposal.Proposal, prefix: string): Effect.Effect<Proposal.Proposal, ConnectorError> =>
  prefix === ""
    ? Effect.succeed(proposal)
    : Diff.parse(proposal.diff).pipe(
      Effect.map((patch) => ({ ...proposal, diff: Diff.format(Diff.reroot(patch, prefix)), files: proposal.files.map((f) => `${prefix}${f}`) })),
      Effect.mapError((e) => invalidRequest({ what: `the approved diff does not parse: ${e.message}`, where: `proposal ${proposal.id}`, fix: "publish a proposal as packaged" }))
    )

/**
 * A connector's write capability as the gate takes it.
 *
 * @since 0.2.0
 */
export interface Target {
  readonly name: string
  readonly writer: Writer
}

/**
 * A gate bound to one connector: what {@link make} returns.
 *
 * @since 0.2.0
 */
export interface BoundGate {
  /** Publishes a proposal through the connector after verifying its approval and re-running the policy. */
  readonly publish: (request: WriteRequest) => Effect.Effect<PublishResult, ConnectorError>
  /** Every attempt this gate saw, oldest first. */
  readonly audit: Effect.Effect<ReadonlyArray<AuditEntry>>
}

/**
 * Builds the gate: one permit per repository, one audit log. Needs the approval store and the
 * policy check.
 *
 * @since 0.2.0
 */
export const makeGate = Effect.fn("WriteGate.makeGate")(function* (options: GateOptions = {}) {
  const approvals = yield* ApprovalStore
  const policy = yield* PolicyCheck.PolicyCheck
  const locks = new Map<string, Semaphore.Semaphore>()
  const log = yield* Ref.make<ReadonlyArray<AuditEntry>>([])

  /** The permit of one repository of one connector (made on first use; JavaScript runs this synchronously). */
  const lockOf = (key: string) =>
    Effect.sync(() => {
      const existing = locks.get(key)
      if (existing !== undefined) return existing
      const made = Semaphore.makeUnsafe(1)
      locks.set(key, made)
      return made
    })

  const guarded = (connector: Target, input: WriteRequest) =>
    Effect.gen(function* () {
      const raw: Partial<Record<keyof WriteRequest, unknown>> = typeof input === "object" && input !== null ? input : {}
      const repo = typeof raw.repo === "string" ? raw.repo.slice(0, 4096) : "?"
      const rawProposal = raw.proposal
      const rawId = typeof rawProposal === "object" && rawProposal !== null && "id" in rawProposal && typeof rawProposal.id === "string" ? rawProposal.id.slice(0, 120) : "?"
      const actor = typeof raw.actor === "string" && raw.actor.length <= 500 ? redactPatterns(raw.actor) : null

      const record = (entry: Omit<AuditEntry, "seq" | "at" | "connector" | "repo" | "actor">) =>
        Effect.gen(function* () {
          const at = new Date(yield* Clock.currentTimeMillis).toISOString()
          const full = yield* Ref.modify(log, (all): [AuditEntry, ReadonlyArray<AuditEntry>] => {
            const e: AuditEntry = {
              ...entry,
              seq: all.length + 1,
              at,
              connector: connector.name,
              repo: redactPatterns(repo),
              actor,
              reason: redactPatterns(entry.reason)
            }
            return [e, [...all, e]]
          })
          if (options.onAudit) {
            yield* options.onAudit(full).pipe(
              Effect.catchCause((cause) => Effect.logError("WriteGate: the audit entry could not be persisted", cause))
            )
          }
        })

      const refuse = (error: ConnectorError, contentHash: string | null, approvedBy: string | null = null) =>
        record({ proposalId: rawId, contentHash, approvedBy, outcome: "refused", reason: error.message, branch: null, created: null, commit: null }).pipe(
          Effect.andThen(Effect.fail(error))
        )

      const validated = validate(input)
      if (Result.isFailure(validated)) return yield* refuse(validated.failure, null)
      const { request, proposal } = validated.success

      const contentHash = Package.contentHashOf(proposal)
      if (proposal.contentHash !== undefined && proposal.contentHash !== contentHash) {
        return yield* refuse(
          approvalMismatch({
            proposalId: proposal.id,
            approvedHash: proposal.contentHash,
            currentHash: contentHash,
            detail: "the proposal's content no longer matches its recorded content hash (it was edited after packaging)"
          }),
          contentHash
        )
      }

      const found = yield* approvals.find(proposal.id).pipe(
        Effect.mapError((e) => checkUnavailable({ check: "approval store lookup", proposalId: proposal.id, detail: e.message, cause: e })),
        Effect.catchDefect((d) => Effect.fail(checkUnavailable({ check: "approval store lookup", proposalId: proposal.id, detail: String(d), cause: d }))),
        Effect.result
      )
      if (Result.isFailure(found)) return yield* refuse(found.failure, contentHash)
      const approval = found.success
      if (approval === null) return yield* refuse(notApproved(proposal.id), contentHash)
      if (approval.proposalId !== proposal.id) {
        return yield* refuse(
          approvalMismatch({ proposalId: proposal.id, approvedHash: approval.contentHash, currentHash: contentHash, detail: `the approval is for proposal ${approval.proposalId}` }),
          contentHash,
          approval.approvedBy
        )
      }
      if (approval.contentHash !== contentHash) {
        return yield* refuse(
          approvalMismatch({
            proposalId: proposal.id,
            approvedHash: approval.contentHash,
            currentHash: contentHash,
            detail: "the approval covers another version of this proposal (it changed after approval)"
          }),
          contentHash,
          approval.approvedBy
        )
      }
      if (typeof approval.approvedBy !== "string" || approval.approvedBy.trim().length === 0) {
        return yield* refuse(
          approvalMismatch({ proposalId: proposal.id, approvedHash: approval.contentHash, currentHash: contentHash, detail: "the approval does not say who approved" }),
          contentHash
        )
      }

      const decision = yield* policy.check(proposal.diff, request.config).pipe(
        Effect.mapError((e) => checkUnavailable({ check: "policy check", proposalId: proposal.id, detail: describePolicyError(e), cause: e })),
        Effect.catchDefect((d) => Effect.fail(checkUnavailable({ check: "policy check", proposalId: proposal.id, detail: String(d), cause: d }))),
        Effect.result
      )
      if (Result.isFailure(decision)) return yield* refuse(decision.failure, contentHash, approval.approvedBy)
      const blocking = decision.success.verdicts.filter((v) => v.severity === "BLOCK")
      if (!decision.success.allowed || blocking.length > 0) {
        const lines = blocking.map((v) => `${v.rule}: ${v.message}${v.file ? ` (${v.file})` : ""}`)
        return yield* refuse(policyBlocked(proposal.id, lines.length > 0 ? lines : ["not allowed"]), contentHash, approval.approvedBy)
      }

      const placed = yield* Effect.result(rerooted(proposal, request.prefix ?? ""))
      if (Result.isFailure(placed)) return yield* refuse(placed.failure, contentHash, approval.approvedBy)

      const permit: Permit = issuePermit({
        repo: request.repo,
        baseBranch: request.baseBranch,
        baseCommit: request.baseCommit ?? null,
        proposal: placed.success,
        body: request.body ?? "",
        contentHash,
        approval
      })
      const written = yield* write(connector.writer, permit).pipe(
        Effect.catchDefect((d) => Effect.fail(invalidRequest({ what: `the ${connector.name} connector crashed: ${String(d)}`, where: proposal.id, fix: "report this bug" }))),
        Effect.result
      )
      if (Result.isFailure(written)) {
        yield* record({ proposalId: proposal.id, contentHash, approvedBy: approval.approvedBy, outcome: "failed", reason: written.failure.message, branch: null, created: null, commit: null })
        return yield* Effect.fail(written.failure)
      }
      const result = written.success
      yield* record({
        proposalId: proposal.id,
        contentHash,
        approvedBy: approval.approvedBy,
        outcome: "allowed",
        reason: result.created ? "published" : "already published (idempotent)",
        branch: result.branch,
        created: result.created,
        commit: result.commit
      })
      return result
    })

  const lockKey = (connector: Target, request: WriteRequest): string =>
    `${connector.name}\0${typeof request === "object" && request !== null && typeof request.repo === "string" ? request.repo : "?"}`

  return WriteGate.of({
    publish: (connector, request) =>
      lockOf(lockKey(connector, request)).pipe(
        Effect.flatMap((lock) => {
          const write = guarded(connector, request)
          return lock.withPermits(1)(options.serialize === undefined ? write : options.serialize(lockKey(connector, request), write))
        }),
        Effect.withSpan("WriteGate.publish", { attributes: { connector: connector.name } })
      ),
    audit: Ref.get(log)
  })
})

/**
 * A gate bound to one connector (for a host with one connector, and for tests). Needs the
 * approval store and the policy check.
 *
 * @since 0.1.0
 */
export const make = Effect.fn("WriteGate.make")(function* (connector: Target, options: GateOptions = {}) {
  const gate = yield* makeGate(options)
  return bind(gate, connector)
})

/**
 * The gate's service bound to one connector.
 *
 * @since 0.2.0
 */
export const bind = (gate: WriteGate["Service"], connector: Target): BoundGate => ({
  publish: (request) => gate.publish(connector, request),
  audit: gate.audit
})

const refusedKinds: ReadonlySet<ConnectorError["reason"]["_tag"]> = new Set(["NotApproved", "ApprovalMismatch", "PolicyBlocked", "BranchConflict"])

/**
 * A gate refusal or a connector failure as core's error: a refusal (no approval, another
 * version approved, policy block, a branch holding other content) is `WriteRefused`, a bad
 * request `BadInput`, anything else an `IoFailure`; the connector's error stays the `cause`.
 *
 * @since 0.2.0
 */
export const toRatchetError = (error: ConnectorError): RatchetError.RatchetError => {
  const reason = error.reason
  if (refusedKinds.has(reason._tag)) return RatchetError.writeRefused({ proposalId: "proposalId" in reason ? reason.proposalId : "?", kind: reason._tag, detail: error.message }, error)
  if (reason._tag === "InvalidRequest") return RatchetError.badInput({ what: reason.what, where: reason.where, fix: reason.fix }, error)
  return RatchetError.ioFailure(reason._tag === "GitFailed" ? reason.where : reason._tag, error.message, error)
}

/**
 * A connector as core's `SourceConnector` port: `fetch` reads directly, `publish` goes through
 * this gate (`actor`, `prefix` and `config` of the request included). Errors become core's
 * `RatchetError` (see {@link toRatchetError}).
 *
 * @since 0.2.0
 */
export const sourceConnector = (connector: Connector): Effect.Effect<SourceConnector.SourceConnector["Service"], never, WriteGate> =>
  Effect.map(WriteGate, (gate) =>
    SourceConnector.SourceConnector.of({
      name: connector.name,
      fetch: (repo, commit, dir) => Effect.mapError(connector.fetch(repo, commit, dir), toRatchetError),
      publish: (request) =>
        gate.publish(connector, request).pipe(
          Effect.map((r): SourceConnector.PublishResult => ({
            branch: r.branch,
            url: r.url,
            created: r.created,
            commit: r.commit,
            patchFile: r.patchFile,
            contentHash: Package.contentHashOf(request.proposal)
          })),
          Effect.mapError(toRatchetError)
        )
    }))

/**
 * The single gate to remote writes.
 *
 * @since 0.1.0
 */
export class WriteGate extends Context.Service<
  WriteGate,
  {
    /** Publishes a proposal through `connector` after verifying its approval and re-running the policy (one write per repository at a time). */
    readonly publish: (connector: Target, request: WriteRequest) => Effect.Effect<PublishResult, ConnectorError>
    /** Every attempt this gate saw, oldest first (this process; `onAudit` persists them). */
    readonly audit: Effect.Effect<ReadonlyArray<AuditEntry>>
  }
>()("@ratchet/connectors/WriteGate") {
  /**
   * The gate, built once per host.
   *
   * @since 0.1.0
   */
  static readonly layer = (options: GateOptions = {}): Layer.Layer<WriteGate, never, ApprovalStore | PolicyCheck.PolicyCheck> =>
    Layer.effect(WriteGate, makeGate(options))

  /**
   * The real gate (every check, audit, per-repository serialisation) for tests; pair it with
   * {@link recordingConnector} to write nowhere.
   *
   * @since 0.1.0
   */
  static readonly layerTest: Layer.Layer<WriteGate, never, ApprovalStore | PolicyCheck.PolicyCheck> = Layer.effect(WriteGate, makeGate())
}

/**
 * A connector that writes nowhere: each permitted write is appended to `written` (idempotent by
 * proposal id) — for tests of the gate and of hosts.
 *
 * @since 0.2.0
 */
export const recordingConnector = (written: Ref.Ref<ReadonlyArray<WriteRequest & { readonly contentHash: string }>>): Connector => ({
  name: "test",
  fetch: (_repo, commit) => Effect.succeed(commit),
  writer: recordingWriter(written)
})

/**
 * A writer that records permitted writes in `written` (idempotent by proposal id).
 *
 * @since 0.1.0
 */
export const recordingWriter = (written: Ref.Ref<ReadonlyArray<WriteRequest & { readonly contentHash: string }>>): Writer =>
  makeWriter("test", (permit) =>
    Ref.modify(written, (all): [PublishResult, ReadonlyArray<WriteRequest & { readonly contentHash: string }>] => {
      const branch = `ratchet/${permit.proposal.id}`
      if (all.some((w) => w.proposal.id === permit.proposal.id)) return [{ branch, url: null, created: false, commit: null, patchFile: null }, all]
      const entry = {
        repo: permit.repo,
        baseBranch: permit.baseBranch,
        ...(permit.baseCommit === null ? {} : { baseCommit: permit.baseCommit }),
        proposal: permit.proposal,
        body: permit.body,
        contentHash: permit.contentHash
      }
      return [{ branch, url: null, created: true, commit: null, patchFile: null }, [...all, entry]]
    })
  )
