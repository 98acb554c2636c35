/**
 * `npm run eval:scan` — precision and recall of the built-in templates on code we did not write.
 *
 * 1. Precision on real code: the published sources of the npm packages listed in
 *    `scripts/eval-scan/corpus.json` (fetched with `npm pack`, cached under `.ratchet/eval/scan`) are
 *    scanned with `Scan.scan` (default scope, built-in rules). Per template, a deterministic sample of the
 *    findings (the first ones by a hash of package, file, line and rule) is looked up in
 *    `scripts/eval-scan/labels.json`, where each was read by hand and recorded as a true or false positive
 *    (locations and verdicts only — never the packages' code). Every true positive must also rewrite:
 *    patchgen produces a candidate that re-parses (tree-sitter; column `tp rewrites`). Each rewrite is then
 *    checked further (column `tp type-checks`, scripts/lib/rewrite-check.ts):
 *    - it adds no TypeScript diagnostic to its file. The file is type-checked as it is in the unpacked
 *      package and again with the rewrite, each in a fresh program: TS files as TS, JS files with `allowJs`
 *      + `checkJs` (so JSDoc types and casts count), `strict`, ES2023 + DOM libs, `module: NodeNext`,
 *      every file module-scoped. The context is the package directory (its other files, its package.json
 *      files and shipped .d.ts), TypeScript's libs and @types/node — nothing else: the packages' own
 *      dependencies are not installed, so imports of them are errors before and after alike. Diagnostics
 *      are compared as a multiset of code + message text (positions shift); one left over after that
 *      counts as an old one reworded when the original has one of the same code at the same place (same
 *      line and column of an unchanged line, or inside the same changed lines). Any other is listed.
 *    - a JS rewrite compiles in V8 the way Node loads the file (ES module for `.mjs` and `.js` under
 *      `"type": "module"`, CommonJS's function wrapper for `.cjs` and `.js` under `"type": "commonjs"`,
 *      Node's syntax detection for a `.js` without a `type`), whenever V8 compiles the original.
 *    Not checked: the packages' own tests (published tarballs mostly lack them, and their dependencies are
 *    not installed), so "keeps the repository's tests green" is not measured here; nor the packages' own
 *    tsconfig (one fixed set of options above: a diagnostic under `strict` counts even for a package that
 *    never type-checks its JS); nor behaviour at run time beyond what the hand labels say.
 * 2. Recall on seeded variants: `scripts/eval-scan/seeded/*` are small functions we wrote in the shapes
 *    real code takes (JS/TS, CJS/ESM, classes, arrow functions, JSDoc types). A trailing
 *    `// expect: <rule>` marks a line where the template must report; `// unsafe: <rule>` a line where it
 *    must not. Each expected finding must rewrite, and rewritten TypeScript must still type-check.
 * 3. Real performance fixes (issue #22): `scripts/eval-scan/fixes.json` lists merged fixes in public
 *    repositories (repository, pull request, commit, parent, file, changed lines, kind). Each parent file
 *    is read from a local bare mirror of the repository (`$RATCHET_EVAL_MIRRORS/<owner>+<name>/repo`,
 *    default `/work/.mirror`, where the `fetch` tool puts them) and scanned; a fix is pointed at when a
 *    finding overlaps the changed lines, and rewritten the same way when that finding's rule does the kind
 *    of rewrite the expert did. Recall is printed by kind; `--misses` lists the fixes nothing pointed at.
 *
 * Prints one table; nothing is asserted. Flags: `--todo` lists sampled findings without a label,
 * `--all` lists every finding, `--sample N` changes the sample size per template (default 25).
 */
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs"
import { registerHooks } from "node:module"
import { join, resolve } from "node:path"
import { createRewriteChecker } from "./lib/rewrite-check.ts"

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
const built = existsSync(join(import.meta.dirname, "../packages/core/dist/index.js"))
const core = (await import(built ? "../packages/core/dist/index.js" : "../packages/core/src/index.ts")) as typeof import("../packages/core/src/index.ts")
const { Scan, Templates, Patchgen } = core
const ts = (await import("typescript")).default

