/**
 * Runs the `scan` hooks of a plugin set on one file: lazy tree-sitter parse shared by all hooks,
 * validation of what each hook returns (a broken plugin yields a warning, never a crash),
 * and the loop / hot-call-site facts used for ranking.
 */
import { createHash } from "node:crypto"
import type { Opportunity } from "../../Opportunity.js"
import type { OpportunityInput, ResolvedHook, ScanContext, ScanFile } from "../../Plugin.js"
import { type Offsets, offsetsOf } from "./offsets.js"
import { type Language, languageOf, parse, type SyntaxNode, type Tree } from "../treeSitter.js"
import { nodesOfType } from "../dataflow/fileInfo.js"
import { ITERATION_METHODS, isIterationCallback, LOOP_TYPES, loopDepthOf } from "../dataflow/loops.js"
import { isFunction } from "../dataflow/nodes.js"
import { lineOfOffset, lineStarts, wordOccurrences } from "../dataflow/text.js"

/** A stable opportunity id: a hash of rule, file, byte range and the code in that range. */
export const opportunityId = (rule: string, file: string, startByte: number, endByte: number, code: string): string =>
  createHash("sha256").update(`${rule}\0${file}\0${startByte}:${endByte}\0${code}`).digest("hex").slice(0, 16)

/** An opportunity as stored in the cache: everything but `file`, plus ranking facts. */
export interface RawOpportunity {
  readonly rule: string
  readonly kind: Opportunity["kind"]
  readonly startLine: number
  readonly endLine: number
  readonly startByte: number
  readonly endByte: number
  readonly rationale: string
  readonly benefit?: number
  readonly risk: Opportunity["risk"]
  readonly confidence: number
  /** The plugin that reported it. */
  readonly plugin: string
  /** The id the plugin chose, else {@link opportunityId}. */
  readonly id: string
  /** How many loops (or iteration callbacks) enclose it; `-1` when unknown (file not parsed). */
  readonly loopDepth: number
  /** Whether the enclosing function is called from inside a loop in the same file. */
  readonly hot: boolean
  /** The 1-based line where the enclosing function (not an iteration callback) starts; absent at module level or when unknown. */
  readonly fnLine?: number
}

/** The cached outcome of scanning one file. */
export interface FileResult {
  readonly opportunities: ReadonlyArray<RawOpportunity>
  readonly warnings: ReadonlyArray<string>
  /** Whether tree-sitter parsed the file (some hook asked for the tree). */
  readonly parsed: boolean
  /** Set when the scan of this file did not complete (timeout); such results are not cached. */
  readonly incomplete?: boolean
}

const functionNameOf = (fn: SyntaxNode): string | null => {
  const name = fn.childForFieldName("name")
  if (name) return name.text
  const parent = fn.parent
  if (parent?.type === "variable_declarator" || parent?.type === "pair" || parent?.type === "assignment_expression") {
    const target = parent.childForFieldName(parent.type === "pair" ? "key" : parent.type === "assignment_expression" ? "left" : "name")
    if (!target) return null
    const text = target.text
    const dot = text.lastIndexOf(".")
    return dot === -1 ? text : text.slice(dot + 1)
  }
  return null
}

/** The nearest enclosing function that is not an iteration callback (where a profile attributes the time). */
const enclosingNamedFunction = (node: SyntaxNode): SyntaxNode | null => {
  for (let n: SyntaxNode | null = node.parent; n !== null; n = n.parent) {
    if (isFunction(n) && !isIterationCallback(n)) return n
  }
  return null
}

type RangeNode = SyntaxNode & { descendantForIndex(start: number, end?: number): SyntaxNode }

const ITERATION_CALL = new RegExp(`\\.\\s*(${[...ITERATION_METHODS].join("|")})\\s*\\(`, "g")

/**
 * Whether a function name is called from inside a loop (or an iteration callback) somewhere in the
 * file, answered per name. Only the text around each candidate is looked at in the tree: walking
 * every call of a large file was the largest cost of ranking.
 */
