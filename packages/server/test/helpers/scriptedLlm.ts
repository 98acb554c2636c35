/**
 * A scripted OpenAI-compatible server (Chat Completions, `POST /v1/chat/completions`) on loopback:
 * `answer` decides each reply from the request; every request is recorded. Answers use the wire
 * shape compatible servers (vLLM, Ollama, LM Studio) send.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"

/** A recorded request: its headers and JSON body. */
export interface LlmRequest {
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly body: {
    readonly model: string
    readonly messages: ReadonlyArray<{ readonly role: string; readonly content?: string | null; readonly tool_call_id?: string }>
    readonly tools?: ReadonlyArray<unknown>
    readonly response_format?: { readonly json_schema?: { readonly name?: string } }
  }
}

/** What the script answers: text, a JSON answer, or one tool call; with usage. */
export type LlmReply =
  | { readonly kind: "json"; readonly value: unknown; readonly usage?: { readonly prompt: number; readonly completion: number } }
  | { readonly kind: "text"; readonly text: string; readonly usage?: { readonly prompt: number; readonly completion: number } }
  | { readonly kind: "tool"; readonly name: string; readonly args: unknown; readonly reasoning?: string; readonly usage?: { readonly prompt: number; readonly completion: number } }

let ids = 0

const completion = (model: string, reply: LlmReply) => {
  const id = `chatcmpl-${(++ids).toString(16).padStart(8, "0")}`
  const usage = reply.usage ?? { prompt: 1_200, completion: 150 }
  const message =
    reply.kind === "tool"
      ? {
          role: "assistant",
          content: null,
          ...(reply.reasoning ? { reasoning_content: reply.reasoning } : {}),
          tool_calls: [{ id: `call_${ids}`, type: "function", function: { name: reply.name, arguments: JSON.stringify(reply.args) } }]
        }
      : { role: "assistant", content: reply.kind === "json" ? JSON.stringify(reply.value) : reply.text }
  return {
    id,
    object: "chat.completion",
    created: 1_764_633_600,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: reply.kind === "tool" ? "tool_calls" : "stop" }],
    usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion }
  }
}

/** Starts the server; `close()` stops it. */
export const scriptedLlm = (answer: (request: LlmRequest, index: number) => LlmReply) =>
  new Promise<{ readonly url: string; readonly requests: Array<LlmRequest>; readonly close: () => Promise<void> }>((resolve) => {
    const requests: Array<LlmRequest> = []
    const server = createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
          res.writeHead(404, { "content-type": "application/json" })
          res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: "invalid_request_error", code: "not_found" } }))
          return
        }
        const request: LlmRequest = { headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) }
        requests.push(request)
        const reply = answer(request, requests.length - 1)
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify(completion(request.body.model, reply)))
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}/v1`,
        requests,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
