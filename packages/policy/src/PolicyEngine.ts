/**
 * The policy engine: runs every `policy` hook (the built-in rules first, then the given
 * plugins, Vite-ordered) over a parsed diff, applies `policy.rules` severity overrides and
 * decides. A patch is allowed when no verdict is BLOCK. Pure: no IO.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PolicyEngine } from "@ratchet/policy"
 *
 * const decision = PolicyEngine.evaluate(diffText, { maxFiles: 3, frozen: ["src/legacy/**"], rules: { tests: "warn" } })
 * // Effect<{ allowed: boolean, verdicts: [{ rule, severity, file, message }] }, PolicyError>
 * ```
 *
 * @since 0.1.0
 */
import type * as Config from "@ratchet/core/Config"
import type * as Patch from "@ratchet/core/Patch"
import * as Plugin from "@ratchet/core/Plugin"
import type * as PolicyVerdict from "@ratchet/core/PolicyVerdict"
import { Effect } from "effect"
import { format, parseSync } from "./Diff.js"
import { globMatcher } from "./internal/paths-policy.js"
import { optionsInvalid, PolicyError } from "./PolicyError.js"
import { builtins, HARD_RULES } from "./PolicyRules.js"

/**
 * The `policy` section of `ratchet.config.ts`.
 *
 * @since 0.1.0
 */
export type PolicyConfig = NonNullable<Config.ConfigData["policy"]>

/**
 * Engine options: the config's `policy` section plus extra plugins whose `policy` hooks add verdicts.
 *
 * @since 0.1.0
 */
export interface PolicyOptions extends PolicyConfig {
  readonly plugins?: ReadonlyArray<Plugin.PluginOption>
  /** Set to `false` to run only `plugins` (the built-in rules are on by default). */
  readonly builtins?: boolean
}

/**
 * The decision: `allowed` is `false` when any verdict is BLOCK.
 *
 * @since 0.1.0
 */
export type PolicyDecision = PolicyVerdict.PolicyDecision

const KNOWN_OPTIONS = new Set(["maxFiles", "maxLines", "frozen", "rules", "plugins", "builtins"])
const SEVERITIES = new Set(["off", "warn", "block"])

/**
 * Checks options; returns the error or `null`.
 *
 * @since 0.1.0
 */
export const validateOptions = (options: unknown): PolicyError | null => {
  if (options === undefined || options === null) return null
  if (typeof options !== "object" || Array.isArray(options)) return optionsInvalid({ field: "policy", detail: "must be an object" })
  const o = options as Record<string, unknown>
  for (const key of Object.keys(o)) {
    if (!KNOWN_OPTIONS.has(key))
      return optionsInvalid({ field: `policy.${key}`, detail: `unknown option; expected one of ${[...KNOWN_OPTIONS].join(", ")}` })
  }
  for (const key of ["maxFiles", "maxLines"] as const) {
    const v = o[key]
    if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < 1))
      return optionsInvalid({ field: `policy.${key}`, detail: `must be an integer ≥ 1, got ${JSON.stringify(v)}` })
  }
  if (o.frozen !== undefined) {
    if (!Array.isArray(o.frozen)) return optionsInvalid({ field: "policy.frozen", detail: "must be an array of glob strings" })
    for (const [i, g] of o.frozen.entries()) {
      if (typeof g !== "string" || g.trim() === "")
        return optionsInvalid({ field: `policy.frozen[${i}]`, detail: `must be a non-empty glob string, got ${JSON.stringify(g)}` })
    }
    try {
      globMatcher(o.frozen as Array<string>)
    } catch (error) {
      return optionsInvalid({ field: "policy.frozen", detail: `invalid glob: ${String(error)}` })
    }
  }
  if (o.rules !== undefined) {
    if (typeof o.rules !== "object" || o.rules === null || Array.isArray(o.rules))
      return optionsInvalid({ field: "policy.rules", detail: 'must map rule ids to "off", "warn" or "block"' })
    for (const [rule, level] of Object.entries(o.rules)) {
      if (typeof level !== "string" || !SEVERITIES.has(level))
        return optionsInvalid({ field: `policy.rules.${rule}`, detail: `must be "off", "warn" or "block", got ${JSON.stringify(level)}` })
      if (HARD_RULES.has(rule) && level !== "block")
        return optionsInvalid({
          field: `policy.rules.${rule}`,
          detail: `the "${rule}" rule cannot be turned off or downgraded: a patch that writes outside the repository, or a policy plugin that fails, is never safe`
        })
    }
  }
  if (o.plugins !== undefined && !Array.isArray(o.plugins))
    return optionsInvalid({ field: "policy.plugins", detail: "must be an array of plugins" })
  if (o.builtins !== undefined && typeof o.builtins !== "boolean")
    return optionsInvalid({ field: "policy.builtins", detail: "must be a boolean" })
  return null
}

