/**
 * Core's `SynthBench` port: synthesized microbenchmarks from calls captured while the repository's tests run.
 *
 * - **Capture.** A throwaway copy of the baseline (dependencies reused) gets the target function instrumented
 *   (`SynthBench.instrument`); the build (when the profile has one, so TypeScript built to `dist/` carries the
 *   instrumentation) and the test command run through the sandbox with `NODE_OPTIONS=--import=<hook>`; the hook
 *   records up to 200 calls (≤ 1 MiB each, `v8.serialize`) into a directory. Ratchet's own process reads only
 *   each record's JSON header; the serialised values are deserialised inside the sandbox, by the harness.
 * - **Harness.** One generated ES module with the captured calls inside: `replay`, `compare`, `bench` modes
 *   for Ratchet, and `node harness.mjs <baseline> <candidate>` for a person. Stored as an artifact.
 * - **Equivalence.** The harness replays every call in a fresh process on the original checkout and on the
 *   candidate's, then compares (`util.isDeepStrictEqual` on results, thrown error name/constructor/message, and
 *   the arguments after the call) in a third sandboxed process; calls whose replay on the original differs from
 *   what the tests saw are left out as nondeterministic.
 * - **Timing.** `Bench.compareAll` runs `node harness.mjs bench <mode>` interleaved in fresh processes and
 *   decides with the same statistics gate as repository benchmarks.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Baseline, Synth } from "@ratchet/runner"
 *
 * const layer = Synth.layer.pipe(Layer.provideMerge(Baseline.layer({ stateDir: ".ratchet" })))
 * ```
 *
 * @since 0.2.0
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"
import { pathToFileURL } from "node:url"
import { serialize } from "node:v8"
import { ArtifactStore, RatchetError, Sandbox, SynthBench, Workspace } from "@ratchet/core"
import { Effect, Layer } from "effect"
import * as Bench from "./Bench.js"
import * as Adapters from "./internal/bench/adapters.js"
import { HOOK_SOURCE } from "./internal/synth/hook.js"
import { harnessSource } from "./internal/synth/harness.js"

/** Total serialised size of the calls a harness carries. */
const MAX_TOTAL_BYTES = 16 * 1024 * 1024
const MAX_HEADER_BYTES = 64 * 1024

interface RecordHeader {
  readonly id?: unknown
  readonly test?: unknown
  readonly kind?: unknown
  readonly replayable?: unknown
  readonly reason?: unknown
}

