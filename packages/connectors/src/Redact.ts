/**
 * Secret redaction for everything the connectors log, store or put in an error: known secrets
 * (a PAT, an installation token) are replaced wherever they occur, raw or URL-encoded, and
 * known token formats (GitHub, GitLab, npm, Slack, AWS, OpenAI, Anthropic, Google, Stripe,
 * JWTs, private keys), credentials in URLs and `Authorization` headers are replaced by pattern,
 * so a token nobody told us about is still not shown.
 *
 * @example
 * ```ts
 * import { Redact } from "@ratchet/connectors"
 *
 * Redact.redact("push to https://x:ghp_abc…@github.com/o/r failed", ["s3cr3t-token"])
 * // "push to https://[REDACTED]@github.com/o/r failed"
 * ```
 *
 * @since 0.1.0
 */

/**
 * What replaces a secret.
 *
 * @since 0.1.0
 */
export const MASK = "[REDACTED]"

/**
 * A known token format.
 *
 * @since 0.1.0
 */
export interface Pattern {
  readonly kind: string
  readonly re: RegExp
}

/**
 * Known token formats. Every regexp is global and linear (no nested quantifiers), so hostile
 * input cannot make redaction slow.
 *
 * @since 0.1.0
 */
export const PATTERNS: ReadonlyArray<Pattern> = [
  { kind: "private key", re: /-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)/g },
  { kind: "GitHub token", re: /\bgh[pousr]_[A-Za-z0-9]{20,255}\b/g },
  { kind: "GitHub fine-grained token", re: /\bgithub_pat_[A-Za-z0-9_]{22,255}/g },
  { kind: "GitLab token", re: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { kind: "npm token", re: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: "AWS access key id", re: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b/g },
  { kind: "Slack token", re: /\bxox[abposre]-[A-Za-z0-9-]{10,}/g },
  { kind: "Anthropic API key", re: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  { kind: "OpenAI API key", re: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g },
  { kind: "Google API key", re: /\bAIza[0-9A-Za-z_-]{35}/g },
  { kind: "Google OAuth token", re: /\bya29\.[0-9A-Za-z_-]{20,}/g },
  { kind: "Stripe key", re: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { kind: "Hugging Face token", re: /\bhf_[A-Za-z0-9]{30,}\b/g },
  { kind: "JSON Web Token", re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g }
]

/** `scheme://user:password@` or `scheme://token@`: the whole user-info part goes. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]{1,20}:\/\/)[^\s/@"'`<>]{1,512}@/gi
/** `Authorization: Bearer …`, `authorization: token …`, `Basic …`. */
const AUTH_HEADER = /\b(authorization["']?\s*[:=]\s*["']?(?:bearer|token|basic)\s+)[^\s"',;]+/gi
/** `access_token=…`, `?token=…`, `password=…` in query strings and key=value logs. */
const KEY_VALUE = /\b((?:access_token|refresh_token|client_secret|token|password|passwd|api_key|apikey)=)[^\s&"',;]+/gi

/** `AWS_SECRET_ACCESS_KEY=…`, `DB_PASSWORD: …`, `"STRIPE_TOKEN": "…"`: secret-named variables as tests and env dumps print them. */
const SECRET_NAMED = /\b([A-Z][A-Z0-9_]{0,80}(?:SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE_KEY|ACCESS_KEY|CREDENTIALS?)[A-Z0-9_]{0,80}["']?\s{0,4}[:=]\s{0,4}["']?)[^\s"',;]{4,}/g

/**
 * Replaces known token formats, URL credentials, `Authorization` header values and
 * `token=`-style values and values of secret-named variables (`…_SECRET=`, `…_PASSWORD:`) by {@link MASK}.
 *
 * @since 0.1.0
 */
export const redactPatterns = (text: string): string => {
  let out = text
  for (const { re } of PATTERNS) out = out.replace(re, MASK)
  out = out.replace(URL_USERINFO, (_m, scheme: string) => `${scheme}${MASK}@`)
  out = out.replace(AUTH_HEADER, (_m, head: string) => `${head}${MASK}`)
  out = out.replace(KEY_VALUE, (_m, head: string) => `${head}${MASK}`)
  out = out.replace(SECRET_NAMED, (_m, head: string) => `${head}${MASK}`)
  return out
}

const variants = (secret: string): Array<string> => {
  const out = new Set<string>([secret])
  try {
    out.add(encodeURIComponent(secret))
  } catch {
    // a lone surrogate cannot be URL-encoded; the raw form is still redacted
  }
  out.add(Buffer.from(secret, "utf8").toString("base64"))
  return [...out]
}

/**
 * Redacts `secrets` (each exact value, its URL-encoded and its base64 forms) and then every
 * known pattern ({@link redactPatterns}). Empty secrets are ignored. Longest secrets first, so a
 * secret that contains another is removed whole.
 *
 * @since 0.1.0
 */
export const redact = (text: string, secrets: Iterable<string> = []): string => {
  let out = String(text)
  const all = [...new Set([...secrets].filter((s) => typeof s === "string" && s.length > 0).flatMap(variants))].sort(
    (a, b) => b.length - a.length
  )
  for (const secret of all) out = out.split(secret).join(MASK)
  return redactPatterns(out)
}

/**
 * A redactor bound to a fixed set of secrets.
 *
 * @since 0.1.0
 */
export type Redactor = (text: string) => string

/**
 * Makes a {@link Redactor} for `secrets`.
 *
 * @since 0.1.0
 */
export const redactor =
  (secrets: Iterable<string> = []): Redactor =>
  (text) =>
    redact(text, [...secrets])
