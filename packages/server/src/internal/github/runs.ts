/**
 * What the GitHub work gives the server's runs: a prompted task's plan as the run's patch source
 * (its `Pipeline.RunRef.task`), the stored provider keys for the run's agent, and the checkout of
 * a GitHub repository fetched through its connector (so private repositories run, with the
 * credentials in git's environment for the one command, never in a remote URL on disk).
 *
 * @internal
 */
import { existsSync, mkdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Pipeline, RatchetError, type Task as CoreTask } from "@ratchet/core"
import { Effect } from "effect"
import { internal, type ServerError } from "../../ServerError.js"
import { type Repo, type Run, Store } from "../../Store.js"
import { githubName, type LiveOptions, liveConnector, providerKeys } from "./connectors.js"
import { planOf } from "./lifecycle.js"

/** The prompted task a run was started for (its trigger is `task:<id>`), as the run carries it. */
export const taskSpecOf = (run: Run): Effect.Effect<CoreTask.Spec | null, ServerError, Store> =>
  Effect.gen(function* () {
    if (!run.trigger.startsWith("task:")) return null
    const store = yield* Store
    const task = yield* store.getTask(null, run.trigger.slice("task:".length))
    const plan = planOf(task)
    if (plan === null) return yield* Effect.fail(internal(`the task ${task.id} of run ${run.id} has no plan`))
    return { request: { instruction: task.instruction, paths: task.paths }, plan }
  })

/**
 * The provider keys a run may use: its organisation's stored keys (`PUT /api/providers/:name/key`),
 * over the environment's — so a task planned with a stored key is also written with it.
 */
export const storedKeys = (store: Store["Service"]) => (run: Pipeline.RunRef): Effect.Effect<Readonly<Record<string, string>>, RatchetError.RatchetError> =>
  Effect.gen(function* () {
    const stored = yield* store.getRun(null, run.runId)
    const repo = yield* store.getRepo(null, stored.repoId)
    return yield* providerKeys(repo.orgId).pipe(Effect.provideService(Store, store))
  }).pipe(Effect.mapError((e) => RatchetError.internal(`reading the stored provider keys: ${e.message}`, e)))

/**
 * Where a run reads its repository: the path of a local one; for a GitHub repository with a
 * connector, a checkout of its default branch fetched through the connector (kept for the run,
 * removed by `release`); else the URL as it is.
 */
export const sourceFor = (repo: Repo, runId: string, options: LiveOptions = {}): Effect.Effect<string | null, ServerError, Store> =>
  Effect.gen(function* () {
    if (repo.path !== null) return repo.path
    const name = githubName(repo.url)
    if (name === null) return repo.url
    const store = yield* Store
    const connector = yield* store.connectorOfRepo(repo.orgId, repo.id)
    if (connector === null) return repo.url
    const dir = checkoutDir(runId)
    if (existsSync(join(dir, ".git"))) return dir
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(join(dir, ".."), { recursive: true })
    const github = yield* liveConnector(connector, options)
    yield* github.fetch(name, repo.defaultBranch, dir).pipe(Effect.mapError((e) => internal(`fetching ${name} through the connector ${connector.name}: ${e.message}`)))
    return dir
  })

/** The checkout of a run's GitHub repository. */
const checkoutDir = (runId: string) => join(tmpdir(), "ratchet-sources", runId.replace(/[^A-Za-z0-9_-]/g, "_"))

/** Removes a run's fetched checkout (nothing when it has none). */
export const releaseSource = (runId: string): Effect.Effect<void> => Effect.sync(() => rmSync(checkoutDir(runId), { recursive: true, force: true }))
