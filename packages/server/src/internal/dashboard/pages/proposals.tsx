/** @jsxImportSource hono/jsx */
/**
 * Proposals: the inbox across repositories (filters: status, repository, kind) and a proposal's
 * page — the verdict at a glance, the benchmark chart, the side-by-side diff, tests and policy
 * evidence, the trace, the ledger of decisions and writes, the audio summary, and the decision
 * forms bound to the content hash the reviewer is looking at.
 *
 * @internal
 */
import type { Child } from "hono/jsx"
import type { Approval, Proposal, Repo } from "../../../Store.js"
import type { Scope } from "../../../Tenants.js"
import { type Benchmark, BenchmarkChart, formatChange, formatNs, formatP } from "../chart.js"
import { DiffView } from "../diff.js"
import type { ProposalItem } from "../store.js"
import { Csrf, Flash, formatCount, formatDuration, formatUsd, href, KeyValues, Lacks, Pill, Select, When } from "../ui.js"

/** A proposal's stored data, read leniently for display. */
export interface ProposalData {
  readonly summary: string | null
  readonly kind: string | null
  readonly files: ReadonlyArray<string>
  readonly diff: string
  readonly tests: { readonly passed: number; readonly failed: number; readonly skipped: number; readonly runner: string | null; readonly list: ReadonlyArray<{ readonly name: string; readonly status: string }> } | null
  readonly benchmark: Benchmark | null
  readonly policy: ReadonlyArray<{ readonly rule: string; readonly severity: string; readonly message: string; readonly file: string | null }>
  readonly risk: string | null
  readonly confidence: number | null
  readonly trace: ReadonlyArray<{ readonly id: string; readonly rule: string; readonly source: string; readonly status: string; readonly reason: string; readonly durationMs: number | null }>
  readonly thinking: { readonly model: string; readonly reasoning: string; readonly tokens: string | null } | null
  readonly artifacts: ReadonlyArray<{ readonly name: string; readonly sha256: string; readonly bytes: number }>
  readonly rule: string | null
  readonly source: string | null
}

const rec = (u: unknown): Record<string, unknown> => (typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : {})
const arr = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])
const strOr = (u: unknown, fallback: string | null): string | null => (typeof u === "string" ? u : fallback)
const numOr = (u: unknown): number | null => (typeof u === "number" && Number.isFinite(u) ? u : null)

/** Reads a proposal's data (any shape) into what the page shows. */
export const readProposal = (data: unknown): ProposalData => {
  const d = rec(data)
  const t = d.tests === undefined || d.tests === null ? null : rec(d.tests)
  const b = d.benchmark === undefined || d.benchmark === null ? null : rec(d.benchmark)
  const nums = (u: unknown) => arr(u).filter((x): x is number => typeof x === "number")
  const benchmark: Benchmark | null = b !== null && typeof b.change === "number" && typeof b.baselineMedianNs === "number" && typeof b.candidateMedianNs === "number"
    ? {
      name: strOr(b.name, "benchmark") ?? "benchmark",
      baselineMedianNs: b.baselineMedianNs,
      candidateMedianNs: b.candidateMedianNs,
      change: b.change,
      ciLow: numOr(b.ciLow) ?? b.change,
      ciHigh: numOr(b.ciHigh) ?? b.change,
      pValue: numOr(b.pValue) ?? 1,
      samples: numOr(b.samples) ?? 0,
      baselineSamplesNs: nums(b.baselineSamplesNs),
      candidateSamplesNs: nums(b.candidateSamplesNs)
    }
    : null
  const thinking = rec(d.thinking)
  return {
    summary: strOr(d.summary, strOr(d.explanation, null)),
    kind: strOr(d.kind, null),
    files: arr(d.files).map(String),
    diff: strOr(d.diff, "") ?? "",
    tests: t === null ? null : {
      passed: numOr(t.passed) ?? 0,
      failed: numOr(t.failed) ?? 0,
      skipped: numOr(t.skipped) ?? 0,
      runner: strOr(t.runner, null),
      list: arr(t.tests).map((x) => ({ name: String(rec(x).name ?? ""), status: String(rec(x).status ?? "") }))
    },
    benchmark,
    policy: arr(d.policy).map((v) => {
      const r = rec(v)
      return { rule: String(r.rule ?? ""), severity: String(r.severity ?? ""), message: String(r.message ?? ""), file: strOr(r.file, null) }
    }),
    risk: strOr(d.risk, null),
    confidence: numOr(d.confidence),
    trace: arr(d.trace).map((a) => {
      const r = rec(a)
      return { id: String(r.id ?? ""), rule: String(r.rule ?? ""), source: String(r.source ?? ""), status: String(r.status ?? ""), reason: String(r.reason ?? ""), durationMs: numOr(r.durationMs) }
    }),
    thinking: typeof thinking.reasoning === "string"
      ? {
        model: String(thinking.model ?? "model"),
        reasoning: thinking.reasoning,
        tokens: typeof thinking.inputTokens === "number" && typeof thinking.outputTokens === "number"
          ? `${thinking.inputTokens} in / ${thinking.outputTokens} out tokens${typeof thinking.costUsd === "number" ? `, $${thinking.costUsd.toFixed(4)}` : ""}`
          : null
      }
      : null,
    artifacts: arr(d.artifacts).map((a) => {
      const r = rec(a)
      return { name: String(r.name ?? ""), sha256: String(r.sha256 ?? ""), bytes: numOr(r.bytes) ?? 0 }
    }),
    rule: strOr(d.rule, null),
    source: strOr(d.source, null)
  }
}

