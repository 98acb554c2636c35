/**
 * Tenant isolation as a property: random interleavings of two tenants' API calls (some of them
 * concurrent), each naming ids drawn from BOTH tenants' repositories, runs, proposals, artifacts,
 * tokens and organisations. Whatever the order, no response to one tenant ever contains an id or a
 * name of the other's, and another tenant's id always answers 404 (never 403, which would say it
 * exists). Writes naming another tenant's ids change nothing of theirs.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"
import fc from "fast-check"
import { makeTenantServer, type Minted } from "./helpers/tenants.js"

const server = makeTenantServer({ candidates: 2 })
const { req, json, mkOrg, mkToken, mkRepo, runOnce } = server

type Tenant = "alpha" | "bravo"
type Kind = "repo" | "run" | "proposal" | "artifact" | "token" | "org"

/** Everything each tenant owns: ids by kind, and names (which must not leak either). */
interface Owned {
  readonly admin: Minted
  readonly reader: Minted
  readonly ids: Record<Kind, Array<string>>
  readonly names: Array<string>
}
const owned: Record<Tenant, Owned> = {} as Record<Tenant, Owned>
const other = (t: Tenant): Tenant => (t === "alpha" ? "bravo" : "alpha")

const artifactsOf = (proposalId: string) =>
  server.runtime.runPromise(Effect.gen(function* () {
    const sql = yield* SqlClient
    return yield* sql<{ id: string }>`SELECT id FROM artifacts WHERE proposal_id = ${proposalId}`
  }))

const record = async (t: Tenant, run: { id: string; proposals: Array<{ id: string }> }) => {
  owned[t].ids.run.push(run.id)
  for (const p of run.proposals) {
    owned[t].ids.proposal.push(p.id)
    for (const a of await artifactsOf(p.id)) owned[t].ids.artifact.push(a.id)
  }
}

beforeAll(async () => {
  await server.setup()
  for (const t of ["alpha", "bravo"] as const) {
    const org = await mkOrg(`${t}-corp`)
    const admin = await mkToken(org, { name: `${t}-admin` })
    const reader = await mkToken(org, { name: `${t}-reader`, scopes: ["read"] }, admin.token)
    owned[t] = { admin, reader, ids: { repo: [], run: [], proposal: [], artifact: [], token: [admin.id, reader.id], org: [org] }, names: [`${t}-corp`, `${t}-admin`, `${t}-reader`] }
    const repo = await mkRepo(admin.token, `${t}-seed`)
    owned[t].ids.repo.push(repo)
    owned[t].names.push(`${t}-seed`)
    await record(t, await runOnce(admin.token, repo))
  }
}, 180_000)
afterAll(() => server.dispose())

/** One API call by a tenant; `pick` chooses among every id known (both tenants'), `n` makes names unique. */
interface Call {
  readonly tenant: Tenant
  readonly reader: boolean
  readonly op: string
  readonly pick: number
}

const ops: Record<string, { readonly kind: Kind | null; readonly write: boolean; readonly path: (id: string, c: Call & { readonly n: number }) => { method: string; path: string; body?: unknown } }> = {
  listRepos: { kind: null, write: false, path: () => ({ method: "GET", path: "/api/repos" }) },
  getRepo: { kind: "repo", write: false, path: (id) => ({ method: "GET", path: `/api/repos/${id}` }) },
  budgets: { kind: "repo", write: false, path: (id) => ({ method: "GET", path: `/api/repos/${id}/budgets` }) },
  audit: { kind: "repo", write: false, path: (id) => ({ method: "GET", path: `/api/repos/${id}/audit` }) },
  listRuns: { kind: "repo", write: false, path: (id) => ({ method: "GET", path: `/api/repos/${id}/runs` }) },
  settings: { kind: "repo", write: true, path: (id) => ({ method: "PATCH", path: `/api/repos/${id}/settings`, body: { timezone: "Europe/Paris" } }) },
  startRun: { kind: "repo", write: true, path: (id) => ({ method: "POST", path: `/api/repos/${id}/runs` }) },
  getRun: { kind: "run", write: false, path: (id) => ({ method: "GET", path: `/api/runs/${id}` }) },
  cancelRun: { kind: "run", write: true, path: (id) => ({ method: "POST", path: `/api/runs/${id}/cancel` }) },
  getProposal: { kind: "proposal", write: false, path: (id) => ({ method: "GET", path: `/api/proposals/${id}` }) },
  ledger: { kind: "proposal", write: false, path: (id) => ({ method: "GET", path: `/api/proposals/${id}/ledger` }) },
  reject: { kind: "proposal", write: true, path: (id) => ({ method: "POST", path: `/api/proposals/${id}/reject`, body: { note: "no" } }) },
  publish: { kind: "proposal", write: true, path: (id) => ({ method: "POST", path: `/api/proposals/${id}/pr` }) },
  getArtifact: { kind: "artifact", write: false, path: (id) => ({ method: "GET", path: `/api/artifacts/${id}` }) },
  listTokens: { kind: null, write: false, path: () => ({ method: "GET", path: "/api/tokens" }) },
  getToken: { kind: "token", write: false, path: (id) => ({ method: "GET", path: `/api/tokens/${id}` }) },
  tokenQuota: { kind: "token", write: true, path: (id) => ({ method: "PATCH", path: `/api/tokens/${id}`, body: { quotas: { runsPerDay: 1000 } } }) },
  listOrgs: { kind: null, write: false, path: () => ({ method: "GET", path: "/api/orgs" }) },
  getOrg: { kind: "org", write: false, path: (id) => ({ method: "GET", path: `/api/orgs/${id}` }) },
  usage: { kind: null, write: false, path: () => ({ method: "GET", path: "/api/usage" }) },
  createRepo: { kind: null, write: true, path: (_, c) => ({ method: "POST", path: "/api/repos", body: { name: `${c.tenant}-repo-${c.n}`, path: server.gitDir(`${c.tenant}-repo-${c.n}`) } }) },
  createToken: { kind: null, write: true, path: (_, c) => ({ method: "POST", path: "/api/tokens", body: { name: `${c.tenant}-token-${c.n}`, scopes: ["read"] } }) }
}

