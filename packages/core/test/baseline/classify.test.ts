import { describe, expect, it } from "@effect/vitest"
import { Baseline } from "@ratchet/core"

const failed = (output: string) =>
  Baseline.classify("install", {
    command: "pnpm install",
    cwd: ".",
    exitCode: 1,
    signal: null,
    timedOut: false,
    durationMs: 1,
    cpuMs: 1,
    peakMemoryBytes: null,
    output,
    stdout: output,
    stderr: "",
    droppedBytes: 0,
    warnings: []
  })

// The reason of a failed step quotes what the tool said, not its stack trace (pnpm's output on an unreachable registry).
describe("Baseline.classify", () => {
  it("quotes pnpm's error line, not the stack frames after it", () => {
    const output = [
      "Progress: resolved 829, reused 0, downloaded 814, added 819",
      " WARN  GET https://registry.example/a.tgz error (ENOTFOUND). Will retry in 1 minute. 1 retries left.",
      " ENOTFOUND  request to https://registry.example/a.tgz failed, reason: getaddrinfo ENOTFOUND registry.example",
      "",
      "FetchError: request to https://registry.example/a.tgz failed, reason: getaddrinfo ENOTFOUND registry.example",
      "    at ClientRequest.<anonymous> (/tools/pnpm.cjs:41643:18)",
      "    at emitErrorNT (node:internal/streams/destroy:170:8)",
      "    at process.processTicksAndRejections (node:internal/process/task_queues:90:21)"
    ].join("\n")
    expect(failed(output)).toEqual({
      outcome: "failed",
      reason: "install failed with exit code 1: ENOTFOUND  request to https://registry.example/a.tgz failed, reason: getaddrinfo ENOTFOUND registry.example"
    })
  })

  it("without a package-manager error line, the last lines that are not stack frames", () => {
    const output = ["building", "Error: cannot find module './x'", "    at require (node:internal/modules:1:1)", "    at main (build.js:3:1)"].join("\n")
    expect(failed(output).reason).toBe("install failed with exit code 1: building | Error: cannot find module './x'")
  })

  it("a test runner's PASS lines are not error lines", () => {
    const output = [" PASS  src/a.test.js", " FAIL  src/b.test.js", "Tests: 1 failed, 1 passed"].join("\n")
    expect(failed(output).reason).toBe("install failed with exit code 1: FAIL  src/b.test.js")
  })
})
