import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { type Config, Detect, Plugin, RepoProfile } from "@ratchet/core"
import { Effect, Schema } from "effect"

const dirs: Array<string> = []
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

/** A temporary repository from a map of relative path → content. */
const repo = (files: Record<string, string | Buffer>): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ratchet-detect-"))
  dirs.push(dir)
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, content)
  }
  return dir
}

const YARN_V1 = "# yarn lockfile v1\n\n"
const CI = (run: string) => `name: CI\non: [pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ${run}\n`

describe("Detect on bad input", () => {
  it.effect("a file instead of a directory fails with BadInput naming the path", () =>
    Effect.gen(function* () {
      const dir = repo({ "file.txt": "hello" })
      const error = yield* Effect.flip(Detect.detect(path.join(dir, "file.txt")))
      expect(error.reason._tag).toBe("BadInput")
      expect(error.message).toContain("not a directory")
      expect(error.message).toContain(path.join(dir, "file.txt"))
      const missing = yield* Effect.flip(Detect.detect(path.join(dir, "nope")))
      expect(missing.reason._tag).toBe("BadInput")
      expect(missing.message).toContain("does not exist")
    }))

  it.effect("malformed package.json: warning with file and line, profile from the lockfile and CI", () =>
    Effect.gen(function* () {
      const dir = repo({
        "package.json": '{\n  "name": "x",\n  "scripts": { "test": "jest" ,, }\n}\n',
        "yarn.lock": YARN_V1,
        ".github/workflows/ci.yml": CI("yarn test")
      })
      const p = yield* Detect.detect(dir)
      expect(p.packageManager).toMatchObject({ name: "yarn", variant: "classic" })
      expect(p.warnings.some((w) => w.startsWith("package.json:3: invalid JSON"))).toBe(true)
      expect(p.commands.test?.command).toBe("yarn test")
      expect(Schema.is(RepoProfile.RepoProfile)(p)).toBe(true)
    }))

  it.effect("YAML syntax errors, alias bombs and a 50 MB workflow are skipped with warnings; other workflows still count", () =>
    Effect.gen(function* () {
      let bomb = 'name: bomb\non: [push]\nx0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
      for (let i = 1; i < 12; i++) bomb += `x${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(",")}]\n`
      bomb += "jobs:\n  t:\n    steps:\n      - run: npm run nope\n"
      const dir = repo({
        "package.json": JSON.stringify({ name: "x", scripts: { test: "vitest run", "test:ci": "vitest run --coverage" } }),
        "package-lock.json": "{}",
        ".github/workflows/broken.yml": "name: broken\non: [push\njobs:\n  a: b\n",
        ".github/workflows/bomb.yml": bomb,
        ".github/workflows/ci.yml": CI("npm run test:ci")
      })
      const big = path.join(dir, ".github/workflows/huge.yml")
      fs.writeFileSync(big, "name: huge\n")
      fs.truncateSync(big, 50 * 1024 * 1024)
      const p = yield* Detect.detect(dir)
      expect(p.warnings.some((w) => /^\.github\/workflows\/broken\.yml:\d+: YAML syntax error/.test(w))).toBe(true)
      expect(p.warnings.some((w) => w.startsWith(".github/workflows/bomb.yml:") && w.includes("alias"))).toBe(true)
      expect(p.warnings.some((w) => w.startsWith(".github/workflows/huge.yml:") && w.includes("50.0 MB"))).toBe(true)
      expect(p.commands.test?.command).toBe("npm run test:ci")
      expect(p.commands.test?.evidence[0]).toMatchObject({ file: ".github/workflows/ci.yml", line: 7 })
    }))

  it.effect("binary junk is skipped as not text", () =>
    Effect.gen(function* () {
      const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))
      const dir = repo({ "package.json": junk, ".github/workflows/ci.yml": junk, "pnpm-lock.yaml": "lockfileVersion: '9.0'\n" })
      const p = yield* Detect.detect(dir)
      expect(p.packageManager.name).toBe("pnpm")
      expect(p.warnings).toContain("package.json: binary content, not text; skipped")
      expect(p.warnings).toContain(".github/workflows/ci.yml: binary content, not text; skipped")
    }))

  it.effect("symlinks out of the repository are never followed", () =>
    Effect.gen(function* () {
      const outside = repo({
        "package.json": JSON.stringify({ name: "outside", packageManager: "pnpm@9.0.0", scripts: { test: "secret-test" } }),
        "workflows/ci.yml": CI("pnpm run secret")
      })
      const dir = repo({ "package-lock.json": "{}" })
      fs.symlinkSync(path.join(outside, "package.json"), path.join(dir, "package.json"))
      fs.mkdirSync(path.join(dir, ".github"))
      fs.symlinkSync(path.join(outside, "workflows"), path.join(dir, ".github/workflows"))
      fs.symlinkSync(path.join(dir, "loop-a"), path.join(dir, "loop-b"))
      fs.symlinkSync(path.join(dir, "loop-b"), path.join(dir, "loop-a"))
      const p = yield* Detect.detect(dir)
      expect(p.packageManager.name).toBe("npm")
      expect(p.warnings.some((w) => w.startsWith("package.json: symlink points outside the repository"))).toBe(true)
      expect(p.warnings.some((w) => w.startsWith(".github/workflows: symlink points outside the repository"))).toBe(true)
      expect(JSON.stringify(p)).not.toContain("secret")
    }))

  it.effect("unreadable entries (a directory where a file belongs, a FIFO) do not hang detection", () =>
    Effect.gen(function* () {
      const dir = repo({ "package.json": JSON.stringify({ name: "x", scripts: { test: "node --test" } }), "bun.lock": "{}\n" })
      fs.mkdirSync(path.join(dir, ".npmrc"))
      execFileSync("mkfifo", [path.join(dir, ".nvmrc")])
      execFileSync("mkfifo", [path.join(dir, "yarn.lock")])
      const p = yield* Detect.detect(dir)
      expect(p.packageManager.name).toBe("bun")
      expect(p.warnings).toContain(".npmrc: expected a file but found a directory; skipped")
      expect(p.warnings).toContain(".nvmrc: not a regular file; skipped")
      expect(p.commands.test?.command).toBe("bun run test")
    }))

  it.effect("an empty directory still yields a profile with a question", () =>
    Effect.gen(function* () {
      const p = yield* Detect.detect(repo({ "README.md": "hi" }))
      expect(p.packageManager).toMatchObject({ name: "npm", confidence: 0.3 })
      expect(p.question).toContain("package manager")
      expect(p.warnings.some((w) => w.includes("no package.json"))).toBe(true)
      expect(Detect.format(p)).toContain("Question")
    }))
})

