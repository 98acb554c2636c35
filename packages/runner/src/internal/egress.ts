/**
 * Filtered egress for sandboxed steps that need the network (install).
 *
 * The step runs in its own network namespace, which has only loopback. Its one way out is an HTTP
 * proxy that lives in Ratchet's process, on the host side, and is reachable only through a Unix
 * socket handed into the sandbox. Inside, a tiny bridge (plain Node, no dependencies) listens on
 * `127.0.0.1:3128` of the sandbox's own loopback, forwards each connection to that socket, and runs
 * the step as its child with `HTTP(S)_PROXY` pointing at it. Package managers (npm, pnpm, yarn,
 * bun), git over https and Node's own fetch (with `NODE_USE_ENV_PROXY`) honour those variables;
 * anything that ignores them simply has no network.
 *
 * The proxy decides per destination, on the host: with an allow-list, only listed hosts (exact,
 * `*.suffix`, optionally `:port`); without one, any host on ports 80 and 443. Either way a name
 * that resolves to a loopback, private, link-local or otherwise special address is refused unless
 * the allow-list names that host explicitly, and the connection goes to the address that was
 * checked (no second lookup a rebinding DNS answer could change). That keeps an install script
 * away from the server's own loopback services (the embedded database, the API) and from the
 * cloud metadata endpoint.
 *
 * @internal
 */
import { lookup } from "node:dns/promises"
import { chmodSync, writeFileSync } from "node:fs"
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http"
import { connect, isIP, type Socket } from "node:net"
import { classify } from "../RemoteHost.js"

/** The port the bridge listens on inside the sandbox's private network namespace. */
export const BRIDGE_PORT = 3128

/** Ports reachable when no allow-list is configured. */
const DEFAULT_PORTS = new Set([80, 443])

/**
 * Why a proxied step may not reach an address unless the allow-list names its host, or `null`:
 * `RemoteHost.classify` (loopback, private, CGNAT, link-local and cloud metadata, multicast,
 * reserved, and the IPv6 forms that embed such an IPv4 address), except the documentation and
 * benchmarking ranges: they are never a local service, and some networks route registry mirrors there.
 */
export const localReason = (address: string): string | null => {
  const reason = classify(address)
  return reason === "documentation" || reason === "benchmarking" ? null : reason
}

/** One allow-list entry: `registry.npmjs.org`, `*.yarnpkg.com`, `127.0.0.1:4873`, `[::1]:8080`. */
interface Rule {
  readonly host: string
  readonly wildcard: boolean
  readonly port: number | null
}

const normalizeHost = (host: string): string => host.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "")

/** Parses allow-list entries; a malformed entry is reported, never silently widened. */
export const parseAllowList = (entries: ReadonlyArray<string>): { rules: Array<Rule>; problems: Array<string> } => {
  const rules: Array<Rule> = []
  const problems: Array<string> = []
  for (const raw of entries) {
    const entry = raw.trim()
    if (entry.length === 0) continue
    let host = entry
    let port: number | null = null
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry)
    if (bracketed) {
      host = bracketed[1]
      port = bracketed[2] === undefined ? null : Number(bracketed[2])
    } else if (isIP(entry) !== 6) {
      const at = entry.lastIndexOf(":")
      if (at >= 0) {
        host = entry.slice(0, at)
        port = /^\d+$/.test(entry.slice(at + 1)) ? Number(entry.slice(at + 1)) : Number.NaN
      }
    }
    if (port !== null && !(Number.isInteger(port) && port > 0 && port < 65536)) {
      problems.push(`"${entry}": the port must be a number between 1 and 65535`)
      continue
    }
    const wildcard = host.startsWith("*.")
    const name = normalizeHost(wildcard ? host.slice(2) : host)
    if (name.length === 0 || /[\s/@*]/.test(name)) {
      problems.push(`"${entry}": expected a host name, "*.domain" or an IP address, optionally with ":port"`)
      continue
    }
    rules.push({ host: name, wildcard, port })
  }
  return { rules, problems }
}

