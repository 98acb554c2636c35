/**
 * The on-disk scan cache: one JSON index per repository, keyed by file path, holding each file's
 * size, mtime, content hash and result. A file whose size and mtime are unchanged is not read
 * again; a file whose content hash is unchanged is not parsed again. The index is only valid
 * for the engine and rule set fingerprint it was written with.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
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

/** Loads the index; a missing, corrupt or stale one yields an empty index (and a warning when corrupt). */
export const loadCache = (dir: string, fingerprint: string, warnings: Array<string>): Map<string, CacheEntry> => {
  let raw: string
  try {
    raw = readFileSync(join(dir, CACHE_FILE), "utf8")
  } catch {
    return new Map()
  }
  try {
    const index = JSON.parse(raw) as CacheIndex
    if (index?.format !== CACHE_FORMAT || index.fingerprint !== fingerprint || typeof index.files !== "object" || index.files === null)
      return new Map()
    return new Map(Object.entries(index.files))
  } catch {
    warnings.push(`scan cache ${join(dir, CACHE_FILE)} is corrupt; rebuilding it`)
    return new Map()
  }
}

/** Writes the index atomically (temp file + rename), so a concurrent reader never sees half a file. */
export const saveCache = (dir: string, fingerprint: string, files: Map<string, CacheEntry>, warnings: Array<string>): void => {
  try {
    mkdirSync(dir, { recursive: true })
    const index: CacheIndex = { format: CACHE_FORMAT, fingerprint, files: Object.fromEntries(files) }
    const tmp = join(dir, `${CACHE_FILE}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`)
    writeFileSync(tmp, JSON.stringify(index))
    renameSync(tmp, join(dir, CACHE_FILE))
  } catch (cause) {
    warnings.push(`cannot write the scan cache under ${dir}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`)
  }
}
