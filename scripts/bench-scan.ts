/**
 * `npm run bench:scan` — scanner throughput on a large real codebase, next to ESLint.
 *
 * Obtains the published sources of `three` from the npm registry (`npm pack`, cached under
 * `.ratchet/bench/scan`), scans them cold (no cache), warm (cache) and after editing one file
 * with `Scan.scan` (built-in templates + text heuristics, worker threads), then lints exactly
 * the same files with ESLint using `no-restricted-syntax` selectors equivalent to the rules,
 * and prints MB/s, files/s and the ratios. Nothing here is asserted; it reports.
 *
 * The first cold scan of the process also pays for loading and compiling the scanner; it is printed
 * on its own, and the cold figure is the median of the scans after it. Run with `--expose-gc` (the npm
 * script does) so each measured scan starts without the previous one's garbage.
 *
 * Env: BENCH_SCAN_PACKAGE (default three@0.170.0), BENCH_SCAN_RUNS (cold scans after the first, default 5).
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { registerHooks } from "node:module"
import { availableParallelism, loadavg } from "node:os"
import { join, resolve } from "node:path"

// The workspace sources import each other with `.js` specifiers; map them to the `.ts` files.
registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && specifier.endsWith(".js") && /^(?:\.|file:)/.test(specifier))
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context)
      throw error
    }
  }
})

const { Effect } = await import("effect")
// the built package, as users run it (npm install builds it); the sources only when no build exists
const Scan = await import(existsSync(join(import.meta.dirname, "../packages/core/dist/Scan.js")) ? "../packages/core/dist/Scan.js" : "../packages/core/src/Scan.ts")
const { walk } = await import("../packages/core/src/internal/scan/walk.ts")
const { skipReasonForBytes, skipReasonForText, DEFAULT_MAX_FILE_BYTES } = await import("../packages/core/src/internal/scan/classify.ts")

const repoRoot = resolve(import.meta.dirname, "..")
const spec = process.env.BENCH_SCAN_PACKAGE ?? "three@0.170.0"
const runs = Math.max(1, Number(process.env.BENCH_SCAN_RUNS ?? 5))
const collect = (globalThis as { gc?: () => void }).gc
const benchDir = join(repoRoot, ".ratchet", "bench", "scan")
const corpusDir = join(benchDir, spec.replace(/[^\w.@-]/g, "_"))
const corpus = join(corpusDir, "package")
const cacheDir = join(benchDir, "cache")

// 1. The corpus: the package's published files, fetched once.
if (!existsSync(join(corpus, "package.json"))) {
  mkdirSync(corpusDir, { recursive: true })
  console.log(`fetching ${spec} from the npm registry…`)
  const out = execFileSync("npm", ["pack", spec, "--silent", "--pack-destination", corpusDir], { encoding: "utf8" }).trim().split("\n").pop()!
  execFileSync("tar", ["xzf", join(corpusDir, out), "-C", corpusDir])
}

// The files the scanner reads (same walk and skip rules), so ESLint gets exactly these.
const listed = walk(corpus)
const files: Array<string> = []
let bytes = 0
for (const file of listed.files) {
  const buffer = readFileSync(file.absolute)
  if (skipReasonForBytes(buffer, DEFAULT_MAX_FILE_BYTES) !== null) continue
  if (skipReasonForText(buffer.toString("utf8")) !== null) continue
  files.push(file.path)
  bytes += buffer.length
}
const mb = bytes / 1e6
const cores = availableParallelism()
const loadBefore = loadavg()
console.log(`corpus: ${spec} — ${files.length} JS/TS files, ${mb.toFixed(2)} MB scanned (${listed.files.length - files.length + listed.skipped.length} skipped as minified/generated/huge); ${cores} CPU cores`)

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const rate = (ms: number): string => `${(mb / (ms / 1000)).toFixed(1)} MB/s, ${Math.round(files.length / (ms / 1000))} files/s`
const timeScan = async (): Promise<{ ms: number; cpuMs: number; report: Awaited<ReturnType<typeof run>> }> => {
  const c0 = process.cpuUsage() // the whole process: the main thread and the scan's worker threads
  const t0 = performance.now()
  const report = await run()
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(c0)
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, report }
}
const run = () => Effect.runPromise(Scan.scan(corpus, { cache: cacheDir }))

// 2. Ratchet: cold (cache removed before each run), warm, and after editing one file.
const settle = async (): Promise<void> => {
  collect?.()
  await new Promise((r) => setTimeout(r, 50))
}
rmSync(cacheDir, { recursive: true, force: true })
const first = await timeScan()
const cold: Array<number> = []
const coldCpu: Array<number> = []
let coldReport: Awaited<ReturnType<typeof run>> | undefined
for (let i = 0; i < runs; i++) {
  rmSync(cacheDir, { recursive: true, force: true })
  await settle()
  const r = await timeScan()
  cold.push(r.ms)
  coldCpu.push(r.cpuMs)
  coldReport = r.report
}
const warm: Array<number> = []
for (let i = 0; i < Math.max(3, runs); i++) warm.push((await timeScan()).ms)
const edited = join(corpus, files[Math.floor(files.length / 2)]!)
const original = readFileSync(edited)
writeFileSync(edited, Buffer.concat([original, Buffer.from("\n// edited by bench-scan\n")]))
const editRun = await timeScan()
writeFileSync(edited, original)
await run() // restore the cache to the original content

const coldMs = median(cold)
const warmMs = median(warm)
const report = coldReport!
console.log(`ratchet scan, first in this process (loads and compiles the scanner): ${first.ms.toFixed(0)} ms — ${rate(first.ms)}`)
console.log(
  `ratchet scan cold:  ${coldMs.toFixed(0)} ms — ${rate(coldMs)} (median of ${cold.length}: ${cold.map((ms) => ms.toFixed(0)).join(", ")} ms; ${report.stats.workers} worker${report.stats.workers === 1 ? "" : "s"} next to the main thread, ${report.stats.parsed} files parsed, ${report.opportunities.length} opportunities)`
)
const cpuMs = median(coldCpu)
console.log(
  `ratchet scan cold, CPU time of all threads: ${cpuMs.toFixed(0)} ms (median) — ${(mb / (cpuMs / 1000)).toFixed(1)} MB per CPU-second; with the work spread over ${cores} idle cores the wall time would be ≥ ${(cpuMs / cores).toFixed(0)} ms (≤ ${(mb / (cpuMs / cores / 1000)).toFixed(1)} MB/s). Less sensitive to other load than wall time, not immune to it.`
)
console.log(`ratchet scan warm:  ${warmMs.toFixed(1)} ms — ${rate(warmMs)} (median of ${warm.length}; ${(coldMs / warmMs).toFixed(1)}× faster than cold)`)
console.log(`ratchet re-scan after editing 1 file: ${editRun.ms.toFixed(1)} ms (${editRun.report.stats.parsed} file parsed, ${editRun.report.stats.cached} from cache)`)
const byRule = new Map<string, number>()
for (const o of report.opportunities) byRule.set(o.rule, (byRule.get(o.rule) ?? 0) + 1)
console.log(`opportunities by rule: ${[...byRule].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(", ") || "none"}`)

// Context: tree-sitter alone, on one core, parsing the files that have findings — what any scanner built
// on it must at least parse. The cold scan parses a few more (files its text gates cannot rule out).
{
  const { parse, languageOf } = await import("../packages/core/src/internal/treeSitter.ts")
  const withFindings = [...new Set(report.opportunities.map((o) => o.file))]
  const sources = withFindings.map((f) => ({ text: readFileSync(join(corpus, f), "utf8"), language: languageOf(f) ?? "javascript" }))
  const sourceMb = sources.reduce((n, s) => n + Buffer.byteLength(s.text), 0) / 1e6
  const parseTimes: Array<number> = []
  for (let i = 0; i < 3; i++) {
    await settle()
    const t0 = performance.now()
    for (const s of sources) parse(s.text, s.language)
    parseTimes.push(performance.now() - t0)
  }
  const parseMs = median(parseTimes)
  console.log(
    `tree-sitter alone, one core: parsing the ${sources.length} files with findings (${sourceMb.toFixed(2)} MB) takes ${parseMs.toFixed(0)} ms (${(sourceMb / (parseMs / 1000)).toFixed(1)} MB/s); the scan parsed ${report.stats.parsed} files`
  )
}

// 3. Reference: ESLint with no-restricted-syntax selectors matching the rules, on the same files.
const loops = ":matches(ForStatement, ForOfStatement, ForInStatement, WhileStatement, DoWhileStatement)"
const selectors = [
  `${loops} CallExpression[callee.property.name=/^(includes|indexOf|lastIndexOf)$/]`, // set-membership
  `${loops} CallExpression[callee.property.name=/^(find|findIndex)$/]`, // map-index
  "CallExpression[callee.object.name='JSON'][callee.property.name=/^(parse|stringify)$/]", // json-hoist
  "CallExpression[callee.property.name='map'] > MemberExpression > CallExpression[callee.property.name='filter']", // map-filter-fusion
  "CallExpression[callee.property.name='filter'] > MemberExpression > CallExpression[callee.property.name='map']",
  "CallExpression[callee.property.name='reduce'] > MemberExpression > CallExpression[callee.property.name='map']", // map-reduce-fusion
  ":function Literal[regex]", // regexp-hoist
  "NewExpression[callee.name='RegExp']",
  `${loops} AssignmentExpression[operator='+=']`, // string-join
  `${loops} AwaitExpression`, // promise-all, text:await-in-loop
  "FunctionDeclaration ReturnStatement CallExpression[callee.type='Identifier']", // memoize (recursion candidates)
  "CallExpression[callee.property.name='forEach'][callee.object.callee.object.name='Object']", // for-of
  "ForInStatement",
  "Program > FunctionDeclaration", // dead-code (module-level declarations)
  "CallExpression[callee.name=/Sync$/]", // text:sync-fs-in-handler
  "CallExpression[callee.property.name=/Sync$/]",
  "CallExpression[callee.property.name='reduce'] SpreadElement" // text:spread-in-reduce
]
const { ESLint } = await import("eslint")
const eslintRun = async (concurrency: number | "off"): Promise<{ ms: number; problems: number }> => {
  const options: Record<string, unknown> = {
    cwd: corpus,
    overrideConfigFile: true,
    ignore: false,
    cache: false,
    overrideConfig: [
      {
        files: ["**/*.js", "**/*.mjs", "**/*.cjs", "**/*.jsx"],
        languageOptions: { ecmaVersion: "latest", sourceType: "module", parserOptions: { ecmaFeatures: { jsx: true } } },
        linterOptions: { reportUnusedDisableDirectives: "off" },
        rules: { "no-restricted-syntax": ["warn", ...selectors] }
      }
    ]
  }
  if (concurrency !== "off") options.concurrency = concurrency
  const eslint = new ESLint(options as ConstructorParameters<typeof ESLint>[0])
  const t0 = performance.now()
  const results = await eslint.lintFiles(files)
  const ms = performance.now() - t0
  return { ms, problems: results.reduce((n, r) => n + r.warningCount + r.errorCount, 0) }
}
const jsOnly = files.every((f) => /\.(?:[cm]?js|jsx)$/.test(f))
if (!jsOnly) console.log("note: the corpus has TypeScript files; ESLint's default parser is used only for JS corpora")
// ESLint in both modes (worker threads, and one thread); the faster one is the reference.
const eslintModes: Array<{ mode: string; ms: number; problems: number }> = []
for (const concurrency of cores > 1 ? ([cores, "off"] as const) : (["off"] as const)) {
  const times: Array<number> = []
  let problems = 0
  try {
    for (let i = 0; i < Math.max(3, Math.ceil(runs / 2)); i++) {
      const r = await eslintRun(concurrency)
      times.push(r.ms)
      problems = r.problems
    }
  } catch (error) {
    console.log(`eslint with concurrency ${concurrency} failed: ${(error as Error).message.split("\n")[0]}`)
    continue
  }
  eslintModes.push({ mode: concurrency === "off" ? "one thread" : `concurrency ${concurrency}`, ms: median(times), problems })
}
if (eslintModes.length === 0) throw new Error("ESLint could not lint the corpus in any mode")
const eslintBest = [...eslintModes].sort((a, b) => a.ms - b.ms)[0]!
const eslintMs = eslintBest.ms
const eslintProblems = eslintBest.problems
const eslintMode = eslintModes.map((m) => `${m.mode}: ${m.ms.toFixed(0)} ms`).join(", ")
const eslintVersion = JSON.parse(readFileSync(join(repoRoot, "node_modules", "eslint", "package.json"), "utf8")).version as string
console.log(`eslint ${eslintVersion} (${selectors.length} no-restricted-syntax selectors; ${eslintMode}): fastest ${eslintMs.toFixed(0)} ms — ${rate(eslintMs)} (${eslintProblems} matches)`)

// 4. Ratios and targets.
const coldMBs = mb / (coldMs / 1000)
console.log("")
console.log(`ratio ratchet cold / eslint: ${(eslintMs / coldMs).toFixed(2)}× (throughput)`)
console.log(`ratio ratchet warm / eslint: ${(eslintMs / warmMs).toFixed(1)}×`)
console.log(`ratio ratchet warm / cold:   ${(coldMs / warmMs).toFixed(1)}×`)
console.log(`load average (1 min) before / after: ${loadBefore[0]!.toFixed(1)} / ${loadavg()[0]!.toFixed(1)} on ${cores} cores — wall-time figures are not trustworthy when it is above ${cores}`)
console.log(
  `targets: cold ≥ 20 MB/s on ${cores} cores: ${coldMBs >= 20 ? "met" : "NOT met"} (${coldMBs.toFixed(1)} MB/s); warm ≥ 10× cold: ${coldMs / warmMs >= 10 ? "met" : "NOT met"}; faster than ESLint: ${coldMs < eslintMs ? "met" : "NOT met"}`
)
void statSync
