/** @jsxImportSource hono/jsx */
/**
 * Runs: the list across repositories, and a run's page with its live stage timeline (durations,
 * executions, runner), the candidates with why each was accepted or rejected, the baseline steps
 * with their logs (secrets redacted), and the event log.
 *
 * @internal
 */
import type { Child } from "hono/jsx"
import type { Repo, RunEvent, RunStage, RunView } from "../../../Store.js"
import type { Scope } from "../../../Tenants.js"
import type { RunItem } from "../store.js"
import { Csrf, Flash, formatCount, formatDuration, formatUsd, href, Pill, Select, shortId, Tile, When } from "../ui.js"

/** The pipeline's stages, in order, with what each does. */
export const STAGES: ReadonlyArray<readonly [string, string]> = [
  ["detect", "Reads the repository: package manager, commands, frameworks"],
  ["baseline", "Installs, builds and tests the current code; measures benchmarks"],
  ["scan", "Finds improvement opportunities"],
  ["patchgen", "Writes candidate patches"],
  ["validate", "Proves each candidate: policy, tests, interleaved benchmarks"],
  ["package", "Packages the proven candidates as proposals with their evidence"]
]

const finishedStatuses = new Set(["succeeded", "failed", "cancelled"])

const runDuration = (run: { readonly startedAt: string | null; readonly createdAt: string; readonly finishedAt: string | null }, now: number): number | null => {
  const start = Date.parse(run.startedAt ?? run.createdAt)
  const end = run.finishedAt === null ? now : Date.parse(run.finishedAt)
  return Number.isNaN(start) || Number.isNaN(end) ? null : end - start
}

const stageDuration = (s: RunStage, now: number): number | null => {
  if (s.startedAt === null) return null
  const end = s.finishedAt === null ? (s.status === "running" ? now : null) : Date.parse(s.finishedAt)
  return end === null ? null : end - Date.parse(s.startedAt)
}

