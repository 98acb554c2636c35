/** @jsxImportSource hono/jsx */
/**
 * A repository's prompted tasks (`POST /api/repos/:id/tasks`, a labeled issue, a `/ratchet …`
 * comment): what was asked, where from, the GO / NO-GO / DEFER decision with its first reason (or
 * why the task failed), and the run and proposal a GO led to.
 *
 * @internal
 */
import type { Task } from "../../../Store.js"
import { href, Pill, shortId, When } from "../ui.js"

/** The decision's verdict and reasons (or question) as stored, when the task has one. */
const decisionOf = (decision: unknown): { readonly verdict: string; readonly reason: string | null } | null => {
  if (typeof decision !== "object" || decision === null) return null
  const verdict: unknown = Reflect.get(decision, "verdict")
  if (typeof verdict !== "string") return null
  const question: unknown = Reflect.get(decision, "question")
  const reasons: unknown = Reflect.get(decision, "reasons")
  const first = Array.isArray(reasons) && typeof reasons[0] === "string" ? reasons[0] : null
  return { verdict, reason: typeof question === "string" && question !== "" ? question : first }
}

const origin = (task: Task) => {
  const { via, repo, issue, sender } = task.source
  if (via === "api") return "API"
  const where = repo !== null && issue !== null ? `${repo}#${issue}` : (repo ?? "GitHub")
  return `${via === "label" ? "label on" : "comment on"} ${where}${sender === null ? "" : ` by @${sender}`}`
}

/** Status colours for the task states the run pills do not cover. */
const pillOf = (status: Task["status"]): string => {
  switch (status) {
    case "done":
    case "proposed":
      return "succeeded"
    case "no-go":
    case "needs-human":
    case "failed":
      return "failed"
    case "deferred":
    case "no-proposal":
      return "warn"
    case "planning":
    case "verifying-ci":
      return "running"
    default:
      return status
  }
}

/** The tasks table of a repository's page (newest first, as the store lists them). */
export const TasksTable = ({ tasks, now }: { readonly tasks: ReadonlyArray<Task>; readonly now: number }) =>
  tasks.length === 0
    ? <div class="empty-state"><p>No tasks yet. Ask for a change with <code>POST /api/repos/:id/tasks</code>, a labeled issue or a <code>/ratchet</code> comment.</p></div>
    : (
      <div class="table-wrap">
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Request</th>
              <th scope="col">Status</th>
              <th scope="col" class="opt">Decision</th>
              <th scope="col">Result</th>
              <th scope="col" class="opt">Asked</th>
            </tr>
          </thead>
          <tbody>
            {tasks.map((task) => {
              const decision = decisionOf(task.decision)
              const detail = task.error ?? decision?.reason ?? null
              return (
                <tr>
                  <td class="title">{task.instruction.split("\n")[0]!.slice(0, 120)}<div class="sub">{origin(task)}</div></td>
                  <td><Pill status={pillOf(task.status)} label={task.status.replace(/-/g, " ")} /></td>
                  <td class="opt">{decision === null ? <span class="faint">—</span> : <><strong>{decision.verdict}</strong>{detail === null ? null : <div class="sub">{detail.slice(0, 200)}</div>}</>}</td>
                  <td>
                    {task.proposalId !== null
                      ? <a href={href(`/proposals/${task.proposalId}`)}>proposal</a>
                      : task.runId !== null
                        ? <a href={href(`/runs/${task.runId}`)} class="mono">{shortId(task.runId)}</a>
                        : decision === null && task.error !== null ? <span class="sub">{task.error.slice(0, 200)}</span> : <span class="faint">—</span>}
                  </td>
                  <td class="opt"><When iso={task.createdAt} now={now} /></td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
    )
