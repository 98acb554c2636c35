/**
 * Secrets never leave: what a repository's own commands print (test output in stage errors,
 * attempt reasons, run logs) is scrubbed before it is stored or streamed. Known token formats,
 * credentials in URLs and headers, `SECRET=…`-style assignments (the connectors' `Redact`) and
 * the server's own secrets from its environment are replaced by `[REDACTED]`.
 *
 * @internal
 */
import { Redact } from "@ratchet/connectors"

/** Environment variables whose values are secrets of the server itself. */
const SECRET_ENV = ["GITHUB_TOKEN", "RATCHET_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "NPM_TOKEN"]

/** The server's own secrets: the values of {@link SECRET_ENV} and the password in `DATABASE_URL`. */
export const serverSecrets = (env: Record<string, string | undefined> = process.env): ReadonlyArray<string> => {
  const out = SECRET_ENV.map((k) => env[k]).filter((v): v is string => typeof v === "string" && v.length >= 8)
  try {
    const password = env.DATABASE_URL ? decodeURIComponent(new URL(env.DATABASE_URL).password) : ""
    if (password.length >= 4) out.push(password)
  } catch {
    // not a URL: nothing to add
  }
  return out
}

const redactText: Redact.Redactor = Redact.redactor(serverSecrets())

/** Scrubs one string. */
export const text = (value: string): string => redactText(value)

/** Scrubs every string inside a JSON-like value (keys are kept). */
export const json = <A>(value: A): A => {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redactText(v)
    if (Array.isArray(v)) return v.map(walk)
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
    return v
  }
  return walk(value) as A
}

/** Whether an artifact of this media type is a log or report whose text is scrubbed (diffs are not: they are what gets approved). */
export const isScrubbedMediaType = (mediaType: string): boolean =>
  (mediaType.startsWith("text/") && mediaType !== "text/x-diff" && mediaType !== "text/x-patch") || mediaType === "application/json"