const isVerdict = (v: unknown): v is PolicyVerdict.PolicyVerdict => {
  if (typeof v !== "object" || v === null) return false
  const r = v as Record<string, unknown>
  return (
    typeof r.rule === "string" &&
    r.rule.length > 0 &&
    (r.severity === "WARN" || r.severity === "BLOCK") &&
    typeof r.message === "string" &&
    (r.file === undefined || r.file === null || typeof r.file === "string")
  )
}

/**
 * Runs the rules over an already parsed patch and decides. Throws a `PolicyError` on invalid options.
 * `diff` is the raw text given to plugins (`PolicyContext.diff`); it defaults to `Diff.format(patch)`.
 *
 * @since 0.1.0
 */
export const decide = (patch: Patch.ParsedPatch, options: PolicyOptions = {}, diff?: string): PolicyDecision => {
  const invalid = validateOptions(options)
  if (invalid !== null) throw invalid
  const { plugins = [], builtins: useBuiltins = true, ...config } = options
  const rules = config.rules ?? {}
  const all = [...(useBuiltins ? builtins(config) : []), ...Plugin.flatten(plugins)]
  const context: Plugin.PolicyContext = { diff: diff ?? format(patch), options: config }
  const verdicts: Array<PolicyVerdict.PolicyVerdict> = []
  for (const hook of Plugin.hooksOf(all, "policy")) {
    // Skip built-in rules that are turned off (their plugin name ends with the rule id).
    const builtinId = hook.plugin.startsWith("ratchet:policy/") ? hook.plugin.slice("ratchet:policy/".length) : null
    if (builtinId !== null && rules[builtinId] === "off") continue
    let result: unknown
    try {
      result = hook.handler(patch, context)
    } catch (error) {
      verdicts.push({
        rule: "plugin-error",
        severity: "BLOCK",
        file: null,
        message: `policy plugin "${hook.plugin}" threw: ${error instanceof Error ? error.message : String(error)}. Fix or remove the plugin.`
      })
      continue
    }
    if (!Array.isArray(result)) {
      verdicts.push({
        rule: "plugin-error",
        severity: "BLOCK",
        file: null,
        message: `policy plugin "${hook.plugin}" returned ${result === null ? "null" : typeof result} instead of an array of verdicts (a Promise is not allowed: policy hooks are synchronous). Fix the plugin.`
      })
      continue
    }
    for (const v of result) {
      if (!isVerdict(v)) {
        verdicts.push({
          rule: "plugin-error",
          severity: "BLOCK",
          file: null,
          message: `policy plugin "${hook.plugin}" returned an invalid verdict ${JSON.stringify(v)?.slice(0, 120)}; expected { rule, severity: "WARN" | "BLOCK", file?, message }. Fix the plugin.`
        })
        continue
      }
      const override = HARD_RULES.has(v.rule) ? undefined : rules[v.rule]
      if (override === "off") continue
      const severity = override === "warn" ? "WARN" : override === "block" ? "BLOCK" : v.severity
      verdicts.push({ rule: v.rule, severity, file: v.file ?? null, message: v.message })
    }
  }
  return { allowed: !verdicts.some((v) => v.severity === "BLOCK"), verdicts }
}

/**
 * Parses (when given text) and evaluates a diff; throws a `PolicyError` on an unparsable diff or invalid options.
 *
 * @since 0.1.0
 */
export const evaluateSync = (input: string | Patch.ParsedPatch, options: PolicyOptions = {}): PolicyDecision => {
  if (typeof input === "string") return decide(parseSync(input), options, input)
  return decide(input, options)
}

/**
 * Parses (when given text) and evaluates a diff.
 *
 * @since 0.1.0
 */
export const evaluate = (
  input: string | Patch.ParsedPatch,
  options: PolicyOptions = {}
): Effect.Effect<PolicyDecision, PolicyError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(evaluateSync(input, options))
    } catch (error) {
      if (error instanceof PolicyError) return Effect.fail(error)
      return Effect.die(error)
    }
  })