const repoRoot = resolve(import.meta.dirname, "..")
const here = join(import.meta.dirname, "eval-scan")
const args = process.argv.slice(2)
const flag = (name: string) => args.includes(`--${name}`)
const sampleSize = Number(args[args.indexOf("--sample") + 1]) > 0 && args.includes("--sample") ? Number(args[args.indexOf("--sample") + 1]) : 25

interface Label {
  readonly package: string
  readonly file: string
  readonly line: number
  readonly rule: string
  readonly verdict: "tp" | "fp"
  readonly note: string
}
interface Fix {
  readonly repo: string
  readonly pr: string
  readonly commit: string
  readonly parent: string
  readonly file: string
  readonly lines: readonly [number, number]
  readonly kind: string
  readonly note?: string
}
interface Row {
  findings: number
  sampled: number
  tp: number
  fp: number
  todo: number
  rewrites: number
  rewriteFailures: Array<string>
  typeChecks: number
  typeFailures: Array<string>
  expected: number
  found: number
  unsafe: number
  unexpected: number
  seededRewrites: number
  seededFailures: Array<string>
  missed: Array<string>
}
const rows = new Map<string, Row>()
const row = (rule: string): Row => {
  let r = rows.get(rule)
  if (r === undefined) {
    r = { findings: 0, sampled: 0, tp: 0, fp: 0, todo: 0, rewrites: 0, rewriteFailures: [], typeChecks: 0, typeFailures: [], expected: 0, found: 0, unsafe: 0, unexpected: 0, seededRewrites: 0, seededFailures: [], missed: [] }
    rows.set(rule, r)
  }
  return r
}
for (const id of Templates.ids) row(id)

/** Whether patchgen turns the opportunity into a candidate; returns the patched text or a reason. */
const rewrite = async (root: string, opportunity: import("../packages/core/src/Opportunity.ts").Opportunity): Promise<{ text: string } | { error: string }> => {
  try {
    const candidates = await Effect.runPromise(Patchgen.patchgen({ root, opportunities: [opportunity], plugins: Templates.builtin() }))
    if (candidates.length === 0) return { error: "no candidate" }
    const { applyPatch } = await import("diff")
    const source = readFileSync(join(root, opportunity.file), "utf8")
    const patched = applyPatch(source, candidates[0]!.diff)
    if (patched === false) return { error: "diff does not apply" }
    if (Patchgen.syntaxErrorOf(opportunity.file, patched) !== null) return { error: "syntax error after rewrite" }
    return { text: patched }
  } catch (error) {
    return { error: (error as Error).message.split("\n")[0]! }
  }
}

// 1. Real packages.
const corpusAll = JSON.parse(readFileSync(join(here, "corpus.json"), "utf8")) as { packages: ReadonlyArray<string> }
// `--seeded-only` skips the real packages (quick runs while writing seeded variants)
const corpus = flag("seeded-only") ? { packages: [] } : corpusAll
const labels = JSON.parse(readFileSync(join(here, "labels.json"), "utf8")) as { labels: ReadonlyArray<Label> }
const labelOf = new Map(labels.labels.map((l) => [`${l.package}\0${l.file}\0${l.line}\0${l.rule}`, l]))
const cache = join(repoRoot, ".ratchet", "eval", "scan")
mkdirSync(cache, { recursive: true })
const unpacked = (spec: string): string => {
  const dir = join(cache, spec.replace(/[^\w.@-]/g, "_"))
  const pkg = join(dir, "package")
  if (!existsSync(join(pkg, "package.json"))) {
    mkdirSync(dir, { recursive: true })
    const tgz = execFileSync("npm", ["pack", spec, "--silent", "--pack-destination", dir], { encoding: "utf8" }).trim().split("\n").pop()!
    execFileSync("tar", ["xzf", join(dir, tgz), "-C", dir])
  }
  return pkg
}

