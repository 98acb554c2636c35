import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { PolicyEngine } from "../src/index.js"

// Fixture diffs: `blocked/<rule>--<what>.diff` must be blocked by <rule>; `allowed/<what>.diff` must pass.
// The frozen fixtures are evaluated with `frozen: ["src/legacy/**"]`, like a repository that freezes its legacy code.
const dir = join(import.meta.dirname, "fixtures")
const read = (kind: string, file: string): string => readFileSync(join(dir, kind, file), "utf8")
const options: PolicyEngine.PolicyOptions = { frozen: ["src/legacy/**"] }

describe("blocked fixtures", () => {
  const files = readdirSync(join(dir, "blocked")).filter((f) => f.endsWith(".diff"))
  it("cover every BLOCK rule", () => {
    const rules = new Set(files.map((f) => f.split("--")[0]))
    expect([...rules].sort()).toEqual(
      ["binary", "ci", "config-files", "dependencies", "frozen", "lockfiles", "max-files", "max-lines", "path-escape", "secrets", "symlink", "tests"].sort()
    )
  })
  for (const file of files) {
    const rule = file.split("--")[0]
    it(`${file} is blocked by ${rule}`, () => {
      const decision = PolicyEngine.evaluateSync(read("blocked", file), options)
      expect(decision.allowed).toBe(false)
      const blocking = decision.verdicts.filter((v) => v.severity === "BLOCK").map((v) => v.rule)
      expect(blocking).toContain(rule)
      for (const v of decision.verdicts) {
        expect(v.message.length).toBeGreaterThan(20)
      }
    })
  }
})

describe("allowed fixtures", () => {
  for (const file of readdirSync(join(dir, "allowed")).filter((f) => f.endsWith(".diff"))) {
    it(`${file} is allowed`, () => {
      const decision = PolicyEngine.evaluateSync(read("allowed", file), options)
      expect(decision.verdicts.filter((v) => v.severity === "BLOCK")).toEqual([])
      expect(decision.allowed).toBe(true)
    })
  }

  it("package.json edits outside dependency fields and scripts pass with a warning", () => {
    for (const file of ["package-json-description.diff"]) {
      const decision = PolicyEngine.evaluateSync(read("allowed", file))
      expect(decision.allowed).toBe(true)
      expect(decision.verdicts).toEqual([expect.objectContaining({ rule: "dependencies", severity: "WARN", file: "package.json" })])
    }
  })
})

describe("secret masking", () => {
  it("never echoes a full secret from any secrets fixture", () => {
    for (const file of readdirSync(join(dir, "blocked")).filter((f) => f.startsWith("secrets--"))) {
      const text = read("blocked", file)
      const decision = PolicyEngine.evaluateSync(text, options)
      const added = text
        .split(/\r?\n/)
        .filter((l) => l.startsWith("+") && !l.startsWith("+++"))
        .flatMap((l) => l.match(/[A-Za-z0-9_+/=.-]{12,}/g) ?? [])
      for (const v of decision.verdicts) {
        for (const token of added) {
          if (/^[a-z_.-]+$/i.test(token)) continue // words, not secrets
          expect(v.message).not.toContain(token)
        }
      }
    }
  })
})
