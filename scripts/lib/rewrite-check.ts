// eval:scan's checks of a true positive's rewrite in a real package, stronger than tree-sitter's re-parse:
//
// - TypeScript: the file is type-checked as it is in the unpacked package and again with the rewrite, and
//   every diagnostic present after but not before is returned (a multiset keyed by code and message text,
//   since positions shift; see `added` for the reworded ones). TS files are checked as TS, JS files with
//   `allowJs` + `checkJs`, so their JSDoc types count. The program is the file plus what it imports inside
//   the package directory (module resolution, `node_modules` and type lookups never leave it, except for
//   TypeScript's own lib files and `@types/node`); `strict`, ES2023 + DOM libs, `module: NodeNext` (each
//   file's module format follows its extension and the nearest package.json `type`) and
//   `moduleDetection: force` (every file is module-scoped, as Node runs it). Each check is a fresh program
//   (a checker's diagnostics depend on what it checked before: files checked together in one program report
//   differently than alone), but parsed and bound SourceFiles and module resolutions are kept across
//   programs, so lib files are parsed once, and the rewritten program reuses the original's structure.
// - V8: a JS rewrite must compile where the original does, the way Node would load it: `.mjs` and `.js`
//   under `"type": "module"` as an ES module (`vm.SourceTextModule`, in a worker started with
//   `--experimental-vm-modules`), `.cjs` and `.js` under `"type": "commonjs"` in CommonJS's function wrapper
//   (`vm.compileFunction`), a `.js` without a `type` as CommonJS unless only the module grammar accepts the
//   original (Node's syntax detection). JSX and TS files are left to TypeScript.
import { existsSync, readFileSync } from "node:fs"
import { dirname, join, resolve, sep } from "node:path"
import { Worker } from "node:worker_threads"
import { diffLines } from "diff"
import ts from "typescript"

export interface RewriteChecker {
  /**
   * Per rewritten text of `file` (absolute, inside the package at `root`), the diagnostics
   * (`TS<code>: <message>`) it has that the file on disk does not.
   */
  readonly newDiagnostics: (root: string, file: string, afters: ReadonlyArray<string>) => Array<Array<string>>
  /**
   * Whether V8 compiled `after` (`checked`: the file is JS and V8 compiles the original, `before`) and, if
   * it does not compile the rewrite, why.
   */
  readonly v8Check: (root: string, file: string, before: string, after: string) => Promise<{ readonly checked: boolean; readonly error: string | null }>
  /** Stops the V8 worker. */
  readonly close: () => Promise<void>
}

type Mode = "module" | "commonjs"

interface Diagnostic {
  /** `TS<code>: <message>` */
  readonly key: string
  readonly code: number
  /** 0-based; -1 when the diagnostic has no position. */
  readonly line: number
  readonly column: number
}

/**
 * The diagnostics of `afterText` that `beforeText` does not have: first matched as a multiset of code and
 * message (positions shift); what is left is matched by place, as the same error reworded: a diagnostic of
 * the same code at the same line and column of an unchanged line, or anywhere in the same changed lines
 * (`xs.filter(f)[0]` on a JSDoc `Object` already had "Property 'filter' does not exist"; as
 * `xs.find(f)` it has "Property 'find' does not exist").
 */
const added = (beforeText: string, before: ReadonlyArray<Diagnostic>, afterText: string, after: ReadonlyArray<Diagnostic>): Array<string> => {
  // Line maps: an unchanged line of the rewrite to its line in the original, a changed one to its region
  // (consecutive removed and added lines); an original line to its region or -1.
  const toBefore: Array<number> = []
  const afterRegion: Array<number> = []
  const beforeRegion: Array<number> = []
  let region = -1
  let changing = false
  for (const change of diffLines(beforeText, afterText)) {
    const count = change.count ?? 0
    if (!change.added && !change.removed) {
      for (let i = 0; i < count; i++) {
        toBefore.push(beforeRegion.length)
        afterRegion.push(-1)
        beforeRegion.push(-1)
      }
      changing = false
      continue
    }
    if (!changing) region++
    changing = true
    for (let i = 0; i < count; i++) {
      if (change.added) {
        toBefore.push(-1)
        afterRegion.push(region)
      } else beforeRegion.push(region)
    }
  }
  /** Whether `b`, a diagnostic of the original, is where `d`, one of the rewrite, is. */
  const samePlace = (d: Diagnostic, b: Diagnostic): boolean => {
    if (d.line < 0 || b.line < 0) return false
    const r = afterRegion[d.line] ?? -1
    return r >= 0 ? beforeRegion[b.line] === r : toBefore[d.line] === b.line && b.column === d.column
  }
  const rest = [...before]
  const take = (i: number) => i >= 0 && rest.splice(i, 1).length > 0
  const left: Array<Diagnostic> = []
  for (const d of after) {
    const i = rest.findIndex((b) => b.key === d.key && samePlace(d, b))
    if (!take(i >= 0 ? i : rest.findIndex((b) => b.key === d.key))) left.push(d)
  }
  return left.filter((d) => !take(rest.findIndex((b) => b.code === d.code && samePlace(d, b)))).map((d) => d.key)
}

