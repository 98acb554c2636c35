import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Diff } from "@ratchet/core"
import { Effect } from "effect"

const temp = mkdtempSync(join(tmpdir(), "ratchet-diff-"))
afterAll(() => rmSync(temp, { recursive: true, force: true }))

let n = 0
/** A fresh directory with the given files. */
const tree = (files: Record<string, string>): string => {
  const dir = join(temp, `t${n++}`)
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true })
    writeFileSync(join(dir, file), content)
  }
  mkdirSync(dir, { recursive: true })
  return dir
}

/** What `git diff` says about a change made in a real repository (the diff under test is git's own). */
const gitDiff = (before: Record<string, string>, change: (dir: string) => void): string => {
  const dir = tree(before)
  const git = (...args: Array<string>) =>
    execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "core.quotePath=true", ...args], { cwd: dir, encoding: "utf8" })
  git("init", "-q")
  git("add", "-A")
  git("commit", "-q", "-m", "before")
  change(dir)
  git("add", "-A")
  return git("diff", "--cached", "-M", "-C", "--find-copies-harder")
}

const read = (dir: string, file: string) => readFileSync(join(dir, file), "utf8")

describe("Diff", () => {
  it.effect("applies git's own diff of an edit, an added file, a deleted file, a rename and a mode change", () =>
    Effect.gen(function* () {
      const before = {
        "src/a.js": "one\ntwo\nthree\n",
        "src/gone.js": "bye\n",
        "src/old-name.js": "moved content\nline 2\nline 3\nline 4\n",
        "bin/run.sh": "echo hi\n"
      }
      const diff = gitDiff(before, (dir) => {
        writeFileSync(join(dir, "src/a.js"), "one\nTWO\nthree\n")
        writeFileSync(join(dir, "src/new.js"), "hello\n")
        rmSync(join(dir, "src/gone.js"))
        writeFileSync(join(dir, "src/new-name.js"), read(dir, "src/old-name.js"))
        rmSync(join(dir, "src/old-name.js"))
        execFileSync("chmod", ["+x", join(dir, "bin/run.sh")])
      })
      const target = tree(before)
      const touched = yield* Diff.apply(target, diff)
      expect([...touched].sort()).toEqual(["bin/run.sh", "src/a.js", "src/gone.js", "src/new-name.js", "src/new.js"])
      expect(read(target, "src/a.js")).toBe("one\nTWO\nthree\n")
      expect(read(target, "src/new.js")).toBe("hello\n")
      expect(existsSync(join(target, "src/gone.js"))).toBe(false)
      expect(existsSync(join(target, "src/old-name.js"))).toBe(false)
      expect(read(target, "src/new-name.js")).toBe("moved content\nline 2\nline 3\nline 4\n")
      expect(statSync(join(target, "bin/run.sh")).mode & 0o111).not.toBe(0)
    }))

  it.effect("applies a quoted (non-ASCII) path to the file the policy saw, not to its quoted spelling", () =>
    Effect.gen(function* () {
      const diff = gitDiff({ "café.txt": "a\n" }, (dir) => writeFileSync(join(dir, "café.txt"), "b\n"))
      expect(diff).toContain('"a/caf\\303\\251.txt"')
      const patch = yield* Diff.parse(diff)
      expect(patch.files[0]?.newPath).toBe("café.txt")
      const target = tree({ "café.txt": "a\n" })
      expect(yield* Diff.apply(target, patch)).toEqual(["café.txt"])
      expect(read(target, "café.txt")).toBe("b\n")
    }))

  it.effect("refuses paths outside the root, binary changes and hunks that do not fit, writing nothing", () =>
    Effect.gen(function* () {
      const target = tree({ "a.txt": "x\n", "b.txt": "y\n" })
      const outside = "--- a/../outside.txt\n+++ b/../outside.txt\n@@ -1 +1 @@\n-x\n+y\n"
      const escaped = yield* Effect.flip(Diff.apply(target, outside))
      expect(escaped.message).toContain("escapes the workspace")
      const stale = [
        "diff --git a/a.txt b/a.txt", "--- a/a.txt", "+++ b/a.txt", "@@ -1 +1 @@", "-x", "+changed",
        "diff --git a/b.txt b/b.txt", "--- a/b.txt", "+++ b/b.txt", "@@ -1 +1 @@", "-not what is there", "+z", ""
      ].join("\n")
      const failed = yield* Effect.flip(Diff.apply(target, stale))
      expect(failed.message).toContain("b.txt do not apply")
      const binary = "diff --git a/img.png b/img.png\nindex 1111111..2222222 100644\nBinary files a/img.png and b/img.png differ\n"
      expect((yield* Effect.flip(Diff.apply(target, binary))).message).toContain("binary")
      expect(read(target, "a.txt")).toBe("x\n")
      const garbage = yield* Effect.flip(Diff.apply(target, "@@ -1 +1 @@\n-x\n+y\n"))
      expect(garbage.reason._tag).toBe("DiffInvalid")
    }))

  it.effect("re-roots a diff under a prefix: the result parses, names the prefixed paths and applies one level up", () =>
    Effect.gen(function* () {
      const diff = gitDiff({ "src/a.js": "1\n2\n", "src/b.js": "b\nb2\nb3\n" }, (dir) => {
        writeFileSync(join(dir, "src/a.js"), "1\nTWO\n")
        writeFileSync(join(dir, "src/c.js"), read(dir, "src/b.js"))
        rmSync(join(dir, "src/b.js"))
      })
      const rerooted = Diff.format(Diff.reroot(yield* Diff.parse(diff), "packages/app/"))
      const again = yield* Diff.parse(rerooted)
      expect(again.files.flatMap((f) => Diff.pathsOf(f)).sort()).toEqual(["packages/app/src/a.js", "packages/app/src/b.js", "packages/app/src/c.js"])
      const top = tree({ "packages/app/src/a.js": "1\n2\n", "packages/app/src/b.js": "b\nb2\nb3\n" })
      yield* Diff.apply(top, rerooted)
      expect(read(top, "packages/app/src/a.js")).toBe("1\nTWO\n")
      expect(existsSync(join(top, "packages/app/src/b.js"))).toBe(false)
      expect(read(top, "packages/app/src/c.js")).toBe("b\nb2\nb3\n")
    }))

  it("counts changed lines from the parsed patch, not from lines that merely start with + or -", () => {
    // a removed line whose text starts with "--" and an added one starting with "++" look like headers to a naive counter
    const diff = "--- a/x.md\n+++ b/x.md\n@@ -1,2 +1,2 @@\n--- not a header\n+++ not a header either\n context\n"
    expect(Diff.changedLines(diff)).toBe(2)
    expect(Diff.countChanges(Diff.parseSync(diff))).toEqual({ added: 1, deleted: 1 })
  })

  it("round-trips: format(parseSync(text)) === text for git's output", () => {
    const diff = gitDiff({ "a.txt": "1\n2\n3\n" }, (dir) => writeFileSync(join(dir, "a.txt"), "1\n3\n4"))
    expect(Diff.format(Diff.parseSync(diff))).toBe(diff)
    expect(Diff.applyToText("1\n2\n3\n", Diff.parseSync(diff).files[0]!)).toBe("1\n3\n4")
    expect(Diff.applyToText("other\n", Diff.parseSync(diff).files[0]!)).toBeNull()
  })
})
