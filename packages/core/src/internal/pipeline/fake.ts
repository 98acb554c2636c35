/**
 * Deterministic fake stages (`Pipeline.Stages.layerTest`): no repository is touched.
 *
 * @internal
 */
import { Duration, Effect } from "effect"
import type { StageFunctions } from "../../Pipeline.js"
import { internal } from "../../RatchetError.js"
import type { RepoProfile } from "../../RepoProfile.js"

/**
 * Options of the fake stages.
 */
export interface FakeOptions {
  /** Time each stage call takes (through `Clock`, so `TestClock` controls it). Default 20 ms. */
  readonly delay?: Duration.Input
  /** The stage that fails, if any. A run whose source contains `fail-<stage>` also fails there. */
  readonly failAt?: string | undefined
  /** Opportunities the scan stage finds. Default 3. */
  readonly candidates?: number
}

const profileOf = (root: string): RepoProfile => ({
  root,
  packageManager: { name: "npm", variant: null, version: null, confidence: 1, evidence: [] },
  workspaces: [],
  frameworks: [],
  commands: {
    install: null,
    build: null,
    typecheck: null,
    test: { command: "npm test", cwd: ".", confidence: 1, evidence: [] },
    bench: null
  },
  warnings: []
})

/** The fake stage functions. */
export const fakeStages = (options: FakeOptions = {}): StageFunctions => {
  const delay = options.delay ?? Duration.millis(20)
  const found = options.candidates ?? 3
  const stage = <A>(name: string, source: string, body: () => A): Effect.Effect<A, ReturnType<typeof internal>> =>
    Effect.sleep(delay).pipe(
      Effect.andThen(
        options.failAt === name || source.includes(`fail-${name}`)
          ? Effect.fail(internal(`fake ${name} failure`))
          : Effect.sync(body)
      ),
      Effect.withSpan(`Stages.${name}`)
    )
  return {
    detect: ({ run }) =>
      stage("detect", run.source, () => ({
        commit: "0".repeat(40),
        profile: profileOf(run.source),
        warnings: [],
        budget: { candidates: null, proposals: null }
      })),
    baseline: ({ run }) =>
      stage("baseline", run.source, () => ({
        baseline: {
          commit: run.commit,
          steps: [{ name: "test", command: "npm test", exitCode: 0, durationMs: 1, outcome: "passed" }],
          tests: { passed: 10, failed: 0, skipped: 0 }
        },
        logs: { test: "===== test: npm test\nok" },
        benchmarks: [],
        blocked: null
      })),
    scan: ({ run }) =>
      stage("scan", run.source, () => ({
        opportunities: Array.from({ length: found }, (_, n) => ({
          id: `opp_${n}`,
          rule: "fake-rule",
          kind: "performance" as const,
          file: `src/f${n}.ts`,
          startLine: 1,
          endLine: 1,
          rationale: "fake opportunity",
          risk: "low" as const,
          confidence: 0.9
        })),
        stats: { files: found, bytes: 0, durationMs: 0 },
        warnings: []
      })),
    patchgen: ({ run, opportunities, budget }) =>
      stage("patchgen", run.source, () => {
        const candidates = opportunities.map((o) => ({
          id: `cand_${o.id}`,
          source: "template:fake",
          rule: o.rule,
          opportunityId: o.id,
          title: `Speed up ${o.file}`,
          explanation: "fake candidate",
          diff: `--- a/${o.file}\n+++ b/${o.file}\n@@ -1 +1 @@\n-slow()\n+fast()\n`,
          files: [o.file],
          kind: "performance" as const
        }))
        return { candidates: candidates.slice(0, budget), found: candidates.length, budget }
      }),
    validate: ({ run, candidate }) =>
      stage("validate", run.source, () => ({
        attempt: { id: `attempt-${candidate.id}`, candidateId: candidate.id, source: candidate.source, rule: candidate.rule, status: "accepted" as const, reason: "tests pass" },
        tests: { passed: 10, failed: 0, skipped: 0 },
        benchmark: null,
        policy: [],
        kind: "tech-debt" as const,
        confidence: 0.5
      })),
    package: ({ run, accepted }) =>
      stage("package", run.source, () => ({
        proposals: accepted.map(({ candidate, validation, trace }) => ({
          id: `p-${candidate.id}`,
          title: candidate.title,
          files: candidate.files,
          diff: candidate.diff,
          tests: validation.tests ?? { passed: 0, failed: 0, skipped: 0 },
          benchmark: null,
          policy: [],
          risk: "low" as const,
          confidence: validation.confidence,
          kind: validation.kind,
          trace
        }))
      })),
    release: () => Effect.void
  }
}