const calledInLoops = (tree: Tree, text: string): ((name: string) => boolean) => {
  const root = tree.rootNode as RangeNode
  // Byte ranges of loops and iteration callbacks, merged; a call inside one of them runs per iteration.
  const ranges: Array<[number, number]> = []
  for (const type of LOOP_TYPES) for (const node of nodesOfType(root, text, type)) ranges.push([node.startIndex, node.endIndex])
  for (const m of text.matchAll(ITERATION_CALL)) {
    const at = m.index + m[0].indexOf(m[1]!)
    const property = root.descendantForIndex(at, at + m[1]!.length)
    const call = property.parent?.parent
    if (property.type !== "property_identifier" || call?.type !== "call_expression") continue
    for (const arg of call.childForFieldName("arguments")?.namedChildren ?? []) {
      if (isFunction(arg) && isIterationCallback(arg)) ranges.push([arg.startIndex, arg.endIndex])
    }
  }
  if (ranges.length === 0) return () => false
  ranges.sort((a, b) => a[0] - b[0])
  const merged: Array<[number, number]> = []
  for (const range of ranges) {
    const last = merged[merged.length - 1]
    if (last !== undefined && range[0] <= last[1]) last[1] = Math.max(last[1], range[1])
    else merged.push([range[0], range[1]])
  }
  const inLoop = (index: number): boolean => {
    let lo = 0
    let hi = merged.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (merged[mid]![0] <= index) lo = mid
      else hi = mid - 1
    }
    const range = merged[lo]!
    return range[0] < index && index < range[1]
  }
  const known = new Map<string, boolean>()
  return (name) => {
    let hot = known.get(name)
    if (hot !== undefined) return hot
    hot = false
    for (const i of wordOccurrences(text, name)) {
      const id = root.descendantForIndex(i, i + name.length)
      if (id.startIndex !== i || id.endIndex !== i + name.length) continue
      // `name(…)` or `x.name(…)`: the call whose callee is this identifier or member
      const member = (id.type === "property_identifier" || id.type === "private_property_identifier") && id.parent?.type === "member_expression"
      const callee = id.type === "identifier" ? id : member ? id.parent : null
      const call = callee?.parent
      if (callee === null || call?.type !== "call_expression" || call.childForFieldName("function")?.startIndex !== callee.startIndex) continue
      if (inLoop(call.startIndex)) {
        hot = true
        break
      }
    }
    known.set(name, hot)
    return hot
  }
}

const KINDS = new Set(["performance", "tech-debt"])
const RISKS = new Set(["low", "medium", "high"])

const isLine = (n: unknown, max: number): n is number => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= max

/** Checks and completes one hook result; returns a reason string when it is unusable. */
const normalize = (
  raw: OpportunityInput,
  plugin: string,
  path: string,
  offsets: Offsets,
  starts: ReadonlyArray<number>
): Omit<RawOpportunity, "loopDepth" | "hot"> | string => {
  if (typeof raw !== "object" || raw === null) return "not an object"
  if (typeof raw.rule !== "string" || raw.rule.length === 0) return "rule must be a non-empty string"
  if (!KINDS.has(raw.kind)) return `kind must be "performance" or "tech-debt" (got ${JSON.stringify(raw.kind)})`
  if (!RISKS.has(raw.risk)) return `risk must be "low", "medium" or "high" (got ${JSON.stringify(raw.risk)})`
  if (typeof raw.confidence !== "number" || !(raw.confidence >= 0 && raw.confidence <= 1)) return "confidence must be a number in [0, 1]"
  if (typeof raw.rationale !== "string" || raw.rationale.length === 0) return "rationale must be a non-empty string"
  if (raw.benefit !== undefined && (typeof raw.benefit !== "number" || !Number.isFinite(raw.benefit))) return "benefit must be a finite number"
  const lines = starts.length
  let { startLine, endLine } = raw
  let startByte = raw.startByte
  let endByte = raw.endByte
  const hasBytes = startByte !== undefined || endByte !== undefined
  if (hasBytes) {
    if (!Number.isInteger(startByte) || !Number.isInteger(endByte) || startByte! < 0 || endByte! < startByte! || endByte! > offsets.byteLength)
      return `byte range ${startByte}..${endByte} is outside the file (0..${offsets.byteLength})`
  }
  if (!isLine(startLine, lines) || !isLine(endLine, lines) || endLine < startLine) {
    if (!hasBytes) return `line range ${startLine}..${endLine} is outside the file (1..${lines})`
    startLine = lineOfOffset(starts, offsets.toIndex(startByte!))
    endLine = lineOfOffset(starts, offsets.toIndex(Math.max(startByte!, endByte! - 1)))
  }
  if (!hasBytes) {
    startByte = offsets.toByte(starts[startLine - 1]!)
    endByte = offsets.toByte(endLine < lines ? starts[endLine]! - 1 : offsets.toIndex(offsets.byteLength))
  }
  return {
    rule: raw.rule,
    kind: raw.kind,
    startLine,
    endLine,
    startByte: startByte!,
    endByte: endByte!,
    rationale: raw.rationale,
    ...(raw.benefit !== undefined ? { benefit: raw.benefit } : {}),
    risk: raw.risk,
    confidence: raw.confidence,
    plugin,
    id:
      typeof raw.id === "string" && raw.id.length > 0
        ? raw.id
        : opportunityId(raw.rule, path, startByte!, endByte!, offsets.sliceBytes(startByte!, endByte!))
  }
}

