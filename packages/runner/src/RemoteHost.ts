/**
 * Where a repository URL really points: its host is resolved, every address it resolves to is
 * classified, and one checked public address is returned for the connection to be pinned to
 * (so DNS cannot answer differently between the check and the clone: no rebinding).
 *
 * Refused: loopback, private (RFC 1918, IPv6 ULA), link-local (including the cloud metadata
 * address 169.254.169.254), CGNAT (100.64/10, including 100.100.100.200), multicast, unspecified,
 * broadcast, documentation/benchmark/reserved ranges, and the same inside IPv6 forms that embed
 * an IPv4 address (`::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`, `::a.b.c.d`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RemoteHost } from "@ratchet/runner"
 *
 * const pinned = RemoteHost.check(new URL("https://github.com/effect-ts/effect"), RemoteHost.systemResolver)
 * ```
 *
 * @since 0.1.0
 */
import { lookup } from "node:dns/promises"
import { isIPv4, isIPv6 } from "node:net"

/**
 * One address of a host.
 *
 * @since 0.1.0
 */
export interface Address {
  readonly address: string
  readonly family: 4 | 6
}

/**
 * Resolves a host name to all its addresses (tests inject their own; no test touches the network).
 *
 * @since 0.1.0
 */
export type Resolver = (host: string) => Promise<ReadonlyArray<Address>>

/**
 * The system resolver (`getaddrinfo`, all addresses).
 *
 * @since 0.1.0
 */
export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }))

