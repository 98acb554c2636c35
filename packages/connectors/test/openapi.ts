/**
 * GitHub's published OpenAPI description (`@octokit/openapi`, api.github.com) as a validator for the
 * fake GitHub: every request body the fake receives and every response it sends is checked against
 * the schema of the operation it matched, so the fake cannot drift from the real API.
 *
 * The description is read once per process (13 MB of JSON) and schemas are compiled with ajv on
 * first use, per operation and status.
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { Ajv, type ValidateFunction } from "ajv"
import addFormatsModule from "ajv-formats"

type Json = { readonly [key: string]: unknown }

const ROOT = "https://ratchet.invalid/api.github.com.json"

interface Loaded {
  readonly spec: { readonly paths: Record<string, Record<string, Json>>; readonly info: { readonly version: string } }
  readonly ajv: Ajv
  readonly routes: ReadonlyArray<{ readonly template: string; readonly regex: RegExp; readonly methods: ReadonlySet<string> }>
  readonly compiled: Map<string, ValidateFunction | null>
}

let loaded: Loaded | null = null

const pointer = (...parts: ReadonlyArray<string>) => parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/")

/**
 * OpenAPI 3.0's `nullable: true` as JSON Schema: `type: [t, "null"]` (and `null` in an `enum`), or
 * `anyOf: [schema, { type: "null" }]` where the schema has no `type` (a `$ref`, `anyOf`, `allOf`).
 */
const nullableToJsonSchema = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(nullableToJsonSchema)
  if (typeof node !== "object" || node === null) return node
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(node)) out[k] = k === "example" || k === "examples" ? v : nullableToJsonSchema(v)
  if (out.nullable !== true) return out
  delete out.nullable
  if (typeof out.type === "string") {
    out.type = [out.type, "null"]
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null]
    return out
  }
  return { anyOf: [out, { type: "null" }] }
}

