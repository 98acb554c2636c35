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
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync, realpathSync, statSync } from "node:fs"
import { isAbsolute, join, relative, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { Effect, Schema } from "effect"
import { type BenchmarkAdapter, flatten, type HookName, hooksOf as sortedHooks, type Plugin, type PluginOption, type ResolvedHook, sortPlugins } from "./Plugin.js"
import { configInvalid, type RatchetError } from "./RatchetError.js"
import { PackageManagerName } from "./RepoProfile.js"
import { Sandbox } from "./Sandbox.js"
import { fromData, QueryRuleData } from "./ScanRule.js"
import { commandLine, ENV, type Evaluation, type EvaluatedPlugin, PROGRAM } from "./internal/config/evaluator.js"

const CommandOverride = Schema.NullOr(
  Schema.Union([Schema.String, Schema.Struct({ command: Schema.String, cwd: Schema.optionalKey(Schema.String) })])
)

const NonNegative = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * A price in USD per million tokens (`llm.prices`).
 *
 * @since 0.2.0
 */
export const LlmPrice = Schema.Struct({
  input: NonNegative,
  output: NonNegative,
  cachedInput: Schema.optionalKey(NonNegative),
  cacheWrite: Schema.optionalKey(NonNegative),
  reasoning: Schema.optionalKey(NonNegative)
})

/**
 * LLM budgets: USD and tokens per run, and per repository per UTC day. A number is USD per run.
 *
 * @since 0.2.0
 */
export const LlmBudget = Schema.Union([
  NonNegative,
  Schema.Struct({
    usd: Schema.optionalKey(NonNegative),
    tokens: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
    dailyUsd: Schema.optionalKey(NonNegative),
    dailyTokens: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)))
  })
])

/**
 * The `llm` section. Models are `provider:model` specs (`openai:gpt-5-mini`,
 * `openai-compatible:MODEL@BASE_URL`), or bare model names with `provider` (and `baseURL`).
 *
 * @since 0.2.0
 */
export const LlmConfig = Schema.Struct({
  /** The provider of bare model names: `openai`, `anthropic`, `google`, `openai-compatible`. */
  provider: Schema.optionalKey(Schema.String),
  /** The cheap model that picks targets (default: the patch model). */
  triage: Schema.optionalKey(Schema.String),
  /** The strong model that writes patches. */
  patch: Schema.optionalKey(Schema.String),
  /** Base URL for the provider (required for `openai-compatible` bare names). */
  baseURL: Schema.optionalKey(Schema.String),
  budget: Schema.optionalKey(LlmBudget),
  /** Repair rounds after a rejected patch (default 2). */
  repairAttempts: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 10 }))),
  /** Targets triage may pick (default 3). */
  maxTargets: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 20 }))),
  /** Token budget of the repository map in prompts (default 6000). */
  contextTokens: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(500))),
  /** Output token limit of patch calls (default 8192). */
  maxOutputTokens: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(256))),
  reasoning: Schema.optionalKey(
    Schema.Struct({ effort: Schema.optionalKey(Schema.Literals(["low", "medium", "high"])), budgetTokens: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1024))) })
  ),
  /** Profile the tests and benchmarks before triage (default true). */
  profile: Schema.optionalKey(Schema.Boolean),
  /** Timeout per model call attempt in ms (default 600000). */
  timeoutMs: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1000))),
  /** Price overrides, keyed `provider:model`. */
  prices: Schema.optionalKey(Schema.Record(Schema.String, LlmPrice))
})
/** @since 0.2.0 */
export type LlmConfig = typeof LlmConfig.Type

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
  ),
  /**
   * The LLM agent (off unless a model is named here or with `ratchet run --llm`).
   *
   * @since 0.2.0
   */
  llm: Schema.optionalKey(LlmConfig)
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
  /**
   * Set when the config was evaluated as data ({@link loadConfigInSandbox}): its declarative
   * `ScanRule.query` rules, of which `plugins` are the rebuilt plugins. Nothing may import the file
   * in-process to get them back.
   *
   * @since 0.2.0
   */
  readonly queryRules?: ReadonlyArray<QueryRuleData>
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
export const resolveConfig = (value: unknown, file: string | null): Effect.Effect<ResolvedConfig, RatchetError> => resolveWith(value, file, [])

