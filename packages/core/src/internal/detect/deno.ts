/**
 * Deno projects: `deno.json` / `deno.jsonc` (JSON with comments), read for tasks, imports
 * (as dependencies, for framework detection) and workspace members.
 */
import { type ParseError, parse, printParseErrorCode } from "jsonc-parser"
import { keyLine, type PackageJson } from "./packageJson.js"
import { lineAt, type RepoReader } from "./reader.js"
import { isYamlMap } from "./yaml.js"

export const DENO_CONFIGS = ["deno.json", "deno.jsonc"] as const

/** Parses JSON with comments and trailing commas; the first error's line when it is broken. */
export const parseJsonc = (text: string): { ok: true; value: unknown } | { ok: false; line: number; message: string } => {
  const errors: Array<ParseError> = []
  const value: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false })
  if (errors.length > 0) return { ok: false, line: lineAt(text, errors[0].offset), message: printParseErrorCode(errors[0].error) }
  return { ok: true, value }
}

export interface DenoConfig {
  readonly file: string
  readonly dir: string
  readonly text: string
  /** Task name → command (object tasks `{ command }` included; dependency-only tasks as ""). */
  readonly tasks: Readonly<Record<string, string>>
  /** Imports as dependencies: `@std/assert`, `hono`, `deno.land/x/fresh` → version range (or the specifier). */
  readonly deps: Readonly<Record<string, string>>
  /** Workspace members (`"workspace": ["./a"]` or `{ members: [...] }`), `null` when none. */
  readonly workspace: ReadonlyArray<string> | null
  readonly name: string | null
}

/**
 * Turns an import-map target into a dependency: `jsr:@std/assert@^1.0.0` → `@std/assert`,
 * `npm:hono@4` → `hono`, `https://deno.land/x/fresh@1.6.8/` → `deno.land/x/fresh`,
 * `https://esm.sh/preact@10.19.6` → `preact`.
 */
export const importToDep = (target: string): { name: string; range: string } | null => {
  const registry = /^(jsr|npm):\/?((?:@[^/@]+\/)?[^/@]+)(?:@([^/]+))?/.exec(target)
  if (registry) return { name: registry[2], range: registry[3] ?? "*" }
  const denoLand = /^https:\/\/deno\.land\/x\/([^/@]+)(?:@v?([^/]+))?/.exec(target)
  if (denoLand) return { name: `deno.land/x/${denoLand[1]}`, range: denoLand[2] ?? "*" }
  const cdn = /^https:\/\/(?:esm\.sh|cdn\.skypack\.dev|cdn\.jsdelivr\.net\/npm|unpkg\.com)\/(?:v\d+\/)?((?:@[^/@]+\/)?[^/@]+)(?:@([^/?]+))?/.exec(target)
  if (cdn) return { name: cdn[1], range: cdn[2] ?? "*" }
  return null
}

/** Reads `<dir>/deno.json` or `<dir>/deno.jsonc`; `null` when absent or broken (broken → warning with line). */
export const readDenoConfig = (reader: RepoReader, dir: string): DenoConfig | null => {
  for (const name of DENO_CONFIGS) {
    const file = reader.join(dir, name)
    const text = reader.read(file)
    if (text === null) continue
    const parsed = parseJsonc(text)
    if (!parsed.ok) {
      reader.warn(`${file}:${parsed.line}: invalid JSON (${parsed.message}); its fields were ignored`)
      return null
    }
    const raw = parsed.value
    if (!isYamlMap(raw)) {
      reader.warn(`${file}:1: expected a JSON object; its fields were ignored`)
      return null
    }
    const tasks: Record<string, string> = {}
    if (isYamlMap(raw.tasks)) {
      for (const [task, value] of Object.entries(raw.tasks)) {
        if (typeof value === "string") tasks[task] = value
        else if (isYamlMap(value)) tasks[task] = typeof value.command === "string" ? value.command : ""
      }
    }
    const deps: Record<string, string> = {}
    if (isYamlMap(raw.imports)) {
      for (const target of Object.values(raw.imports)) {
        if (typeof target !== "string") continue
        const dep = importToDep(target)
        if (dep && !(dep.name in deps)) deps[dep.name] = dep.range
      }
    }
    const ws = raw.workspace
    const members = Array.isArray(ws) ? ws : isYamlMap(ws) && Array.isArray(ws.members) ? ws.members : null
    return {
      file,
      dir,
      text,
      tasks,
      deps,
      workspace: members ? members.filter((m): m is string => typeof m === "string").map((m) => m.replace(/^\.\//, "").replace(/\/+$/, "")) : null,
      name: typeof raw.name === "string" ? raw.name : null
    }
  }
  return null
}

/**
 * A `package.json` view of a Deno project: `deno.json` tasks over `package.json` scripts (Deno runs
 * both with `deno task`), imports added to the dependencies, and where each task is written.
 */
export const mergeDeno = (pkg: PackageJson | null, deno: DenoConfig): PackageJson => {
  const origin: Record<string, { file: string; line: number | undefined }> = {}
  if (pkg) for (const name of Object.keys(pkg.scripts)) origin[name] = { file: pkg.file, line: keyLine(pkg.text, name, "scripts") }
  for (const name of Object.keys(deno.tasks)) origin[name] = { file: deno.file, line: keyLine(deno.text, name, "tasks") }
  return {
    file: pkg?.file ?? deno.file,
    dir: deno.dir,
    text: pkg?.text ?? deno.text,
    name: deno.name ?? pkg?.name ?? null,
    scripts: { ...(pkg?.scripts ?? {}), ...deno.tasks },
    deps: { ...deno.deps, ...(pkg?.deps ?? {}) },
    raw: pkg?.raw ?? {},
    scriptOrigin: origin,
    depOrigin: { file: deno.file, text: deno.text, names: Object.keys(deno.deps) }
  }
}
