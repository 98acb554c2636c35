/**
 * The program that evaluates a `ratchet.config.*` file outside Ratchet's process: in a child
 * process (the CLI: a synchronous endless loop cannot hang Ratchet) or inside the `Sandbox` (the
 * server: repository code never runs next to the database and the secrets).
 *
 * It is plain JavaScript run with `node --input-type=module -e "$RATCHET_CONFIG_EVALUATOR"`, so it
 * needs no file of Ratchet's inside the sandbox. It imports the config, turns its data into JSON,
 * describes its plugins (declarative `ScanRule.query` rules as data, anything else by name and
 * hooks) and writes one line `<marker><json>` to stdout, then exits at once (timers the config
 * left behind do not keep it alive).
 *
 * In `data` mode (the sandbox) `@ratchet/core` is a stand-in: `defineConfig`, `definePlugin` and
 * `ScanRule.query` record what they are given; every other export throws when used, with a
 * message that says why. Other `@ratchet/*` packages are not available there.
 *
 * @internal
 */

/** What the evaluator reports about one plugin. */
export type EvaluatedPlugin =
  | { readonly kind: "query"; readonly name: string; readonly options: Readonly<Record<string, unknown>> }
  | { readonly kind: "code"; readonly name: string; readonly hooks: ReadonlyArray<string>; readonly why: ReadonlyArray<string> }
  | { readonly kind: "invalid"; readonly detail: string }

/** The evaluator's answer. */
export type Evaluation =
  | {
      readonly ok: true
      /** Everything but `plugins`, as JSON. */
      readonly data: unknown
      readonly plugins: ReadonlyArray<EvaluatedPlugin>
      /** Values that could not cross as data (functions, class instances, cycles), by path. */
      readonly problems: ReadonlyArray<string>
    }
  | {
      readonly ok: false
      readonly error: string
      /** What the config threw, when it threw an `Error` (rebuilt as the failure's cause). */
      readonly thrown?: { readonly name: string; readonly message: string; readonly stack: string }
    }

/** Environment variable names the program reads. */
export const ENV = {
  program: "RATCHET_CONFIG_EVALUATOR",
  file: "RATCHET_CONFIG_FILE",
  marker: "RATCHET_CONFIG_MARKER",
  mode: "RATCHET_CONFIG_MODE",
  coreExports: "RATCHET_CONFIG_CORE_EXPORTS"
} as const

/** The command line that runs the program (the program itself travels in the environment). */
export const commandLine = (node: string): string => `"${node.replace(/(["\\$`])/g, "\\$1")}" --input-type=module -e "$${ENV.program}"`