interface Found {
  readonly spec: string
  readonly root: string
  readonly opportunity: import("../packages/core/src/Opportunity.ts").Opportunity
  readonly key: string
  readonly order: string
}
const all: Array<Found> = []
let files = 0
let bytes = 0
const t0 = performance.now()
for (const spec of corpus.packages) {
  let root: string
  try {
    root = unpacked(spec)
  } catch (error) {
    console.log(`skipping ${spec}: ${(error as Error).message.split("\n")[0]}`)
    continue
  }
  const report = await Effect.runPromise(Scan.scan(root, { cache: false }))
  files += report.stats.files
  bytes += report.stats.bytes
  for (const o of report.opportunities) {
    if (!Templates.ids.includes(o.rule)) continue
    const key = `${spec}\0${o.file}\0${o.startLine}\0${o.rule}`
    all.push({ spec, root, opportunity: o, key, order: createHash("sha1").update(key).digest("hex") })
  }
}
const scanSeconds = (performance.now() - t0) / 1000
const todo: Array<string> = []
/** True positives that rewrote, checked below with TypeScript and V8 (scripts/lib/rewrite-check.ts). */
const rewritten: Array<{ readonly rule: string; readonly found: Found; readonly after: string }> = []
for (const rule of Templates.ids) {
  const r = row(rule)
  const mine = all.filter((f) => f.opportunity.rule === rule).sort((a, b) => (a.order < b.order ? -1 : 1))
  r.findings = mine.length
  const sample = mine.slice(0, sampleSize)
  r.sampled = sample.length
  for (const f of sample) {
    const label = labelOf.get(f.key)
    if (label === undefined) {
      r.todo++
      todo.push(`${f.spec}\t${f.opportunity.file}:${f.opportunity.startLine}\t${rule}\t${f.opportunity.rationale.slice(0, 120)}`)
      continue
    }
    if (label.verdict === "fp") {
      r.fp++
      continue
    }
    r.tp++
    const result = await rewrite(f.root, f.opportunity)
    if ("text" in result) {
      r.rewrites++
      rewritten.push({ rule, found: f, after: result.text })
    } else r.rewriteFailures.push(`${f.spec} ${f.opportunity.file}:${f.opportunity.startLine}: ${result.error}`)
  }
}
// Each rewrite must add no TypeScript diagnostic to its file, type-checked in its package (JS with checkJs),
// and a JS rewrite must compile in V8 the way Node loads the file (scripts/lib/rewrite-check.ts).
const t1 = performance.now()
const cpu1 = process.cpuUsage()
const checker = createRewriteChecker(repoRoot)
let v8Compiled = 0
// By package, then file: each original is type-checked once, and a package's files are parsed once.
const byFile = new Map<string, Array<(typeof rewritten)[number]>>()
for (const t of [...rewritten].sort((a, b) => (a.found.spec < b.found.spec ? -1 : a.found.spec > b.found.spec ? 1 : 0))) {
  const key = `${t.found.spec}\0${t.found.opportunity.file}`
  byFile.set(key, [...(byFile.get(key) ?? []), t])
}
for (const group of byFile.values()) {
  const { root, opportunity } = group[0]!.found
  const file = join(root, opportunity.file)
  const before = readFileSync(file, "utf8")
  const diagnostics = checker.newDiagnostics(root, file, group.map((t) => t.after))
  for (const [i, { rule, found: f, after }] of group.entries()) {
    const r = row(rule)
    const where = `${f.spec} ${f.opportunity.file}:${f.opportunity.startLine}`
    const v8 = await checker.v8Check(root, file, before, after)
    if (v8.checked) v8Compiled++
    if (diagnostics[i]!.length === 0 && v8.error === null) r.typeChecks++
    for (const d of diagnostics[i]!) r.typeFailures.push(`${where}: new ${d}`)
    if (v8.error !== null) r.typeFailures.push(`${where}: V8 does not compile it: ${v8.error}`)
  }
}
await checker.close()
const checkSeconds = (performance.now() - t1) / 1000
const checkCpu = process.cpuUsage(cpu1)
const checkCpuSeconds = (checkCpu.user + checkCpu.system) / 1e6
if (flag("all")) for (const f of all) console.log(`${f.spec}\t${f.opportunity.file}:${f.opportunity.startLine}\t${f.opportunity.rule}`)

