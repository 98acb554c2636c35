import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ArtifactStore } from "@ratchet/core"
import { FileArtifactStore } from "@ratchet/runner"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "ratchet-store-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

describe("FileArtifactStore", () => {
  it.effect("stores content under its sha256, keeps names in the index, verifies on read", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const store = yield* ArtifactStore.ArtifactStore.pipe(Effect.provide(FileArtifactStore.layer(dir)))
      const ref = yield* store.put("logs.txt", "hello log")
      expect(ref).toEqual({ name: "logs.txt", sha256: ArtifactStore.sha256("hello log"), bytes: 9 })
      const again = yield* store.put("copy.txt", "hello log")
      expect(again.sha256).toBe(ref.sha256)
      expect(new TextDecoder().decode(yield* store.get(ref.sha256))).toBe("hello log")
      expect(FileArtifactStore.readIndex(dir).map((e) => e.name)).toEqual(["logs.txt", "copy.txt"])
      expect(readdirSync(join(dir, "blobs", ref.sha256.slice(0, 2)))).toEqual([ref.sha256])
    })
  )

  it.effect("detects tampering and missing artifacts", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const store = yield* ArtifactStore.ArtifactStore.pipe(Effect.provide(FileArtifactStore.layer(dir)))
      const ref = yield* store.put("baseline.json", "{}")
      writeFileSync(join(dir, "blobs", ref.sha256.slice(0, 2), ref.sha256), "{\"evil\":1}")
      const tampered = yield* store.get(ref.sha256).pipe(Effect.flip)
      expect(tampered.reason._tag).toBe("IntegrityFailure")
      expect(tampered.message).toMatch(/does not match its hash/)
      const missing = yield* store.get("0".repeat(64)).pipe(Effect.flip)
      expect(missing.message).toMatch(/no such artifact/)
      const bad = yield* store.get("../../etc/passwd").pipe(Effect.flip)
      expect(bad.message).toMatch(/not a sha256/)
    })
  )

  it.effect("rejects traversal and NUL bytes in names", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const store = yield* ArtifactStore.ArtifactStore.pipe(Effect.provide(FileArtifactStore.layer(dir)))
      for (const name of ["../escape.txt", "a/../../b", "/etc/passwd", "nul\0byte", ""]) {
        const error = yield* store.put(name, "x").pipe(Effect.flip)
        expect(error.reason._tag).toBe("BadInput")
      }
    })
  )

  it.effect("an unwritable store is a recorded I/O failure, not a crash", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const file = join(dir, "not-a-dir")
      writeFileSync(file, "")
      const store = yield* ArtifactStore.ArtifactStore.pipe(Effect.provide(FileArtifactStore.layer(join(file, "store"))))
      const error = yield* store.put("logs.txt", "x").pipe(Effect.flip)
      expect(error.reason._tag).toBe("IoFailure")
      expect(error.message).toContain("cannot store artifact logs.txt")
    })
  )
})