/** Plain text with paragraphs and `code` spans (the summaries' only markup), rendered safely. */
const Prose = ({ text }: { readonly text: string }) => (
  <div class="prose">
    {text.split(/\n{2,}/).map((para) => (
      <p>{para.split(/(`[^`\n]+`)/).map((part) => (part.length > 2 && part.startsWith("`") && part.endsWith("`") ? <code>{part.slice(1, -1)}</code> : part))}</p>
    ))}
  </div>
)

/** The inbox page body. */
export const InboxPage = (props: {
  readonly items: ReadonlyArray<ProposalItem>
  readonly repos: ReadonlyArray<Repo>
  readonly filter: { readonly status: string; readonly repo?: string | undefined; readonly kind?: string | undefined }
  readonly now: number
}) => (
  <>
    <div class="page-head">
      <div>
        <h1>Proposals</h1>
        <p class="muted">Proven changes waiting for a decision, across every repository.</p>
      </div>
    </div>
    <form class="filters" method="get" action={href("/proposals")}>
      <Select id="f-status" name="status" label="Status" value={props.filter.status}
        options={[["pending", "Waiting for review"], ["approved", "Approved"], ["changes-requested", "Changes requested"], ["rejected", "Rejected"], ["all", "Any status"]]} />
      <Select id="f-repo" name="repo" label="Repository" value={props.filter.repo} options={[["", "All repositories"], ...props.repos.map((r) => [r.id, r.name] as const)]} />
      <Select id="f-kind" name="kind" label="Kind" value={props.filter.kind} options={[["", "Any kind"], ["performance", "Performance"], ["tech-debt", "Tech debt"]]} />
      <button class="btn" type="submit">Filter</button>
    </form>
    <div class="card flush">
      <ProposalTable items={props.items} now={props.now} empty={props.filter.status === "pending" ? "Nothing waiting for review. Start a run from a repository's page." : "No proposal matches these filters."} />
    </div>
  </>
)

/** Proposals as a table. */
export const ProposalTable = ({ items, now, empty }: { readonly items: ReadonlyArray<ProposalItem>; readonly now: number; readonly empty: string }) =>
  items.length === 0
    ? <div class="empty-state"><p>{empty}</p></div>
    : (
      <div class="table-wrap">
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Proposal</th>
              <th scope="col" class="num">Gain</th>
              <th scope="col" class="opt">Kind</th>
              <th scope="col" class="opt">Risk</th>
              <th scope="col">Status</th>
              <th scope="col" class="opt">Created</th>
            </tr>
          </thead>
          <tbody>
            {items.map((p) => (
              <tr>
                <td class="title"><a href={href(`/proposals/${p.id}`)}>{p.title}</a><div class="sub">{p.repoName} · {p.files} file{p.files === 1 ? "" : "s"}</div></td>
                <td class="num">{p.change === null ? <span class="faint">—</span> : <b class={p.change < 0 ? "ok-mark" : ""}>{formatChange(p.change)}</b>}</td>
                <td class="opt">{p.kind === null ? <span class="faint">—</span> : <Pill status={p.kind} />}</td>
                <td class="opt">{p.risk ?? "—"}</td>
                <td><Pill status={p.status} />{p.published ? <> <Pill status="succeeded" label="published" /></> : null}</td>
                <td class="opt"><When iso={p.createdAt} now={now} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    )

/** Whether the audio summary exists, can be made, or needs espeak-ng installed. */
export type AudioState =
  | { readonly kind: "ready"; readonly artifactId: string; readonly bytes: number; readonly transcript: string | null }
  | { readonly kind: "available" }
  | { readonly kind: "missing"; readonly detail: string }

/** One entry of the ledger: a decision or a write. */
export interface LedgerEntry {
  readonly at: string
  readonly what: Child
  readonly who: string | null
}

/** A write of this proposal (create PR). */
export interface Publication {
  readonly branch: string
  readonly url: string | null
  readonly connector: string
  readonly commit: string | null
  readonly patchFile: string | null
  readonly at: string
  readonly requestedBy: string | null
}

/** Everything a proposal page shows. */
export interface ProposalPageData {
  readonly proposal: Proposal
  readonly data: ProposalData
  readonly repo: Repo
  readonly audio: AudioState
  readonly ledger: ReadonlyArray<LedgerEntry>
  readonly publications: ReadonlyArray<Publication>
  readonly artifacts: ReadonlyArray<{ readonly id: string; readonly name: string; readonly size: number }>
  readonly csrf: string
  readonly now: number
  readonly view: "auto" | "split" | "unified"
  readonly threshold: number
  /** What the viewer's token may do. */
  readonly scopes: ReadonlyArray<Scope>
  /** The LLM calls behind this proposal (null: none) and what its run consumed. */
  readonly cost: {
    readonly llm: { readonly calls: number; readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number } | null
    readonly run: { readonly computeMinutes: number; readonly llmCalls: number; readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number }
  }
}

const decisionLabel: Record<Approval["decision"], string> = {
  approved: "Approved",
  rejected: "Rejected",
  "changes-requested": "Changes requested"
}

const Verdict = ({ d }: { readonly d: ProposalData }) => {
  const b = d.benchmark
  const policyBlocks = d.policy.filter((v) => v.severity === "BLOCK").length
  const policyWarns = d.policy.filter((v) => v.severity === "WARN").length
  return (
    <section class="verdict" aria-label="Verdict">
      {b === null
        ? <div><div class="big neutral">{d.kind === "tech-debt" ? "Tech debt" : "No benchmark"}</div><div class="muted small">no measured speedup</div></div>
        : <div><div class="big good">{formatChange(b.change)}</div><div class="muted small">median time of {b.name}</div></div>}
      <div class="facts">
        {b === null ? null : <span>95% CI <b>{formatChange(b.ciLow)} … {formatChange(b.ciHigh)}</b></span>}
        {b === null ? null : <span><b>{formatP(b.pValue)}</b>, n = {b.samples}</span>}
        {b === null ? null : <span>{formatNs(b.baselineMedianNs)} → <b>{formatNs(b.candidateMedianNs)}</b></span>}
        {d.tests === null ? null : <span>Tests <b class={d.tests.failed === 0 ? "ok-mark" : "bad-mark"}>{d.tests.passed} passed</b>{d.tests.failed > 0 ? `, ${d.tests.failed} failed` : ""}{d.tests.skipped > 0 ? `, ${d.tests.skipped} skipped` : ""}</span>}
        <span>Policy <b class={policyBlocks > 0 ? "bad-mark" : policyWarns > 0 ? "warn-mark" : "ok-mark"}>{policyBlocks > 0 ? `${policyBlocks} blocking` : policyWarns > 0 ? `${policyWarns} warning${policyWarns === 1 ? "" : "s"}` : "clean"}</b></span>
        {d.risk === null ? null : <span>Risk <b>{d.risk}</b></span>}
        {d.confidence === null ? null : <span>Confidence <b>{Math.round(d.confidence * 100)}%</b></span>}
      </div>
    </section>
  )
}

const DecisionCard = ({ p }: { readonly p: ProposalPageData }) => {
  const { proposal } = p
  const open = proposal.status === "pending" || proposal.status === "changes-requested"
  const last = proposal.decisions[proposal.decisions.length - 1]
  return (
    <section class="card decide" aria-labelledby="decide-h">
      <div class="card-head"><h2 id="decide-h">Decision</h2><Pill status={proposal.status} /></div>
      {last === undefined ? null : (
        <p class="small">{decisionLabel[last.decision]} by <b>{last.actor}</b> <When iso={last.createdAt} now={p.now} />{last.note === null ? null : <>: “{last.note}”</>}</p>
      )}
      {open && !p.scopes.includes("approve") ? <Lacks scope="approve" what="approve, reject or request changes" /> : null}
      {open && p.scopes.includes("approve")
        ? (
          <form method="post" action={href(`/proposals/${proposal.id}/decide`)}>
            <Csrf token={p.csrf} />
            <input type="hidden" name="contentHash" value={proposal.contentHash} />
            <div class="field">
              <label for="note">Note <span class="muted">(optional; sent back with “request changes”)</span></label>
              <textarea id="note" name="note" maxlength={10000} placeholder="What you checked, or what should change" />
            </div>
            <div class="actions">
              <button class="btn good" type="submit" name="decision" value="approve">Approve</button>
              <button class="btn" type="submit" name="decision" value="request-changes">Request changes</button>
              <button class="btn danger" type="submit" name="decision" value="reject" data-confirm="Reject this proposal? It cannot be approved afterwards.">Reject</button>
            </div>
            <p class="muted small">Your decision is bound to content hash <span class="hash">{proposal.contentHash.slice(0, 16)}…</span>; if the proposal changes, it is refused and you review it again.</p>
          </form>
        )
        : null}
      {proposal.status === "approved" ? (p.scopes.includes("publish") ? <PublishForm p={p} /> : <Lacks scope="publish" what="create the pull request" />) : null}
    </section>
  )
}

const PublishForm = ({ p }: { readonly p: ProposalPageData }) => {
  const where = p.repo.path !== null
    ? <>a branch <code>ratchet/{p.proposal.id}</code> with one commit in <code>{p.repo.path}</code>, and a patch file</>
    : p.repo.url?.startsWith("https://github.com/")
      ? <>a branch, a commit and a draft pull request on <code>{p.repo.url}</code></>
      : <>a pull request through the repository's connector</>
  return (
    <div>
      <h3>Publish</h3>
      {p.publications.length > 0
        ? p.publications.map((pub) => (
          <Flash kind="ok">
            Published on branch <code>{pub.branch}</code>
            {pub.commit === null ? null : <> (commit <span class="hash">{pub.commit.slice(0, 12)}</span>)</>}
            {pub.url === null || !/^https?:\/\//.test(pub.url) ? null : <> — <a href={pub.url} rel="noreferrer">{pub.url}</a></>}
            {pub.patchFile === null ? null : <div class="small">Patch file: <code>{pub.patchFile}</code></div>}
          </Flash>
        ))
        : <p class="small">Creates {where}, through the write gate: it re-checks the approval against the content and re-runs the policy first.</p>}
      <form method="post" action={href(`/proposals/${p.proposal.id}/pr`)}>
        <Csrf token={p.csrf} />
        <button class={`btn ${p.publications.length > 0 ? "" : "primary"}`} type="submit">{p.publications.length > 0 ? "Publish again (idempotent)" : "Create pull request"}</button>
      </form>
    </div>
  )
}

const AudioCard = ({ p }: { readonly p: ProposalPageData }) => (
  <section class="card" aria-labelledby="audio-h">
    <div class="card-head"><h2 id="audio-h">Audio summary</h2></div>
    {p.audio.kind === "ready"
      ? (
        <>
          <p class="small muted">What changed, the measured gain and the risk, spoken (espeak-ng, rendered offline).</p>
          <audio controls preload="none" src={href(`/artifacts/${p.audio.artifactId}`)}>
            <track kind="captions" src={href(`/proposals/${p.proposal.id}/summary.vtt`)} srclang="en" label="English" default />
            <a href={href(`/artifacts/${p.audio.artifactId}`)}>Download the audio summary</a>
          </audio>
          {p.audio.transcript === null ? null : (
            <details>
              <summary>Transcript</summary>
              <div class="inner"><p class="small">{p.audio.transcript}</p></div>
            </details>
          )}
          <p class="small"><a href={href(`/artifacts/${p.audio.artifactId}`, { download: "1" })}>Download WAV</a> <span class="muted">({Math.round(p.audio.bytes / 1024)} KiB)</span></p>
        </>
      )
      : p.audio.kind === "available"
        ? (
          <form method="post" action={href(`/proposals/${p.proposal.id}/audio`)}>
            <Csrf token={p.csrf} />
            <p class="small muted">A short spoken summary — what changed, the measured gain, the risk — rendered on the server with espeak-ng and stored with the proposal.</p>
            <button class="btn" type="submit">Generate audio summary</button>
          </form>
        )
        : (
          <div class="small">
            <p><b>Audio summaries are off:</b> {p.audio.detail}</p>
            <p>To enable them, install espeak-ng on the server (Debian/Ubuntu: <code>apt-get install espeak-ng</code>; macOS: <code>brew install espeak-ng</code>), or point <code>RATCHET_ESPEAK</code> at its binary, then restart the server.</p>
          </div>
        )}
  </section>
)

const Evidence = ({ d }: { readonly d: ProposalData }) => (
  <section class="card" aria-labelledby="evidence-h">
    <div class="card-head"><h2 id="evidence-h">Evidence</h2></div>
    <h3>Tests</h3>
    {d.tests === null
      ? <p class="muted small">No test evidence recorded.</p>
      : (
        <>
          <p class="small">
            <span class={d.tests.failed === 0 ? "ok-mark" : "bad-mark"}>{d.tests.failed === 0 ? "✓" : "✕"}</span> {d.tests.passed} passed, {d.tests.failed} failed, {d.tests.skipped} skipped
            {d.tests.runner === null ? null : <span class="muted"> ({d.tests.runner})</span>} — with the change applied
          </p>
          {d.tests.list.length === 0 ? null : (
            <details>
              <summary>{d.tests.list.length} tests</summary>
              <div class="inner">
                <ul class="checks">
                  {d.tests.list.map((t) => (
                    <li><span class={t.status === "passed" ? "ok-mark" : t.status === "failed" ? "bad-mark" : "warn-mark"} aria-hidden="true">{t.status === "passed" ? "✓" : t.status === "failed" ? "✕" : "•"}</span><span>{t.name} <span class="vh">{t.status}</span></span></li>
                  ))}
                </ul>
              </div>
            </details>
          )}
        </>
      )}
    <h3>Policy</h3>
    {d.policy.length === 0
      ? <p class="small"><span class="ok-mark">✓</span> No rule fired: within the size limits, no config, test, manifest, lockfile or CI change, no secret, no binary, no path escape.</p>
      : (
        <ul class="checks">
          {d.policy.map((v) => (
            <li><Pill status={v.severity === "BLOCK" ? "block" : "warn"} label={v.severity} /><span><code>{v.rule}</code> {v.message}{v.file === null ? null : <span class="muted"> ({v.file})</span>}</span></li>
          ))}
        </ul>
      )}
  </section>
)

/** A proposal's page. */
export const ProposalPage = ({ p, notice }: { readonly p: ProposalPageData; readonly notice?: Child }) => {
  const { proposal, data: d } = p
  return (
    <>
      <div class="crumbs"><a href={href("/proposals")}>Proposals</a> / <a href={href(`/repos/${p.repo.id}`)}>{p.repo.name}</a></div>
      <div class="page-head">
        <div>
          <h1>{proposal.title}</h1>
          <div class="meta">
            <Pill status={proposal.status} />
            {d.kind === null ? null : <Pill status={d.kind} />}
            <span><a href={href(`/repos/${p.repo.id}`)}>{p.repo.name}</a></span>
            <span>from run <a href={href(`/runs/${proposal.runId}`)} class="mono">{proposal.runId}</a></span>
            <span>created <When iso={proposal.createdAt} now={p.now} /></span>
            {d.rule === null ? null : <span>rule <code>{d.rule}</code></span>}
          </div>
        </div>
      </div>
      {notice}
      <Verdict d={d} />
      <div class="grid two">
        <div>
          <section class="card" aria-labelledby="summary-h">
            <div class="card-head"><h2 id="summary-h">What changes and why</h2></div>
            {d.summary === null ? <p class="muted">No summary recorded.</p> : <Prose text={d.summary} />}
            <KeyValues items={[
              ["Files", d.files.length === 0 ? "—" : d.files.map((f) => <code>{f} </code>)],
              ["Content hash", <span class="hash">{proposal.contentHash}</span>],
              ["Source", d.source ?? "—"],
              ["LLM cost", p.cost.llm === null
                ? "none (no model call behind this change)"
                : <>{formatUsd(p.cost.llm.costUsd)} <span class="muted small">({formatCount(p.cost.llm.calls)} call{p.cost.llm.calls === 1 ? "" : "s"}, {formatCount(p.cost.llm.inputTokens)} in / {formatCount(p.cost.llm.outputTokens)} out tokens)</span></>],
              ["Its run used", <>{p.cost.run.computeMinutes.toFixed(1)} compute min{p.cost.run.llmCalls === 0 ? null : <>, {formatUsd(p.cost.run.costUsd)} of LLM calls ({formatCount(p.cost.run.inputTokens + p.cost.run.outputTokens)} tokens)</>}</>]
            ]} />
          </section>
          <section class="card" aria-labelledby="bench-h">
            <div class="card-head"><h2 id="bench-h">Benchmark</h2></div>
            {d.benchmark === null
              ? <p class="muted">No benchmark covers this change, so no speedup is claimed{d.kind === "tech-debt" ? "; it was accepted as a tech-debt improvement (tests pass, policy allows it)" : ""}.</p>
              : (
                <>
                  <div class="chart-wide"><BenchmarkChart benchmark={d.benchmark} threshold={p.threshold} id="bench" /></div>
                  <div class="chart-narrow"><BenchmarkChart benchmark={d.benchmark} threshold={p.threshold} id="bench-n" width={380} /></div>
                  <p class="small muted">Baseline and candidate ran interleaved (A B A B …) in fresh processes. Accepted only when the whole 95% interval lies past the threshold and the Mann–Whitney test gives p &lt; 0.05.</p>
                </>
              )}
          </section>
        </div>
        <div>
          <DecisionCard p={p} />
          <AudioCard p={p} />
          <Evidence d={d} />
        </div>
      </div>
      <section class="card" aria-labelledby="diff-h">
        <div class="card-head">
          <h2 id="diff-h">Diff</h2>
          <nav class="seg" aria-label="Diff layout">
            <a href={href(`/proposals/${proposal.id}`, { view: "split" })} aria-current={p.view === "split" ? "true" : undefined}>Side by side</a>
            <a href={href(`/proposals/${proposal.id}`, { view: "unified" })} aria-current={p.view === "unified" ? "true" : undefined}>Unified</a>
            <a href={href(`/proposals/${proposal.id}`)} aria-current={p.view === "auto" ? "true" : undefined}>Auto</a>
          </nav>
        </div>
        <DiffView diff={d.diff} view={p.view} />
      </section>
      <div class="grid halves">
        <section class="card" aria-labelledby="trace-h">
          <div class="card-head"><h2 id="trace-h">Trace</h2></div>
          {d.trace.length === 0
            ? <p class="muted small">No trace recorded.</p>
            : d.trace.map((a) => (
              <div class="attempt">
                <Pill status={a.status} />
                <div><b>{a.rule}</b> <span class="muted small">{a.source}{a.durationMs === null ? "" : ` · ${formatDuration(a.durationMs)}`}</span></div>
                <div class="why">{a.reason}</div>
              </div>
            ))}
          {d.thinking === null ? null : (
            <details>
              <summary>Model reasoning ({d.thinking.model}{d.thinking.tokens === null ? "" : `; ${d.thinking.tokens}`})</summary>
              <div class="inner"><pre class="log" tabindex={0}>{d.thinking.reasoning}</pre></div>
            </details>
          )}
        </section>
        <section class="card" aria-labelledby="ledger-h">
          <div class="card-head"><h2 id="ledger-h">Ledger</h2><span class="muted small">every decision and write</span></div>
          {p.ledger.length === 0
            ? <p class="muted small">No decision yet.</p>
            : (
              <ol class="ledger">
                {p.ledger.map((e) => (
                  <li><div>{e.what}</div><div class="when"><When iso={e.at} now={p.now} />{e.who === null ? null : <> · {e.who}</>}</div></li>
                ))}
              </ol>
            )}
          {p.artifacts.length === 0 ? null : (
            <>
              <h3>Artifacts</h3>
              <ul class="checks">
                {p.artifacts.map((a) => <li><a href={href(`/artifacts/${a.id}`, { download: "1" })}>{a.name}</a> <span class="muted small">{a.size} bytes, sha256-verified on download</span></li>)}
              </ul>
            </>
          )}
        </section>
      </div>
    </>
  )
}
