/**
 * What a synthesized benchmark showed, per changed function, as a Schema: validate's result carries it, the
 * server stores it with the validation, and `evidence.json` reports it (`SynthBench.Evidence`).
 *
 * @internal
 */
import { Schema } from "effect"
import { ArtifactRef } from "../../ArtifactStore.js"
import { BenchmarkResult } from "../../BenchmarkResult.js"

/** The first call on which the candidate behaves differently. */
export const CallDifference = Schema.Struct({
  call: Schema.Number,
  test: Schema.NullOr(Schema.String),
  args: Schema.String,
  what: Schema.String,
  original: Schema.String,
  candidate: Schema.String
})

/** The outcome of replaying the captured calls on original and candidate. */
export const Equivalence = Schema.Struct({
  verdict: Schema.Literals(["equivalent", "different", "unproven"]),
  compared: Schema.Number,
  nondeterministic: Schema.Number,
  difference: Schema.NullOr(CallDifference),
  reason: Schema.String
})

/** One changed function's synthesized proof: what was captured, the equivalence check, both timings. */
export const Evidence = Schema.Struct({
  target: Schema.Struct({ file: Schema.String, name: Schema.String }),
  calls: Schema.Number,
  replayable: Schema.Number,
  tests: Schema.Array(Schema.String),
  notReplayable: Schema.Array(Schema.Struct({ reason: Schema.String, count: Schema.Number })),
  equivalence: Schema.NullOr(Equivalence),
  /** Timing on the captured calls as the tests made them (inputs repeat across passes). */
  repeated: Schema.NullOr(BenchmarkResult),
  /** Timing on each distinct input once per pass on a fresh module (a cache across calls never hits). */
  distinct: Schema.NullOr(BenchmarkResult),
  harness: Schema.NullOr(ArtifactRef),
  /** How to run the check again by hand. */
  rerun: Schema.NullOr(Schema.String),
  warnings: Schema.Array(Schema.String)
})
