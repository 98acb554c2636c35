/**
 * Stage 1 — detect: build a `RepoProfile` from a repository's files.
 *
 * Signals, in precedence order for the package manager: the `packageManager` field,
 * `devEngines.packageManager`, lockfiles in the project directory, what CI installs with,
 * then manager-specific config (`.yarnrc.yml`, `pnpm-workspace.yaml`, `.npmrc`,
 * `.tool-versions`). Commands come from GitHub Actions first (following composite actions
 * and reusable workflows), then `package.json` scripts, monorepo runners and framework
 * conventions. Every decision carries evidence (file, line, what matched); ambiguity is
 * reported in `warnings`.
 *
 * Detection never reads outside the root (symlinks out are skipped), caps file sizes,
 * bounds YAML alias expansion, and returns a profile from the remaining signals when
 * files are broken. Config `profile` overrides and plugin `detect` hooks run last.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Detect } from "@ratchet/core"
 *
 * const profile = await Effect.runPromise(Detect.detect("."))
 * console.log(Detect.format(profile))
 * ```
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Schema } from "effect"
import type { ResolvedConfig } from "./Config.js"
import { runDetection } from "./internal/detect/detect.js"
import { formatProfile } from "./internal/detect/format.js"
import { hooksOf } from "./Plugin.js"
import { badInput, internal, type RatchetError } from "./RatchetError.js"
import { type CommandName, type CommandSpec, RepoProfile } from "./RepoProfile.js"

/** @since 0.1.0 */
export interface DetectOptions {
  readonly config?: ResolvedConfig
}

const resolveRoot = Effect.fn("Detect.resolveRoot")(function* (root: string) {
  const abs = path.resolve(root)
  const stat = yield* Effect.try({
    try: () => fs.statSync(abs),
    catch: (error) => {
      const code = (error as NodeJS.ErrnoException).code
      return badInput({
        what: code === "ENOENT" ? "path does not exist" : `path cannot be read (${code ?? "error"})`,
        where: abs,
        fix: "pass the root directory of a repository"
      })
    }
  })
  if (!stat.isDirectory()) {
    return yield* Effect.fail(badInput({ what: "not a directory", where: abs, fix: "pass the root directory of a repository, not a file" }))
  }
  return yield* Effect.try({
    try: () => fs.realpathSync(abs),
    catch: (error) => badInput({ what: `path cannot be resolved (${String(error)})`, where: abs, fix: "pass the root directory of a repository" }, error)
  })
})

const configCommand = (
  value: string | { readonly command: string; readonly cwd?: string } | null,
  file: string
): CommandSpec | null =>
  value === null
    ? null
    : {
        command: typeof value === "string" ? value : value.command,
        cwd: typeof value === "string" ? "." : (value.cwd ?? "."),
        confidence: 1,
        evidence: [{ file, detail: "set in the Ratchet config" }]
      }

/**
 * Applies a config's `profile` overrides (package manager, workspaces, commands) to a profile.
 *
 * @since 0.1.0
 */
export const applyOverrides = (profile: RepoProfile, config: ResolvedConfig): RepoProfile => {
  const overrides = config.profile
  if (!overrides) return profile
  const file = config.file ?? "ratchet.config.ts"
  let out: RepoProfile = profile
  if (overrides.packageManager && overrides.packageManager !== profile.packageManager.name) {
    out = {
      ...out,
      packageManager: {
        name: overrides.packageManager,
        variant: overrides.packageManager === "yarn" ? "classic" : null,
        version: null,
        confidence: 1,
        evidence: [{ file, detail: `profile.packageManager: ${overrides.packageManager}` }]
      }
    }
  }
  if (overrides.workspaces) out = { ...out, workspaces: [...overrides.workspaces] }
  if (overrides.commands) {
    const commands = { ...out.commands }
    for (const name of ["install", "build", "typecheck", "test", "bench"] as const satisfies ReadonlyArray<CommandName>) {
      const value = overrides.commands[name]
      if (value !== undefined) commands[name] = configCommand(value, file)
    }
    out = { ...out, commands }
  }
  const question = out.packageManager.confidence < 0.5 ? out.question : out.commands.test === null ? out.question : null
  return { ...out, question: question ?? null }
}

/**
 * Detects package manager, workspaces, frameworks and commands of the repository at `root`.
 * Fails with `BadInput` when `root` is not a directory; every other problem becomes a warning.
 *
 * @since 0.1.0
 */
export const detect: (root: string, options?: DetectOptions) => Effect.Effect<RepoProfile, RatchetError> = Effect.fn("Detect.detect")(
  function* (root: string, options: DetectOptions = {}) {
    const realRoot = yield* resolveRoot(root)
    const config = options.config
    const { profile: detected, reader } = yield* Effect.try({
      try: () =>
        runDetection(realRoot, {
          ...(config?.profile?.packageManager ? { packageManager: config.profile.packageManager } : {}),
          configFile: config?.file ?? null
        }),
      catch: (error) => internal(`detection failed on ${realRoot}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, error)
    })
    let profile = config ? applyOverrides(detected, config) : detected
    for (const hook of hooksOf(config?.plugins ?? [], "detect")) {
      const next = yield* Effect.tryPromise({
        try: () =>
          Promise.resolve(
            hook.handler(profile, {
              root: realRoot,
              readFile: (relativePath: string) => Promise.resolve(reader.read(relativePath))
            })
          ),
        catch: (error) => internal(`plugin ${hook.plugin} failed in its detect hook: ${error instanceof Error ? error.message : String(error)}`, error)
      })
      if (next) {
        profile = yield* Schema.decodeUnknownEffect(RepoProfile)(next).pipe(
          Effect.mapError((error) => internal(`plugin ${hook.plugin} returned an invalid RepoProfile from its detect hook: ${error.message}`))
        )
      }
    }
    return profile
  }
)

/**
 * A readable, multi-line summary of a profile (what `ratchet detect` prints without `--json`).
 *
 * @since 0.1.0
 */
export const format = (profile: RepoProfile): string => formatProfile(profile)
