import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { LocalSandbox } from "@ratchet/runner"
import { Sandbox } from "@ratchet/core"
import { onPath, specFor, toolsIn } from "../src/internal/tools.js"
import { node } from "./helpers.js"

const withDir = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), "ratchet-tools-test-"))
  for (const [f, c] of Object.entries(files)) {
    mkdirSync(join(dir, f, ".."), { recursive: true })
    writeFileSync(join(dir, f), c)
  }
  return dir
}

describe("package-manager provisioning", () => {
  it("finds the package managers a command line invokes", () => {
    expect(toolsIn("pnpm install --frozen-lockfile")).toEqual(["pnpm"])
    expect(toolsIn("cd web && yarn test")).toEqual(["yarn"])
    expect(toolsIn("npm ci && pnpm -r build")).toEqual(["pnpm"])
    expect(toolsIn("npm test -- --grep yarnish")).toEqual([])
    expect(toolsIn("node scripts/pnpm-helper.js")).toEqual([])
  })

  it("takes the version from the nearest packageManager field (yarn 2+ as @yarnpkg/cli-dist)", () => {
    const dir = withDir({
      "package.json": JSON.stringify({ packageManager: "pnpm@9.15.0+sha512.abc" }),
      "packages/a/package.json": JSON.stringify({ name: "a" }),
      "berry/package.json": JSON.stringify({ packageManager: "yarn@4.5.1" })
    })
    try {
      expect(specFor("pnpm", join(dir, "packages", "a"))).toBe("pnpm@9.15.0")
      expect(specFor("yarn", join(dir, "berry"))).toBe("@yarnpkg/cli-dist@4.5.1")
      expect(specFor("yarn", dir)).toBe("yarn@1.22.22")
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("tells whether a tool is on a PATH", () => {
    expect(onPath("sh", "/usr/bin:/bin")).toBe(true)
    expect(onPath("surely-not-a-tool", "/usr/bin:/bin")).toBe(false)
  })

  it.live("provides the repository's pnpm when the host has none (real install from the npm registry)", () =>
    Effect.gen(function* () {
      const dir = withDir({ "package.json": JSON.stringify({ name: "x", packageManager: "pnpm@9.15.0" }) })
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const toolsDir = join(import.meta.dirname, "..", "..", "..", "node_modules", ".cache", "ratchet-runner-fixtures", "tools")
      const hostPath = `${join(node, "..")}:/usr/bin:/bin`
      const sandbox = yield* Sandbox.Sandbox.pipe(
        Effect.provide(LocalSandbox.layerWith({ hostEnv: { PATH: hostPath }, toolsDir }))
      )
      expect(onPath("pnpm", hostPath)).toBe(false)
      const r = yield* sandbox.run({ command: "pnpm --version", cwd: dir })
      expect(r.exitCode, r.output).toBe(0)
      expect(r.stdout.trim()).toBe("9.15.0")
    }),
    180_000
  )
})
