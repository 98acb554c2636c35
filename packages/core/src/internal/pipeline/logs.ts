/**
 * Per-step logs of a baseline, for people: `Baseline.run` stores one `logs.txt` whose sections
 * start with `===== <step>: <command>`; this splits it by step and keeps the tail of each (where
 * the errors are) within a byte budget. (Secrets are a host's concern: the server's artifact store
 * scrubs logs as it stores them, and it redacts stage outputs before keeping them.)
 *
 * @internal
 */

/** The most kept per step, in UTF-8 bytes. */
export const STEP_LOG_BYTES = 24 * 1024

/** The end of `text` within `maxBytes` UTF-8 bytes, saying how much was left out. */
export const tail = (text: string, maxBytes: number): string => {
  const bytes = Buffer.from(text, "utf8")
  if (bytes.byteLength <= maxBytes) return text
  // start at a character boundary (skip UTF-8 continuation bytes) and at a line when one is near
  let start = bytes.byteLength - maxBytes
  while (start < bytes.byteLength && (bytes[start] & 0xc0) === 0x80) start++
  let kept = bytes.subarray(start).toString("utf8")
  const newline = kept.indexOf("\n")
  if (newline !== -1 && newline < 200) kept = kept.slice(newline + 1)
  return `… ${bytes.byteLength - Buffer.byteLength(kept, "utf8")} earlier bytes left out …\n${kept}`
}

/**
 * The sections of a baseline's `logs.txt` for the given steps (`install`, `test`, `test (rerun)`, …),
 * by step name: their tails. A section starts at the line `===== <step>: ` of a known step (the
 * other `===== ` lines of a section — cwd, environment, exit, warnings — stay in it).
 */
export const stepLogs = (logs: string, steps: ReadonlyArray<string>, maxBytes: number = STEP_LOG_BYTES): Record<string, string> => {
  const out: Record<string, string> = {}
  const known = new Set(steps)
  const starts: Array<{ readonly name: string; readonly at: number }> = []
  for (const m of logs.matchAll(/^===== ([^\n]+?): /gm)) {
    if (known.has(m[1]) && !starts.some((s) => s.name === m[1])) starts.push({ name: m[1], at: m.index })
  }
  starts.forEach((s, n) => {
    const section = logs.slice(s.at, n + 1 < starts.length ? starts[n + 1].at : logs.length).replace(/\n+$/, "")
    out[s.name] = tail(section, maxBytes)
  })
  return out
}
