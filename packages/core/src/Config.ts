/**
 * `ratchet.config.ts` — typed configuration, loaded from the target repository root.
 *
 * @example
 * ```ts
 * // ratchet.config.ts
 * import { Config } from "@ratchet/core"
 *
 * export default Config.defineConfig({
 *   profile: { commands: { test: "npm test -- --run" } },
 *   policy: { maxFiles: 3, frozen: ["src/legacy/**"] },
 *   validate: { threshold: 0.05 }
 * })
 * ```
 *
 * @since 0.1.0
 */
import { existsSync, statSync } from "node:fs"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { Effect, Schema } from "effect"
import { type BenchmarkAdapter, flatten, type HookName, hooksOf as sortedHooks, type Plugin, type PluginOption, type ResolvedHook, sortPlugins } from "./Plugin.js"
import { configInvalid, type RatchetError } from "./RatchetError.js"
import { PackageManagerName } from "./RepoProfile.js"

const CommandOverride = Schema.NullOr(
  Schema.Union([Schema.String, Schema.Struct({ command: Schema.String, cwd: Schema.optionalKey(Schema.String) })])
)

/**
 * The data part of a config (everything but plugins), validated with Effect Schema.
 *
 * @since 0.1.0
 */
export const ConfigData = Schema.Struct({
  profile: Schema.optionalKey(
    Schema.Struct({
      packageManager: Schema.optionalKey(PackageManagerName),
      workspaces: Schema.optionalKey(Schema.Array(Schema.String)),
      commands: Schema.optionalKey(
        Schema.Struct({
          install: Schema.optionalKey(CommandOverride),
          build: Schema.optionalKey(CommandOverride),
          typecheck: Schema.optionalKey(CommandOverride),
          test: Schema.optionalKey(CommandOverride),
          bench: Schema.optionalKey(CommandOverride)
        })
      )
    })
  ),
  policy: Schema.optionalKey(
    Schema.Struct({
      maxFiles: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
      maxLines: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
      frozen: Schema.optionalKey(Schema.Array(Schema.String)),
      rules: Schema.optionalKey(Schema.Record(Schema.String, Schema.Literals(["off", "warn", "block"])))
    })
  ),
  scan: Schema.optionalKey(
    Schema.Struct({
      include: Schema.optionalKey(Schema.Array(Schema.String)),
      exclude: Schema.optionalKey(Schema.Array(Schema.String)),
      rules: Schema.optionalKey(Schema.Record(Schema.String, Schema.Literals(["off", "on"])))
    })
  ),
  validate: Schema.optionalKey(
    Schema.Struct({
      /** Minimum relative speedup, default 0.03 (3%). */
      threshold: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))),
      maxSamples: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(4))),
      allowTechDebt: Schema.optionalKey(Schema.Boolean),
      stepTimeoutMs: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1000)))
    })
  ),
  budget: Schema.optionalKey(
    Schema.Struct({
      candidates: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
      proposals: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)))
    })
  )
})
/** @since 0.1.0 */
export type ConfigData = typeof ConfigData.Type

/**
 * A Ratchet configuration.
 *
 * @since 0.1.0
 */
export interface RatchetConfig extends ConfigData {
  readonly plugins?: ReadonlyArray<PluginOption>
}

/**
 * Every hook of a config's plugins, each list in execution order (built once, when the config resolves).
 *
 * @since 0.2.0
 */
export type ResolvedHooks = { readonly [K in HookName]: ReadonlyArray<ResolvedHook<K>> }

/**
 * A loaded, validated configuration. Like Vite's resolved config it is built once (per run):
 * plugins flattened and sorted by `enforce`, every hook list sorted by `order`, and the benchmark
 * adapters the plugins contribute collected.
 *
 * @since 0.1.0
 */
export interface ResolvedConfig extends ConfigData {
  /** Flattened and sorted: `enforce: "pre"`, then normal, then `"post"`. */
  readonly plugins: ReadonlyArray<Plugin>
  /** The file it came from, or `null` for defaults. */
  readonly file: string | null
  /** The hooks in execution order (absent on a hand-built config: {@link hooksOf} computes them then). */
  readonly hooks?: ResolvedHooks
  /** The benchmark adapters the plugins contribute, in plugin order. */
  readonly benchmarkAdapters?: ReadonlyArray<BenchmarkAdapter>
}

