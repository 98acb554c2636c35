/**
 * A repository's `ratchet.config.*` evaluated as data inside the sandbox (`Config.loadConfigInSandbox`),
 * on both backends: the config's code runs in a child process under the backend, never in this
 * process; what it can reach is what any step can reach; only data and declarative rules cross back.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { Config, type Sandbox } from "@ratchet/core"
import { BwrapSandbox, LocalSandbox } from "@ratchet/runner"

const caps = LocalSandbox.capabilities()
const bwrap = BwrapSandbox.availability()

const privateDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = mkdtempSync(join(tmpdir(), prefix))
      chmodSync(dir, 0o700)
      return dir
    }),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

/** A fresh repository directory holding one config file. */
const repoWith = (config: string, name = "ratchet.config.ts") =>
  Effect.map(privateDir("ratchet-config-repo-"), (dir) => {
    chmodSync(dir, 0o755)
    writeFileSync(join(dir, name), config)
    return dir
  })

interface Backend {
  readonly name: "local" | "bwrap"
  readonly available: boolean
  /** Whether the backend keeps a step out of other places on this host (dedicated uid or mount namespace). */
  readonly confines: boolean
  readonly layer: (hidden: ReadonlyArray<string>) => Layer.Layer<Sandbox.Sandbox, unknown>
}

const backends: ReadonlyArray<Backend> = [
  { name: "local", available: true, confines: caps.dropUid, layer: () => LocalSandbox.layer },
  { name: "bwrap", available: bwrap.available, confines: bwrap.available, layer: (hidden) => BwrapSandbox.layerWith({ hidden }) }
]

const load = (layer: Layer.Layer<Sandbox.Sandbox, unknown>, root: string, timeoutMs?: number) =>
  Config.loadConfigInSandbox(root, undefined, timeoutMs === undefined ? {} : { timeoutMs }).pipe(Effect.provide(layer))

