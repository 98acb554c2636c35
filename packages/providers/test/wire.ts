/**
 * A local HTTP server on loopback that replays recorded-shape wire responses, one per request, and
 * records what each request sent. The official SDKs are pointed at it with their `baseURL` option.
 */
import { readFileSync } from "node:fs"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { Effect } from "effect"

/** One scripted answer. */
export interface Reply {
  readonly status?: number
  readonly headers?: Readonly<Record<string, string>>
  /** A JSON body (content-type application/json). */
  readonly json?: unknown
  /** A raw body with its content type. */
  readonly body?: string
  readonly contentType?: string
  /** Raw `text/event-stream` bytes. */
  readonly sse?: string
  /** Close the connection after this many bytes of the body (a truncated answer). */
  readonly cutAfterBytes?: number
  /** Never answer (for timeouts and cancellation). */
  readonly hang?: boolean
}

/** What a request sent. */
export interface Recorded {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly body: unknown
  readonly at: number
}

/** A running wire server. */
export interface Wire {
  readonly url: string
  readonly requests: Array<Recorded>
  /** Connections closed by the client before an answer was sent (cancellations). */
  readonly aborted: () => number
}

const FIXTURES = join(import.meta.dirname, "fixtures")

/** A fixture file's text (`provider/name.ext`). */
export const fixture = (name: string): string => readFileSync(join(FIXTURES, name), "utf8")

/** A JSON fixture. */
export const jsonFixture = (name: string): unknown => JSON.parse(fixture(name))

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

const send = (res: ServerResponse, reply: Reply) => {
  const status = reply.status ?? 200
  const [contentType, body] =
    reply.sse !== undefined
      ? ["text/event-stream", reply.sse]
      : reply.json !== undefined
        ? ["application/json", JSON.stringify(reply.json)]
        : [reply.contentType ?? "text/plain", reply.body ?? ""]
  const bytes = Buffer.from(body, "utf8")
  res.writeHead(status, { "content-type": contentType, ...reply.headers })
  if (reply.cutAfterBytes !== undefined) {
    res.write(bytes.subarray(0, reply.cutAfterBytes))
    // Let the bytes leave, then drop the connection without finishing the body.
    setTimeout(() => res.destroy(), 20)
    return
  }
  res.end(bytes)
}

/**
 * Starts a wire server answering with `replies` in order (the last one repeats); stops with the scope.
 */
export const wireServer = (replies: ReadonlyArray<Reply> | ((request: Recorded, index: number) => Reply)) =>
  Effect.acquireRelease(
    Effect.promise(
      () =>
        new Promise<Wire & { close: () => Promise<void> }>((resolve) => {
          const requests: Array<Recorded> = []
          let aborted = 0
          const server = createServer(async (req, res) => {
            const raw = await readBody(req)
            let body: unknown = raw
            try {
              body = raw === "" ? null : JSON.parse(raw)
            } catch {
              body = raw
            }
            const recorded: Recorded = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body, at: Date.now() }
            const index = requests.length
            requests.push(recorded)
            const reply = typeof replies === "function" ? replies(recorded, index) : (replies[Math.min(index, replies.length - 1)] ?? { status: 500 })
            if (reply.hang) {
              res.on("close", () => {
                if (!res.writableEnded) aborted++
              })
              return
            }
            send(res, reply)
          })
          server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as AddressInfo
            resolve({
              url: `http://127.0.0.1:${port}`,
              requests,
              aborted: () => aborted,
              close: () =>
                new Promise<void>((done) => {
                  server.closeAllConnections()
                  server.close(() => done())
                })
            })
          })
        })
    ),
    (wire) => Effect.promise(() => wire.close())
  )

/** Builds `text/event-stream` bytes from events (`event:` line when a name is given). */
export const sse = (events: ReadonlyArray<{ readonly event?: string; readonly data: unknown } | string>): string =>
  events
    .map((e) =>
      typeof e === "string" ? `data: ${e}\n\n` : `${e.event !== undefined ? `event: ${e.event}\n` : ""}data: ${typeof e.data === "string" ? e.data : JSON.stringify(e.data)}\n\n`
    )
    .join("")
