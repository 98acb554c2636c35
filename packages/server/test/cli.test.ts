import { execFileSync, spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { GitWorkspace } from "@ratchet/runner"

// The CLI is tested as users run it: the built `ratchet` binary in a child process
// (`npm test` builds first; the binary is Node 24 code, so run it with this process's Node).
const bin = join(import.meta.dirname, "..", "dist", "bin.js")

const ratchet = (...args: Array<string>) => {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 60_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe("ratchet CLI", () => {
  it("is built", () => {
    expect(existsSync(bin), `${bin} is missing: run npm run build`).toBe(true)
  })

  it("--help lists every subcommand", () => {
    const { code, stdout } = ratchet("--help")
    expect(code).toBe(0)
    for (const sub of ["detect", "scan", "baseline", "run", "policy", "serve"]) {
      expect(stdout).toMatch(new RegExp(`^\\s+${sub}\\s+\\S`, "m"))
    }
  })

  it("--version prints the package version", () => {
    const { code, stdout } = ratchet("--version")
    expect(code).toBe(0)
    expect(stdout).toMatch(/ratchet v\d+\.\d+\.\d+/)
  })

  it("a path that is not a directory exits 2 and names it on stderr", () => {
    const file = join(mkdtempSync(join(tmpdir(), "ratchet-cli-")), "file.txt")
    writeFileSync(file, "x")
    const { code, stderr } = ratchet("detect", file, "--json")
    expect(code).toBe(2)
    expect(stderr).toContain("not a directory")
    expect(stderr).toContain(file)
  })

  it("a missing path exits 2", () => {
    const { code, stderr } = ratchet("scan", "/definitely/not/here")
    expect(code).toBe(2)
    expect(stderr).toContain("/definitely/not/here")
  })

  it("scan prints the ranked opportunities for people, with why and what was skipped; --json per the contract", () => {
    const repo = mkdtempSync(join(tmpdir(), "ratchet-cli-scan-"))
    mkdirSync(join(repo, "src"))
    writeFileSync(join(repo, "src", "lines.js"), "export function count(lines) {\n  let n = 0\n  for (const line of lines) if (/^#/.test(line)) n++\n  return n\n}\n")
    writeFileSync(join(repo, ".gitattributes"), "vendor/** linguist-vendored\n")
    mkdirSync(join(repo, "vendor"))
    writeFileSync(join(repo, "vendor", "lib.js"), "export const f = (s) => /x/.test(s)\n")
    const human = ratchet("scan", repo)
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/^Scanned 1 file \(0\.00 MB, 1 skipped\) in \d+ ms — 1 opportunity/)
    expect(human.stdout).toMatch(/regexp-hoist\s+performance\s+src\/lines\.js:3\s+low\s+50%\s+\/\^#\/ creates a new RegExp object on every evaluation inside a loop/)
    const json = ratchet("scan", repo, "--json")
    expect(json.code).toBe(0)
    const report = JSON.parse(json.stdout) as { opportunities: Array<Record<string, unknown>>; stats: Record<string, number> }
    expect(report.opportunities.map((o) => [o.rule, o.file, o.startLine])).toEqual([["regexp-hoist", "src/lines.js", 3]])
    for (const key of ["id", "rule", "kind", "file", "startLine", "endLine", "rationale", "risk", "confidence"]) expect(report.opportunities[0]).toHaveProperty(key)
    for (const key of ["files", "bytes", "durationMs"]) expect(typeof report.stats[key]).toBe("number")
  })

  it("scan leaves tests, docs and examples out by default, and honours scan.include / scan.exclude of the config", () => {
    const repo = mkdtempSync(join(tmpdir(), "ratchet-cli-scope-"))
    const hot = "export function count(lines) {\n  let n = 0\n  for (const line of lines) if (new RegExp(\"^#\").test(line)) n++\n  return n\n}\n"
    for (const dir of ["src", "test", "docs/assets", "examples", "legacy"]) mkdirSync(join(repo, dir), { recursive: true })
    for (const file of ["src/lines.js", "src/lines.test.js", "test/helper.js", "docs/assets/editor.js", "examples/demo.js", "legacy/old.js"]) writeFileSync(join(repo, file), hot)
    const scanned = () => {
      const json = ratchet("scan", repo, "--json")
      expect(json.code, json.stderr).toBe(0)
      const report = JSON.parse(json.stdout) as { opportunities: Array<{ file: string }>; skipped: Array<{ file: string; reason: string }> }
      return { files: [...new Set(report.opportunities.map((o) => o.file))].sort(), skipped: report.skipped }
    }
    const byDefault = scanned()
    expect(byDefault.files).toEqual(["legacy/old.js", "src/lines.js"])
    expect(byDefault.skipped.map((s) => [s.file, s.reason.split(" ")[0]]).sort()).toEqual([
      ["docs/", "docs"],
      ["examples/", "examples"],
      ["src/lines.test.js", "tests"],
      ["test/", "tests"]
    ])
    writeFileSync(join(repo, "ratchet.config.mjs"), 'export default { scan: { include: ["src/**", "legacy/**", "examples/**"], exclude: ["legacy/**"] } }\n')
    expect(scanned().files).toEqual(["examples/demo.js", "src/lines.js"])
  })

  it("an unknown flag exits 2", () => {
    const { code, stdout, stderr } = ratchet("detect", "--no-such-flag")
    expect(code).toBe(2)
    expect(stdout + stderr).toContain("--no-such-flag")
  })

  it("an unknown subcommand exits 2", () => {
    expect(ratchet("frobnicate").code).toBe(2)
  })

  it("a broken ratchet.config exits 2 naming the file and the reason", () => {
    const dir = mkdtempSync(join(tmpdir(), "ratchet-cli-"))
    writeFileSync(join(dir, "ratchet.config.mjs"), "export default { policy: { maxFiles: 'many' } }\n")
    const { code, stderr } = ratchet("detect", dir, "--json")
    expect(code).toBe(2)
    expect(stderr).toContain(join(dir, "ratchet.config.mjs"))
    expect(stderr).toContain("maxFiles")
  })

  it("--json output stays parseable while the pipeline logs (logs go to stderr)", () => {
    const home = mkdtempSync(join(tmpdir(), "ratchet-cli-home-"))
    chmodSync(home, 0o755)
    const repo = mkdtempSync(join(tmpdir(), "ratchet-cli-repo-"))
    chmodSync(repo, 0o755)
    writeFileSync(join(repo, "package.json"), JSON.stringify({ name: "t", scripts: { test: "node --test" } }))
    mkdirSync(join(repo, "test"))
    writeFileSync(join(repo, "test", "a.test.js"), 'require("node:test")("ok", () => {})\n')
    const git = (...args: Array<string>) => execFileSync("git", ["-c", "user.email=t@e", "-c", "user.name=t", ...args], { cwd: repo, stdio: "pipe" })
    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "init")
    // a worktree left by a crashed process: the next start removes it and logs that
    const stale = join(GitWorkspace.worktreesDirOf(home), "baseline-stale")
    mkdirSync(stale, { recursive: true })
    writeFileSync(join(stale, "owner.json"), JSON.stringify({ pid: 2 ** 22 + 4321 }))
    const result = spawnSync(process.execPath, [bin, "baseline", repo, "--json"], { encoding: "utf8", timeout: 120_000, env: { ...process.env, RATCHET_HOME: home } })
    expect(result.status, result.stderr).toBe(0)
    expect(result.stderr).toContain("stale worktree")
    expect(JSON.parse(result.stdout).tests.passed).toBe(1)
    rmSync(home, { recursive: true, force: true })
    rmSync(repo, { recursive: true, force: true })
  }, 120_000)
})
