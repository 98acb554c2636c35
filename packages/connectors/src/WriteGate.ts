/**
 * The `WriteGate`: the only path to a remote write. For every publish it, in order and while
 * holding the single write permit (writes are serialised):
 *
 * 1. validates the request (repository, base branch, proposal shape, proposal id);
 * 2. recomputes the proposal's content hash from its content (`Package.contentHashOf`) and
 *    refuses a proposal whose stored `contentHash` no longer matches it;
 * 3. looks up the approval in the {@link ApprovalStore.ApprovalStore} and refuses when there is
 *    none, when it names another proposal, or when it covers another content hash (edited after
 *    approval);
 * 4. runs the policy again on the diff through core's `PolicyCheck` port and refuses on BLOCK;
 * 5. hands the connector's writer a permit for exactly the verified content.
 *
 * Each attempt — allowed, refused or failed — is appended to an audit log that `audit` reads
 * back (and `onAudit` may persist). A connector's write capability is an opaque
 * {@link Writer}: nothing outside this gate can call it.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { PolicyCheck } from "@ratchet/core"
 * import { ApprovalStore, LocalGitConnector, WriteGate } from "@ratchet/connectors"
 *
 * const connector = LocalGitConnector.make({ outDir: ".ratchet/patches" })
 * const gate = WriteGate.WriteGate.layer(connector).pipe(
 *   Layer.provide([approvalStoreLayer, PolicyCheck.PolicyCheck.layerTest()])
 * )
 * const program = Effect.gen(function* () {
 *   const writeGate = yield* WriteGate.WriteGate
 *   return yield* writeGate.publish({ repo: "/srv/git/app.git", baseBranch: "main", proposal })
 * }).pipe(Effect.provide(gate))
 * ```
 *
 * @since 0.1.0
 */
import { Package, PolicyCheck, Proposal, type RatchetError } from "@ratchet/core"
import { Context, Effect, Layer, Ref, Result, Schema, Semaphore } from "effect"
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
  /** The content hash recomputed from the request (null when the request was unreadable). */
  readonly contentHash: string | null
  readonly approvedBy: string | null
  /** `allowed`: written (or already there); `refused`: stopped by the gate; `failed`: allowed but the write failed. */
  readonly outcome: "allowed" | "refused" | "failed"
  readonly reason: string
  readonly branch: string | null
  readonly created: boolean | null
}

/**
 * Gate options.
 *
 * @since 0.1.0
 */
