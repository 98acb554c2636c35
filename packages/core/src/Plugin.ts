/**
 * The plugin API. Plugins are plain objects, Vite-style: a `name`, an optional
 * `enforce` ("pre" | "post") and hooks, each a function or `{ order, handler }`.
 *
 * Ordering follows Vite: plugins are sorted `pre` → normal → `post` (stable), then
 * for each hook the handlers with `order: "pre"` run first, then unordered, then `order: "post"`.
 *
 * @example
 * ```ts
 * import { Plugin } from "@ratchet/core"
 *
 * export const noTodo = () =>
 *   Plugin.definePlugin({
 *     name: "acme:no-todo",
 *     policy: (patch) =>
 *       patch.files.some((f) => f.hunks.some((h) => h.lines.some((l) => l.type === "add" && l.text.includes("TODO"))))
 *         ? [{ rule: "acme:no-todo", severity: "WARN", message: "adds a TODO" }]
 *         : []
 *   })
 * ```
 *
 * @since 0.1.0
 */
import type { Candidate } from "./Candidate.js"
import type { Opportunity } from "./Opportunity.js"
import type { ParsedPatch } from "./Patch.js"
import type { PolicyVerdict } from "./PolicyVerdict.js"
import type { Proposal } from "./Proposal.js"
import type { RepoProfile } from "./RepoProfile.js"
import type { TestSummary } from "./TestSummary.js"

/** @since 0.1.0 */
export type MaybePromise<A> = A | Promise<A>

/** @since 0.1.0 */
export type HookOrder = "pre" | "post" | null

/**
 * A hook: a function, or `{ order, handler }`.
 *
 * @since 0.1.0
 */
export type Hook<F extends (...args: ReadonlyArray<any>) => any> = F | { readonly order?: HookOrder; readonly handler: F }

/**
 * Context given to `detect` hooks.
 *
 * @since 0.1.0
 */
export interface DetectContext {
  readonly root: string
  /** Reads a file relative to the root; `null` when missing or outside the repo. */
  readonly readFile: (relativePath: string) => Promise<string | null>
}

/**
 * A source file handed to `scan` hooks.
 *
 * @since 0.1.0
 */
export interface ScanFile {
  /** Path relative to the repository root, `/`-separated. */
  readonly path: string
  readonly text: string
  readonly language: "javascript" | "typescript" | "tsx" | "jsx"
}

/**
 * What a `scan` hook reports; the scanner fills in `id`, `file` and defaults.
 *
 * @since 0.1.0
 */
export type OpportunityInput = Omit<Opportunity, "id" | "file"> & { readonly id?: string }

/**
 * Context given to `scan` hooks. `tree()` parses lazily with tree-sitter (cached per file).
 *
 * @since 0.1.0
 */
export interface ScanContext {
  readonly root: string
  readonly tree: () => unknown
}

/**
 * Context given to `patchgen` hooks.
 *
 * @since 0.1.0
 */
export interface PatchgenContext {
  readonly root: string
  readonly readFile: (relativePath: string) => Promise<string | null>
  readonly profile: RepoProfile | null
}

/**
 * Context given to `policy` hooks.
 *
 * @since 0.1.0
 */
export interface PolicyContext {
  /** The raw diff text. */
  readonly diff: string
  readonly options: Readonly<Record<string, unknown>>
}

/**
 * Context given to `validate` hooks, after tests ran on the candidate.
 *
 * @since 0.1.0
 */
export interface ValidateContext {
  readonly workspace: string
  readonly profile: RepoProfile
  readonly tests: TestSummary
}

/**
 * A benchmark adapter: recognises and parses a benchmark tool's output into samples (ns) per benchmark name.
 *
 * @since 0.1.0
 */
export interface BenchmarkAdapter {
  readonly name: string
  /** Adds reporter flags to the bench command, if the tool needs them for machine-readable output. */
  readonly command?: (command: string, outputFile: string) => string | null
  readonly parse: (output: string, outputFile: string | null) => ReadonlyMap<string, ReadonlyArray<number>> | null
}

/**
 * A Ratchet plugin.
 *
 * @since 0.1.0
 */
