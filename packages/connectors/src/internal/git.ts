/**
 * Running `git` for the connectors: hermetic config (no user/system config, no hooks, no
 * signing, no prompts), fixed identity, and a timeout.
 *
 * @internal
 */
import { execa } from "execa"

export interface GitResult {
  readonly ok: boolean
  readonly stdout: string
  readonly stderr: string
  readonly exitCode: number | null
  readonly timedOut: boolean
}

export const AUTHOR_NAME = "Ratchet"
export const AUTHOR_EMAIL = "ratchet@localhost"

export const git = async (
  args: ReadonlyArray<string>,
  options: { cwd?: string; timeoutMs?: number; env?: Record<string, string>; input?: string } = {}
): Promise<GitResult> => {
  const result = await execa(
    "git",
    [
      "-c", "safe.directory=*",
      "-c", "core.hooksPath=/dev/null",
      "-c", "protocol.ext.allow=never",
      "-c", "commit.gpgSign=false",
      "-c", "init.defaultBranch=main",
      "-c", "advice.detachedHead=false",
      ...args
    ],
    {
      cwd: options.cwd,
      reject: false,
      ...(options.input === undefined ? { stdin: "ignore" as const } : { input: options.input }),
      timeout: options.timeoutMs ?? 5 * 60_000,
      env: {
        GIT_TERMINAL_PROMPT: "0",
        GIT_ASKPASS: "true",
        SSH_ASKPASS: "true",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        LC_ALL: "C",
        ...options.env
      },
      stripFinalNewline: false,
      maxBuffer: 64 * 1024 * 1024
    }
  )
  return {
    ok: result.exitCode === 0,
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr ?? "").trim(),
    exitCode: typeof result.exitCode === "number" ? result.exitCode : null,
    timedOut: result.timedOut === true
  }
}
