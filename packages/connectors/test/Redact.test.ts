import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { ConnectorError, Redact } from "../src/index.js"

const gh = `ghp_${"Zq8xW3vN7k".repeat(4)}`

describe("Redact", () => {
  it("removes given secrets, raw, URL-encoded and base64", () => {
    const secret = "p@ss/w0rd+é"
    const text = `raw ${secret} url https://h/x?q=${encodeURIComponent(secret)} b64 ${Buffer.from(secret).toString("base64")}`
    const out = Redact.redact(text, [secret])
    expect(out).not.toContain(secret)
    expect(out).not.toContain(encodeURIComponent(secret))
    expect(out).not.toContain(Buffer.from(secret).toString("base64"))
    expect(out.match(/\[REDACTED\]/g)).toHaveLength(3)
    expect(Redact.redact("nothing here", ["", "absent"])).toBe("nothing here")
  })

  it("removes known token formats without being told about them", () => {
    const tokens = [
      gh,
      `github_pat_${"11ABCDEFG0".repeat(4)}`,
      `glpat-${"abcdEFGH12".repeat(2)}`,
      `npm_${"a1B2c3D4e5F6".repeat(3)}`,
      "AKIAIOSFODNN7EXAMPLE",
      `xoxb-${"1234567890"}-abcdefABCDEF`,
      `sk-ant-api03-${"x9Y8z7W6v5".repeat(3)}`,
      `sk-proj-${"Ab3dEf6hIj".repeat(3)}`,
      `AIza${"SyD1234567".repeat(3)}abcde`,
      `sk_live_${"4eC39HqLyjWDarjt".repeat(1)}`,
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlLXZhbHVl"
    ]
    for (const token of tokens) {
      const out = Redact.redact(`error: token ${token} rejected`)
      expect(out, token).not.toContain(token)
      expect(out).toContain("[REDACTED]")
    }
    const key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
    expect(Redact.redact(`k=${key} done`)).toBe("k=[REDACTED] done")
  })

  it("removes URL credentials, Authorization headers and token= values", () => {
    expect(Redact.redact("fatal: unable to access 'https://x-access-token:abc123def@github.com/o/r.git/'")).toBe(
      "fatal: unable to access 'https://[REDACTED]@github.com/o/r.git/'"
    )
    expect(Redact.redact("https://plainsecret@host/repo")).toBe("https://[REDACTED]@host/repo")
    expect(Redact.redact("Authorization: Bearer abc.def.ghi")).toBe("Authorization: Bearer [REDACTED]")
    expect(Redact.redact('{"authorization":"token s3cr3t"}')).toBe('{"authorization":"token [REDACTED]"}')
    expect(Redact.redact("GET /x?access_token=abc&y=1")).toBe("GET /x?access_token=[REDACTED]&y=1")
    // ordinary text is left alone
    const plain = "git push failed (refs/heads/ratchet/p-1): non-fast-forward at 1a2b3c4"
    expect(Redact.redact(plain)).toBe(plain)
  })

  it("removes values of secret-named variables as tests and env dumps print them (#12 item 9)", () => {
    expect(Redact.redact("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")).toBe("AWS_SECRET_ACCESS_KEY=[REDACTED]")
    expect(Redact.redact("  DB_PASSWORD: hunter22")).toBe("  DB_PASSWORD: [REDACTED]")
    expect(Redact.redact('{"STRIPE_TOKEN": "abcd1234"}')).toBe('{"STRIPE_TOKEN": "[REDACTED]"}')
    expect(Redact.redact("GITHUB_TOKEN='not-a-known-format'")).toBe("GITHUB_TOKEN='[REDACTED]'")
    // names that only look alike, and short values, are left alone
    expect(Redact.redact("PUBLIC_KEY_COUNT=3 TOKEN_TYPE=ab")).toBe("PUBLIC_KEY_COUNT=3 TOKEN_TYPE=ab")
  })

  it("never leaks an arbitrary secret embedded anywhere (property)", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 }), (secret, pre, post) => {
        const out = Redact.redact(`${pre}${secret}${post}`, [secret])
        // the secret can only survive if the surrounding text and the mask themselves spell it out
        if (!`${pre}${post}${Redact.MASK}`.includes(secret) && !Redact.MASK.includes(secret)) expect(out).not.toContain(secret)
      }),
      { numRuns: 300 }
    )
  })

  it("is fast on hostile input", () => {
    const hostile = `${"https://".repeat(5000)}${"a".repeat(50_000)}${"-----BEGIN PRIVATE KEY-----".repeat(200)}${"ghp_".repeat(10_000)}`
    const started = performance.now()
    Redact.redact(hostile, ["x".repeat(100)])
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it("connector errors redact on construction", () => {
    const e = ConnectorError.gitFailed({ operation: "push", where: `https://u:${gh}@github.com/o/r`, detail: `remote said ${gh}` })
    expect(e.message).not.toContain(gh)
    const custom = ConnectorError.redactWith(ConnectorError.invalidRequest({ what: "bad thing hunter2", where: "w hunter2", fix: "x" }), Redact.redactor(["hunter2"]))
    expect(custom.message).not.toContain("hunter2")
    expect(custom.reason._tag).toBe("InvalidRequest")
  })

  it("keeps a wrapped error as the cause, redacted like every text field", () => {
    const thrown = new TypeError(`request failed: Authorization: token ${gh}`)
    const error = ConnectorError.remoteFailed({ operation: "GitHub git.createRef", status: null, detail: "network down", cause: thrown })
    expect(error.cause).toBeInstanceOf(Error)
    expect((error.cause as Error).name).toBe("TypeError")
    expect((error.cause as Error).message).toContain("request failed")
    expect((error.cause as Error).message).not.toContain(gh)
    expect((error.cause as Error).stack ?? "").not.toContain(gh)
    const withSecret = ConnectorError.redactWith(
      ConnectorError.gitFailed({ operation: "push", where: "origin", detail: "denied", cause: new Error("password hunter2 rejected") }),
      (text) => text.replaceAll("hunter2", "[REDACTED]")
    )
    expect((withSecret.cause as Error).message).toBe("password [REDACTED] rejected")
  })
})
