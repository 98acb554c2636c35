import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Sandbox } from "@ratchet/core"
import { LocalSandbox } from "@ratchet/runner"
import { ciOf } from "../src/internal/env.js"
import { chooseNode, requestedNode, toRange } from "../src/internal/node.js"

const withRepo = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), "ratchet-env-test-"))
  mkdirSync(join(dir, ".git"))
  for (const [f, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true })
    writeFileSync(join(dir, f), c)
  }
  return dir
}

const repo = (files: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync(() => withRepo(files)),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

const printEnv = `node -e "console.log(JSON.stringify({ CI: process.env.CI ?? null, NO_COLOR: process.env.NO_COLOR ?? null, FORCE_COLOR: process.env.FORCE_COLOR ?? null, node: process.version }))"`

describe("a faithful environment", () => {
  it("reads the Node version a repository asks for, nearest directory first, in precedence order", () => {
    expect(toRange("v20")).toEqual({ range: "20.x", exact: false })
    expect(toRange("20.11")).toEqual({ range: "20.11.x", exact: false })
    expect(toRange("20.11.1")).toEqual({ range: "20.11.1", exact: true })
    expect(toRange("lts/iron")).toEqual({ range: "20.x", exact: false })
    expect(toRange("lts/*")?.range).toContain("22.x")
    expect(toRange(">=18 <21")).toEqual({ range: ">=18 <21", exact: false })
    expect(toRange("node")).toBeNull()
    expect(toRange("system")).toBeNull()
    expect(toRange("lts/unknown-name")).toBeNull()
    expect(toRange("not a version")).toBeNull()

    const dir = withRepo({
      ".nvmrc": "# pinned\nv18.20.4\n",
      "package.json": JSON.stringify({ engines: { node: ">=16" } }),
      "packages/a/package.json": JSON.stringify({ name: "a" }),
      "packages/b/package.json": JSON.stringify({ name: "b", volta: { node: "20.11.1" } }),
      "packages/c/package.json": JSON.stringify({ name: "c", devEngines: { runtime: [{ name: "bun" }, { name: "node", version: "^22" }] } }),
      "packages/d/.tool-versions": "pnpm 9.0.0\nnodejs 22.12.0\n",
      "packages/e/package.json": JSON.stringify({ engines: { node: "^20 || ^22" } })
    })
    try {
      expect(requestedNode(dir)).toMatchObject({ raw: "v18.20.4", range: "18.20.4", exact: true, source: `.nvmrc in ${dir}` })
      // a subpackage without a request of its own uses the root's
      expect(requestedNode(join(dir, "packages", "a"))?.source).toBe(`.nvmrc in ${dir}`)
      expect(requestedNode(join(dir, "packages", "b"))).toMatchObject({ range: "20.11.1", source: expect.stringContaining("volta.node") })
      expect(requestedNode(join(dir, "packages", "c"))).toMatchObject({ range: "^22", source: expect.stringContaining("devEngines.runtime") })
      expect(requestedNode(join(dir, "packages", "d"))).toMatchObject({ range: "22.12.0", source: expect.stringContaining(".tool-versions") })
      expect(requestedNode(join(dir, "packages", "e"))).toMatchObject({ range: "^20 || ^22", source: expect.stringContaining("engines.node") })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    // the search stops at the repository root
    const bare = withRepo({})
    try {
      expect(requestedNode(bare)).toBeNull()
    } finally {
      rmSync(bare, { recursive: true, force: true })
    }
  })

  it("finds CI configuration that sets CI=true, up to the repository root", () => {
    const gha = withRepo({ ".github/workflows/ci.yml": "on: push", "pkg/x/package.json": "{}" })
    const gitlab = withRepo({ ".gitlab-ci.yml": "test: {}" })
    const none = withRepo({ ".github/dependabot.yml": "version: 2" })
    try {
      expect(ciOf(gha)).toBe("GitHub Actions")
      expect(ciOf(join(gha, "pkg", "x"))).toBe("GitHub Actions")
      expect(ciOf(gitlab)).toBe("GitLab CI")
      expect(ciOf(none)).toBeNull()
    } finally {
      for (const d of [gha, gitlab, none]) rmSync(d, { recursive: true, force: true })
    }
  })

  it.live("forces no colour variables, and sets CI=true only where the repository's CI does", () =>
    Effect.gen(function* () {
      const sandbox = yield* Sandbox.Sandbox.pipe(Effect.provide(LocalSandbox.layerWith({ hostEnv: { PATH: "/usr/bin:/bin", FORCE_COLOR: "3", CI: "true" } })))
      const plain = yield* repo({})
      const r1 = yield* sandbox.run({ command: printEnv, cwd: plain })
      expect(r1.exitCode, r1.output).toBe(0)
      expect(JSON.parse(r1.stdout)).toMatchObject({ CI: null, NO_COLOR: null, FORCE_COLOR: null })
      expect(r1.notes).toContain("CI unset (no CI configuration that sets it)")
      const withCi = yield* repo({ ".github/workflows/test.yml": "on: push" })
      const r2 = yield* sandbox.run({ command: printEnv, cwd: withCi })
      expect(JSON.parse(r2.stdout)).toMatchObject({ CI: "true", NO_COLOR: null, FORCE_COLOR: null })
      expect(r2.notes).toContain("CI=true (the repository's GitHub Actions sets it)")
    })
  )

  it.live("runs on a Node the machine has when it satisfies the request, and says why", () =>
    Effect.gen(function* () {
      const sandbox = yield* Sandbox.Sandbox.pipe(Effect.provide(LocalSandbox.layerWith({ hostEnv: { PATH: "/usr/bin:/bin" }, provisionTools: false })))
      const major = process.versions.node.split(".")[0]
      const dir = yield* repo({ ".nvmrc": `${major}\n` })
      const r = yield* sandbox.run({ command: printEnv, cwd: dir })
      expect(JSON.parse(r.stdout).node).toBe(process.version)
      expect(r.notes?.[0]).toContain(`the repository asks for Node ${major} (.nvmrc in ${dir})`)
      // an unmet request without provisioning is a warning, and the command still runs
      const old = yield* repo({ "package.json": JSON.stringify({ volta: { node: "16.20.2" } }) })
      const r2 = yield* sandbox.run({ command: printEnv, cwd: old })
      expect(r2.exitCode).toBe(0)
      expect(r2.warnings.join("\n")).toContain("asks for Node 16.20.2 (package.json volta.node")
    })
  )

  it.live("runs Ratchet's own programs (node: \"ratchet\") on Ratchet's Node without consulting what the repository asks for", () =>
    Effect.gen(function* () {
      // a tools directory that stays empty: nothing is installed for such a command
      const toolsDir = mkdtempSync(join(tmpdir(), "ratchet-env-tools-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(toolsDir, { recursive: true, force: true })))
      const sandbox = yield* Sandbox.Sandbox.pipe(Effect.provide(LocalSandbox.layerWith({ hostEnv: { PATH: "/usr/bin:/bin" }, toolsDir })))
      const dir = yield* repo({ ".nvmrc": "16.20.2\n" })
      const own = printEnv.replace(/^node /, `"${process.execPath}" `)
      const r = yield* sandbox.run({ command: own, cwd: dir, node: "ratchet" })
      expect(r.exitCode, r.output).toBe(0)
      expect(JSON.parse(r.stdout).node).toBe(process.version)
      expect([...(r.notes ?? []), ...r.warnings].join("\n")).not.toMatch(/16\.20\.2|asks for Node/)
      expect(readdirSync(toolsDir)).toEqual([])
      // the same repository's own command consults it (here without installing: a warning)
      const local = yield* Sandbox.Sandbox.pipe(Effect.provide(LocalSandbox.layerWith({ hostEnv: { PATH: "/usr/bin:/bin" }, provisionTools: false })))
      const r2 = yield* local.run({ command: printEnv, cwd: dir })
      expect(r2.warnings.join("\n")).toContain("asks for Node 16.20.2 (.nvmrc")
    }).pipe(Effect.scoped)
  )

  it.live(
    "installs the Node version a repository pins from the npm registry's node package when the host lacks it",
    () =>
      Effect.gen(function* () {
        const toolsDir = join(import.meta.dirname, "..", "..", "..", "node_modules", ".cache", "ratchet-runner-fixtures", "tools")
        const sandbox = yield* Sandbox.Sandbox.pipe(Effect.provide(LocalSandbox.layerWith({ hostEnv: { PATH: "/usr/bin:/bin" }, toolsDir })))
        const dir = yield* repo({ ".node-version": "22.12.0\n" })
        const r = yield* sandbox.run({ command: printEnv, cwd: dir })
        expect(r.exitCode, r.output).toBe(0)
        expect(JSON.parse(r.stdout).node).toBe("v22.12.0")
        expect(r.notes?.[0]).toMatch(/^node 22\.12\.0 installed from the npm registry into .*node@22\.12\.0/)
        // the second command reuses the install
        const choice = yield* Effect.promise(() => chooseNode(dir, { hostPath: "/usr/bin:/bin", install: true, toolsDir }))
        expect(choice?.version).toBe("22.12.0")
      }),
    300_000
  )
})