export const createRewriteChecker = (repoRoot: string): RewriteChecker => {
  const nodeModules = join(repoRoot, "node_modules")
  const typeRoots = [join(nodeModules, "@types")]
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2023,
    lib: ["lib.es2023.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    moduleDetection: ts.ModuleDetectionKind.Force,
    allowJs: true,
    checkJs: true,
    maxNodeModuleJsDepth: 0,
    resolveJsonModule: true,
    jsx: ts.JsxEmit.Preserve,
    types: ["node"],
    typeRoots,
    strict: true,
    noEmit: true,
    skipLibCheck: true
  }
  // Files outside the package that a program may read: TypeScript's libs and @types/node (with undici-types).
  const shared = [dirname(ts.getDefaultLibFilePath(options)), join(nodeModules, "@types", "node"), join(nodeModules, "undici-types")].map((d) => d + sep)
  let packageRoot = ""
  const inside = (path: string): boolean => {
    const p = resolve(path)
    return p.startsWith(packageRoot) || shared.some((d) => p.startsWith(d))
  }
  const host = ts.createCompilerHost(options)
  const fileExists = host.fileExists.bind(host)
  const directoryExists = host.directoryExists?.bind(host)
  const readFile = host.readFile.bind(host)
  host.fileExists = (p) => inside(p) && fileExists(p)
  host.readFile = (p) => (inside(p) ? readFile(p) : undefined)
  // Ancestors of the allowed folders exist too (module resolution walks up to find `node_modules/@types`).
  host.directoryExists = (p) => {
    const d = resolve(p) + sep
    return (inside(d) || [packageRoot, ...shared].some((a) => a.startsWith(d))) && (directoryExists?.(p) ?? true)
  }
  // One resolution cache for all programs (what a directory's import resolves to does not change).
  const moduleCache = ts.createModuleResolutionCache(host.getCurrentDirectory(), host.getCanonicalFileName, options)
  const typeCache = ts.createTypeReferenceDirectiveResolutionCache(host.getCurrentDirectory(), host.getCanonicalFileName, options, moduleCache.getPackageJsonInfoCache())
  host.getModuleResolutionCache = () => moduleCache
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, opts, containingSourceFile) =>
    literals.map((literal) => ts.resolveModuleName(literal.text, containingFile, opts, host, moduleCache, redirected, ts.getModeForUsageLocation(containingSourceFile, literal, opts)))
  host.resolveTypeReferenceDirectiveReferences = (references, containingFile, redirected, opts, containingSourceFile) =>
    references.map((reference) =>
      typeof reference === "string"
        ? ts.resolveTypeReferenceDirective(reference, containingFile, opts, host, redirected, typeCache)
        : ts.resolveTypeReferenceDirective(reference.fileName.toLowerCase(), containingFile, opts, host, redirected, typeCache, ts.getModeForFileReference(reference, containingSourceFile?.impliedNodeFormat))
    )
  // Parsed (and, once a checker has run, bound) SourceFiles by path; the file under test may be swapped in.
  const parsed = new Map<string, ts.SourceFile>()
  let overlay: { readonly path: string; readonly text: string } | null = null
  host.getSourceFile = (fileName, languageVersion) => {
    const path = resolve(fileName)
    if (overlay !== null && path === overlay.path) return ts.createSourceFile(fileName, overlay.text, languageVersion)
    let file = parsed.get(path)
    if (file === undefined) {
      const text = host.readFile(fileName)
      if (text === undefined) return undefined
      file = ts.createSourceFile(fileName, text, languageVersion)
      parsed.set(path, file)
    }
    return file
  }
  /** The file's diagnostics in a program of its own (a fresh checker: what it reports depends on what it checked before). */
  const diagnosticsOf = (path: string, text: string | null, oldProgram?: ts.Program): { program: ts.Program; diagnostics: Array<Diagnostic> } => {
    overlay = text === null ? null : { path, text }
    try {
      const program = ts.createProgram({ rootNames: [path], options, host, oldProgram })
      const source = program.getSourceFile(path)
      if (source === undefined) return { program, diagnostics: [{ key: `cannot read ${path}`, code: 0, line: -1, column: -1 }] }
      const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) => {
        const at = d.start === undefined ? { line: -1, character: -1 } : source.getLineAndCharacterOfPosition(d.start)
        return { key: `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`, code: d.code, line: at.line, column: at.character }
      })
      return { program, diagnostics }
    } finally {
      overlay = null
    }
  }
  const usePackage = (root: string) => {
    const r = resolve(root) + sep
    if (r === packageRoot) return
    packageRoot = r
    // Keep TypeScript's libs and @types/node; another package's files are no use any more.
    for (const path of parsed.keys()) if (!shared.some((d) => path.startsWith(d))) parsed.delete(path)
  }
  const newDiagnostics = (root: string, file: string, afters: ReadonlyArray<string>): Array<Array<string>> => {
    usePackage(root)
    const path = resolve(file)
    const before = diagnosticsOf(path, null)
    const text = readFileSync(path, "utf8")
    // The rewritten program reuses the original's structure (module resolution, every other SourceFile).
    return afters.map((after) => added(text, before.diagnostics, after, diagnosticsOf(path, after, before.program).diagnostics))
  }

  // V8, in a worker that may construct vm.SourceTextModule.
  let worker: Worker | null = null
  let nextId = 0
  const waiting = new Map<number, (error: string | null) => void>()
  const compile = (mode: Mode, text: string): Promise<string | null> => {
    if (worker === null) {
      worker = new Worker(
        `const { parentPort } = require("node:worker_threads")
const vm = require("node:vm")
const params = ["exports", "require", "module", "__filename", "__dirname"]
parentPort.on("message", ({ id, mode, text }) => {
  try {
    if (mode === "module") new vm.SourceTextModule(text)
    else vm.compileFunction(text, params)
    parentPort.postMessage({ id, error: null })
  } catch (error) {
    parentPort.postMessage({ id, error: String(error) })
  }
})`,
        { eval: true, execArgv: ["--experimental-vm-modules", "--no-warnings"] }
      )
      worker.on("message", ({ id, error }: { id: number; error: string | null }) => {
        waiting.get(id)?.(error)
        waiting.delete(id)
      })
    }
    const id = nextId++
    return new Promise((resolve_) => {
      waiting.set(id, resolve_)
      worker!.postMessage({ id, mode, text })
    })
  }
  /** The `type` of the nearest package.json between the file and the package root, if any. */
  const declaredType = (root: string, file: string): Mode | null => {
    const top = resolve(root)
    for (let dir = dirname(resolve(file)); dir.startsWith(top); dir = dirname(dir)) {
      const pj = join(dir, "package.json")
      if (existsSync(pj)) {
        try {
          const type = (JSON.parse(readFileSync(pj, "utf8")) as { type?: unknown }).type
          if (type === "module" || type === "commonjs") return type
        } catch {
          // not JSON: keep walking up
        }
        return null
      }
      if (dir === top) break
    }
    return null
  }
  const v8Check = async (root: string, file: string, before: string, after: string): Promise<{ checked: boolean; error: string | null }> => {
    const ext = /\.([cm]?js)$/.exec(file)?.[1]
    if (ext === undefined) return { checked: false, error: null }
    const declared: Mode | null = ext === "mjs" ? "module" : ext === "cjs" ? "commonjs" : declaredType(root, file)
    let mode: Mode | null = null
    for (const m of declared === null ? (["commonjs", "module"] as const) : [declared]) {
      if ((await compile(m, before)) === null) {
        mode = m
        break
      }
    }
    // V8 rejects the original too (JSX, Flow, a browser-only grammar): nothing to compare with.
    if (mode === null) return { checked: false, error: null }
    const error = await compile(mode, after)
    return { checked: true, error: error === null ? null : `${error} (as ${mode === "module" ? "an ES module" : "CommonJS"})` }
  }
  const close = async () => {
    if (worker !== null) await worker.terminate()
    worker = null
  }
  return { newDiagnostics, v8Check, close }
}
