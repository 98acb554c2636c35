/**
 * Secrets at rest: connector credentials (a personal access token, a GitHub App's private key, a
 * webhook secret) and provider API keys are stored encrypted with AES-256-GCM (`node:crypto`), under
 * a key from `RATCHET_SECRET_KEY` (32 bytes, base64 or hex; `openssl rand -base64 32` makes one).
 *
 * - Each secret carries the id of the key that sealed it (its key version: a fingerprint of the key,
 *   never the key) and is bound to its row (organisation, owner, name) as GCM additional data, so a
 *   ciphertext copied to another row does not open.
 * - Rotation: set the new key as `RATCHET_SECRET_KEY` and the old one in
 *   `RATCHET_SECRET_KEY_PREVIOUS` (comma-separated for several); on start the server re-encrypts every
 *   secret sealed by a previous key under the new one, then the old key can be dropped.
 * - The server refuses to start (exit 2, saying which key is missing) when encrypted secrets exist
 *   and the key that opens them is not configured, or when a configured key is malformed.
 *
 * @example
 * ```ts
 * import { Secrets } from "@ratchet/server"
 *
 * const keyring = Secrets.keyringFromEnv({ RATCHET_SECRET_KEY: "q3N0…=" })
 * const sealed = Secrets.seal(keyring.current!, "ghp_…", "org\0connector:c1\0token")
 * Secrets.open(keyring, sealed, "org\0connector:c1\0token") // "ghp_…"
 * ```
 *
 * @since 0.2.0
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto"
import { Context } from "effect"

/**
 * An encryption key and its id (a fingerprint, safe to store and show).
 *
 * @since 0.2.0
 */
export interface Key {
  readonly id: string
  readonly bytes: Uint8Array
}

/**
 * The keys the server knows: the current one (seals new secrets) and previous ones (open old
 * secrets until they are re-encrypted). `problem` says what is wrong with the configuration, if
 * anything (a malformed key); the server refuses to start with it.
 *
 * @since 0.2.0
 */
export interface Keyring {
  readonly current: Key | null
  readonly previous: ReadonlyArray<Key>
  readonly problem: string | null
}

/**
 * A sealed secret: the key id, the 12-byte nonce, the ciphertext and the 16-byte GCM tag.
 *
 * @since 0.2.0
 */
export interface Sealed {
  readonly keyId: string
  readonly iv: Uint8Array
  readonly ciphertext: Uint8Array
  readonly tag: Uint8Array
}

/**
 * The id of a key: `k` + the first 16 hex digits of a domain-separated SHA-256 of it.
 *
 * @since 0.2.0
 */
export const keyId = (bytes: Uint8Array): string => `k${createHash("sha256").update("ratchet secret key id\0").update(bytes).digest("hex").slice(0, 16)}`

/**
 * Reads a key written as base64 (44 characters) or hex (64): exactly 32 bytes, or the reason it is not.
 *
 * @since 0.2.0
 */
export const parseKey = (text: string, where: string): Key | string => {
  const t = text.trim()
  let bytes: Buffer | null = null
  if (/^[0-9a-fA-F]{64}$/.test(t)) bytes = Buffer.from(t, "hex")
  else if (/^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(t)) bytes = Buffer.from(t.replace(/-/g, "+").replace(/_/g, "/"), "base64")
  if (bytes === null || bytes.length !== 32) {
    return `${where} must be 32 random bytes written as base64 or hex (it is ${t.length} characters that ${bytes === null ? "are neither" : `decode to ${bytes.length} bytes`}); make one with: openssl rand -base64 32`
  }
  return { id: keyId(bytes), bytes: new Uint8Array(bytes) }
}

/**
 * The keyring of `RATCHET_SECRET_KEY` and `RATCHET_SECRET_KEY_PREVIOUS`.
 *
 * @since 0.2.0
 */
export const keyringFromEnv = (env: Readonly<Record<string, string | undefined>>): Keyring => {
  const problems: Array<string> = []
  const currentText = env.RATCHET_SECRET_KEY?.trim() ?? ""
  let current: Key | null = null
  if (currentText !== "") {
    const parsed = parseKey(currentText, "RATCHET_SECRET_KEY")
    if (typeof parsed === "string") problems.push(parsed)
    else current = parsed
  }
  const previous: Array<Key> = []
  for (const [i, part] of (env.RATCHET_SECRET_KEY_PREVIOUS ?? "").split(",").map((s) => s.trim()).filter(Boolean).entries()) {
    const parsed = parseKey(part, `RATCHET_SECRET_KEY_PREVIOUS (entry ${i + 1})`)
    if (typeof parsed === "string") problems.push(parsed)
    else if (parsed.id !== current?.id) previous.push(parsed)
  }
  return { current, previous, problem: problems.length === 0 ? null : problems.join("; ") }
}

/**
 * Seals `plaintext` under `key`, bound to `aad` (the row it belongs to).
 *
 * @since 0.2.0
 */
export const seal = (key: Key, plaintext: string, aad: string): Sealed => {
  const iv = randomBytes(12)
  const cipher = createCipheriv("aes-256-gcm", key.bytes, iv)
  cipher.setAAD(Buffer.from(aad, "utf8"))
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()])
  return { keyId: key.id, iv: new Uint8Array(iv), ciphertext: new Uint8Array(ciphertext), tag: new Uint8Array(cipher.getAuthTag()) }
}

/**
 * Opens a sealed secret with the keyring: the plaintext, `"unknown-key"` when no configured key has
 * its id, or `"tampered"` when the tag does not verify (wrong row, edited bytes).
 *
 * @since 0.2.0
 */
export const open = (keyring: Keyring, sealed: Sealed, aad: string): string | "unknown-key" | "tampered" => {
  const key = [keyring.current, ...keyring.previous].find((k) => k !== null && k.id === sealed.keyId)
  if (key === undefined || key === null) return "unknown-key"
  try {
    const decipher = createDecipheriv("aes-256-gcm", key.bytes, sealed.iv)
    decipher.setAAD(Buffer.from(aad, "utf8"))
    decipher.setAuthTag(sealed.tag)
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString("utf8")
  } catch {
    return "tampered"
  }
}

/**
 * The keyring the store seals and opens secrets with. Defaults to the process environment; the
 * server provides the one it checked at start.
 *
 * @since 0.2.0
 */
export class SecretKeyring extends Context.Reference<Keyring>("@ratchet/server/SecretKeyring", {
  defaultValue: () => keyringFromEnv(process.env)
}) {}