export interface GateOptions {
  /** Called with every audit entry (e.g. to persist it); failures are not allowed to stop the gate. */
  readonly onAudit?: (entry: AuditEntry) => Effect.Effect<void>
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

const decodeProposal = Schema.decodeResult(Proposal.Proposal as unknown as Schema.Codec<Proposal.Proposal, unknown>)

type Validated = { readonly request: WriteRequest; readonly proposal: Proposal.Proposal }

const validate = (input: unknown): Result.Result<Validated, ConnectorError> => {
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
  const decoded = decodeProposal(r.proposal)
  if (Result.isFailure(decoded)) {
    return bad(`the proposal does not match the Proposal schema: ${String(decoded.failure.message).slice(0, 500)}`, "request.proposal", "pass the proposal as packaged")
  }
  const proposal = decoded.success
  const idProblem = checkProposalId(proposal.id)
  if (idProblem !== null) return bad(idProblem, `proposal.id ${JSON.stringify(proposal.id.slice(0, 120))}`, "use the id Ratchet assigned")
  if (proposal.diff.trim().length === 0) return bad("the proposal's diff is empty", `proposal ${proposal.id}`, "publish a proposal that changes something")
  return Result.succeed({ request: r as unknown as WriteRequest, proposal })
}

const describePolicyError = (error: RatchetError.RatchetError): string => error.message

/**
 * Builds a gate over a connector's writer. Needs the approval store and the policy check.
 *
 * @since 0.1.0
 */
export const make = Effect.fn("WriteGate.make")(function* (connector: { readonly name: string; readonly writer: Writer }, options: GateOptions = {}) {
  const approvals = yield* ApprovalStore
  const policy = yield* PolicyCheck.PolicyCheck
  const lock = yield* Semaphore.make(1)
  const log = yield* Ref.make<ReadonlyArray<AuditEntry>>([])

  const record = (entry: Omit<AuditEntry, "seq" | "at" | "connector">) =>
    Effect.gen(function* () {
      const full = yield* Ref.modify(log, (all): [AuditEntry, ReadonlyArray<AuditEntry>] => {
        const e: AuditEntry = {
          ...entry,
          seq: all.length + 1,
          at: new Date().toISOString(),
          connector: connector.name,
          repo: redactPatterns(entry.repo),
          reason: redactPatterns(entry.reason)
        }
        return [e, [...all, e]]
      })
      if (options.onAudit) yield* options.onAudit(full).pipe(Effect.catchCause(() => Effect.void))
    })

  const guarded = (input: WriteRequest) =>
    Effect.gen(function* () {
      const raw = (typeof input === "object" && input !== null ? input : {}) as Partial<WriteRequest>
      const repo = typeof raw.repo === "string" ? raw.repo.slice(0, 4096) : "?"
      const rawId = typeof raw.proposal?.id === "string" ? raw.proposal.id.slice(0, 120) : "?"
      const refuse = (error: ConnectorError, contentHash: string | null, approvedBy: string | null = null) =>
        record({ repo, proposalId: rawId, contentHash, approvedBy, outcome: "refused", reason: error.message, branch: null, created: null }).pipe(
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
        Effect.mapError((e) => checkUnavailable({ check: "approval store lookup", proposalId: proposal.id, detail: e.message })),
        Effect.catchDefect((d) => Effect.fail(checkUnavailable({ check: "approval store lookup", proposalId: proposal.id, detail: String(d) }))),
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

      const decision = yield* policy.check(proposal.diff).pipe(
        Effect.mapError((e) => checkUnavailable({ check: "policy check", proposalId: proposal.id, detail: describePolicyError(e) })),
        Effect.catchDefect((d) => Effect.fail(checkUnavailable({ check: "policy check", proposalId: proposal.id, detail: String(d) }))),
        Effect.result
      )
      if (Result.isFailure(decision)) return yield* refuse(decision.failure, contentHash, approval.approvedBy)
      const blocking = decision.success.verdicts.filter((v) => v.severity === "BLOCK")
      if (!decision.success.allowed || blocking.length > 0) {
        const lines = blocking.map((v) => `${v.rule}: ${v.message}${v.file ? ` (${v.file})` : ""}`)
        return yield* refuse(policyBlocked(proposal.id, lines.length > 0 ? lines : ["not allowed"]), contentHash, approval.approvedBy)
      }

      const permit: Permit = issuePermit({
        repo: request.repo,
        baseBranch: request.baseBranch,
        baseCommit: request.baseCommit ?? null,
        proposal,
        body: request.body ?? "",
        contentHash,
        approval
      })
      const written = yield* write(connector.writer, permit).pipe(
        Effect.catchDefect((d) => Effect.fail(invalidRequest({ what: `the ${connector.name} connector crashed: ${String(d)}`, where: proposal.id, fix: "report this bug" }))),
        Effect.result
      )
      if (Result.isFailure(written)) {
        yield* record({
          repo,
          proposalId: proposal.id,
          contentHash,
          approvedBy: approval.approvedBy,
          outcome: "failed",
          reason: written.failure.message,
          branch: null,
          created: null
        })
        return yield* Effect.fail(written.failure)
      }
      const result = written.success
      yield* record({
        repo,
        proposalId: proposal.id,
        contentHash,
        approvedBy: approval.approvedBy,
        outcome: "allowed",
        reason: result.created ? "published" : "already published (idempotent)",
        branch: result.branch,
        created: result.created
      })
      return result
    })

  return WriteGate.of({
    publish: (request) => lock.withPermits(1)(guarded(request)).pipe(Effect.withSpan("WriteGate.publish")),
    audit: Ref.get(log)
  })
})

/**
 * The single gate to remote writes.
 *
 * @since 0.1.0
 */
export class WriteGate extends Context.Service<
  WriteGate,
  {
    /** Publishes a proposal after verifying its approval and re-running the policy. */
    readonly publish: (request: WriteRequest) => Effect.Effect<PublishResult, ConnectorError>
    /** Every attempt so far, oldest first. */
    readonly audit: Effect.Effect<ReadonlyArray<AuditEntry>>
  }
>()("@ratchet/connectors/WriteGate") {
  /**
   * The gate over `connector`'s writer.
   *
   * @since 0.1.0
   */
  static readonly layer = (
    connector: { readonly name: string; readonly writer: Writer },
    options: GateOptions = {}
  ): Layer.Layer<WriteGate, never, ApprovalStore | PolicyCheck.PolicyCheck> => Layer.effect(WriteGate, make(connector, options))

  /**
   * The real gate (all checks, audit, serialisation) over an in-memory writer that appends
   * each permitted write to `written` instead of touching a remote.
   *
   * @since 0.1.0
   */
  static readonly layerTest = (
    written: Ref.Ref<ReadonlyArray<WriteRequest & { readonly contentHash: string }>>
  ): Layer.Layer<WriteGate, never, ApprovalStore | PolicyCheck.PolicyCheck> =>
    WriteGate.layer({ name: "test", writer: recordingWriter(written) })
}

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