describe("Detect with config and plugins", () => {
  it.effect("config overrides win and are marked as such; plugin detect hooks run after, in order", () =>
    Effect.gen(function* () {
      const dir = repo({
        "package.json": JSON.stringify({ name: "x", scripts: { test: "jest", build: "tsc" } }),
        "package-lock.json": "{}",
        "extra.txt": "from-plugin"
      })
      const outside = path.relative(dir, repo({ "secret.txt": "nope" }))
      const seen: Array<string | null> = []
      const config: Config.ResolvedConfig = {
        file: path.join(dir, "ratchet.config.ts"),
        profile: { packageManager: "pnpm", commands: { test: "pnpm test -- --ci", bench: { command: "node bench.js", cwd: "tools" } } },
        plugins: [
          Plugin.definePlugin({
            name: "second",
            detect: { order: "post", handler: (profile) => ({ ...profile, warnings: [...profile.warnings, "second"] }) }
          }),
          Plugin.definePlugin({
            name: "first",
            detect: async (profile, ctx) => {
              seen.push(await ctx.readFile("extra.txt"), await ctx.readFile(`${outside}/secret.txt`))
              return { ...profile, frameworks: [...profile.frameworks, { name: "Custom", version: null, evidence: [{ file: "extra.txt", detail: "plugin" }] }], warnings: [...profile.warnings, "first"] }
            }
          })
        ]
      }
      const p = yield* Detect.detect(dir, { config })
      expect(p.packageManager).toMatchObject({ name: "pnpm", confidence: 1 })
      expect(p.commands.test).toEqual({ command: "pnpm test -- --ci", cwd: ".", confidence: 1, evidence: [{ file: config.file, detail: "set in the Ratchet config" }] })
      expect(p.commands.bench).toMatchObject({ command: "node bench.js", cwd: "tools" })
      expect(p.commands.build?.command).toBe("pnpm run build")
      expect(p.commands.install?.command).toBe("pnpm install")
      expect(p.frameworks.map((f) => f.name)).toEqual(["Custom"])
      expect(p.warnings.slice(-2)).toEqual(["first", "second"])
      expect(seen).toEqual(["from-plugin", null])
    }))

  it.effect("a plugin that returns a broken profile fails with an Internal error naming it", () =>
    Effect.gen(function* () {
      const dir = repo({ "package.json": "{}" })
      const config: Config.ResolvedConfig = {
        file: null,
        plugins: [{ name: "acme:sloppy", detect: (profile) => ({ ...profile, packageManager: { ...profile.packageManager, confidence: 7 } }) }]
      }
      const error = yield* Effect.flip(Detect.detect(dir, { config }))
      expect(error.reason._tag).toBe("Internal")
      expect(error.message).toContain("acme:sloppy")
    }))

  it.effect("a plugin that throws fails with an Internal error naming it", () =>
    Effect.gen(function* () {
      const dir = repo({ "package.json": "{}" })
      const config: Config.ResolvedConfig = {
        file: null,
        plugins: [{ name: "acme:broken", detect: () => { throw new Error("boom") } }]
      }
      const error = yield* Effect.flip(Detect.detect(dir, { config }))
      expect(error.reason._tag).toBe("Internal")
      expect(error.message).toContain("acme:broken")
      expect(error.message).toContain("boom")
    }))
})
