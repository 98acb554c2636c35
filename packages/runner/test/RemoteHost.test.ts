/**
 * SSRF by name (#12 item 4): a repository URL is judged by the addresses its host resolves to,
 * and git connects to the address that was checked. Resolvers are injected: no test touches the
 * network (a stand-in `git` on PATH records what the clone would have done).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Workspace } from "@ratchet/core"
import { GitWorkspace, RemoteHost } from "@ratchet/runner"

const resolver = (table: Record<string, ReadonlyArray<string>>): RemoteHost.Resolver => async (host) => {
  const found = table[host]
  if (found === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" })
  return found.map((address) => ({ address, family: address.includes(":") ? (6 as const) : (4 as const) }))
}

describe("RemoteHost.classify", () => {
  it("refuses loopback, private, link-local, CGNAT, multicast, metadata and reserved addresses, in every IPv4 and IPv6 form", () => {
    const refused = [
      "127.0.0.1", "127.255.255.254", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
      "100.100.100.200", "0.0.0.0", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "192.0.2.10", "198.18.0.1",
      "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1", "fec0::1", "2001:db8::1",
      "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:169.254.169.254", "::ffff:a9fe:a9fe", "::ffff:10.0.0.1", "::ffff:0:127.0.0.1",
      "64:ff9b::127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "2002:a9fe:a9fe::1", "::127.0.0.1", "0:0:0:0:0:ffff:7f00:0001", "fe80::1%eth0"
    ]
    for (const address of refused) expect(RemoteHost.classify(address), address).not.toBeNull()
    const allowed = ["140.82.112.3", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001:82f::200e", "::ffff:140.82.112.3", "64:ff9b::8.8.8.8", "2002:8c52:7003::1"]
    for (const address of allowed) expect(RemoteHost.classify(address), address).toBeNull()
  })
})

describe("RemoteHost.check", () => {
  it.effect("judges a name by every address it resolves to, and pins the checked one", () =>
    Effect.promise(async () => {
      const dns = resolver({
        "good.test": ["140.82.112.3"],
        "metadata.test": ["169.254.169.254"],
        "rebind.test": ["140.82.112.3", "127.0.0.1"],
        "mapped.test": ["::ffff:10.0.0.1"],
        "v6.test": ["2606:4700:4700::1111"],
        "cgnat.test": ["100.64.1.1"]
      })
      expect(await RemoteHost.check(new URL("https://good.test/a/b.git"), dns)).toEqual({ ok: true, host: "good.test", port: 443, address: "140.82.112.3", family: 4 })
      for (const [url, why] of [
        ["https://metadata.test/latest", "169.254.169.254, a link-local"],
        ["https://rebind.test/x.git", "127.0.0.1, a loopback"],
        ["https://mapped.test/x.git", "::ffff:10.0.0.1, a private"],
        ["https://cgnat.test/x.git", "CGNAT"],
        ["https://nowhere.test/x.git", "cannot resolve host nowhere.test"],
        ["https://localhost/x.git", "loopback"],
        ["https://[::ffff:127.0.0.1]/x.git", "loopback"]
      ] as const) {
        const checked = await RemoteHost.check(new URL(url), dns)
        expect(checked.ok, url).toBe(false)
        if (!checked.ok) expect(checked.reason).toContain(why)
      }
      const v6 = await RemoteHost.check(new URL("https://v6.test:8443/x.git"), dns)
      expect(v6.ok && RemoteHost.gitPinArgs(v6)).toEqual(["-c", "http.curloptResolve=v6.test:8443:[2606:4700:4700::1111]", "-c", "http.followRedirects=false"])
    }))
})

describe("GitWorkspace: the clone connects to the checked address", () => {
  const scratch = mkdtempSync(join(tmpdir(), "ratchet-ssrf-"))
  const log = join(scratch, "git-args.log")
  // a stand-in git that records its arguments and fails the clone; every other git call goes to the real one
  const realGit = process.env.PATH!.split(delimiter).map((d) => join(d, "git")).find((f) => {
    try {
      return readFileSync(f).length > 0
    } catch {
      return false
    }
  })!
  writeFileSync(join(scratch, "git"), `#!/bin/sh\ncase " $* " in *" clone "*) printf '%s\\n' "$@" >> "${log}"; echo "fatal: stand-in git, no network" >&2; exit 128;; esac\nexec "${realGit}" "$@"\n`)
  chmodSync(join(scratch, "git"), 0o755)
  const savedPath = process.env.PATH
  afterAll(() => {
    process.env.PATH = savedPath
    rmSync(scratch, { recursive: true, force: true })
  })

  it.effect("a private resolution is refused before git runs; a public one is cloned with curl's resolve pinned to it and no redirects", () =>
    Effect.gen(function* () {
      process.env.PATH = `${scratch}${delimiter}${savedPath}`
      const dns = resolver({ "evil.test": ["140.82.112.3", "10.0.0.7"], "repo.test": ["140.82.112.3"] })
      const ws = yield* Workspace.Workspace.pipe(Effect.provide(GitWorkspace.layer({ stateDir: join(scratch, "state"), resolve: dns })))
      const refused = yield* Effect.scoped(ws.prepare({ source: "https://evil.test/a/b.git", purpose: "baseline" })).pipe(Effect.flip)
      expect(refused.reason._tag).toBe("BadInput")
      expect(refused.message).toContain("10.0.0.7, a private address")
      expect(() => readFileSync(log, "utf8")).toThrow()
      const failed = yield* Effect.scoped(ws.prepare({ source: "https://repo.test/a/b.git", purpose: "baseline" })).pipe(Effect.flip)
      expect(failed.message).toContain("stand-in git")
      const args = readFileSync(log, "utf8").split("\n")
      expect(args).toContain("http.curloptResolve=repo.test:443:140.82.112.3")
      expect(args).toContain("http.followRedirects=false")
      expect(args.indexOf("http.curloptResolve=repo.test:443:140.82.112.3")).toBeLessThan(args.indexOf("clone"))
    }))
})