// 2. Seeded variants.
const seededDir = join(here, "seeded")
const compilerOptions: import("typescript").CompilerOptions = {
  target: ts.ScriptTarget.ES2023,
  lib: ["lib.es2023.d.ts", "lib.es2021.intl.d.ts"],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: ["node"],
  strict: true,
  noEmit: true,
  skipLibCheck: true
}
const typeErrors = (path: string, text: string): Array<string> => {
  const host = ts.createCompilerHost(compilerOptions)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (name, version, onError, create) => (resolve(name) === path ? ts.createSourceFile(name, text, version) : getSourceFile(name, version, onError, create))
  const program = ts.createProgram([path], compilerOptions, host)
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))
}
for (const name of readdirSync(seededDir).sort()) {
  if (!/\.(?:[cm]?[jt]s|[jt]sx)$/.test(name)) continue
  const text = readFileSync(join(seededDir, name), "utf8")
  const lines = text.split("\n")
  const expected = new Map<number, Set<string>>()
  const unsafe = new Map<number, Set<string>>()
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/\/\/ (expect|unsafe): ([\w-]+(?:, [\w-]+)*)\s*$/g)) {
      const target = m[1] === "expect" ? expected : unsafe
      target.set(i + 1, new Set(m[2]!.split(", ")))
    }
  })
  const found = Templates.scanText(name, text)
  const before = name.endsWith(".ts") || name.endsWith(".mts") || name.endsWith(".cts") ? typeErrors(join(seededDir, name), text) : []
  if (before.length > 0) console.log(`seeded/${name} does not type-check before any rewrite: ${before[0]}`)
  for (const [line, rules] of expected) {
    for (const rule of rules) {
      const r = row(rule)
      r.expected++
      const hit = found.find((o) => o.rule === rule && o.startLine === line)
      if (!hit) {
        r.missed.push(`seeded/${name}:${line}`)
        continue
      }
      r.found++
      const result = await rewrite(seededDir, { ...hit, file: name })
      if (!("text" in result)) {
        r.seededFailures.push(`seeded/${name}:${line}: ${result.error}`)
        continue
      }
      const after = before.length === 0 && /\.[cm]?ts$/.test(name) ? typeErrors(join(seededDir, name), result.text) : []
      if (after.length > 0) r.seededFailures.push(`seeded/${name}:${line}: rewrite does not type-check: ${after[0]}`)
      else r.seededRewrites++
    }
  }
  for (const o of found) {
    if (!Templates.ids.includes(o.rule)) continue
    if (unsafe.get(o.startLine)?.has(o.rule)) row(o.rule).unsafe++
    else if (!expected.get(o.startLine)?.has(o.rule)) {
      row(o.rule).unexpected++
      console.log(`seeded/${name}:${o.startLine}: unexpected ${o.rule} finding`)
    }
  }
}

