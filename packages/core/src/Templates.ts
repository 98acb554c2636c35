/**
 * The built-in safe templates (SPEC §4). Each template is a plugin named `ratchet:<id>` with a
 * `scan` hook that reports opportunities (rule = template id) and a `patchgen` hook that turns
 * one of its opportunities into a {@link Candidate} made of byte-range edits (the rest of the
 * file is kept byte-identical; the result is re-parsed and rejected on syntax errors).
 *
 * Every template states its safety conditions and reports nothing when they do not hold:
 *
 * | id | rewrite |
 * | --- | --- |
 * | `set-membership` | `arr.includes(x)` / `arr.indexOf(x) !== -1` in a loop → `Set.has` |
 * | `loop-invariant` | `JSON.parse` / `new RegExp` / `new Intl.*` / `Object.keys` / `new Set` of loop-invariant inputs → computed once before the loop |
 * | `reduce-spread` | `{ ...acc, [k]: v }` / `[...acc, x]` returned by a reducer → the accumulator updated in place |
 * | `constant-constructor` | `new TextDecoder/TextEncoder/Intl.*` or `new Set([literal])` per call → one module-level instance |
 * | `filter-length` | `xs.filter(p).length > 0` → `xs.some(p)` |
 * | `filter-first` | `xs.filter(p)[0]` → `xs.find(p)` |
 * | `first-of-iterable` | `[...set][0]` → `set.values().next().value` |
 * | `split-first` | `s.split(sep)[0]` → `s.split(sep, 1)[0]` |
 * | `entries-unused` | `Object.entries(o)` with only keys or values used → `Object.keys/values(o)` |
 * | `match-test` | `s.match(re)` used as a boolean → `re.test(s)` |
 * | `replace-all` | `s.replace(/plain/g, r)` → `s.replaceAll("plain", r)` |
 * | `alternation-set` | `/^(a|b|c)$/.test(x)` → a module-level `Set` lookup |
 * | `char-set` | `"aeiou".indexOf(c) !== -1` on one character → a `Set` of the characters |
 * | `json-hoist` | `JSON.stringify(CONST)` of an immutable literal in a loop/function → computed once |
 * | `map-filter-fusion` | `xs.filter(f).map(g)` / `xs.map(g).filter(f)` → one `for…of` pass |
 * | `map-reduce-fusion` | `xs.map(f).reduce(g, init)` → one `reduce` that maps as it goes |
 * | `regexp-hoist` | regex literal / `new RegExp("…")` in a loop/function → module constant |
 * | `map-index` | `xs.find(x => x.k === v)` / `xs.indexOf(v)` in a loop → `Map` index built once |
 * | `string-join` | `s += part` in a loop → parts array + `join("")` |
 * | `promise-all` | `for (const x of xs) await f(x)` over independent items → `Promise.all` |
 * | `memoize` | provably pure recursive/looping function of one primitive argument → `Map` cache |
 * | `for-of` | `Object.keys(o).forEach(cb)` / `for…in` over an array → `for…of` |
 * | `dead-code` | unexported, unreferenced module-level declaration → removed (tech-debt) |
 *
 * @since 0.1.0
 */
import { Buffer } from "node:buffer"
import type { Candidate } from "./Candidate.js"
import type { Opportunity } from "./Opportunity.js"
import type { OpportunityInput, Plugin, ScanFile } from "./Plugin.js"
import { all } from "./internal/templates/all.js"
import { fileInfo, type FileInfo } from "./internal/dataflow/fileInfo.js"
import type { Finding, Template } from "./internal/templates/template.js"
import { type Language, languageOf, parse, type Tree } from "./internal/treeSitter.js"

/**
 * The ids of the built-in templates, in the order their plugins run.
 *
 * @since 0.1.0
 */
export const ids: ReadonlyArray<string> = all.map((t) => t.id)

const isAscii = (text: string): boolean => !/[^\x00-\x7f]/.test(text)

const byteOffset = (text: string, index: number, ascii: boolean): number =>
  ascii ? index : Buffer.byteLength(text.slice(0, index), "utf8")

