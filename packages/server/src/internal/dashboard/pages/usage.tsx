/** @jsxImportSource hono/jsx */
/**
 * The usage page: the quotas of the organisation and of the signed-in token (limit, used,
 * remaining, when each resets), consumption today and this month, and this month's consumption by
 * repository and by token — the same figures as `GET /api/usage`.
 *
 * @internal
 */
import type { SubjectUsage, UsageView } from "../../usageView.js"
import { formatCount, formatUsd, href, Tile, When } from "../ui.js"

const amount = (unit: string, n: number | null): string =>
  n === null ? "—" : unit.includes("USD") ? formatUsd(n) : unit === "compute minutes" ? `${n.toFixed(1)} min` : formatCount(n)

const QuotaTable = ({ s, now }: { readonly s: SubjectUsage; readonly now: number }) => {
  const set = s.quotas.filter((q) => q.limit !== null)
  return set.length === 0
    ? <p class="muted small">No quota is set: nothing limits this beyond the repositories' own budgets.</p>
    : (
      <div class="table-wrap"><table class="list">
        <thead><tr><th scope="col">Quota</th><th scope="col">Limit</th><th scope="col">Used</th><th scope="col">Left</th><th scope="col">Resets</th></tr></thead>
        <tbody>
          {set.map((q) => (
            <tr class={q.remaining === 0 ? "exhausted" : undefined}>
              <td><code>{q.name}</code></td>
              <td>{amount(q.unit, q.limit)}</td>
              <td>{q.used === null ? "per run" : amount(q.unit, q.used)}</td>
              <td>{q.remaining === null ? "—" : q.remaining === 0 ? <b class="bad-mark">used up</b> : amount(q.unit, q.remaining)}</td>
              <td>{q.resetsAt === null ? "—" : <When iso={q.resetsAt} now={now} />}</td>
            </tr>
          ))}
        </tbody>
      </table></div>
    )
}

type Group = UsageView["byRepository"][number]

const GroupTable = ({ items, kind }: { readonly items: ReadonlyArray<Group>; readonly kind: "repository" | "token" }) =>
  items.length === 0
    ? <p class="muted small">Nothing this month.</p>
    : (
      <div class="table-wrap"><table class="list">
        <thead><tr><th scope="col">{kind === "repository" ? "Repository" : "Token"}</th><th scope="col">Runs</th><th scope="col">Compute</th><th scope="col">LLM tokens</th><th scope="col">LLM cost</th></tr></thead>
        <tbody>
          {items.map((g) => (
            <tr>
              <td>
                {g.id === null
                  ? <span class="muted">{kind === "token" ? "scheduled and webhook runs" : "—"}</span>
                  : kind === "repository" ? <a href={href(`/repos/${g.id}`)}>{g.name ?? g.id}</a> : <>{g.name ?? ""} <code class="muted small">{g.id}</code></>}
              </td>
              <td>{formatCount(g.runs)}</td>
              <td>{g.computeMinutes.toFixed(1)} min</td>
              <td>{formatCount(g.llmTokens)}</td>
              <td>{formatUsd(g.costUsd)}</td>
            </tr>
          ))}
        </tbody>
      </table></div>
    )

/** The usage page body. */
export const UsagePage = ({ u, now }: { readonly u: UsageView; readonly now: number }) => (
  <>
    <div class="page-head">
      <div>
        <h1>Usage</h1>
        <p class="muted">Organisation <b>{u.organisation.name}</b> <code class="small">{u.organisation.id}</code>. Days and months are UTC: today's figures reset <When iso={u.day.resetsAt} now={now} />, this month's <When iso={u.month.resetsAt} now={now} />.</p>
      </div>
    </div>
    <div class="stats">
      <Tile label="Runs today" value={formatCount(u.organisation.today.runs)} sub={`${formatCount(u.organisation.month.runs)} this month`} />
      <Tile label="Compute today" value={`${u.organisation.today.computeMinutes.toFixed(1)} min`} sub={`${u.organisation.month.computeMinutes.toFixed(1)} min this month`} />
      <Tile label="LLM tokens today" value={formatCount(u.organisation.today.llmTokens)} sub={`${formatCount(u.organisation.month.llmTokens)} this month`} />
      <Tile label="LLM cost today" value={formatUsd(u.organisation.today.costUsd)} sub={`${formatUsd(u.organisation.month.costUsd)} this month`} />
    </div>
    <div class="grid halves">
      <section class="card" aria-labelledby="org-quotas-h">
        <div class="card-head"><h2 id="org-quotas-h">Organisation quotas</h2></div>
        <QuotaTable s={u.organisation} now={now} />
      </section>
      <section class="card" aria-labelledby="token-quotas-h">
        <div class="card-head"><h2 id="token-quotas-h">This token's quotas</h2><span class="muted small">{u.token.name}</span></div>
        <QuotaTable s={u.token} now={now} />
        <p class="small muted">Runs this token started today: {formatCount(u.token.today.runs)}; their LLM calls: {formatUsd(u.token.today.costUsd)} ({formatCount(u.token.today.llmTokens)} tokens).</p>
      </section>
    </div>
    <section class="card flush" aria-labelledby="by-repo-h">
      <h2 id="by-repo-h">This month by repository</h2>
      <GroupTable items={u.byRepository} kind="repository" />
    </section>
    <section class="card flush" aria-labelledby="by-token-h">
      <h2 id="by-token-h">This month by token</h2>
      <GroupTable items={u.byToken} kind="token" />
    </section>
  </>
)