describe.each(backends)("a repository config evaluated in the $name sandbox", (backend) => {
  const live = backend.available ? it.live : it.skip

  live(
    "a hostile config reads nothing private, writes no marker, reaches no network, and never runs in this process",
    () =>
      Effect.gen(function* () {
        const data = yield* privateDir("ratchet-data-")
        writeFileSync(join(data, "secret.key"), "DATA-DIR-SECRET")
        const home = yield* privateDir("ratchet-home-")
        mkdirSync(join(home, ".ssh"))
        writeFileSync(join(home, ".ssh", "id_ed25519"), "SSH-PRIVATE-KEY")
        const other = yield* privateDir("ratchet-other-workspace-")
        writeFileSync(join(other, "code.ts"), "OTHER-WORKSPACE-CODE")
        let connections = 0
        const server = createServer((s) => {
          connections++
          s.end()
        })
        yield* Effect.promise(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve())))
        yield* Effect.addFinalizer(() => Effect.sync(() => server.close()))
        const port = (server.address() as { port: number }).port
        const markers = [join(data, "MARKER"), join(home, "MARKER"), join(other, "MARKER")]
        const config = `
import { readFileSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { defineConfig } from "@ratchet/core"
const found: Array<string> = []
const tryRead = (label: string, path: string) => {
  try { found.push(label + "=" + readFileSync(path, "utf8")) } catch (e) { found.push(label + "=DENIED " + (e as { code?: string }).code) }
}
tryRead("data", ${JSON.stringify(join(data, "secret.key"))})
tryRead("ssh", ${JSON.stringify(join(home, ".ssh", "id_ed25519"))})
tryRead("other", ${JSON.stringify(join(other, "code.ts"))})
tryRead("ratchet-env", "/proc/${process.pid}/environ")
for (const marker of ${JSON.stringify(markers)}) {
  try { writeFileSync(marker, "config was here"); found.push("wrote=" + marker) } catch (e) { found.push("write=DENIED " + (e as { code?: string }).code) }
}
const env = Object.keys(process.env).filter((k) => /TOKEN|SECRET|_KEY|DATABASE_URL/.test(k) && k !== "RATCHET_CONFIG_MARKER")
found.push("env=" + JSON.stringify(env.map((k) => k + "=" + process.env[k])))
found.push("net=" + await new Promise((resolve) => {
  const s = connect(${port}, "127.0.0.1", () => { s.destroy(); resolve("CONNECTED") })
  s.on("error", (e) => resolve("BLOCKED " + (e as { code?: string }).code))
  setTimeout(() => resolve("BLOCKED timeout"), 3000)
}))
;(globalThis as Record<string, unknown>).__ratchetHostileConfigRan = true
process.env.RATCHET_HOSTILE_CONFIG_RAN = "yes"
export default defineConfig({ policy: { frozen: found } })
`
        const root = yield* repoWith(config)
        const previous = { ...process.env }
        process.env.GITHUB_TOKEN = "ghp_hostile_config_topsecret"
        process.env.RATCHET_SECRET_KEY = "ratchet-secret-topsecret"
        const loaded = yield* load(backend.layer([data]), root).pipe(Effect.ensuring(Effect.sync(() => Object.assign(process.env, previous))))
        delete process.env.GITHUB_TOKEN
        delete process.env.RATCHET_SECRET_KEY
        const frozen = loaded.config.policy?.frozen ?? []
        const text = frozen.join("\n")
        // the config ran (its data crossed back) ...
        expect(frozen.length).toBeGreaterThanOrEqual(8)
        // ... but not here
        expect((globalThis as Record<string, unknown>).__ratchetHostileConfigRan).toBeUndefined()
        expect(process.env.RATCHET_HOSTILE_CONFIG_RAN).toBeUndefined()
        // no secret of this process, no network
        expect(text).not.toContain("topsecret")
        expect(text).toContain("env=[]")
        expect(text).toMatch(/net=BLOCKED/)
        expect(connections).toBe(0)
        if (backend.confines) {
          expect(text).not.toContain("DATA-DIR-SECRET")
          expect(text).not.toContain("SSH-PRIVATE-KEY")
          expect(text).not.toContain("OTHER-WORKSPACE-CODE")
          expect(text).toMatch(/ratchet-env=DENIED/)
          expect(text).not.toMatch(/wrote=/)
          for (const marker of markers) expect(existsSync(marker), marker).toBe(false)
        }
      }),
    60_000
  )

  live("a synchronous endless loop is killed at the timeout: ConfigInvalid naming the file and what to do", () =>
    Effect.gen(function* () {
      const root = yield* repoWith("while (true) {}\nexport default {}\n")
      const started = performance.now()
      const error = yield* Effect.flip(load(backend.layer([]), root, 2000))
      expect(error.reason._tag).toBe("ConfigInvalid")
      expect(error.message).toContain(join(root, "ratchet.config.ts"))
      expect(error.message).toMatch(/did not finish within 2 s.*RATCHET_CONFIG_TIMEOUT_MS/)
      expect(performance.now() - started).toBeLessThan(30_000)
    })
  )

  live("declarative ScanRule.query rules cross back as data; code plugins do not run and are named", () =>
    Effect.gen(function* () {
      const root = yield* repoWith(`
import { defineConfig, ScanRule } from "@ratchet/core"
export default defineConfig({
  scan: { exclude: ["vendor/**"] },
  plugins: [
    ScanRule.query({
      name: "acme:sync-fs",
      query: "(call_expression function: (member_expression property: (property_identifier) @method (#match? @method \\"Sync$\\"))) @match",
      prefilter: /Sync\\(/,
      kind: "performance",
      risk: "low",
      confidence: 0.6,
      rationale: "blocks the event loop"
    }),
    ScanRule.query({ name: "acme:predicate", query: "(call_expression) @match", where: () => true, kind: "performance", risk: "low", confidence: 0.5, rationale: "x" }),
    { name: "acme:code", patchgen: () => [], policy: () => [] }
  ]
})
`)
      const { config, warnings } = yield* load(backend.layer([]), root)
      expect(config.plugins.map((p) => p.name)).toEqual(["acme:sync-fs"])
      expect(config.queryRules).toEqual([
        {
          name: "acme:sync-fs",
          query: '(call_expression function: (member_expression property: (property_identifier) @method (#match? @method "Sync$"))) @match',
          prefilter: { regexp: "Sync\\(", flags: "" },
          kind: "performance",
          risk: "low",
          confidence: 0.6,
          rationale: "blocks the event loop"
        }
      ])
      expect(config.scan).toEqual({ exclude: ["vendor/**"] })
      expect(warnings).toHaveLength(2)
      expect(warnings[0]).toMatch(/plugin "acme:predicate" \(scan\) did not run: where is a function.*not trusted.*mark the repository trusted/)
      expect(warnings[1]).toMatch(/plugin "acme:code" \(patchgen, policy\) did not run/)
    })
  )

  live("what the stand-in @ratchet/core does not offer fails with a message that says why", () =>
    Effect.gen(function* () {
      const root = yield* repoWith('import { Detect } from "@ratchet/core"\nconst x = Detect.detect\nexport default { budget: { candidates: 1 } }\n')
      const error = yield* Effect.flip(load(backend.layer([]), root))
      expect(error.message).toMatch(/@ratchet\/core Detect\.detect is not available to a repository config evaluated in Ratchet's sandbox/)
      const other = yield* repoWith('import "@ratchet/policy"\nexport default {}\n')
      const error2 = yield* Effect.flip(load(backend.layer([]), other))
      expect(error2.message).toContain("the config imports @ratchet/policy, which is not available")
    })
  )

  live("a config that prints 20 MB still answers; one whose data is not data names the path", () =>
    Effect.gen(function* () {
      const noisy = yield* repoWith('process.stdout.write("x".repeat(20 * 1024 * 1024))\nexport default { budget: { candidates: 2 } }\n', "ratchet.config.mjs")
      const { config } = yield* load(backend.layer([]), noisy)
      expect(config.budget).toEqual({ candidates: 2 })
      const bad = yield* repoWith("export default { policy: { maxFiles: () => 3, frozen: [new Date(0)] } }\n", "ratchet.config.mjs")
      const error = yield* Effect.flip(load(backend.layer([]), bad))
      expect(error.reason._tag).toBe("ConfigInvalid")
      expect(error.message).toContain("policy.maxFiles is a function")
      expect(error.message).toContain("policy.frozen[0] is a Date")
    })
  )
})
