import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Detect, RepoProfile } from "@ratchet/core"
import { Effect, Schema } from "effect"

const fixture = (name: string) => path.join(import.meta.dirname, "../fixtures/detect", name)
const detect = (name: string) => Detect.detect(fixture(name))

const cmd = (profile: RepoProfile.RepoProfile, name: RepoProfile.CommandName) => {
  const c = profile.commands[name]
  return c === null ? null : { command: c.command, cwd: c.cwd }
}
const frameworks = (profile: RepoProfile.RepoProfile) => profile.frameworks.map((f) => `${f.name}@${f.version}`)

describe("Detect golden fixtures", () => {
  it.effect("nextjs-ts: npm lockfile, Next.js, scripts", () =>
    Effect.gen(function* () {
      const p = yield* detect("nextjs-ts")
      expect(Schema.is(RepoProfile.RepoProfile)(p)).toBe(true)
      expect(p.packageManager).toMatchObject({ name: "npm", variant: null })
      expect(p.packageManager.evidence[0]).toMatchObject({ file: "package-lock.json" })
      expect(frameworks(p)).toEqual(["Next.js@15.1.0"])
      expect(p.frameworks[0].evidence).toContainEqual({ file: "package.json", line: 13, detail: "depends on next@15.1.0" })
      expect(cmd(p, "install")).toEqual({ command: "npm ci", cwd: "." })
      expect(cmd(p, "build")).toEqual({ command: "npm run build", cwd: "." })
      expect(cmd(p, "typecheck")).toEqual({ command: "npm run typecheck", cwd: "." })
      expect(cmd(p, "test")).toEqual({ command: "npm test", cwd: "." })
      expect(p.commands.test?.evidence[0]).toEqual({ file: "package.json", line: 10, detail: '"test": "jest"' })
      expect(p.commands.bench).toBeNull()
      expect(p.warnings).toEqual([])
      expect(Detect.format(p)).toContain("Next.js 15.1.0")
    }))

  it.effect("nestjs-ts: packageManager field wins, NestJS hides Express, pnpm-workspace.yaml without packages", () =>
    Effect.gen(function* () {
      const p = yield* detect("nestjs-ts")
      expect(p.packageManager).toMatchObject({ name: "pnpm", version: "9.12.0", variant: null })
      expect(p.packageManager.confidence).toBeGreaterThan(0.9)
      expect(p.packageManager.evidence[0]).toMatchObject({ file: "package.json", line: 3 })
      expect(frameworks(p)).toEqual(["NestJS@10.4.0"])
      expect(p.workspaces).toEqual([])
      expect(p.warnings.some((w) => w.includes("pnpm-workspace.yaml") && w.includes("not a pnpm monorepo"))).toBe(true)
      expect(cmd(p, "install")).toEqual({ command: "pnpm install --frozen-lockfile", cwd: "." })
      expect(cmd(p, "test")).toEqual({ command: "pnpm test", cwd: "." })
      expect(cmd(p, "build")).toEqual({ command: "pnpm run build", cwd: "." })
    }))

  it.effect("express-ts: CI commands with file and line; release workflow does not win", () =>
    Effect.gen(function* () {
      const p = yield* detect("express-ts")
      expect(p.packageManager.name).toBe("npm")
      expect(frameworks(p)).toEqual(["Express@4.21.2"])
      expect(cmd(p, "install")).toEqual({ command: "npm ci", cwd: "." })
      expect(p.commands.install?.evidence[0]).toMatchObject({ file: ".github/workflows/ci.yml", line: 15 })
      expect(cmd(p, "build")).toEqual({ command: "npm run build", cwd: "." })
      expect(p.commands.build?.evidence[0]).toMatchObject({ file: ".github/workflows/ci.yml", line: 18 })
      expect(cmd(p, "test")).toEqual({ command: "npm test", cwd: "." })
      expect(p.commands.test?.evidence[0]).toMatchObject({ file: ".github/workflows/ci.yml", line: 19 })
      expect(p.commands.test?.confidence).toBeGreaterThanOrEqual(0.9)
      expect(cmd(p, "typecheck")).toEqual({ command: "npm run check-types", cwd: "." })
    }))

  it.effect("react-vite-ts: React+Vite (and the bundler on its own), bare vitest becomes non-interactive", () =>
    Effect.gen(function* () {
      const p = yield* detect("react-vite-ts")
      expect(frameworks(p)).toEqual(["React+Vite@6.0.5", "Vite@6.0.5"])
      expect(cmd(p, "test")).toEqual({ command: "npx vitest run", cwd: "." })
      expect(p.commands.test?.evidence.map((e) => e.detail)).toContain("script runs in watch mode; made non-interactive")
      expect(cmd(p, "typecheck")).toEqual({ command: "npx tsc --noEmit", cwd: "." })
    }))

  it.effect("pnpm monorepo: workspaces, catalog versions, turbo, CI setup version", () =>
    Effect.gen(function* () {
      const p = yield* detect("pnpm-monorepo")
      expect(p.packageManager).toMatchObject({ name: "pnpm", version: "9.15.0" })
      expect(p.workspaces).toEqual(["apps/*", "packages/*"])
      expect(frameworks(p)).toEqual(["Hono@4.6.14", "Next.js@15.0.3", "React@19.0.0"])
      expect(p.tools?.map((t) => t.name)).toEqual(["turbo"])
      expect(cmd(p, "install")).toEqual({ command: "pnpm install --frozen-lockfile", cwd: "." })
      expect(cmd(p, "test")).toEqual({ command: "pnpm turbo run build test", cwd: "." })
      expect(cmd(p, "build")).toEqual({ command: "pnpm turbo run build", cwd: "." })
      expect(cmd(p, "typecheck")).toEqual({ command: "pnpm exec turbo run typecheck", cwd: "." })
    }))

  it.effect("yarn berry monorepo: berry from lockfile and yarnPath; CI flag contradiction is reported", () =>
    Effect.gen(function* () {
      const p = yield* detect("yarn-berry-monorepo")
      expect(p.packageManager).toMatchObject({ name: "yarn", variant: "berry", version: "4.5.3" })
      expect(p.workspaces).toEqual(["packages/*"])
      expect(frameworks(p).sort()).toEqual(["Fastify@5.1.0", "Koa@2.15.3"])
      expect(cmd(p, "test")).toEqual({ command: "yarn test", cwd: "." })
      expect(p.warnings.some((w) => w.startsWith(".github/workflows/test.yml:10:") && w.includes("--frozen-lockfile is a Yarn Classic flag"))).toBe(true)
    }))

  it.effect("yarn classic: v1 lockfile, watch-all test script skipped for test:ci", () =>
    Effect.gen(function* () {
      const p = yield* detect("yarn-classic")
      expect(p.packageManager).toMatchObject({ name: "yarn", variant: "classic", version: "1.22.22" })
      expect(cmd(p, "install")).toEqual({ command: "yarn install --frozen-lockfile", cwd: "." })
      expect(cmd(p, "test")).toEqual({ command: "yarn test:ci", cwd: "." })
      expect(cmd(p, "build")).toEqual({ command: "yarn build", cwd: "." })
    }))

  it.effect("bun: bun.lock, Elysia, `bun run test` (not bun's own runner)", () =>
    Effect.gen(function* () {
      const p = yield* detect("bun")
      expect(p.packageManager).toMatchObject({ name: "bun", variant: null })
      expect(frameworks(p)).toEqual(["Elysia@1.2.10"])
      expect(cmd(p, "install")).toEqual({ command: "bun install --frozen-lockfile", cwd: "." })
      expect(cmd(p, "test")).toEqual({ command: "bun run test", cwd: "." })
      expect(cmd(p, "typecheck")).toEqual({ command: "bun run typecheck", cwd: "." })
    }))

  it.effect("npm workspaces: per-package scripts run across workspaces", () =>
    Effect.gen(function* () {
      const p = yield* detect("npm-workspaces")
      expect(p.workspaces).toEqual(["packages/*"])
      expect(frameworks(p).sort()).toEqual(["Express@5.0.1", "Vite@6.0.0", "Vue@3.5.13"])
      expect(cmd(p, "test")).toEqual({ command: "npm run test --workspaces --if-present", cwd: "." })
      expect(cmd(p, "build")).toEqual({ command: "npm run build --workspaces --if-present", cwd: "." })
      expect(cmd(p, "install")).toEqual({ command: "npm ci", cwd: "." })
    }))

  it.effect("no lockfile with .npmrc package-lock=false: npm install", () =>
    Effect.gen(function* () {
      const p = yield* detect("npm-no-lockfile")
      expect(p.packageManager.name).toBe("npm")
      expect(p.packageManager.evidence).toContainEqual({ file: ".npmrc", line: 1, detail: "package-lock=false: npm without a lockfile" })
      expect(p.packageManager.evidence.some((e) => e.detail === "node 20.18.1 (.nvmrc)")).toBe(true)
      expect(cmd(p, "install")).toEqual({ command: "npm install", cwd: "." })
      expect(frameworks(p)).toEqual(["Hono@4.6.0"])
    }))

  it.effect("decoy lockfiles in fixtures/examples never win", () =>
    Effect.gen(function* () {
      const p = yield* detect("decoy-lockfiles")
      expect(p.packageManager.name).toBe("npm")
      expect(p.packageManager.confidence).toBeGreaterThanOrEqual(0.9)
      const decoys = p.warnings.filter((w) => w.includes("(decoy)"))
      expect(decoys.map((w) => w.split(":")[0]).sort()).toEqual([
        "examples/bun-demo/bun.lock",
        "examples/demo/pnpm-lock.yaml",
        "test/fixtures/legacy-app/yarn.lock"
      ])
    }))

  it.effect("two lockfiles at the root: CI breaks the tie, and the ambiguity is reported", () =>
    Effect.gen(function* () {
      const p = yield* detect("two-lockfiles")
      expect(p.packageManager).toMatchObject({ name: "yarn", variant: "classic" })
      expect(p.packageManager.confidence).toBeLessThan(0.9)
      expect(p.warnings.some((w) => w.includes("several lockfiles") && w.includes("package-lock.json") && w.includes("yarn.lock"))).toBe(true)
      expect(cmd(p, "install")).toEqual({ command: "yarn install --frozen-lockfile", cwd: "." })
      expect(cmd(p, "test")).toEqual({ command: "yarn test", cwd: "." })
    }))

  it.effect("composite action: install step found inside .github/actions/setup/action.yml with inputs", () =>
    Effect.gen(function* () {
      const p = yield* detect("composite-action")
      expect(p.packageManager).toMatchObject({ name: "pnpm", version: "9" })
      expect(cmd(p, "install")).toEqual({ command: "pnpm install --frozen-lockfile", cwd: "." })
      expect(p.commands.install?.evidence[0]).toMatchObject({ file: ".github/actions/setup/action.yml", line: 18 })
      expect(p.commands.install?.evidence[1]).toEqual({ file: ".github/workflows/ci.yml", line: 9, detail: "step uses ./.github/actions/setup" })
      expect(cmd(p, "test")).toEqual({ command: "pnpm test:ci", cwd: "." })
      expect(cmd(p, "build")).toEqual({ command: "pnpm run build", cwd: "." })
    }))

  it.effect("reusable workflow with matrix: commands come from the called workflow", () =>
    Effect.gen(function* () {
      const p = yield* detect("reusable-workflow")
      expect(cmd(p, "test")).toEqual({ command: "npm run test:unit", cwd: "." })
      expect(p.commands.test?.evidence[0]).toMatchObject({ file: ".github/workflows/_test.yml", line: 21 })
      expect(p.commands.test?.evidence[1]).toEqual({ file: ".github/workflows/ci.yml", line: 12, detail: "job test uses ./.github/workflows/_test.yml" })
      expect(cmd(p, "install")).toEqual({ command: "npm ci", cwd: "." })
      expect(p.commands.install?.evidence[0]).toMatchObject({ file: ".github/workflows/_test.yml" })
      expect(cmd(p, "build")).toEqual({ command: "npm run build", cwd: "." })
    }))

  it.effect("working-directory: the project lives in web/ and cwd says so", () =>
    Effect.gen(function* () {
      const p = yield* detect("working-directory")
      expect(p.packageManager.name).toBe("npm")
      expect(p.packageManager.evidence[0].file).toBe("web/package-lock.json")
      expect(cmd(p, "install")).toEqual({ command: "npm ci", cwd: "web" })
      expect(cmd(p, "test")).toEqual({ command: "npm test -- --reporter=dot", cwd: "web" })
      expect(p.commands.test?.evidence[0]).toMatchObject({ file: ".github/workflows/ci.yml", line: 15 })
      expect(cmd(p, "typecheck")).toEqual({ command: "npm run typecheck", cwd: "web" })
      expect(frameworks(p)).toEqual(["Vue@3.5.0", "Vite@6.0.0"])
    }))

  it.effect("watch-mode jest script becomes non-interactive", () =>
    Effect.gen(function* () {
      const p = yield* detect("watch-scripts")
      expect(cmd(p, "test")).toEqual({ command: "npx jest --coverage=false", cwd: "." })
    }))

  it.effect("CI runs a watch-mode vitest script: CI's command, made non-interactive with --run", () =>
    Effect.gen(function* () {
      const p = yield* detect("ci-vitest-watch")
      expect(p.packageManager).toMatchObject({ name: "pnpm", version: "10.4.1" })
      expect(cmd(p, "install")).toEqual({ command: "pnpm install", cwd: "." })
      expect(cmd(p, "test")).toEqual({ command: "pnpm test --run", cwd: "." })
      expect(cmd(p, "bench")).toEqual({ command: "pnpm run bench", cwd: "." })
    }))

  it.effect("GitLab CI: before_script and script lines", () =>
    Effect.gen(function* () {
      const p = yield* detect("gitlab-ci")
      expect(p.packageManager).toMatchObject({ name: "yarn", variant: "classic" })
      expect(cmd(p, "install")).toEqual({ command: "yarn install --frozen-lockfile", cwd: "." })
      expect(p.commands.install?.evidence[0]).toMatchObject({ file: ".gitlab-ci.yml", line: 5 })
      expect(cmd(p, "test")).toEqual({ command: "yarn test --ci", cwd: "." })
      expect(p.commands.test?.evidence[0]).toMatchObject({ file: ".gitlab-ci.yml", line: 10 })
    }))

  it.effect("CircleCI: run steps, string and block form", () =>
    Effect.gen(function* () {
      const p = yield* detect("circleci")
      expect(cmd(p, "install")).toEqual({ command: "npm ci", cwd: "." })
      expect(cmd(p, "test")).toEqual({ command: "npm run test -- --reporter dot", cwd: "." })
      expect(p.commands.test?.evidence[0]).toMatchObject({ file: ".circleci/config.yml", line: 13 })
      expect(cmd(p, "build")).toEqual({ command: "npm run build", cwd: "." })
    }))

  it.effect("bench script present", () =>
    Effect.gen(function* () {
      const p = yield* detect("bench-script")
      expect(cmd(p, "bench")).toEqual({ command: "npm run bench", cwd: "." })
      expect(p.commands.bench?.evidence[0]).toMatchObject({ file: "package.json", detail: '"bench": "vitest bench --run"' })
    }))

  it.effect("SvelteKit, Astro, Nuxt, Remix and React Router across workspaces", () =>
    Effect.gen(function* () {
      const p = yield* detect("frameworks-misc")
      expect(frameworks(p).sort()).toEqual(["Astro@5.0.5", "Nuxt@3.14.0", "React Router@7.1.0", "Remix@2.15.0", "SvelteKit@2.9.0", "Vite@6.0.0"])
      expect(p.commands.test).toBeNull()
      expect(p.question).toBe("Which command runs this repository's tests?")
    }))
})
