/**
 * Splitting CI `run:` scripts and package.json scripts into simple commands, and
 * classifying each command (install, a script, a direct tool).
 */
import * as path from "node:path"

export interface ShellCommand {
  /** The command text, as written (one simple command or pipeline, without `&&` chains). */
  readonly text: string
  /** Line offset (0-based) within the script. */
  readonly lineOffset: number
  /** Working directory relative to the starting one after `cd` commands seen so far ("." when unchanged). */
  readonly cd: string
}

/** Splits a shell script into simple commands: lines (with `\` continuations), `&&`, `||`, `;`; tracks `cd`. */
export const splitScript = (script: string): Array<ShellCommand> => {
  const out: Array<ShellCommand> = []
  const lines = script.split(/\r?\n/)
  let cwd = "."
  let i = 0
  while (i < lines.length) {
    const start = i
    let line = lines[i]
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i++
      line = line.replace(/\\\s*$/, " ") + lines[i]
    }
    i++
    for (const part of splitOperators(stripComment(line))) {
      const text = part.trim().replace(/^(then|do|else)\s+/, "").trim()
      if (text === "" || /^(fi|done|esac|then|else|do|\{|\}|\(|\))$/.test(text)) continue
      const cdMatch = /^(?:cd|pushd)\s+("[^"]*"|'[^']*'|\S+)\s*$/.exec(text)
      if (cdMatch) {
        const target = cdMatch[1].replace(/^["']|["']$/g, "")
        cwd = joinCwd(cwd, target)
        continue
      }
      if (/^popd\b/.test(text)) {
        cwd = "."
        continue
      }
      out.push({ text, lineOffset: start, cd: cwd })
    }
  }
  return out
}

/** Joins a relative cwd with a `cd` target; absolute or expression targets are kept as-is-ish. */
export const joinCwd = (base: string, target: string): string => {
  const t = target.replace(/^\$\{?GITHUB_WORKSPACE\}?\/?/, "/").replace(/^\$\{\{\s*github\.workspace\s*\}\}\/?/, "/")
  if (t.startsWith("/")) return normalizeCwd(t.slice(1))
  return normalizeCwd(path.posix.join(base, t))
}

export const normalizeCwd = (p: string): string => {
  const n = path.posix.normalize(p.replace(/\\/g, "/").trim()).replace(/\/+$/, "")
  return n === "" || n === "." || n === "./" ? "." : n.replace(/^\.\//, "")
}

const stripComment = (line: string): string => {
  let quote: string | null = null
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quote) {
      if (c === quote) quote = null
    } else if (c === '"' || c === "'") quote = c
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i)
  }
  return line
}

/** Splits on `&&`, `||`, `;` outside quotes. */
export const splitOperators = (line: string): Array<string> => {
  const parts: Array<string> = []
  let quote: string | null = null
  let current = ""
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quote) {
      current += c
      if (c === quote) quote = null
      continue
    }
    if (c === '"' || c === "'") {
      quote = c
      current += c
      continue
    }
    if ((c === "&" && line[i + 1] === "&") || (c === "|" && line[i + 1] === "|")) {
      parts.push(current)
      current = ""
      i++
      continue
    }
    if (c === ";") {
      parts.push(current)
      current = ""
      continue
    }
    current += c
  }
  parts.push(current)
  return parts
}

/** Whitespace tokenizer that keeps quoted strings together (quotes removed). */
export const tokenize = (text: string): Array<string> => {
  const tokens: Array<string> = []
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g
  let m: RegExpExecArray | null
  while ((m = re.exec(text)) !== null) tokens.push(m[1] ?? m[2] ?? m[3])
  return tokens
}

export type PmName = "npm" | "pnpm" | "yarn" | "bun" | "deno"

export type Classified =
  | { readonly type: "install"; readonly pm: PmName; readonly args: ReadonlyArray<string> }
  | {
      readonly type: "script"
      readonly pm: PmName | "turbo" | "nx" | "lerna" | "moon"
      readonly name: string
      readonly recursive: boolean
      /** Every task a task runner was asked to run (`turbo run build test`). */
      readonly names?: ReadonlyArray<string>
      /** Runs in another workspace package (`--filter`, `-w`, `yarn workspace X`, `--prefix`). */
      readonly filtered?: boolean
    }
  | { readonly type: "tool"; readonly tool: string; readonly args: ReadonlyArray<string>; readonly pm: PmName | null }

const WRAPPERS = new Set(["sudo", "time", "env", "command", "exec", "nice", "xvfb-run", "dbus-run-session"])

