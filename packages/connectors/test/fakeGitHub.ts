/**
 * A fake of GitHub on loopback (node:http) for the connector and server tests, backed by a real
 * bare git repository: blobs, trees, commits and refs made through the Git Data API are real git
 * objects, and the repository is served over git's smart HTTP protocol (`git http-backend`), so a
 * published branch can be cloned.
 *
 * Honest by construction: every request body it receives and every response it sends is validated
 * against GitHub's published OpenAPI description (`@octokit/openapi`); a violation is recorded in
 * `violations` and fails the test when the fake's scope closes.
 *
 * Authentication as GitHub does it: personal tokens (`Authorization: token …`), GitHub App JWTs
 * (RS256, verified with the app's public key) for `/app/…` routes, installation tokens issued by
 * `POST /app/installations/{id}/access_tokens` that expire on the fake's clock; a private repository
 * is a 404 to anyone without access, over the API and over git.
 */
import { execFileSync, spawn } from "node:child_process"
import { createPublicKey, createVerify, randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import * as E from "./githubEntities.js"
import { checkRequest, checkResponse } from "./openapi.js"

export interface Recorded {
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
  /** `performance.now()` when the request's head arrived. */
  readonly at: number
  readonly body: unknown
}

export interface Fault {
  readonly method: string
  readonly path: RegExp
  readonly status: number
  readonly headers?: Record<string, string>
  readonly body?: unknown
  times: number
}

export interface Commit {
  readonly tree: string
  readonly parents: ReadonlyArray<string>
  readonly message: string
  readonly author: { readonly name: string; readonly email: string; readonly date: string }
}

export interface Pull {
  readonly number: number
  readonly title: string
  readonly head: string
  readonly base: string
  readonly body: string
  readonly html_url: string
  readonly sha: string
  readonly draft: boolean
  state: "open" | "closed"
  merged: boolean
}

/** A personal token the fake accepts, with its `X-OAuth-Scopes` (`null`: a fine-grained token). */
export interface TokenGrant {
  readonly login: string
  readonly scopes: string | null
  /** What the token may do on the repository (`none`: it cannot see it). Default `write`. */
  readonly access?: "none" | "read" | "write"
}

export interface FakeApp {
  readonly id: number
  readonly slug?: string
  /** The app's public key (PEM); JWTs are verified with it. */
  readonly publicKey: string
  readonly installationId: number
  readonly permissions?: Record<string, string>
  /** Whether the app is installed on the repository. Default true. */
  readonly installed?: boolean
  /** Lifetime of installation tokens on the fake's clock. Default one hour. */
  readonly tokenTtlMs?: number
}

export interface FakeOptions {
  readonly owner?: string
  readonly repo?: string
  readonly private?: boolean
  /** Personal tokens accepted; absent: any personal token is accepted (as `octocat`, scopes `repo`). */
  readonly tokens?: Record<string, TokenGrant>
  readonly app?: FakeApp
  /** Repository permission of users (`/collaborators/{u}/permission`); others have `read`. */
  readonly permissions?: Record<string, "admin" | "maintain" | "write" | "triage" | "read" | "none">
  /** The fake's clock for installation token expiry (default `Date.now`). */
  readonly now?: () => number
}

export interface RefMap {
  get(ref: string): string | undefined
  has(ref: string): boolean
  set(ref: string, sha: string): void
  keys(): IterableIterator<string>
}

export interface FakeGitHub {
  readonly url: string
  readonly requests: Array<Recorded>
  /** Git smart-HTTP requests (clone/fetch), with their Authorization header. */
  readonly gitRequests: Array<{ readonly path: string; readonly authorization: string | undefined; readonly status: number }>
  readonly faults: Array<Fault>
  readonly refs: RefMap
  readonly commits: { get(sha: string): Commit | undefined; readonly size: number }
  readonly pulls: Array<Pull>
  readonly comments: Array<{ readonly id: number; readonly issue: number; readonly body: string; readonly login: string }>
  readonly issuedTokens: Array<{ readonly token: string; readonly installationId: number; readonly expiresAt: string }>
  /** OpenAPI violations seen so far (the scope fails when any remain). */
  readonly violations: Array<string>
  readonly fileAt: (commitSha: string, path: string) => string | undefined
  readonly base: string
  /** The bare repository on disk. */
  readonly gitDir: string
  /** Adds a commit on main replacing `path` with `content`. */
  readonly pushToMain: (path: string, content: string) => string
  /** Sets a check run on a commit (created on first call for a name). */
  readonly setCheck: (sha: string, name: string, status: "queued" | "in_progress" | "completed", conclusion?: E.CheckRunState["conclusion"]) => void
  /** Sets a commit status. */
  readonly setStatus: (sha: string, context: string, state: E.StatusState["state"]) => void
  /** Closes (and optionally merges) a pull request. */
  readonly closePull: (number: number, merged: boolean) => void
  /** Sends a response that breaks the API description (to prove the validation works). */
  readonly breakNext: (path: RegExp) => void
}

const gitEnv = (gitDir: string, extra: Record<string, string> = {}) => ({
  ...process.env,
  GIT_DIR: gitDir,
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  LC_ALL: "C",
  ...extra
})

export const fakeGitHub = (files: Record<string, string>, options: FakeOptions = {}) =>
  Effect.acquireRelease(
    Effect.promise(
      () =>
        new Promise<FakeGitHub & { close: () => Promise<void> }>((resolveServer) => {
          const owner = options.owner ?? "octo"
          const repo = options.repo ?? "app"
          const now = options.now ?? (() => Date.now())
          const root = mkdtempSync(join(tmpdir(), "ratchet-fake-github-"))
          const gitDir = join(root, owner, `${repo}.git`)
          const git = (args: ReadonlyArray<string>, input?: string | Buffer, extra: Record<string, string> = {}): string =>
            execFileSync("git", [...args], { env: gitEnv(gitDir, extra), input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 })
          const gitOk = (args: ReadonlyArray<string>): string | null => {
            try {
              return git(args).trim()
            } catch {
              return null
            }
          }
          execFileSync("git", ["init", "--quiet", "--bare", "--initial-branch=main", gitDir], { env: gitEnv(gitDir) })
          git(["config", "http.receivepack", "false"])

          const putBlob = (content: Buffer | string) => git(["hash-object", "-w", "--stdin"], content).trim()
          const indexFile = join(root, "index.tmp")
          const makeTree = (base: string | null, entries: ReadonlyArray<{ path: string; mode: string; sha: string | null }>) => {
            rmSync(indexFile, { force: true })
            const env = { GIT_INDEX_FILE: indexFile }
            if (base !== null) git(["read-tree", base], undefined, env)
            else git(["read-tree", "--empty"], undefined, env)
            for (const e of entries) {
              if (e.sha === null) git(["update-index", "--force-remove", "--", e.path], undefined, env)
              else git(["update-index", "--add", "--cacheinfo", `${e.mode},${e.sha},${e.path}`], undefined, env)
            }
            return git(["write-tree"], undefined, env).trim()
          }
          const makeCommit = (c: { tree: string; parents: ReadonlyArray<string>; message: string; author: Commit["author"]; committer?: Commit["author"] }) => {
            const who = c.committer ?? c.author
            return git(["commit-tree", c.tree, ...c.parents.flatMap((p) => ["-p", p]), "-F", "-"], c.message, {
              GIT_AUTHOR_NAME: c.author.name,
              GIT_AUTHOR_EMAIL: c.author.email,
              GIT_AUTHOR_DATE: c.author.date,
              GIT_COMMITTER_NAME: who.name,
              GIT_COMMITTER_EMAIL: who.email,
              GIT_COMMITTER_DATE: who.date
            }).trim()
          }
          const readCommit = (sha: string): (Commit & { committer: Commit["author"] }) | undefined => {
            if (!/^[0-9a-f]{40}$/.test(sha)) return undefined
            const raw = gitOk(["cat-file", "commit", sha])
            if (raw === null) return undefined
            const text = git(["cat-file", "commit", sha])
            const [head, ...rest] = text.split("\n\n")
            const lines = head.split("\n")
            const person = (key: string) => {
              const m = /^(?:author|committer) (.*) <(.*)> (\d+) [+-]\d{4}$/.exec(lines.find((l) => l.startsWith(`${key} `)) ?? "")
              return { name: m?.[1] ?? "", email: m?.[2] ?? "", date: new Date(Number(m?.[3] ?? 0) * 1000).toISOString() }
            }
            return {
              tree: (lines.find((l) => l.startsWith("tree ")) ?? "").slice(5),
              parents: lines.filter((l) => l.startsWith("parent ")).map((l) => l.slice(7)),
              message: rest.join("\n\n"),
              author: person("author"),
              committer: person("committer")
            }
          }
          const resolveRef = (ref: string) => gitOk(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])
          const fileAt = (commitSha: string, path: string) => {
            const type = gitOk(["cat-file", "-t", `${commitSha}:${path}`])
            return type === "blob" ? git(["cat-file", "blob", `${commitSha}:${path}`]) : undefined
          }

          const initial = makeTree(null, Object.entries(files).map(([path, content]) => ({ path, mode: "100644", sha: putBlob(content) })))
          const t = { name: "t", email: "t@example.com", date: "2026-01-01T00:00:00Z" }
          const base = makeCommit({ tree: initial, parents: [], message: "initial\n", author: t })
          git(["update-ref", "refs/heads/main", base])

          const refs: RefMap = {
            get: (ref) => gitOk(["rev-parse", "--verify", "--quiet", `refs/${ref}`]) ?? undefined,
            has: (ref) => gitOk(["rev-parse", "--verify", "--quiet", `refs/${ref}`]) !== null,
            set: (ref, sha) => void git(["update-ref", `refs/${ref}`, sha]),
            keys: () =>
              git(["for-each-ref", "--format=%(refname)"])
                .split("\n")
                .filter(Boolean)
                .map((r) => r.replace(/^refs\//, ""))
                [Symbol.iterator]()
          }
          const commits = {
            get: (sha: string) => readCommit(sha),
            get size() {
              return git(["cat-file", "--batch-all-objects", "--batch-check=%(objecttype)"]).split("\n").filter((l) => l === "commit").length
            }
          }
          const pushToMain = (path: string, content: string) => {
            const head = refs.get("heads/main") as string
            const tree = makeTree(head, [{ path, mode: "100644", sha: putBlob(content) }])
            const sha = makeCommit({ tree, parents: [head], message: "upstream\n", author: { ...t, date: "2026-01-02T00:00:00Z" } })
            git(["update-ref", "refs/heads/main", sha, head])
            return sha
          }

          const site: E.Site = { api: "", web: `https://github.example` }
          const info: E.RepoInfo = { owner, name: repo, id: 4242, private: options.private ?? false, defaultBranch: "main" }
          const appInfo: E.AppInfo | null =
            options.app === undefined
              ? null
              : {
                  id: options.app.id,
                  slug: options.app.slug ?? "ratchet-test",
                  owner,
                  permissions: options.app.permissions ?? { contents: "write", pull_requests: "write", issues: "write", checks: "read", statuses: "read", metadata: "read" },
                  events: ["issues", "issue_comment", "pull_request", "check_suite", "check_run", "status"]
                }
          const requests: Array<Recorded> = []
          const gitRequests: FakeGitHub["gitRequests"] = []
          const faults: Array<Fault> = []
          const pulls: Array<Pull> = []
          const comments: FakeGitHub["comments"] = []
          const issuedTokens: FakeGitHub["issuedTokens"] = []
          const violations: Array<string> = []
          const checks: Array<E.CheckRunState> = []
          const statuses: Array<E.StatusState> = []
          const breaking: Array<RegExp> = []

          /** Who is calling: a personal token, an installation token, the app (JWT), or nobody. */
          type Caller =
            | { readonly kind: "user"; readonly login: string; readonly scopes: string | null; readonly access: "none" | "read" | "write" }
            | { readonly kind: "installation"; readonly installationId: number }
            | { readonly kind: "app" }
            | { readonly kind: "anonymous" }
            | { readonly kind: "bad"; readonly why: string }
          const verifyJwt = (jwt: string): string | null => {
            if (options.app === undefined) return "no app"
            const [h, p, s] = jwt.split(".")
            if (!h || !p || !s) return "malformed"
            const header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"))
            if (header.alg !== "RS256") return `alg ${header.alg}`
            const ok = createVerify("RSA-SHA256").update(`${h}.${p}`).verify(createPublicKey(options.app.publicKey), Buffer.from(s, "base64url"))
            if (!ok) return "bad signature"
            const payload = JSON.parse(Buffer.from(p, "base64url").toString("utf8"))
            if (String(payload.iss) !== String(options.app.id)) return `iss ${payload.iss}`
            const seconds = Date.now() / 1000
            if (typeof payload.exp !== "number" || payload.exp < seconds) return "expired"
            if (payload.exp - payload.iat > 600 + 60) return "exp too far in the future"
            return null
          }
          const callerOf = (authorization: string | undefined): Caller => {
            if (authorization === undefined) return { kind: "anonymous" }
            const m = /^(token|bearer|basic) (.+)$/i.exec(authorization)
            if (m === null) return { kind: "bad", why: "unknown scheme" }
            let secret = m[2]
            if (m[1].toLowerCase() === "basic") {
              const decoded = Buffer.from(secret, "base64").toString("utf8")
              secret = decoded.slice(decoded.indexOf(":") + 1)
            }
            if (secret.split(".").length === 3 && secret.startsWith("ey")) {
              const why = verifyJwt(secret)
              return why === null ? { kind: "app" } : { kind: "bad", why: `JWT: ${why}` }
            }
            const issued = issuedTokens.find((i) => i.token === secret)
            if (issued !== undefined) {
              return Date.parse(issued.expiresAt) > now() ? { kind: "installation", installationId: issued.installationId } : { kind: "bad", why: "expired installation token" }
            }
            if (options.tokens === undefined) return secret.length > 0 ? { kind: "user", login: "octocat", scopes: "repo", access: "write" } : { kind: "bad", why: "empty" }
            const grant = options.tokens[secret]
            return grant === undefined ? { kind: "bad", why: "unknown token" } : { kind: "user", login: grant.login, scopes: grant.scopes, access: grant.access ?? "write" }
          }
          const canRead = (caller: Caller) =>
            !info.private ||
            (caller.kind === "user" && caller.access !== "none") ||
            (caller.kind === "installation" && options.app !== undefined && options.app.installed !== false && caller.installationId === options.app.installationId)
          const canWrite = (caller: Caller) =>
            (caller.kind === "user" && caller.access === "write") ||
            (caller.kind === "installation" && options.app !== undefined && options.app.installed !== false && caller.installationId === options.app.installationId)

          const send = (res: ServerResponse, method: string, template: string | null, status: number, body: unknown, headers: Record<string, string> = {}) => {
            let out = body
            if (template !== null) {
              if (breaking.length > 0 && breaking.some((b) => b.test(template))) {
                breaking.splice(0, breaking.length)
                out = typeof body === "object" && body !== null && !Array.isArray(body) ? { ...body, id: "not-a-number", url: 42 } : body
              }
              for (const v of checkResponse(method, template, status, out)) violations.push(v)
            }
            res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers })
            res.end(JSON.stringify(out))
          }

          const gitBackend = (req: IncomingMessage, res: ServerResponse, raw: Buffer, path: string, query: string) => {
            const caller = callerOf(req.headers.authorization)
            const record = (status: number) => gitRequests.push({ path: `${path}${query ? `?${query}` : ""}`, authorization: req.headers.authorization, status })
            if (caller.kind === "bad" || (info.private && !canRead(caller))) {
              record(401)
              res.writeHead(401, { "www-authenticate": 'Basic realm="GitHub"', "content-type": "text/plain" })
              return res.end("Authentication failed\n")
            }
            if (/git-receive-pack/.test(path) || /service=git-receive-pack/.test(query)) {
              record(403)
              res.writeHead(403, { "content-type": "text/plain" })
              return res.end("pushes go through the API in this fake\n")
            }
            const cgi = spawn("git", ["http-backend"], {
              env: {
                ...gitEnv(gitDir),
                GIT_DIR: "",
                GIT_PROJECT_ROOT: root,
                GIT_HTTP_EXPORT_ALL: "1",
                PATH_INFO: path,
                QUERY_STRING: query,
                REQUEST_METHOD: req.method ?? "GET",
                CONTENT_TYPE: req.headers["content-type"] ?? "",
                CONTENT_LENGTH: String(raw.length),
                HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"] ?? ""),
                GIT_PROTOCOL: String(req.headers["git-protocol"] ?? "")
              }
            })
            const chunks: Array<Buffer> = []
            cgi.stdout.on("data", (c: Buffer) => chunks.push(c))
            cgi.on("close", () => {
              const out = Buffer.concat(chunks)
              const split = out.indexOf("\r\n\r\n") >= 0 ? out.indexOf("\r\n\r\n") : out.indexOf("\n\n")
              const sep = out.indexOf("\r\n\r\n") >= 0 ? 4 : 2
              const head = out.subarray(0, split).toString("utf8")
              let status = 200
              const headers: Record<string, string> = {}
              for (const line of head.split(/\r?\n/)) {
                const i = line.indexOf(":")
                if (i < 0) continue
                const k = line.slice(0, i).trim()
                const v = line.slice(i + 1).trim()
                if (k.toLowerCase() === "status") status = Number(v.split(" ")[0])
                else headers[k] = v
              }
              record(status)
              res.writeHead(status, headers)
              res.end(out.subarray(split + sep))
            })
            cgi.stdin.end(raw)
          }

          const handle = (req: IncomingMessage, res: ServerResponse, raw: Buffer, at: number) => {
            const url = new URL(req.url ?? "/", "http://x")
            const path = decodeURIComponent(url.pathname)
            const method = req.method ?? "GET"
            if (path.startsWith(`/${owner}/${repo}.git/`)) return gitBackend(req, res, raw, path, url.search.slice(1))
            const text = raw.toString("utf8")
            const body = text.length > 0 ? JSON.parse(text) : undefined
            requests.push({ method, path: `${path}${url.search}`, authorization: req.headers.authorization, at, body })
            const prefix = `/repos/${owner}/${repo}`
            const rest = path.startsWith(`${prefix}/`) || path === prefix ? path.slice(prefix.length) : null
            const template = templateOf(method, path, rest)
            if (template !== null) for (const v of checkRequest(method, template, body)) violations.push(v)
            const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => send(res, method, template, status, payload, headers)
            const notFound = () => reply(404, E.basicError("Not Found"))
            const fault = faults.find((f) => f.times > 0 && f.method === method && f.path.test(path))
            if (fault) {
              fault.times--
              return reply(fault.status, fault.body ?? E.basicError("fault"), fault.headers)
            }
            const caller = callerOf(req.headers.authorization)
            if (caller.kind === "bad") return reply(401, E.basicError("Bad credentials"))
            const scopeHeaders: Record<string, string> = caller.kind === "user" && caller.scopes !== null ? { "x-oauth-scopes": caller.scopes } : {}

            // --- apps
            if (path.startsWith("/app")) {
              if (caller.kind !== "app" || appInfo === null || options.app === undefined) {
                return reply(401, E.basicError("A JSON web token could not be decoded"))
              }
              if (method === "GET" && path === "/app") return reply(200, E.integration(site, appInfo))
              const m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path)
              if (method === "POST" && m !== null) {
                if (Number(m[1]) !== options.app.installationId) return notFound()
                const token = `ghs_${randomBytes(18).toString("base64url").replace(/[^A-Za-z0-9]/g, "x").slice(0, 36)}`
                const expiresAt = new Date(now() + (options.app.tokenTtlMs ?? 3_600_000)).toISOString().replace(/\.\d{3}Z$/, "Z")
                issuedTokens.push({ token, installationId: options.app.installationId, expiresAt })
                return reply(201, E.installationToken(token, expiresAt, appInfo.permissions, "all"))
              }
              return notFound()
            }
            if (method === "GET" && path === "/user") {
              if (caller.kind !== "user") return reply(401, E.basicError("Requires authentication"))
              return reply(200, E.privateUser(site, caller.login, 7), scopeHeaders)
            }
            if (rest === null) return notFound()
            if (method === "GET" && rest === "/installation") {
              if (caller.kind !== "app") return reply(401, E.basicError("A JSON web token is required"))
              if (appInfo === null || options.app?.installed === false) return notFound()
              return reply(200, E.installation(site, appInfo, { id: options.app!.installationId, account: owner, selection: "all" }))
            }
            if (caller.kind === "app") return reply(401, E.basicError("An installation token is required for this endpoint"))
            if (!canRead(caller)) return notFound()
            const writing = method !== "GET"
            if (writing && !canWrite(caller)) return reply(403, E.basicError("Resource not accessible by integration"))

            let g: RegExpExecArray | null
            const m = (re: RegExp) => (rest === null ? null : re.exec(rest))
            if (method === "GET" && rest === "") {
              const write = canWrite(caller)
              const permissions = caller.kind === "user" ? { admin: false, maintain: false, push: write, triage: write, pull: true } : undefined
              return reply(200, E.fullRepository(site, info, permissions), scopeHeaders)
            }
            if (method === "GET" && rest === "/pulls") {
              const head = url.searchParams.get("head") ?? ""
              const state = url.searchParams.get("state") ?? "open"
              return reply(
                200,
                pulls.filter((p) => (head === "" || `${owner}:${p.head}` === head) && (state === "all" || p.state === state)).map((p) => E.pullSimple(site, info, stateOf(p)))
              )
            }
            if (method === "GET" && (g = m(/^\/pulls\/(\d+)$/))) {
              const p = pulls.find((x) => x.number === Number(g![1]))
              return p === undefined ? notFound() : reply(200, E.pull(site, info, stateOf(p), { additions: 1, deletions: 1, files: 1 }))
            }
            if (method === "GET" && (g = m(/^\/git\/ref\/(.+)$/))) {
              const sha = refs.get(g[1])
              return sha === undefined ? notFound() : reply(200, E.gitRef(site, info, g[1], sha))
            }
            if (method === "GET" && (g = m(/^\/git\/commits\/([0-9a-f]+)$/))) {
              const c = readCommit(g[1])
              return c === undefined ? notFound() : reply(200, E.gitCommit(site, info, { sha: g[1], ...c }))
            }
            if (method === "GET" && (g = m(/^\/contents\/(.+)$/))) {
              const ref = url.searchParams.get("ref") ?? "main"
              const commit = resolveRef(ref)
              const blob = commit === null ? null : gitOk(["rev-parse", "--verify", "--quiet", `${commit}:${g[1]}`])
              if (commit === null || blob === null || gitOk(["cat-file", "-t", blob]) !== "blob") return notFound()
              const content = execFileSync("git", ["cat-file", "blob", blob], { env: gitEnv(gitDir) })
              return reply(200, E.contentFile(site, info, g[1], blob, content, ref))
            }
            if (method === "POST" && rest === "/git/blobs") {
              return reply(201, E.shortBlob(site, info, putBlob(Buffer.from(body.content, body.encoding === "base64" ? "base64" : "utf8"))))
            }
            if (method === "POST" && rest === "/git/trees") {
              if (body.base_tree !== undefined && gitOk(["cat-file", "-t", body.base_tree]) !== "tree") return reply(422, { message: "base_tree not found", documentation_url: "https://docs.github.com/rest" })
              for (const e of body.tree as Array<{ path: string; sha: string | null }>) {
                if (e.sha !== null && gitOk(["cat-file", "-t", e.sha]) !== "blob") return reply(422, { message: `blob ${e.sha} not found`, documentation_url: "https://docs.github.com/rest" })
              }
              const sha = makeTree(body.base_tree ?? null, body.tree)
              const entries = git(["ls-tree", sha])
                .split("\n")
                .filter(Boolean)
                .map((l) => {
                  const [meta, p] = l.split("\t")
                  const [mode, type, s] = meta.split(" ")
                  return { path: p, mode, type, sha: s }
                })
              return reply(201, E.gitTree(site, info, sha, entries))
            }
            if (method === "POST" && rest === "/git/commits") {
              if (gitOk(["cat-file", "-t", body.tree]) !== "tree") return reply(422, { message: "tree not found", documentation_url: "https://docs.github.com/rest" })
              const author = body.author ?? { name: caller.kind === "user" ? caller.login : "app[bot]", email: "bot@example.com", date: new Date(now()).toISOString() }
              const sha = makeCommit({ tree: body.tree, parents: body.parents ?? [], message: body.message, author, committer: body.committer ?? author })
              return reply(201, E.gitCommit(site, info, { sha, ...(readCommit(sha) as NonNullable<ReturnType<typeof readCommit>>) }))
            }
            if (method === "POST" && rest === "/git/refs") {
              const ref = String(body.ref).replace(/^refs\//, "")
              if (refs.has(ref)) return reply(422, { message: "Reference already exists", documentation_url: "https://docs.github.com/rest" })
              if (readCommit(body.sha) === undefined) return reply(422, { message: "Object does not exist", documentation_url: "https://docs.github.com/rest" })
              refs.set(ref, body.sha)
              return reply(201, E.gitRef(site, info, ref, body.sha))
            }
            if (method === "POST" && rest === "/pulls") {
              const sha = refs.get(`heads/${body.head}`)
              const baseSha = refs.get(`heads/${body.base}`)
              if (sha === undefined || baseSha === undefined) return reply(422, { message: "Validation Failed", documentation_url: "https://docs.github.com/rest", errors: [{ resource: "PullRequest", field: "head", code: "invalid" }] })
              const number = pulls.length + 1
              const pr: Pull = { number, title: body.title, head: body.head, base: body.base, body: body.body ?? "", html_url: `${site.web}/${owner}/${repo}/pull/${number}`, sha, draft: body.draft === true, state: "open", merged: false }
              pulls.push(pr)
              return reply(201, E.pull(site, info, stateOf(pr), { additions: 1, deletions: 1, files: 1 }))
            }
            if (method === "GET" && (g = m(/^\/collaborators\/([^/]+)\/permission$/))) {
              const permission = options.permissions?.[g[1]] ?? "read"
              return reply(200, E.collaboratorPermission(site, g[1], permission))
            }
            if (method === "POST" && (g = m(/^\/issues\/(\d+)\/comments$/))) {
              const id = E.newId()
              const login = caller.kind === "installation" ? `${appInfo?.slug ?? "app"}[bot]` : caller.kind === "user" ? caller.login : "ghost"
              comments.push({ id, issue: Number(g[1]), body: body.body, login })
              return reply(201, E.issueComment(site, info, { id, issue: Number(g[1]), body: body.body, login }))
            }
            if (method === "GET" && (g = m(/^\/commits\/([^/]+)\/check-runs$/))) {
              const sha = resolveRef(g[1]) ?? g[1]
              const runs = checks.filter((c) => c.sha === sha)
              return reply(200, { total_count: runs.length, check_runs: runs.map((c) => E.checkRun(site, info, c)) })
            }
            if (method === "GET" && (g = m(/^\/commits\/([^/]+)\/status$/))) {
              const sha = resolveRef(g[1]) ?? g[1]
              return reply(200, E.combinedStatus(site, info, sha, statuses.filter((s) => s.sha === sha)))
            }
            return notFound()
          }
          const stateOf = (p: Pull): E.PullState => ({
            number: p.number,
            id: 9000 + p.number,
            title: p.title,
            head: p.head,
            base: p.base,
            body: p.body,
            sha: p.sha,
            baseSha: refs.get(`heads/${p.base}`) ?? base,
            draft: p.draft,
            state: p.state,
            merged: p.merged,
            user: "ratchet[bot]"
          })
          const templateOf = (method: string, path: string, rest: string | null): string | null => {
            const R = "/repos/{owner}/{repo}"
            if (path === "/app") return "/app"
            if (/^\/app\/installations\/\d+\/access_tokens$/.test(path)) return "/app/installations/{installation_id}/access_tokens"
            if (path === "/user") return "/user"
            if (rest === null) return null
            const table: ReadonlyArray<[RegExp, string]> = [
              [/^$/, R],
              [/^\/installation$/, `${R}/installation`],
              [/^\/pulls$/, `${R}/pulls`],
              [/^\/pulls\/\d+$/, `${R}/pulls/{pull_number}`],
              [/^\/git\/ref\/.+$/, `${R}/git/ref/{ref}`],
              [/^\/git\/commits\/[^/]+$/, `${R}/git/commits/{commit_sha}`],
              [/^\/git\/commits$/, `${R}/git/commits`],
              [/^\/git\/blobs$/, `${R}/git/blobs`],
              [/^\/git\/trees$/, `${R}/git/trees`],
              [/^\/git\/refs$/, `${R}/git/refs`],
              [/^\/contents\/.+$/, `${R}/contents/{path}`],
              [/^\/collaborators\/[^/]+\/permission$/, `${R}/collaborators/{username}/permission`],
              [/^\/issues\/\d+\/comments$/, `${R}/issues/{issue_number}/comments`],
              [/^\/commits\/[^/]+\/check-runs$/, `${R}/commits/{ref}/check-runs`],
              [/^\/commits\/[^/]+\/status$/, `${R}/commits/{ref}/status`]
            ]
            const hit = table.find(([re]) => re.test(rest))
            return hit === undefined ? (method === "GET" ? null : null) : hit[1]
          }

          const server = createServer((req, res) => {
            // when the request's head arrived: a large body's upload time does not shift it
            const at = performance.now()
            const chunks: Array<Buffer> = []
            req.on("data", (chunk: Buffer) => chunks.push(chunk))
            req.on("end", () => {
              try {
                handle(req, res, Buffer.concat(chunks), at)
              } catch (error) {
                violations.push(`the fake failed on ${req.method} ${req.url}: ${String(error)}`)
                res.writeHead(500, { "content-type": "application/json" })
                res.end(JSON.stringify(E.basicError(String(error))))
              }
            })
          })
          server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as AddressInfo
            const url = `http://127.0.0.1:${port}`
            ;(site as { api: string }).api = url
            resolveServer({
              url,
              requests,
              gitRequests,
              faults,
              refs,
              commits,
              pulls,
              comments,
              issuedTokens,
              violations,
              fileAt,
              base,
              gitDir,
              pushToMain,
              setCheck: (sha, name, status, conclusion = null) => {
                const existing = checks.find((c) => c.sha === sha && c.name === name)
                if (existing !== undefined) {
                  existing.status = status
                  existing.conclusion = conclusion
                } else checks.push({ id: E.newId(), name, sha, status, conclusion })
              },
              setStatus: (sha, context, state) => {
                const i = statuses.findIndex((s) => s.sha === sha && s.context === context)
                const entry = { id: E.newId(), sha, context, state }
                if (i >= 0) statuses[i] = entry
                else statuses.push(entry)
              },
              closePull: (number, merged) => {
                const p = pulls.find((x) => x.number === number)
                if (p !== undefined) {
                  p.state = "closed"
                  p.merged = merged
                }
              },
              breakNext: (path) => void breaking.push(path),
              close: () =>
                new Promise<void>((done) => {
                  server.closeAllConnections()
                  server.close(() => {
                    rmSync(root, { recursive: true, force: true })
                    done()
                  })
                })
            })
          })
        })
    ),
    (fake) =>
      Effect.promise(() => fake.close()).pipe(
        Effect.andThen(
          fake.violations.length === 0
            ? Effect.void
            : Effect.die(new Error(`the fake GitHub broke GitHub's OpenAPI description:\n${[...new Set(fake.violations)].join("\n")}`))
        )
      )
  )