const V4_BLOCKED: ReadonlyArray<readonly [string, number, string]> = [
  ["0.0.0.0", 8, "unspecified (this network)"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "CGNAT (shared address space)"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local (cloud metadata)"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "IETF protocol assignments"],
  ["192.0.2.0", 24, "documentation"],
  ["192.88.99.0", 24, "6to4 relay"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"]
]

const v4ToInt = (a: string): number => a.split(".").reduce((n, part) => n * 256 + Number(part), 0)

const classifyV4 = (address: string): string | null => {
  const n = v4ToInt(address)
  for (const [base, bits, reason] of V4_BLOCKED) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
    if (((n & mask) >>> 0) === ((v4ToInt(base) & mask) >>> 0)) return reason
  }
  return null
}

/** The 8 hextets of an IPv6 address (with an embedded dotted IPv4 tail expanded). */
const hextets = (address: string): Array<number> | null => {
  let a = address.toLowerCase().replace(/^\[|\]$/g, "")
  const zone = a.indexOf("%")
  if (zone !== -1) a = a.slice(0, zone)
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(a)
  if (dotted) {
    if (!isIPv4(dotted[1]!)) return null
    const n = v4ToInt(dotted[1]!)
    a = `${a.slice(0, dotted.index)}${((n >>> 16) & 0xffff).toString(16)}:${(n & 0xffff).toString(16)}`
  }
  const [head, tail, ...rest] = a.split("::")
  if (rest.length > 0) return null
  const h = head === "" || head === undefined ? [] : head.split(":")
  const t = tail === undefined ? null : tail === "" ? [] : tail.split(":")
  const fill = t === null ? 0 : 8 - h.length - t.length
  if (fill < 0) return null
  const parts = [...h, ...Array.from({ length: fill }, () => "0"), ...(t ?? [])]
  if (parts.length !== 8) return null
  const out = parts.map((p) => (/^[0-9a-f]{1,4}$/.test(p) ? Number.parseInt(p, 16) : Number.NaN))
  return out.some(Number.isNaN) ? null : out
}

const embeddedV4 = (x: ReadonlyArray<number>, hi: number, lo: number): string =>
  [x[hi]! >> 8, x[hi]! & 0xff, x[lo]! >> 8, x[lo]! & 0xff].join(".")

const classifyV6 = (address: string): string | null => {
  const x = hextets(address)
  if (x === null) return "not an IPv6 address"
  const zeros = (from: number, to: number) => x.slice(from, to).every((v) => v === 0)
  if (zeros(0, 8)) return "unspecified"
  if (zeros(0, 7) && x[7] === 1) return "loopback"
  // forms that carry an IPv4 address: judged by that address
  if (zeros(0, 5) && x[5] === 0xffff) return classifyV4(embeddedV4(x, 6, 7)) // ::ffff:a.b.c.d (mapped)
  if (zeros(0, 4) && x[4] === 0xffff && x[5] === 0) return classifyV4(embeddedV4(x, 6, 7)) // ::ffff:0:a.b.c.d (translated)
  if (zeros(0, 6)) return classifyV4(embeddedV4(x, 6, 7)) ?? "IPv4-compatible (deprecated)" // ::a.b.c.d
  if (x[0] === 0x64 && x[1] === 0xff9b && zeros(2, 6)) return classifyV4(embeddedV4(x, 6, 7)) // NAT64
  if (x[0] === 0x2002) return classifyV4(embeddedV4(x, 1, 2)) // 6to4
  const first = x[0]!
  if ((first & 0xfe00) === 0xfc00) return "private (unique local, includes fd00:ec2::254 metadata)"
  if ((first & 0xffc0) === 0xfe80) return "link-local"
  if ((first & 0xffc0) === 0xfec0) return "site-local (deprecated)"
  if ((first & 0xff00) === 0xff00) return "multicast"
  if (first === 0x2001 && x[1] === 0x0db8) return "documentation"
  if (first === 0x0100 && zeros(1, 4)) return "discard-only"
  return null
}

/**
 * Why an address must not be connected to (`"loopback"`, `"private"`, …), or `null` for a public one.
 *
 * @since 0.1.0
 */
export const classify = (address: string): string | null =>
  isIPv4(address) ? classifyV4(address) : isIPv6(address.replace(/%.*$/, "")) ? classifyV6(address) : "not an IP address"

/**
 * The outcome of {@link check}: the address to pin the connection to, or why the URL is refused.
 *
 * @since 0.1.0
 */
export type Checked =
  | { readonly ok: true; readonly host: string; readonly port: number; readonly address: string; readonly family: 4 | 6 }
  | { readonly ok: false; readonly reason: string }

/**
 * Resolves `url`'s host with `resolve` and checks every address it returns; a host with any
 * non-public address is refused (a name that resolves to both is the classic rebinding setup).
 * On success, `address` is the one checked address the connection must use.
 *
 * @since 0.1.0
 */
export const check = async (url: URL, resolve: Resolver): Promise<Checked> => {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase()
  const port = url.port === "" ? (url.protocol === "http:" ? 80 : 443) : Number(url.port)
  if (host === "localhost" || host.endsWith(".localhost")) return { ok: false, reason: `host ${host} is loopback` }
  let addresses: ReadonlyArray<Address>
  if (isIPv4(host) || isIPv6(host)) {
    addresses = [{ address: host, family: isIPv4(host) ? 4 : 6 }]
  } else {
    try {
      addresses = await resolve(host)
    } catch (e) {
      return { ok: false, reason: `cannot resolve host ${host} (${(e as NodeJS.ErrnoException).code ?? String(e)})` }
    }
    if (addresses.length === 0) return { ok: false, reason: `host ${host} resolves to no address` }
  }
  for (const a of addresses) {
    const why = classify(a.address)
    if (why !== null) {
      return { ok: false, reason: `host ${host} resolves to ${a.address}, a ${why} address` }
    }
  }
  const chosen = addresses[0]!
  return { ok: true, host, port, address: chosen.address, family: chosen.family }
}

/**
 * The `git -c` options that make git connect to the checked address only: curl's resolve cache
 * is seeded with it (`http.curloptResolve`, git ≥ 2.37) and redirects are not followed (a
 * redirect would lead to a host nobody checked).
 *
 * @since 0.1.0
 */
export const gitPinArgs = (checked: { readonly host: string; readonly port: number; readonly address: string; readonly family: 4 | 6 }): ReadonlyArray<string> => [
  "-c",
  `http.curloptResolve=${checked.host}:${checked.port}:${checked.family === 6 ? `[${checked.address}]` : checked.address}`,
  "-c",
  "http.followRedirects=false"
]