/** Tokens of a command with env assignments and wrappers (`sudo`, `xvfb-run -a`, `timeout 10m`) removed. */
export const coreTokens = (text: string): Array<string> => {
  const tokens = tokenize(text.replace(/\|.*$/, "").replace(/\s[12]?>&?\S*.*$/, ""))
  let i = 0
  for (;;) {
    const t = tokens[i]
    if (t === undefined) break
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(t)) i++
    else if (WRAPPERS.has(t)) {
      i++
      while (tokens[i]?.startsWith("-")) i++
    } else if (t === "timeout") {
      i++
      while (tokens[i]?.startsWith("-")) i++
      i++
    } else break
  }
  return tokens.slice(i)
}

const FLAGS_WITH_VALUE: Record<string, ReadonlySet<string>> = {
  npm: new Set(["--prefix", "-w", "--workspace", "-C", "--loglevel"]),
  pnpm: new Set(["--filter", "-F", "-C", "--dir", "--filter-prod", "--workspace-concurrency", "--reporter", "--loglevel"]),
  yarn: new Set(["--cwd", "--mutex", "--network-timeout", "--cache-folder"]),
  bun: new Set(["--cwd", "--filter", "-F"])
}

const NPM_SCRIPT_ALIASES: Record<string, string> = { t: "test", tst: "test", test: "test", start: "start", stop: "stop", restart: "restart" }

/** Classifies one simple command. `null` for anything irrelevant (echo, git, docker, ...). */
export const classify = (text: string): Classified | null => classifyTokens(coreTokens(text))

export const classifyTokens = (tokens: ReadonlyArray<string>): Classified | null => {
  if (tokens.length === 0) return null
  const bin = path.posix.basename(tokens[0])
  const rest = tokens.slice(1)
  switch (bin) {
    case "npm":
    case "pnpm":
    case "yarn":
    case "bun":
      return classifyPm(bin, rest)
    case "npx":
    case "pnpx":
    case "bunx": {
      let i = 0
      while (i < rest.length && rest[i].startsWith("-")) i += rest[i] === "-p" || rest[i] === "--package" ? 2 : 1
      return classifyTool(rest.slice(i), bin === "bunx" ? "bun" : bin === "pnpx" ? "pnpm" : "npm")
    }
    case "corepack":
      return rest.length > 0 ? classifyTokens(rest) : null
    case "deno":
      return classifyDeno(rest)
    default:
      return classifyTool(tokens, null)
  }
}

/** Binaries that `pnpm X` / `yarn X` / `bun X` run directly when X is not a script. */
const KNOWN_BINS = new Set(["turbo", "nx", "lerna", "vitest", "jest", "tsc", "vue-tsc", "mocha", "ava", "playwright", "cypress", "svelte-check", "next", "vite", "nest", "nuxt", "nuxi", "astro", "tsup", "rollup", "webpack", "esbuild", "c8", "nyc", "uvu", "tsx", "ts-node", "react-scripts", "eslint", "prettier", "biome", "tsdown", "unbuild", "ng", "moon", "vp", "vinxi", "remix", "react-router"])