// 3. Real performance fixes (collected for issue #22): each parent file is read from a local mirror of the
// repository (`<mirrors>/<owner>+<name>/repo`, a bare git directory as the `fetch` tool leaves it; set
// RATCHET_EVAL_MIRRORS to another folder), scanned with every built-in template, and the fix counts as
// pointed at when a finding overlaps the changed lines, and as matched when that finding's rule does the
// kind of rewrite the expert did.
const fixesPath = join(here, "fixes.json")
const mirrors = process.env.RATCHET_EVAL_MIRRORS ?? "/work/.mirror"
/** Which rules rewrite the way each kind of fix does. */
const RULES_OF_KIND: Readonly<Record<string, ReadonlyArray<string>>> = {
  "quadratic-accumulation": ["reduce-spread"],
  "allocation-measured": ["filter-length", "filter-first", "first-of-iterable", "split-first", "entries-unused", "map-filter-fusion", "map-reduce-fusion"],
  "constant-constructor": ["constant-constructor", "loop-invariant", "regexp-hoist"],
  "regex-use": ["match-test", "replace-all"],
  membership: ["set-membership", "map-index", "alternation-set", "char-set"],
  "loop-invariant": ["loop-invariant", "regexp-hoist"]
}
interface KindRow {
  fixes: number
  available: number
  pointed: number
  matched: number
  rules: Set<string>
  missing: Set<string>
}
const byKind = new Map<string, KindRow>()
const parentText = (fix: Fix): string | null => {
  const gitDir = join(mirrors, fix.repo.replace("/", "+"), "repo")
  if (!existsSync(gitDir)) return null
  try {
    return execFileSync("git", ["--git-dir", gitDir, "show", `${fix.parent}:${fix.file}`], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "ignore"] })
  } catch {
    return null
  }
}
if (existsSync(fixesPath)) {
  const fixes = (JSON.parse(readFileSync(fixesPath, "utf8")) as { fixes: ReadonlyArray<Fix> }).fixes
  const scanned = new Map<string, ReturnType<typeof Templates.scanText> | null>()
  for (const fix of fixes) {
    let k = byKind.get(fix.kind)
    if (k === undefined) {
      k = { fixes: 0, available: 0, pointed: 0, matched: 0, rules: new Set(), missing: new Set() }
      byKind.set(fix.kind, k)
    }
    k.fixes++
    const key = `${fix.repo}\0${fix.parent}\0${fix.file}`
    if (!scanned.has(key)) {
      const text = parentText(fix)
      scanned.set(key, text === null ? null : Templates.scanText(fix.file, text))
    }
    const findings = scanned.get(key)
    if (findings === null || findings === undefined) {
      k.missing.add(fix.repo)
      continue
    }
    k.available++
    const overlapping = findings.filter((o) => o.startLine <= fix.lines[1] && o.endLine >= fix.lines[0])
    if (overlapping.length === 0) {
      if (flag("misses")) console.log(`missed ${fix.kind}: ${fix.repo}@${fix.parent.slice(0, 8)} ${fix.file}:${fix.lines[0]}-${fix.lines[1]}`)
      continue
    }
    k.pointed++
    for (const o of overlapping) k.rules.add(o.rule)
    if (overlapping.some((o) => RULES_OF_KIND[fix.kind]?.includes(o.rule))) k.matched++
  }
}

