/**
 * A guarded, caching file reader for detection: never leaves the root, never reads
 * non-regular files (FIFOs, devices), caps sizes, skips binary junk, and turns every
 * problem into a warning instead of a failure.
 */
import * as fs from "node:fs"
import * as path from "node:path"

/** Default cap for text files (package.json, lockfile headers, .npmrc, ...). */
export const MAX_TEXT_BYTES = 4 * 1024 * 1024
/** Cap for YAML files (workflows, actions, pnpm-workspace.yaml). */
export const MAX_YAML_BYTES = 2 * 1024 * 1024

export interface ReadOptions {
  readonly maxBytes?: number
  /** Only read the first `headBytes` bytes (for lockfile sniffing); never warns about size. */
  readonly headBytes?: number
  /** Do not warn when missing. Default true. */
  readonly quietMissing?: boolean
}

const toPosix = (p: string): string => p.split(path.sep).join("/")

export class RepoReader {
  readonly warnings: Array<string> = []
  private readonly warned = new Set<string>()
  private readonly cache = new Map<string, string | null>()
  private readonly dirCache = new Map<string, ReadonlyArray<fs.Dirent> | null>()
  private readonly realCache = new Map<string, string | null>()

  readonly root: string
  constructor(root: string) {
    this.root = root
  }

  warn(message: string): void {
    if (this.warned.has(message)) return
    this.warned.add(message)
    this.warnings.push(message)
  }

  /** Normalises a relative path; `null` when it escapes the root lexically. */
  normalize(rel: string): string | null {
    const n = path.posix.normalize(rel.replace(/\\/g, "/")).replace(/^(\.\/)+/, "").replace(/\/$/, "")
    if (n === "." || n === "") return "."
    if (n.startsWith("../") || n === ".." || path.posix.isAbsolute(n)) return null
    return n
  }

  private abs(rel: string): string {
    return rel === "." ? this.root : path.join(this.root, rel)
  }

  /** The real path of `rel` if it stays inside the root; `null` (with a warning for escaping links) otherwise. */
  private inside(rel: string): string | null {
    const cached = this.realCache.get(rel)
    if (cached !== undefined) return cached
    let result: string | null = null
    const abs = this.abs(rel)
    try {
      const real = fs.realpathSync(abs)
      if (real === this.root || real.startsWith(this.root + path.sep)) result = real
      else this.warn(`${rel}: symlink points outside the repository (${real}); skipped`)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === "ELOOP") this.warn(`${rel}: symlink loop; skipped`)
      result = null
    }
    this.realCache.set(rel, result)
    return result
  }

  private statFile(rel: string, quietMissing: boolean): { real: string; size: number } | null {
    const real = this.inside(rel)
    if (real === null) return null
    let st: fs.Stats
    try {
      st = fs.statSync(real)
    } catch (error) {
      if (!quietMissing) this.warn(`${rel}: cannot stat (${(error as NodeJS.ErrnoException).code ?? "error"}); skipped`)
      return null
    }
    if (!st.isFile()) {
      if (!st.isDirectory()) this.warn(`${rel}: not a regular file; skipped`)
      else this.warn(`${rel}: expected a file but found a directory; skipped`)
      return null
    }
    return { real, size: st.size }
  }

  exists(rel: string): boolean {
    const n = this.normalize(rel)
    if (n === null) return false
    const real = this.inside(n)
    if (real === null) return false
    try {
      return fs.statSync(real).isFile()
    } catch {
      return false
    }
  }

  isDir(rel: string): boolean {
    const n = this.normalize(rel)
    if (n === null) return false
    const real = this.inside(n)
    if (real === null) return false
    try {
      return fs.statSync(real).isDirectory()
    } catch {
      return false
    }
  }

  /** Reads a text file relative to the root, or `null` (with a warning when something is wrong). */
  read(rel: string, options: ReadOptions = {}): string | null {
    const n = this.normalize(rel)
    if (n === null || n === ".") return null
    const key = options.headBytes ? `${n}\0head${options.headBytes}` : n
    const cached = this.cache.get(key)
    if (cached !== undefined) return cached
    const result = this.readUncached(n, options)
    this.cache.set(key, result)
    return result
  }

  private readUncached(rel: string, options: ReadOptions): string | null {
    const st = this.statFile(rel, options.quietMissing ?? true)
    if (st === null) return null
    const max = options.maxBytes ?? MAX_TEXT_BYTES
    let buffer: Buffer
    try {
      if (options.headBytes !== undefined) {
        const fd = fs.openSync(st.real, "r")
        try {
          const want = Math.min(options.headBytes, st.size)
          buffer = Buffer.alloc(want)
          const got = fs.readSync(fd, buffer, 0, want, 0)
          buffer = buffer.subarray(0, got)
        } finally {
          fs.closeSync(fd)
        }
      } else {
        if (st.size > max) {
          this.warn(`${rel}: ${formatBytes(st.size)} is over the ${formatBytes(max)} limit; skipped`)
          return null
        }
        buffer = fs.readFileSync(st.real)
      }
    } catch (error) {
      this.warn(`${rel}: unreadable (${(error as NodeJS.ErrnoException).code ?? String(error)}); skipped`)
      return null
    }
    const probe = buffer.subarray(0, 8192)
    if (probe.includes(0)) {
      if (options.headBytes === undefined) this.warn(`${rel}: binary content, not text; skipped`)
      return null
    }
    const text = buffer.toString("utf8")
    if (options.headBytes === undefined && text.includes("\uFFFD") && countReplacement(text) > 8) {
      this.warn(`${rel}: not valid UTF-8 text; skipped`)
      return null
    }
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  }

  /** Lists a directory (entries that are links are resolved lazily by callers through `isDir`/`exists`). */
  list(rel: string): ReadonlyArray<fs.Dirent> {
    const n = this.normalize(rel)
    if (n === null) return []
    const cached = this.dirCache.get(n)
    if (cached !== undefined) return cached ?? []
    let result: ReadonlyArray<fs.Dirent> | null = null
    const real = n === "." ? this.root : this.inside(n)
    if (real !== null) {
      try {
        result = fs.readdirSync(real, { withFileTypes: true })
      } catch {
        result = null
      }
    }
    this.dirCache.set(n, result)
    return result ?? []
  }

  /** Names of subdirectories of `rel`, following symlinks only when they stay inside the root. */
  subdirs(rel: string): Array<string> {
    const out: Array<string> = []
    for (const entry of this.list(rel)) {
      const child = rel === "." ? entry.name : `${rel}/${entry.name}`
      if (entry.isDirectory()) out.push(entry.name)
      else if (entry.isSymbolicLink() && this.isDir(child)) out.push(entry.name)
    }
    return out
  }

  join(dir: string, name: string): string {
    return dir === "." ? name : toPosix(path.posix.join(dir, name))
  }
}

const countReplacement = (text: string): number => {
  let count = 0
  for (let i = text.indexOf("\uFFFD"); i !== -1 && count < 10; i = text.indexOf("\uFFFD", i + 1)) count++
  return count
}

export const formatBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${bytes} B`

/** 1-based line number of a character offset. */
export const lineAt = (text: string, offset: number): number => {
  let line = 1
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++
  return line
}
