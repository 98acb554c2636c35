/**
 * Source connectors of an organisation (GitHub: a personal token or an App), which repository uses
 * which, and the App installations GitHub reported. Credentials live in the secrets table, sealed;
 * a connector row holds only non-secret configuration.
 *
 * @internal
 */
import { Effect } from "effect"
import { conflict, notFound, type ServerError } from "../../ServerError.js"
import { iso, json, newId, now, type Row, type StoreContext, str } from "./sql.js"

/** Non-secret configuration of a GitHub connector. */
export interface GitHubConfig {
  /** GitHub App id (auth `app`). */
  readonly appId: number | null
  /** A fixed installation id (else looked up per repository). */
  readonly installationId: number | null
  /** REST API base URL (GitHub Enterprise: `https://host/api/v3`). */
  readonly baseUrl: string
  /** Where repositories are cloned from. */
  readonly cloneBaseUrl: string
  /** Open pull requests as drafts. */
  readonly draft: boolean
  /** The label that makes an issue a task. */
  readonly label: string
  /** The comment command. */
  readonly command: string
  /** Spacing of content-creating requests in ms (GitHub asks for about one second). */
  readonly writeSpacingMs: number
}

/** A connector as stored and shown (secrets by name only). */
export interface Connector {
  readonly id: string
  readonly orgId: string
  readonly name: string
  readonly kind: "github"
  readonly auth: "token" | "app"
  readonly config: GitHubConfig
  readonly secrets: ReadonlyArray<string>
  readonly installations: ReadonlyArray<Installation>
  readonly createdAt: string
  readonly updatedAt: string
}

/** A GitHub App installation as the webhooks reported it. */
export interface Installation {
  readonly installationId: number
  readonly account: string | null
  readonly repositories: ReadonlyArray<string>
  readonly suspended: boolean
  readonly deleted: boolean
  readonly updatedAt: string
}

/** The connector part of the store. */
export interface ConnectorStore {
  readonly createConnector: (orgId: string, input: { readonly name: string; readonly auth: "token" | "app"; readonly config: GitHubConfig }) => Effect.Effect<Connector, ServerError>
  readonly listConnectors: (orgId: string) => Effect.Effect<ReadonlyArray<Connector>, ServerError>
  /** Every connector of every organisation (webhook routing). */
  readonly listAllConnectors: Effect.Effect<ReadonlyArray<Connector>, ServerError>
  /** A connector by id; `orgId` null skips the organisation check (internal callers). */
  readonly getConnector: (orgId: string | null, id: string) => Effect.Effect<Connector, ServerError>
  readonly updateConnector: (orgId: string, id: string, patch: { readonly name?: string; readonly config?: GitHubConfig }) => Effect.Effect<Connector, ServerError>
  /** Uses `connectorId` for the repository (`null`: back to the default). */
  readonly linkConnector: (orgId: string, repoId: string, connectorId: string | null) => Effect.Effect<void, ServerError>
  /** The connector a repository uses: its link, else the organisation's only GitHub connector, else `null`. */
  readonly connectorOfRepo: (orgId: string, repoId: string) => Effect.Effect<Connector | null, ServerError>
  /** Records what GitHub reported about an installation of the connector's App. */
  readonly recordInstallation: (connectorId: string, installation: Omit<Installation, "updatedAt">) => Effect.Effect<void, ServerError>
}

const owner = (connectorId: string) => `connector:${connectorId}`

/** The secrets owner name of a connector. */
export const connectorOwner = owner

