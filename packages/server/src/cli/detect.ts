/**
 * `ratchet detect [dir] [--json]`: prints the repository profile.
 */
import { Effect } from "effect"
import { Command } from "effect/cli"
import { Detect, type RepoProfile } from "@ratchet/core"
import { print, printJson } from "./Output.js"
import { configFlag, dirArgument, jsonFlag, loadConfig, repositoryRoot, type Subcommand } from "./Shared.js"
import { table } from "./Table.js"

const pct = (n: number) => `${Math.round(n * 100)}%`

/** Human summary of a profile. */
export const formatProfile = (profile: RepoProfile.RepoProfile): string => {
  const pm = profile.packageManager
  const lines = [
    `Repository  ${profile.root}`,
    `Package manager  ${pm.name}${pm.variant ? ` (${pm.variant})` : ""}${pm.version ? ` ${pm.version}` : ""}  confidence ${pct(pm.confidence)}`,
    `Workspaces  ${profile.workspaces.length === 0 ? "none" : profile.workspaces.join(", ")}`,
    `Frameworks  ${profile.frameworks.length === 0 ? "none" : profile.frameworks.map((f) => `${f.name}${f.version ? ` ${f.version}` : ""}`).join(", ")}`,
    "",
    table(
      ["step", "command", "cwd", "confidence", "evidence"],
      (["install", "build", "typecheck", "test", "bench"] as const).map((name) => {
        const spec = profile.commands[name]
        if (!spec) return [name, "—", "", "", ""]
        const ev = spec.evidence[0]
        return [name, spec.command, spec.cwd, pct(spec.confidence), ev ? `${ev.file}${ev.line ? `:${ev.line}` : ""}` : ""]
      })
    )
  ]
  if (profile.warnings.length > 0) lines.push("", "Warnings:", ...profile.warnings.map((w) => `  ! ${w}`))
  if (profile.question) lines.push("", `Question: ${profile.question}`)
  return lines.join("\n")
}

export const detectCommand: Subcommand<"detect"> = Command.make("detect", { dir: dirArgument, json: jsonFlag, config: configFlag }, (args) =>
  Effect.gen(function* () {
    const root = yield* repositoryRoot(args.dir)
    const config = yield* loadConfig(root, args.config)
    const profile = yield* Detect.detect(root, { config })
    yield* args.json ? printJson(profile) : print(formatProfile(profile))
  })
).pipe(Command.withDescription("Detect package manager, workspaces, frameworks and the install/build/typecheck/test/bench commands"))
