// Seeded variants (TypeScript, functions and a class): constant JSON payloads serialised on demand.
const EMPTY_PAGE = { items: [], total: 0, cursor: null }

export function emptyPage(): string {
  return JSON.stringify(EMPTY_PAGE) // expect: json-hoist
}

const HEADERS = { "Content-Type": "application/json", "Cache-Control": "no-store" }

export function frames(ids: ReadonlyArray<number>): Array<string> {
  const out: Array<string> = []
  for (const id of ids) out.push(`${id}:${JSON.stringify(HEADERS)}`) // expect: json-hoist
  return out
}

export function ndjson(rows: ReadonlyArray<Record<string, unknown> | null>): string {
  const placeholder = { skipped: true, reason: "null row" }
  const lines: Array<string> = []
  for (const row of rows) lines.push(row === null ? JSON.stringify(placeholder) : JSON.stringify(row)) // expect: json-hoist
  return lines.join("\n")
}

const MANIFEST = { name: "app", version: "1.0.0", private: true, files: ["dist", "README.md"] }

export class ManifestWriter {
  private readonly written: Array<string> = []

  write(): string {
    const text = JSON.stringify(MANIFEST, null, 2) // expect: json-hoist
    this.written.push(text)
    return text
  }

  version(): string {
    return MANIFEST.version
  }
}

interface RetryOptions {
  retries: number
  backoff: "linear" | "exponential"
}

const DEFAULT_RETRY: RetryOptions = { retries: 3, backoff: "exponential" }

export function retryKey(): string {
  return JSON.stringify(DEFAULT_RETRY) // expect: json-hoist
}

const LEVELS = ["debug", "info", "warn", "error"] as const

export const levelsJson = (): string => JSON.stringify(LEVELS) // expect: json-hoist

const COUNTERS = { hits: 0, misses: 0 }

export function hit(): string {
  COUNTERS.hits++
  // `COUNTERS` is mutated above: its JSON changes from one call to the next
  return JSON.stringify(COUNTERS) // unsafe: json-hoist
}