const classifyPm = (pm: PmName, args: ReadonlyArray<string>): Classified | null => {
  let i = 0
  let recursive = false
  const withValue = FLAGS_WITH_VALUE[pm]
  while (i < args.length && args[i].startsWith("-")) {
    if (args[i] === "-r" || args[i] === "--recursive" || args[i] === "-ws" || args[i] === "--workspaces") recursive = true
    i += withValue.has(args[i]) ? 2 : 1
  }
  const sub = args[i]
  const after = args.slice(i + 1)
  const filtered = args.some((a) => /^(--filter|-F|--filter-prod|-C|--dir|--prefix|-w|--workspace|--cwd)(=|$)/.test(a))
  if (args.some((a) => a === "--workspaces" || a === "-ws" || a === "-r" || a === "--recursive")) recursive = true
  const positionals: Array<string> = []
  for (let k = 0; k < after.length; k++) {
    if (after[k] === "--") break
    if (after[k].startsWith("-")) {
      if (withValue.has(after[k])) k++
      continue
    }
    positionals.push(after[k])
  }
  if (sub === undefined) return pm === "yarn" ? { type: "install", pm, args } : null
  if (pm === "npm") {
    if (sub === "ci" || sub === "clean-install" || sub === "install-clean") return { type: "install", pm, args: after }
    if (sub === "install" || sub === "i" || sub === "add")
      return positionals.length === 0 ? { type: "install", pm, args: after } : null
    if (sub === "run" || sub === "run-script" || sub === "rum" || sub === "urn") {
      const name = positionals[0]
      return name ? { type: "script", pm, name, recursive, filtered } : null
    }
    if (NPM_SCRIPT_ALIASES[sub]) return { type: "script", pm, name: NPM_SCRIPT_ALIASES[sub], recursive, filtered }
    if (sub === "exec" || sub === "x") return classifyTool(after.filter((a, k) => !(k === 0 && a === "--")), pm)
    return null
  }
  if (pm === "pnpm") {
    if (sub === "install" || sub === "i") return positionals.length === 0 ? { type: "install", pm, args: after } : null
    if (sub === "ci") return { type: "install", pm, args: after }
    if (sub === "run") return positionals[0] ? { type: "script", pm, name: positionals[0], recursive, filtered } : null
    if (sub === "test" || sub === "t") return { type: "script", pm, name: "test", recursive, filtered }
    if (sub === "exec" || sub === "dlx") return classifyTool(after, pm)
    if (PM_BUILTINS.pnpm.has(sub)) return null
    if (KNOWN_BINS.has(sub)) return classifyTool(args.slice(i), pm)
    return { type: "script", pm, name: sub, recursive, filtered }
  }
  if (pm === "yarn") {
    if (sub === "install") return { type: "install", pm, args: after }
    if (sub === "run") return positionals[0] ? { type: "script", pm, name: positionals[0], recursive, filtered } : null
    if (sub === "test") return { type: "script", pm, name: "test", recursive, filtered }
    if (sub === "workspace") {
      const inner = after.length >= 2 ? classifyPm("yarn", after.slice(1)) : null
      return inner?.type === "script" ? { ...inner, filtered: true } : inner
    }
    if (sub === "workspaces") {
      // classic: yarn workspaces run X; berry: yarn workspaces foreach [-A] run X
      const runAt = after.indexOf("run")
      if (runAt !== -1 && after[runAt + 1]) return { type: "script", pm, name: after[runAt + 1], recursive: true }
      const foreach = after.indexOf("foreach")
      if (foreach !== -1) {
        let k = foreach + 1
        while (k < after.length && after[k].startsWith("-")) k += after[k] === "--include" || after[k] === "--exclude" || after[k] === "--from" ? 2 : 1
        if (after[k]) return { type: "script", pm, name: after[k], recursive: true }
      }
      return null
    }
    if (sub === "dlx" || sub === "exec") return classifyTool(after, pm)
    if (PM_BUILTINS.yarn.has(sub)) return null
    if (KNOWN_BINS.has(sub)) return classifyTool(args.slice(i), pm)
    return { type: "script", pm, name: sub, recursive }
  }
  // bun
  if (sub === "install" || sub === "i") return positionals.length === 0 ? { type: "install", pm, args: after } : null
  if (sub === "run") {
    const name = positionals[0]
    if (!name) return null
    if (filtered) return { type: "script", pm, name, recursive, filtered }
    if (/\.(m?[jt]sx?|cjs)$/.test(name)) return classifyTool(["node", ...after], pm)
    return { type: "script", pm, name, recursive }
  }
  if (sub === "test") return { type: "tool", tool: "bun-test", args: after, pm }
  if (sub === "x") return classifyTool(after, pm)
  if (PM_BUILTINS.bun.has(sub) || /\.(m?[jt]sx?|cjs)$/.test(sub)) return null
  if (KNOWN_BINS.has(sub)) return classifyTool(args.slice(i), pm)
  return { type: "script", pm, name: sub, recursive }
}

/** Deno flags that take a separate value. */
const DENO_FLAGS_WITH_VALUE = new Set(["--config", "-c", "--cwd", "--filter", "-f", "--import-map", "--lock", "--reload", "-r", "--location", "--seed", "--v8-flags", "--cert", "--allow-read", "--allow-write", "--allow-net", "--allow-env", "--allow-run", "--allow-ffi", "--allow-sys", "--ext", "--junit-path", "--reporter", "--coverage", "--shuffle", "--node-modules-dir", "--env-file", "--inspect", "--entrypoint", "-e"])

