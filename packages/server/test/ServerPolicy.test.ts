/**
 * The server's per-repository policy limits combine with the repository's own config: the stricter
 * limit wins, and a `null` server limit leaves the config's (or the policy's default) in place.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Config } from "@ratchet/core"
import { withServerPolicy } from "../src/internal/pipeline.js"

const config = (policy?: Config.ResolvedConfig["policy"]): Config.ResolvedConfig => ({ plugins: [], file: null, ...(policy === undefined ? {} : { policy }) })

describe("withServerPolicy", () => {
  it("keeps the stricter of the repository's and the server's limits", () => {
    expect(withServerPolicy(config({ maxFiles: 3, maxLines: 500, frozen: ["a/**"] }), { maxFiles: 10, maxLines: 50 }).policy).toEqual({ maxFiles: 3, maxLines: 50, frozen: ["a/**"] })
  })

  it("applies the server's limit where the repository sets none, and nothing for null", () => {
    expect(withServerPolicy(config(), { maxFiles: 2, maxLines: null }).policy).toEqual({ maxFiles: 2 })
    const untouched = config({ maxLines: 80 })
    expect(withServerPolicy(untouched, { maxFiles: null, maxLines: null })).toBe(untouched)
    expect(withServerPolicy(untouched, undefined)).toBe(untouched)
  })
})