// Plain JavaScript: no template literals (this is one), no TypeScript.
export const PROGRAM = String.raw`
import { writeSync } from "node:fs"
import { pathToFileURL } from "node:url"
const env = process.env
const marker = env.RATCHET_CONFIG_MARKER || "@@ratchet-config@@"
const file = env.RATCHET_CONFIG_FILE
const mode = env.RATCHET_CONFIG_MODE === "data" ? "data" : "trusted"
const exit = process.exit.bind(process)
let sent = false
const send = (value) => {
  sent = true
  let text
  try {
    text = JSON.stringify(value)
  } catch (e) {
    text = JSON.stringify({ ok: false, error: "its result could not be serialised: " + String((e && e.message) || e) })
  }
  const line = Buffer.from("\n" + marker + text + "\n")
  // stdout may be a non-blocking pipe still full of what the config printed: wait for room
  const pause = new Int32Array(new SharedArrayBuffer(4))
  let at = 0
  while (at < line.length) {
    try {
      at += writeSync(1, line, at)
    } catch (e) {
      if (!e || e.code !== "EAGAIN") break
      Atomics.wait(pause, 0, 0, 5)
    }
  }
  exit(0)
}
const describe = (e) => {
  if (e instanceof Error) {
    const lines = String(e.message).split("\n").map((l) => l.trim()).filter((l) => l.length > 0).slice(0, 3)
    return (e.code ? e.code : e.name) + ": " + lines.join(" \u2014 ")
  }
  return String(e)
}
process.on("exit", (code) => {
  if (sent) return
  send({
    ok: false,
    error:
      code === 13
        ? "evaluating it did not finish: a top-level await never settles (nothing is left that could settle it); fix the config"
        : "it ended the process (exit code " + code + ") before it produced a config; a config must not call process.exit"
  })
})
const QUERY = Symbol.for("ratchet.config.queryRule")
const { registerHooks } = await import("node:module")
// TypeScript sources import each other as ".js" (Node's type stripping does not rewrite them): fall back to ".ts"
registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context)
    } catch (error) {
      if (error && error.code === "ERR_MODULE_NOT_FOUND" && specifier.endsWith(".js") && /^(?:\.|file:)/.test(specifier)) {
        return next(specifier.slice(0, -3) + ".ts", context)
      }
      throw error
    }
  }
})
if (mode === "data") {
  const names = JSON.parse(env.RATCHET_CONFIG_CORE_EXPORTS || "[]")
  const why = "is not available to a repository config evaluated in Ratchet's sandbox (only defineConfig, definePlugin and ScanRule.query are; the repository is not trusted, so its config is data)"
  const stub = [
    "const why = " + JSON.stringify(why) + ";",
    "const QUERY = Symbol.for('ratchet.config.queryRule');",
    "const unavailable = (name) => new Proxy(function () {}, {",
    "  get(target, key) { if (typeof key === 'symbol' || key === 'then') return undefined; throw new Error('@ratchet/core ' + name + '.' + String(key) + ' ' + why) },",
    "  apply() { throw new Error('@ratchet/core ' + name + ' ' + why) },",
    "  construct() { throw new Error('@ratchet/core ' + name + ' ' + why) }",
    "});",
    "const partial = (name, value) => new Proxy(value, { get(target, key) { if (key in target || typeof key === 'symbol' || key === 'then') return target[key]; throw new Error('@ratchet/core ' + name + '.' + String(key) + ' ' + why) } });",
    "export const defineConfig = (config) => config;",
    "export const definePlugin = (plugin) => plugin;",
    "export const Config = partial('Config', { defineConfig });",
    "export const Plugin = partial('Plugin', { definePlugin });",
    "export const ScanRule = partial('ScanRule', { query: (options) => ({ name: options && options.name, [QUERY]: options }) });"
  ]
  const provided = new Set(["defineConfig", "definePlugin", "Config", "Plugin", "ScanRule"])
  for (const name of names) {
    if (!provided.has(name) && /^[A-Za-z_$][\w$]*$/.test(name)) stub.push("export const " + name + " = unavailable(" + JSON.stringify(name) + ");")
  }
  const stubSource = stub.join("\n")
  const subpaths = {
    Config: "export const defineConfig = (config) => config;",
    Plugin: "export const definePlugin = (plugin) => plugin;",
    ScanRule: "export const query = (options) => ({ name: options && options.name, [Symbol.for('ratchet.config.queryRule')]: options });"
  }
  registerHooks({
    resolve(specifier, context, next) {
      if (specifier === "@ratchet/core") return { url: "ratchet-config:core", shortCircuit: true }
      if (specifier.startsWith("@ratchet/")) return { url: "ratchet-config:other?" + encodeURIComponent(specifier), shortCircuit: true }
      return next(specifier, context)
    },
    load(url, context, next) {
      if (url === "ratchet-config:core") return { format: "module", source: stubSource, shortCircuit: true }
      if (url.startsWith("ratchet-config:other?")) {
        const specifier = decodeURIComponent(url.slice("ratchet-config:other?".length))
        const sub = specifier.startsWith("@ratchet/core/") ? subpaths[specifier.slice("@ratchet/core/".length)] : undefined
        const source = sub !== undefined ? sub : "throw new Error(" + JSON.stringify("the config imports " + specifier + ", which " + why) + ");"
        return { format: "module", source, shortCircuit: true }
      }
      return next(url, context)
    }
  })
}
const problems = []
const toData = (value, path, seen, depth) => {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value
  if (typeof value === "number") {
    if (Number.isFinite(value)) return value
    problems.push(path + " is " + String(value) + " (not a finite number)")
    return null
  }
  if (typeof value === "function") {
    problems.push(path + " is a function; only data crosses from a repository config")
    return null
  }
  if (typeof value !== "object") {
    problems.push(path + " is a " + typeof value + "; only data crosses from a repository config")
    return null
  }
  if (seen.has(value)) {
    problems.push(path + " refers back to itself (a cycle)")
    return null
  }
  if (depth > 64) {
    problems.push(path + " is nested too deeply")
    return null
  }
  seen.add(value)
  try {
    if (Array.isArray(value)) return value.map((v, i) => toData(v, path + "[" + i + "]", seen, depth + 1))
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) {
      const name = proto && proto.constructor && proto.constructor.name ? proto.constructor.name : "object"
      problems.push(path + " is a " + name + "; only plain data crosses from a repository config")
      return null
    }
    const out = {}
    for (const key of Object.keys(value)) {
      const v = value[key]
      if (v !== undefined) out[key] = toData(v, path === "" ? key : path + "." + key, seen, depth + 1)
    }
    return out
  } finally {
    seen.delete(value)
  }
}
const HOOKS = ["detect", "scan", "patchgen", "validate", "package", "policy"]
const describePlugin = (plugin, index) => {
  if (typeof plugin !== "object" || plugin === null) return { kind: "invalid", detail: "plugins[" + index + "] is not an object" }
  const query = plugin[QUERY]
  const name = typeof plugin.name === "string" ? plugin.name : "plugins[" + index + "]"
  if (query !== undefined && query !== null && typeof query === "object") {
    const why = []
    for (const key of ["where", "rationale", "prefilter"]) if (typeof query[key] === "function") why.push(key + " is a function")
    if (why.length > 0) return { kind: "code", name, hooks: ["scan"], why }
    const options = {}
    for (const key of Object.keys(query)) {
      const v = query[key]
      if (v === undefined) continue
      if (key === "prefilter" && v instanceof RegExp) options.prefilter = { regexp: v.source, flags: v.flags }
      else options[key] = toData(v, "plugins[" + index + "] (" + name + ")." + key, new Set(), 0)
    }
    return { kind: "query", name, options }
  }
  return { kind: "code", name, hooks: HOOKS.filter((h) => plugin[h] !== undefined), why: ["a plugin with hooks is code"] }
}
try {
  if (!file) throw new Error("no config file given")
  const mod = await import(pathToFileURL(file).href)
  const value = mod.default !== undefined ? mod.default : mod.config
  if (value === undefined) {
    send({ ok: false, error: "no default export (export default defineConfig({...}))" })
  } else if (typeof value !== "object" || value === null || Array.isArray(value)) {
    send({ ok: false, error: "the default export must be an object (use defineConfig({...}))" })
  } else {
    const rest = {}
    for (const key of Object.keys(value)) if (key !== "plugins") rest[key] = value[key]
    const data = toData(rest, "", new Set(), 0)
    const plugins = []
    const raw = value.plugins
    if (raw !== undefined) {
      if (!Array.isArray(raw)) problems.push("plugins must be an array")
      else {
        const flat = []
        const visit = (o) => {
          if (!o) return
          if (Array.isArray(o)) o.forEach(visit)
          else flat.push(o)
        }
        raw.forEach(visit)
        flat.forEach((p, i) => plugins.push(describePlugin(p, i)))
      }
    }
    send({ ok: true, data, plugins, problems })
  }
} catch (e) {
  const thrown = e instanceof Error ? { name: String(e.name), message: String(e.message), stack: String(e.stack || "") } : undefined
  send(thrown === undefined ? { ok: false, error: describe(e) } : { ok: false, error: describe(e), thrown })
}
`
