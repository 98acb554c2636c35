/**
 * A server runtime for tenant tests: fake stages, the API and the dashboard on a `TestClock` (every
 * request's effects see the test time; the run workflows keep the live clock), and helpers to
 * create organisations and tokens and to call the API as a token.
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect } from "@effect/vitest"
import { LlmCall, Pipeline } from "@ratchet/core"
import { Clock, Duration, Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import { TestClock } from "effect/testing"
import * as Api from "../../src/Api.js"
import * as Dashboard from "../../src/Dashboard.js"
import * as Server from "../../src/Server.js"
import { Store } from "../../src/Store.js"
import type { Scope as TokenScope } from "../../src/Tenants.js"

/** Every scope. */
export const ALL: ReadonlyArray<TokenScope> = ["read", "run", "approve", "publish", "admin"]

/** A token as the API handed it out: its id and its value. */
export interface Minted {
  readonly id: string
  readonly token: string
  readonly orgId: string
}

/**
 * An LLM call as core's agent records it (provider, model, usage and cost from the provider's
 * response and price table).
 */
export const llmCall = (n: number, usage: { readonly provider: string; readonly model: string; readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number }): LlmCall.LlmCall => ({
  id: `call-${n}`,
  stage: n === 0 ? "triage" : "patch",
  round: 0,
  cachedInputTokens: 0,
  reasoningTokens: 0,
  durationMs: 5,
  attempts: 1,
  finishReason: "stop",
  toolCalls: 0,
  error: null,
  artifact: null,
  ...usage
})

/**
 * The fake stages, with an `agent` when `llm` is given: it makes no candidate and returns a run
 * summary with those calls, as core's agent does after talking to a provider.
 */
const stagesOf = (candidates: number, llm: ReadonlyArray<LlmCall.LlmCall> | undefined, delayMs: number): Layer.Layer<Pipeline.Stages> =>
  llm === undefined
    ? Pipeline.Stages.layerTest({ delay: Duration.millis(delayMs), candidates })
    : Layer.effect(
      Pipeline.Stages,
      Effect.gen(function* () {
        const base = yield* Pipeline.Stages
        const stages: Pipeline.StageFunctions = {
        ...base,
        agent: (_input, callbacks) =>
          Effect.gen(function* () {
            // like core's agent: the host's stop check runs before the (first) model call
            const stopped = callbacks.stop === undefined ? null : yield* callbacks.stop
            const made = stopped === null ? llm : []
            return {
              triage: `${llm[0]?.provider}:${llm[0]?.model}`,
              patch: `${llm[0]?.provider}:${llm[0]?.model}`,
              calls: made,
              totals: LlmCall.totalsOf(made),
              budget: { usd: null, tokens: null, dailyUsd: null, dailyTokens: null },
              stopped,
              hotspots: [],
              targets: [],
              warnings: []
            }
          })
        }
        return stages
      })
    ).pipe(Layer.provide(Pipeline.Stages.layerTest({ delay: Duration.millis(delayMs), candidates })))

