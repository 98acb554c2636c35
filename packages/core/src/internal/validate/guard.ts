/**
 * The reward-hack guard: a candidate may not change what measures it. Files of tests, benchmarks and
 * Ratchet's own harness are off limits whatever the timing says.
 */
import type { RepoProfile } from "../../RepoProfile.js"

const TEST_FILE = /(?:^|\/)(?:[^/]+\.(?:test|spec|e2e)\.[cm]?[jt]sx?|__tests__\/.*|tests?\/.*|spec\/.*|__mocks__\/.*|test-utils?\/.*)$/i
const BENCH_FILE = /(?:^|\/)(?:[^/]+\.(?:bench|benchmark)\.[cm]?[jt]sx?|benchmarks?\/.*|bench\/.*|perf\/.*)$/i
const RUNNER_CONFIG = /(?:^|\/)(?:vitest|jest|ava|mocha|playwright|c8|nyc)\.config\.[cm]?[jt]s$|(?:^|\/)\.(?:mocharc|c8rc|nycrc|taprc)(?:\.[a-z]+)?$|(?:^|\/)jest\.setup\.[cm]?[jt]s$/i
const HARNESS = /(?:^|\/)(?:\.ratchet[^/]*(?:\/.*)?|synthesized-[^/]+\.mjs|ratchet-capture[^/]*)$/i

/** Script files a shell command runs (`node bench/run.mjs`, `tsx scripts/bench.ts`), relative to its cwd. */
const scriptFiles = (command: string): Array<string> => [...command.matchAll(/(?:^|[\s;&|(])(?:node|tsx|ts-node|bun|deno run)\s+(?:--?[\w-]+(?:=\S+)?\s+)*([^\s;&|()]+\.[cm]?[jt]sx?)\b/g)].map((m) => m[1].replace(/^\.\//, ""))

/**
 * The files of a candidate that belong to what measures it: tests, benchmarks (by name, folder, and the scripts
 * the profile's test and bench commands run), test-runner configuration, and Ratchet's harness. Each with why.
 */
export const measuringFiles = (files: ReadonlyArray<string>, profile: RepoProfile | null): Array<string> => {
  const scripts = new Map<string, string>()
  for (const name of ["test", "bench"] as const) {
    const spec = profile?.commands[name]
    if (!spec) continue
    for (const file of scriptFiles(spec.command)) scripts.set(spec.cwd === "" || spec.cwd === "." ? file : `${spec.cwd.replace(/\/$/, "")}/${file}`, name)
  }
  const out: Array<string> = []
  for (const file of files) {
    const f = file.replace(/^\.\//, "")
    if (HARNESS.test(f)) out.push(`${f} (Ratchet's harness)`)
    else if (scripts.has(f)) out.push(`${f} (run by the ${scripts.get(f)} command)`)
    else if (BENCH_FILE.test(f)) out.push(`${f} (a benchmark)`)
    else if (TEST_FILE.test(f)) out.push(`${f} (a test)`)
    else if (RUNNER_CONFIG.test(f)) out.push(`${f} (test or benchmark configuration)`)
  }
  return out
}
