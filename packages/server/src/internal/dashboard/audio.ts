/**
 * Audio summaries of proposals: a short text (what changed, the measured gain, the risk) spoken to
 * a WAV file offline by `espeak-ng` (Debian package `espeak-ng`), stored as an artifact of the
 * proposal. The binary is `RATCHET_ESPEAK` when set, else `espeak-ng` on the PATH.
 *
 * @internal
 */
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import type { ProposalData } from "./pages/proposals.js"

/** Whether espeak-ng can be run, and if not, why. */
export type Availability = { readonly ok: true; readonly version: string } | { readonly ok: false; readonly detail: string }

const run = (binary: string, args: ReadonlyArray<string>, input: string | null, timeoutMs: number) =>
  Effect.callback<{ readonly stdout: string }, Error>((resume) => {
    const child = execFile(binary, [...args], { timeout: timeoutMs, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8" } }, (error, stdout) => {
      if (error !== null) resume(Effect.fail(error))
      else resume(Effect.succeed({ stdout }))
    })
    if (input !== null) child.stdin?.end(input)
    else child.stdin?.end()
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** The espeak-ng binary to use. */
export const binary = (env: Readonly<Record<string, string | undefined>> = process.env): string => env.RATCHET_ESPEAK || "espeak-ng"

/** Checks that the binary runs (its version line). */
export const availability = (bin: string): Effect.Effect<Availability> =>
  run(bin, ["--version"], null, 5_000).pipe(
    Effect.map(({ stdout }): Availability => ({ ok: true, version: stdout.trim().split("\n")[0] ?? "espeak-ng" })),
    Effect.catch((e) =>
      Effect.succeed<Availability>({
        ok: false,
        detail: (e as NodeJS.ErrnoException).code === "ENOENT" ? `${bin} is not installed on this server.` : `${bin} does not run: ${e.message.split("\n")[0]}`
      })
    )
  )

const say = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`

/** The text that is spoken: what changed, the measured gain, the risk, in a few short sentences. */
export const summaryText = (title: string, d: ProposalData, repoName: string): string => {
  const parts: Array<string> = [`Ratchet proposal for ${repoName}: ${title.replace(/\(([^)]*)\)/g, "in $1").replace(/[`*_#]/g, "")}.`]
  const added = d.diff.split("\n").filter((l) => l.startsWith("+") && !l.startsWith("+++")).length
  const removed = d.diff.split("\n").filter((l) => l.startsWith("-") && !l.startsWith("---")).length
  parts.push(`${say(d.files.length, "file")} changed, ${added} ${added === 1 ? "line" : "lines"} added, ${removed} removed.`)
  const b = d.benchmark
  const pct = (v: number) => `${Math.round(Math.abs(v * 100))} percent`
  if (b === null) parts.push("No benchmark covers it, so no speedup is claimed.")
  else if (b.change < 0) parts.push(`${b.name} is ${pct(b.change)} faster; with 95 percent confidence, between ${pct(b.ciHigh)} and ${pct(b.ciLow)}.`)
  else parts.push(`${b.name} is ${pct(b.change)} slower.`)
  if (d.tests !== null) parts.push(d.tests.failed === 0 ? `All ${d.tests.passed} tests pass.` : `${d.tests.failed} of ${d.tests.passed + d.tests.failed} tests fail.`)
  const blocks = d.policy.filter((v) => v.severity === "BLOCK").length
  const warns = d.policy.filter((v) => v.severity === "WARN").length
  parts.push(blocks > 0 ? `${say(blocks, "policy rule")} blocks it.` : warns > 0 ? `${say(warns, "policy warning")}.` : "No policy rule fired.")
  parts.push(`Risk: ${d.risk ?? "not rated"}.`)
  return parts.join(" ")
}

/** Speaks `text` to WAV bytes. */
export const speak = (bin: string, text: string): Effect.Effect<Uint8Array, Error> =>
  Effect.acquireUseRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "ratchet-audio-"))),
    (dir) =>
      Effect.gen(function* () {
        const file = join(dir, "summary.wav")
        yield* run(bin, ["-v", "en-us", "-s", "170", "--stdin", "-w", file], text, 30_000)
        return new Uint8Array(readFileSync(file))
      }),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

/** The length of a PCM WAV file in seconds (from its header), or `null` when it is not one. */
export const wavSeconds = (wav: Uint8Array): number | null => {
  if (wav.byteLength < 44 || new TextDecoder().decode(wav.slice(0, 4)) !== "RIFF") return null
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength)
  const byteRate = view.getUint32(28, true)
  return byteRate > 0 ? (wav.byteLength - 44) / byteRate : null
}

const timestamp = (seconds: number): string => {
  const ms = Math.max(0, Math.round(seconds * 1000))
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor((ms % 3_600_000) / 60_000)
  const s = (ms % 60_000) / 1000
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${s.toFixed(3).padStart(6, "0")}`
}

/** WebVTT captions of the summary: its sentences spread over the audio's length by their size. */
export const captions = (transcript: string, seconds: number): string => {
  const sentences = transcript.match(/[^.!?;]+[.!?;]+|[^.!?;]+$/g)?.map((x) => x.trim()).filter(Boolean) ?? [transcript]
  const total = sentences.reduce((n, x) => n + x.length, 0) || 1
  let at = 0
  const cues = sentences.map((sentence) => {
    const length = (sentence.length / total) * seconds
    const cue = `${timestamp(at)} --> ${timestamp(at + length)}\n${sentence.replace(/-->/g, "→")}`
    at += length
    return cue
  })
  return `WEBVTT\n\n${cues.join("\n\n")}\n`
}
