/**
 * `ratchet policy [diff-file|-] [--config FILE] [--json]`: checks a diff against the policy.
 * Exit 0 whether the diff is allowed or not; 2 on an unreadable, empty, binary or unparsable diff (naming the line).
 */
import { readFileSync, statSync } from "node:fs"
import { resolve } from "node:path"
import { Effect } from "effect"
import { Argument, Command } from "effect/cli"
import { Config, RatchetError } from "@ratchet/core"
import { Diff, PolicyEngine } from "@ratchet/policy"
import { print, printJson } from "./Output.js"
import { configFlag, jsonFlag, type Subcommand } from "./Shared.js"
import { table } from "./Table.js"

const MAX_DIFF_BYTES = 64 * 1024 * 1024

const readDiff = (file: string): Effect.Effect<string, RatchetError.RatchetError> =>
  Effect.try({
    try: () => {
      if (file !== "-" && statSync(resolve(file)).size > MAX_DIFF_BYTES) throw new Error(`it is larger than ${MAX_DIFF_BYTES / 1024 / 1024} MB`)
      const buffer = file === "-" ? readFileSync(0) : readFileSync(resolve(file))
      if (buffer.byteLength > MAX_DIFF_BYTES) throw new Error(`it is larger than ${MAX_DIFF_BYTES / 1024 / 1024} MB`)
      return buffer.toString("utf8")
    },
    catch: (cause) =>
      RatchetError.badInput({
        what: `cannot read the diff: ${cause instanceof Error ? cause.message.replace(/^[A-Z]+: /, "") : String(cause)}`,
        where: file === "-" ? "stdin" : resolve(file),
        fix: "pass a readable unified diff file, or - to read it from stdin"
      })
  })

/** Human rendering of a policy decision. */
export const formatDecision = (decision: PolicyEngine.PolicyDecision): string => {
  const head = decision.allowed ? "ALLOWED" : "BLOCKED"
  if (decision.verdicts.length === 0) return `${head}: no findings`
  return `${head}\n\n${table(
    ["severity", "rule", "file", "message"],
    decision.verdicts.map((v) => [v.severity, v.rule, v.file ?? "", v.message])
  )}`
}

export const policyCommand: Subcommand<"policy"> = Command.make(
  "policy",
  {
    diff: Argument.String("diff-file").pipe(Argument.withDescription("a unified diff file, or - for stdin"), Argument.withDefault("-")),
    json: jsonFlag,
    config: configFlag
  },
  (args) =>
    Effect.gen(function* () {
      const config = yield* Config.loadConfig(process.cwd(), args.config._tag === "Some" ? resolve(args.config.value) : undefined)
      const text = yield* readDiff(args.diff)
      const where = args.diff === "-" ? "stdin" : resolve(args.diff)
      if (text.includes("\0")) {
        return yield* Effect.fail(
          RatchetError.badInput({ what: "the diff is binary data (it contains NUL bytes), not a unified diff", where, fix: "pass the text output of git diff (binary files appear in it as \"Binary files … differ\" or a GIT binary patch)" })
        )
      }
      // A diff that changes nothing is bad input, not "ALLOWED": usually an empty `git diff` piped in by mistake.
      const changed = yield* Diff.parse(text).pipe(Effect.map((patch) => patch.files.length > 0), Effect.orElseSucceed(() => true))
      if (!changed) {
        return yield* Effect.fail(
          RatchetError.badInput({ what: text.trim() === "" ? "the diff is empty" : "the input contains no file change (no diff --git / ---/+++ section)", where, fix: "pass a unified diff with at least one changed file, as produced by git diff" })
        )
      }
      const decision = yield* PolicyEngine.evaluate(text, { ...config.policy, plugins: config.plugins }).pipe(
        Effect.mapError((error) => {
          const reason = error.reason
          return reason._tag === "DiffInvalid"
            ? RatchetError.badInput({
                what: `unparsable diff at line ${reason.line} (${JSON.stringify(reason.text)}): ${reason.detail}`,
                where: args.diff === "-" ? "stdin" : resolve(args.diff),
                fix: "pass a unified diff as produced by git diff"
              })
            : RatchetError.badInput({
                what: `invalid policy option ${reason.field}: ${reason.detail}`,
                where: config.file ?? "policy options",
                fix: "fix the policy section of ratchet.config.ts"
              })
        })
      )
      yield* args.json ? printJson(decision) : print(formatDecision(decision))
    })
).pipe(Command.withDescription("Check a unified diff against the policy (limits, forbidden paths, secrets); exit 0 either way"))
