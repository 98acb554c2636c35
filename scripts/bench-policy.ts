/**
 * `npm run bench:policy` — time to evaluate a 10 000-line diff with every built-in policy rule
 * (parse + path rules + package.json analysis + secret scan), against the time to merely split
 * the same text into lines, measured in the same run. Target: under 50 ms.
 *
 * Options: --lines N (default 10000), --runs N (default 30).
 */
import { registerHooks } from "node:module"

// Node runs the TypeScript sources directly: resolve workspace packages to their sources
// (the "source" export condition) and map NodeNext ".js" specifiers to the ".ts" files.
registerHooks({
  resolve(specifier, context, next) {
    const withSource = { ...context, conditions: [...(context.conditions ?? []), "source"] }
    try {
      return next(specifier, withSource)
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && specifier.endsWith(".js")) {
        return next(`${specifier.slice(0, -3)}.ts`, withSource)
      }
      throw error
    }
  }
})

const { Diff, PolicyEngine } = (await import("../packages/policy/src/index.ts")) as typeof import("../packages/policy/src/index.ts")

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const targetLines = arg("lines", 10_000)
const runs = arg("runs", 30)

/** A realistic diff: TypeScript files with hunks of context, deletions and additions (some with tokens, URLs, hashes). */
const makeDiff = (total: number): string => {
  const out: Array<string> = []
  let file = 0
  while (out.length < total) {
    const path = `src/module${file}/service${file}.ts`
    out.push(`diff --git a/${path} b/${path}`, "index a1b2c3d..d4e5f6a 100644", `--- a/${path}`, `+++ b/${path}`)
    let start = 1
    for (let h = 0; h < 40 && out.length < total; h++) {
      const body = [
        "   const result = items.filter((item) => item.enabled)",
        `-  const index = list.indexOf(value${h}) !== -1`,
        `+  const index = set${h}.has(value${h})`,
        `+  const url = "https://api.example.com/v2/organizations/${h}/members?include=roles"`,
        '+  const digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"',
        "   return computeUserAccountSettingsForOrganization(result, index)",
        "   // keep the public API unchanged for callers"
      ]
      out.push(`@@ -${start},4 +${start},6 @@ export function handler${h}() {`, ...body)
      start += 20
    }
    file++
  }
  return `${out.slice(0, total).join("\n")}\n`
}

// Trim the generated text so the last hunk is complete.
let text = makeDiff(targetLines + 200)
{
  const lines = text.split("\n")
  let cut = targetLines
  while (cut > 0 && !lines[cut].startsWith("@@") && !lines[cut].startsWith("diff --git")) cut--
  text = `${lines.slice(0, cut).join("\n")}\n`
}
const lineCount = text.split("\n").length - 1

const median = (xs: Array<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}
const time = (f: () => unknown): number => {
  const t0 = performance.now()
  f()
  return performance.now() - t0
}

// Warm up both paths.
for (let i = 0; i < 5; i++) {
  text.split("\n")
  PolicyEngine.evaluateSync(text, { maxFiles: 1_000, maxLines: 1_000_000 })
}

const split: Array<number> = []
const parse: Array<number> = []
const evaluate: Array<number> = []
let decision: ReturnType<typeof PolicyEngine.evaluateSync> | undefined
for (let i = 0; i < runs; i++) {
  split.push(time(() => text.split("\n")))
  parse.push(time(() => Diff.parseSync(text)))
  evaluate.push(
    time(() => {
      decision = PolicyEngine.evaluateSync(text, { maxFiles: 1_000, maxLines: 1_000_000 })
    })
  )
}

const ms = (x: number): string => `${x.toFixed(2)} ms`
const splitMs = median(split)
const evalMs = median(evaluate)
console.log(`policy bench: ${lineCount} diff lines, ${runs} runs (median); size limits raised so every rule reads every line`)
console.log(`  split into lines (reference): ${ms(splitMs)}`)
console.log(`  Diff.parse:                   ${ms(median(parse))}`)
console.log(`  PolicyEngine.evaluate:        ${ms(evalMs)}  (${(evalMs / splitMs).toFixed(1)}× the split)`)
console.log(`  verdicts: ${decision?.verdicts.length ?? 0}, allowed: ${decision?.allowed}`)
console.log(`  target < 50 ms: ${evalMs < 50 ? "met" : "MISSED"}`)
