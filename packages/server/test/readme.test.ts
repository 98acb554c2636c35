import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"

const root = join(import.meta.dirname, "..", "..", "..")

describe("README", () => {
  it("embeds examples/embed-sdk/src/embed.ts verbatim", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8")
    const section = readme.slice(readme.indexOf("## Embed the SDK"))
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
    expect(block).toBeDefined()
    expect(block).toBe(readFileSync(join(root, "examples", "embed-sdk", "src", "embed.ts"), "utf8"))
  })

  it("the embed example type-checks against the SDK", () => {
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc")
    const result = spawnSync(process.execPath, [tsc, "-b", join(root, "examples", "embed-sdk")], { encoding: "utf8" })
    expect(result.stdout + result.stderr).toBe("")
    expect(result.status).toBe(0)
  })

  it(".ci/run runs exactly the README's test command", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8")
    const testCommand = /^(npm \S+)\s+# the whole test suite$/m.exec(readme)?.[1]
    expect(testCommand).toBe("npm test")
    const ci = readFileSync(join(root, ".ci", "run"), "utf8")
    expect(ci.split("\n").filter((l) => l.trim() === testCommand)).toHaveLength(1)
  })
})
