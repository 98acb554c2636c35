/**
 * The `PolicyCheck` port: the policy engine as validate and the WriteGate see it.
 * `@ratchet/policy` provides the real engine; the composition root wires it.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import type { ResolvedConfig } from "./Config.js"
import type { PolicyDecision } from "./PolicyVerdict.js"
import type { RatchetError } from "./RatchetError.js"

/**
 * Checks a unified diff against the policy: the given config's `policy` section and policy
 * plugins (the run's config, or the repository's when publishing), else the adapter's defaults.
 *
 * @since 0.1.0
 */
export class PolicyCheck extends Context.Service<
  PolicyCheck,
  {
    readonly check: (diff: string, config?: ResolvedConfig) => Effect.Effect<PolicyDecision, RatchetError>
  }
>()("@ratchet/core/PolicyCheck") {
  /**
   * For tests: `decide` returns the decision for a diff (default: allow everything).
   *
   * @since 0.1.0
   */
  static readonly layerTest = (
    decide: (diff: string) => PolicyDecision = () => ({ allowed: true, verdicts: [] })
  ): Layer.Layer<PolicyCheck> => Layer.succeed(PolicyCheck, { check: (diff) => Effect.sync(() => decide(diff)) })
}
