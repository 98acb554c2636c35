/**
 * Human summary of a `RepoProfile`.
 */
import type { CommandSpec, Evidence, RepoProfile } from "../../RepoProfile.js"

const where = (e: Evidence): string => (e.line !== undefined ? `${e.file}:${e.line}` : e.file)
const pct = (n: number): string => `${Math.round(n * 100)}%`

export const formatProfile = (profile: RepoProfile): string => {
  const lines: Array<string> = []
  const pm = profile.packageManager
  lines.push(`Repository  ${profile.root}`)
  const pmName = `${pm.name}${pm.variant ? ` (${pm.variant}${pm.linker === "pnp" ? ", Plug'n'Play" : ""})` : ""}${pm.version ? ` ${pm.version}` : ""}`
  lines.push(`Package manager  ${pmName}  confidence ${pct(pm.confidence)}${pm.evidence[0] ? `  (${pm.evidence[0].detail} — ${where(pm.evidence[0])})` : ""}`)
  lines.push(`Workspaces  ${profile.workspaces.length > 0 ? profile.workspaces.join(", ") : "none"}`)
  const fws = profile.frameworks.map((f) => `${f.name}${f.version ? ` ${f.version}` : ""}`)
  lines.push(`Frameworks  ${fws.length > 0 ? fws.join(", ") : "none detected"}`)
  if (profile.tools && profile.tools.length > 0) lines.push(`Tools  ${profile.tools.map((t) => `${t.name}${t.version ? ` ${t.version}` : ""}`).join(", ")}`)
  lines.push("")
  lines.push("Commands")
  const names = ["install", "build", "typecheck", "test", "bench"] as const
  const width = Math.max(...names.map((n) => n.length))
  for (const name of names) {
    const c: CommandSpec | null = profile.commands[name]
    if (c === null) {
      lines.push(`  ${name.padEnd(width)}  —  (not found)`)
      continue
    }
    const cwd = c.cwd === "." ? "" : `  [in ${c.cwd}]`
    lines.push(`  ${name.padEnd(width)}  ${c.command}${cwd}  confidence ${pct(c.confidence)}`)
    if (c.evidence[0]) lines.push(`  ${"".padEnd(width)}    from ${where(c.evidence[0])}: ${c.evidence[0].detail}`)
  }
  if (profile.projects && profile.projects.length > 1) {
    lines.push("")
    lines.push(`Projects (${profile.projects.length}; commands above are for the first)`)
    for (const p of profile.projects) {
      lines.push(`  ${p.dir}/  ${p.packageManager.name}${p.workspaces.length > 0 ? `  workspaces ${p.workspaces.join(", ")}` : ""}`)
      const test = p.commands.test
      if (test) lines.push(`    test  ${test.command}${test.cwd === "." ? "" : `  [in ${test.cwd}]`}`)
    }
  }
  if (profile.warnings.length > 0) {
    lines.push("")
    lines.push(`Warnings (${profile.warnings.length})`)
    for (const w of profile.warnings) lines.push(`  ! ${w}`)
  }
  if (profile.question) {
    lines.push("")
    lines.push(`Question  ${profile.question}`)
  }
  return lines.join("\n")
}
