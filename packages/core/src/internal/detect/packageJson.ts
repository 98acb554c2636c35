/**
 * Reading `package.json` files: tolerant parsing with line-numbered warnings and
 * line lookup for evidence.
 */
import { lineAt, type RepoReader } from "./reader.js"

export interface PackageJson {
  readonly file: string
  readonly dir: string
  readonly text: string
  readonly name: string | null
  readonly scripts: Readonly<Record<string, string>>
  readonly deps: Readonly<Record<string, string>>
  readonly raw: Readonly<Record<string, unknown>>
  /** Where each script is written when not in this package.json (Deno tasks in deno.json). */
  readonly scriptOrigin?: Readonly<Record<string, { readonly file: string; readonly line: number | undefined }>>
  /** Dependencies that come from another file (Deno imports in deno.json). */
  readonly depOrigin?: { readonly file: string; readonly text: string; readonly names: ReadonlyArray<string> }
}

/** File and line where script `name` of `pkg` is written. */
export const scriptWhere = (pkg: PackageJson, name: string): { file: string; line: number | undefined } =>
  pkg.scriptOrigin?.[name] ?? { file: pkg.file, line: keyLine(pkg.text, name, "scripts") }

/** File and line where dependency `name` of `pkg` is declared. */
export const depWhere = (pkg: PackageJson, name: string): { file: string; line: number | undefined } => {
  const o = pkg.depOrigin
  if (o?.names.includes(name) && !(pkg.file !== o.file && keyLine(pkg.text, name, "ependencies") !== undefined)) {
    const at = o.text.indexOf(name.startsWith("deno.land/x/") ? name : `${name}@`)
    const any = at === -1 ? o.text.indexOf(name) : at
    return { file: o.file, line: any === -1 ? undefined : lineAt(o.text, any) }
  }
  return { file: pkg.file, line: keyLine(pkg.text, name, "ependencies") }
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const stringRecord = (u: unknown): Record<string, string> => {
  const out: Record<string, string> = {}
  if (!isRecord(u)) return out
  for (const [k, v] of Object.entries(u)) if (typeof v === "string") out[k] = v
  return out
}

/** Parses JSON, returning the error's line when it fails. */
export const parseJson = (text: string): { ok: true; value: unknown } | { ok: false; line: number; message: string } => {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const lineMatch = /line (\d+)/.exec(message)
    const posMatch = /position (\d+)/.exec(message)
    const line = lineMatch ? Number(lineMatch[1]) : posMatch ? lineAt(text, Number(posMatch[1])) : lineAt(text, text.length)
    return { ok: false, line, message: message.replace(/\s*\(line \d+ column \d+\)/, "") }
  }
}

/** Reads and parses `<dir>/package.json`; `null` when missing or broken (broken → warning with line). */
export const readPackageJson = (reader: RepoReader, dir: string): PackageJson | null => {
  const file = reader.join(dir, "package.json")
  const text = reader.read(file)
  if (text === null) return null
  const parsed = parseJson(text)
  if (!parsed.ok) {
    reader.warn(`${file}:${parsed.line}: invalid JSON (${parsed.message}); its fields were ignored`)
    return null
  }
  if (!isRecord(parsed.value)) {
    reader.warn(`${file}:1: expected a JSON object; its fields were ignored`)
    return null
  }
  const raw = parsed.value
  return {
    file,
    dir,
    text,
    name: typeof raw.name === "string" ? raw.name : null,
    scripts: stringRecord(raw.scripts),
    deps: {
      ...stringRecord(raw.peerDependencies),
      ...stringRecord(raw.optionalDependencies),
      ...stringRecord(raw.devDependencies),
      ...stringRecord(raw.dependencies)
    },
    raw
  }
}

/** Line of `"key":` in a JSON text, optionally searching after the line of `"after":`. */
export const keyLine = (text: string, key: string, after?: string): number | undefined => {
  let from = 0
  if (after !== undefined) {
    const a = text.indexOf(JSON.stringify(after))
    if (a !== -1) from = a
  }
  const re = new RegExp(`${escapeRegExp(JSON.stringify(key))}\\s*:`, "g")
  re.lastIndex = from
  const m = re.exec(text)
  return m ? lineAt(text, m.index) : undefined
}

export const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** `^1.2.3` → `1.2.3`; `workspace:*`, `latest`, URLs → `null`. */
export const cleanVersion = (range: string | undefined): string | null => {
  if (range === undefined) return null
  const npmAlias = /^npm:(?:@[^/]+\/)?[^@]+@(.+)$/.exec(range)
  const r = (npmAlias ? npmAlias[1] : range).trim()
  const m = /^(?:[\^~=v]|>=?)?\s*(\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z.-]+)?)/.exec(r)
  if (m) return m[1]
  return null
}
