/**
 * Syntax highlighting for the diff viewer, on the server: Shiki's TextMate grammars (the ones VS Code
 * uses) on its JavaScript regex engine, so no WebAssembly and no browser build. Tokens carry CSS
 * class names instead of inline colours, so the page keeps a strict Content-Security-Policy (no
 * `style` attributes); {@link themeCss} is the stylesheet for those classes, light and dark.
 *
 * @internal
 */
import javascript from "@shikijs/langs/javascript"
import json from "@shikijs/langs/json"
import jsx from "@shikijs/langs/jsx"
import tsx from "@shikijs/langs/tsx"
import typescript from "@shikijs/langs/typescript"
import githubDark from "@shikijs/themes/github-dark"
import githubLight from "@shikijs/themes/github-light"
import { createHighlighterCoreSync, type HighlighterCore } from "shiki/core"
import { createJavaScriptRegexEngine } from "shiki/engine/javascript"

/** One highlighted piece of a line: its text and the CSS classes of its colour (empty: plain). */
export interface Token {
  readonly text: string
  readonly className: string
}

const LIGHT = "github-light"
const DARK = "github-dark"

const languages: Record<string, string> = {
  ts: "typescript",
  mts: "typescript",
  cts: "typescript",
  tsx: "tsx",
  js: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  jsx: "jsx",
  json: "json"
}

/** The grammar for a file name, or `null` when it is shown as plain text. */
export const languageOf = (file: string): string | null => {
  const ext = /\.([A-Za-z0-9]+)$/.exec(file)?.[1]?.toLowerCase()
  return ext === undefined ? null : (languages[ext] ?? null)
}

let highlighter: HighlighterCore | undefined
const get = (): HighlighterCore => {
  highlighter ??= createHighlighterCoreSync({
    themes: [githubLight, githubDark],
    langs: [typescript, tsx, javascript, jsx, json],
    engine: createJavaScriptRegexEngine()
  })
  return highlighter
}

const hex = (color: string | undefined): string | null => {
  const m = color === undefined ? null : /^#([0-9a-f]{6})(?:[0-9a-f]{2})?$/i.exec(color)
  return m === null ? null : m[1].toLowerCase()
}

const themeColors = (name: string): Set<string> => {
  const theme = get().getTheme(name)
  const colors = new Set<string>()
  for (const setting of theme.settings ?? []) {
    const c = hex(setting.settings?.foreground)
    if (c !== null) colors.add(c)
  }
  const fg = hex(theme.fg)
  if (fg !== null) colors.add(fg)
  return colors
}

let known: { readonly light: Set<string>; readonly dark: Set<string> } | undefined
const knownColors = () => {
  known ??= { light: themeColors(LIGHT), dark: themeColors(DARK) }
  return known
}

/**
 * Splits `code` into lines of tokens (the grammar keeps its state across lines, so a multi-line
 * comment or template string stays one colour). `language` null gives plain lines.
 */
export const tokenize = (code: string, language: string | null): ReadonlyArray<ReadonlyArray<Token>> => {
  if (language === null) return code.split("\n").map((line) => [{ text: line, className: "" }])
  const { light, dark } = knownColors()
  // generous per-line time limit: the first call compiles the grammar's regexes, which on a busy
  // machine can exceed Shiki's default 500 ms and would leave the rest of the code unhighlighted
  const result = get().codeToTokens(code, { lang: language, themes: { light: LIGHT, dark: DARK }, tokenizeTimeLimit: 10_000, tokenizeMaxLineLength: 2000 })
  return result.tokens.map((line) =>
    line.map((token) => {
      const style = (token.htmlStyle ?? {}) as Record<string, string>
      const l = hex(style.color ?? token.color)
      const d = hex(style["--shiki-dark"])
      const classes = [l !== null && light.has(l) ? `l${l}` : "", d !== null && dark.has(d) ? `d${d}` : ""]
      const fontStyle = style["font-style"] === "italic" ? "si" : ""
      return { text: token.content, className: [...classes, fontStyle].filter(Boolean).join(" ") }
    })
  )
}

/**
 * The stylesheet of the token classes: light colours by default, dark ones under
 * `prefers-color-scheme: dark`.
 */
export const themeCss = (): string => {
  const { light, dark } = knownColors()
  const lightRules = [...light].map((c) => `.hl .l${c}{color:#${c}}`).join("")
  const darkRules = [...dark].map((c) => `.hl .d${c}{color:#${c}}`).join("")
  return `${lightRules}.hl .si{font-style:italic}@media (prefers-color-scheme:dark){${darkRules}}`
}