const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`

const tail = (text: string, max = 600): string => {
  const t = text.trim()
  return t.length > max ? `…${t.slice(t.length - max)}` : t
}

/**
 * Reads the capture directory: headers only (bounded), payloads passed through untouched.
 *
 * @internal
 */
export const readRecords = (
  dir: string,
  id: string
): {
  readonly calls: number
  readonly records: Array<{ index: number; test: string | null; payload: Buffer | null }>
  readonly tests: Array<string>
  readonly notReplayable: Map<string, number>
  readonly warnings: Array<string>
} => {
  const records: Array<{ index: number; test: string | null; payload: Buffer | null }> = []
  const tests: Array<string> = []
  const notReplayable = new Map<string, number>()
  const warnings: Array<string> = []
  let files: Array<string> = []
  try {
    files = readdirSync(dir)
      .filter((f) => /^\d{4}\.rec$/.test(f))
      .sort()
  } catch {
    return { calls: 0, records, tests, notReplayable, warnings }
  }
  let total = 0
  let calls = 0
  for (const file of files) {
    let buf: Buffer
    try {
      buf = readFileSync(join(dir, file))
    } catch {
      continue
    }
    if (buf.length < 4) continue
    const length = buf.readUInt32BE(0)
    if (length > MAX_HEADER_BYTES || 4 + length > buf.length) continue
    let header: RecordHeader
    try {
      header = JSON.parse(buf.subarray(4, 4 + length).toString("utf8")) as RecordHeader
    } catch {
      continue
    }
    if (header.id !== id) continue
    calls++
    const test = typeof header.test === "string" ? header.test.slice(0, 300) : null
    if (test !== null && !tests.includes(test)) tests.push(test)
    let payload: Buffer | null = header.replayable === true ? buf.subarray(4 + length) : null
    let reason = typeof header.reason === "string" ? header.reason.slice(0, 200) : "not replayable"
    if (payload !== null && payload.length === 0) {
      payload = null
      reason = "no recorded values"
    }
    if (payload !== null && total + payload.length > MAX_TOTAL_BYTES) {
      payload = null
      reason = `beyond the ${MAX_TOTAL_BYTES / 1024 / 1024} MiB a harness carries`
    }
    if (payload === null) notReplayable.set(reason, (notReplayable.get(reason) ?? 0) + 1)
    else total += payload.length
    records.push({ index: records.length, test, payload })
  }
  return { calls, records, tests, notReplayable, warnings }
}

/**
 * Builds the `SynthBench` service on a sandbox, workspaces and an artifact store. Temporary files (hooks,
 * capture directories, harnesses) live under one directory removed when the layer's scope closes.
 *
 * @since 0.2.0
 */
export const make = Effect.gen(function* () {
  const sandbox = yield* Sandbox.Sandbox
  const workspaces = yield* Workspace.Workspace
  const store = yield* ArtifactStore.ArtifactStore
  const root = mkdtempSync(join(tmpdir(), "ratchet-synth-"))
  chmodSync(root, 0o755)
  yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(root, { recursive: true, force: true })))
  let counter = 0
  const fresh = (name: string): string => {
    const dir = join(root, `${name}-${++counter}`)
    mkdirSync(dir, { recursive: true })
    chmodSync(dir, 0o755)
    return dir
  }
  // A step in a sandbox with a private /tmp sees only its workspace and the directories it names,
  // so the harness is copied next to what runs it (same relative path in every checkout).
  const placeHarness = (harness: string, dir: string): string => {
    const rel = join(".ratchet-synth", basename(harness))
    mkdirSync(join(dir, ".ratchet-synth"), { recursive: true })
    copyFileSync(harness, join(dir, rel))
    return rel
  }
  // the hook lives in a directory of its own that every capture step binds (a sandbox with a
  // private /tmp sees only the directories a step names)
  const hookDir = fresh("hook")
  const hookFile = join(hookDir, "capture-hook.cjs")
  writeFileSync(hookFile, HOOK_SOURCE, { mode: 0o644 })
  const captures = new Map<string, SynthBench.Capture>()
  const provide = <A, E>(effect: Effect.Effect<A, E, Sandbox.Sandbox>) => Effect.provideService(effect, Sandbox.Sandbox, sandbox)

  const capture = Effect.fn("Synth.capture")(function* (options: SynthBench.CaptureOptions) {
    const { target, profile } = options
    const key = `${options.workspace.commit ?? options.workspace.path}:${target.file}#${target.name}`
    const known = captures.get(key)
    if (known) return known
    const empty = (warning: string): SynthBench.Capture => ({ target, calls: 0, replayable: 0, tests: [], notReplayable: [], harness: null, warnings: [warning] })
    const test = profile.commands.test
    if (test === null) return empty("the repository has no test command to capture calls from")
    const result = yield* Effect.scoped(
      Effect.gen(function* () {
        const handle = yield* workspaces.prepare({
          source: options.source,
          ...(options.workspace.commit ? { commit: options.workspace.commit } : {}),
          purpose: "candidate",
          packageManager: profile.packageManager.name,
          reuseFrom: options.workspace
        })
        const file = join(handle.path, target.file)
        let original: string
        try {
          original = readFileSync(file, "utf8")
        } catch {
          return empty(`${target.file} does not exist at the baseline commit`)
        }
        const instrumented = SynthBench.instrument(original, target.file, [target.name], hookFile)
        if (instrumented.instrumented.length === 0) return empty(instrumented.skipped.map((s) => s.reason).join("; ") || `${target.name} could not be instrumented`)
        writeFileSync(file, instrumented.source)
        const out = fresh("capture")
        chmodSync(out, 0o777)
        const env = {
          NODE_OPTIONS: `--import=${pathToFileURL(hookFile).href}`,
          RATCHET_CAPTURE_DIR: out,
          RATCHET_CAPTURE_ROOT: handle.path,
          RATCHET_CAPTURE_MAX_CALLS: String(options.maxCalls ?? 200),
          RATCHET_CAPTURE_MAX_BYTES: String(options.maxCallBytes ?? 1024 * 1024)
        }
        const warnings: Array<string> = []
        const run = (name: string, spec: { command: string; cwd: string }) =>
          sandbox.run({
            command: spec.command,
            cwd: spec.cwd === "" || spec.cwd === "." ? handle.path : join(handle.path, spec.cwd),
            env,
            label: `synth:capture:${name}`,
            network: false,
            timeoutMs: 10 * 60_000,
            writable: [handle.path, out, hookDir]
          })
        if (profile.commands.build !== null) {
          const built = yield* run("build", profile.commands.build)
          if (built.exitCode !== 0) warnings.push(`the build failed with the instrumented ${target.file} (exit ${built.exitCode ?? built.signal}): ${tail(built.output, 300)}`)
        }
        let tested = yield* run("test", test)
        if (/bad option: --import|--import.*not (?:allowed|supported)/.test(tested.output)) {
          // Node older than 18.19 / 20.6: preload the same CommonJS runtime with --require
          tested = yield* sandbox.run({
            command: test.command,
            cwd: test.cwd === "" || test.cwd === "." ? handle.path : join(handle.path, test.cwd),
            env: { ...env, NODE_OPTIONS: `--require=${hookFile}` },
            label: "synth:capture:test",
            network: false,
            timeoutMs: 10 * 60_000,
            writable: [handle.path, out, hookDir]
          })
        }
        if (tested.exitCode !== 0) warnings.push(`the test command exited ${tested.exitCode ?? tested.signal} while capturing (calls recorded before that are kept): ${tail(tested.output, 300)}`)
        const read = readRecords(out, `${target.file}#${target.name}`)
        rmSync(out, { recursive: true, force: true })
        const replayable = read.records.filter((r) => r.payload !== null).length
        const notReplayable = [...read.notReplayable].map(([reason, count]) => ({ reason, count }))
        let harness: string | null = null
        if (read.calls > 0) {
          const info = `${target.name} (${target.file}): ${replayable} replayable of ${read.calls} captured call(s) from ${read.tests.length} test(s)`
          harness = join(fresh("harness"), `synthesized-${target.name.replace(/[^\w$-]/g, "_")}.mjs`)
          writeFileSync(
            harness,
            harnessSource({
              target: { file: target.file, name: target.name, id: `${target.file}#${target.name}`, reference: instrumented.references[target.name] ?? target.name },
              info,
              data: serialize(read.records)
            }),
            { mode: 0o644 }
          )
        } else {
          warnings.push(`no call of ${target.name} was recorded while the tests ran (no test calls it, or the tests do not load ${target.file})`)
        }
        return { target, calls: read.calls, replayable, tests: read.tests, notReplayable, harness, warnings: [...warnings, ...read.warnings] } satisfies SynthBench.Capture
      })
    )
    captures.set(key, result)
    return result
  })

  const equivalence = Effect.fn("Synth.equivalence")(function* (options: {
    readonly capture: SynthBench.Capture
    readonly baseline: Workspace.WorkspaceHandle
    readonly candidate: Workspace.WorkspaceHandle
  }) {
    const { capture: c } = options
    const unproven = (reason: string): SynthBench.Equivalence => ({ verdict: "unproven", compared: 0, nondeterministic: 0, difference: null, reason })
    if (c.harness === null || c.replayable === 0) {
      return unproven(`no replayable call of ${c.target.name} was captured${c.notReplayable.length > 0 ? ` (${c.notReplayable.map((n) => `${n.count} with ${n.reason}`).join("; ")})` : ""}`)
    }
    const dirA = fresh("replay-original")
    const dirB = fresh("replay-candidate")
    const replay = (handle: Workspace.WorkspaceHandle, dir: string, label: string) =>
      sandbox.run({
        command: `node ${quote(placeHarness(c.harness!, handle.path))} replay ${quote(join(dir, "out.bin"))}`,
        cwd: handle.path,
        label,
        network: false,
        timeoutMs: 5 * 60_000,
        writable: [handle.path, dir]
      })
    const a = yield* replay(options.baseline, dirA, "synth:replay:original")
    if (a.exitCode !== 0) return unproven(`the harness could not replay ${c.target.name} on the original (exit ${a.exitCode ?? a.signal}): ${tail(a.output, 400)}`)
    const b = yield* replay(options.candidate, dirB, "synth:replay:candidate")
    if (b.exitCode !== 0) {
      return {
        verdict: "different",
        compared: 0,
        nondeterministic: 0,
        difference: null,
        reason: `replaying the captured calls of ${c.target.name} fails on the candidate (exit ${b.exitCode ?? b.signal}) but not on the original: ${tail(b.output, 400)}`
      } satisfies SynthBench.Equivalence
    }
    const cmp = fresh("compare")
    copyFileSync(join(dirA, "out.bin"), join(cmp, "original.bin"))
    copyFileSync(join(dirB, "out.bin"), join(cmp, "candidate.bin"))
    const compared = yield* sandbox.run({
      command: `node ${quote(placeHarness(c.harness, cmp))} compare original.bin candidate.bin`,
      cwd: cmp,
      label: "synth:compare",
      network: false,
      timeoutMs: 5 * 60_000,
      writable: [cmp]
    })
    const line = compared.stdout.trim().split("\n").pop() ?? ""
    type Compared = { compared?: unknown; nondeterministic?: unknown; difference?: unknown }
    let parsed: Compared | null = null
    try {
      parsed = JSON.parse(line) as Compared
    } catch {
      parsed = null
    }
    if (compared.exitCode !== 0 || parsed === null || typeof parsed.compared !== "number" || typeof parsed.nondeterministic !== "number") {
      return unproven(`comparing the replays failed (exit ${compared.exitCode ?? compared.signal}): ${tail(compared.output, 400)}`)
    }
    const nondeterministic = parsed.nondeterministic
    const d = parsed.difference as Record<string, unknown> | null
    if (d !== null && typeof d === "object") {
      const difference: SynthBench.CallDifference = {
        call: typeof d.call === "number" ? d.call : 0,
        test: typeof d.test === "string" ? d.test : null,
        args: String(d.args ?? ""),
        what: String(d.what ?? "result"),
        original: String(d.original ?? ""),
        candidate: String(d.candidate ?? "")
      }
      return {
        verdict: "different",
        compared: parsed.compared,
        nondeterministic,
        difference,
        reason: `behaviour changed on a captured call of ${c.target.name}: ${SynthBench.formatDifference(difference)}`
      } satisfies SynthBench.Equivalence
    }
    if (parsed.compared === 0) {
      return unproven(`every captured call of ${c.target.name} (${nondeterministic}) replays differently from what the tests saw on the original itself (it depends on time, randomness, \`this\` or state outside its arguments)`)
    }
    return {
      verdict: "equivalent",
      compared: parsed.compared,
      nondeterministic,
      difference: null,
      reason: `identical results, errors and argument mutations on ${parsed.compared} captured call(s) of ${c.target.name}${nondeterministic > 0 ? ` (${nondeterministic} nondeterministic call(s) left out)` : ""}`
    } satisfies SynthBench.Equivalence
  })

  const compare = Effect.fn("Synth.compare")(function* (options: {
    readonly capture: SynthBench.Capture
    readonly baseline: Workspace.WorkspaceHandle
    readonly candidate: Workspace.WorkspaceHandle
    readonly mode: SynthBench.Mode
    readonly threshold: number
    readonly maxRounds?: number
    readonly alpha?: number
  }) {
    const { capture: c, mode } = options
    if (c.harness === null) return { mode, verdict: "failed", result: null, reason: "nothing was captured to time" } satisfies SynthBench.Comparison
    const harness = placeHarness(c.harness, options.baseline.path)
    placeHarness(c.harness, options.candidate.path)
    const outcome = yield* provide(
      Bench.compareAll({
        baselineDir: options.baseline.path,
        candidateDir: options.candidate.path,
        command: `node ${quote(harness)} bench ${mode}`,
        adapter: Adapters.ratchetLine,
        threshold: options.threshold,
        ...(options.maxRounds !== undefined ? { maxRounds: options.maxRounds } : {}),
        ...(options.alpha !== undefined ? { alpha: options.alpha } : {})
      })
    ).pipe(
      Effect.map((r) => ({ ok: true as const, r })),
      Effect.catch((error: RatchetError.RatchetError) => Effect.succeed({ ok: false as const, error }))
    )
    if (!outcome.ok) return { mode, verdict: "failed", result: null, reason: `the synthesized benchmark failed on the original: ${outcome.error.message}` } satisfies SynthBench.Comparison
    const r = outcome.r
    if (r === null || r.result === null) return { mode, verdict: "failed", result: null, reason: r?.reason ?? "the synthesized benchmark reported no samples" } satisfies SynthBench.Comparison
    return { mode, verdict: r.verdict, result: r.result, reason: r.reason } satisfies SynthBench.Comparison
  })

  const artifact = Effect.fn("Synth.artifact")(function* (c: SynthBench.Capture) {
    if (c.harness === null) return null
    const text = yield* Effect.try({
      try: () => readFileSync(c.harness!, "utf8"),
      catch: (e) => RatchetError.ioFailure(c.harness!, `cannot read the generated harness: ${String(e)}`)
    })
    return yield* store.put(`synthesized-${c.target.name.replace(/[^\w$-]/g, "_")}.mjs`, text)
  })

  return SynthBench.SynthBench.of({ capture, equivalence, compare, artifact })
})

/**
 * The `SynthBench` port on the local sandbox, workspaces and artifact store of the host.
 *
 * @since 0.2.0
 */
export const layer: Layer.Layer<SynthBench.SynthBench, never, Sandbox.Sandbox | Workspace.Workspace | ArtifactStore.ArtifactStore> = Layer.effect(
  SynthBench.SynthBench,
  make
)