export const makeTenantServer = (options: { readonly candidates?: number; readonly start?: number; readonly llm?: ReadonlyArray<LlmCall.LlmCall>; readonly stageDelayMs?: number } = {}) => {
  const runtime = ManagedRuntime.make(
    Server.layer({ dataDir: "memory://", stages: stagesOf(options.candidates ?? 3, options.llm, options.stageDelayMs ?? 2), scheduler: false })
  )
  const logs: Array<Record<string, unknown>> = []
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ratchet-tenants-")))
  let clock: TestClock.TestClock | null = null
  const clockScope = Scope.makeUnsafe()
  const testClock = (): TestClock.TestClock => {
    if (clock === null) throw new Error("call setup() first")
    return clock
  }
  const onClock: Api.AppRuntime & Dashboard.DashboardRuntime = {
    runPromiseExit: (effect) => runtime.runPromiseExit(Effect.provideService(effect, Clock.Clock, testClock()))
  }
  const app = Api.make(onClock, { repoRoots: [root], log: (r) => logs.push(r), runsPerMinute: 100_000, ssePollMs: 10 })
  const dashboard = Dashboard.make(onClock, { repoRoots: [root], log: (r) => logs.push(r), ssePollMs: 10, signInsPerMinute: 100_000, runsPerMinute: 100_000, espeak: "/nonexistent/espeak-ng" })
  const rootToken = `rat_root_${Math.random().toString(36).slice(2)}_0123456789`

  const setup = async () => {
    clock = await Effect.runPromise(TestClock.make().pipe(Scope.provide(clockScope)))
    await Effect.runPromise(clock.setTime(options.start ?? Date.UTC(2031, 4, 14, 9, 30)))
    await onClock.runPromiseExit(Store.use((s) => s.bootstrap(rootToken)))
  }
  const dispose = async () => {
    await runtime.dispose()
    await Effect.runPromise(Scope.close(clockScope, Exit.void))
    rmSync(root, { recursive: true, force: true })
  }

  /** Moves the test clock. */
  const adjust = (ms: number) => Effect.runPromise(testClock().adjust(Duration.millis(ms)))
  const now = () => testClock().currentTimeMillisUnsafe()

  /** A git work tree under the allowed root. */
  const gitDir = (name: string): string => {
    const d = join(root, name)
    mkdirSync(d, { recursive: true })
    execFileSync("git", ["init", "-q"], { cwd: d })
    return d
  }

  /** Calls the API as `token`. */
  const req = (token: string, method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })

  const json = async (res: Response): Promise<any> => JSON.parse(await res.text())

  /** An organisation made by the operator. */
  const mkOrg = async (name: string, quotas: Record<string, number> = {}): Promise<string> => {
    const res = await req(rootToken, "POST", "/api/orgs", { name, quotas })
    expect(res.status, await res.clone().text()).toBe(201)
    return (await json(res)).id
  }

  /** A token made by `by` (the operator's root token by default) in `orgId`. */
  const mkToken = async (orgId: string, body: Record<string, unknown>, by: string = rootToken): Promise<Minted> => {
    const res = await req(by, "POST", "/api/tokens", { name: "t", scopes: ALL, ...body, ...(by === rootToken ? { orgId } : {}) })
    expect(res.status, await res.clone().text()).toBe(201)
    const made = await json(res)
    return { id: made.id, token: made.token, orgId }
  }

  /** A repository connected by `token`. */
  const mkRepo = async (token: string, name: string): Promise<string> => {
    const res = await req(token, "POST", "/api/repos", { name, path: gitDir(`${name}-${Math.random().toString(36).slice(2, 8)}`) })
    expect(res.status, await res.clone().text()).toBe(201)
    return (await json(res)).id
  }

  /** Waits until a run has finished (read as `token`). */
  const waitRun = async (token: string, id: string) => {
    for (let i = 0; i < 800; i++) {
      const run = await json(await req(token, "GET", `/api/runs/${id}`))
      if (["succeeded", "failed", "cancelled"].includes(run.status)) return run
      await new Promise((r) => setTimeout(r, 20))
    }
    throw new Error(`run ${id} did not finish`)
  }

  /** Starts a run as `token` and waits for it (reading it as `reader`, by default the same token). */
  const runOnce = async (token: string, repoId: string, reader: string = token) => {
    const started = await req(token, "POST", `/api/repos/${repoId}/runs`)
    expect(started.status, await started.clone().text()).toBe(202)
    return waitRun(reader, (await json(started)).id)
  }

  return { runtime, onClock, app, dashboard, logs, rootToken, setup, dispose, adjust, now, gitDir, req, json, mkOrg, mkToken, mkRepo, waitRun, runOnce, testClock }
}

export type TenantServer = ReturnType<typeof makeTenantServer>

/** Cookies of a response merged into `jar`. */
const keep = (jar: Map<string, string>, res: Response) => {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(";")
    const eq = pair!.indexOf("=")
    const name = pair!.slice(0, eq)
    const value = pair!.slice(eq + 1)
    if (value === "" || /max-age=0/i.test(line)) jar.delete(name)
    else jar.set(name, value)
  }
}

/** A browser-like dashboard client signed in with `token` (expects the sign-in to succeed unless told). */
export const dashboardClient = (server: TenantServer) => {
  const jar = new Map<string, string>()
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ")
  const get = async (path: string) => {
    const res = await server.dashboard.request(path, { headers: { cookie: cookie(), accept: "text/html" } })
    keep(jar, res)
    return res
  }
  const post = async (path: string, form: Record<string, string>) => {
    const res = await server.dashboard.request(path, {
      method: "POST",
      headers: { cookie: cookie(), "content-type": "application/x-www-form-urlencoded", origin: "http://localhost", "sec-fetch-site": "same-origin" },
      body: new URLSearchParams(form).toString()
    })
    keep(jar, res)
    return res
  }
  const field = (html: string, name: string): string => {
    const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html)
    if (m === null) throw new Error(`no field ${name} in the page`)
    return m[1]!
  }
  const signIn = async (token: string) => {
    const login = await get("/dashboard/login")
    return post("/dashboard/login", { _csrf: field(await login.text(), "_csrf"), token, next: "/dashboard/" })
  }
  return { get, post, signIn, field }
}