const load = (): Loaded => {
  if (loaded !== null) return loaded
  const require = createRequire(import.meta.url)
  const file = require.resolve("@octokit/openapi/generated/api.github.com.json")
  const raw = JSON.parse(readFileSync(file, "utf8"))
  const spec = { ...raw, paths: nullableToJsonSchema(raw.paths), components: nullableToJsonSchema(raw.components) }
  // OpenAPI 3.0: `nullable`, `discriminator`, `example`, `x-*` are not JSON-schema keywords ajv must enforce.
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, discriminator: false })
  const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule
  addFormats(ajv)
  ajv.addSchema({ $id: ROOT, paths: spec.paths, components: spec.components })
  const routes = Object.keys(spec.paths)
    .map((template) => ({
      template,
      regex: new RegExp(`^${template.split("/").map((s) => (/^\{[^}]+\}$/.test(s) ? "[^/]+" : s.replace(/[.*+?^$(){}|[\]\\]/g, "\\$&"))).join("/")}$`),
      methods: new Set(Object.keys(spec.paths[template]).filter((m) => ["get", "post", "put", "patch", "delete"].includes(m)))
    }))
    // literal segments win over parameters (`/repos/{o}/{r}/git/refs` over `/repos/{o}/{r}/{x}`)
    .sort((a, b) => (b.template.match(/\{/g)?.length ?? 0) < (a.template.match(/\{/g)?.length ?? 0) ? 1 : -1)
  loaded = { spec, ajv, routes, compiled: new Map() }
  return loaded
}

/**
 * The operation template a request path matches (`/repos/{owner}/{repo}/pulls`), or `null`.
 * Paths with an encoded slash inside a parameter (`contents/{path}`, `git/ref/{ref}`) are matched
 * by the fake itself and passed as `template`.
 */
export const route = (method: string, path: string): string | null => {
  const { routes } = load()
  const m = method.toLowerCase()
  return routes.find((r) => r.methods.has(m) && r.regex.test(path))?.template ?? null
}

const deref = (spec: Loaded["spec"], node: Json | undefined): Json | undefined => {
  let current = node
  for (let i = 0; i < 10 && current !== undefined && typeof current.$ref === "string"; i++) {
    const parts = (current.$ref as string).slice(2).split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    current = parts.reduce<unknown>((a, k) => (typeof a === "object" && a !== null ? Reflect.get(a, k) : undefined), spec) as Json | undefined
  }
  return current
}

const compile = (key: string, ref: string | null): ValidateFunction | null => {
  const state = load()
  if (!state.compiled.has(key)) state.compiled.set(key, ref === null ? null : state.ajv.compile({ $ref: ref }))
  return state.compiled.get(key) ?? null
}

const describeErrors = (validate: ValidateFunction): string =>
  (validate.errors ?? [])
    .slice(0, 8)
    .map((e) => `${e.instancePath || "(root)"} ${e.message ?? ""}${e.params && "missingProperty" in e.params ? ` (${String(e.params.missingProperty)})` : ""}`)
    .join("; ")

/** Problems with a response: `[]` when it is what GitHub documents for the operation and status. */
export const checkResponse = (method: string, template: string, status: number, body: unknown): ReadonlyArray<string> => {
  const { spec } = load()
  const m = method.toLowerCase()
  const operation = spec.paths[template]?.[m] as Json | undefined
  if (operation === undefined) return [`${method} ${template} is not an operation of GitHub's REST API`]
  const responses = operation.responses as Record<string, Json>
  const documented = responses[String(status)]
  if (documented === undefined) {
    // Rate limits (403/429) and server errors can come from any endpoint: GitHub documents them
    // globally, with the basic error body.
    if (status === 429 || status === 403 || status >= 500 || status === 401) {
      const validate = compile("basic-error", `${ROOT}#/components/schemas/basic-error`)
      return validate === null || validate(body) ? [] : [`${status} body is not a basic-error: ${describeErrors(validate)}`]
    }
    return [`${method} ${template} does not document status ${status} (documented: ${Object.keys(responses).join(", ")})`]
  }
  const response = deref(spec, documented)
  const content = response?.content as Record<string, Json> | undefined
  const json = content?.["application/json"]
  if (json === undefined) return body === undefined || body === null || body === "" ? [] : [`${method} ${template} ${status} documents no JSON body`]
  const responseRef =
    typeof documented.$ref === "string" ? `${ROOT}${documented.$ref}` : `${ROOT}#/${pointer("paths", template, m, "responses", String(status))}`
  const validate = compile(`${m} ${template} ${status}`, `${responseRef}/content/application~1json/schema`)
  if (validate === null || validate(body)) return []
  return [`${method} ${template} ${status}: ${describeErrors(validate)}`]
}

/** Problems with a request body: `[]` when it is valid for the operation. */
export const checkRequest = (method: string, template: string, body: unknown): ReadonlyArray<string> => {
  const { spec } = load()
  const m = method.toLowerCase()
  const operation = spec.paths[template]?.[m] as Json | undefined
  if (operation === undefined) return [`${method} ${template} is not an operation of GitHub's REST API`]
  const requestBody = deref(spec, operation.requestBody as Json | undefined)
  const json = (requestBody?.content as Record<string, Json> | undefined)?.["application/json"]
  if (json === undefined) return []
  if (body === undefined) return requestBody?.required === true ? [`${method} ${template}: the request body is required`] : []
  const declared = operation.requestBody as Json
  const base = typeof declared.$ref === "string" ? `${ROOT}${declared.$ref}` : `${ROOT}#/${pointer("paths", template, m, "requestBody")}`
  const validate = compile(`request ${m} ${template}`, `${base}/content/application~1json/schema`)
  if (validate === null || validate(body)) return []
  return [`${method} ${template} request: ${describeErrors(validate)}`]
}

/** The version of the description used. */
export const specVersion = (): string => load().spec.info.version
