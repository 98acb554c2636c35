import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { LocalGitConnector } from "../src/index.js"
import { fixture, sh } from "./helpers.js"

describe("LocalGitConnector.fetch", () => {
  it.effect("clones a bare remote at a commit with real git", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      writeFileSync(join(f.work, "b.js"), "export const b = 2\n")
      sh(f.work, "commit", "--quiet", "-am", "second")
      sh(f.work, "push", "--quiet", "origin", "HEAD:refs/heads/main")
      const connector = LocalGitConnector.make({ outDir: f.outDir })
      const dir = join(f.root, "checkout")
      const sha = yield* connector.fetch(f.remote, f.base, dir)
      expect(sha).toBe(f.base)
      expect(readFileSync(join(dir, "b.js"), "utf8")).toBe("export const b = 1\n")
      const viaUrl = yield* connector.fetch(`file://${f.remote}`, f.base.slice(0, 10), join(f.root, "checkout2"))
      expect(viaUrl).toBe(f.base)
      const tip = yield* connector.fetch(f.remote, "main", join(f.root, "checkout3"))
      expect(tip).not.toBe(f.base)
      expect(readFileSync(join(f.root, "checkout3", "b.js"), "utf8")).toBe("export const b = 2\n")
    }).pipe(Effect.scoped)
  )

  it.effect("refuses bad input with specific errors and cleans up after a failed fetch", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      const connector = LocalGitConnector.make({ outDir: f.outDir })
      const msg = (repo: string, commit: string, dir: string) => Effect.map(Effect.flip(connector.fetch(repo, commit, dir)), (e) => e.message)
      expect(yield* msg(join(f.root, "nope"), "main", join(f.root, "d1"))).toContain("does not exist")
      expect(yield* msg(f.remote, "--upload-pack=touch /tmp/x", join(f.root, "d2"))).toContain("not a commit id")
      expect(yield* msg(f.remote, "a..b", join(f.root, "d2"))).toContain("not a commit id")
      expect(yield* msg("ssh://host/repo", "main", join(f.root, "d3"))).toContain("scheme ssh is not supported")
      expect(yield* msg("ext::sh -c id", "main", join(f.root, "d3"))).toContain("not supported")
      mkdirSync(join(f.root, "full"))
      writeFileSync(join(f.root, "full", "x"), "")
      expect(yield* msg(f.remote, "main", join(f.root, "full"))).toContain("not empty")
      const missing = yield* msg(f.remote, "0123456789abcdef0123456789abcdef01234567", join(f.root, "d4"))
      expect(missing).toContain("git checkout failed")
      expect(existsSync(join(f.root, "d4"))).toBe(false)
    }).pipe(Effect.scoped)
  )

  it.effect("secrets never appear in errors: URL credentials, token formats in git's own output, configured secrets", () =>
    Effect.gen(function* () {
      const f = yield* fixture
      const token = `ghp_${"Q7wE9rT2yU".repeat(4)}`
      const configured = "corp-secret-4711"
      const connector = LocalGitConnector.make({ outDir: f.outDir, secrets: [configured] })
      // credentials embedded in the URL are refused and not echoed
      const e1 = yield* Effect.flip(connector.fetch(`https://x-access-token:${token}@github.example/o/r.git`, "main", join(f.root, "s1")))
      expect(e1.message).toContain("credentials embedded")
      expect(e1.message).not.toContain(token)
      // git itself prints the URL (with the token-shaped path) when the connection fails
      const e2 = yield* Effect.flip(connector.fetch(`https://127.0.0.1:1/${token}/r.git`, "main", join(f.root, "s2")))
      expect(e2.reason._tag).toBe("GitFailed")
      expect(e2.message).toContain("127.0.0.1")
      expect(e2.message).not.toContain(token)
      expect(JSON.stringify(e2)).not.toContain(token)
      // a configured secret anywhere in the input is redacted too
      const e3 = yield* Effect.flip(connector.fetch(join(f.root, configured, "repo"), "main", join(f.root, "s3")))
      expect(e3.message).not.toContain(configured)
      expect(e3.message).toContain("[REDACTED]")
    }).pipe(Effect.scoped)
  )
})
