/**
 * The composition root of the pipeline, shared by the CLI (`ratchet run`, `ratchet baseline`) and
 * the server's real stages: which adapters (layers) back core's ports.
 */
import { resolve } from "node:path"
import { Effect, Layer } from "effect"
import { ArtifactStore, type BenchRunner, type Config, PolicyCheck, type Sandbox, type SynthBench, type Workspace } from "@ratchet/core"
import { PolicyEngine } from "@ratchet/policy"
import { Baseline, Bench, Synth } from "@ratchet/runner"
import * as Scrub from "./scrub.js"

/** Ratchet's state directory: `$RATCHET_HOME`, else `.ratchet` in the current directory. */
export const stateDir = (): string => resolve(process.env.RATCHET_HOME ?? ".ratchet")

/**
 * The policy engine as core's `PolicyCheck` port, with the config's policy section and plugins.
 * A diff the engine cannot parse is blocked, never waved through.
 */
export const policyLayer = (config: Config.ResolvedConfig): Layer.Layer<PolicyCheck.PolicyCheck> =>
  Layer.succeed(PolicyCheck.PolicyCheck, {
    check: (diff) =>
      PolicyEngine.evaluate(diff, { ...config.policy, plugins: config.plugins }).pipe(
        Effect.catch((error) =>
          Effect.succeed({
            allowed: false,
            verdicts: [{ rule: "policy-input", severity: "BLOCK" as const, file: null, message: error.message }]
          })
        )
      )
  })

/**
 * The config with the server's policy limits for the repository applied: each limit is the
 * stricter of the config's and the server's (a `null` server limit leaves the config's).
 */
export const withServerPolicy = (
  config: Config.ResolvedConfig,
  limits: { readonly maxFiles: number | null; readonly maxLines: number | null } | undefined
): Config.ResolvedConfig => {
  if (limits === undefined || (limits.maxFiles === null && limits.maxLines === null)) return config
  const stricter = (own: number | undefined, server: number | null): number | undefined =>
    server === null ? own : own === undefined ? server : Math.min(own, server)
  const maxFiles = stricter(config.policy?.maxFiles, limits.maxFiles)
  const maxLines = stricter(config.policy?.maxLines, limits.maxLines)
  return {
    ...config,
    policy: { ...config.policy, ...(maxFiles === undefined ? {} : { maxFiles }), ...(maxLines === undefined ? {} : { maxLines }) }
  }
}

/** The ports that do not depend on a repository's config. */
export type Ports = Sandbox.Sandbox | Workspace.Workspace | ArtifactStore.ArtifactStore | BenchRunner.BenchRunner | SynthBench.SynthBench

/**
 * The config-independent ports: local sandbox, git worktrees and the content-addressed store under
 * `stateDir`, the interleaved benchmark runner, and synthesized benchmarks from captured calls.
 * Building it removes worktrees left by dead processes.
 */
export const portsLayer = (options: { readonly stateDir: string }): Layer.Layer<Ports> => {
  const base = Baseline.layer({ stateDir: options.stateDir })
  const scrubbed = scrubbedArtifacts.pipe(Layer.provide(base))
  return Layer.mergeAll(base, scrubbed, Bench.layer.pipe(Layer.provide(base)), Synth.layer.pipe(Layer.provide(Layer.mergeAll(base, scrubbed))))
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

/**
 * Every port the pipeline needs: {@link portsLayer} plus the policy engine with the config's policy section.
 */
export const pipelineLayer = (options: {
  readonly stateDir: string
  readonly config: Config.ResolvedConfig
}): Layer.Layer<Ports | PolicyCheck.PolicyCheck> => Layer.mergeAll(portsLayer(options), policyLayer(options.config))

/** The test-result adapter (vitest, jest, mocha, node:test, ava, bun). */
export const testAdapter = Baseline.testAdapter
