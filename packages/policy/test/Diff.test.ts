import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { Diff, PolicyError } from "../src/index.js"

const fixture = (name: string): string => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8")

/** Parses and expects a DiffInvalid failure; returns it. */
const invalid = (text: string): PolicyError.DiffInvalid => {
  try {
    Diff.parseSync(text)
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError.PolicyError)
    const reason = (error as PolicyError.PolicyError).reason
    expect(reason._tag).toBe("DiffInvalid")
    return reason as PolicyError.DiffInvalid
  }
  throw new Error("expected the diff to be rejected")
}

describe("Diff.parse", () => {
  it("reads every kind of git section (kitchen-sink diff from real git)", () => {
    const text = fixture("git-kitchen-sink.diff")
    const patch = Diff.parseSync(text)
    const summary = patch.files.map((f) => [f.status, f.oldPath, f.newPath, f.binary, f.symlink, f.oldMode, f.newMode, f.hunks.length])
    expect(summary).toEqual([
      ["modified", "bin.dat", "bin.dat", true, false, "100644", "100644", 0],
      ["copied", "d/ren.txt", "copy.txt", false, false, "100644", "100644", 1],
      ["modified", "crlf.txt", "crlf.txt", false, false, "100644", "100644", 1],
      ["renamed", "d/ren.txt", "d/ren2.txt", false, false, "100644", "100644", 1],
      ["modified", "link", "link", false, true, "120000", "120000", 1],
      ["modified", "mode.sh", "mode.sh", false, false, "100644", "100755", 0],
      ["added", null, "new.txt", false, false, null, "100644", 1],
      ["modified", "nonl.txt", "nonl.txt", false, false, "100644", "100644", 1],
      ["modified", "sp ace.txt", "sp ace.txt", false, false, "100644", "100644", 1],
      ["deleted", "tést.txt", null, false, false, "100644", null, 1]
    ])
    expect(patch.files[1].similarity).toBe(94)
    // CRLF content lines keep their carriage return; the diff itself is LF.
    expect(patch.files[2].hunks[0].lines.map((l) => [l.type, l.text])).toEqual([
      ["context", "x\r"],
      ["del", "y\r"],
      ["add", "z\r"]
    ])
    expect(patch.eol).toBeUndefined()
    const nonl = patch.files[7].hunks[0].lines
    expect(nonl.map((l) => [l.type, l.text, l.noNewlineAtEnd === true])).toEqual([
      ["del", "nonl", true],
      ["add", "nonl2", true]
    ])
    expect(patch.files[9].line).toBeGreaterThan(patch.files[8].line)
    expect(Diff.format(patch)).toBe(text)
  })

  it.effect("is an Effect that fails with the line number and the offending line", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Diff.parse("diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-a\n?b\n"))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = yield* Effect.flip(Diff.parse("diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-a\n?b\n"))
      expect(error.reason._tag).toBe("DiffInvalid")
      const reason = error.reason as PolicyError.DiffInvalid
      expect(reason.line).toBe(6)
      expect(reason.text).toBe("?b")
      expect(error.message).toContain("line 6")
      const ok = yield* Diff.parse("")
      expect(ok.files).toEqual([])
    })
  )

  it("reads a whole CRLF diff and writes it back as CRLF", () => {
    const text = "diff --git a/a.ts b/a.ts\r\nindex 1111111..2222222 100644\r\n--- a/a.ts\r\n+++ b/a.ts\r\n@@ -1 +1 @@\r\n-a\r\n+b\r\n"
    const patch = Diff.parseSync(text)
    expect(patch.eol).toBe("\r\n")
    expect(patch.files[0].hunks[0].lines.map((l) => l.text)).toEqual(["a", "b"])
    expect(Diff.format(patch)).toBe(text)
  })

  it("unquotes C-quoted names (octal UTF-8, escapes) and strips plain-diff timestamps", () => {
    const quoted = Diff.parseSync(
      'diff --git "a/t\\303\\251st\\tx.ts" "b/t\\303\\251st\\tx.ts"\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ "b/t\\303\\251st\\tx.ts"\n@@ -0,0 +1 @@\n+x\n'
    )
    expect(quoted.files[0].newPath).toBe("tést\tx.ts")
    const plain = Diff.parseSync("--- src/a.ts\t2024-01-01 00:00:00\n+++ src/a.ts\t2024-01-02 00:00:00\n@@ -1 +1 @@\n-a\n+b\n")
    expect(plain.files[0]).toMatchObject({ oldPath: "src/a.ts", newPath: "src/a.ts", status: "modified", git: false })
  })

  it("keeps e-mail preambles and signatures, and still finds every section", () => {
    const text = fixture("allowed/format-patch-email.diff")
    const patch = Diff.parseSync(text)
    expect(patch.files).toHaveLength(1)
    expect(patch.files[0].leading?.[0]).toMatch(/^From /)
    expect(patch.trailing?.[0]).toBe("-- ")
    expect(Diff.format(patch)).toBe(text)
    const two = Diff.parseSync(fixture("blocked/secrets--after-email-preamble.diff"))
    expect(two.files.map((f) => f.newPath)).toEqual(["src/a.ts", "src/b.ts"])
  })

  it("reads sections without hunks: pure renames, empty new files, mode changes", () => {
    const patch = Diff.parseSync(
      "diff --git a/src/old name.ts b/src/new name.ts\nsimilarity index 100%\nrename from src/old name.ts\nrename to src/new name.ts\n" +
        "diff --git a/e.ts b/e.ts\nnew file mode 100644\nindex 0000000..e69de29\n" +
        "diff --git a/s.sh b/s.sh\nold mode 100644\nnew mode 100755\n"
    )
    expect(patch.files.map((f) => [f.status, f.oldPath, f.newPath, f.hunks.length])).toEqual([
      ["renamed", "src/old name.ts", "src/new name.ts", 0],
      ["added", null, "e.ts", 0],
      ["modified", "s.sh", "s.sh", 0]
    ])
  })

  it("reads binary sections in both forms", () => {
    const patch = Diff.parseSync(fixture("blocked/binary--git-binary-patch.diff"))
    expect(patch.files[0].binary).toBe(true)
    expect(patch.files[0].binaryLines?.[0]).toBe("GIT binary patch")
    const differ = Diff.parseSync(fixture("blocked/binary--binary-files-differ.diff"))
    expect(differ.files[0].binary).toBe(true)
  })

  const cases: ReadonlyArray<readonly [string, number, RegExp]> = [
    ["truncated-hunk", 5, /ends early/],
    ["bad-hunk-header", 5, /malformed hunk header/],
    ["garbage-in-hunk", 7, /unexpected line inside a hunk/],
    ["extra-added-line", 8, /after the end of the hunk/],
    ["hunk-outside-file", 1, /outside any file section/],
    ["names-disagree", 1, /disagrees/],
    ["context-diff", 1, /context diffs are not supported/],
    ["combined-diff", 5, /combined/],
    ["not-a-diff", 1, /no file section/],
    ["minus-without-plus", 2, /not followed by a `\+\+\+`/]
  ]
  for (const [name, line, detail] of cases) {
    it(`rejects ${name} at line ${line}`, () => {
      const text = fixture(`invalid/${name}.diff`)
      const reason = invalid(text)
      expect(reason.line).toBe(line)
      expect(reason.text).toBe(text.split("\n")[line - 1])
      expect(reason.detail).toMatch(detail)
    })
  }

  it("rejects inconsistent headers an applier would read differently", () => {
    expect(invalid("diff --git a/a b/b\nindex 1111111..2222222 100644\n--- a/a\n+++ b/b\n@@ -1 +1 @@\n-a\n+b\n").detail).toMatch(
      /without `rename from`/
    )
    expect(invalid("diff --git a/a b/a\nrename from a\n").detail).toMatch(/must come together/)
    expect(invalid("diff --git a/a b/a\nnew file mode 100644\ndeleted file mode 100644\n").detail).toMatch(/both new and deleted/)
    expect(invalid("diff --git a/a b/a\nold mode 12\nnew mode 100755\n").detail).toMatch(/malformed file mode/)
    expect(invalid("diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1,2 +1 @@\n-a\n").detail).toMatch(/ends early/)
    expect(invalid("diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n\\ No newline at end of file\n").detail).toMatch(/before any line/)
    expect(invalid("diff --git a/a b/a\nGIT binary patch\nliteral 3\nzzz\n").detail).toMatch(/not terminated/)
  })

  it("handles hostile input without hanging", () => {
    const huge = `diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1,999999999 +1,999999999 @@\n${" x\n".repeat(1000)}`
    expect(invalid(huge).detail).toMatch(/ends early/)
    expect(invalid("\u0000\u0001\u0002").line).toBe(1)
    const long = `diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-${"a".repeat(100_000)}\n+b\n`
    expect(Diff.parseSync(long).files[0].hunks[0].lines[0].text).toHaveLength(100_000)
    const reason = invalid(`${"z".repeat(10_000)}\n`)
    expect(reason.text.length).toBeLessThan(300)
  })
})

describe("Diff.format", () => {
  it("synthesises git headers for patches built in code", () => {
    const text = Diff.format({
      files: [
        {
          oldPath: "src/a.ts",
          newPath: "src/b c.ts",
          status: "renamed",
          oldMode: "100644",
          newMode: "100644",
          binary: false,
          symlink: false,
          similarity: 90,
          hunks: [
            {
              oldStart: 1,
              oldLines: 1,
              newStart: 1,
              newLines: 1,
              header: "",
              lines: [
                { type: "del", text: "a" },
                { type: "add", text: "b", noNewlineAtEnd: true }
              ]
            }
          ],
          line: 1
        }
      ]
    })
    expect(text).toBe(
      "diff --git a/src/a.ts b/src/b c.ts\nsimilarity index 90%\nrename from src/a.ts\nrename to src/b c.ts\n--- a/src/a.ts\n+++ b/src/b c.ts\t\n@@ -1 +1 @@\n-a\n+b\n\\ No newline at end of file\n"
    )
    expect(Diff.parseSync(text).files[0]).toMatchObject({ oldPath: "src/a.ts", newPath: "src/b c.ts", status: "renamed", similarity: 90 })
  })
})
