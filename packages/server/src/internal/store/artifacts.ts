/**
 * Artifacts: bytes stored with their sha256, checked again on every read.
 *
 * @internal
 */
import { Effect } from "effect"
import * as Scrub from "../scrub.js"
import { integrityFailure, notFound, type ServerError } from "../../ServerError.js"
import { iso, now, num, type Row, sha256, type StoreContext, str, strOrNull } from "./sql.js"

/** Artifact metadata (the bytes come with `getArtifact`). */
export interface ArtifactMeta {
  readonly id: string
  readonly runId: string | null
  readonly proposalId: string | null
  readonly name: string
  readonly mediaType: string
  readonly sha256: string
  readonly size: number
  readonly createdAt: string
}

/** The artifact part of the store. */
export interface ArtifactStore {
  readonly putArtifact: (input: { readonly id?: string; readonly runId: string | null; readonly proposalId: string | null; readonly name: string; readonly mediaType: string; readonly content: Uint8Array }) => Effect.Effect<ArtifactMeta, ServerError>
  /** The artifact's bytes after checking them against the stored sha256. */
  readonly getArtifact: (orgId: string | null, id: string) => Effect.Effect<{ readonly meta: ArtifactMeta; readonly content: Uint8Array }, ServerError>
}

/** An `artifacts` row (without its bytes). */
export const toArtifact = (r: Row): ArtifactMeta => ({
  id: str(r, "id"),
  runId: strOrNull(r, "run_id"),
  proposalId: strOrNull(r, "proposal_id"),
  name: str(r, "name"),
  mediaType: str(r, "media_type"),
  sha256: str(r, "sha256"),
  size: num(r, "size"),
  createdAt: iso(r.created_at)
})

const bytesOf = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : new TextEncoder().encode(String(v)))

/** The artifact store on a context. */
export const make = ({ sql, q }: StoreContext): ArtifactStore => ({
  putArtifact: (raw) =>
    Effect.gen(function* () {
      // logs and reports are scrubbed of secrets; diffs are stored as approved
      const input = Scrub.isScrubbedMediaType(raw.mediaType)
        ? { ...raw, content: new TextEncoder().encode(Scrub.text(new TextDecoder().decode(raw.content))) }
        : raw
      const at = yield* now
      const hash = sha256(input.content)
      // The id is derived from the content and from where it belongs (run, proposal, name): the same
      // bytes stored for another run — another tenant's, or a later run proposing the same change —
      // get their own row, never one that belongs elsewhere. Storing it again for the same place is idempotent.
      const id = input.id ?? `art_${sha256(`${input.runId ?? ""}\0${input.proposalId ?? ""}\0${input.name}\0${hash}`).slice(0, 24)}`
      yield* q("storing an artifact", sql`INSERT INTO artifacts (id, run_id, proposal_id, name, media_type, sha256, size, content, created_at)
        VALUES (${id}, ${input.runId}, ${input.proposalId}, ${input.name}, ${input.mediaType}, ${hash}, ${input.content.byteLength}, ${input.content}, ${at})
        ON CONFLICT (id) DO NOTHING`)
      const rows = yield* q("reading an artifact", sql<Row>`SELECT id, run_id, proposal_id, name, media_type, sha256, size, created_at FROM artifacts WHERE id = ${id}`)
      const r = rows[0]
      return r === undefined ? yield* Effect.fail(notFound("artifact", id)) : toArtifact(r)
    }),

  getArtifact: (orgId, id) =>
    Effect.gen(function* () {
      const rows = yield* q("reading an artifact", sql<Row>`SELECT a.* FROM artifacts a
        LEFT JOIN runs ON runs.id = a.run_id LEFT JOIN repositories r ON r.id = runs.repo_id
        WHERE a.id = ${id} ${orgId === null ? sql`` : sql`AND r.org_id = ${orgId}`}`)
      const r = rows[0]
      if (r === undefined) return yield* Effect.fail(notFound("artifact", id))
      const meta = toArtifact(r)
      const content = bytesOf(r.content)
      const actual = sha256(content)
      if (actual !== meta.sha256) {
        return yield* Effect.fail(integrityFailure(id, `stored sha256 ${meta.sha256} but the bytes hash to ${actual}`))
      }
      return { meta, content }
    })
})
