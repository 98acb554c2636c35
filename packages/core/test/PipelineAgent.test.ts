/**
 * The LLM agent inside core's composition: one `validate/llm` stage call after the template
 * candidates (which then do not close the stage), its candidates validated by the stage's validate
 * function and packaged like every other, and — with a host that stores each call's result, as the
 * server's durable executor does — a resumed run replays what the agent did instead of calling
 * the models again.
 */
import { describe, expect, it } from "@effect/vitest"
import { type Candidate, LlmCall, Pipeline } from "@ratchet/core"
import { Effect, Layer, Schema } from "effect"
import { fakeStages } from "../src/internal/pipeline/fake.js"

const summary = (stopped: string | null): LlmCall.LlmRunSummary => ({
  triage: "openai-compatible:scripted",
  patch: "openai-compatible:scripted",
  calls: [],
  totals: LlmCall.totalsOf([]),
  budget: { usd: 1, tokens: null, dailyUsd: null, dailyTokens: null },
  stopped,
  hotspots: [],
  targets: [],
  warnings: []
})

const llmCandidate = (n: number): Candidate.Candidate => ({
  id: `llm-${n}`,
  source: "llm:openai-compatible:scripted",
  rule: "llm",
  opportunityId: null,
  title: `LLM patch ${n}`,
  explanation: "from the model",
  diff: `--- a/src/llm${n}.ts\n+++ b/src/llm${n}.ts\n@@ -1 +1 @@\n-slow()\n+fast()\n`,
  files: [`src/llm${n}.ts`],
  kind: "performance"
})

/** Fake stages with an agent that writes two candidates and gives up once; counts its invocations. */
const withAgent = (count: { agent: number; validate: number }) => {
  const fake = fakeStages({ delay: 0, candidates: 2 })
  const stages: Pipeline.StageFunctions = {
    ...fake,
    validate: (input) => Effect.tap(fake.validate(input), () => Effect.sync(() => void count.validate++)),
    agent: (_input, callbacks) =>
      Effect.gen(function* () {
        count.agent++
        yield* callbacks.validate(llmCandidate(1))
        yield* callbacks.reject({ id: "llm-attempt-2", source: "llm:openai-compatible:scripted", rule: "llm", status: "rejected", reason: "the patch did not apply" })
        yield* callbacks.validate(llmCandidate(3))
        return summary("budget exhausted")
      })
  }
  return Layer.succeed(Pipeline.Stages, Pipeline.Stages.of(stages))
}

/** An executor that stores each call's encoded result by key and replays it, like a durable host. */
const storing = (stored: Map<string, unknown>, calls: Array<Pipeline.Call>): Pipeline.Executor<never, never> => ({
  run: (stage, call, work) =>
    Effect.gen(function* () {
      calls.push(call)
      if (stored.has(call.key)) return yield* Effect.orDie(Schema.decodeUnknownEffect(stage.output)(stored.get(call.key)))
      const output = yield* work
      stored.set(call.key, yield* Effect.orDie(Schema.encodeUnknownEffect(stage.output)(output)))
      return output
    })
})

