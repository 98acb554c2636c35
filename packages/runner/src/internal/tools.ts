/**
 * Package managers and runtimes a repository needs but the host lacks (pnpm, yarn, deno): installed
 * once per version from the npm registry into a tools directory outside any project, and put on the
 * sandbox's PATH. The version comes from the nearest `package.json` `packageManager` field
 * (`pnpm@9.15.0+sha…`); for Deno from `.dvmrc`, `.tool-versions`, `packageManager` or
 * `devEngines` naming deno; else a current default. Deno is the registry's `deno` package, whose
 * platform package (`@deno/linux-x64-glibc`, …) carries the binary.
 *
 * @internal
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, dirname, join } from "node:path"
import { execa } from "execa"

export type Tool = "pnpm" | "yarn" | "deno"

const DEFAULTS: Record<Tool, string> = { pnpm: "pnpm@9", yarn: "yarn@1.22.22", deno: "deno@2" }

/** The package managers and runtimes a shell command line invokes. */
export const toolsIn = (command: string): Array<Tool> =>
  (["pnpm", "yarn", "deno"] as const).filter((tool) => new RegExp(`(?:^|[\\s;&|()\`])${tool}(?=\\s|$|[;&|)])`).test(command))

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
  if (tool === "deno") return denoSpec(cwd)
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

const EXACT = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/

/**
 * The `deno` npm package version a directory asks for: `.dvmrc`, `.tool-versions` (`deno 2.1.4`),
 * `packageManager: "deno@…"`, `devEngines.runtime`/`devEngines.packageManager` naming deno (exact
 * versions only), nearest first; else `deno@2`. Deno 1.x is refused for the default: its `deno install`
 * means something else.
 */
const denoSpec = (cwd: string): string => {
  const read = (file: string): string | null => {
    try {
      return readFileSync(file, "utf8")
    } catch {
      return null
    }
  }
  for (let dir = cwd; ; dir = dirname(dir)) {
    const dvm = read(join(dir, ".dvmrc"))?.trim().replace(/^v/, "")
    if (dvm && EXACT.test(dvm)) return `deno@${dvm}`
    const tv = read(join(dir, ".tool-versions"))
    const m = tv ? /^\s*deno\s+v?(\S+)/m.exec(tv) : null
    if (m && EXACT.test(m[1])) return `deno@${m[1]}`
    const pkgText = read(join(dir, "package.json"))
    if (pkgText !== null) {
      try {
        const pkg = JSON.parse(pkgText) as { packageManager?: unknown; devEngines?: Record<string, unknown> }
        const field = typeof pkg.packageManager === "string" ? /^deno@v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)/.exec(pkg.packageManager) : null
        if (field) return `deno@${field[1]}`
        for (const key of ["runtime", "packageManager"]) {
          const entries = pkg.devEngines?.[key]
          for (const entry of Array.isArray(entries) ? entries : [entries]) {
            if (typeof entry === "object" && entry !== null && "name" in entry && entry.name === "deno" && "version" in entry && typeof entry.version === "string" && EXACT.test(entry.version)) {
              return `deno@${entry.version}`
            }
          }
        }
      } catch {
        // unreadable package.json: keep looking
      }
    }
    if (dirname(dir) === dir) break
  }
  return DEFAULTS.deno
}

/**
 * Environment a command gets next to the tools it was given. A Deno command keeps its module and
 * npm cache (`DENO_DIR`) in the workspace's `node_modules/.ratchet-deno`, where the installed
 * dependencies are reused from (each sandboxed command has a fresh home, so Deno's default cache
 * would be gone by the test step); Yarn Berry keeps its cache in the project, not the throwaway home,
 * because Plug'n'Play loads packages from that cache at run time.
 */
export const toolEnv = (
  command: string,
  workspaceRoot: string,
  callerEnv: Readonly<Record<string, string>> | undefined,
  host: NodeJS.ProcessEnv = {}
): Record<string, string> => {
  const env: Record<string, string> = {}
  if (toolsIn(command).includes("deno")) {
    if (callerEnv?.DENO_DIR === undefined) env.DENO_DIR = join(workspaceRoot, "node_modules", ".ratchet-deno")
    env.DENO_NO_UPDATE_CHECK = "1"
    env.DENO_NO_PROMPT = "1"
    // Deno trusts its bundled roots and NODE_EXTRA_CA_CERTS, not SSL_CERT_FILE: a host CA bundle goes to DENO_CERT
    const cert = host.DENO_CERT ?? host.SSL_CERT_FILE
    if (callerEnv?.DENO_CERT === undefined && cert !== undefined && cert !== "") env.DENO_CERT = cert
  }
  if (callerEnv?.YARN_ENABLE_GLOBAL_CACHE === undefined) env.YARN_ENABLE_GLOBAL_CACHE = "false"
  return env
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