/** `deno task X`, `deno test`, `deno bench`, `deno check`, `deno install` (local, no package arguments), `deno cache`. */
const classifyDeno = (args: ReadonlyArray<string>): Classified | null => {
  let i = 0
  while (i < args.length && args[i].startsWith("-")) i++
  const sub = args[i]
  const after = args.slice(i + 1)
  const positionals: Array<string> = []
  for (let k = 0; k < after.length; k++) {
    const a = after[k]
    if (a === "--") break
    if (a.startsWith("-")) {
      if (!a.includes("=") && DENO_FLAGS_WITH_VALUE.has(a) && after[k + 1] !== undefined && !after[k + 1].startsWith("-") && sub === "task") k++
      continue
    }
    positionals.push(a)
  }
  const recursive = after.some((a) => a === "-r" || a === "--recursive")
  const filtered = after.some((a) => /^(--filter|-f|--cwd|--config|-c)(=|$)/.test(a))
  switch (sub) {
    case undefined:
      return null
    case "task":
      return positionals[0] ? { type: "script", pm: "deno", name: positionals[0], recursive, filtered } : null
    case "install":
    case "i":
      // `deno install -g …` / `deno install npm:x` change what is installed; a bare `deno install [--frozen]` installs the project's dependencies
      return after.some((a) => a === "-g" || a === "--global") || positionals.length > 0 ? null : { type: "install", pm: "deno", args: after }
    case "cache":
      return { type: "install", pm: "deno", args: after }
    case "test":
    case "bench":
    case "check":
    case "lint":
    case "fmt":
    case "coverage":
      return { type: "tool", tool: `deno-${sub}`, args: after, pm: "deno" }
    default:
      return null
  }
}

const PM_BUILTINS: Record<"pnpm" | "yarn" | "bun", ReadonlySet<string>> = {
  pnpm: new Set(["add", "remove", "rm", "update", "up", "link", "unlink", "prune", "store", "config", "env", "setup", "publish", "pack", "audit", "outdated", "list", "ls", "why", "import", "rebuild", "fetch", "patch", "patch-commit", "deploy", "licenses", "server", "root", "bin", "init", "create", "self-update", "approve-builds", "version", "-v", "--version", "help", "dedupe", "doctor", "cache"]),
  yarn: new Set(["add", "remove", "upgrade", "up", "config", "set", "cache", "info", "init", "link", "unlink", "pack", "publish", "npm", "plugin", "version", "why", "constraints", "dedupe", "policies", "global", "bin", "node", "tag", "team", "audit", "licenses", "outdated", "check", "import", "login", "logout", "owner", "list", "help", "generate-lock-entry", "autoclean", "patch", "patch-commit", "explain", "rebuild", "stage", "unplug", "search"]),
  bun: new Set(["add", "remove", "rm", "update", "link", "unlink", "pm", "create", "init", "upgrade", "build", "publish", "outdated", "patch", "audit", "info", "why", "repl", "exec"])
}

const classifyTool = (tokens: ReadonlyArray<string>, pm: PmName | null): Classified | null => {
  if (tokens.length === 0) return null
  const tool = path.posix.basename(tokens[0]).replace(/@[^/]*$/, "")
  const args = tokens.slice(1)
  if (tool === "turbo") {
    const runAt = args[0] === "run" ? 1 : 0
    const names: Array<string> = []
    const rest = args.slice(runAt)
    for (let k = 0; k < rest.length; k++) {
      const a = rest[k]
      if (a.startsWith("-")) {
        if (!a.includes("=") && ["--filter", "-F", "--concurrency", "--cache-dir", "--output-logs", "--log-order", "--env-mode", "--cache", "--team", "--token", "--graph"].includes(a)) k++
        continue
      }
      names.push(a)
    }
    return names.length > 0 ? { type: "script", pm: "turbo", name: names[0], recursive: true, names } : null
  }
  if (tool === "nx") {
    const t = args.findIndex((a) => a === "-t" || a === "--target" || a === "--targets" || a.startsWith("--target=") || a.startsWith("--targets="))
    if ((args[0] === "run-many" || args[0] === "affected") && t !== -1) {
      const value = args[t].includes("=") ? args[t].split("=")[1] : args[t + 1]
      const names = value ? value.split(",").filter((v) => v !== "") : []
      return names.length > 0 ? { type: "script", pm: "nx", name: names[0], recursive: true, names } : null
    }
    if (args[0] === "run" && args[1]?.includes(":")) return { type: "script", pm: "nx", name: args[1].split(":")[1], recursive: false }
    if (args[0] && !args[0].startsWith("-") && args[0] !== "run") return { type: "script", pm: "nx", name: args[0], recursive: false }
    return null
  }
  if (tool === "lerna" && args[0] === "run" && args[1]) return { type: "script", pm: "lerna", name: args[1], recursive: true }
  if (tool === "moon" && args[0] === "run") {
    // moon run :test (every project) / moon run app:test (one project)
    const targets = args.slice(1).filter((a) => !a.startsWith("-") && a.includes(":"))
    const names = targets.map((t) => t.slice(t.lastIndexOf(":") + 1)).filter((n) => n !== "")
    return names.length > 0 ? { type: "script", pm: "moon", name: names[0], recursive: targets.some((t) => t.startsWith(":")), names } : null
  }
  if (tool === "node" && args[0] === "--run" && args[1]) return { type: "script", pm: pm ?? "npm", name: args[1], recursive: false }
  return { type: "tool", tool, args, pm }
}

