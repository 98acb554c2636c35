/**
 * A throwaway PostgreSQL cluster (initdb + pg_ctl on a temp dir and a loopback port) for tests.
 * When the binaries are absent the helper says why and returns null, so the caller can skip.
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"

const candidates = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/14/bin"]

export const postgresBin = (): string | null => {
  for (const dir of candidates) if (Fs.existsSync(Path.join(dir, "initdb"))) return dir
  return null
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = Net.createServer()
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as Net.AddressInfo).port
      srv.close(() => resolve(port))
    })
    srv.on("error", reject)
  })

export interface PostgresCluster {
  readonly url: string
  readonly stop: () => void
}

export const startPostgres = async (): Promise<PostgresCluster | null> => {
  const bin = postgresBin()
  if (bin === null) {
    console.warn("[server tests] PostgreSQL binaries not found under /usr/lib/postgresql/*/bin; skipping real-PostgreSQL tests (install the `postgresql` package to run them)")
    return null
  }
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "ratchet-pg-"))
  const asRoot = process.getuid?.() === 0
  // initdb refuses to run as root: drop to the `postgres` user there.
  const run = (cmd: string, args: Array<string>) =>
    asRoot
      ? execFileSync("runuser", ["-u", "postgres", "--", Path.join(bin, cmd), ...args], { stdio: "pipe" })
      : execFileSync(Path.join(bin, cmd), args, { stdio: "pipe" })
  if (asRoot) execFileSync("chown", ["postgres", dir])
  const data = Path.join(dir, "data")
  run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
  const port = await freePort()
  run("pg_ctl", ["-D", data, "-l", Path.join(dir, "log"), "-w", "-o", `-p ${port} -k ${dir} -h 127.0.0.1 -F -c max_connections=100`, "start"])
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"])
      } finally {
        Fs.rmSync(dir, { recursive: true, force: true })
      }
    }
  }
}
