/**
 * Stage 4 — patchgen: turn opportunities into candidate patches.
 *
 * Templates and other plugins express a rewrite as byte-range {@link Edit}s over one file;
 * {@link fromEdits} applies them (the rest of the file stays byte-identical), re-parses the result
 * with tree-sitter, rejects it when it has syntax errors, and renders a git-style unified diff.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { readFile, realpath, stat } from "node:fs/promises"
import * as NodePath from "node:path"
import { Effect } from "effect"
import type { Candidate } from "./Candidate.js"
import * as Diff from "./Diff.js"
import { languageOf, parse } from "./internal/treeSitter.js"
import type { Opportunity, OpportunityKind } from "./Opportunity.js"
import * as Plugin from "./Plugin.js"
import { badInput, internal, type RatchetError } from "./RatchetError.js"
import type { RepoProfile } from "./RepoProfile.js"

/** @since 0.1.0 */
export interface PatchgenOptions {
  readonly root: string
  readonly opportunities: ReadonlyArray<Opportunity>
  readonly plugins?: ReadonlyArray<Plugin.Plugin>
  readonly profile?: RepoProfile | null
}

/**
 * One replacement in a file: the text between `start` and `end` (JavaScript string indices,
 * i.e. UTF-16 code units, as tree-sitter's `startIndex`/`endIndex` report them) becomes `text`.
 *
 * @since 0.1.0
 */
export interface Edit {
  readonly start: number
  readonly end: number
  readonly text: string
}

/**
 * Applies non-overlapping edits to `source`; everything outside the edited ranges is kept as is.
 * Insertions at the same position are applied in the order given.
 *
 * @since 0.1.0
 */
export const applyEdits = (source: string, edits: ReadonlyArray<Edit>): string => {
  const sorted = edits
    .map((edit, order) => ({ edit, order }))
    .sort((a, b) => a.edit.start - b.edit.start || a.edit.end - b.edit.end || a.order - b.order)
  let out = ""
  let cursor = 0
  for (const { edit } of sorted) {
    if (!Number.isInteger(edit.start) || !Number.isInteger(edit.end) || edit.start < 0 || edit.end < edit.start || edit.end > source.length) {
      throw new RangeError(`edit [${edit.start}, ${edit.end}) is outside the file (length ${source.length})`)
    }
    if (edit.start < cursor) throw new RangeError(`edits overlap at index ${edit.start}`)
    out += source.slice(cursor, edit.start) + edit.text
    cursor = edit.end
  }
  return out + source.slice(cursor)
}

/**
 * A git-style unified diff of one file (`Diff.unified`). Empty when the texts are equal.
 *
 * @since 0.1.0
 */
export const unifiedDiff: (path: string, before: string, after: string) => string = Diff.unified

/**
 * The syntax error (as `line:column`) tree-sitter finds in `text`, or `null` when it parses cleanly.
 * Files whose language is unknown are not checked.
 *
 * @since 0.1.0
 */
export const syntaxErrorOf = (path: string, text: string): string | null => {
  const language = languageOf(path)
  if (language === null) return null
  const root = parse(text, language).rootNode
  if (!root.hasError) return null
  const stack = [root]
  while (stack.length > 0) {
    const node = stack.pop()!
    if (node.type === "ERROR" || (node as { isMissing?: boolean }).isMissing === true) {
      return `${node.startPosition.row + 1}:${node.startPosition.column + 1}`
    }
    for (let i = node.childCount - 1; i >= 0; i--) {
      const child = node.children[i]!
      if (child.hasError || child.type === "ERROR" || (child as { isMissing?: boolean }).isMissing === true) stack.push(child)
    }
  }
  return "unknown position"
}

/** @since 0.1.0 */
export interface FromEditsOptions {
  /** Path relative to the repository root, `/`-separated. */
  readonly file: string
  /** The file's current text. */
  readonly source: string
  readonly edits: ReadonlyArray<Edit>
  /** Template or rule id, e.g. `set-membership`. */
  readonly rule: string
  /** `template:<name>`, `llm:<model>` or `prompt`; defaults to `template:<rule>`. */
  readonly source_?: string
  readonly title: string
  readonly explanation: string
  readonly kind: OpportunityKind
  readonly opportunityId?: string | null
}

/**
 * Turns byte-range edits of one file into a {@link Candidate}: applies them, re-parses the result
 * and returns `null` when it has syntax errors or changes nothing. Throws a `RangeError` for
 * edits that overlap or fall outside the file (a bug in the caller).
 *
 * @since 0.1.0
 */
export const fromEdits = (options: FromEditsOptions): Candidate | null => {
  const after = applyEdits(options.source, options.edits)
  if (after === options.source) return null
  if (syntaxErrorOf(options.file, after) !== null) return null
  const diff = unifiedDiff(options.file, options.source, after)
  const id = createHash("sha256").update(options.rule).update("\0").update(diff).digest("hex").slice(0, 16)
  return {
    id: `${options.rule}-${id}`,
    source: options.source_ ?? `template:${options.rule}`,
    rule: options.rule,
    opportunityId: options.opportunityId ?? null,
    title: options.title,
    explanation: options.explanation,
    diff,
    files: [options.file],
    kind: options.kind
  }
}

const readInside = (root: string) => async (relativePath: string): Promise<string | null> => {
  const full = NodePath.resolve(root, relativePath)
  const inside = (p: string) => p === root || p.startsWith(root.endsWith(NodePath.sep) ? root : root + NodePath.sep)
  if (!inside(full)) return null
  try {
    const real = await realpath(full)
    const realRoot = await realpath(root)
    if (real !== realRoot && !real.startsWith(realRoot + NodePath.sep)) return null
    return await readFile(real, "utf8")
  } catch {
    return null
  }
}

/**
 * Runs the `patchgen` hooks over each opportunity; the first non-null candidate wins.
 * Opportunities no plugin handles produce no candidate. A hook that throws fails the stage
 * with an error naming the plugin and the opportunity.
 *
 * @since 0.1.0
 */
export const patchgen = (options: PatchgenOptions): Effect.Effect<ReadonlyArray<Candidate>, RatchetError> =>
  Effect.gen(function* () {
    const root = NodePath.resolve(options.root)
    const isDirectory = yield* Effect.promise(() => stat(root).then((s) => s.isDirectory(), () => false))
    if (!isDirectory) {
      return yield* Effect.fail(
        badInput({ what: "patchgen root is not a directory", where: root, fix: "pass the repository root the opportunities were scanned from" })
      )
    }
    const hooks = Plugin.hooksOf(options.plugins ?? [], "patchgen")
    const context: Plugin.PatchgenContext = { root, readFile: readInside(root), profile: options.profile ?? null }
    const candidates: Array<Candidate> = []
    for (const opportunity of options.opportunities) {
      for (const hook of hooks) {
        const candidate = yield* Effect.tryPromise({
          try: async () => hook.handler(opportunity, context),
          catch: (cause) =>
            internal(
              `plugin ${hook.plugin} threw in patchgen for opportunity ${opportunity.id} (${opportunity.rule} at ${opportunity.file}:${opportunity.startLine}): ${
                cause instanceof Error ? cause.message : String(cause)
              }`,
              cause
            )
        })
        if (candidate) {
          candidates.push({ ...candidate, opportunityId: candidate.opportunityId ?? opportunity.id })
          break
        }
      }
    }
    return candidates
  }).pipe(Effect.withSpan("Patchgen.patchgen"))