export type Category = "test" | "build" | "typecheck" | "bench" | "e2e" | "lint" | "other"

/** Category of a script/task name. */
export const categoryOfScript = (name: string): Category => {
  const n = name.toLowerCase()
  if (/(^|[:_-])(watch|dev|serve|start|debug|update|snapshot|ui)([:_-]|$)/.test(n)) return "other"
  if (/^(test|tests|check)[:_-](types?|tsc|typescript|ts|dts|tsd|typecheck)$/.test(n)) return "typecheck"
  if (/^(test|tests)[:_-](lint|format|prettier|eslint|style)$/.test(n)) return "lint"
  if (/(^|[:_-])(e2e|playwright|cypress|integration|browser|smoke|visual|a11y)([:_-]|$)/.test(n)) return "e2e"
  if (/^(bench|benchmarks?|perf)([:_-].*)?$/.test(n)) return "bench"
  if (/^(typecheck|type-check|typecheck[:_-].*|types|check-types|types:check|check:types|check:type|lint:types|tsc|typescript|ts|ts:check|check:ts|tsc:check)$/.test(n)) return "typecheck"
  if (/^(tests?|unit|unit-tests?|test[:_-].*|tests[:_-].*|ci:test|coverage|test\.ci|vitest|jest|spec|specs)$/.test(n)) return "test"
  if (/^(build|build[:_-].*|compile|dist|bundle)$/.test(n)) return "build"
  if (/^(lint|lint[:_-].*|format|fmt|prettier|eslint)$/.test(n)) return "lint"
  return "other"
}

/** Category of a direct tool invocation. */
export const categoryOfTool = (tool: string, args: ReadonlyArray<string>): Category => {
  const has = (...flags: Array<string>) => args.some((a) => flags.includes(a))
  switch (tool) {
    case "vitest":
      if (args[0] === "bench" || has("--mode=benchmark")) return "bench"
      if (args[0] === "typecheck" || has("--typecheck.only")) return "typecheck"
      return "test"
    case "jest":
    case "mocha":
    case "ava":
    case "uvu":
    case "tap":
    case "c8":
    case "nyc":
    case "karma":
    case "bun-test":
    case "deno-test":
    case "ts-mocha":
    case "tape":
    case "node:test":
      return "test"
    case "playwright":
    case "cypress":
    case "wdio":
      return "e2e"
    case "node":
    case "tsx":
    case "ts-node":
      if (has("--test")) return "test"
      if (args.some((a) => /bench/i.test(a))) return "bench"
      return "other"
    case "tsc":
    case "vue-tsc":
      return has("--noEmit", "--no-emit") ? "typecheck" : "build"
    case "svelte-check":
    case "tsgo":
    case "deno-check":
      return "typecheck"
    case "deno-bench":
      return "bench"
    case "deno-lint":
    case "deno-fmt":
      return "lint"
    case "vp":
      return args[0] === "build" ? "build" : args[0] === "test" ? "test" : args[0] === "check" ? "typecheck" : "other"
    case "astro":
    case "nuxi":
    case "nuxt":
      return args[0] === "check" || args[0] === "typecheck" ? "typecheck" : args[0] === "build" || args[0] === "generate" ? "build" : "other"
    case "next":
    case "vite":
    case "nest":
    case "remix":
    case "react-router":
    case "svelte-kit":
    case "vue-cli-service":
    case "vinxi":
    case "ng":
      return args[0] === "build" ? "build" : args[0] === "test" ? "test" : "other"
    case "react-scripts":
      return args[0] === "build" ? "build" : args[0] === "test" ? "test" : "other"
    case "tsup":
    case "rollup":
    case "webpack":
    case "esbuild":
    case "tsdown":
    case "unbuild":
    case "microbundle":
    case "parcel":
    case "rspack":
      return "build"
    default:
      return "other"
  }
}

/** Category of a classified command (scripts by name; tools by what they are). */
export const categoryOf = (c: Classified): Category =>
  c.type === "install" ? "other" : c.type === "script" ? categoryOfScript(c.name) : categoryOfTool(c.tool, c.args)
