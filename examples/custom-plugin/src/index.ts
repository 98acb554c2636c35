import { Plugin } from "@ratchet/core"

/** Options of {@link noConsoleLog}. */
export interface NoConsoleLogOptions {
  /** `BLOCK` refuses patches that add `console.log`; `WARN` only records it. */
  readonly severity?: "WARN" | "BLOCK"
}

/**
 * A policy rule and a scanner rule in one plugin: flags `console.log` in sources,
 * and refuses (or warns about) patches that add one.
 */
export const noConsoleLog = (options: NoConsoleLogOptions = {}): Plugin.Plugin =>
  Plugin.definePlugin({
    name: "acme:no-console-log",
    scan: (file) =>
      file.text.split("\n").flatMap((line, i) =>
        line.includes("console.log(")
          ? [
              {
                rule: "acme:no-console-log",
                kind: "tech-debt" as const,
                startLine: i + 1,
                endLine: i + 1,
                rationale: "console.log left in source",
                risk: "low" as const,
                confidence: 0.6
              }
            ]
          : []
      ),
    policy: {
      order: "post",
      handler: (patch) =>
        patch.files.flatMap((f) =>
          f.hunks.some((h) => h.lines.some((l) => l.type === "add" && l.text.includes("console.log(")))
            ? [
                {
                  rule: "acme:no-console-log",
                  severity: options.severity ?? "BLOCK",
                  file: f.newPath,
                  message: "the patch adds a console.log"
                }
              ]
            : []
        )
    }
  })
