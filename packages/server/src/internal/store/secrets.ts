/**
 * Encrypted secrets: one row per (organisation, owner, name) holding the key id, nonce, ciphertext
 * and GCM tag — never the plaintext. Sealing and opening use the keyring the store was built with.
 *
 * @internal
 */
import { Effect } from "effect"
import { type Keyring, open, type Sealed, seal } from "../../Secrets.js"
import { invalid, type ServerError } from "../../ServerError.js"
import { now, type Row, type StoreContext, str } from "./sql.js"

/** The secrets part of the store. */
export interface SecretStore {
  /** Succeeds when a secret can be sealed now (a current key is configured); else says how to configure one. */
  readonly canSealSecrets: Effect.Effect<void, ServerError>
  /** Seals and stores a secret under the current key (replacing an existing one of that name). */
  readonly putSecret: (orgId: string, owner: string, name: string, plaintext: string) => Effect.Effect<void, ServerError>
  /** Opens a secret; `null` when there is none. Fails (Invalid, naming the key) when it cannot be opened. */
  readonly getSecret: (orgId: string, owner: string, name: string) => Effect.Effect<string | null, ServerError>
  /** The names of an owner's secrets (never their values). */
  readonly secretNames: (orgId: string, owner: string) => Effect.Effect<ReadonlyArray<string>, ServerError>
  readonly deleteSecret: (orgId: string, owner: string, name: string) => Effect.Effect<void, ServerError>
  /** How many secrets each key id seals (for the start-up check). */
  readonly secretInventory: Effect.Effect<ReadonlyArray<{ readonly keyId: string; readonly count: number }>, ServerError>
  /** Re-encrypts every secret not sealed by the current key; returns how many. */
  readonly rotateSecrets: Effect.Effect<number, ServerError>
}

const aadOf = (orgId: string, owner: string, name: string) => `ratchet-secret:v1\0${orgId}\0${owner}\0${name}`

const bytes = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : typeof v === "string" ? new Uint8Array(Buffer.from(v.replace(/^\\x/, ""), "hex")) : new Uint8Array())

const sealedOf = (r: Row): Sealed => ({ keyId: str(r, "key_id"), iv: bytes(r.iv), ciphertext: bytes(r.ciphertext), tag: bytes(r.tag) })

/** The secret store on a context. */
export const make = ({ sql, q }: StoreContext, keyring: Keyring): SecretStore => {
  const currentKey = Effect.gen(function* () {
    if (keyring.problem !== null) return yield* Effect.fail(invalid("RATCHET_SECRET_KEY", keyring.problem))
    if (keyring.current === null) {
      return yield* Effect.fail(invalid("RATCHET_SECRET_KEY", "secrets are stored encrypted and this server has no key: start it with RATCHET_SECRET_KEY set (make one with: openssl rand -base64 32)"))
    }
    return keyring.current
  })

  const putSecret = (orgId: string, owner: string, name: string, plaintext: string) =>
    Effect.gen(function* () {
      const key = yield* currentKey
      const sealed = seal(key, plaintext, aadOf(orgId, owner, name))
      const at = yield* now
      yield* q("storing a secret", sql`INSERT INTO secrets (org_id, owner, name, key_id, iv, ciphertext, tag, created_at, updated_at)
        VALUES (${orgId}, ${owner}, ${name}, ${sealed.keyId}, ${sealed.iv}, ${sealed.ciphertext}, ${sealed.tag}, ${at}, ${at})
        ON CONFLICT (org_id, owner, name) DO UPDATE SET key_id = EXCLUDED.key_id, iv = EXCLUDED.iv, ciphertext = EXCLUDED.ciphertext, tag = EXCLUDED.tag, updated_at = EXCLUDED.updated_at`)
    })

  return {
    canSealSecrets: Effect.asVoid(currentKey),
    putSecret,
    getSecret: (orgId, owner, name) =>
      Effect.gen(function* () {
        const rows = yield* q("reading a secret", sql<Row>`SELECT * FROM secrets WHERE org_id = ${orgId} AND owner = ${owner} AND name = ${name}`)
        const r = rows[0]
        if (r === undefined) return null
        const opened = open(keyring, sealedOf(r), aadOf(orgId, owner, name))
        if (opened === "unknown-key") {
          return yield* Effect.fail(invalid("RATCHET_SECRET_KEY", `the secret ${owner}/${name} is sealed with key ${str(r, "key_id")}, which this server does not have; set RATCHET_SECRET_KEY (or RATCHET_SECRET_KEY_PREVIOUS) to that key`))
        }
        if (opened === "tampered") {
          return yield* Effect.fail(invalid("secret", `the secret ${owner}/${name} does not decrypt: it was altered or moved to another row; store it again`))
        }
        return opened
      }),
    secretNames: (orgId, owner) =>
      q("listing secrets", sql<Row>`SELECT name FROM secrets WHERE org_id = ${orgId} AND owner = ${owner} ORDER BY name`).pipe(Effect.map((rows) => rows.map((r) => str(r, "name")))),
    deleteSecret: (orgId, owner, name) => q("deleting a secret", sql`DELETE FROM secrets WHERE org_id = ${orgId} AND owner = ${owner} AND name = ${name}`).pipe(Effect.asVoid),
    secretInventory: q("counting secrets", sql<Row>`SELECT key_id, count(*) AS n FROM secrets GROUP BY key_id ORDER BY key_id`).pipe(
      Effect.map((rows) => rows.map((r) => ({ keyId: str(r, "key_id"), count: Number(r.n) })))
    ),
    rotateSecrets: Effect.gen(function* () {
      const key = yield* currentKey
      return yield* q(
        "re-encrypting secrets",
        sql.withTransaction(
          Effect.gen(function* () {
            const rows = yield* sql<Row>`SELECT * FROM secrets WHERE key_id <> ${key.id} FOR UPDATE`
            const at = yield* now
            for (const r of rows) {
              const orgId = str(r, "org_id")
              const owner = str(r, "owner")
              const name = str(r, "name")
              const opened = open(keyring, sealedOf(r), aadOf(orgId, owner, name))
              if (opened === "unknown-key" || opened === "tampered") {
                return yield* Effect.fail(
                  invalid("RATCHET_SECRET_KEY_PREVIOUS", `cannot re-encrypt ${owner}/${name}: it is sealed with key ${str(r, "key_id")} (${opened === "tampered" ? "and does not decrypt" : "not configured"}); nothing was changed`)
                )
              }
              const sealed = seal(key, opened, aadOf(orgId, owner, name))
              yield* sql`UPDATE secrets SET key_id = ${sealed.keyId}, iv = ${sealed.iv}, ciphertext = ${sealed.ciphertext}, tag = ${sealed.tag}, updated_at = ${at}
                WHERE org_id = ${orgId} AND owner = ${owner} AND name = ${name}`
            }
            return rows.length
          })
        )
      )
    })
  }
}