/** The connector store on a context. */
export const make = ({ sql, q }: StoreContext): ConnectorStore => {
  const hydrate = (rows: ReadonlyArray<Row>) =>
    Effect.gen(function* () {
      if (rows.length === 0) return []
      const ids = rows.map((r) => str(r, "id"))
      const secretRows = yield* q("listing connector secrets", sql<Row>`SELECT owner, name FROM secrets WHERE owner IN ${sql.in(ids.map(owner))} ORDER BY name`)
      const installRows = yield* q("listing installations", sql<Row>`SELECT * FROM connector_installations WHERE connector_id IN ${sql.in(ids)} ORDER BY installation_id`)
      return rows.map(
        (r): Connector => ({
          id: str(r, "id"),
          orgId: str(r, "org_id"),
          name: str(r, "name"),
          kind: "github",
          auth: str(r, "auth") === "app" ? "app" : "token",
          config: json(r.config) as GitHubConfig,
          secrets: secretRows.filter((s) => str(s, "owner") === owner(str(r, "id"))).map((s) => str(s, "name")),
          installations: installRows
            .filter((i) => str(i, "connector_id") === str(r, "id"))
            .map((i) => ({
              installationId: Number(i.installation_id),
              account: i.account === null ? null : String(i.account),
              repositories: json(i.repositories) as ReadonlyArray<string>,
              suspended: Boolean(i.suspended),
              deleted: Boolean(i.deleted),
              updatedAt: iso(i.updated_at)
            })),
          createdAt: iso(r.created_at),
          updatedAt: iso(r.updated_at)
        })
      )
    })

  const getConnector = (orgId: string | null, id: string) =>
    q("reading a connector", sql<Row>`SELECT * FROM connectors WHERE id = ${id} ${orgId === null ? sql`` : sql`AND org_id = ${orgId}`}`).pipe(
      Effect.flatMap(hydrate),
      Effect.flatMap((list) => (list[0] === undefined ? Effect.fail(notFound("connector", id)) : Effect.succeed(list[0])))
    )

  return {
    createConnector: (orgId, input) =>
      Effect.gen(function* () {
        const dup = yield* q("checking connector names", sql<Row>`SELECT id FROM connectors WHERE org_id = ${orgId} AND name = ${input.name}`)
        if (dup[0] !== undefined) return yield* Effect.fail(conflict(`A connector named ${JSON.stringify(input.name)} already exists (${str(dup[0], "id")}). Pick another name.`))
        const id = newId("conn")
        const at = yield* now
        yield* q("creating a connector", sql`INSERT INTO connectors (id, org_id, name, kind, auth, config, created_at, updated_at)
          VALUES (${id}, ${orgId}, ${input.name}, 'github', ${input.auth}, ${JSON.stringify(input.config)}::jsonb, ${at}, ${at})`)
        return yield* getConnector(orgId, id)
      }),
    listConnectors: (orgId) => q("listing connectors", sql<Row>`SELECT * FROM connectors WHERE org_id = ${orgId} ORDER BY created_at, id`).pipe(Effect.flatMap(hydrate)),
    listAllConnectors: q("listing connectors", sql<Row>`SELECT * FROM connectors ORDER BY created_at, id`).pipe(Effect.flatMap(hydrate)),
    getConnector,
    updateConnector: (orgId, id, patch) =>
      Effect.gen(function* () {
        const existing = yield* getConnector(orgId, id)
        const at = yield* now
        yield* q("updating a connector", sql`UPDATE connectors SET name = ${patch.name ?? existing.name}, config = ${JSON.stringify(patch.config ?? existing.config)}::jsonb, updated_at = ${at}
          WHERE id = ${id} AND org_id = ${orgId}`)
        return yield* getConnector(orgId, id)
      }),
    linkConnector: (orgId, repoId, connectorId) =>
      Effect.gen(function* () {
        const repo = yield* q("reading a repository", sql<Row>`SELECT id FROM repositories WHERE id = ${repoId} AND org_id = ${orgId}`)
        if (repo[0] === undefined) return yield* Effect.fail(notFound("repository", repoId))
        if (connectorId === null) {
          yield* q("unlinking a connector", sql`DELETE FROM repository_connectors WHERE repo_id = ${repoId}`)
          return
        }
        yield* getConnector(orgId, connectorId)
        yield* q("linking a connector", sql`INSERT INTO repository_connectors (repo_id, connector_id) VALUES (${repoId}, ${connectorId})
          ON CONFLICT (repo_id) DO UPDATE SET connector_id = EXCLUDED.connector_id`)
      }),
    connectorOfRepo: (orgId, repoId) =>
      Effect.gen(function* () {
        const linked = yield* q("reading a repository's connector", sql<Row>`SELECT c.id FROM repository_connectors l JOIN connectors c ON c.id = l.connector_id
          WHERE l.repo_id = ${repoId} AND c.org_id = ${orgId}`)
        if (linked[0] !== undefined) return yield* getConnector(orgId, str(linked[0], "id"))
        const all = yield* q("listing connectors", sql<Row>`SELECT id FROM connectors WHERE org_id = ${orgId} AND kind = 'github'`)
        return all.length === 1 ? yield* getConnector(orgId, str(all[0], "id")) : null
      }),
    recordInstallation: (connectorId, i) =>
      Effect.gen(function* () {
        const at = yield* now
        yield* q("recording an installation", sql`INSERT INTO connector_installations (connector_id, installation_id, account, repositories, suspended, deleted, updated_at)
          VALUES (${connectorId}, ${i.installationId}, ${i.account}, ${JSON.stringify(i.repositories)}::jsonb, ${i.suspended}, ${i.deleted}, ${at})
          ON CONFLICT (connector_id, installation_id) DO UPDATE SET account = EXCLUDED.account, repositories = EXCLUDED.repositories,
            suspended = EXCLUDED.suspended, deleted = EXCLUDED.deleted, updated_at = EXCLUDED.updated_at`)
      })
  }
}