const HOOK_NAMES: ReadonlyArray<HookName> = ["detect", "scan", "patchgen", "validate", "package", "policy"]

/**
 * A resolved config from its data and plugins: plugins sorted, hooks and benchmark adapters
 * collected once.
 *
 * @since 0.2.0
 */
export const resolved = (data: ConfigData, plugins: ReadonlyArray<Plugin>, file: string | null): ResolvedConfig => {
  const sorted = sortPlugins(plugins)
  const hooks = {
    detect: sortedHooks(sorted, "detect"),
    scan: sortedHooks(sorted, "scan"),
    patchgen: sortedHooks(sorted, "patchgen"),
    validate: sortedHooks(sorted, "validate"),
    package: sortedHooks(sorted, "package"),
    policy: sortedHooks(sorted, "policy")
  } satisfies ResolvedHooks
  return { ...data, plugins: sorted, file, hooks, benchmarkAdapters: sorted.flatMap((p) => p.benchmarkAdapters ?? []) }
}

/**
 * Policy limits a host imposes on a repository (the server's per-repository settings): `null`
 * leaves the config's own limit.
 *
 * @since 0.2.0
 */
export interface PolicyLimits {
  readonly maxFiles: number | null
  readonly maxLines: number | null
}

/**
 * The config with a host's policy limits applied: each limit is the stricter of the config's and
 * the host's. The same config object when there is nothing to apply.
 *
 * @since 0.2.0
 */
export const withPolicyLimits = (config: ResolvedConfig, limits: PolicyLimits | null | undefined): ResolvedConfig => {
  if (limits === undefined || limits === null || (limits.maxFiles === null && limits.maxLines === null)) return config
  const stricter = (own: number | undefined, host: number | null): number | undefined =>
    host === null ? own : own === undefined ? host : Math.min(own, host)
  const maxFiles = stricter(config.policy?.maxFiles, limits.maxFiles)
  const maxLines = stricter(config.policy?.maxLines, limits.maxLines)
  return {
    ...config,
    policy: { ...config.policy, ...(maxFiles === undefined ? {} : { maxFiles }), ...(maxLines === undefined ? {} : { maxLines }) }
  }
}

/**
 * The handlers of one hook of a config, in execution order (precomputed when the config resolved).
 *
 * @since 0.2.0
 */
export const hooksOf = <K extends HookName>(config: ResolvedConfig | undefined | null, name: K): ReadonlyArray<ResolvedHook<K>> =>
  config === undefined || config === null ? [] : (config.hooks?.[name] ?? sortedHooks(config.plugins, name))

/**
 * Identity function that gives a config its type.
 *
 * @since 0.1.0
 */
export const defineConfig = (config: RatchetConfig): RatchetConfig => config

/**
 * File names looked up at the repository root, in order.
 *
 * @since 0.1.0
 */
export const CONFIG_FILES = ["ratchet.config.ts", "ratchet.config.mts", "ratchet.config.js", "ratchet.config.mjs"] as const

const HOOKS = HOOK_NAMES

const validatePlugin = (plugin: unknown, index: number): string | null => {
  if (typeof plugin !== "object" || plugin === null) return `plugins[${index}] is not an object`
  const p = plugin as Record<string, unknown>
  if (typeof p.name !== "string" || p.name.length === 0) return `plugins[${index}].name must be a non-empty string`
  if (p.enforce !== undefined && p.enforce !== "pre" && p.enforce !== "post")
    return `plugins[${index}] (${p.name}).enforce must be "pre" or "post"`
  for (const hook of HOOKS) {
    const h = p[hook]
    if (h === undefined || typeof h === "function") continue
    if (typeof h === "object" && h !== null && typeof (h as { handler?: unknown }).handler === "function") {
      const order = (h as { order?: unknown }).order
      if (order === undefined || order === null || order === "pre" || order === "post") continue
      return `plugins[${index}] (${p.name}).${hook}.order must be "pre", "post" or null`
    }
    return `plugins[${index}] (${p.name}).${hook} must be a function or { order, handler }`
  }
  return null
}

