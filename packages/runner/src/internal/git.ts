/**
 * Running `git` for the workspace manager (never for repository code).
 *
 * @internal
 */
import { execa } from "execa"

export interface GitResult {
  readonly ok: boolean
  readonly stdout: string
  readonly stderr: string
  readonly exitCode: number | null
}

export const git = async (args: ReadonlyArray<string>, options: { cwd?: string; timeoutMs?: number } = {}): Promise<GitResult> => {
  const result = await execa("git", ["-c", "safe.directory=*", "-c", "core.hooksPath=/dev/null", "-c", "protocol.ext.allow=never", ...args], {
    cwd: options.cwd,
    reject: false,
    stdin: "ignore",
    timeout: options.timeoutMs ?? 10 * 60_000,
    env: { GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "true", LC_ALL: "C" },
    maxBuffer: 64 * 1024 * 1024
  })
  return {
    ok: result.exitCode === 0,
    stdout: String(result.stdout ?? "").trim(),
    stderr: String(result.stderr ?? "").trim(),
    exitCode: typeof result.exitCode === "number" ? result.exitCode : null
  }
}
