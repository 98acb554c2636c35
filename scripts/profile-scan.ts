/**
 * `node scripts/profile-scan.ts [dir]` — where a cold scan's time goes, per built-in template, on one thread.
 *
 * Reads the files the scanner would read (same walk and skip rules; default corpus: the `bench:scan` package
 * under `.ratchet/bench/scan`), then for each file times every template's text gate, the parse (once, when a
 * gate passes) and every `find` on the files its gate lets through, and the text heuristics. Prints one row per
 * template: gate ms, files passed, find ms, findings. Repeats the whole pass (`PROFILE_SCAN_RUNS`, default 3) and
 * reports for each figure its minimum over the passes (warm JIT, the way a long-lived process scans; the minimum is
 * the figure least disturbed by other load on a shared machine), plus the CPU time of a whole pass (this thread's
 * `process.threadCpuUsage`, which is too coarse to time single calls). Nothing in the scanner is instrumented:
 * this script calls the same functions the plugins call.
 */
import { readFileSync } from "node:fs"
import { registerHooks } from "node:module"
import { join, resolve } from "node:path"

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

const { walk } = await import("../packages/core/src/internal/scan/walk.ts")
const { skipReasonForBytes, skipReasonForText, DEFAULT_MAX_FILE_BYTES } = await import("../packages/core/src/internal/scan/classify.ts")
const { all } = await import("../packages/core/src/internal/templates/all.ts")
const { fileInfo } = await import("../packages/core/src/internal/dataflow/fileInfo.ts")
const { parse, languageOf } = await import("../packages/core/src/internal/treeSitter.ts")
const { textHeuristics } = await import("../packages/core/src/internal/scan/textHeuristics.ts")

const repoRoot = resolve(import.meta.dirname, "..")
const dir = resolve(process.argv[2] ?? join(repoRoot, ".ratchet/bench/scan/three@0.170.0/package"))
const runs = Math.max(1, Number(process.env.PROFILE_SCAN_RUNS ?? 3))
const now = (): number => performance.now()
const cpuNow = (): number => {
  const u = process.threadCpuUsage()
  return (u.user + u.system) / 1000
}

const files: Array<{ path: string; text: string }> = []
for (const file of walk(dir).files) {
  const buffer = readFileSync(file.absolute)
  if (skipReasonForBytes(buffer, DEFAULT_MAX_FILE_BYTES) !== null) continue
  const text = buffer.toString("utf8")
  if (skipReasonForText(text) !== null) continue
  files.push({ path: file.path, text })
}
const mb = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0) / 1e6

const heuristics = textHeuristics()
const heuristicsHook = typeof heuristics.scan === "function" ? heuristics.scan : heuristics.scan!.handler
interface Row { gateMs: number; passed: number; findMs: number; findings: number }
const best = new Map<string, Row>()
let parseMs = Infinity
let parsed = 0
let parsedMb = 0
let heuristicsMs = Infinity
let heuristicsFound = 0
let totalMs = Infinity
let cpuMs = Infinity
for (let run = 0; run < runs; run++) {
  const rows = new Map<string, Row>(all.map((t) => [t.id, { gateMs: 0, passed: 0, findMs: 0, findings: 0 }]))
  let parseRun = 0
  let heuristicsRun = 0
  parsed = parsedMb = heuristicsFound = 0
  const c0 = cpuNow()
  const t0 = now()
  for (const { path, text } of files) {
    const language = languageOf(path) ?? "javascript"
    const passing = []
    for (const template of all) {
      const row = rows.get(template.id)!
      const g0 = now()
      const pass = template.prefilter(text)
      row.gateMs += now() - g0
      if (pass) {
        row.passed++
        passing.push(template)
      }
    }
    if (passing.length > 0) {
      const p0 = now()
      const tree = parse(text, language)
      parseRun += now() - p0
      parsed++
      parsedMb += Buffer.byteLength(text) / 1e6
      const info = fileInfo(path, text, language, tree)
      for (const template of passing) {
        const row = rows.get(template.id)!
        const f0 = now()
        row.findings += template.find(info).length
        row.findMs += now() - f0
      }
    }
    const h0 = now()
    const found = heuristicsHook({ path, text, language }, { root: dir, tree: () => parse(text, language) })
    heuristicsRun += now() - h0
    heuristicsFound += Array.isArray(found) ? found.length : 0
  }
  totalMs = Math.min(totalMs, now() - t0)
  cpuMs = Math.min(cpuMs, cpuNow() - c0)
  parseMs = Math.min(parseMs, parseRun)
  heuristicsMs = Math.min(heuristicsMs, heuristicsRun)
  for (const [id, row] of rows) {
    const b = best.get(id)
    if (b === undefined) best.set(id, { ...row })
    else {
      b.gateMs = Math.min(b.gateMs, row.gateMs)
      b.findMs = Math.min(b.findMs, row.findMs)
    }
  }
}
const pad = (s: string | number, n: number): string => String(s).padStart(n)
console.log(`${dir}: ${files.length} files, ${mb.toFixed(2)} MB; minimum over ${runs} passes, one thread`)
console.log(`${"template".padEnd(22)}${pad("gate ms", 9)}${pad("passed", 8)}${pad("find ms", 9)}${pad("found", 7)}`)
const sorted = [...best].sort((a, b) => b[1].gateMs + b[1].findMs - (a[1].gateMs + a[1].findMs))
let gates = 0
let finds = 0
for (const [id, r] of sorted) {
  gates += r.gateMs
  finds += r.findMs
  console.log(`${id.padEnd(22)}${pad(r.gateMs.toFixed(1), 9)}${pad(r.passed, 8)}${pad(r.findMs.toFixed(1), 9)}${pad(r.findings, 7)}`)
}
console.log(`${"text heuristics".padEnd(22)}${pad(heuristicsMs.toFixed(1), 9)}${pad("", 8)}${pad("", 9)}${pad(heuristicsFound, 7)} (gate + find, may parse)`)
console.log(`gates ${gates.toFixed(1)} ms, finds ${finds.toFixed(1)} ms, parse ${parseMs.toFixed(1)} ms (${parsed} files, ${parsedMb.toFixed(2)} MB), total ${totalMs.toFixed(1)} ms wall, ${cpuMs.toFixed(0)} ms CPU`)
