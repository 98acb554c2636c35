/**
 * The default `ArtifactStore`: content-addressed (sha256) files on disk, verified on read.
 *
 * Layout under the store directory (default `.ratchet/artifacts`):
 * `blobs/<first two hex>/<sha256>` holds the content; `index.jsonl` keeps one line per
 * `put` with the artifact's name, hash and size, so names survive alongside hashes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ArtifactStore } from "@ratchet/core"
 * import { FileArtifactStore } from "@ratchet/runner"
 *
 * const program = Effect.gen(function* () {
 *   const store = yield* ArtifactStore.ArtifactStore
 *   const ref = yield* store.put("logs.txt", "hello")
 *   return yield* store.get(ref.sha256)
 * }).pipe(Effect.provide(FileArtifactStore.layer(".ratchet/artifacts")))
 * ```
 *
 * @since 0.1.0
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Effect, Layer } from "effect"
import { ArtifactStore, type Proposal, RatchetError } from "@ratchet/core"

/**
 * The default store directory, relative to the current directory.
 *
 * @since 0.1.0
 */
export const DEFAULT_DIR = ".ratchet/artifacts"

const HEX64 = /^[0-9a-f]{64}$/

const describeIo = (error: unknown): string => {
  const code = (error as { code?: string }).code
  if (code === "ENOSPC") return "the disk is full (ENOSPC); free some space or point the store at another disk"
  if (code === "EDQUOT") return "the disk quota is exhausted (EDQUOT)"
  if (code === "EACCES" || code === "EPERM") return `permission denied (${code}); make the store directory writable`
  if (code === "EROFS") return "the file system is read-only (EROFS)"
  return String((error as Error).message ?? error)
}

/**
 * Checks an artifact name: a relative, NUL-free name without `..` segments.
 *
 * @since 0.1.0
 */
export const validateName = (name: string): string | null => {
  if (name.length === 0) return "the artifact name is empty"
  if (name.includes("\0")) return "the artifact name contains a NUL byte"
  if (name.startsWith("/") || /^[A-Za-z]:[\\/]/.test(name)) return "the artifact name is an absolute path"
  if (name.split(/[\\/]/).includes("..")) return "the artifact name contains a '..' segment (path traversal)"
  if (name.length > 255) return "the artifact name is longer than 255 characters"
  return null
}

/**
 * An index entry.
 *
 * @since 0.1.0
 */
export interface IndexEntry extends Proposal.ArtifactRef {}

/**
 * Reads the name index of a store directory (latest entry per name last).
 *
 * @since 0.1.0
 */
export const readIndex = (dir: string): Array<IndexEntry> => {
  const file = join(resolve(dir), "index.jsonl")
  if (!existsSync(file)) return []
  const out: Array<IndexEntry> = []
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim().length === 0) continue
    try {
      const entry = JSON.parse(line) as IndexEntry
      if (typeof entry.name === "string" && typeof entry.sha256 === "string" && HEX64.test(entry.sha256)) out.push(entry)
    } catch {
      // a torn line (crash mid-append) is skipped
    }
  }
  return out
}

/**
 * Builds a store rooted at `dir`.
 *
 * @since 0.1.0
 */
export const make = (dir: string = DEFAULT_DIR) => {
  const root = resolve(dir)
  const blobPath = (sha: string) => join(root, "blobs", sha.slice(0, 2), sha)
  const put = Effect.fn("FileArtifactStore.put")(function* (name: string, content: string | Uint8Array) {
    const problem = validateName(name)
    if (problem !== null) {
      return yield* Effect.fail(
        RatchetError.badInput({ what: problem, where: JSON.stringify(name), fix: "use a relative artifact name such as logs.txt" })
      )
    }
    const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content)
    const sha = ArtifactStore.sha256(bytes)
    yield* Effect.try({
      try: () => {
        const target = blobPath(sha)
        if (!existsSync(target) || ArtifactStore.sha256(readFileSync(target)) !== sha) {
          mkdirSync(join(root, "blobs", sha.slice(0, 2)), { recursive: true })
          const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
          try {
            writeFileSync(tmp, bytes)
            renameSync(tmp, target)
          } finally {
            rmSync(tmp, { force: true })
          }
        }
        appendFileSync(join(root, "index.jsonl"), `${JSON.stringify({ name, sha256: sha, bytes: bytes.byteLength })}\n`)
      },
      catch: (error) => RatchetError.ioFailure(root, `cannot store artifact ${name}: ${describeIo(error)}`)
    })
    return { name, sha256: sha, bytes: bytes.byteLength }
  })
  const get = Effect.fn("FileArtifactStore.get")(function* (sha: string) {
    if (!HEX64.test(sha)) {
      return yield* Effect.fail(RatchetError.integrityFailure(sha, "not a sha256 hex digest (64 lowercase hex characters)"))
    }
    const path = blobPath(sha)
    if (!existsSync(path)) return yield* Effect.fail(RatchetError.integrityFailure(sha, `no such artifact in ${root}`))
    const bytes = yield* Effect.try({
      try: () => readFileSync(path),
      catch: (error) => RatchetError.ioFailure(path, describeIo(error))
    })
    if (ArtifactStore.sha256(bytes) !== sha) {
      return yield* Effect.fail(RatchetError.integrityFailure(sha, `content at ${path} does not match its hash (corrupted or tampered)`))
    }
    return new Uint8Array(bytes)
  })
  return ArtifactStore.ArtifactStore.of({ put, get })
}

/**
 * The store as a layer, rooted at `dir` (default `.ratchet/artifacts`).
 *
 * @since 0.1.0
 */
export const layer = (dir: string = DEFAULT_DIR): Layer.Layer<ArtifactStore.ArtifactStore> =>
  Layer.sync(ArtifactStore.ArtifactStore, () => make(dir))
