/**
 * Secret detection in added lines: known credential formats plus a Shannon-entropy check
 * tuned for a low false-positive rate (hex digests, UUIDs, SRI hashes, base64 of text,
 * identifiers and paths are not reported).
 *
 * @internal
 */

/** One detected secret; `masked` never shows more than its first four characters. */
export interface SecretHit {
  readonly kind: string
  readonly masked: string
  readonly length: number
}

interface Detector {
  readonly kind: string
  readonly re: RegExp
  /** Which capture group holds the secret (0 = whole match). */
  readonly group?: number
  readonly accept?: (secret: string) => boolean
}

const hasDigit = (s: string): boolean => /\d/.test(s)

const DETECTORS: ReadonlyArray<Detector> = [
  { kind: "private key", re: /-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----/g },
  { kind: "GitHub token", re: /\b(?:gh[pousr])_[A-Za-z0-9]{30,255}\b/g },
  { kind: "GitHub fine-grained token", re: /\bgithub_pat_[A-Za-z0-9_]{22,255}/g },
  { kind: "AWS access key id", re: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b/g },
  {
    kind: "AWS secret access key",
    re: /aws.{0,24}?(?:secret|key).{0,24}?[:=]\s*["'`]?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi,
    group: 1
  },
  { kind: "Slack token", re: /\bxox[abposre]-[A-Za-z0-9-]{10,}/g },
  { kind: "Slack app token", re: /\bxapp-\d-[A-Za-z0-9-]{10,}/g },
  { kind: "Slack webhook", re: /hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]{20,}/g },
  { kind: "Anthropic API key", re: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  {
    kind: "OpenAI API key",
    re: /\bsk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}/g,
    accept: (s) => hasDigit(s) && /[A-Z]/.test(s) && /[a-z]/.test(s.slice(3))
  },
  { kind: "Google API key", re: /\bAIza[0-9A-Za-z_-]{35}/g },
  { kind: "Google OAuth client secret", re: /\bGOCSPX-[A-Za-z0-9_-]{20,}/g },
  { kind: "Google OAuth token", re: /\bya29\.[0-9A-Za-z_-]{20,}/g },
  { kind: "JSON Web Token", re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { kind: "Stripe key", re: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/g },
  { kind: "npm token", re: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: "GitLab token", re: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { kind: "SendGrid key", re: /\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g },
  { kind: "Hugging Face token", re: /\bhf_[A-Za-z0-9]{30,}\b/g },
  {
    kind: "password in URL",
    re: /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:@/"'`]{1,64}:([^\s@/"'`]{6,128})@/gi,
    group: 1,
    accept: (s) => !isPlaceholder(s)
  }
]

const KEYWORD_ASSIGNMENT =
  /(?:api[_-]?key|apikey|secret|token|passw(?:or)?d|passwd|pwd|private[_-]?key|client[_-]?secret|credentials?|access[_-]?key|auth[_-]?key|signing[_-]?key)[\w-]*["'`]?\s*(?::|=|:=|=>)\s*["'`]([^"'`\s]{8,256})["'`]/gi

const PLACEHOLDER =
  /^(?:x+|\*+|\.+|-+|_+|0+|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|%[^%]*%|\$[A-Z_][A-Z0-9_]*|process\.env\..*|changeme|change[_-]?me|example.*|sample.*|your[_-].*|my[_-].*|placeholder.*|dummy.*|fake.*|test.*|secret|password|passwd|redacted|none|null|nil|undefined|todo|fixme|replace[_-]?me.*|insert[_-].*|enter[_-].*)$/i

const isPlaceholder = (s: string): boolean => PLACEHOLDER.test(s) || /^(.)\1+$/.test(s)

/** Shannon entropy in bits per character. */
export const entropy = (s: string): number => {
  const counts = new Map<string, number>()
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1)
  let h = 0
  for (const v of counts.values()) {
    const p = v / s.length
    h -= p * Math.log2(p)
  }
  return h
}

const HEX_LIKE = /^[0-9a-fA-F-]+$/
const UUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/
const PART = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+/g

/** Identifiers, paths and words glued together: long parts that read like words. */
const looksLikeIdentifier = (token: string): boolean => {
  const parts = token.match(PART) ?? []
  if (parts.length === 0) return true
  const letters = parts.filter((p) => !/^\d/.test(p))
  const avg = parts.reduce((n, p) => n + p.length, 0) / parts.length
  const noVowel = letters.filter((p) => p.length >= 3 && !/[aeiouyAEIOUY]/.test(p)).length
  return avg >= 4 && noVowel <= Math.max(1, Math.floor(letters.length / 6))
}

/** `true` when the token is base64 of mostly printable text. */
const isBase64OfText = (token: string): boolean => {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token) || token.length % 4 !== 0) return false
  let decoded: string
  try {
    decoded = atob(token)
  } catch {
    return false
  }
  let printable = 0
  for (let i = 0; i < decoded.length; i++) {
    const c = decoded.charCodeAt(i)
    if ((c >= 0x20 && c < 0x7f) || c === 9 || c === 10 || c === 13) printable++
  }
  return printable / decoded.length >= 0.95
}

