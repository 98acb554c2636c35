import * as Plugin from "@ratchet/core/Plugin"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import { Diff, PolicyEngine, PolicyError, PolicyRules } from "../src/index.js"

/** A git diff that adds `lines` lines to each of the given new files. */
const addFiles = (paths: ReadonlyArray<string>, lines: ReadonlyArray<string> = ["export const x = 1"]): string =>
  paths
    .map(
      (p) =>
        `diff --git a/${p} b/${p}\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/${p}\n@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}\n`).join("")}`
    )
    .join("")

/** A git diff that modifies one file: deletes `del` lines and adds `add` lines. */
const modify = (path: string, del: ReadonlyArray<string>, add: ReadonlyArray<string>, start = 1): string =>
  `diff --git a/${path} b/${path}\nindex 1111111..2222222 100644\n--- a/${path}\n+++ b/${path}\n@@ -${start},${del.length} +${start},${add.length} @@\n${del.map((l) => `-${l}\n`).join("")}${add.map((l) => `+${l}\n`).join("")}`

const rulesOf = (text: string, options: PolicyEngine.PolicyOptions = {}) =>
  PolicyEngine.evaluateSync(text, options).verdicts.map((v) => `${v.severity} ${v.rule}`)

const optionsError = (options: unknown): string => {
  try {
    PolicyEngine.evaluateSync("", options as PolicyEngine.PolicyOptions)
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError.PolicyError)
    expect((error as PolicyError.PolicyError).reason._tag).toBe("OptionsInvalid")
    return (error as PolicyError.PolicyError).message
  }
  throw new Error("expected the options to be rejected")
}

describe("limits (property-based)", () => {
  it("max-files blocks exactly when the file count exceeds maxFiles", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 10 }), (count, max) => {
        const diff = addFiles(Array.from({ length: count }, (_, i) => `src/f${i}.ts`))
        const d = PolicyEngine.evaluateSync(diff, { maxFiles: max })
        expect(d.verdicts.some((v) => v.rule === "max-files" && v.severity === "BLOCK")).toBe(count > max)
        expect(d.allowed).toBe(count <= max)
      }),
      { numRuns: 150 }
    )
  })

  it("max-lines blocks exactly when added + deleted lines exceed maxLines, split over any files and hunks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 200 }),
        (files, max) => {
          const parts = files
            .filter(([d, a]) => d + a > 0)
            .map(([d, a], i) =>
              modify(
                `src/m${i}.ts`,
                Array.from({ length: d }, (_, k) => `old ${k}`),
                Array.from({ length: a }, (_, k) => `const v${k} = ${k}`)
              )
            )
          const total = files.reduce((n, [d, a]) => n + d + a, 0)
          const d = PolicyEngine.evaluateSync(parts.join(""), { maxLines: max, maxFiles: 10 })
          expect(d.verdicts.some((v) => v.rule === "max-lines")).toBe(total > max)
          expect(d.allowed).toBe(total <= max)
        }
      ),
      { numRuns: 150 }
    )
  })

  it("defaults are 5 files and 200 lines", () => {
    expect(rulesOf(addFiles(["a.ts", "b.ts", "c.ts", "d.ts", "e.ts"]))).toEqual([])
    expect(rulesOf(addFiles(["a.ts", "b.ts", "c.ts", "d.ts", "e.ts", "f.ts"]))).toEqual(["BLOCK max-files"])
    const lines = (n: number) => Array.from({ length: n }, (_, i) => `const a${i} = ${i}`)
    expect(rulesOf(addFiles(["a.ts"], lines(200)))).toEqual([])
    expect(rulesOf(addFiles(["a.ts"], lines(201)))).toEqual(["BLOCK max-lines"])
  })
})

describe("path rules", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["tsconfig.json", "config-files"],
    ["packages/x/tsconfig.build.json", "config-files"],
    [".eslintrc.cjs", "config-files"],
    ["prettier.config.mjs", "config-files"],
    ["webpack.config.js", "config-files"],
    ["rollup.config.ts", "config-files"],
    [".npmrc", "config-files"],
    ["babel.config.js", "config-files"],
    ["src/__tests__/a.ts", "tests"],
    ["lib/a.test.js", "tests"],
    ["src/a.spec.tsx", "tests"],
    ["tests/fixtures/x.json", "tests"],
    ["package-lock.json", "lockfiles"],
    ["pnpm-lock.yaml", "lockfiles"],
    ["web/yarn.lock", "lockfiles"],
    [".github/workflows/ci.yml", "ci"],
    [".github/dependabot.yml", "ci"],
    [".circleci/config.yml", "ci"],
    ["requirements.txt", "dependencies"],
    ["go.mod", "dependencies"]
  ]
  for (const [path, rule] of cases) {
    it(`${path} → ${rule}`, () => {
      expect(rulesOf(addFiles([path], ["x = 1"]))).toContain(`BLOCK ${rule}`)
    })
  }

  it("ordinary source files pass", () => {
    for (const path of ["src/index.ts", "lib/utils/strings.js", "src/testing-utils-name.ts", "src/contest.ts", "docs/config.md"]) {
      expect(rulesOf(addFiles([path]))).toEqual([])
    }
  })

  it("renames are judged by both names", () => {
    const diff = "diff --git a/src/a.ts b/test/a.ts\nsimilarity index 100%\nrename from src/a.ts\nrename to test/a.ts\n"
    expect(rulesOf(diff)).toEqual(["BLOCK tests"])
    const out = "diff --git a/.github/x.yml b/src/x.yml\nsimilarity index 100%\nrename from .github/x.yml\nrename to src/x.yml\n"
    expect(rulesOf(out)).toEqual(["BLOCK ci"])
  })

  it("frozen globs block matching paths, including directory globs and other cases", () => {
    expect(rulesOf(addFiles(["src/legacy/a.ts"]), { frozen: ["src/legacy/**"] })).toEqual(["BLOCK frozen"])
    expect(rulesOf(addFiles(["src/legacy/deep/a.ts"]), { frozen: ["src/legacy"] })).toEqual(["BLOCK frozen"])
    expect(rulesOf(addFiles(["SRC/Legacy/a.ts"]), { frozen: ["src/legacy/**"] })).toEqual(["BLOCK frozen"])
    expect(rulesOf(addFiles(["src/legacyish.ts"]), { frozen: ["src/legacy"] })).toEqual([])
  })

  it("path escapes are blocked in every spelling", () => {
    const labels = ["../x.ts", "src/../../x.ts", "/etc/passwd", "C:/x.ts", "src\\..\\..\\x.ts", ".git/config", "src/.git/hooks/x", "~/x", "b/.. /x", '"b/a\\001b"', "b/.Git./config"]
    for (const label of labels) {
      const d = PolicyEngine.evaluateSync(`--- /dev/null\n+++ ${label}\n@@ -0,0 +1 @@\n+x\n`)
      expect(d.verdicts.map((v) => v.rule), label).toContain("path-escape")
      expect(d.allowed).toBe(false)
    }
  })
})

describe("package.json", () => {
  const pkg = ["{", '  "name": "x",', '  "version": "1.0.0",', '  "scripts": {', '    "test": "vitest"', "  },", '  "dependencies": {', '    "a": "^1.0.0"', "  }", "}"]
  const edit = (index: number, replacement: ReadonlyArray<string>): string => {
    const before = pkg.slice(Math.max(0, index - 3), index)
    const after = pkg.slice(index + 1, index + 4)
    const start = Math.max(0, index - 3) + 1
    const body = [...before.map((l) => ` ${l}`), `-${pkg[index]}`, ...replacement.map((l) => `+${l}`), ...after.map((l) => ` ${l}`)]
    const oldLines = before.length + 1 + after.length
    const newLines = before.length + replacement.length + after.length
    return `diff --git a/package.json b/package.json\nindex 1111111..2222222 100644\n--- a/package.json\n+++ b/package.json\n@@ -${start},${oldLines} +${start},${newLines} @@\n${body.join("\n")}\n`
  }
  it("blocks a dependency bump and a script edit (scripts decide how validation builds and tests), warns on other fields", () => {
    expect(rulesOf(edit(7, ['    "a": "^2.0.0"']))).toEqual(["BLOCK dependencies"])
    expect(rulesOf(edit(4, ['    "test": "exit 0"']))).toEqual(["BLOCK dependencies"])
    expect(rulesOf(edit(2, ['  "version": "1.0.1",']))).toEqual(["WARN dependencies"])
  })
  it("blocks a dependency field smuggled into another field's line", () => {
    expect(rulesOf(edit(4, ['    "test": "vitest"}, "devDependencies": {"evil": "1"']))).toEqual(["BLOCK dependencies"])
    expect(rulesOf(edit(2, ['  "version": "1.0.1", "overrides": {"a": "1"},']))).toEqual(["BLOCK dependencies"])
  })
  it("blocks tool configuration and unknown fields in package.json", () => {
    expect(rulesOf(edit(2, ['  "version": "1.0.0",', '  "jest": { "testTimeout": 1 },']))[0]).toBe("BLOCK dependencies")
    expect(rulesOf(edit(2, ['  "version": "1.0.0",', '  "weird": 1,']))).toEqual(["BLOCK dependencies"])
  })
  it("blocks when the hunk does not show the field and the value could be a dependency spec", () => {
    const diff = modify("package.json", ['    "a": "^1.0.0",'], ['    "a": "^1.0.1",'], 30)
    expect(rulesOf(diff)).toEqual(["BLOCK dependencies"])
    // a command the hunk cannot place is a script: blocked as well
    const command = modify("package.json", ['    "build": "tsc -p ."'], ['    "build": "tsc -b ."'], 30)
    expect(rulesOf(command)).toEqual(["BLOCK dependencies"])
    const range = modify("package.json", ['    "a": ">=1 <2"'], ['    "a": ">=1 <3"'], 30)
    expect(rulesOf(range)).toEqual(["BLOCK dependencies"])
  })
})

describe("secrets", () => {
  const line = (text: string) => rulesOf(addFiles(["src/s.ts"], [text]))
  it("flags known token formats and masks them", () => {
    const token = `ghp_${"aB3".repeat(12)}`
    const d = PolicyEngine.evaluateSync(addFiles(["src/s.ts"], [`const t = "${token}"`]))
    expect(d.allowed).toBe(false)
    expect(d.verdicts[0].message).toContain("GitHub token")
    expect(d.verdicts[0].message).not.toContain(token)
    expect(d.verdicts[0].message).toContain("line 1")
    expect(line(`const k = "xoxp-${"1234567890-".repeat(3)}abc"`)).toEqual(["BLOCK secrets"])
    expect(line(`-----BEGIN EC PRIVATE KEY-----`)).toEqual(["BLOCK secrets"])
    // split into concatenated literals
    expect(line(`const k = "AKIA" + "IOSFODNN7EXAMPLE"`)).toEqual(["BLOCK secrets"])
    expect(line(`const t = 'ghp_' + '${"aB3".repeat(12)}'`)).toEqual(["BLOCK secrets"])
  })
  it("does not flag hashes, UUIDs, base64 of words, identifiers, URLs or env lookups", () => {
    for (const text of [
      'const h = "da39a3ee5e6b4b0d3255bfef95601890afd80709"',
      'const id = "123e4567-e89b-12d3-a456-426614174000"',
      'const b = "TG9yZW0gaXBzdW0gZG9sb3Igc2l0IGFtZXQ="',
      "export function createReadableStreamFromAsyncIterator2() {}",
      'const url = "https://registry.npmjs.org/@types/node/-/node-24.0.0.tgz"',
      "const key = process.env.OPENAI_API_KEY",
      'const secretRef = "projects/demo/secrets/db-password/versions/latest"',
      'const password = "<your-password>"'
    ]) {
      expect(line(text), text).toEqual([])
    }
  })
  it("skips the entropy check in lockfiles but still catches known formats there", () => {
    const lock = modify("yarn.lock", ["a"], [`  integrity sha512-${"Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0L".repeat(2)}==`])
    expect(rulesOf(lock)).toEqual(["BLOCK lockfiles"])
  })
})

describe("engine", () => {
  it("applies rules overrides: off drops, warn downgrades, block upgrades", () => {
    const diff = addFiles(["test/a.test.ts"])
    expect(rulesOf(diff, { rules: { tests: "off" } })).toEqual([])
    expect(rulesOf(diff, { rules: { tests: "warn" } })).toEqual(["WARN tests"])
    expect(PolicyEngine.evaluateSync(diff, { rules: { tests: "warn" } }).allowed).toBe(true)
    const mode = "diff --git a/s.sh b/s.sh\nold mode 100644\nnew mode 100755\n"
    expect(rulesOf(mode)).toEqual(["WARN file-mode"])
    expect(rulesOf(mode, { rules: { "file-mode": "block" } })).toEqual(["BLOCK file-mode"])
  })

  it("runs third-party policy plugins after the built-ins, Vite-ordered, with overrides", () => {
    const seen: Array<string> = []
    const noTodo = Plugin.definePlugin({
      name: "acme:no-todo",
      policy: (patch, context) => {
        seen.push(context.diff.slice(0, 10))
        return patch.files.some((f) => f.hunks.some((h) => h.lines.some((l) => l.type === "add" && l.text.includes("TODO"))))
          ? [{ rule: "acme:no-todo", severity: "WARN", file: null, message: "adds a TODO comment; resolve it first" }]
          : []
      }
    })
    const first = Plugin.definePlugin({
      name: "acme:first",
      enforce: "pre",
      policy: () => [{ rule: "acme:first", severity: "WARN", message: "runs before the others" }]
    })
    const diff = addFiles(["src/a.ts"], ["// TODO"])
    const d = PolicyEngine.evaluateSync(diff, { plugins: [noTodo, [first, false]] })
    expect(d.verdicts.map((v) => v.rule)).toEqual(["acme:first", "acme:no-todo"])
    expect(d.verdicts[0].file).toBeNull()
    expect(seen).toEqual(["diff --git"])
    expect(rulesOf(diff, { plugins: [noTodo], rules: { "acme:no-todo": "block" } })).toEqual(["BLOCK acme:no-todo"])
  })

  it("built-in rules are plugins a caller can compose without the defaults", () => {
    const diff = addFiles(["test/a.ts", "b.ts"])
    expect(rulesOf(diff, { builtins: false, plugins: [PolicyRules.maxFiles({ max: 1 })] })).toEqual(["BLOCK max-files"])
    expect(PolicyRules.builtins().map((p) => p.name)).toContain("ratchet:policy/secrets")
  })

  it("a throwing or misbehaving plugin blocks instead of crashing", () => {
    const boom = Plugin.definePlugin({
      name: "acme:boom",
      policy: () => {
        throw new Error("kaput")
      }
    })
    const bad = { name: "acme:bad", policy: () => [{ rule: "x", severity: "MAYBE", message: 1 }] } as unknown as Plugin.Plugin
    const d = PolicyEngine.evaluateSync(addFiles(["src/a.ts"]), { plugins: [boom, bad], rules: { "plugin-error": "block" } })
    expect(d.allowed).toBe(false)
    expect(d.verdicts.map((v) => v.rule)).toEqual(["plugin-error", "plugin-error"])
    expect(d.verdicts[0].message).toContain("kaput")
  })

  it("rejects invalid options with a specific message", () => {
    expect(optionsError({ maxFiles: 0 })).toContain("policy.maxFiles")
    expect(optionsError({ maxLines: 1.5 })).toContain("policy.maxLines")
    expect(optionsError({ frozen: "src/**" })).toContain("policy.frozen")
    expect(optionsError({ frozen: [""] })).toContain("policy.frozen[0]")
    expect(optionsError({ rules: { tests: "maybe" } })).toContain("policy.rules.tests")
    expect(optionsError({ rules: { "path-escape": "off" } })).toContain("cannot be turned off")
    expect(optionsError({ maxFile: 3 })).toContain("unknown option")
  })

  it.effect("evaluate is an Effect that fails with PolicyError on an unparsable diff", () =>
    Effect.gen(function* () {
      const ok = yield* PolicyEngine.evaluate(addFiles(["src/a.ts"]))
      expect(ok).toEqual({ allowed: true, verdicts: [] })
      const parsed = yield* Diff.parse(addFiles(["test/a.ts"]))
      const blocked = yield* PolicyEngine.evaluate(parsed)
      expect(blocked.allowed).toBe(false)
      const error = yield* Effect.flip(PolicyEngine.evaluate("@@ -1 +1 @@\n"))
      expect(error.reason._tag).toBe("DiffInvalid")
      const options = yield* Effect.flip(PolicyEngine.evaluate("", { maxFiles: -1 }))
      expect(options.reason._tag).toBe("OptionsInvalid")
    })
  )

  it("an empty diff is allowed", () => {
    expect(PolicyEngine.evaluateSync("")).toEqual({ allowed: true, verdicts: [] })
  })
})
