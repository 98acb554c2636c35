/**
 * `ratchet repo list|trust|audit`: the repositories a server knows, and whether each is trusted,
 * against a data directory's database (`--data`, default `.ratchet`) or `DATABASE_URL`.
 *
 * A trusted repository's config is imported and its plugins run in the server's process; an
 * untrusted one's is evaluated as data in the sandbox (see the README's "Trust" section). Whoever
 * can open the data directory is the operator, so `trust` needs no token; every change is kept in
 * the repository's audit log under the name of the user and host that ran the command. Like the
 * token commands, these refuse (exit 2) while a server holds an embedded data directory.
 */
import { hostname, userInfo } from "node:os"
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type { AuditEntry, Organisation, Repo } from "../Store.js"
import { print, printJson } from "./Output.js"
import { adminError, dataFlag, jsonFlag, type Subcommand } from "./Shared.js"
import { table } from "./Table.js"

/** The admin module, loaded only when a repository command runs (it opens the database). */
const admin = Effect.promise(() => import("../internal/admin.js"))

/** A server error as the CLI reports it (see `adminError`). */
const toCli = (where: string) =>
  adminError(where, { help: "see ratchet repo --help", invalid: "list the repositories with ratchet repo list", list: "list the repositories with ratchet repo list" })

const repoRows = (repos: ReadonlyArray<Repo>, orgs: ReadonlyArray<Organisation>): string =>
  table(
    ["id", "name", "organisation", "trusted", "source"],
    repos.map((r) => [r.id, r.name, orgs.find((o) => o.id === r.orgId)?.name ?? r.orgId, r.settings.trusted ? "yes" : "no", r.url ?? r.path ?? "—"])
  )

const auditRows = (audit: ReadonlyArray<AuditEntry>): string =>
  audit.length === 0
    ? "No changes recorded."
    : table(["when", "change", "by", "from", "to"], audit.map((a) => [a.at.slice(0, 19).replace("T", " "), a.action, a.actor.tokenName, JSON.stringify(a.old), JSON.stringify(a.new)]))

const repoArgument = Argument.String("repo").pipe(Argument.withDescription("the repository (id repo_…, or its name when no other has it), as ratchet repo list shows it"))

const repoList = Command.make(
  "list",
  {
    org: Flag.String("org").pipe(Flag.withDescription("only this organisation's repositories (id or name); default every organisation"), Flag.optional),
    data: dataFlag,
    json: jsonFlag
  },
  (args) =>
    Effect.gen(function* () {
      const Admin = yield* admin
      const { repos, orgs } = yield* Admin.listRepos(args.data, args.org._tag === "Some" ? args.org.value : undefined).pipe(Effect.mapError(toCli("--org")))
      yield* args.json ? printJson({ items: repos }) : print(repos.length === 0 ? "No repositories." : repoRows(repos, orgs))
    })
).pipe(Command.withDescription("List the repositories in the data directory's database, with their organisation and whether they are trusted"))

const repoTrust = Command.make(
  "trust",
  {
    repo: repoArgument,
    off: Flag.Boolean("off").pipe(Flag.withDescription("stop trusting the repository: its config is evaluated as data in the sandbox again"), Flag.withDefault(false)),
    data: dataFlag,
    json: jsonFlag
  },
  (args) =>
    Effect.gen(function* () {
      const Admin = yield* admin
      const trusted = !args.off
      const by = { tokenId: "cli", tokenName: `ratchet repo trust (${userInfo().username}@${hostname()})`, operator: true }
      const { repo, changed, audit } = yield* Admin.setTrusted(args.data, args.repo, trusted, by).pipe(Effect.mapError(toCli("repo")))
      if (args.json) return yield* printJson({ repo, changed, audit })
      const state = trusted
        ? "trusted: its config is imported and its plugins run in the server's process"
        : "not trusted: its config is evaluated as data in the sandbox"
      yield* print(`${repo.name} (${repo.id}) is ${changed ? "now" : "already"} ${state}.${changed ? "\n\n" + auditRows(audit.slice(-1)) : ""}`)
    })
).pipe(Command.withDescription("Trust a repository (its config's plugins run in the server's process), or stop with --off; recorded in its audit log"))

const repoAudit = Command.make("audit", { repo: repoArgument, data: dataFlag, json: jsonFlag }, (args) =>
  Effect.gen(function* () {
    const Admin = yield* admin
    const { repo, audit } = yield* Admin.auditOf(args.data, args.repo).pipe(Effect.mapError(toCli("repo")))
    yield* args.json ? printJson({ repo: repo.id, items: audit }) : print(`${repo.name} (${repo.id})\n\n${auditRows(audit)}`)
  })).pipe(Command.withDescription("Show a repository's audit log: who changed its trust, when, from what to what"))

/**
 * `ratchet repo list|trust|audit`.
 *
 * @since 0.2.0
 */
export const repoCommand: Subcommand<"repo"> = Command.make("repo").pipe(
  Command.withDescription("List repositories and set whether each is trusted, in the data directory's database"),
  Command.withSubcommands([repoList, repoTrust, repoAudit])
)