/** Many neighbouring characters in sequence (`abcdef`, `012345`). */
const isSequential = (token: string): boolean => {
  let seq = 0
  for (let i = 1; i < token.length; i++) if (token.charCodeAt(i) - token.charCodeAt(i - 1) === 1) seq++
  return seq / (token.length - 1) > 0.5
}

const classes = (s: string): number =>
  (/[a-z]/.test(s) ? 1 : 0) + (/[A-Z]/.test(s) ? 1 : 0) + (/\d/.test(s) ? 1 : 0) + (/[+/_=-]/.test(s) ? 1 : 0)

/** Entropy a random token of this length reaches with high probability (≈ 1st percentile for base62). */
const threshold = (length: number): number => Math.min(4.6, 0.82 * Math.log2(length))

const CANDIDATE = /[A-Za-z0-9+/_=-]{20,}/g

/** Whether a free-standing token is a likely random secret. */
export const isHighEntropySecret = (raw: string, before: string): boolean => {
  const token = raw.replace(/=+$/, "")
  if (token.length < 20 || token.length > 1024) return false
  if (/base64,\s*$/.test(before)) return false // data: URI payload
  if (/^sha(?:1|224|256|384|512)-/i.test(token)) return false // SRI integrity
  if (HEX_LIKE.test(token) || UUID.test(token)) return false
  const letters = /[A-Za-z]/.test(token)
  const digits = (token.match(/\d/g) ?? []).length
  if (!letters || digits === 0) return false
  const n = classes(token)
  const mixedCase = /[a-z]/.test(token) && /[A-Z]/.test(token)
  if (!mixedCase && (token.length < 32 || digits / token.length < 0.15)) return false
  if (n < 3 && mixedCase) return false
  if (isSequential(token)) return false
  if (entropy(token) < threshold(token.length)) return false
  // Split on separators: a path or a dashed/underscored name of words is not a secret.
  const segments = token.split(/[/_\-+=.]+/).filter((s) => s.length > 0)
  if (segments.every((s) => s.length < 16 || looksLikeIdentifier(s)) && segments.length > 1) {
    if (segments.every((s) => looksLikeIdentifier(s) || s.length < 6)) return false
  }
  if (looksLikeIdentifier(token)) return false
  if (isBase64OfText(raw)) return false
  return true
}

/** Masks a secret: at most its first four characters, then its length. */
export const mask = (secret: string): string => `${secret.slice(0, Math.min(4, Math.floor(secret.length / 4)))}…`

/** Scans one added line. `entropyCheck` off for lockfiles (already blocked, full of hashes). */
export const scanLine = (text: string, entropyCheck: boolean): Array<SecretHit> => {
  const hits: Array<SecretHit> = []
  const seen = new Set<string>()
  const add = (kind: string, secret: string): void => {
    if (seen.has(secret)) return
    seen.add(secret)
    hits.push({ kind, masked: kind === "private key" ? "-----BEGIN … PRIVATE KEY-----" : mask(secret), length: secret.length })
  }
  for (const d of DETECTORS) {
    d.re.lastIndex = 0
    for (let m = d.re.exec(text); m !== null; m = d.re.exec(text)) {
      const secret = m[d.group ?? 0]
      if (secret !== undefined && (d.accept === undefined || d.accept(secret))) add(d.kind, secret)
      if (m[0].length === 0) d.re.lastIndex++
    }
  }
  // a known token format split into concatenated literals ("AKIA" + "IOSF…") is still that token
  const joined = text.replace(/(["'`])\s*\+\s*\1/g, "")
  if (joined !== text) {
    for (const hit of scanLine(joined, false)) {
      if (!hits.some((h) => h.masked === hit.masked && h.kind === hit.kind)) hits.push(hit)
    }
  }
  if (!entropyCheck) return hits
  KEYWORD_ASSIGNMENT.lastIndex = 0
  for (let m = KEYWORD_ASSIGNMENT.exec(text); m !== null; m = KEYWORD_ASSIGNMENT.exec(text)) {
    const value = m[1]
    if (isPlaceholder(value) || UUID.test(value) || /^\$|^process\.|^env\./.test(value)) continue
    // URLs without credentials (those are caught above) and paths are references, not secrets.
    if (/^[a-z][a-z0-9+.-]*:\/\/[^@]*$/i.test(value) || /^\.{0,2}\//.test(value)) continue
    if ([...seen].some((s) => value.includes(s) || s.includes(value))) continue
    if (/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(value) && looksLikeIdentifier(value)) continue
    // Plain words, names and paths made of words: a reference to a secret, not a secret.
    if (value.split(/[/_.:-]+/).every((seg) => seg === "" || (/^[A-Za-z]+\d{0,3}$/.test(seg) && (seg.length < 4 || /[aeiouy]/i.test(seg)))))
      continue
    if (entropy(value) >= 3.0 && /[A-Za-z]/.test(value) && (/\d/.test(value) || /[^A-Za-z]/.test(value) || value.length >= 16)) add("hard-coded credential", value)
  }
  CANDIDATE.lastIndex = 0
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    const token = m[0]
    if ([...seen].some((s) => token.includes(s) || s.includes(token))) continue
    if (isHighEntropySecret(token, text.slice(Math.max(0, m.index - 10), m.index))) add("high-entropy string", token)
  }
  return hits
}