// Report.
const pct = (n: number, d: number): string => (d === 0 ? "–" : `${Math.round((100 * n) / d)}%`)
console.log(`corpus: ${corpus.packages.length} npm packages, ${files} files in the default scope, ${(bytes / 1e6).toFixed(1)} MB, scanned in ${scanSeconds.toFixed(1)} s`)
console.log(`sample: the first ${sampleSize} findings per template (by a hash of package, file, line, rule), labelled by hand in scripts/eval-scan/labels.json`)
console.log(`tp type-checks: ${rewritten.length} rewritten true positives type-checked in their package before and after the rewrite (JS with checkJs), ${v8Compiled} of them also compiled by V8; ${checkSeconds.toFixed(1)} s (${checkCpuSeconds.toFixed(1)} s CPU, all threads)`)
console.log("")
const header = ["template", "findings", "sampled", "tp", "fp", "unlabelled", "precision", "tp rewrites", "tp type-checks", "seeded", "found", "recall", "unsafe flagged", "unexpected", "seeded rewrites"]
const table = [...rows].map(([rule, r]) => [
  rule,
  String(r.findings),
  String(r.sampled),
  String(r.tp),
  String(r.fp),
  String(r.todo),
  pct(r.tp, r.tp + r.fp),
  `${r.rewrites}/${r.tp}`,
  `${r.typeChecks}/${r.rewrites}`,
  String(r.expected),
  String(r.found),
  pct(r.found, r.expected),
  String(r.unsafe),
  String(r.unexpected),
  `${r.seededRewrites}/${r.found}`
])
const widths = header.map((h, c) => Math.max(h.length, ...table.map((t) => t[c]!.length)))
const render = (cells: ReadonlyArray<string>) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")
console.log(render(header))
console.log(render(widths.map((w) => "-".repeat(w))))
for (const t of table) console.log(render(t))
for (const [rule, r] of rows) {
  for (const f of r.rewriteFailures) console.log(`${rule}: true positive does not rewrite: ${f}`)
  for (const f of r.typeFailures) console.log(`${rule}: true positive's rewrite fails a check: ${f}`)
  for (const f of r.seededFailures) console.log(`${rule}: ${f}`)
  if (r.missed.length > 0) console.log(`${rule}: seeded variants not found: ${r.missed.join(", ")}`)
}
if (byKind.size > 0) {
  console.log("")
  console.log("real merged performance fixes (scripts/eval-scan/fixes.json): is a finding on the lines the expert changed, and does its rule rewrite the same way?")
  const kHeader = ["kind", "fixes", "parent read", "pointed at", "recall", "same rewrite", "rules that fired"]
  const kRows = [...byKind].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([kind, k]) => [kind, String(k.fixes), String(k.available), String(k.pointed), pct(k.pointed, k.available), pct(k.matched, k.available), [...k.rules].join(", ") || "–"])
  const total = [...byKind.values()].reduce((a, k) => ({ fixes: a.fixes + k.fixes, available: a.available + k.available, pointed: a.pointed + k.pointed, matched: a.matched + k.matched }), { fixes: 0, available: 0, pointed: 0, matched: 0 })
  kRows.push(["all", String(total.fixes), String(total.available), String(total.pointed), pct(total.pointed, total.available), pct(total.matched, total.available), ""])
  const kw = kHeader.map((h, c) => Math.max(h.length, ...kRows.map((t) => t[c]!.length)))
  const kr = (cells: ReadonlyArray<string>) => cells.map((c, i) => (i === 0 || i === 6 ? c.padEnd(kw[i]!) : c.padStart(kw[i]!))).join("  ")
  console.log(kr(kHeader))
  console.log(kr(kw.map((w) => "-".repeat(w))))
  for (const t of kRows) console.log(kr(t))
  const missing = new Set([...byKind.values()].flatMap((k) => [...k.missing]))
  if (missing.size > 0) console.log(`no local mirror (under ${mirrors}) for: ${[...missing].sort().join(", ")} — fetch them to count their fixes`)
}
console.log("")
const labelled = [...rows].filter(([, r]) => r.tp + r.fp > 0)
const precisionMet = labelled.every(([, r]) => r.tp / (r.tp + r.fp) >= 0.9)
const seeded = [...rows].filter(([, r]) => r.expected > 0)
const recallMet = seeded.every(([, r]) => r.found / r.expected >= 0.9)
const unsafeFlagged = [...rows.values()].reduce((n, r) => n + r.unsafe, 0)
console.log(
  `targets: precision ≥ 90% for every template with labelled findings: ${precisionMet ? "met" : "NOT met"}; recall ≥ 90% on seeded variants for every seeded template: ${recallMet ? "met" : "NOT met"}; unsafe seeded variants flagged: ${unsafeFlagged}`
)
if (flag("todo") && todo.length > 0) {
  console.log("")
  console.log(`${todo.length} sampled findings have no label yet:`)
  for (const t of todo) console.log(t)
}
