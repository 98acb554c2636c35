/**
 * The scanner's plugin set: built-in templates and text heuristics plus config plugins, with
 * `scan.rules` switches applied. Workers rebuild the same set from a serialisable spec.
 */
import { createRequire } from "node:module"
import type { Plugin } from "../../Plugin.js"
import type { QueryRuleData } from "../../ScanRule.js"
import { builtin } from "../../Templates.js"
import { textHeuristics } from "./textHeuristics.js"

// Loaded only when `scan.rules` has globs: workers start faster without it.
const require = createRequire(import.meta.url)

/** What a worker needs to rebuild the plugin set on its own. */
export interface PluginSpec {
  readonly builtins: boolean
  /** A `ratchet.config.*` file whose plugins join the set, or `null`. */
  readonly configFile: string | null
  /**
   * Declarative rules of a config evaluated as data (in the sandbox): rebuilt from data, the file is
   * never imported. Used instead of `configFile`.
   */
  readonly queryRules?: ReadonlyArray<QueryRuleData>
  readonly root: string
  /** `scan.rules` entries set to "off" (plugin names, rule ids or globs). */
  readonly off: ReadonlyArray<string>
  /** `scan.rules` entries set to "on": an exact name here overrides an "off" glob. */
  readonly on: ReadonlyArray<string>
}

/** The built-in scan plugins: the templates, then the text heuristics. */
export const builtinPlugins = (): Array<Plugin> => [...builtin(), textHeuristics()]

/**
 * A predicate for names switched off by `scan.rules`: an exact "off" wins, then an exact "on",
 * then "off" globs (so `{ "ratchet:*": "off", "ratchet:for-of": "on" }` keeps one template).
 */
export const offMatcher = (off: ReadonlyArray<string>, on: ReadonlyArray<string> = []): ((name: string) => boolean) => {
  if (off.length === 0) return () => false
  const exact = new Set(off)
  const enabled = new Set(on)
  const globs = off.filter((o) => /[*?[\]{}]/.test(o))
  const picomatch = globs.length > 0 ? (require("picomatch") as typeof import("picomatch")) : null
  const glob = picomatch !== null ? picomatch(globs, { dot: true }) : null
  return (name) => exact.has(name) || (!enabled.has(name) && glob !== null && glob(name))
}

/** Drops plugins switched off by name, and plugins without a `scan` hook. */
export const activePlugins = (plugins: ReadonlyArray<Plugin>, off: ReadonlyArray<string>, on: ReadonlyArray<string> = []): Array<Plugin> => {
  const isOff = offMatcher(off, on)
  return plugins.filter((p) => p.scan !== undefined && !isOff(p.name))
}

/** Rebuilds the plugin set from a spec (used inside workers). */
export const loadPlugins = async (spec: PluginSpec): Promise<Array<Plugin>> => {
  const plugins: Array<Plugin> = spec.builtins ? builtinPlugins() : []
  if (spec.queryRules !== undefined && spec.queryRules.length > 0) {
    const { fromData } = await import("../../ScanRule.js")
    plugins.push(...spec.queryRules.map(fromData))
  } else if (spec.configFile !== null) {
    const { Effect } = await import("effect")
    const { loadConfig } = await import("../../Config.js")
    // the host evaluated this file already (in a child process first): import it straight away
    const config = await Effect.runPromise(loadConfig(spec.root, spec.configFile, { inProcess: true }))
    plugins.push(...config.plugins)
  }
  return activePlugins(plugins, spec.off, spec.on)
}
