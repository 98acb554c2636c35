/**
 * `ratchet scan [dir] [--json]`: prints ranked improvement opportunities.
 */
import { Effect } from "effect"
import { Command } from "effect/cli"
import { type Opportunity, Scan } from "@ratchet/core"
import { print, printJson } from "./Output.js"
import { configFlag, dirArgument, jsonFlag, loadConfig, repositoryRoot, type Subcommand } from "./Shared.js"
import { table } from "./Table.js"

/** Human summary of a scan. */
export const formatScan = (result: Opportunity.ScanResult): string => {
  const { files, bytes, durationMs } = result.stats
  const head = `Scanned ${files} files (${(bytes / 1024 / 1024).toFixed(2)} MB) in ${Math.round(durationMs)} ms — ${result.opportunities.length} opportunities`
  if (result.opportunities.length === 0) return head
  return [
    head,
    "",
    table(
      ["rule", "kind", "location", "risk", "confidence"],
      result.opportunities.map((o) => [o.rule, o.kind, `${o.file}:${o.startLine}`, o.risk, `${Math.round(o.confidence * 100)}%`])
    )
  ].join("\n")
}

export const scanCommand: Subcommand<"scan"> = Command.make("scan", { dir: dirArgument, json: jsonFlag, config: configFlag }, (args) =>
  Effect.gen(function* () {
    const root = yield* repositoryRoot(args.dir)
    const config = yield* loadConfig(root, args.config)
    const result = yield* Scan.scan(root, { plugins: config.plugins })
    yield* args.json ? printJson(result) : print(formatScan(result))
  })
).pipe(Command.withDescription("Scan JS/TS sources for improvement opportunities (tree-sitter rules and text heuristics)"))
