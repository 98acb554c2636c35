/**
 * Session and CSRF plumbing of the dashboard, on Hono's cookie helpers.
 *
 * - The session cookie holds 32 random bytes; the server keeps only their sha256, with the API
 *   token the session was opened with and an expiry. It is `HttpOnly`, `SameSite=Strict`, limited
 *   to the dashboard's path, and `Secure` when the request came over HTTPS.
 * - Every form carries the session's CSRF token (a synchronizer token, compared in constant time)
 *   and Hono's `csrf` middleware also refuses cross-origin form posts. The sign-in form, which has
 *   no session yet, uses a double-submit cookie instead.
 *
 * @internal
 */
import * as Crypto from "node:crypto"
import type { Context } from "hono"
import { deleteCookie, getCookie, setCookie } from "hono/cookie"
import { BASE } from "./ui.js"

/** The session cookie's name. */
export const SESSION_COOKIE = "ratchet_session"
/** The sign-in form's double-submit cookie. */
export const LOGIN_COOKIE = "ratchet_login"

const secure = (c: Context): boolean =>
  new URL(c.req.url).protocol === "https:" || (c.req.header("x-forwarded-proto") ?? "").split(",")[0]?.trim() === "https"

const options = (c: Context, maxAgeSeconds?: number) => ({
  path: BASE,
  httpOnly: true,
  sameSite: "Strict" as const,
  secure: secure(c),
  ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds })
})

/** The session cookie's value, if any (bounded, so junk is not hashed at length). */
export const readSessionCookie = (c: Context): string | null => {
  const v = getCookie(c, SESSION_COOKIE)
  return v !== undefined && /^[A-Za-z0-9_-]{20,100}$/.test(v) ? v : null
}

/** Sets the session cookie. */
export const writeSessionCookie = (c: Context, value: string, ttlMs: number): void =>
  setCookie(c, SESSION_COOKIE, value, options(c, Math.floor(ttlMs / 1000)))

/** Clears the session cookie. */
export const clearSessionCookie = (c: Context): void => {
  deleteCookie(c, SESSION_COOKIE, options(c))
}

/** The sign-in form's token: the one in its cookie, or a fresh one set now. */
export const loginToken = (c: Context): string => {
  const existing = getCookie(c, LOGIN_COOKIE)
  if (existing !== undefined && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing
  const token = Crypto.randomBytes(32).toString("base64url")
  setCookie(c, LOGIN_COOKIE, token, options(c, 3600))
  return token
}

/** Whether a submitted CSRF token matches the expected one (constant time; empty never matches). */
export const tokensMatch = (submitted: unknown, expected: string | undefined | null): boolean => {
  if (typeof submitted !== "string" || submitted.length === 0 || expected === undefined || expected === null || expected.length === 0) return false
  const a = Crypto.createHash("sha256").update(submitted).digest()
  const b = Crypto.createHash("sha256").update(expected).digest()
  return Crypto.timingSafeEqual(a, b)
}

/** The login form's double-submit check: the field equals the cookie. */
export const loginTokenValid = (c: Context, submitted: unknown): boolean => tokensMatch(submitted, getCookie(c, LOGIN_COOKIE))

/** A safe place to return to after signing in: a dashboard path, never another site. */
export const safeNext = (next: unknown): string =>
  typeof next === "string" && next.startsWith(`${BASE}/`) && !next.startsWith("//") && !/[\\\r\n]/.test(next) && !next.startsWith(`${BASE}/login`) ? next : `${BASE}/`
