import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { ArtifactStore, SynthBench, Workspace } from "@ratchet/core"
import { FileArtifactStore, GitWorkspace, LocalSandbox, Synth } from "@ratchet/runner"
import { fixtureRepo, profile, tempDir } from "./helpers.js"

const stack = (stateDir: string) => {
  const base = Layer.mergeAll(LocalSandbox.layer, GitWorkspace.layer({ stateDir }), FileArtifactStore.layer(join(stateDir, "artifacts")))
  return Synth.layer.pipe(Layer.provideMerge(base))
}

const rewrite = (dir: string, file: string, from: string, to: string) => {
  const path = join(dir, file)
  const text = readFileSync(path, "utf8")
  if (!text.includes(from)) throw new Error(`${file} has no ${from}`)
  writeFileSync(path, text.replace(from, to))
}

/** A baseline workspace and a candidate workspace whose `src/tags.js` was edited. */
const workspaces = (repo: string, edit: (dir: string) => void) =>
  Effect.gen(function* () {
    const ws = yield* Workspace.Workspace
    const baseline = yield* ws.prepare({ source: repo, purpose: "baseline" })
    const candidate = yield* ws.prepare({ source: repo, purpose: "candidate", reuseFrom: baseline })
    edit(candidate.path)
    return { baseline, candidate }
  })

