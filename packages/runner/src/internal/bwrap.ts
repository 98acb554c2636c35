/**
 * The bubblewrap command line of one sandboxed step: which host paths the step sees, where, and
 * how (read-only toolchain, writable workspace, private `/tmp` and home, nothing else).
 *
 * @internal
 */
import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync, statSync } from "node:fs"
import { dirname, isAbsolute, join, resolve, sep } from "node:path"

/** Top-level system directories bound read-only (or re-created as the same symlink). */
const SYSTEM = ["/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] as const

/** Where the per-step home, temp and control directories appear inside the sandbox. */
export const INSIDE = {
  home: "/home/ratchet",
  tmp: "/tmp",
  control: "/run/ratchet"
} as const

export interface BwrapInput {
  readonly bwrap: string
  /** bwrap runs as root (no user namespace), so the step can drop to `uid` itself. */
  readonly privileged: boolean
  /** The dedicated uid the step runs as (root hosts), or `null`. */
  readonly uid: number | null
  readonly cwd: string
  /** Bound read-write at the same path. */
  readonly writable: ReadonlyArray<string>
  /** Toolchain paths bound read-only at the same path (Node's prefix, PATH entries, provisioned tools, CA files). */
  readonly readOnly: ReadonlyArray<string>
  /** Paths that must never be visible: a bind inside one is dropped; one inside a bind is masked by an empty, inaccessible directory. */
  readonly hidden: ReadonlyArray<string>
  /** The workspace's own git metadata, bound read-only even inside a hidden directory (the mirror cache). */
  readonly gitMetadata: ReadonlyArray<string>
  /** Host directories backing the private home, `/tmp` and the control directory (time output, egress bridge). */
  readonly home: string
  readonly tmp: string
  readonly control: string
  /** Keep the host's network namespace (only when the operator chose unfiltered network for install). */
  readonly shareNetwork: boolean
  /** `--disable-userns` is available (unprivileged mode only). */
  readonly disableUserns: boolean
}

export interface BwrapPlan {
  /** bwrap and its options, ending with `--`; the command follows. */
  readonly argv: ReadonlyArray<string>
  /** Paths that were asked for but not bound, with why. */
  readonly skipped: ReadonlyArray<string>
}

const within = (path: string, dir: string): boolean => path === dir || path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`)

const real = (path: string): string | null => {
  try {
    return realpathSync(path)
  } catch {
    return null
  }
}

const depth = (path: string): number => path.split(sep).filter((s) => s.length > 0).length

interface Mount {
  readonly kind: "ro" | "rw"
  readonly source: string
  readonly dest: string
}

/** Builds the bwrap argv for one step. */
export const plan = (input: BwrapInput): BwrapPlan => {
  const args: Array<string> = [input.bwrap]
  const skipped: Array<string> = []
  const hidden = input.hidden.map((h) => real(h) ?? resolve(h))

  // 1. the system toolchain, read-only; `covered` holds binds that show the host's tree at the same path
  const covered: Array<string> = []
  for (const dir of SYSTEM) {
    let st: ReturnType<typeof lstatSync>
    try {
      st = lstatSync(dir)
    } catch {
      continue
    }
    if (st.isSymbolicLink()) args.push("--symlink", readlinkSync(dir), dir)
    else if (st.isDirectory()) {
      args.push("--ro-bind", dir, dir)
      covered.push(dir)
    }
  }
  // resolv.conf may point outside /etc (systemd-resolved); only a shared network can use it
  if (input.shareNetwork) {
    const resolvConf = real("/etc/resolv.conf")
    if (resolvConf !== null && !covered.some((c) => within(resolvConf, c))) args.push("--ro-bind-try", resolvConf, resolvConf)
  }
  args.push("--proc", "/proc", "--dev", "/dev")
  args.push("--perms", "0755", "--dir", "/home", "--perms", "0755", "--dir", "/run")
  // private directories: what is under these paths inside is not what is under them on the host
  args.push("--bind", input.tmp, INSIDE.tmp, "--bind", input.home, INSIDE.home, "--bind", input.control, INSIDE.control)

  // 2. toolchain extras (read-only) and the workspace (read-write), parents before children
  const mounts: Array<Mount> = []
  const add = (kind: Mount["kind"], path: string, mayBeHidden = false) => {
    if (!isAbsolute(path)) {
      skipped.push(`${path}: not an absolute path`)
      return
    }
    const source = real(path)
    if (source === null) {
      skipped.push(`${path}: does not exist`)
      return
    }
    if (source === "/" || depth(source) < 1) {
      skipped.push(`${path}: the root directory is never bound`)
      return
    }
    const inHidden = hidden.find((h) => within(source, h))
    if (inHidden !== undefined && !mayBeHidden) {
      skipped.push(`${path}: lies inside ${inHidden}, which steps never see`)
      return
    }
    for (const dest of source === resolve(path) ? [source] : [source, resolve(path)]) {
      if (kind === "ro" && covered.some((c) => within(dest, c))) continue
      if (!mounts.some((m) => m.dest === dest)) mounts.push({ kind, source, dest })
      else if (kind === "rw") {
        const at = mounts.findIndex((m) => m.dest === dest)
        mounts[at] = { kind, source, dest }
      }
    }
  }
  for (const path of input.readOnly) add("ro", path)
  for (const path of input.writable) add("rw", path)
  for (const path of input.gitMetadata) add("ro", path, true)
  const cwdReal = real(input.cwd) ?? input.cwd
  if (!mounts.some((m) => within(cwdReal, m.dest)) && !covered.some((c) => within(cwdReal, c))) add("ro", input.cwd)
  mounts.sort((a, b) => depth(a.dest) - depth(b.dest))

  const made = new Set<string>(["/home", "/run", INSIDE.tmp, INSIDE.home, INSIDE.control])
  for (const mount of mounts) {
    // parent directories are created world-searchable, so a dropped uid can walk down to its mount
    const parents: Array<string> = []
    for (let p = dirname(mount.dest); p !== "/" && p !== "."; p = dirname(p)) parents.unshift(p)
    for (const p of parents) {
      if (made.has(p) || covered.some((c) => within(p, c)) || mounts.some((m) => m !== mount && within(p, m.dest) && depth(m.dest) < depth(mount.dest))) continue
      args.push("--perms", "0755", "--dir", p)
      made.add(p)
    }
    args.push(mount.kind === "rw" ? "--bind" : "--ro-bind", mount.source, mount.dest)
  }

  // 3. anything hidden that a same-path bind still contains is masked with an empty, inaccessible directory
  for (const h of hidden) {
    const inside = [...covered, ...mounts.filter((m) => m.source === m.dest).map((m) => m.dest)].some((d) => within(h, d) && h !== d)
    if (!inside || !existsSync(h)) continue
    if (statSync(h).isDirectory()) args.push("--perms", "0000", "--tmpfs", h, "--remount-ro", h)
    else args.push("--ro-bind", "/dev/null", h)
  }

  // 4. namespaces and process hygiene
  args.push("--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try")
  if (!input.shareNetwork) args.push("--unshare-net")
  if (!input.privileged && input.disableUserns) args.push("--unshare-user", "--disable-userns")
  args.push("--hostname", "ratchet-sandbox", "--die-with-parent", "--new-session")
  if (input.privileged && input.uid !== null) args.push("--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID")
  args.push("--chdir", cwdReal, "--")
  return { argv: args, skipped }
}

/** Read-only toolchain paths for a step: Node's installation, PATH entries outside hidden places, extra files. */
export const toolchain = (options: {
  readonly path: string | undefined
  readonly nodeExecPath: string
  /** The host user's home: PATH entries inside it are not bound (Node's own prefix and `extra` are). */
  readonly home: string
  readonly extra: ReadonlyArray<string>
}): Array<string> => {
  const out: Array<string> = []
  const node = real(options.nodeExecPath) ?? options.nodeExecPath
  const nodeBin = dirname(node)
  // a `bin` directory is bound with its prefix, so `lib/node_modules/npm` next to it resolves
  out.push(nodeBin.endsWith(`${sep}bin`) && depth(nodeBin) > 2 ? dirname(nodeBin) : nodeBin)
  const home = real(options.home) ?? options.home
  for (const dir of (options.path ?? "").split(":")) {
    if (!isAbsolute(dir) || !existsSync(dir)) continue
    const r = real(dir) ?? dir
    if (home !== "/" && within(r, home)) continue
    out.push(r.endsWith(`${sep}bin`) && depth(r) > 2 ? dirname(r) : r)
  }
  for (const extra of options.extra) if (isAbsolute(extra) && existsSync(extra)) out.push(extra)
  return [...new Set(out)]
}

/** The git metadata a worktree checkout points at (`.git` file → admin dir and common dir), if any. */
export const gitDirs = (workspace: string): { readonly admin: string; readonly common: string } | null => {
  try {
    const dotGit = join(workspace, ".git")
    if (!lstatSync(dotGit).isFile()) return null
    const text = readFileSync(dotGit, "utf8")
    const m = /^gitdir:\s*(.+)\s*$/m.exec(text)
    if (!m) return null
    const admin = resolve(workspace, m[1].trim())
    const commonFile = join(admin, "commondir")
    const common = existsSync(commonFile) ? resolve(admin, readFileSync(commonFile, "utf8").trim()) : admin
    return { admin, common }
  } catch {
    return null
  }
}
