/**
 * The on-disk scan cache: one JSON index per repository, keyed by file path, holding each file's
 * size, mtime, content hash and result. A file whose size and mtime are unchanged is not read
 * again; a file whose content hash is unchanged is not parsed again. The index is only valid
 * for the engine and rule set fingerprint it was written with.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { FileResult } from "./runFile.js"

export const CACHE_FORMAT = 2

export interface CacheEntry {
  readonly size: number
  readonly mtimeMs: number
  readonly hash: string
  /** The scan result, or why the file was skipped. */
  readonly result?: FileResult
  readonly skip?: string
}

export interface CacheIndex {
  readonly format: number
  readonly fingerprint: string
  readonly files: Record<string, CacheEntry>
}

export const CACHE_FILE = "index.json"

/**
 * The index this process last read or wrote, per cache directory, with the identity of the index file
 * (size, mtime, inode) at that moment: a running process (the server, an embedder, a benchmark) then
 * skips re-reading and re-parsing an index file that nobody changed since.
 */
interface Remembered {
  readonly ino: number
  readonly size: number
  readonly mtimeNs: bigint
  readonly fingerprint: string
  readonly files: ReadonlyMap<string, CacheEntry>
}
const remembered = new Map<string, Remembered>()

const identity = (file: string): { ino: number; size: number; mtimeNs: bigint } | null => {
  const s = statSync(file, { bigint: true, throwIfNoEntry: false })
  return s === undefined ? null : { ino: Number(s.ino), size: Number(s.size), mtimeNs: s.mtimeNs }
}

/** Loads the index; a missing, corrupt or stale one yields an empty index (and a warning when corrupt). */
export const loadCache = (dir: string, fingerprint: string, warnings: Array<string>): Map<string, CacheEntry> => {
  const file = join(dir, CACHE_FILE)
  let raw: string
  let id: ReturnType<typeof identity>
  try {
    id = identity(file)
    if (id === null) return new Map()
    const known = remembered.get(dir)
    if (known !== undefined && known.ino === id.ino && known.size === id.size && known.mtimeNs === id.mtimeNs)
      return known.fingerprint === fingerprint ? new Map(known.files) : new Map()
    raw = readFileSync(file, "utf8")
  } catch {
    return new Map()
  }
  try {
    const index = JSON.parse(raw) as CacheIndex
    if (index?.format !== CACHE_FORMAT || typeof index.fingerprint !== "string" || typeof index.files !== "object" || index.files === null)
      return new Map()
    const files = new Map(Object.entries(index.files))
    // remembered only when the file did not change while it was read
    const after = identity(file)
    if (after !== null && after.ino === id.ino && after.size === id.size && after.mtimeNs === id.mtimeNs)
      remembered.set(dir, { ...id, fingerprint: index.fingerprint, files: new Map(files) })
    return index.fingerprint === fingerprint ? files : new Map()
  } catch {
    warnings.push(`scan cache ${file} is corrupt; rebuilding it`)
    return new Map()
  }
}

/**
 * Writes the index atomically (temp file + rename), so a concurrent reader never sees half a file. When
 * `files` holds exactly the entries `previous` (what {@link loadCache} returned) holds, the file on disk
 * already says the same and is not rewritten (a warm scan of an unchanged repository writes nothing).
 */
export const saveCache = (
  dir: string,
  fingerprint: string,
  files: Map<string, CacheEntry>,
  warnings: Array<string>,
  previous?: ReadonlyMap<string, CacheEntry>
): void => {
  if (previous !== undefined && previous.size === files.size && previous.size > 0 && [...files].every(([path, entry]) => previous.get(path) === entry)) return
  try {
    mkdirSync(dir, { recursive: true })
    const index: CacheIndex = { format: CACHE_FORMAT, fingerprint, files: Object.fromEntries(files) }
    const target = join(dir, CACHE_FILE)
    const tmp = join(dir, `${CACHE_FILE}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`)
    writeFileSync(tmp, JSON.stringify(index))
    const id = identity(tmp)
    renameSync(tmp, target)
    if (id !== null) remembered.set(dir, { ...id, fingerprint, files: new Map(files) })
    else remembered.delete(dir)
  } catch (cause) {
    remembered.delete(dir)
    warnings.push(`cannot write the scan cache under ${dir}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`)
  }
}