describe("Synth (capture during node:test, replay, compare)", () => {
  it.live(
    "captures the calls the tests make, proves a faster equivalent candidate, and shows the first call a behaviour change breaks",
    () =>
      Effect.gen(function* () {
        const repo = yield* fixtureRepo("synth-esm")
        const state = yield* tempDir("ratchet-synth-state-")
        yield* Effect.gen(function* () {
          const synth = yield* SynthBench.SynthBench
          const p = profile(repo, { test: "npm test" })

          // a real speedup: Set membership instead of Array#includes
          const fast = yield* workspaces(repo, (dir) =>
            rewrite(dir, "src/tags.js", "  const out = []\n  for (const tag of tags) {\n    if (allowed.includes(tag)) out.push(tag)", "  const out = []\n  const set = new Set(allowed)\n  for (const tag of tags) {\n    if (set.has(tag)) out.push(tag)")
          )
          const keep = yield* synth.capture({ workspace: fast.baseline, source: repo, profile: p, target: { file: "src/tags.js", name: "keepAllowed" } })
          expect(keep).toMatchObject({ calls: 3, replayable: 3, notReplayable: [] })
          expect(keep.tests).toEqual(["test/tags.test.js:15", "test/tags.test.js:18", "test/tags.test.js:21"])
          expect(SynthBench.describe(keep)).toBe("synthesized benchmark from 3 captured call(s) of keepAllowed (src/tags.js) from test(s) test/tags.test.js:15, test/tags.test.js:18, test/tags.test.js:21")
          const same = yield* synth.equivalence({ capture: keep, baseline: fast.baseline, candidate: fast.candidate })
          expect(same).toMatchObject({ verdict: "equivalent", compared: 3, nondeterministic: 0, difference: null })
          const timed = yield* synth.compare({ capture: keep, baseline: fast.baseline, candidate: fast.candidate, mode: "repeated", threshold: 0.03, maxRounds: 12 })
          expect(timed.verdict, timed.reason).toBe("faster")
          expect(timed.result?.name).toBe("synthesized: keepAllowed (repeated inputs)")
          expect(timed.result?.change).toBeLessThan(-0.5)

          // the harness is an artifact anyone can re-run with one command
          const ref = yield* synth.artifact(keep)
          expect(ref?.name).toBe("synthesized-keepAllowed.mjs")
          const harness = new TextDecoder().decode(yield* (yield* ArtifactStore.ArtifactStore).get(ref?.sha256 ?? ""))
          const copy = join(state, "harness.mjs")
          writeFileSync(copy, harness)
          const byHand = execFileSync(process.execPath, [copy, fast.baseline.path, fast.candidate.path], { encoding: "utf8", timeout: 120_000 })
          expect(byHand).toContain("equivalence: identical on 3 call(s)")
          expect(byHand).toMatch(/repeated inputs: baseline median \d+ ns, candidate median \d+ ns per pass, change -\d/)

          // a behaviour change the tests do not catch: runs of whitespace and tabs
          const wrong = yield* workspaces(repo, (dir) => rewrite(dir, "src/tags.js", '.replace(/\\s+/g, "-")', '.replaceAll(" ", "-")'))
          const canonical = yield* synth.capture({ workspace: wrong.baseline, source: repo, profile: p, target: { file: "src/tags.js", name: "canonical" } })
          expect(canonical.calls).toBe(200)
          const differs = yield* synth.equivalence({ capture: canonical, baseline: wrong.baseline, candidate: wrong.candidate })
          expect(differs.verdict).toBe("different")
          expect(differs.difference).toMatchObject({ call: 0, test: "test/tags.test.js:9", args: "'  Machine   Learning '", what: "result", original: "'machine-learning'", candidate: "'machine---learning'" })
          expect(differs.reason).toBe(
            "behaviour changed on a captured call of canonical: call #1 (from test test/tags.test.js:9) with arguments '  Machine   Learning ': result differs — original 'machine-learning', candidate 'machine---learning'"
          )
        }).pipe(Effect.provide(stack(state)))
      }),
    300_000
  )

  it.live(
    "compares thrown errors and argument mutations, and leaves out calls that are not plain data",
    () =>
      Effect.gen(function* () {
        const repo = yield* fixtureRepo("synth-esm")
        const state = yield* tempDir("ratchet-synth-state-")
        yield* Effect.gen(function* () {
          const synth = yield* SynthBench.SynthBench
          const p = profile(repo, { test: "npm test" })
          // the candidate throws a RangeError instead of a TypeError, and no longer writes into `into`
          const changed = yield* workspaces(repo, (dir) => {
            rewrite(dir, "src/tags.js", "throw new TypeError(", "throw new RangeError(")
          })
          const counts = yield* synth.capture({ workspace: changed.baseline, source: repo, profile: p, target: { file: "src/tags.js", name: "countTags" } })
          expect(counts).toMatchObject({ calls: 4, replayable: 4 })
          const differs = yield* synth.equivalence({ capture: counts, baseline: changed.baseline, candidate: changed.candidate })
          expect(differs.difference).toMatchObject({ what: "thrown error", original: "TypeError: tag must be a string, got number", candidate: "RangeError: tag must be a string, got number" })

          const mutation = yield* workspaces(repo, (dir) => rewrite(dir, "src/tags.js", "export function countTags(tags, into = new Map()) {", "export function countTags(tags, into = new Map()) {\n  into = new Map(into)"))
          const differs2 = yield* synth.equivalence({ capture: counts, baseline: mutation.baseline, candidate: mutation.candidate })
          expect(differs2.difference).toMatchObject({ what: "argument 2 after the call", original: "Map(1) { 'ai' => 2 }", candidate: "Map(1) { 'ai' => 1 }" })

          // a call with a function argument cannot be replayed: recorded, not replayed, and nothing is proven
          const mapped = yield* synth.capture({ workspace: changed.baseline, source: repo, profile: p, target: { file: "src/tags.js", name: "mapTags" } })
          expect(mapped).toMatchObject({ calls: 1, replayable: 0, notReplayable: [{ reason: "arguments that include a function", count: 1 }] })
          const unproven = yield* synth.equivalence({ capture: mapped, baseline: changed.baseline, candidate: changed.candidate })
          expect(unproven).toMatchObject({ verdict: "unproven", reason: "no replayable call of mapTags was captured (1 with arguments that include a function)" })
        }).pipe(Effect.provide(stack(state)))
      }),
    300_000
  )

  it.live(
    "CommonJS (`exports.slug = function slug`): captures through require, replays a fresh module instance per pass in distinct mode",
    () =>
      Effect.gen(function* () {
        const repo = yield* fixtureRepo("synth-cjs")
        const state = yield* tempDir("ratchet-synth-state-")
        yield* Effect.gen(function* () {
          const synth = yield* SynthBench.SynthBench
          // a module-level cache: distinct mode must see a fresh module (an empty cache) on every pass
          const { baseline, candidate } = yield* workspaces(repo, (dir) => {
            rewrite(dir, "src/slug.js", "exports.slug = function slug(text) {\n  return text", "const slugCache = new Map()\n\nexports.slug = function slug(text) {\n  if (slugCache.has(text)) return slugCache.get(text)\n  const value = text")
            rewrite(dir, "src/slug.js", '.replace(/^-|-$/g, "")\n}', '.replace(/^-|-$/g, "")\n  slugCache.set(text, value)\n  return value\n}')
          })
          const c = yield* synth.capture({ workspace: baseline, source: repo, profile: profile(repo, { test: "npm test" }), target: { file: "src/slug.js", name: "slug" } })
          expect(c).toMatchObject({ calls: 51, replayable: 51 })
          expect(yield* synth.equivalence({ capture: c, baseline, candidate })).toMatchObject({ verdict: "equivalent", compared: 51 })
          const distinct = yield* synth.compare({ capture: c, baseline, candidate, mode: "distinct", threshold: 0.03, maxRounds: 6 })
          expect(distinct.verdict, distinct.reason).not.toBe("failed")
          expect(distinct.result?.name).toBe("synthesized: slug (distinct inputs)")
        }).pipe(Effect.provide(stack(state)))
      }),
    300_000
  )

  it.live(
    "TypeScript built to dist/: the instrumented source is built, tests run on dist, replay strips types; -0 is not 0",
    () =>
      Effect.gen(function* () {
        const repo = yield* fixtureRepo("synth-ts-build")
        const state = yield* tempDir("ratchet-synth-state-")
        yield* Effect.gen(function* () {
          const synth = yield* SynthBench.SynthBench
          const p = profile(repo, { build: "npm run build", test: "npm test" })
          const { baseline, candidate } = yield* workspaces(repo, (dir) => rewrite(dir, "src/stats.ts", "return x < 0 ? 0 : x", "return Math.max(x, 0)"))
          const c = yield* synth.capture({ workspace: baseline, source: repo, profile: p, target: { file: "src/stats.ts", name: "clampZero" } })
          expect(c, c.warnings.join("\n")).toMatchObject({ calls: 3, replayable: 3 })
          const differs = yield* synth.equivalence({ capture: c, baseline, candidate })
          expect(differs.difference).toMatchObject({ args: "-0", what: "result", original: "-0", candidate: "0" })
          // NaN equals NaN: an empty list's median replays identically
          const m = yield* synth.capture({ workspace: baseline, source: repo, profile: p, target: { file: "src/stats.ts", name: "median" } })
          expect(m).toMatchObject({ calls: 3, replayable: 3 })
          expect(yield* synth.equivalence({ capture: m, baseline, candidate })).toMatchObject({ verdict: "equivalent", compared: 3 })
        }).pipe(Effect.provide(stack(state)))
      }),
    300_000
  )
})
