/**
 * Scanner rules written as a tree-sitter query plus a TypeScript predicate: the short way to add a rule
 * of your own to `ratchet scan`. A rule is a plugin, so it goes in `ratchet.config.*` next to the others
 * and runs on the scanner's worker threads, cache included.
 *
 * @example
 * ```ts
 * import { defineConfig, ScanRule } from "@ratchet/core"
 *
 * export default defineConfig({
 *   plugins: [
 *     ScanRule.query({
 *       name: "acme:sync-fs",
 *       // the `@match` capture is the range reported; other captures are there for the predicate
 *       query: `(call_expression
 *                 function: (member_expression property: (property_identifier) @method (#match? @method "Sync$"))) @match`,
 *       prefilter: "Sync(",
 *       where: (m) => m.captures.method!.text !== "existsSync",
 *       kind: "performance",
 *       risk: "low",
 *       confidence: 0.6,
 *       rationale: (m) => `\`${m.captures.method!.text}\` blocks the event loop; use the fs/promises version`
 *     })
 *   ]
 * })
 * ```
 *
 * @since 0.2.0
 */
import { Schema } from "effect"
import type { Opportunity } from "./Opportunity.js"
import type { OpportunityInput, Plugin, ScanFile } from "./Plugin.js"
import { badInput } from "./RatchetError.js"
import { offsetsOf } from "./internal/scan/offsets.js"
import { type CompiledQuery, compileQuery, type Language, type SyntaxNode, type Tree } from "./internal/treeSitter.js"

/**
 * One captured node, with what a predicate usually needs already read out.
 *
 * @since 0.2.0
 */
export interface Capture {
  readonly name: string
  /** The tree-sitter node type, e.g. `call_expression`. */
  readonly type: string
  readonly text: string
  /** 1-based lines. */
  readonly startLine: number
  readonly endLine: number
  /** The tree-sitter node itself, for walking further (`parent`, `childForFieldName`, …). */
  readonly node: SyntaxNode
}

/**
 * A match of the query: its captures by name (the first node of each name) and all of them in order.
 *
 * @since 0.2.0
 */
export interface Match {
  readonly pattern: number
  readonly captures: Readonly<Record<string, Capture | undefined>>
  readonly all: ReadonlyArray<Capture>
}

/**
 * Options of {@link query}.
 *
 * @since 0.2.0
 */
export interface QueryRuleOptions {
  /** The plugin's name, e.g. `acme:sync-fs`; also the rule id unless `rule` is given. */
  readonly name: string
  readonly rule?: string
  /** A tree-sitter query. The capture named by `capture` (default `match`; else the match's first capture) is the reported range. */
  readonly query: string
  readonly capture?: string
  /** The languages the rule runs on (default all four). The query must be valid for each. */
  readonly languages?: ReadonlyArray<Language>
  /** Text a file must contain for the rule to parse it: a string, a pattern or a test. Files without it cost nothing. */
  readonly prefilter?: string | RegExp | ((text: string) => boolean)
  /** The TypeScript predicate: keep a match only when it returns `true`. */
  readonly where?: (match: Match, file: ScanFile) => boolean
  readonly kind: Opportunity["kind"]
  readonly risk: Opportunity["risk"]
  /** In [0, 1]. */
  readonly confidence: number
  readonly benefit?: number
  readonly rationale: string | ((match: Match, file: ScanFile) => string)
}

const ALL_LANGUAGES: ReadonlyArray<Language> = ["javascript", "typescript", "tsx", "jsx"]

const captureOf = (name: string, node: SyntaxNode): Capture => ({
  name,
  type: node.type,
  text: node.text,
  startLine: node.startPosition.row + 1,
  endLine: node.endPosition.row + 1,
  node
})

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message.split("\n")[0]! : String(cause))

/**
 * A scan plugin from a tree-sitter query and a predicate. The query is compiled for every language the
 * rule runs on when the rule is made, so a broken query fails the config load with the plugin, the
 * language and tree-sitter's reason (`BadInput`), not once per scanned file.
 *
 * @since 0.2.0
 */
