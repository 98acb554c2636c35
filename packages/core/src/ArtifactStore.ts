/**
 * The `ArtifactStore` port: content-addressed (sha256) storage, verified on read.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Context, Effect, Layer, Schema } from "effect"
import { integrityFailure, type RatchetError } from "./RatchetError.js"

/**
 * A stored artifact: its name, content hash and size.
 *
 * @since 0.1.0
 */
export const ArtifactRef = Schema.Struct({
  name: Schema.String,
  sha256: Schema.String,
  bytes: Schema.Number
})
/** @since 0.1.0 */
export type ArtifactRef = typeof ArtifactRef.Type

/**
 * The sha256 of some content, hex encoded.
 *
 * @since 0.1.0
 */
export const sha256 = (content: string | Uint8Array): string => createHash("sha256").update(content).digest("hex")

/**
 * Stores and reads artifacts by content hash.
 *
 * @since 0.1.0
 */
export class ArtifactStore extends Context.Service<
  ArtifactStore,
  {
    /** Stores content under its sha256; `name` is kept as metadata (e.g. `logs.txt`). */
    readonly put: (name: string, content: string | Uint8Array) => Effect.Effect<ArtifactRef, RatchetError>
    /** Reads content back and verifies its hash. */
    readonly get: (sha: string) => Effect.Effect<Uint8Array, RatchetError>
  }
>()("@ratchet/core/ArtifactStore") {
  /**
   * An in-memory store for tests, verifying hashes on read like a real one.
   *
   * @since 0.1.0
   */
  static readonly layerTest: Layer.Layer<ArtifactStore> = Layer.sync(ArtifactStore, () => {
    const blobs = new Map<string, Uint8Array>()
    return {
      put: (name, content) =>
        Effect.sync(() => {
          const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content
          const hash = sha256(bytes)
          blobs.set(hash, bytes)
          return { name, sha256: hash, bytes: bytes.byteLength }
        }),
      get: (sha) =>
        Effect.suspend(() => {
          const bytes = blobs.get(sha)
          if (!bytes) return Effect.fail(integrityFailure(sha, "no such artifact"))
          if (sha256(bytes) !== sha) return Effect.fail(integrityFailure(sha, "content does not match its hash"))
          return Effect.succeed(bytes)
        })
    }
  })
}
