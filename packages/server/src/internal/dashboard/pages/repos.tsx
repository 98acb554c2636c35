/** @jsxImportSource hono/jsx */
/**
 * Repositories: the list (last run, next scheduled run, budget use), the form that connects one
 * (validated exactly like `POST /api/repos`), and a repository's page with its settings —
 * schedule and time zone, budgets, policy limits, provider and model — pause/resume, runs and tasks.
 *
 * @internal
 */
import type { Child } from "hono/jsx"
import type { AuditEntry, Repo, Task } from "../../../Store.js"
import type { Scope } from "../../../Tenants.js"
import type { RunItem } from "../store.js"
import { Csrf, Flash, href, Lacks, Pill, Tile, When, zoned } from "../ui.js"
import { RunsTable } from "./runs.js"
import { TasksTable } from "./tasks.js"

/** A repository with what the list shows about it. */
export interface RepoSummary {
  readonly repo: Repo
  readonly lastRun: RunItem | null
  readonly nextRun: string | null
  readonly usedMinutes: number
  readonly runsToday: number
  readonly pending: number
}

/** Form errors by field name. */
export type FieldErrors = Readonly<Record<string, string>>

const FieldError = ({ errors, name }: { readonly errors: FieldErrors; readonly name: string }) =>
  errors[name] === undefined ? null : <span class="hint bad-mark" id={`${name}-error`} role="alert">{errors[name]}</span>

/** `aria-describedby` for a field: the id of its hint (when it has one) and of its error (when there is one). */
const described = (errors: FieldErrors, name: string, hintId?: string) => {
  const ids = [hintId ?? null, errors[name] === undefined ? null : `${name}-error`].filter((x) => x !== null)
  return ids.length === 0 ? {} : { "aria-describedby": ids.join(" "), "aria-invalid": errors[name] === undefined ? undefined : "true" }
}

const source = (repo: Repo) => <code class="small">{repo.path ?? repo.url}</code>

const BudgetMeter = ({ used, limit }: { readonly used: number; readonly limit: number }) => (
  <span class="nowrap">
    <meter min={0} max={Math.max(limit, 0.0001)} low={limit * 0.7} high={limit * 0.9} optimum={0} value={Math.min(used, limit)} aria-label={`${used.toFixed(1)} of ${limit} compute minutes used today`} />{" "}
    <span class="small muted">{used.toFixed(1)} / {limit} min</span>
  </span>
)

/** The repositories page body. */
export const ReposPage = ({ items, now }: { readonly items: ReadonlyArray<RepoSummary>; readonly now: number }) => (
  <>
    <div class="page-head">
      <div>
        <h1>Repositories</h1>
        <p class="muted">Connected repositories, their schedules and today's budget use.</p>
      </div>
      <a class="btn primary" href={href("/repos/new")}>Add repository</a>
    </div>
    <div class="card flush">
      <ReposTable items={items} now={now} />
    </div>
  </>
)