/** Which rule admits `host:port`, or `null`. Without a port, a rule admits 80 and 443. */
const matchRule = (rules: ReadonlyArray<Rule>, host: string, port: number): Rule | null => {
  const h = normalizeHost(host)
  for (const rule of rules) {
    const hostOk = rule.wildcard ? h.endsWith(`.${rule.host}`) : h === rule.host
    if (!hostOk) continue
    if (rule.port === null ? DEFAULT_PORTS.has(port) : rule.port === port) return rule
  }
  return null
}

/** What the egress proxy lets through. */
export interface EgressPolicy {
  /** Allowed destinations; `null` means any host on ports 80 and 443. */
  readonly allow: ReadonlyArray<string> | null
  /** Resolves a host name (tests replace it). Default: the system resolver, all addresses. */
  readonly resolve?: (host: string) => Promise<ReadonlyArray<string>>
}

/** A running egress proxy for one step. */
export interface Egress {
  /** Destinations refused, in order, each once (`host:port — why`). */
  readonly refused: ReadonlyArray<string>
  /** Destinations reached, each once (`host:port`). */
  readonly reached: ReadonlyArray<string>
  readonly close: () => Promise<void>
}

const systemResolve = async (host: string): Promise<ReadonlyArray<string>> => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address)

/**
 * Decides a destination: the address to connect to, or why not. Resolution happens here, once, and
 * the caller connects to the returned address.
 */
export const decide = async (
  policy: EgressPolicy,
  rules: ReadonlyArray<Rule>,
  host: string,
  port: number
): Promise<{ readonly ok: true; readonly address: string } | { readonly ok: false; readonly why: string }> => {
  if (!Number.isInteger(port) || port <= 0 || port >= 65536) return { ok: false, why: "invalid port" }
  const name = normalizeHost(host)
  if (name.length === 0) return { ok: false, why: "no host" }
  const listed = policy.allow === null ? null : matchRule(rules, name, port)
  if (policy.allow !== null && listed === null) return { ok: false, why: "not in the sandbox's egress allow-list" }
  if (policy.allow === null && !DEFAULT_PORTS.has(port)) return { ok: false, why: "only ports 80 and 443 are open without an allow-list" }
  let addresses: ReadonlyArray<string>
  if (isIP(name) !== 0) addresses = [name]
  else {
    try {
      addresses = await (policy.resolve ?? systemResolve)(name)
    } catch (error) {
      return { ok: false, why: `cannot resolve: ${(error as { code?: string }).code ?? String(error)}` }
    }
  }
  if (addresses.length === 0) return { ok: false, why: "cannot resolve: no addresses" }
  // an explicitly listed host may be private (a registry mirror on the LAN); anything else may not
  if (listed === null) {
    for (const address of addresses) {
      const reason = localReason(address)
      if (reason !== null) return { ok: false, why: `resolves to ${address} (${reason}); list the host explicitly to allow it` }
    }
  }
  return { ok: true, address: addresses[0] }
}

/**
 * Starts the host-side proxy on a Unix socket (mode 0666: the sandbox user must be able to connect;
 * the socket's directory decides who can reach it). `CONNECT host:port` tunnels and plain
 * `GET http://…` requests are supported; everything else is answered 405.
 */