describe("the LLM agent in Pipeline.compose", () => {
  it.effect("one validate/llm call closes the validate stage; its candidates are validated and packaged; a replay does not call the agent again", () =>
    Effect.gen(function* () {
      const count = { agent: 0, validate: 0 }
      const stored = new Map<string, unknown>()
      const calls: Array<Pipeline.Call> = []
      const options = { run: { runId: "run-agent", source: "/repo", configFile: null, llm: { model: "openai-compatible:scripted" } } }
      const first = yield* Pipeline.compose(options, storing(stored, calls)).pipe(Effect.provide(withAgent(count)))

      const validates = calls.filter((c) => c.key.startsWith("validate"))
      expect(validates.map((c) => [c.key, c.first, c.last])).toEqual([
        ["validate/0", true, false],
        ["validate/1", false, false],
        ["validate/llm", false, true]
      ])
      expect(count).toEqual({ agent: 1, validate: 4 })
      expect(first.report.llm?.stopped).toBe("budget exhausted")
      expect(first.report.attempts.map((a) => [a.candidateId, a.status])).toEqual([
        ["cand_opp_0", "accepted"],
        ["cand_opp_1", "accepted"],
        ["llm-1", "accepted"],
        [undefined, "rejected"],
        ["llm-3", "accepted"]
      ])
      expect(first.report.proposals.map((p) => p.id)).toEqual(["p-cand_opp_0", "p-cand_opp_1", "p-llm-1", "p-llm-3"])
      // the trace of an agent proposal holds the attempts up to it, the rejected one included
      expect(first.report.proposals[3]?.trace?.map((a) => a.id)).toEqual(["attempt-cand_opp_0", "attempt-cand_opp_1", "attempt-llm-1", "llm-attempt-2", "attempt-llm-3"])

      // resumed: every call's result is stored, so neither the agent nor validate runs again
      const again = yield* Pipeline.compose(options, storing(stored, [])).pipe(Effect.provide(withAgent(count)))
      expect(count).toEqual({ agent: 1, validate: 4 })
      expect(again.report).toEqual(first.report)
    })
  )

  it.effect("the host's shouldStop reaches the agent (checked before its model calls)", () =>
    Effect.gen(function* () {
      const fake = fakeStages({ delay: 0, candidates: 0 })
      const seen: Array<string | null> = []
      const stages = Layer.succeed(
        Pipeline.Stages,
        Pipeline.Stages.of({
          ...fake,
          agent: (_input, callbacks) =>
            Effect.gen(function* () {
              const reason = callbacks.stop === undefined ? null : yield* callbacks.stop
              seen.push(reason)
              return summary(reason)
            })
        })
      )
      const composed = yield* Pipeline.compose(
        { run: { runId: "run-stop", source: "/repo", configFile: null }, shouldStop: Effect.succeed("the run was cancelled") },
        Pipeline.direct
      ).pipe(Effect.provide(stages))
      expect(seen).toEqual(["the run was cancelled"])
      expect(composed.report.llm?.stopped).toBe("the run was cancelled")
    })
  )

  it.effect("an agent that names no model (null) leaves the report without an llm section", () =>
    Effect.gen(function* () {
      const fake = fakeStages({ delay: 0, candidates: 1 })
      const stages = Layer.succeed(Pipeline.Stages, Pipeline.Stages.of({ ...fake, agent: () => Effect.succeed(null) }))
      const composed = yield* Pipeline.compose({ run: { runId: "run-none", source: "/repo", configFile: null } }, Pipeline.direct).pipe(Effect.provide(stages))
      expect(composed.report.llm).toBeUndefined()
      expect(composed.report.proposals).toHaveLength(1)
    })
  )

  it.effect("the agent's record is kept inside its call, and each of its validations through the validate recorder", () =>
    Effect.gen(function* () {
      const count = { agent: 0, validate: 0 }
      const recorded: Array<string> = []
      const record: Pipeline.Recorder<never, never> = {
        validate: (output, { call }) => Effect.sync(() => void recorded.push(`validate ${call.key} ${output.attempt.candidateId}`)),
        agent: (output, { call }) => Effect.sync(() => void recorded.push(`agent ${call.key} ${output.outcomes.map((o) => o._tag).join(",")}`))
      }
      yield* Pipeline.compose({ run: { runId: "run-rec", source: "/repo", configFile: null }, record }, Pipeline.direct).pipe(Effect.provide(withAgent(count)))
      expect(recorded).toEqual([
        "validate validate/0 cand_opp_0",
        "validate validate/1 cand_opp_1",
        "validate validate/llm/2 llm-1",
        "validate validate/llm/4 llm-3",
        "agent validate/llm validated,rejected,validated"
      ])
    })
  )
})