/** Repositories as a table. */
export const ReposTable = ({ items, now }: { readonly items: ReadonlyArray<RepoSummary>; readonly now: number }) =>
  items.length === 0
    ? (
      <div class="empty-state">
        <h2>No repository yet</h2>
        <p>Connect one by its git URL or its path on this server, then start a run.</p>
        <p><a class="btn primary" href={href("/repos/new")}>Add repository</a></p>
      </div>
    )
    : (
      <div class="table-wrap">
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Repository</th>
              <th scope="col">Last run</th>
              <th scope="col" class="opt">Next scheduled run</th>
              <th scope="col" class="opt">Budget today</th>
              <th scope="col" class="num">To review</th>
            </tr>
          </thead>
          <tbody>
            {items.map(({ repo, lastRun, nextRun, usedMinutes, pending }) => (
              <tr>
                <td class="title">
                  <a href={href(`/repos/${repo.id}`)}>{repo.name}</a> {repo.settings.paused ? <Pill status="paused" /> : null}
                  <div class="sub">{source(repo)}</div>
                </td>
                <td>{lastRun === null ? <span class="faint">never</span> : <><a href={href(`/runs/${lastRun.id}`)}><Pill status={lastRun.status} /></a> <span class="small muted"><When iso={lastRun.createdAt} now={now} /></span></>}</td>
                <td class="opt">{repo.settings.paused ? <span class="muted">paused</span> : nextRun === null ? <span class="faint">not scheduled</span> : <><When iso={nextRun} now={now} /><div class="sub">{zoned(nextRun, repo.settings.timezone)} {repo.settings.timezone}</div></>}</td>
                <td class="opt"><BudgetMeter used={usedMinutes} limit={repo.settings.budgets.computeMinutesPerDay} /></td>
                <td class="num">{pending > 0 ? <a href={href("/proposals", { repo: repo.id })}><b>{pending}</b></a> : <span class="faint">0</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    )

/** The "add a repository" form. */
export const NewRepoPage = ({ csrf, values, errors, error }: { readonly csrf: string; readonly values: Readonly<Record<string, string>>; readonly errors: FieldErrors; readonly error?: string | undefined }) => (
  <>
    <div class="crumbs"><a href={href("/repos")}>Repositories</a></div>
    <div class="page-head"><div><h1>Add a repository</h1><p class="muted">Ratchet reads it, runs its tests and benchmarks in a sandbox, and never writes to it until you approve a proposal and create its pull request.</p></div></div>
    {error === undefined ? null : <Flash kind="error">{error}</Flash>}
    <form class="card" method="post" action={href("/repos")} novalidate>
      <Csrf token={csrf} />
      <div class="field">
        <label for="name">Name</label>
        <input type="text" id="name" name="name" required maxlength={100} value={values.name ?? ""} autocomplete="off" placeholder="catalog-kit" {...described(errors, "name", "name-hint")} />
        <span class="hint" id="name-hint">Letters, digits, “.”, “_” or “-”.</span>
        <FieldError errors={errors} name="name" />
      </div>
      <div class="field">
        <label for="location">Git URL or path on the server</label>
        <input type="text" id="location" name="location" required maxlength={4096} value={values.location ?? ""} autocomplete="off" placeholder="https://github.com/acme/shop  or  /srv/repos/shop" {...described(errors, "location", "location-hint")} />
        <span class="hint" id="location-hint">An <code>https://</code> URL (public hosts only), or an absolute path to a local checkout under the server's allowed repository roots.</span>
        <FieldError errors={errors} name="location" />
      </div>
      <div class="field">
        <label for="defaultBranch">Default branch</label>
        <input type="text" id="defaultBranch" name="defaultBranch" maxlength={200} value={values.defaultBranch ?? "main"} autocomplete="off" {...described(errors, "defaultBranch")} />
        <FieldError errors={errors} name="defaultBranch" />
      </div>
      <div class="actions">
        <button class="btn primary" type="submit">Add repository</button>
        <a class="btn" href={href("/repos")}>Cancel</a>
      </div>
    </form>
  </>
)

/** Everything a repository page shows. */
export interface RepoPageData {
  readonly summary: RepoSummary
  readonly runs: ReadonlyArray<RunItem>
  /** Its prompted tasks, newest first. */
  readonly tasks: ReadonlyArray<Task>
  readonly csrf: string
  readonly now: number
  readonly timezones: ReadonlyArray<string>
  readonly values?: Readonly<Record<string, string>> | undefined
  readonly errors?: FieldErrors | undefined
  /** What the viewer's token may do. */
  readonly scopes: ReadonlyArray<Scope>
  /** Whether the viewer administers the operator organisation (only they mark a repository trusted). */
  readonly operator: boolean
  /** The latest change of the repository's `trusted` setting, if any. */
  readonly lastTrustChange: AuditEntry | null
}

/** A repository's page. */
/** The LLM agent's budgets in the settings form: field (as the API names it), label, input step. Empty means no limit. */
export const llmBudgetFields = [
  ["llmUsdPerRun", "LLM US$ per run", "0.01"],
  ["llmUsdPerDay", "LLM US$ per day", "0.01"],
  ["llmTokensPerRun", "LLM tokens per run", "1"],
  ["llmTokensPerDay", "LLM tokens per day", "1"]
] as const

export const RepoPage = ({ p, notice }: { readonly p: RepoPageData; readonly notice?: Child }) => {
  const { repo, lastRun, nextRun, usedMinutes, runsToday, pending } = p.summary
  const s = repo.settings
  const errors = p.errors ?? {}
  const v = (name: string, fallback: string): string => p.values?.[name] ?? fallback
  return (
    <>
      <div class="crumbs"><a href={href("/repos")}>Repositories</a></div>
      <div class="page-head">
        <div>
          <h1>{repo.name} {s.paused ? <Pill status="paused" /> : null}</h1>
          <div class="meta"><span>{source(repo)}</span><span>branch <code>{repo.defaultBranch}</code></span><span>added <When iso={repo.createdAt} now={p.now} /></span></div>
        </div>
        <div class="actions">
          {p.scopes.includes("run")
            ? (
              <form method="post" action={href(`/repos/${repo.id}/runs`)}>
                <Csrf token={p.csrf} />
                <button class="btn primary" type="submit" disabled={s.paused}>Start a run</button>
              </form>
            )
            : null}
          {p.scopes.includes("admin")
            ? (
              <form method="post" action={href(`/repos/${repo.id}/${s.paused ? "resume" : "pause"}`)}>
                <Csrf token={p.csrf} />
                <button class="btn" type="submit">{s.paused ? "Resume" : "Pause"}</button>
              </form>
            )
            : null}
        </div>
      </div>
      {notice}
      {s.paused ? <Flash kind="info"><b>Paused:</b> {s.pausedReason ?? "no reason recorded"}. No scheduled or manual run starts until you resume.</Flash> : null}
      <div class="stats">
        <Tile label="Last run" value={lastRun === null ? "—" : <a href={href(`/runs/${lastRun.id}`)}><Pill status={lastRun.status} /></a>} sub={lastRun === null ? "never run" : <When iso={lastRun.createdAt} now={p.now} />} />
        <Tile label="Next scheduled" value={s.paused || nextRun === null ? "—" : <When iso={nextRun} now={p.now} />} sub={s.schedule === null ? "no schedule: runs start by hand" : <>{nextRun === null ? null : <>{zoned(nextRun, s.timezone)} · </>}<code>{s.schedule}</code> {s.timezone}</>} />
        <Tile label="Compute today" value={`${usedMinutes.toFixed(1)} min`} sub={<BudgetMeter used={usedMinutes} limit={s.budgets.computeMinutesPerDay} />} />
        <Tile label="Runs today" value={runsToday} sub={pending > 0 ? <a href={href("/proposals", { repo: repo.id })}>{pending} proposal{pending === 1 ? "" : "s"} to review</a> : "nothing to review"} />
      </div>
      <section class="card flush" aria-labelledby="runs-h">
        <h2 id="runs-h">Runs</h2>
        <RunsTable runs={p.runs} now={p.now} showRepo={false} />
      </section>
      <section class="card flush" aria-labelledby="tasks-h">
        <h2 id="tasks-h">Tasks</h2>
        <TasksTable tasks={p.tasks} now={p.now} />
      </section>
      <section class="card" aria-labelledby="settings-h">
          <div class="card-head"><h2 id="settings-h">Settings</h2></div>
          <form method="post" action={href(`/repos/${repo.id}/settings`)} novalidate>
            <Csrf token={p.csrf} />
            <div class="settings-grid">
            <fieldset>
              <legend>Schedule</legend>
              <div class="field">
                <label for="schedule">Cron expression</label>
                <input type="text" id="schedule" name="schedule" value={v("schedule", s.schedule ?? "")} placeholder="0 2 * * *" maxlength={100} autocomplete="off" {...described(errors, "schedule", "schedule-hint")} />
                <span class="hint" id="schedule-hint">Empty: runs start only by hand. “0 2 * * *” is every night at 02:00.</span>
                <FieldError errors={errors} name="schedule" />
              </div>
              <div class="field">
                <label for="timezone">Time zone</label>
                <input type="text" id="timezone" name="timezone" list="timezones" value={v("timezone", s.timezone)} maxlength={100} autocomplete="off" {...described(errors, "timezone")} />
                <datalist id="timezones">{p.timezones.map((tz) => <option value={tz} />)}</datalist>
                <FieldError errors={errors} name="timezone" />
              </div>
            </fieldset>
            <fieldset>
              <legend>Budgets</legend>
              <div class="fields">
                <div class="field">
                  <label for="computeMinutesPerDay">Compute minutes per day</label>
                  <input type="number" id="computeMinutesPerDay" name="computeMinutesPerDay" min={0} max={1440} value={v("computeMinutesPerDay", String(s.budgets.computeMinutesPerDay))} {...described(errors, "computeMinutesPerDay")} />
                  <FieldError errors={errors} name="computeMinutesPerDay" />
                </div>
                <div class="field">
                  <label for="candidatesPerRun">Candidates per run</label>
                  <input type="number" id="candidatesPerRun" name="candidatesPerRun" min={0} max={1000} value={v("candidatesPerRun", String(s.budgets.candidatesPerRun))} {...described(errors, "candidatesPerRun")} />
                  <FieldError errors={errors} name="candidatesPerRun" />
                </div>
                <div class="field">
                  <label for="proposalsPerRun">Proposals per run</label>
                  <input type="number" id="proposalsPerRun" name="proposalsPerRun" min={0} max={100} value={v("proposalsPerRun", String(s.budgets.proposalsPerRun))} {...described(errors, "proposalsPerRun")} />
                  <FieldError errors={errors} name="proposalsPerRun" />
                </div>
                <div class="field">
                  <label for="maxSetupFailures">Pause after setup failures</label>
                  <input type="number" id="maxSetupFailures" name="maxSetupFailures" min={1} max={100} value={v("maxSetupFailures", String(s.maxSetupFailures))} {...described(errors, "maxSetupFailures")} />
                  <FieldError errors={errors} name="maxSetupFailures" />
                </div>
              </div>
            </fieldset>
            <fieldset>
              <legend>Policy limits</legend>
              <div class="fields">
                <div class="field">
                  <label for="maxFiles">Files per change, at most</label>
                  <input type="number" id="maxFiles" name="maxFiles" min={1} max={1000} value={v("maxFiles", s.policy.maxFiles === null ? "" : String(s.policy.maxFiles))} placeholder="5" {...described(errors, "maxFiles", "maxFiles-hint")} />
                  <FieldError errors={errors} name="maxFiles" />
                </div>
                <div class="field">
                  <label for="maxLines">Changed lines, at most</label>
                  <input type="number" id="maxLines" name="maxLines" min={1} max={100000} value={v("maxLines", s.policy.maxLines === null ? "" : String(s.policy.maxLines))} placeholder="200" {...described(errors, "maxLines")} />
                  <FieldError errors={errors} name="maxLines" />
                </div>
              </div>
              <span class="hint" id="maxFiles-hint">Empty: the repository's <code>ratchet.config</code> or the defaults (5 files, 200 lines). The stricter of these and the repository's config applies, in validation and again before any write.</span>
            </fieldset>
            <fieldset>
              <legend>Language model</legend>
              <div class="fields">
                <div class="field">
                  <label for="provider">Provider</label>
                  <input type="text" id="provider" name="provider" list="providers" value={v("provider", s.provider ?? "")} placeholder="none: templates only" maxlength={100} autocomplete="off" {...described(errors, "provider")} />
                  <datalist id="providers"><option value="openai" /><option value="anthropic" /><option value="google" /><option value="openai-compatible" /></datalist>
                  <FieldError errors={errors} name="provider" />
                </div>
                <div class="field">
                  <label for="model">Model</label>
                  <input type="text" id="model" name="model" value={v("model", s.model ?? "")} maxlength={200} autocomplete="off" {...described(errors, "model")} />
                  <FieldError errors={errors} name="model" />
                </div>
                {llmBudgetFields.map(([name, label, step]) => (
                  <div class="field">
                    <label for={name}>{label}</label>
                    <input type="number" id={name} name={name} min={0} step={step} value={v(name, s.budgets[name] === null ? "" : String(s.budgets[name]))} placeholder="no limit" {...described(errors, name, "llm-budgets-hint")} />
                    <FieldError errors={errors} name={name} />
                  </div>
                ))}
              </div>
              <span class="hint" id="llm-budgets-hint">Empty: no limit here. The stricter of these and the repository's <code>ratchet.config</code> applies; a run stops calling the model when one is spent.</span>
            </fieldset>
            <fieldset>
              <legend>Trust</legend>
              <div class="field">
                <label for="trusted">Repository config</label>
                {p.operator
                  ? (
                    <select id="trusted" name="trusted" {...described(errors, "trusted", "trusted-hint")}>
                      <option value="no" selected={v("trusted", s.trusted ? "yes" : "no") === "no"}>Untrusted: evaluated as data in the sandbox; code plugins do not run</option>
                      <option value="yes" selected={v("trusted", s.trusted ? "yes" : "no") === "yes"}>Trusted: imported in the server's process; code plugins run</option>
                    </select>
                  )
                  : <span id="trusted">{s.trusted ? <b>Trusted</b> : "Untrusted"}</span>}
                <span class="hint" id="trusted-hint">
                  {s.trusted
                    ? "Its ratchet.config runs in the server's process with the server's rights, and its code plugins run; each run says so."
                    : "Its ratchet.config is evaluated as data in the sandbox; code plugins are named in each run's warnings and do not run."}{" "}
                  {p.lastTrustChange === null ? "Never changed." : <>Marked {p.lastTrustChange.new === true ? "trusted" : "untrusted"} by {p.lastTrustChange.actor.tokenName} <When iso={p.lastTrustChange.at} now={p.now} />.</>}
                  {p.operator ? null : " Only an administrator of the operator organisation can change it."}
                </span>
                <FieldError errors={errors} name="trusted" />
              </div>
            </fieldset>
            </div>
            {p.scopes.includes("admin") ? <button class="btn primary" type="submit">Save settings</button> : <Lacks scope="admin" what="change these settings" />}
          </form>
      </section>
    </>
  )
}