export const startEgress = async (socketPath: string, policy: EgressPolicy): Promise<Egress & { readonly problems: ReadonlyArray<string> }> => {
  const { rules, problems } = parseAllowList(policy.allow ?? [])
  const refused = new Map<string, string>()
  const reached = new Set<string>()
  const sockets = new Set<Socket>()
  const refuse = (target: string, why: string) => {
    if (!refused.has(target) && refused.size < 50) refused.set(target, why)
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let url: URL
    try {
      url = new URL(req.url ?? "")
    } catch {
      res.writeHead(400, { "content-type": "text/plain" }).end("Ratchet sandbox egress: only proxy requests (absolute URLs or CONNECT)\n")
      return
    }
    if (url.protocol !== "http:") {
      res.writeHead(405, { "content-type": "text/plain" }).end("Ratchet sandbox egress: use CONNECT for https\n")
      return
    }
    const port = url.port === "" ? 80 : Number(url.port)
    const target = `${url.hostname}:${port}`
    void decide(policy, rules, url.hostname, port).then((verdict) => {
      if (!verdict.ok) {
        refuse(target, verdict.why)
        res.writeHead(403, { "content-type": "text/plain" }).end(`Ratchet sandbox egress refused ${target}: ${verdict.why}\n`)
        return
      }
      reached.add(target)
      const headers = { ...req.headers }
      delete headers["proxy-connection"]
      delete headers["proxy-authorization"]
      const upstream = request(
        { host: verdict.address, port, method: req.method, path: `${url.pathname}${url.search}`, headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers)
          up.pipe(res)
        }
      )
      upstream.on("error", (error) => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" })
        res.end(`Ratchet sandbox egress: ${target}: ${error.message}\n`)
      })
      req.pipe(upstream)
    })
  })

  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client)
    client.on("close", () => sockets.delete(client))
    client.on("error", () => client.destroy())
    const authority = req.url ?? ""
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(authority)
    if (!m) {
      client.end("HTTP/1.1 400 Bad Request\r\n\r\n")
      return
    }
    const target = `${m[1]}:${m[2]}`
    void decide(policy, rules, m[1], Number(m[2])).then((verdict) => {
      if (!verdict.ok) {
        refuse(target, verdict.why)
        client.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\nRatchet sandbox egress refused ${target}: ${verdict.why}\n`)
        return
      }
      const upstream = connect({ host: verdict.address, port: Number(m[2]) })
      sockets.add(upstream)
      upstream.on("close", () => sockets.delete(upstream))
      upstream.once("connect", () => {
        reached.add(target)
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n")
        if (head.length > 0) upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
      })
      upstream.on("error", (error) => {
        if (!client.destroyed) client.end(`HTTP/1.1 502 Bad Gateway\r\n\r\n${error.message}\n`)
        upstream.destroy()
      })
      client.on("close", () => upstream.destroy())
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(socketPath, () => resolve())
  })
  chmodSync(socketPath, 0o666)

  return {
    problems,
    get refused() {
      return [...refused].map(([target, why]) => `${target} — ${why}`)
    },
    get reached() {
      return [...reached]
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

/**
 * The bridge that runs inside the sandbox: listens on the sandbox's loopback, forwards to the
 * proxy socket, runs the step as its child and exits the way the step did.
 */
export const BRIDGE_SOURCE = `// Ratchet sandbox egress bridge: sandbox loopback -> host-side filtering proxy (Unix socket).
import { connect, createServer } from "node:net"
import { spawn } from "node:child_process"
const [socketPath, port, ...command] = process.argv.slice(2)
const server = createServer((client) => {
  const upstream = connect(socketPath)
  client.pipe(upstream)
  upstream.pipe(client)
  client.on("error", () => upstream.destroy())
  upstream.on("error", () => client.destroy())
})
server.on("error", (error) => {
  process.stderr.write("ratchet egress bridge: " + error.message + "\\n")
  process.exit(125)
})
server.listen(Number(port), "127.0.0.1", () => {
  const child = spawn(command[0], command.slice(1), { stdio: "inherit" })
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => child.kill(signal))
  child.on("error", (error) => {
    process.stderr.write("ratchet egress bridge: " + error.message + "\\n")
    process.exit(127)
  })
  child.on("exit", (code, signal) => {
    server.close()
    if (signal !== null) {
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
      return
    }
    process.exit(code ?? 1)
  })
})
`

/** Writes the bridge script (world-readable, so a dropped uid can run it). */
export const writeBridge = (path: string): void => {
  writeFileSync(path, BRIDGE_SOURCE, { mode: 0o644 })
}

/** The environment that points a step's tools at the bridge. */
export const proxyEnv = (): Record<string, string> => {
  const url = `http://127.0.0.1:${BRIDGE_PORT}`
  return {
    HTTP_PROXY: url,
    HTTPS_PROXY: url,
    http_proxy: url,
    https_proxy: url,
    NO_PROXY: "",
    no_proxy: "",
    npm_config_proxy: url,
    npm_config_https_proxy: url,
    YARN_HTTP_PROXY: url,
    YARN_HTTPS_PROXY: url,
    NODE_USE_ENV_PROXY: "1"
  }
}
