/**
 * Accessors: where reading a property may run code. Templates that call a callback fewer times, read an
 * object's values fewer times, or stop reading them altogether must not do so when those reads run getters
 * (a getter may count its calls or return a new value each time).
 *
 * Only what the file itself defines is known: getters of other modules are assumed not to exist (stated
 * in the templates' safety notes). The answers come from the text, mapped to the tree to leave out
 * comments and strings, and are cached per file.
 */
import type { FileInfo } from "./fileInfo.js"
import { wordOccurrences } from "./text.js"

/** What a file defines as accessors. */
export interface Accessors {
  /** Property names some class or object literal of the file reads through a getter, or `defineProperty` defines with `get`. */
  readonly getters: ReadonlySet<string>
  /** Whether any property read may run code: a `Proxy`, `defineProperties`, `__defineGetter__`, a computed getter name. */
  readonly anyRead: boolean
  /** Whether the file creates own enumerable accessors (object-literal getters, `defineProperty` with `get` and `enumerable: true`, a `Proxy`), which `Object.values/entries` call and `Object.keys` does not. */
  readonly ownAccessors: boolean
}

const GETTER = /\bget\s+(#?[\p{ID_Start}$_][\p{ID_Continue}$]*)\s*\(/gu
const COMPUTED_GETTER = /\bget\s*\[/
const DEFINE_PROPERTY = /\bdefineProperty\s*\(\s*[^,()]+,\s*(["'`])([^"'`]+)\1\s*,\s*\{([^}]*)/g
/** Reads of any name may run code: a `Proxy`, `defineProperties`, `__defineGetter__`. */
const ANY_READ = /\bdefineProperties\s*\(|__defineGetter__|\bnew\s+Proxy\s*\(|\bProxy\s*\.\s*revocable\b/
/** Of those, the ones that make own enumerable accessors (a `defineProperties` descriptor may say `enumerable: true`). */
const ANY_OWN = /__defineGetter__|\bnew\s+Proxy\s*\(|\bProxy\s*\.\s*revocable\b|\bdefineProperties\s*\([^;]*\benumerable\s*:\s*true/
const ENUMERABLE = /\benumerable\s*:\s*true\b/
const NOT_CODE = new Set(["comment", "string", "string_fragment", "template_string", "regex", "regex_pattern"])

const cache = new WeakMap<FileInfo, Accessors>()

/** The accessors `file` defines (cached). */
export const accessorsOf = (file: FileInfo): Accessors => {
  const known = cache.get(file)
  if (known) return known
  const { text } = file
  const getters = new Set<string>()
  let ownAccessors = false
  if (wordOccurrences(text, "get").length > 0) {
    for (const m of text.matchAll(GETTER)) {
      const node = file.nodeAt(m.index, m.index + 3)
      if (NOT_CODE.has(node.type)) continue
      getters.add(m[1]!.replace(/^#/, ""))
      // an object literal's getter is an own enumerable property; a class's lives on the prototype
      const definition = node.type === "get" ? node.parent : node.type === "method_definition" ? node : null
      if (definition === null || definition.parent?.type !== "class_body") ownAccessors = true
    }
    for (const m of text.matchAll(DEFINE_PROPERTY)) {
      if (!/\bget\b/.test(m[3]!) || NOT_CODE.has(file.nodeAt(m.index, m.index + 1).type)) continue
      getters.add(m[2]!)
      // `defineProperty` makes a non-enumerable property unless told otherwise: `entries` would not see it
      if (ENUMERABLE.test(m[3]!)) ownAccessors = true
    }
  }
  const anyRead = COMPUTED_GETTER.test(text) || ANY_READ.test(text)
  const result: Accessors = { getters, anyRead, ownAccessors: ownAccessors || ANY_OWN.test(text) }
  cache.set(file, result)
  return result
}

/** Whether reading property `name` may run a getter the file defines. */
export const mayRunGetter = (file: FileInfo, name: string): boolean => {
  const a = accessorsOf(file)
  return a.anyRead || a.getters.has(name)
}
