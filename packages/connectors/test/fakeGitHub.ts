/**
 * A small fake of the GitHub REST API on loopback (node:http) for the connector tests: just the
 * routes the connector uses, an in-memory object model, a request log and fault injection.
 */
import { createHash } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"

export interface Recorded {
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
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

export interface FakeGitHub {
  readonly url: string
  readonly requests: Array<Recorded>
  readonly faults: Array<Fault>
  readonly refs: Map<string, string>
  readonly commits: Map<string, Commit>
  readonly pulls: Array<{ number: number; title: string; head: string; base: string; body: string; html_url: string; sha: string }>
  readonly fileAt: (commitSha: string, path: string) => string | undefined
  readonly base: string
  /** Adds a commit on main replacing `path` with `content`. */
  readonly pushToMain: (path: string, content: string) => string
}

const sha1 = (value: unknown): string => createHash("sha1").update(JSON.stringify(value)).digest("hex")

export const fakeGitHub = (files: Record<string, string>, owner = "octo", repo = "app") =>
  Effect.acquireRelease(
    Effect.promise(
      () =>
        new Promise<FakeGitHub & { close: () => Promise<void> }>((resolveServer) => {
          const blobs = new Map<string, string>()
          const trees = new Map<string, Map<string, { sha: string; mode: string }>>()
          const commits = new Map<string, Commit>()
          const refs = new Map<string, string>()
          const pulls: FakeGitHub["pulls"] = []
          const requests: Array<Recorded> = []
          const faults: Array<Fault> = []
          const putBlob = (content: string) => {
            const sha = sha1(["blob", content])
            blobs.set(sha, content)
            return sha
          }
          const putTree = (entries: Map<string, { sha: string; mode: string }>) => {
            const sha = sha1(["tree", [...entries].sort()])
            trees.set(sha, entries)
            return sha
          }
          const putCommit = (c: Commit) => {
            const sha = sha1(["commit", c])
            commits.set(sha, c)
            return sha
          }
          const initial = new Map(Object.entries(files).map(([p, c]) => [p, { sha: putBlob(c), mode: "100644" }]))
          const base = putCommit({ tree: putTree(initial), parents: [], message: "initial", author: { name: "t", email: "t@example.com", date: "2026-01-01T00:00:00Z" } })
          refs.set("heads/main", base)
          const fileAt = (commitSha: string, path: string) => {
            const c = commits.get(commitSha)
            const entry = c === undefined ? undefined : trees.get(c.tree)?.get(path)
            return entry === undefined ? undefined : blobs.get(entry.sha)
          }
          const pushToMain = (path: string, content: string) => {
            const head = refs.get("heads/main") as string
            const entries = new Map(trees.get((commits.get(head) as Commit).tree))
            entries.set(path, { sha: putBlob(content), mode: "100644" })
            const sha = putCommit({ tree: putTree(entries), parents: [head], message: "upstream", author: { name: "t", email: "t@example.com", date: "2026-01-02T00:00:00Z" } })
            refs.set("heads/main", sha)
            return sha
          }

          const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
            res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers })
            res.end(JSON.stringify(body))
          }
          const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
            const url = new URL(req.url ?? "/", "http://x")
            const path = decodeURIComponent(url.pathname)
            const body = raw.length > 0 ? JSON.parse(raw) : undefined
            requests.push({ method: req.method ?? "", path: `${path}${url.search}`, authorization: req.headers.authorization, at: performance.now(), body })
            const fault = faults.find((f) => f.times > 0 && f.method === req.method && f.path.test(path))
            if (fault) {
              fault.times--
              return send(res, fault.status, fault.body ?? { message: "fault" }, fault.headers)
            }
            const prefix = `/repos/${owner}/${repo}`
            if (!path.startsWith(`${prefix}/`)) return send(res, 404, { message: "Not Found" })
            const rest = path.slice(prefix.length)
            const m = (re: RegExp) => re.exec(rest)
            let g: RegExpExecArray | null
            if (req.method === "GET" && rest === "/pulls") {
              const head = url.searchParams.get("head") ?? ""
              return send(res, 200, pulls.filter((p) => `${owner}:${p.head}` === head).map((p) => ({ ...p, head: { ref: p.head, sha: p.sha } })))
            }
            if (req.method === "GET" && (g = m(/^\/git\/ref\/(.+)$/))) {
              const sha = refs.get(g[1])
              return sha === undefined ? send(res, 404, { message: "Not Found" }) : send(res, 200, { ref: `refs/${g[1]}`, object: { sha, type: "commit" } })
            }
            if (req.method === "GET" && (g = m(/^\/git\/commits\/([0-9a-f]+)$/))) {
              const c = commits.get(g[1])
              return c === undefined ? send(res, 404, { message: "Not Found" }) : send(res, 200, { sha: g[1], message: c.message, tree: { sha: c.tree }, parents: c.parents.map((sha) => ({ sha })), author: c.author })
            }
            if (req.method === "GET" && (g = m(/^\/contents\/(.+)$/))) {
              const content = fileAt(url.searchParams.get("ref") ?? (refs.get("heads/main") as string), g[1])
              return content === undefined
                ? send(res, 404, { message: "Not Found" })
                : send(res, 200, { type: "file", path: g[1], encoding: "base64", content: Buffer.from(content).toString("base64") })
            }
            if (req.method === "POST" && rest === "/git/blobs") {
              return send(res, 201, { sha: putBlob(Buffer.from(body.content, body.encoding === "base64" ? "base64" : "utf8").toString("utf8")) })
            }
            if (req.method === "POST" && rest === "/git/trees") {
              const baseTree = trees.get(body.base_tree)
              if (baseTree === undefined) return send(res, 422, { message: "base_tree not found" })
              const entries = new Map(baseTree)
              for (const e of body.tree as Array<{ path: string; mode: string; sha: string | null }>) {
                if (e.sha === null) entries.delete(e.path)
                else if (!blobs.has(e.sha)) return send(res, 422, { message: `blob ${e.sha} not found` })
                else entries.set(e.path, { sha: e.sha, mode: e.mode })
              }
              return send(res, 201, { sha: putTree(entries) })
            }
            if (req.method === "POST" && rest === "/git/commits") {
              if (!trees.has(body.tree)) return send(res, 422, { message: "tree not found" })
              return send(res, 201, { sha: putCommit({ tree: body.tree, parents: body.parents, message: body.message, author: body.author }) })
            }
            if (req.method === "POST" && rest === "/git/refs") {
              const ref = String(body.ref).replace(/^refs\//, "")
              if (refs.has(ref)) return send(res, 422, { message: "Reference already exists" })
              refs.set(ref, body.sha)
              return send(res, 201, { ref: body.ref, object: { sha: body.sha } })
            }
            if (req.method === "POST" && rest === "/pulls") {
              const sha = refs.get(`heads/${body.head}`)
              if (sha === undefined) return send(res, 422, { message: "head does not exist" })
              const number = pulls.length + 1
              const pr = { number, title: body.title, head: body.head, base: body.base, body: body.body, html_url: `https://github.example/${owner}/${repo}/pull/${number}`, sha }
              pulls.push(pr)
              return send(res, 201, { ...pr, head: { ref: pr.head, sha } })
            }
            return send(res, 404, { message: `no route ${req.method} ${path}` })
          }
          const server = createServer((req, res) => {
            let raw = ""
            req.setEncoding("utf8")
            req.on("data", (chunk) => {
              raw += chunk
            })
            req.on("end", () => {
              try {
                handle(req, res, raw)
              } catch (error) {
                send(res, 500, { message: String(error) })
              }
            })
          })
          server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as AddressInfo
            resolveServer({
              url: `http://127.0.0.1:${port}`,
              requests,
              faults,
              refs,
              commits,
              pulls,
              fileAt,
              base,
              pushToMain,
              close: () =>
                new Promise<void>((done) => {
                  server.closeAllConnections()
                  server.close(() => done())
                })
            })
          })
        })
    ),
    (fake) => Effect.promise(() => fake.close())
  )
