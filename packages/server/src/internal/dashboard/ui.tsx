/** @jsxImportSource hono/jsx */
/**
 * The dashboard's page shell and small shared pieces (status pills, times, durations, flash
 * messages, the CSRF field). Pages are plain server-rendered HTML; no inline script or style.
 *
 * @internal
 */
import type { Child, PropsWithChildren } from "hono/jsx"
import type { Scope } from "../../Tenants.js"
import { getAssets } from "./assets.js"

/** Where the dashboard is mounted. */
export const BASE = "/dashboard"

/** A dashboard URL. */
export const href = (path: string, query?: Readonly<Record<string, string | undefined>>): string => {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== "") params.set(k, v)
  const qs = params.toString()
  return `${BASE}${path}${qs === "" ? "" : `?${qs}`}`
}

/** Who is signed in, for the header and the forms. */
export interface Viewer {
  readonly tokenName: string
  /** What the session's token may do: pages offer only those actions. */
  readonly scopes: ReadonlyArray<Scope>
  readonly csrf: string
  readonly pending: number
}

/** The top-level sections, for the navigation. */
export type Section = "overview" | "proposals" | "runs" | "repos" | "usage"

/** The Ratchet mark. */
export const Logo = () => (
  <svg width="26" height="26" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
    <circle cx="16" cy="16" r="14" fill="none" stroke="currentColor" stroke-width="3" />
    <path d="M9 19 L14 12 L18 17 L23 10" fill="none" stroke="currentColor" stroke-width="3" stroke-linecap="round" stroke-linejoin="round" />
    <path d="M19.5 10 H23 V13.5" fill="none" stroke="currentColor" stroke-width="3" stroke-linecap="round" stroke-linejoin="round" />
  </svg>
)

/** The hidden field every form carries. */
export const Csrf = ({ token }: { readonly token: string }) => <input type="hidden" name="_csrf" value={token} />

/** The page shell: header with navigation and sign-out, then the content. */
export const Layout = (props: PropsWithChildren<{ readonly title: string; readonly viewer: Viewer | null; readonly section?: Section | undefined }>) => {
  const { css, js } = getAssets()
  const nav: ReadonlyArray<readonly [Section, string, string]> = [
    ["overview", "Overview", "/"],
    ["proposals", "Proposals", "/proposals"],
    ["runs", "Runs", "/runs"],
    ["repos", "Repositories", "/repos"],
    ["usage", "Usage", "/usage"]
  ]
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${props.title} · Ratchet`}</title>
        <link rel="stylesheet" href={`${BASE}/${css.path}`} />
        <script src={`${BASE}/${js.path}`} defer />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        {props.viewer === null ? null : (
          <header class="topbar">
            <div class="inner">
              <a class="brand" href={href("/")}><Logo /> Ratchet</a>
              <nav class="nav" aria-label="Main">
                {nav.map(([key, label, path]) => (
                  <a href={href(path)} aria-current={props.section === key ? "page" : undefined}>
                    {label}
                    {key === "proposals" && props.viewer !== null && props.viewer.pending > 0
                      ? <span class="count">{props.viewer.pending}<span class="vh"> waiting for review</span></span>
                      : null}
                  </a>
                ))}
              </nav>
              <div class="who">
                <span title={`scopes: ${props.viewer.scopes.join(", ")}`}><span class="label">Signed in with token </span><b>{props.viewer.tokenName}</b></span>
                <form method="post" action={href("/logout")} class="inline">
                  <Csrf token={props.viewer.csrf} />
                  <button class="btn small" type="submit">Sign out</button>
                </form>
              </div>
            </div>
          </header>
        )}
        <main id="main" tabindex={-1}>{props.children}</main>
      </body>
    </html>
  )
}

/** A coloured status label. */
export const Pill = ({ status, label }: { readonly status: string; readonly label?: string | undefined }) => (
  <span class={`pill ${status.replace(/[^a-z-]/gi, "")}`}>{label ?? status.replace(/-/g, " ")}</span>
)

/** A human duration: 850 ms, 12.4 s, 3 min 05 s, 2 h 10 min. */
export const formatDuration = (ms: number): string => {
  if (!Number.isFinite(ms) || ms < 0) return "—"
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
  const s = Math.round(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`
}