const resolveWith = (value: unknown, file: string | null, earlier: ReadonlyArray<string>): Effect.Effect<ResolvedConfig, RatchetError> =>
  Effect.gen(function* () {
    const where = file ?? "<inline config>"
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return yield* Effect.fail(configInvalid({ file: where, detail: "the default export must be an object (use defineConfig({...}))" }))
    }
    // Every problem is reported at once, so a broken config is fixed in one round.
    const problems: Array<string> = [...earlier]
    const { plugins: rawPlugins, ...data } = value as RatchetConfig & Record<string, unknown>
    const known = new Set(["profile", "policy", "scan", "validate", "budget", "llm"])
    for (const key of Object.keys(data).filter((k) => !known.has(k))) {
      problems.push(`unknown key "${key}" (expected one of plugins, ${[...known].join(", ")})`)
      delete data[key]
    }
    const decoded = yield* Schema.decodeUnknownEffect(ConfigData)(data, { errors: "all" }).pipe(
      Effect.catch((error) => {
        problems.push(...String(error.message ?? error).split(/\n(?=\S)/).map((p) => p.replace(/\n\s+/g, " ")))
        return Effect.succeed(null)
      })
    )
    let plugins: ReadonlyArray<Plugin> = []
    if (rawPlugins !== undefined && !Array.isArray(rawPlugins)) {
      problems.push("plugins must be an array")
    } else {
      plugins = flatten(rawPlugins ?? [])
      for (const [index, plugin] of plugins.entries()) {
        const problem = validatePlugin(plugin, index)
        if (problem) problems.push(problem)
      }
    }
    if (problems.length > 0 || decoded === null) {
      const detail = problems.length === 1 ? problems[0]! : `${problems.length} problems: ${problems.map((p, n) => `(${n + 1}) ${p}`).join("; ")}`
      return yield* Effect.fail(configInvalid({ file: where, detail }))
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
 * How long loading a config file may take: `RATCHET_CONFIG_TIMEOUT_MS`, else 30 s.
 *
 * @since 0.1.0
 */
export const configTimeoutMs = (): number => {
  const n = Number(process.env.RATCHET_CONFIG_TIMEOUT_MS)
  return Number.isFinite(n) && n > 0 ? n : 30_000
}

/**
 * Options of {@link loadConfig} and {@link loadConfigInSandbox}.
 *
 * @since 0.2.0
 */
export interface LoadOptions {
  /** How long evaluating the file may take (default {@link configTimeoutMs}). */
  readonly timeoutMs?: number
  /**
   * Import the file into this process straight away, without evaluating it in a child process
   * first. Only for a file that was already evaluated (a scanner worker rebuilding the plugins of a
   * config its host loaded): an endless loop at the top level would hang the process.
   */
  readonly inProcess?: boolean
}

const timeoutDetail = (ms: number): string =>
  `evaluating it did not finish within ${ms / 1000} s (an endless loop, or a top-level await that never settles?); fix the config, or raise RATCHET_CONFIG_TIMEOUT_MS`

/**
 * Loads `ratchet.config.{ts,mts,js,mjs}` from `root` (TypeScript via Node's type stripping),
 * or an explicit file. No file means defaults. A broken file fails with `ConfigInvalid`
 * naming the file and every problem found.
 *
 * The file is trusted code (the CLI on your own directory): it is first evaluated in a child
 * process, which is killed when it does not finish within `options.timeoutMs` (default
 * {@link configTimeoutMs}), so an endless loop ends in `ConfigInvalid`, not in a hung process.
 * A config of data only is taken from the child's answer; one with plugins (code) is then
 * imported into this process, so its hooks can run here, and is thus evaluated twice. For a
 * repository you do not trust, use {@link loadConfigInSandbox}.
 *
 * @since 0.1.0
 */
export const loadConfig = (root: string, explicitFile?: string, options: LoadOptions = {}): Effect.Effect<ResolvedConfig, RatchetError> =>
  Effect.gen(function* () {
    const file = explicitFile ?? findConfigFile(root)
    if (file === null) return resolved({}, [], null)
    if (!existsSync(file)) {
      return yield* Effect.fail(configInvalid({ file, detail: "file not found" }))
    }
    const timeoutMs = options.timeoutMs ?? configTimeoutMs()
    if (options.inProcess === true) return yield* importInProcess(file, timeoutMs)
    const evaluation = yield* evaluateInChild(root, file, timeoutMs)
    if (!evaluation.ok) return yield* Effect.fail(evaluationFailed(file, evaluation))
    if (evaluation.plugins.length > 0) return yield* importInProcess(file, timeoutMs)
    return yield* resolveWith(evaluation.data, file, evaluation.problems)
  })

const importInProcess = (file: string, timeoutMs: number): Effect.Effect<ResolvedConfig, RatchetError> =>
  Effect.gen(function* () {
    const mod = yield* Effect.tryPromise({
      try: () => import(pathToFileURL(file).href) as Promise<Record<string, unknown>>,
      catch: (cause) => configInvalid({ file, detail: describeImportError(cause) }, cause)
    }).pipe(Effect.timeoutOrElse({ duration: timeoutMs, orElse: () => Effect.fail(configInvalid({ file, detail: timeoutDetail(timeoutMs) })) }))
    const value = mod.default ?? mod.config
    if (value === undefined) {
      return yield* Effect.fail(configInvalid({ file, detail: "no default export (export default defineConfig({...}))" }))
    }
    return yield* resolveConfig(value, file)
  })

/** Keeps the last `max` bytes written to it. */
const tail = (max: number) => {
  let chunks: Array<Buffer> = []
  let size = 0
  return {
    push: (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
      if (size > 2 * max) {
        const all = Buffer.concat(chunks).subarray(-max)
        chunks = [all]
        size = all.length
      }
    },
    text: () => Buffer.concat(chunks).subarray(-max).toString("utf8")
  }
}

const EVALUATION_BYTES = 8 * 1024 * 1024

const evaluatorEnv = (file: string, marker: string, mode: "data" | "trusted", coreExports: ReadonlyArray<string>): Record<string, string> => ({
  [ENV.program]: PROGRAM,
  [ENV.file]: file,
  [ENV.marker]: marker,
  [ENV.mode]: mode,
  [ENV.coreExports]: JSON.stringify(coreExports)
})

/** Runs the evaluator in a plain child process (trusted configs), killing its process group at the deadline. */
const evaluateInChild = (root: string, file: string, timeoutMs: number): Effect.Effect<Evaluation, RatchetError> =>
  Effect.callback<Evaluation, RatchetError>((resume) => {
    const marker = `@@ratchet-config-${randomBytes(8).toString("hex")}@@`
    const child = spawn(process.execPath, ["--input-type=module", "-e", PROGRAM], {
      cwd: root,
      env: { ...process.env, ...evaluatorEnv(file, marker, "trusted", []), [ENV.program]: "" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true
    })
    const out = tail(EVALUATION_BYTES)
    const err = tail(64 * 1024)
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk))
    let timedOut = false
    const kill = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL")
      } catch {
        child.kill("SIGKILL")
      }
    }
    const timer = setTimeout(() => {
      timedOut = true
      kill()
    }, timeoutMs)
    child.on("error", (cause) => {
      clearTimeout(timer)
      resume(Effect.fail(configInvalid({ file, detail: `could not start Node.js to evaluate it: ${cause.message}` })))
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      // what the config itself left running in the group goes too
      kill()
      if (timedOut) return resume(Effect.fail(configInvalid({ file, detail: timeoutDetail(timeoutMs) })))
      const evaluation = readEvaluation(out.text(), marker)
      if (evaluation !== null) return resume(Effect.succeed(evaluation))
      resume(Effect.fail(configInvalid({ file, detail: childFailure(code, signal, err.text()) })))
    })
    return Effect.sync(kill)
  })