/** Runs as a table. */
export const RunsTable = ({ runs, now, showRepo = true }: { readonly runs: ReadonlyArray<RunItem>; readonly now: number; readonly showRepo?: boolean }) =>
  runs.length === 0
    ? <div class="empty-state"><p>No runs yet.</p></div>
    : (
      <div class="table-wrap">
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Run</th>
              {showRepo ? <th scope="col">Repository</th> : null}
              <th scope="col">Status</th>
              <th scope="col" class="opt">Stage</th>
              <th scope="col" class="num">Duration</th>
              <th scope="col" class="num opt">Candidates</th>
              <th scope="col" class="num">Proposals</th>
              <th scope="col" class="opt">Started</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => {
              const current = [...run.stages].reverse().find((s) => s.startedAt !== null)
              return (
                <tr>
                  <td class="title"><a href={href(`/runs/${run.id}`)} class="mono">{shortId(run.id)}</a><div class="sub">{run.trigger}</div></td>
                  {showRepo ? <td><a href={href(`/repos/${run.repoId}`)}>{run.repoName}</a></td> : null}
                  <td><Pill status={run.status} /></td>
                  <td class="opt">{current === undefined ? <span class="faint">—</span> : <span>{current.stage}{current.status === "failed" ? " (failed)" : ""}</span>}</td>
                  <td class="num">{formatDuration(runDuration(run, now) ?? Number.NaN)}</td>
                  <td class="num opt">{run.counts.candidates}</td>
                  <td class="num">{run.counts.proposals}</td>
                  <td class="opt"><When iso={run.createdAt} now={now} /></td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
    )

/** The runs list page body. */
export const RunsPage = (props: {
  readonly runs: ReadonlyArray<RunItem>
  readonly repos: ReadonlyArray<Repo>
  readonly filter: { readonly repo?: string | undefined; readonly status?: string | undefined }
  readonly now: number
}) => (
  <>
    <div class="page-head">
      <div>
        <h1>Runs</h1>
        <p class="muted">Every run of every repository, newest first.</p>
      </div>
    </div>
    <form class="filters" method="get" action={href("/runs")}>
      <Select id="f-repo" name="repo" label="Repository" value={props.filter.repo} options={[["", "All repositories"], ...props.repos.map((r) => [r.id, r.name] as const)]} />
      <Select id="f-status" name="status" label="Status" value={props.filter.status}
        options={[["", "Any status"], ...["queued", "running", "succeeded", "failed", "cancelled"].map((x) => [x, x] as const)]} />
      <button class="btn" type="submit">Filter</button>
    </form>
    <div class="card flush"><RunsTable runs={props.runs} now={props.now} /></div>
  </>
)

/** The stage timeline as a small Gantt chart (SVG; positions are attributes, so CSP allows them). */
const Gantt = ({ run, now }: { readonly run: RunView; readonly now: number }) => {
  const started = run.stages.filter((s) => s.startedAt !== null)
  if (started.length === 0) return null
  const t0 = Math.min(...started.map((s) => Date.parse(s.startedAt ?? "")))
  const t1 = Math.max(t0 + 1, run.finishedAt === null ? now : Date.parse(run.finishedAt), ...started.map((s) => (s.finishedAt === null ? now : Date.parse(s.finishedAt))))
  const W = 720
  const L = 76
  const R = 12
  const H = 16
  const gap = 6
  const x = (t: number) => L + ((t - t0) / (t1 - t0)) * (W - L - R)
  const height = STAGES.length * (H + gap) + 18
  return (
    <svg class="gantt" viewBox={`0 0 ${W} ${height}`} role="img" aria-label={`Stage timeline over ${formatDuration(t1 - t0)}`}>
      {STAGES.map(([name], i) => {
        const s = run.stages.find((st) => st.stage === name)
        const y = i * (H + gap)
        const start = s?.startedAt === null || s === undefined ? null : Date.parse(s.startedAt)
        const end = s === undefined || start === null ? null : s.finishedAt === null ? now : Date.parse(s.finishedAt)
        return (
          <g>
            <text x={L - 8} y={y + H - 4} text-anchor="end">{name}</text>
            <rect class="track" x={L} y={y} width={W - L - R} height={H} rx="4" />
            {start === null || end === null ? null : <rect class={`bar ${s?.status ?? ""}`} x={x(start).toFixed(1)} y={y} width={Math.max(3, x(end) - x(start)).toFixed(1)} height={H} rx="4" />}
          </g>
        )
      })}
      <text x={L} y={height - 2}>0 s</text>
      <text x={W - R} y={height - 2} text-anchor="end">{formatDuration(t1 - t0)}</text>
    </svg>
  )
}

const icon = { succeeded: "✓", failed: "✕", running: "", pending: "" } as const

/** What the live part of a run page shows. */
export interface RunLiveData {
  readonly run: RunView
  readonly repo: Repo
  readonly events: ReadonlyArray<RunEvent>
  readonly attempts: ReadonlyArray<AttemptView>
  readonly steps: ReadonlyArray<StepView>
  readonly now: number
  readonly csrf: string
  /** What the viewer's token may do. */
  readonly scopes: ReadonlyArray<Scope>
}

/** A candidate's attempt, with the candidate's title when known. */
export interface AttemptView {
  readonly id: string
  readonly title: string | null
  readonly rule: string
  readonly source: string
  readonly status: string
  readonly reason: string
  readonly durationMs: number | null
  readonly files: ReadonlyArray<string>
}

/** A baseline step with its log (redacted), when recorded. */
export interface StepView {
  readonly name: string
  readonly command: string
  readonly exitCode: number | null
  readonly durationMs: number | null
  readonly outcome: string
  readonly reason: string | null
  readonly log: string | null
}

const describeEvent = (e: RunEvent): Child => {
  const d = (e.data ?? {}) as Record<string, unknown>
  const s = (k: string) => (d[k] === undefined || d[k] === null ? "" : String(d[k]))
  switch (e.type) {
    case "run.queued":
      return <>Queued <span class="muted">(trigger: {s("trigger")}{d.tokenId ? <>, token <code>{s("tokenId")}</code></> : null})</span></>
    case "quota.applied":
      return <>Quota <code>{s("quota")}</code> of the {s("scope")} applies: at most {s("limit")} (the repository's budget is {s("budget")})</>
    case "run.started":
      return <>Started on runner <code>{s("runner")}</code></>
    case "stage.started":
      return <><b>{s("stage")}</b> started{Number(d.executions) > 1 ? ` (execution ${s("executions")})` : ""}{d.runner ? <> on <code>{s("runner")}</code></> : null}</>
    case "stage.completed":
      return <><b>{s("stage")}</b> finished in {formatDuration(Number(d.durationMs))}</>
    case "stage.failed":
      return <><b>{s("stage")}</b> failed: <span class="err">{s("error")}</span></>
    case "proposal.created":
      return <>Proposal <a href={href(`/proposals/${s("id")}`)}>{s("title")}</a></>
    case "proposal.published":
      return <>Published <code>{s("branch")}</code>{d.url ? <> — <a href={s("url")} rel="noreferrer">{s("url")}</a></> : null}</>
    case "run.succeeded":
      return <b>Run succeeded</b>
    case "run.failed":
      return <><b>Run failed</b>{d.error ? <>: <span class="err">{s("error")}</span></> : null}</>
    case "run.cancelled":
      return <><b>Run cancelled</b>{d.error ? <span class="muted"> ({s("error")})</span> : null}</>
    case "run.cancel-requested":
      return "Cancellation requested"
    default:
      return <code>{e.type}</code>
  }
}

/** The part of a run page that the script refreshes as events arrive. */
export const RunLive = ({ data }: { readonly data: RunLiveData }) => {
  const { run, now } = data
  const duration = runDuration(run, now)
  const live = !finishedStatuses.has(run.status)
  return (
    <>
      <div class="stats">
        <Tile label="Status" value={<Pill status={run.status} />} sub={run.cancelRequested && live ? "cancel requested" : run.runner === null ? undefined : `on ${run.runner}`} />
        <Tile label="Duration" value={formatDuration(duration ?? Number.NaN)} sub={live ? "so far" : <When iso={run.finishedAt} now={now} />} />
        <Tile label="Candidates" value={run.counts.candidates} />
        <Tile label="Proposals" value={run.counts.proposals} tone={run.counts.proposals > 0 ? "good" : undefined} />
        <Tile label="Compute" value={formatDuration(run.usage.computeMs)} sub="stage time, metered" />
        <Tile
          label="LLM"
          value={run.usage.llmCalls === 0 ? "—" : formatUsd(run.usage.costUsd)}
          sub={run.usage.llmCalls === 0 ? "no model calls" : `${formatCount(run.usage.llmCalls)} call${run.usage.llmCalls === 1 ? "" : "s"}, ${formatCount(run.usage.inputTokens)} in / ${formatCount(run.usage.outputTokens)} out tokens`}
        />
      </div>
      {run.error === null ? null : <Flash kind="error"><b>{run.status === "cancelled" ? "Cancelled" : "Failed"}:</b> {run.error}</Flash>}
      <div class="grid two">
        <section class="card" aria-labelledby="timeline-h">
          <div class="card-head"><h2 id="timeline-h">Stage timeline</h2></div>
          <ol class="timeline">
            {STAGES.map(([name, what]) => {
              const s = run.stages.find((st) => st.stage === name)
              const status = s?.status ?? "pending"
              const d = s === undefined ? null : stageDuration(s, now)
              return (
                <li class={status} data-stage={name} data-status={status}>
                  <span class="icon" aria-hidden="true">{icon[status]}</span>
                  <span class="name">{name}<span class="vh"> — {status}</span></span>
                  <span class="detail">
                    {s === undefined
                      ? what
                      : <>{status === "running" ? "running" : status}{s.executions > 1 ? ` · ${s.executions} executions` : " · 1 execution"}{s.runner === null ? null : <> · runner <code>{s.runner}</code></>}</>}
                    {s?.error ? <div class="err">{s.error}</div> : null}
                  </span>
                  <span class="dur">{d === null ? "" : formatDuration(d)}</span>
                </li>
              )
            })}
          </ol>
          <Gantt run={run} now={now} />
        </section>
        <section class="card" aria-labelledby="proposals-h">
          <div class="card-head"><h2 id="proposals-h">Proposals</h2></div>
          {run.proposals.length === 0
            ? <p class="muted">{live ? "Proposals appear here when the package stage finishes." : "This run produced no proposal."}</p>
            : (
              <ul class="checks">
                {run.proposals.map((p) => (
                  <li><Pill status={p.status} /> <a href={href(`/proposals/${p.id}`)}>{p.title}</a></li>
                ))}
              </ul>
            )}
          <h3>Events</h3>
          <ol class="events" aria-label="Run events" tabindex={0}>
            {data.events.map((e) => (
              <li><time datetime={e.createdAt}>{e.createdAt.slice(11, 19)}</time><span>{describeEvent(e)}</span></li>
            ))}
          </ol>
        </section>
      </div>
      <section class="card" aria-labelledby="attempts-h">
        <div class="card-head"><h2 id="attempts-h">Candidates</h2><span class="muted small">why each was accepted or rejected</span></div>
        {data.attempts.length === 0
          ? <p class="muted">{live ? "Candidates are listed once the validate stage has checked them." : "No candidate was validated in this run."}</p>
          : data.attempts.map((a) => (
            <div class="attempt">
              <Pill status={a.status} />
              <div>
                <b>{a.title ?? a.rule}</b> <span class="muted small">{a.source}{a.files.length > 0 ? ` · ${a.files.join(", ")}` : ""}{a.durationMs === null ? "" : ` · ${formatDuration(a.durationMs)}`}</span>
              </div>
              <div class="why">{a.reason}</div>
            </div>
          ))}
      </section>
      <section class="card" aria-labelledby="steps-h">
        <div class="card-head"><h2 id="steps-h">Baseline steps and logs</h2><span class="muted small">secrets are redacted</span></div>
        {data.steps.length === 0
          ? <p class="muted">{live ? "The baseline's steps appear when the baseline stage finishes." : "No baseline step was recorded."}</p>
          : data.steps.map((step) => (
            <details>
              <summary>
                <Pill status={step.outcome === "passed" || step.outcome === "reused" ? "succeeded" : step.outcome === "skipped" ? "neutral" : "failed"} label={step.outcome} />
                <span>{step.name}</span>
                <code class="muted small">{step.command}</code>
                <span class="muted small">{step.exitCode === null ? "" : `exit ${step.exitCode}`}{step.durationMs === null ? "" : ` · ${formatDuration(step.durationMs)}`}</span>
              </summary>
              <div class="inner">
                {step.reason === null ? null : <p class="small">{step.reason}</p>}
                {step.log === null ? <p class="muted small">No log was recorded for this step.</p> : <pre class="log" tabindex={0}>{step.log}</pre>}
              </div>
            </details>
          ))}
      </section>
    </>
  )
}

/** A run's page. */
export const RunPage = ({ data, notice }: { readonly data: RunLiveData; readonly notice?: Child }) => {
  const { run, repo } = data
  const live = !finishedStatuses.has(run.status)
  return (
    <>
      <div class="crumbs"><a href={href("/runs")}>Runs</a> / <a href={href(`/repos/${repo.id}`)}>{repo.name}</a></div>
      <div class="page-head">
        <div>
          <h1>Run <span class="mono">{run.id}</span></h1>
          <div class="meta">
            <span>Repository <a href={href(`/repos/${repo.id}`)}>{repo.name}</a></span>
            <span>Trigger {run.trigger}</span>
            {run.tokenId === null ? null : <span>started by token <code>{run.tokenId}</code></span>}
            <span>Created <When iso={run.createdAt} now={data.now} /></span>
            <span id="live-status" role="status" aria-live="polite">{live ? "Reload the page to see progress (or enable JavaScript for live updates)." : ""}</span>
          </div>
        </div>
        {live && !run.cancelRequested && data.scopes.includes("run")
          ? (
            <form method="post" action={href(`/runs/${run.id}/cancel`)} data-confirm="Cancel this run at the next stage boundary?" data-while-running="">
              <Csrf token={data.csrf} />
              <button class="btn danger" type="submit">Cancel run</button>
            </form>
          )
          : null}
      </div>
      {notice}
      <div id="run-live" data-live-run={live ? "" : undefined} data-events={href(`/runs/${run.id}/events`)} data-fragment={href(`/runs/${run.id}/live`)}>
        <RunLive data={data} />
      </div>
    </>
  )
}
