/**
 * Package managers a repository needs but the host lacks (pnpm, yarn): installed once per version
 * from the npm registry into a tools directory outside any project, and put on the sandbox's PATH.
 * The version comes from the nearest `package.json` `packageManager` field (`pnpm@9.15.0+sha…`),
 * else a current default.
 *
 * @internal
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, dirname, join } from "node:path"
import { execa } from "execa"

export type Tool = "pnpm" | "yarn"

const DEFAULTS: Record<Tool, string> = { pnpm: "pnpm@9", yarn: "yarn@1.22.22" }

/** The package managers a shell command line invokes. */
export const toolsIn = (command: string): Array<Tool> =>
  (["pnpm", "yarn"] as const).filter((tool) => new RegExp(`(?:^|[\\s;&|()\`])${tool}(?=\\s|$|[;&|)])`).test(command))

/** Whether `name` is an executable on `path`. */
export const onPath = (name: string, path: string | undefined): boolean =>
  (path ?? "").split(delimiter).some((dir) => {
    if (dir.length === 0) return false
    try {
      accessSync(join(dir, name), constants.X_OK)
      return true
    } catch {
      return false
    }
  })

/** The npm package spec for `tool` in `cwd`: the `packageManager` field of the nearest package.json, else a default. */
export const specFor = (tool: Tool, cwd: string): string => {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const file = join(dir, "package.json")
    if (existsSync(file)) {
      try {
        const declared = (JSON.parse(readFileSync(file, "utf8")) as { packageManager?: unknown }).packageManager
        const m = typeof declared === "string" ? /^(pnpm|yarn)@(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)/.exec(declared) : null
        if (m && m[1] === tool) {
          // yarn 2+ is published as @yarnpkg/cli-dist; yarn 1 (which also honours a repository's yarnPath) as yarn
          return tool === "yarn" && Number(m[2]!.split(".")[0]) >= 2 ? `@yarnpkg/cli-dist@${m[2]}` : `${tool}@${m[2]}`
        }
      } catch {
        // unreadable package.json: the default
      }
    }
    if (dirname(dir) === dir) break
  }
  return DEFAULTS[tool]
}

/** The shared tools directory (world-readable, outside any project). */
export const toolsRoot = (): string => join(tmpdir(), `ratchet-tools-${process.getuid?.() ?? "user"}`)

/**
 * Installs `spec` (once; several specs share one directory) and returns the directory holding its
 * executables. Installs into a temporary directory and renames it into place, so a crash never leaves a
 * half-installed tool.
 */
export const ensure = async (spec: string | ReadonlyArray<string>, root = toolsRoot()): Promise<string> => {
  const specs = typeof spec === "string" ? [spec] : [...spec]
  const dir = join(root, specs.join("+").replace(/[^\w.@+-]+/g, "_"))
  const bin = join(dir, "node_modules", ".bin")
  if (existsSync(bin)) return bin
  mkdirSync(root, { recursive: true, mode: 0o755 })
  const staging = `${dir}.tmp-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { recursive: true, mode: 0o755 })
  const result = await execa("npm", ["install", "--prefix", staging, "--no-audit", "--no-fund", "--no-save", "--loglevel=error", ...specs], {
    reject: false,
    stdin: "ignore",
    timeout: 5 * 60_000
  })
  if (result.exitCode !== 0) {
    rmSync(staging, { recursive: true, force: true })
    throw new Error(`installing ${specs.join(", ")} from the npm registry failed (exit ${result.exitCode}): ${String(result.stderr).trim().split("\n").slice(-3).join(" | ")}`)
  }
  try {
    renameSync(staging, dir)
  } catch {
    // another process installed it first
    rmSync(staging, { recursive: true, force: true })
  }
  return bin
}
