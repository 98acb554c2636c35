/**
 * YAML to plain values with line numbers, with hard budgets so alias bombs and huge
 * documents cannot hang detection.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml"
import { MAX_YAML_BYTES, type RepoReader } from "./reader.js"

/** Where a map value or sequence item starts; `block` for `|`/`>` scalars (content starts on the next line). */
export interface Loc {
  readonly line: number
  readonly block: boolean
}

export const LOCS: unique symbol = Symbol("ratchet.yaml.locs")

export type YamlMap = { [key: string]: unknown; [LOCS]?: Map<string, Loc> }

const MAX_NODES = 200_000
const MAX_ALIASES = 2_000

class Budget {
  nodes = 0
  aliases = 0
  exceeded: string | null = null
}

export const isYamlMap = (u: unknown): u is YamlMap => typeof u === "object" && u !== null && !Array.isArray(u)

/** The location of `key` in a converted map (or item index in a converted sequence). */
export const locOf = (container: unknown, key: string | number): Loc | undefined =>
  typeof container === "object" && container !== null ? (container as YamlMap)[LOCS]?.get(String(key)) : undefined

export const lineOf = (container: unknown, key: string | number): number | undefined => locOf(container, key)?.line

const convert = (doc: Document, node: unknown, lc: LineCounter, budget: Budget, depth: number): unknown => {
  if (budget.exceeded !== null) return null
  if (++budget.nodes > MAX_NODES) {
    budget.exceeded = `more than ${MAX_NODES} nodes (alias expansion or size)`
    return null
  }
  if (depth > 200) {
    budget.exceeded = "nesting deeper than 200 levels"
    return null
  }
  if (node === null || node === undefined) return null
  if (isAlias(node)) {
    if (++budget.aliases > MAX_ALIASES) {
      budget.exceeded = `more than ${MAX_ALIASES} alias expansions (possible alias bomb)`
      return null
    }
    const target = node.resolve(doc)
    return target === undefined ? null : convert(doc, target, lc, budget, depth + 1)
  }
  if (isScalar(node)) return node.value
  const locFor = (n: unknown): Loc => {
    const range = (n as Node | null)?.range
    const line = range ? lc.linePos(range[0]).line : 0
    const type = isScalar(n) ? n.type : undefined
    return { line, block: type === "BLOCK_LITERAL" || type === "BLOCK_FOLDED" }
  }
  if (isSeq(node)) {
    const out: Array<unknown> & { [LOCS]?: Map<string, Loc> } = []
    const locs = new Map<string, Loc>()
    node.items.forEach((item, i) => {
      out.push(convert(doc, item, lc, budget, depth + 1))
      locs.set(String(i), locFor(item))
    })
    out[LOCS] = locs
    return out
  }
  if (isMap(node)) {
    const out: YamlMap = {}
    const locs = new Map<string, Loc>()
    for (const pair of node.items) {
      const keyNode = pair.key
      const key = isScalar(keyNode) ? String(keyNode.value) : keyNode === null ? "" : String(convert(doc, keyNode, lc, budget, depth + 1))
      const value = convert(doc, pair.value, lc, budget, depth + 1)
      if (key === "<<") {
        for (const src of Array.isArray(value) ? value : [value]) {
          if (isYamlMap(src)) {
            for (const [k, v] of Object.entries(src)) if (!(k in out)) out[k] = v
            for (const [k, l] of src[LOCS] ?? []) if (!locs.has(k)) locs.set(k, l)
          }
        }
        continue
      }
      out[key] = value
      const valueLoc = pair.value ? locFor(pair.value) : locFor(keyNode)
      locs.set(key, valueLoc.line ? valueLoc : locFor(keyNode))
    }
    out[LOCS] = locs
    return out
  }
  return null
}

export type YamlResult = { ok: true; value: unknown } | { ok: false }

/** Parses YAML text; problems become warnings naming the file and line. */
export const parseYaml = (reader: RepoReader, file: string, text: string): YamlResult => {
  const lineCounter = new LineCounter()
  let doc: Document
  try {
    doc = parseDocument(text, { lineCounter, uniqueKeys: false, merge: false, prettyErrors: false, strict: false })
  } catch (error) {
    reader.warn(`${file}: YAML could not be parsed (${error instanceof Error ? error.message : String(error)}); skipped`)
    return { ok: false }
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    const line = lineCounter.linePos(e.pos[0]).line
    const msg = e.message.split("\n")[0]
    reader.warn(`${file}:${line}: YAML syntax error (${msg}); skipped`)
    return { ok: false }
  }
  const budget = new Budget()
  const value = convert(doc, doc.contents, lineCounter, budget, 0)
  if (budget.exceeded !== null) {
    reader.warn(`${file}: YAML has ${budget.exceeded}; skipped`)
    return { ok: false }
  }
  return { ok: true, value }
}

/** Reads and parses a YAML file under the YAML size cap; `null` when missing or unusable. */
export const readYaml = (reader: RepoReader, file: string): unknown | null => {
  const text = reader.read(file, { maxBytes: MAX_YAML_BYTES })
  if (text === null) return null
  const result = parseYaml(reader, file, text)
  return result.ok ? result.value : null
}