/**
 * Validates an already imported config value; `file` is used in error messages.
 *
 * @since 0.1.0
 */
export const resolveConfig = (value: unknown, file: string | null): Effect.Effect<ResolvedConfig, RatchetError> =>
  Effect.gen(function* () {
    const where = file ?? "<inline config>"
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return yield* Effect.fail(configInvalid({ file: where, detail: "the default export must be an object (use defineConfig({...}))" }))
    }
    const { plugins: rawPlugins, ...data } = value as RatchetConfig & Record<string, unknown>
    const known = new Set(["profile", "policy", "scan", "validate", "budget"])
    const unknownKey = Object.keys(data).find((k) => !known.has(k))
    if (unknownKey !== undefined) {
      return yield* Effect.fail(
        configInvalid({ file: where, detail: `unknown key "${unknownKey}" (expected one of plugins, ${[...known].join(", ")})` })
      )
    }
    const decoded = yield* Schema.decodeUnknownEffect(ConfigData)(data).pipe(
      Effect.mapError((error) => configInvalid({ file: where, detail: String(error.message ?? error) }))
    )
    if (rawPlugins !== undefined && !Array.isArray(rawPlugins)) {
      return yield* Effect.fail(configInvalid({ file: where, detail: "plugins must be an array" }))
    }
    const plugins = flatten(rawPlugins ?? [])
    for (const [index, plugin] of plugins.entries()) {
      const problem = validatePlugin(plugin, index)
      if (problem) return yield* Effect.fail(configInvalid({ file: where, detail: problem }))
    }
    const adapters = plugins.flatMap((p, index) => (p.benchmarkAdapters === undefined ? [] : [{ p, index }]))
    for (const { p, index } of adapters) {
      const list: unknown = p.benchmarkAdapters
      if (!Array.isArray(list) || !list.every((a) => typeof a === "object" && a !== null && typeof a.name === "string" && typeof a.parse === "function")) {
        return yield* Effect.fail(configInvalid({ file: where, detail: `plugins[${index}] (${p.name}).benchmarkAdapters must be an array of { name, parse, command? }` }))
      }
    }
    return resolved(decoded, plugins, file)
  })

/**
 * Finds the config file at a repository root, if any.
 *
 * @since 0.1.0
 */
export const findConfigFile = (root: string): string | null => {
  for (const name of CONFIG_FILES) {
    const path = join(root, name)
    if (existsSync(path) && statSync(path).isFile()) return path
  }
  return null
}

/**
 * Loads `ratchet.config.{ts,mts,js,mjs}` from `root` (TypeScript via Node's type stripping),
 * or an explicit file. No file means defaults. A broken file fails with `ConfigInvalid`
 * naming the file and the reason.
 *
 * @since 0.1.0
 */
export const loadConfig = (root: string, explicitFile?: string): Effect.Effect<ResolvedConfig, RatchetError> =>
  Effect.gen(function* () {
    const file = explicitFile ?? findConfigFile(root)
    if (file === null) return resolved({}, [], null)
    if (!existsSync(file)) {
      return yield* Effect.fail(configInvalid({ file, detail: "file not found" }))
    }
    const mod = yield* Effect.tryPromise({
      try: () => import(pathToFileURL(file).href) as Promise<Record<string, unknown>>,
      catch: (cause) => configInvalid({ file, detail: describeImportError(cause) }, cause)
    })
    const value = mod.default ?? mod.config
    if (value === undefined) {
      return yield* Effect.fail(configInvalid({ file, detail: "no default export (export default defineConfig({...}))" }))
    }
    return yield* resolveConfig(value, file)
  })

const describeImportError = (cause: unknown): string => {
  if (cause instanceof Error) {
    const code = (cause as { code?: string }).code
    const lines = cause.message.split("\n").map((l) => l.trim()).filter((l) => l.length > 0).slice(0, 3)
    const text = lines.join(" — ")
    return code ? `${code}: ${text}` : `${cause.name}: ${text}`
  }
  return String(cause)
}
