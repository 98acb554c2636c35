/** @jsxImportSource hono/jsx */
/**
 * The overview (what needs a decision, what is running) and the sign-in and refusal pages.
 *
 * @internal
 */
import type { ProposalItem, RunItem } from "../store.js"
import { Csrf, Flash, href, Logo, Tile } from "../ui.js"
import { ProposalTable } from "./proposals.js"
import { type RepoSummary, ReposTable } from "./repos.js"
import { RunsTable } from "./runs.js"

/** The overview page body. */
export const OverviewPage = (props: {
  readonly repos: ReadonlyArray<RepoSummary>
  readonly pending: ReadonlyArray<ProposalItem>
  readonly approved: ReadonlyArray<ProposalItem>
  readonly runs: ReadonlyArray<RunItem>
  readonly now: number
}) => {
  const running = props.runs.filter((r) => r.status === "running" || r.status === "queued").length
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Overview</h1>
          <p class="muted">What needs a decision, and what is running.</p>
        </div>
        <a class="btn" href={href("/repos/new")}>Add repository</a>
      </div>
      <div class="stats">
        <Tile label="To review" value={props.pending.length} sub={<a href={href("/proposals")}>open the inbox</a>} />
        <Tile label="Approved, not published" value={props.approved.filter((p) => !p.published).length} sub={<a href={href("/proposals", { status: "approved" })}>create their pull requests</a>} />
        <Tile label="Running now" value={running} sub={<a href={href("/runs")}>all runs</a>} />
        <Tile label="Repositories" value={props.repos.length} sub={`${props.repos.filter((r) => r.repo.settings.paused).length} paused`} />
      </div>
      <section class="card flush" aria-labelledby="review-h">
        <h2 id="review-h">Waiting for your review</h2>
        <ProposalTable items={props.pending.slice(0, 8)} now={props.now} empty="Nothing waiting for review." />
      </section>
      <section class="card flush" aria-labelledby="recent-h">
        <h2 id="recent-h">Recent runs</h2>
        <RunsTable runs={props.runs.slice(0, 8)} now={props.now} />
      </section>
      <section class="card flush" aria-labelledby="repos-h">
        <h2 id="repos-h">Repositories</h2>
        <ReposTable items={props.repos} now={props.now} />
      </section>
    </>
  )
}

/** The sign-in page. */
export const LoginPage = ({ csrf, next, error }: { readonly csrf: string; readonly next: string; readonly error?: string | undefined }) => (
  <div class="login">
    <div class="brand"><Logo /> Ratchet</div>
    <form class="card" method="post" action={href("/login")}>
      <h1>Sign in</h1>
      <p class="muted small">Use an API token of this server: the one printed on its first start, or <code>RATCHET_TOKEN</code>.</p>
      {error === undefined ? null : <Flash kind="error">{error}</Flash>}
      <Csrf token={csrf} />
      <input type="hidden" name="next" value={next} />
      <div class="field">
        <label for="token">API token</label>
        <input type="password" id="token" name="token" required autocomplete="current-password" autofocus spellcheck={false} />
      </div>
      <button class="btn primary" type="submit">Sign in</button>
    </form>
    <p class="footer">Signing in keeps an HttpOnly session cookie for this browser; sign out to end it.</p>
  </div>
)

/** A refused request (bad session or CSRF token), with the way back. */
export const RefusedPage = ({ title, detail }: { readonly title: string; readonly detail: string }) => (
  <div class="login">
    <div class="card">
      <h1>{title}</h1>
      <p>{detail}</p>
      <p><a class="btn primary" href={href("/login")}>Sign in</a> <a class="btn" href={href("/")}>Back to the dashboard</a></p>
    </div>
  </div>
)

/** An error page for a failed request (unknown id, store failure, …). */
export const ErrorPage = ({ title, detail }: { readonly title: string; readonly detail: string }) => (
  <>
    <div class="page-head"><div><h1>{title}</h1></div></div>
    <Flash kind="error">{detail}</Flash>
    <p><a class="btn" href={href("/")}>Back to the overview</a></p>
  </>
)