export const query = (options: QueryRuleOptions): Plugin => {
  const where = `ScanRule.query(${JSON.stringify(options.name ?? "")})`
  if (typeof options.name !== "string" || options.name.length === 0) {
    throw badInput({ what: "a query rule needs a name", where: "ScanRule.query", fix: 'pass { name: "acme:my-rule", … }' })
  }
  if (typeof options.query !== "string" || options.query.trim().length === 0) {
    throw badInput({ what: "the query is empty", where, fix: "pass a tree-sitter query, e.g. (call_expression) @match" })
  }
  if (options.kind !== "performance" && options.kind !== "tech-debt") {
    throw badInput({ what: `kind must be "performance" or "tech-debt" (got ${JSON.stringify(options.kind)})`, where, fix: 'set kind: "performance"' })
  }
  if (options.risk !== "low" && options.risk !== "medium" && options.risk !== "high") {
    throw badInput({ what: `risk must be "low", "medium" or "high" (got ${JSON.stringify(options.risk)})`, where, fix: 'set risk: "low"' })
  }
  if (typeof options.confidence !== "number" || !(options.confidence >= 0 && options.confidence <= 1)) {
    throw badInput({ what: `confidence must be a number in [0, 1] (got ${JSON.stringify(options.confidence)})`, where, fix: "set confidence: 0.6" })
  }
  const languages = options.languages ?? ALL_LANGUAGES
  const compiled = new Map<Language, CompiledQuery>()
  for (const language of languages) {
    if (!ALL_LANGUAGES.includes(language)) {
      throw badInput({ what: `unknown language ${JSON.stringify(language)}`, where, fix: `use some of ${ALL_LANGUAGES.join(", ")}` })
    }
    try {
      compiled.set(language, compileQuery(options.query, language))
    } catch (cause) {
      throw badInput({
        what: `the query is not valid for ${language}: ${describe(cause)}`,
        where,
        fix: "check the node and field names against the grammar (tree-sitter-javascript / tree-sitter-typescript), or limit `languages`"
      })
    }
  }
  const prefilter = options.prefilter
  const passes = (text: string): boolean =>
    prefilter === undefined ? true : typeof prefilter === "string" ? text.includes(prefilter) : prefilter instanceof RegExp ? new RegExp(prefilter.source, prefilter.flags.replace(/[gy]/g, "")).test(text) : prefilter(text)
  const rule = options.rule ?? options.name
  return {
    name: options.name,
    scan: (file, context): ReadonlyArray<OpportunityInput> => {
      const q = compiled.get(file.language)
      if (q === undefined || !passes(file.text)) return []
      const tree = context.tree() as Tree
      const offsets = offsetsOf(file.text)
      const out: Array<OpportunityInput> = []
      for (const raw of q.matches(tree.rootNode)) {
        const all = raw.captures.map((c) => captureOf(c.name, c.node))
        if (all.length === 0) continue
        const captures: Record<string, Capture> = {}
        for (const c of all) captures[c.name] ??= c
        const match: Match = { pattern: raw.pattern, captures, all }
        if (options.where !== undefined && !options.where(match, file)) continue
        const target = captures[options.capture ?? "match"] ?? all[0]!
        out.push({
          rule,
          kind: options.kind,
          startLine: target.startLine,
          endLine: target.endLine,
          startByte: offsets.toByte(target.node.startIndex),
          endByte: offsets.toByte(target.node.endIndex),
          rationale: typeof options.rationale === "function" ? options.rationale(match, file) : options.rationale,
          ...(options.benefit !== undefined ? { benefit: options.benefit } : {}),
          risk: options.risk,
          confidence: options.confidence
        })
      }
      return out
    }
  }
}

/**
 * A query rule as data: {@link QueryRuleOptions} without functions (`prefilter` a string or a
 * `{ regexp, flags }` pattern, `rationale` a string). This is the form in which a rule crosses
 * from a repository config evaluated in the sandbox; {@link fromData} makes it a plugin again.
 *
 * @since 0.2.0
 */
export const QueryRuleData = Schema.Struct({
  name: Schema.String,
  rule: Schema.optionalKey(Schema.String),
  query: Schema.String,
  capture: Schema.optionalKey(Schema.String),
  languages: Schema.optionalKey(Schema.Array(Schema.Literals(["javascript", "typescript", "tsx", "jsx"]))),
  prefilter: Schema.optionalKey(Schema.Union([Schema.String, Schema.Struct({ regexp: Schema.String, flags: Schema.optionalKey(Schema.String) })])),
  kind: Schema.Literals(["performance", "tech-debt"]),
  risk: Schema.Literals(["low", "medium", "high"]),
  confidence: Schema.Number,
  benefit: Schema.optionalKey(Schema.Number),
  rationale: Schema.String
})
/** @since 0.2.0 */
export type QueryRuleData = typeof QueryRuleData.Type

/**
 * A scan plugin from a rule as data (see {@link QueryRuleData}); checks it like {@link query} does
 * and throws `BadInput` naming the rule when it is not valid.
 *
 * @since 0.2.0
 */
export const fromData = (data: QueryRuleData): Plugin => {
  const where = `ScanRule.query(${JSON.stringify(data.name)})`
  const prefilter = data.prefilter
  let pattern: string | RegExp | undefined
  if (prefilter === undefined || typeof prefilter === "string") pattern = prefilter
  else {
    try {
      pattern = new RegExp(prefilter.regexp, prefilter.flags ?? "")
    } catch (cause) {
      throw badInput({ what: `prefilter is not a valid regular expression: ${describe(cause)}`, where, fix: "pass a string or a valid RegExp" })
    }
  }
  return query({
    name: data.name,
    ...(data.rule !== undefined ? { rule: data.rule } : {}),
    query: data.query,
    ...(data.capture !== undefined ? { capture: data.capture } : {}),
    ...(data.languages !== undefined ? { languages: data.languages } : {}),
    ...(pattern !== undefined ? { prefilter: pattern } : {}),
    kind: data.kind,
    risk: data.risk,
    confidence: data.confidence,
    ...(data.benefit !== undefined ? { benefit: data.benefit } : {}),
    rationale: data.rationale
  })
}
