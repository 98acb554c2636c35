import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Config, Plugin, RatchetError, Sandbox } from "@ratchet/core"
import { Effect, Layer } from "effect"

const fixture = (name: string) => join(import.meta.dirname, "fixtures", "config", name)

const failure = (root: string) =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(Config.loadConfig(root))
    expect(error).toBeInstanceOf(RatchetError.RatchetError)
    expect(error.reason._tag).toBe("ConfigInvalid")
    return error
  })

describe("Config.loadConfig", () => {
  it.effect("returns defaults when there is no config file", () =>
    Effect.gen(function* () {
      const config = yield* Config.loadConfig(fixture("."))
      expect(config).toMatchObject({ plugins: [], file: null, benchmarkAdapters: [] })
    })
  )

  it.effect("loads a TypeScript config, flattens plugins and keeps hook order", () =>
    Effect.gen(function* () {
      const config = yield* Config.loadConfig(fixture("good-ts"))
      expect(config.file).toBe(join(fixture("good-ts"), "ratchet.config.ts"))
      expect(config.plugins.map((p) => p.name)).toEqual(["acme:no-todo", "acme:second"])
      expect(Plugin.hooksOf(config.plugins, "scan").map((h) => h.plugin)).toEqual(["acme:second"])
      expect(config.profile?.commands?.test).toBe("npm test -- --run")
      expect(config.profile?.commands?.bench).toBeNull()
      expect(config.policy).toEqual({ maxFiles: 3, frozen: ["src/legacy/**"] })
      expect(config.validate?.threshold).toBe(0.05)
    })
  )

  it.effect("loads a .mjs config", () =>
    Effect.gen(function* () {
      const config = yield* Config.loadConfig(fixture("good-mjs"))
      expect(config.budget).toEqual({ candidates: 4 })
    })
  )

  it.effect("a syntax error names the file and the reason", () =>
    Effect.gen(function* () {
      const error = yield* failure(fixture("syntax-error"))
      expect(error.message).toContain(join(fixture("syntax-error"), "ratchet.config.ts"))
      expect(error.message).toMatch(/Syntax|Unexpected|Expected/i)
    })
  )

  it.effect("a wrong field type names the field", () =>
    Effect.gen(function* () {
      const error = yield* failure(fixture("bad-shape"))
      expect(error.message).toContain("maxFiles")
    })
  )

  it.effect("a malformed plugin names the plugin and the hook", () =>
    Effect.gen(function* () {
      const error = yield* failure(fixture("bad-plugin"))
      expect(error.message).toContain("plugins[0] (broken).scan must be a function or { order, handler }")
    })
  )

  it.effect("a config without a default export is rejected", () =>
    Effect.gen(function* () {
      const error = yield* failure(fixture("no-default"))
      expect(error.message).toContain("no default export")
    })
  )

  it.effect("a config that throws while loading reports the thrown message", () =>
    Effect.gen(function* () {
      const error = yield* failure(fixture("throws"))
      expect(error.message).toContain("config exploded while loading")
      // the thrown error is kept as the standard cause, not only flattened into the message
      expect(error.cause).toBeInstanceOf(Error)
      expect((error.cause as Error).message).toContain("config exploded while loading")
    })
  )

  it.effect("an explicit file that does not exist is rejected", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Config.loadConfig(fixture("."), fixture("missing.config.ts")))
      expect(error.message).toContain("file not found")
    })
  )

  it.effect("unknown top-level keys are rejected", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Config.resolveConfig({ polcy: {} }, "inline"))
      expect(error.message).toContain('unknown key "polcy"')
    })
  )

  it.effect("a synchronous endless loop at the top level ends in ConfigInvalid after the timeout, not in a hung process", () =>
    Effect.gen(function* () {
      const started = performance.now()
      const error = yield* Effect.flip(Config.loadConfig(fixture("endless-loop"), undefined, { timeoutMs: 1500 }))
      expect(error.reason._tag).toBe("ConfigInvalid")
      expect(error.message).toContain(join(fixture("endless-loop"), "ratchet.config.ts"))
      expect(error.message).toContain("did not finish within 1.5 s")
      expect(error.message).toContain("RATCHET_CONFIG_TIMEOUT_MS")
      expect(performance.now() - started).toBeLessThan(15_000)
    })
  )

  it.effect("a config of data only is evaluated in a child process: its side effects stay there", () =>
    Effect.gen(function* () {
      delete process.env.RATCHET_TEST_CONFIG_EVALUATED_HERE
      const config = yield* Config.loadConfig(fixture("data-only"))
      expect(config.policy).toEqual({ maxFiles: 2 })
      expect(config.scan).toEqual({ exclude: ["vendor/**"] })
      expect(config.plugins).toEqual([])
      expect(process.env.RATCHET_TEST_CONFIG_EVALUATED_HERE).toBeUndefined()
    })
  )
})

describe("Config.loadConfigInSandbox", () => {
  it.effect("asks the sandbox for Ratchet's own Node: the evaluator never makes a repository's .nvmrc consulted or a Node installed", () =>
    Effect.gen(function* () {
      const seen: Array<Sandbox.RunOptions> = []
      const recording = Layer.succeed(Sandbox.Sandbox, {
        run: (options) => {
          seen.push(options)
          return Effect.succeed({
            command: options.command,
            cwd: options.cwd,
            exitCode: 1,
            signal: null,
            timedOut: false,
            durationMs: 0,
            cpuMs: null,
            peakMemoryBytes: null,
            output: "",
            stdout: "",
            stderr: "no answer",
            droppedBytes: 0,
            warnings: []
          })
        }
      })
      yield* Effect.flip(Config.loadConfigInSandbox(fixture("good-mjs")).pipe(Effect.provide(recording)))
      expect(seen).toHaveLength(1)
      expect(seen[0]).toMatchObject({ node: "ratchet", network: false, label: "config" })
      // Ratchet's Node by absolute path, not whatever `node` the step's PATH would give
      expect(seen[0]!.command).toContain(process.execPath)
    })
  )
})