const describe = (cause: unknown): string => (cause instanceof Error ? `${cause.name}: ${cause.message.split("\n")[0]}` : String(cause))

/** Scans one file's text with the given `scan` hooks. Never throws. */
export const scanText = (
  path: string,
  text: string,
  hooks: ReadonlyArray<ResolvedHook<"scan">>,
  root: string
): FileResult => {
  const language: Language = languageOf(path) ?? "javascript"
  const file: ScanFile = { path, text, language }
  let tree: Tree | undefined
  let parseError: unknown
  const context: ScanContext = {
    root,
    tree: () => {
      if (tree === undefined) {
        if (parseError !== undefined) throw parseError
        try {
          tree = parse(text, language)
        } catch (cause) {
          parseError = cause
          throw cause
        }
      }
      return tree
    }
  }
  const warnings: Array<string> = []
  const found: Array<Omit<RawOpportunity, "loopDepth" | "hot">> = []
  let starts: Array<number> | undefined
  let offsets: Offsets | undefined
  for (const hook of hooks) {
    let results: ReadonlyArray<OpportunityInput>
    try {
      results = hook.handler(file, context)
    } catch (cause) {
      warnings.push(`plugin ${hook.plugin} failed on ${path}: ${describe(cause)}`)
      continue
    }
    if (!Array.isArray(results)) {
      if (results !== undefined && results !== null) warnings.push(`plugin ${hook.plugin} returned a non-array from scan on ${path}`)
      continue
    }
    for (const raw of results) {
      starts ??= lineStarts(text)
      offsets ??= offsetsOf(text)
      const normalized = normalize(raw, hook.plugin, path, offsets, starts)
      if (typeof normalized === "string") warnings.push(`plugin ${hook.plugin} reported an invalid opportunity in ${path}: ${normalized}`)
      else found.push(normalized)
    }
  }
  const parsed = tree !== undefined
  if (found.length === 0) return { opportunities: [], warnings, parsed }
  // Ranking facts need the tree; parse it now if no hook did (only files with findings pay this).
  let ranked: Tree | undefined = tree
  if (ranked === undefined) {
    try {
      ranked = parse(text, language)
    } catch {
      ranked = undefined
    }
  }
  let calledInLoop: ((name: string) => boolean) | undefined
  const opportunities = found.map((o): RawOpportunity => {
    if (ranked === undefined) return { ...o, loopDepth: -1, hot: false }
    const start = offsets!.toIndex(o.startByte)
    const node = (ranked.rootNode as SyntaxNode & { descendantForIndex(a: number, b?: number): SyntaxNode }).descendantForIndex(
      start,
      Math.max(start, offsets!.toIndex(o.endByte) - 1)
    )
    const loopDepth = loopDepthOf(node)
    const fn = enclosingNamedFunction(node)
    const name = fn === null ? null : functionNameOf(fn)
    let hot = false
    if (name !== null) {
      calledInLoop ??= calledInLoops(ranked, text)
      hot = calledInLoop(name)
    }
    return fn === null ? { ...o, loopDepth, hot } : { ...o, loopDepth, hot, fnLine: fn.startPosition.row + 1 }
  })
  return { opportunities, warnings, parsed: ranked !== undefined }
}