/** "5 min ago", "in 3 h", … relative to `now`. */
export const relative = (iso: string, now: number): string => {
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return iso
  const d = t - now
  const abs = Math.abs(d)
  const unit = abs < 60_000 ? [Math.round(abs / 1000), "s"] : abs < 3_600_000 ? [Math.round(abs / 60_000), "min"] : abs < 86_400_000 ? [Math.round(abs / 3_600_000), "h"] : [Math.round(abs / 86_400_000), "d"]
  if (abs < 5_000) return "just now"
  return d < 0 ? `${unit[0]} ${unit[1]} ago` : `in ${unit[0]} ${unit[1]}`
}

/** A timestamp shown relative to now, with the exact time on hover and for machines. */
export const When = ({ iso, now }: { readonly iso: string | null; readonly now: number }) =>
  iso === null ? <span class="faint">—</span> : <time datetime={iso} title={iso.replace("T", " ").replace(/\.\d+Z$/, " UTC")}>{relative(iso, now)}</time>

/** USD as people read it: $0.0042, $1.25. */
export const formatUsd = (usd: number): string => (usd === 0 ? "$0" : usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`)

/** A count with thousands separators. */
export const formatCount = (n: number): string => n.toLocaleString("en-US")

/** Why an action is not offered: the scope the session's token lacks. */
export const Lacks = ({ scope, what }: { readonly scope: Scope; readonly what: string }) => (
  <p class="muted small">Your token cannot {what}: it needs the <code>{scope}</code> scope.</p>
)

/** A message at the top of a page. */
export const Flash = ({ kind, children }: PropsWithChildren<{ readonly kind: "ok" | "error" | "info" }>) => (
  <div class={`flash ${kind}`} role={kind === "error" ? "alert" : "status"}>
    <span aria-hidden="true">{kind === "ok" ? "✓" : kind === "error" ? "!" : "i"}</span>
    <div class="body">{children}</div>
  </div>
)

/** A key/value list. */
export const KeyValues = ({ items }: { readonly items: ReadonlyArray<readonly [string, Child]> }) => (
  <dl class="kv">
    {items.map(([k, v]) => <><dt>{k}</dt><dd>{v}</dd></>)}
  </dl>
)

/** A small summary tile. */
export const Tile = ({ label, value, sub, tone }: { readonly label: string; readonly value: Child; readonly sub?: Child; readonly tone?: "good" | undefined }) => (
  <div class="stat-tile">
    <div class="k">{label}</div>
    <div class={`v${tone === undefined ? "" : ` ${tone}`}`}>{value}</div>
    {sub === undefined ? null : <div class="s">{sub}</div>}
  </div>
)

/** A short id for display. */
export const shortId = (id: string): string => (id.length > 22 ? `${id.slice(0, 20)}…` : id)

/** A time as a person in `timeZone` reads it: "Wed 2 Dec, 02:00". */
export const zoned = (iso: string, timeZone: string): string => {
  try {
    return new Intl.DateTimeFormat("en-GB", { timeZone, weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }).format(new Date(iso))
  } catch {
    return iso
  }
}

/** A labelled `<select>` of a filter form. */
export const Select = (props: { readonly id: string; readonly name: string; readonly label: string; readonly value: string | undefined; readonly options: ReadonlyArray<readonly [string, string]> }) => (
  <div class="field">
    <label for={props.id}>{props.label}</label>
    <select id={props.id} name={props.name}>
      {props.options.map(([value, label]) => <option value={value} selected={(props.value ?? "") === value}>{label}</option>)}
    </select>
  </div>
)
