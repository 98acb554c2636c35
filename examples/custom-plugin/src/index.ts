import { Plugin, ScanRule } from "@ratchet/core"

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

/**
 * A scanner rule written as a tree-sitter query plus a TypeScript predicate: `await` on a call inside a
 * `forEach` callback, which `forEach` never waits for (the loop finishes before the work does).
 */
export const awaitInForEach = (): Plugin.Plugin =>
  ScanRule.query({
    name: "acme:await-in-foreach",
    query: `(call_expression
              function: (member_expression property: (property_identifier) @method (#eq? @method "forEach"))
              arguments: (arguments (arrow_function "async" @async))) @match`,
    prefilter: "forEach(async",
    // the predicate: only callbacks that actually await something
    where: (m) => /\bawait\b/.test(m.captures.match?.text ?? ""),
    kind: "tech-debt",
    risk: "medium",
    confidence: 0.8,
    rationale: "forEach does not wait for async callbacks: the loop ends before their work does; use for…of with await, or Promise.all"
  })