const call: fc.Arbitrary<Call> = fc.record({
  tenant: fc.constantFrom<Tenant>("alpha", "bravo"),
  reader: fc.boolean(),
  op: fc.constantFrom(...Object.keys(ops)),
  pick: fc.nat()
})

/** What each id belongs to, over both tenants. */
const ownerOf = (id: string): Tenant | null =>
  (["alpha", "bravo"] as const).find((t) => Object.values(owned[t].ids).some((ids) => ids.includes(id))) ?? null

let made = 0

const perform = async (c: Call, seen: Array<{ tenant: Tenant; what: string; asked: string; text: string }>) => {
  const op = ops[c.op]!
  const pool = op.kind === null ? [""] : [...owned.alpha.ids[op.kind], ...owned.bravo.ids[op.kind]]
  const id = pool[c.pick % pool.length]!
  const n = made++
  const { method, path, body } = op.path(id, { ...c, n })
  const token = c.reader ? owned[c.tenant].reader.token : owned[c.tenant].admin.token
  const res = await req(token, method, path, body)
  const text = path.startsWith("/api/artifacts/") && res.status === 200 ? "" : await res.text()
  const what = `${c.tenant}${c.reader ? " (read-only)" : ""} ${method} ${path} → ${res.status}`
  seen.push({ tenant: c.tenant, what, asked: `${path} ${JSON.stringify(body ?? null)}`, text })
  const owner = op.kind === null ? c.tenant : ownerOf(id)
  // a read-only token is refused (403) what needs another scope, before any lookup: the same answer
  // for its own ids and for another tenant's, so it learns nothing
  if (c.reader && (op.write || ["listTokens", "getToken", "tokenQuota", "listOrgs", "getOrg"].includes(c.op))) {
    expect(res.status, what).toBe(403)
    return
  }
  // another tenant's id: 404, never 403
  if (owner !== c.tenant) {
    expect(res.status, what).toBe(404)
    return
  }
  expect(res.status, `${what}: ${text.slice(0, 300)}`).toBeLessThan(500)
  // remember what the tenant made, so later calls (of both tenants) name it
  if (res.status === 201 && c.op === "createRepo") {
    owned[c.tenant].ids.repo.push(JSON.parse(text).id)
    owned[c.tenant].names.push(`${c.tenant}-repo-${n}`)
  }
  if (res.status === 201 && c.op === "createToken") {
    const t = JSON.parse(text)
    owned[c.tenant].ids.token.push(t.id)
    owned[c.tenant].names.push(t.name, t.token)
  }
  if (res.status === 202 && c.op === "startRun") owned[c.tenant].ids.run.push(JSON.parse(text).id)
}

describe("tenant isolation", () => {
  it("no response to one tenant ever contains the other's data, under random interleavings of their calls", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(call, fc.integer({ min: 1, max: 3 })), { minLength: 5, maxLength: 30 }), async (steps) => {
        const seen: Array<{ tenant: Tenant; what: string; asked: string; text: string }> = []
        // a step's call runs alone or together with the next ones (up to 3 at once)
        for (let i = 0; i < steps.length;) {
          const width = steps[i]![1]
          await Promise.all(steps.slice(i, i + width).map(([c]) => perform(c, seen)))
          i += width
        }
        // checked against everything known at the end (ids made later in the sequence included)
        for (const s of seen) {
          const foreign = owned[other(s.tenant)]
          for (const secret of [...Object.values(foreign.ids).flat(), ...foreign.names, foreign.admin.token, foreign.reader.token]) {
            // an id the caller sent may be echoed back ("proposal … not found"): that tells it nothing
            if (s.text.includes(secret) && !s.asked.includes(secret)) expect.fail(`${s.what} contains ${secret}, which belongs to ${other(s.tenant)}`)
          }
        }
      }),
      { numRuns: 25, seed: Number(process.env.ISOLATION_SEED ?? 20_2026), endOnFailure: true }
    )
    // the runs the property started finish; their proposals are each tenant's own
    for (const t of ["alpha", "bravo"] as const) {
      const repos = (await json(await req(owned[t].admin.token, "GET", "/api/repos"))).items.map((r: { id: string }) => r.id)
      expect(repos.every((id: string) => ownerOf(id) === t)).toBe(true)
    }
  }, 300_000)
})
