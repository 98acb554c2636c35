/**
 * A small real repository for end-to-end tests of the LLM paths: a quadratic `dedupe` with
 * `node:test` tests (order, NaN, empty) and a benchmark printing `RATCHET_BENCH` samples, and a
 * patch that makes it linear (proven faster by the real pipeline).
 */

export const SOURCE = `/** Unique items, first occurrence first. */
export function dedupe(items) {
  const out = []
  for (const item of items) {
    if (!out.includes(item)) out.push(item)
  }
  return out
}
`

/** The repository's files. */
export const DEDUPE_FILES: Record<string, string> = {
  "package.json": `${JSON.stringify({ name: "dedupe-kit", version: "1.0.0", type: "module", scripts: { test: "node --test test/*.test.js", bench: "node bench/run.js" } }, null, 2)}\n`,
  "src/dedupe.js": SOURCE,
  "test/dedupe.test.js": `import assert from "node:assert/strict"
import { test } from "node:test"
import { dedupe } from "../src/dedupe.js"

test("dedupe keeps first-occurrence order", () => {
  assert.deepEqual(dedupe([3, 1, 3, 2, 1]), [3, 1, 2])
})

test("dedupe treats NaN as equal to itself", () => {
  assert.deepEqual(dedupe([NaN, 1, NaN]), [NaN, 1])
})

test("dedupe of nothing is empty", () => {
  assert.deepEqual(dedupe([]), [])
})
`,
  "bench/run.js": `import { dedupe } from "../src/dedupe.js"

const items = Array.from({ length: 4000 }, (_, i) => (i * 7919) % 3000)
const samples = []
for (let round = 0; round < 15; round++) {
  const start = process.hrtime.bigint()
  dedupe(items)
  samples.push(Number(process.hrtime.bigint() - start))
}
console.log(\`RATCHET_BENCH \${JSON.stringify({ name: "dedupe", samples })}\`)
`
}

/** A patch that makes dedupe linear, keeping first-occurrence order. */
export const GOOD = `--- a/src/dedupe.js
+++ b/src/dedupe.js
@@ -1,8 +1,11 @@
 /** Unique items, first occurrence first. */
 export function dedupe(items) {
   const out = []
+  const seen = new Set()
   for (const item of items) {
-    if (!out.includes(item)) out.push(item)
+    if (seen.has(item)) continue
+    seen.add(item)
+    out.push(item)
   }
   return out
 }
`

/** A planner's answer (plan and verdict) for "make dedupe faster": GO, one file, tests and a benchmark as acceptance criteria. */
export const DEDUPE_PLAN = {
  summary: "dedupe tracks seen items in a Set",
  files: ["src/dedupe.js"],
  approach: "Keep the output array for order; test membership with a Set instead of includes().",
  acceptanceCriteria: [
    { kind: "tests", description: "the existing tests pass (order, NaN, empty)", target: null },
    { kind: "benchmark", description: "the dedupe benchmark gets faster", target: "dedupe" }
  ],
  nonGoals: ["changing dedupe's signature"],
  risk: "low",
  kind: "performance",
  verdict: "GO",
  reasons: ["one function in one file"],
  question: null
}