export interface Plugin {
  readonly name: string
  readonly enforce?: "pre" | "post"
  /** Refine or override the detected profile. Return `undefined` to keep it. */
  readonly detect?: Hook<(profile: RepoProfile, context: DetectContext) => MaybePromise<RepoProfile | undefined | void>>
  /** Report opportunities in one source file. */
  readonly scan?: Hook<(file: ScanFile, context: ScanContext) => ReadonlyArray<OpportunityInput>>
  /** Turn an opportunity into a candidate patch, or `null` when this plugin does not handle it or it is unsafe. */
  readonly patchgen?: Hook<(opportunity: Opportunity, context: PatchgenContext) => MaybePromise<Candidate | null>>
  /** Extra checks on a candidate after its tests ran; a returned string rejects it with that reason. */
  readonly validate?: Hook<(candidate: Candidate, context: ValidateContext) => MaybePromise<string | null | undefined | void>>
  /** Enrich a packaged proposal. */
  readonly package?: Hook<(proposal: Proposal) => MaybePromise<Proposal | undefined | void>>
  /** Policy verdicts for a patch. */
  readonly policy?: Hook<(patch: ParsedPatch, context: PolicyContext) => ReadonlyArray<PolicyVerdict>>
  /** Benchmark output parsers contributed by this plugin. */
  readonly benchmarkAdapters?: ReadonlyArray<BenchmarkAdapter>
}

/** @since 0.1.0 */
export type HookName = "detect" | "scan" | "patchgen" | "validate" | "package" | "policy"

/** @since 0.1.0 */
export type HookFn<K extends HookName> = NonNullable<Plugin[K]> extends Hook<infer F> ? F : never

/**
 * Identity function that gives a plugin its type.
 *
 * @since 0.1.0
 */
export const definePlugin = <P extends Plugin>(plugin: P): P => plugin

/**
 * A config's `plugins` entry: a plugin, a (nested) array of them, or a falsy value (ignored).
 *
 * @since 0.1.0
 */
export type PluginOption = Plugin | false | null | undefined | ReadonlyArray<PluginOption>

/**
 * Flattens plugin options and drops falsy entries.
 *
 * @since 0.1.0
 */
export const flatten = (options: ReadonlyArray<PluginOption>): Array<Plugin> => {
  const out: Array<Plugin> = []
  const visit = (option: PluginOption): void => {
    if (!option) return
    if (Array.isArray(option)) option.forEach(visit)
    else out.push(option as Plugin)
  }
  options.forEach(visit)
  return out
}

/**
 * Sorts plugins by `enforce`: `pre`, then normal, then `post`, keeping order within each group.
 *
 * @since 0.1.0
 */
export const sortPlugins = (plugins: ReadonlyArray<Plugin>): Array<Plugin> => [
  ...plugins.filter((p) => p.enforce === "pre"),
  ...plugins.filter((p) => p.enforce === undefined),
  ...plugins.filter((p) => p.enforce === "post")
]

/**
 * A resolved hook handler with the plugin it came from.
 *
 * @since 0.1.0
 */
export interface ResolvedHook<K extends HookName> {
  readonly plugin: string
  readonly handler: HookFn<K>
}

/**
 * The handlers of one hook in execution order: plugins sorted by `enforce`, then
 * handlers with `order: "pre"`, unordered, `order: "post"`.
 *
 * @since 0.1.0
 */
export const hooksOf = <K extends HookName>(plugins: ReadonlyArray<Plugin>, name: K): Array<ResolvedHook<K>> => {
  const pre: Array<ResolvedHook<K>> = []
  const normal: Array<ResolvedHook<K>> = []
  const post: Array<ResolvedHook<K>> = []
  for (const plugin of sortPlugins(plugins)) {
    const hook = plugin[name] as Hook<HookFn<K>> | undefined
    if (!hook) continue
    if (typeof hook === "function") {
      normal.push({ plugin: plugin.name, handler: hook })
    } else {
      const bucket = hook.order === "pre" ? pre : hook.order === "post" ? post : normal
      bucket.push({ plugin: plugin.name, handler: hook.handler })
    }
  }
  return [...pre, ...normal, ...post]
}
