/**
 * The composition root of the pipeline, shared by the CLI (`ratchet run`, `ratchet baseline`) and
 * the server: which adapters (layers) back core's ports.
 */
import { resolve } from "node:path"
import { Effect, Layer } from "effect"
import { type Agent, ArtifactStore, type BenchRunner, Config, Pipeline, PolicyCheck, type RatchetError, type Sandbox, SynthBench, type Workspace } from "@ratchet/core"
import { PolicyEngine } from "@ratchet/policy"
import { Baseline, Bench, Synth } from "@ratchet/runner"
import { serverResolver } from "./llm.js"
import * as Scrub from "./scrub.js"

/** Ratchet's state directory: `$RATCHET_HOME`, else `.ratchet` in the current directory. */
export const stateDir = (): string => resolve(process.env.RATCHET_HOME ?? ".ratchet")

/**
 * The policy engine as core's `PolicyCheck` port: the config a check is given (the run's), else
 * `defaults` (the engine's defaults when absent). A diff the engine cannot parse is blocked, never
 * waved through.
 */
export const policyLayer = (defaults: Config.ResolvedConfig | null = null): Layer.Layer<PolicyCheck.PolicyCheck> =>
  Layer.succeed(PolicyCheck.PolicyCheck, {
    check: (diff, given) => {
      const config = given ?? defaults
      return PolicyEngine.evaluate(diff, config === null ? {} : { ...config.policy, plugins: config.plugins }).pipe(
        Effect.catch((error) =>
          Effect.succeed({
            allowed: false,
            verdicts: [{ rule: "policy-input", severity: "BLOCK" as const, file: null, message: error.message }]
          })
        )
      )
    }
  })

/**
 * The config with the server's policy limits for the repository applied (core's
 * `Config.withPolicyLimits`): each limit is the stricter of the config's and the server's.
 */
export const withServerPolicy = (config: Config.ResolvedConfig, limits: Config.PolicyLimits | undefined): Config.ResolvedConfig =>
  Config.withPolicyLimits(config, limits)

/** Every port the pipeline's stages run on, and the benchmark sources validate consults. */
export type Ports =
  | Sandbox.Sandbox
  | Workspace.Workspace
  | ArtifactStore.ArtifactStore
  | BenchRunner.BenchRunner
  | PolicyCheck.PolicyCheck
  | SynthBench.SynthBench

/**
 * The ports: the sandbox (`sandbox`, default the local one), git worktrees and the content-addressed store under `stateDir`, the
 * interleaved benchmark runner, the policy engine, and synthesized benchmarks from captured calls as
 * validate's benchmark source (for a change no repository benchmark measures). Building it removes
 * worktrees left by dead processes.
 */
export const portsLayer = (options: { readonly stateDir: string; readonly sandbox?: Layer.Layer<Sandbox.Sandbox> }): Layer.Layer<Ports> => {
  const base = Baseline.layer({ stateDir: options.stateDir, ...(options.sandbox ? { sandbox: options.sandbox } : {}) })
  const scrubbed = scrubbedArtifacts.pipe(Layer.provide(base))
  const synth = Synth.layer.pipe(Layer.provide(Layer.mergeAll(base, scrubbed)))
  return Layer.mergeAll(base, scrubbed, Bench.layer.pipe(Layer.provide(base)), policyLayer(), SynthBench.benchmarkSources.pipe(Layer.provideMerge(synth)))
}

/**
 * Run logs and reports (`logs.txt`, `baseline.json`, …) hold what the repository's own commands
 * printed: they are stored with secrets scrubbed. Patches and diffs are stored as they are, and so is a
 * synthesized benchmark's harness (its captured calls are base64 that scrubbing would corrupt; they come
 * from a test run whose environment never holds Ratchet's secrets).
 */
const scrubbedArtifacts: Layer.Layer<ArtifactStore.ArtifactStore, never, ArtifactStore.ArtifactStore> = Layer.effect(
  ArtifactStore.ArtifactStore,
  Effect.map(ArtifactStore.ArtifactStore, (inner) => ({
    put: (name: string, content: string | Uint8Array) => {
      if (/\.(patch|diff)$/i.test(name) || /^synthesized-[\w$-]+\.mjs$/.test(name)) return inner.put(name, content)
      const text = typeof content === "string" ? content : new TextDecoder("utf-8", { fatal: false }).decode(content)
      // binary content (a NUL byte) is stored as it is
      return text.includes("\0") ? inner.put(name, content) : inner.put(name, Scrub.text(text))
    },
    get: inner.get
  }))
)

/** The test-result adapter (vitest, jest, mocha, node:test, ava, bun). */
export const testAdapter = Baseline.testAdapter

/**
 * Core's real stages on the ports under `stateDir`, reading test results with the built-in adapter.
 * `config` is used as is for every run (`ratchet run --config`); without it each run loads its own.
 * A run that names a model (`RunRef.llm`: the server's stored repository settings) gets the LLM
 * agent after the templates (see `serverResolver`), its daily spend read from `ledger` (`ratchet serve`:
 * the repository's metered calls in the database), else kept in `<stateDir>/llm-spend.json`.
 */
export const stagesLayer = (options: {
  readonly stateDir: string
  readonly config?: Config.ResolvedConfig
  /** Provider keys a run may use besides the environment's (the server: its organisation's stored keys). */
  readonly keys?: (run: Pipeline.RunRef) => Effect.Effect<Readonly<Record<string, string>>, RatchetError.RatchetError>
  /** The daily LLM ledger of a run's repository (the server: its metered calls); absent: `<stateDir>/llm-spend.json`. */
  readonly ledger?: (run: Pipeline.RunRef) => Agent.Ledger
  /** Where repository commands run. Default: the local sandbox (`ratchet serve` passes the backend it selected). */
  readonly sandbox?: Layer.Layer<Sandbox.Sandbox>
  /** Where a run's repository config is evaluated unless the run says (core's `RunRef.configIn`: the server's `trusted` setting): `"sandbox"` (as data only) or `"process"` (the CLI, trusted). */
  readonly configIn?: "sandbox" | "process"
}): Layer.Layer<Pipeline.Stages> =>
  // `ratchet serve` passes the backend it selected (bwrap when available); without one, the local sandbox
  Pipeline.Stages.layer({
    testAdapter,
    agent: serverResolver({ stateDir: options.stateDir, ...(options.keys ? { keys: options.keys } : {}), ...(options.ledger ? { ledger: options.ledger } : {}) }),
    ...(options.config ? { config: options.config } : {}),
    ...(options.configIn ? { configIn: options.configIn } : {})
  }).pipe(Layer.provide(portsLayer({ stateDir: options.stateDir, ...(options.sandbox ? { sandbox: options.sandbox } : {}) })))