const childFailure = (code: number | null, signal: string | null, stderr: string): string => {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith("at "))
  const last = lines.slice(-3).join(" — ")
  const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`
  return `evaluating it ${how} before it produced a config${last.length > 0 ? `: ${last.slice(0, 500)}` : ""}`
}

const readEvaluation = (stdout: string, marker: string): Evaluation | null => {
  const at = stdout.lastIndexOf(`\n${marker}`)
  if (at < 0) return null
  const start = at + 1 + marker.length
  const end = stdout.indexOf("\n", start)
  const text = stdout.slice(start, end < 0 ? undefined : end)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return null
  }
  return Schema.decodeUnknownOption(EvaluationSchema)(parsed).pipe((o) => (o._tag === "Some" ? o.value : null))
}

const EvaluatedPluginSchema = Schema.Union([
  Schema.Struct({ kind: Schema.Literal("query"), name: Schema.String, options: Schema.Record(Schema.String, Schema.Unknown) }),
  Schema.Struct({ kind: Schema.Literal("code"), name: Schema.String, hooks: Schema.Array(Schema.String), why: Schema.Array(Schema.String) }),
  Schema.Struct({ kind: Schema.Literal("invalid"), detail: Schema.String })
])

const EvaluationSchema = Schema.Union([
  Schema.Struct({ ok: Schema.Literal(true), data: Schema.Unknown, plugins: Schema.Array(EvaluatedPluginSchema), problems: Schema.Array(Schema.String) }),
  Schema.Struct({
    ok: Schema.Literal(false),
    error: Schema.String,
    thrown: Schema.optionalKey(Schema.Struct({ name: Schema.String, message: Schema.String, stack: Schema.String }))
  })
])

/** The failure of an evaluation that answered `ok: false`; what the config threw, rebuilt, is its cause. */
const evaluationFailed = (file: string, evaluation: Extract<Evaluation, { ok: false }>): RatchetError => {
  const thrown = evaluation.thrown
  if (thrown === undefined) return configInvalid({ file, detail: evaluation.error })
  const cause = new Error(thrown.message)
  cause.name = thrown.name
  cause.stack = thrown.stack
  return configInvalid({ file, detail: evaluation.error }, cause)
}

/**
 * What {@link loadConfigInSandbox} returns: the config, and what it left out and why.
 *
 * @since 0.2.0
 */
export interface SandboxedConfig {
  readonly config: ResolvedConfig
  /** Code plugins that did not run, each named with its hooks and what to do. */
  readonly warnings: ReadonlyArray<string>
}

/**
 * Evaluates a repository's `ratchet.config.*` inside the `Sandbox` (the server, for every
 * repository it does not trust): a child process under the sandbox backend, offline, with the
 * sandbox's scrubbed environment (no secret of this process), writing only `root`, killed at
 * `options.timeoutMs`. Only data crosses back, validated by the config schema: the sections of
 * {@link ConfigData} and declarative `ScanRule.query` rules (string `rationale`, no `where`, a
 * string or RegExp `prefilter`), rebuilt here. `@ratchet/core` is a stand-in there
 * (`defineConfig`, `definePlugin`, `ScanRule.query`); plugins with hooks (code) do not run and are
 * named in `warnings`. The file must lie inside `root`.
 *
 * A config that cannot be evaluated (a syntax error, an import that is not there, an endless
 * loop, a sandbox that refuses to run it) fails with `ConfigInvalid` saying why.
 *
 * @since 0.2.0
 */
export const loadConfigInSandbox = (
  root: string,
  explicitFile?: string,
  options: { readonly timeoutMs?: number } = {}
): Effect.Effect<SandboxedConfig, RatchetError, Sandbox> =>
  Effect.gen(function* () {
    const file = explicitFile ?? findConfigFile(root)
    if (file === null) return { config: resolved({}, [], null), warnings: [] }
    if (!existsSync(file)) return yield* Effect.fail(configInvalid({ file, detail: "file not found" }))
    const inside = relative(realOr(root), realOr(resolve(root, file)))
    if (inside.startsWith("..") || isAbsolute(inside)) {
      return yield* Effect.fail(configInvalid({ file, detail: `it lies outside the repository (${root}); a repository's config must be inside it` }))
    }
    const timeoutMs = options.timeoutMs ?? configTimeoutMs()
    const sandbox = yield* Sandbox
    const marker = `@@ratchet-config-${randomBytes(8).toString("hex")}@@`
    const coreExports = yield* Effect.promise(() => import("./index.js").then((m) => Object.keys(m)))
    const result = yield* sandbox.run({
      command: commandLine(process.execPath),
      cwd: root,
      writable: [root],
      env: evaluatorEnv(resolve(root, file), marker, "data", coreExports),
      timeoutMs,
      network: false,
      maxOutputBytes: EVALUATION_BYTES,
      limits: { maxProcesses: 64, memoryBytes: 1024 * 1024 * 1024 },
      label: "config",
      // the evaluator runs on Ratchet's own Node (by absolute path): a repository's .nvmrc never triggers a Node download for it
      node: "ratchet"
    })
    if (result.refused !== undefined) {
      return yield* Effect.fail(configInvalid({ file, detail: `the sandbox refused to evaluate it: ${result.refused}` }))
    }
    if (result.timedOut) return yield* Effect.fail(configInvalid({ file, detail: `${timeoutDetail(timeoutMs)} (in the sandbox)` }))
    const evaluation = readEvaluation(result.stdout, marker)
    if (evaluation === null) {
      const reason = result.warnings.find((w) => /memory/.test(w))
      return yield* Effect.fail(
        configInvalid({ file, detail: `${childFailure(result.exitCode, result.signal, result.stderr)} (in the sandbox${reason ? `; ${reason}` : ""})` })
      )
    }
    if (!evaluation.ok) return yield* Effect.fail(evaluationFailed(file, evaluation))
    const problems = [...evaluation.problems]
    const warnings: Array<string> = []
    const queryRules: Array<QueryRuleData> = []
    const plugins: Array<Plugin> = []
    for (const plugin of evaluation.plugins) {
      if (plugin.kind === "invalid") problems.push(plugin.detail)
      else if (plugin.kind === "code") warnings.push(codeWarning(file, plugin))
      else {
        const decoded = Schema.decodeUnknownExit(QueryRuleData)(plugin.options, { errors: "all" })
        if (decoded._tag === "Failure") {
          problems.push(`ScanRule.query(${JSON.stringify(plugin.name)}): ${describeSchemaFailure(decoded.cause)}`)
          continue
        }
        try {
          plugins.push(fromData(decoded.value))
          queryRules.push(decoded.value)
        } catch (cause) {
          problems.push(cause instanceof Error ? cause.message : String(cause))
        }
      }
    }
    const data = yield* resolveWith(evaluation.data, file, problems)
    const { plugins: _none, file: _file, hooks: _hooks, benchmarkAdapters: _adapters, ...sections } = data
    return { config: { ...resolved(sections, plugins, file), ...(queryRules.length > 0 ? { queryRules } : {}) }, warnings }
  })

const codeWarning = (file: string, plugin: Extract<EvaluatedPlugin, { kind: "code" }>): string =>
  `${file}: plugin "${plugin.name}"${plugin.hooks.length > 0 ? ` (${plugin.hooks.join(", ")})` : ""} did not run: ${plugin.why.join(", ")}, and the repository is not trusted, so its config is data only (on a Ratchet server, an administrator of the operator organisation can mark the repository trusted to run its code plugins: PATCH /api/repos/:id/settings {"trusted": true})`

const describeSchemaFailure = (cause: unknown): string => String(cause).split(/\n(?=\S)/).map((p) => p.replace(/\n\s+/g, " ")).join("; ")

const realOr = (path: string): string => {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}

const describeImportError = (cause: unknown): string => {
  if (cause instanceof Error) {
    const code = (cause as { code?: string }).code
    const lines = cause.message.split("\n").map((l) => l.trim()).filter((l) => l.length > 0).slice(0, 3)
    const text = lines.join(" — ")
    return code ? `${code}: ${text}` : `${cause.name}: ${text}`
  }
  return String(cause)
}