const toInput = (template: Template, info: FileInfo, finding: Finding, ascii: boolean): OpportunityInput => ({
  rule: template.id,
  kind: template.kind,
  startLine: finding.node.startPosition.row + 1,
  endLine: finding.node.endPosition.row + 1,
  startByte: byteOffset(info.text, finding.node.startIndex, ascii),
  endByte: byteOffset(info.text, finding.node.endIndex, ascii),
  rationale: finding.rationale,
  benefit: finding.benefit,
  risk: finding.risk,
  confidence: finding.confidence
})

/**
 * Runs a template defensively: on pathological input (e.g. nesting deep enough to exhaust the stack)
 * a template reports nothing for that file instead of failing the whole scan.
 */
const safeFind = (template: Template, info: FileInfo): ReadonlyArray<Finding> => {
  try {
    return template.find(info)
  } catch (error) {
    if (error instanceof RangeError) return []
    throw error
  }
}

const findingsOf = (template: Template, path: string, text: string, language: Language, tree: Tree): ReadonlyArray<Finding> => {
  if (!template.prefilter(text)) return []
  return safeFind(template, fileInfo(path, text, language, tree))
}

const toPlugin = (template: Template): Plugin => ({
  name: `ratchet:${template.id}`,
  scan: (file: ScanFile, context) => {
    if (!template.prefilter(file.text)) return []
    const language = languageOf(file.path) ?? file.language
    const tree = (context.tree() as Tree | null) ?? parse(file.text, language)
    const info = fileInfo(file.path, file.text, language, tree)
    const ascii = isAscii(file.text)
    return safeFind(template, info).map((finding) => toInput(template, info, finding, ascii))
  },
  patchgen: async (opportunity: Opportunity, context): Promise<Candidate | null> => {
    if (opportunity.rule !== template.id) return null
    const language = languageOf(opportunity.file)
    if (language === null) return null
    const text = await context.readFile(opportunity.file)
    if (text === null) return null
    const findings = findingsOf(template, opportunity.file, text, language, parse(text, language))
    const ascii = isAscii(text)
    const finding =
      opportunity.startByte !== undefined
        ? findings.find(
            (f) =>
              byteOffset(text, f.node.startIndex, ascii) === opportunity.startByte &&
              (opportunity.endByte === undefined || byteOffset(text, f.node.endIndex, ascii) === opportunity.endByte)
          )
        : findings.find((f) => f.node.startPosition.row + 1 === opportunity.startLine)
    // The file changed since the scan, or the opportunity is no longer safe: no candidate.
    if (!finding) return null
    const edits = finding.edits()
    if (!edits || edits.length === 0) return null
    // Loaded on first use: scanner workers load the templates for their scan hooks only, and
    // Patchgen pulls in Effect and the diff library.
    const { fromEdits } = await import("./Patchgen.js")
    return fromEdits({
      file: opportunity.file,
      source: text,
      edits,
      rule: template.id,
      title: `${template.title} (${opportunity.file}:${opportunity.startLine})`,
      explanation: `${finding.rationale}\n\n${template.explanation}`,
      kind: template.kind,
      opportunityId: opportunity.id
    })
  }
})

/**
 * The built-in template plugins (one per template, named `ratchet:<id>`).
 *
 * @since 0.1.0
 */
export const builtin = (): ReadonlyArray<Plugin> => all.map(toPlugin)

/**
 * Runs the templates over one source text without the scanner (for tools and tests):
 * the opportunities each template reports, with `id` = `<rule>:<startByte>` and `file` = `path`.
 *
 * @since 0.1.0
 */
export const scanText = (path: string, text: string, only?: ReadonlyArray<string>): Array<Opportunity> => {
  const language = languageOf(path)
  if (language === null) return []
  let tree: Tree | null = null
  const out: Array<Opportunity> = []
  for (const plugin of builtin()) {
    if (only && !only.includes(plugin.name.slice("ratchet:".length))) continue
    const scan = plugin.scan as (file: ScanFile, context: { root: string; tree: () => unknown }) => ReadonlyArray<OpportunityInput>
    for (const input of scan({ path, text, language }, { root: ".", tree: () => (tree ??= parse(text, language)) })) {
      out.push({ ...input, id: `${input.rule}:${input.startByte}`, file: path })
    }
  }
  return out
}
