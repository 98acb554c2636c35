import { describe, expect, it } from "@effect/vitest"
import { Plugin } from "@ratchet/core"

const noop = () => []

describe("Plugin ordering", () => {
  it("sorts plugins pre → normal → post, stable within a group", () => {
    const plugins: Array<Plugin.Plugin> = [
      { name: "a" },
      { name: "b", enforce: "post" },
      { name: "c", enforce: "pre" },
      { name: "d" },
      { name: "e", enforce: "pre" }
    ]
    expect(Plugin.sortPlugins(plugins).map((p) => p.name)).toEqual(["c", "e", "a", "d", "b"])
  })

  it("orders hook handlers by order within enforce order (Vite semantics)", () => {
    const plugins: Array<Plugin.Plugin> = [
      { name: "plain", policy: noop },
      { name: "late", policy: { order: "post", handler: noop } },
      { name: "early", policy: { order: "pre", handler: noop } },
      { name: "enforced-post", enforce: "post", policy: noop },
      { name: "enforced-pre-late", enforce: "pre", policy: { order: "post", handler: noop } },
      { name: "enforced-pre", enforce: "pre", policy: noop },
      { name: "no-hook", scan: noop }
    ]
    expect(Plugin.hooksOf(plugins, "policy").map((h) => h.plugin)).toEqual([
      "early",
      "enforced-pre",
      "plain",
      "enforced-post",
      "enforced-pre-late",
      "late"
    ])
  })

  it("flattens nested plugin arrays and drops falsy entries", () => {
    const a = Plugin.definePlugin({ name: "a" })
    const b = Plugin.definePlugin({ name: "b" })
    expect(Plugin.flatten([a, false, null, [undefined, [b]]]).map((p) => p.name)).toEqual(["a", "b"])
  })
})
