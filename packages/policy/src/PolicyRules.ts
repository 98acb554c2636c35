/**
 * The built-in policy rules. Each is a plain Ratchet plugin with a `policy` hook, registered
 * by the engine exactly the way a third-party rule is; a verdict's `rule` is the id that
 * `policy.rules` in `ratchet.config.ts` refers to.
 *
 * | rule id        | severity | what it reports                                                    |
 * | -------------- | -------- | ------------------------------------------------------------------ |
 * | `max-files`    | BLOCK    | more files than `policy.maxFiles` (default 5)                      |
 * | `max-lines`    | BLOCK    | more changed lines than `policy.maxLines` (default 200)            |
 * | `config-files` | BLOCK    | tool/build configuration (tsconfig, eslint, prettier, bundlers, `.npmrc`, …) |
 * | `tests`        | BLOCK    | test code, fixtures, snapshots                                     |
 * | `dependencies` | BLOCK    | dependency fields of package.json, other dependency manifests (WARN for other package.json fields) |
 * | `lockfiles`    | BLOCK    | lockfiles                                                          |
 * | `ci`           | BLOCK    | CI configuration (`.github/`, GitLab, CircleCI, …)                  |
 * | `frozen`       | BLOCK    | paths matching `policy.frozen` globs                               |
 * | `secrets`      | BLOCK    | credentials in added lines (known formats + entropy), masked       |
 * | `binary`       | BLOCK    | binary files                                                       |
 * | `symlink`      | BLOCK    | symlinks and submodules (mode 120000 / 160000)                     |
 * | `path-escape`  | BLOCK    | absolute paths, `..`, `.git/` — cannot be turned off or downgraded |
 * | `file-mode`    | WARN     | executable-bit changes                                             |
 *
 * @example
 * ```ts
 * import { PolicyRules } from "@ratchet/policy"
 *
 * const rules = [PolicyRules.maxFiles({ max: 3 }), PolicyRules.secrets()]
 * ```
 *
 * @since 0.1.0
 */
import * as Patch from "@ratchet/core/Patch"
import * as Plugin from "@ratchet/core/Plugin"
import type * as PolicyVerdict from "@ratchet/core/PolicyVerdict"
import { analysePackageJson } from "./internal/manifest.js"
import { classify, escapeReason, globMatcher } from "./internal/paths-policy.js"
import { scanLine } from "./internal/secrets.js"

/**
 * Ids of the built-in rules.
 *
 * @since 0.1.0
 */
export const RuleId = {
  maxFiles: "max-files",
  maxLines: "max-lines",
  configFiles: "config-files",
  tests: "tests",
  dependencies: "dependencies",
  lockfiles: "lockfiles",
  ci: "ci",
  frozen: "frozen",
  secrets: "secrets",
  binary: "binary",
  symlink: "symlink",
  pathEscape: "path-escape",
  fileMode: "file-mode"
} as const

/**
 * Rules whose verdicts `policy.rules` cannot turn off or downgrade.
 *
 * @since 0.1.0
 */
export const HARD_RULES: ReadonlySet<string> = new Set([RuleId.pathEscape, "plugin-error"])

/** @since 0.1.0 */
export const DEFAULT_MAX_FILES = 5
/** @since 0.1.0 */
export const DEFAULT_MAX_LINES = 200

type Verdict = PolicyVerdict.PolicyVerdict

const fileOf = (file: Patch.FilePatch): string => file.newPath ?? file.oldPath ?? "<unknown>"

const show = (path: string): string => JSON.stringify(path)

/** The verb for a file's change, naming both paths for renames and copies. */
const describe = (file: Patch.FilePatch): string => {
  switch (file.status) {
    case "added":
      return `adds ${show(fileOf(file))}`
    case "deleted":
      return `deletes ${show(fileOf(file))}`
    case "renamed":
      return `renames ${show(file.oldPath ?? "")} to ${show(file.newPath ?? "")}`
    case "copied":
      return `copies ${show(file.oldPath ?? "")} to ${show(file.newPath ?? "")}`
    default:
      return `changes ${show(fileOf(file))}`
  }
}

const pathRule = (
  id: string,
  test: (path: string) => boolean,
  what: string,
  fix: string
): Plugin.Plugin =>
  Plugin.definePlugin({
    name: `ratchet:policy/${id}`,
    policy: (patch) => {
      const out: Array<Verdict> = []
      for (const file of patch.files) {
        if (Patch.pathsOf(file).some(test)) {
          out.push({ rule: id, severity: "BLOCK", file: fileOf(file), message: `${describe(file)}, ${what}. ${fix}` })
        }
      }
      return out
    }
  })

/**
 * BLOCK when the patch touches more than `max` files (default 5).
 *
 * @since 0.1.0
 */
export const maxFiles = (options: { readonly max?: number } = {}): Plugin.Plugin => {
  const max = options.max ?? DEFAULT_MAX_FILES
  return Plugin.definePlugin({
    name: `ratchet:policy/${RuleId.maxFiles}`,
    policy: (patch) => {
      const paths = new Set(patch.files.map(fileOf))
      const count = Math.max(paths.size, patch.files.length)
      return count > max
        ? [
            {
              rule: RuleId.maxFiles,
              severity: "BLOCK",
              file: null,
              message: `the patch changes ${count} files; at most ${max} are allowed (policy.maxFiles). Split it into smaller patches.`
            }
          ]
        : []
    }
  })
}

/**
 * BLOCK when the patch adds plus deletes more than `max` lines (default 200).
 *
 * @since 0.1.0
 */
export const maxLines = (options: { readonly max?: number } = {}): Plugin.Plugin => {
  const max = options.max ?? DEFAULT_MAX_LINES
  return Plugin.definePlugin({
    name: `ratchet:policy/${RuleId.maxLines}`,
    policy: (patch) => {
      const { added, deleted } = Patch.countChanges(patch)
      return added + deleted > max
        ? [
            {
              rule: RuleId.maxLines,
              severity: "BLOCK",
              file: null,
              message: `the patch changes ${added + deleted} lines (+${added} −${deleted}); at most ${max} are allowed (policy.maxLines). Split it into smaller patches.`
            }
          ]
        : []
    }
  })
}

/**
 * BLOCK changes to tool and build configuration: tsconfig, eslint, prettier, babel, bundler
 * and test-runner configs, `.npmrc`, `.env*`, Dockerfiles, Makefiles, editor/devcontainer
 * settings, `ratchet.config.*`.
 *
 * @since 0.1.0
 */
export const configFiles = (): Plugin.Plugin =>
  pathRule(
    RuleId.configFiles,
    classify.config,
    "a configuration file",
    "Ratchet improves source code only; change configuration by hand."
  )

/**
 * BLOCK changes to tests, fixtures and snapshots (a candidate must pass the existing tests unchanged).
 *
 * @since 0.1.0
 */
export const tests = (): Plugin.Plugin =>
  pathRule(
    RuleId.tests,
    classify.test,
    "a test file",
    "A candidate must pass the existing tests unchanged; drop the test edits."
  )

/**
 * BLOCK changes to lockfiles.
 *
 * @since 0.1.0
 */
export const lockfiles = (): Plugin.Plugin =>
  pathRule(RuleId.lockfiles, classify.lockfile, "a lockfile", "Dependency changes need a human; drop the lockfile edits.")

/**
 * BLOCK changes to CI configuration (`.github/`, `.gitlab-ci.yml`, `.circleci/`, …).
 *
 * @since 0.1.0
 */
export const ci = (): Plugin.Plugin =>
  pathRule(RuleId.ci, classify.ci, "CI configuration", "CI changes need a human; drop these edits.")

/**
 * BLOCK changes to paths matching the given globs (`policy.frozen`). A glob naming a
 * directory freezes everything below it; matching ignores case.
 *
 * @since 0.1.0
 */
export const frozen = (options: { readonly globs: ReadonlyArray<string> }): Plugin.Plugin => {
  const test = globMatcher(options.globs)
  return pathRule(
    RuleId.frozen,
    test,
    "a frozen path (policy.frozen)",
    "Leave frozen paths alone or remove the glob from policy.frozen."
  )
}

/**
 * Dependency manifests: any change to `pyproject.toml`, `Cargo.toml`, `go.mod`, … BLOCKs;
 * in `package.json` a change inside `dependencies`, `devDependencies`, `peerDependencies`,
 * `optionalDependencies`, `overrides`, `resolutions` (and the other install-affecting fields)
 * BLOCKs, as does any change whose field the hunk does not show, and any change to `scripts`
 * (they are how the project is built and tested, which validation relies on); other fields
 * (`description`, `version`, …) WARN. Adding, deleting or renaming a package.json BLOCKs.
 *
 * @since 0.1.0
 */
export const dependencies = (): Plugin.Plugin =>
  Plugin.definePlugin({
    name: `ratchet:policy/${RuleId.dependencies}`,
    policy: (patch) => {
      const out: Array<Verdict> = []
      const block = (file: Patch.FilePatch, message: string): void => {
        out.push({ rule: RuleId.dependencies, severity: "BLOCK", file: fileOf(file), message })
      }
      for (const file of patch.files) {
        const paths = Patch.pathsOf(file)
        if (paths.some(classify.manifest)) {
          block(file, `${describe(file)}, a dependency manifest. Dependency changes need a human; drop these edits.`)
          continue
        }
        if (!paths.some(classify.packageJson)) continue
        if (file.status !== "modified" || file.binary || !paths.every(classify.packageJson)) {
          block(file, `${describe(file)}, a package manifest. Adding, removing or moving package.json changes dependencies; do it by hand.`)
          continue
        }
        const findings = analysePackageJson(file)
        const dep = findings.find((f) => f.kind === "dependency")
        if (dep !== undefined && dep.kind === "dependency") {
          block(
            file,
            `${describe(file)}: the change touches "${dep.field}" (${JSON.stringify(dep.line.trim().slice(0, 80))}). Dependency changes need a human; drop these edits.`
          )
          continue
        }
        const config = findings.find((f) => f.kind === "config")
        if (config !== undefined && config.kind === "config") {
          block(
            file,
            `${describe(file)}: the change touches the "${config.field}" field, which configures tools or the package's entry points. Change it by hand.`
          )
          continue
        }
        if (findings.some((f) => f.kind === "safe" && f.field === "scripts")) {
          block(
            file,
            `${describe(file)}: the change touches "scripts" (or a text field the hunk does not name), which decide how the project is built and tested — what validation relies on. Change scripts by hand.`
          )
          continue
        }
        const unsure = findings.find((f) => f.kind === "unsure")
        if (unsure !== undefined && unsure.kind === "unsure") {
          block(
            file,
            `${describe(file)}: cannot prove the change stays outside dependency fields (${unsure.why}: ${JSON.stringify(unsure.line.trim().slice(0, 80))}). Regenerate the diff with more context (git diff -U10) or make the change by hand.`
          )
          continue
        }
        if (file.hunks.length > 0) {
          const fields = [...new Set(findings.flatMap((f) => (f.kind === "safe" ? [f.field] : [])))]
          out.push({
            rule: RuleId.dependencies,
            severity: "WARN",
            file: fileOf(file),
            message: `${describe(file)} outside its dependency fields${fields.length > 0 ? ` (${fields.map((f) => `"${f}"`).join(", ")})` : ""}; review it.`
          })
        }
      }
      return out
    }
  })

/**
 * BLOCK credentials in added lines: GitHub, AWS, Slack, OpenAI, Anthropic, Google, Stripe,
 * npm, GitLab tokens, private keys, JWTs, passwords in URLs, hard-coded credential
 * assignments and high-entropy strings. Messages show at most the first four characters.
 *
 * @since 0.1.0
 */
export const secrets = (): Plugin.Plugin =>
  Plugin.definePlugin({
    name: `ratchet:policy/${RuleId.secrets}`,
    policy: (patch) => {
      const out: Array<Verdict> = []
      for (const file of patch.files) {
        if (file.binary) continue
        const name = fileOf(file)
        const entropyCheck = !Patch.pathsOf(file).some(classify.lockfile) && !/\.(?:map|svg|snap)$/i.test(name)
        for (const hunk of file.hunks) {
          let lineNo = hunk.newStart
          for (const line of hunk.lines) {
            if (line.type === "del") continue
            if (line.type === "add") {
              for (const hit of scanLine(line.text, entropyCheck)) {
                out.push({
                  rule: RuleId.secrets,
                  severity: "BLOCK",
                  file: name,
                  message: `possible ${hit.kind} "${hit.masked}" (${hit.length} chars) on added line ${lineNo} of ${show(name)}. Remove it, rotate the credential and read it from the environment or a secret store.`
                })
              }
            }
            lineNo++
          }
        }
      }
      return out
    }
  })

/**
 * BLOCK binary files (`GIT binary patch`, `Binary files … differ`, or NUL bytes in added lines).
 *
 * @since 0.1.0
 */
export const binary = (): Plugin.Plugin =>
  Plugin.definePlugin({
    name: `ratchet:policy/${RuleId.binary}`,
    policy: (patch) => {
      const out: Array<Verdict> = []
      for (const file of patch.files) {
        const nul = file.hunks.some((h) => h.lines.some((l) => l.type === "add" && l.text.includes("\u0000")))
        if (file.binary || nul) {
          out.push({
            rule: RuleId.binary,
            severity: "BLOCK",
            file: fileOf(file),
            message: `${describe(file)}, a binary file${nul && !file.binary ? " (NUL bytes in added lines)" : ""}. Binary content cannot be reviewed; drop it.`
          })
        }
      }
      return out
    }
  })

/**
 * BLOCK symlinks (mode 120000) and submodules (gitlink, mode 160000) on either side.
 *
 * @since 0.1.0
 */
export const symlink = (): Plugin.Plugin =>
  Plugin.definePlugin({
    name: `ratchet:policy/${RuleId.symlink}`,
    policy: (patch) => {
      const out: Array<Verdict> = []
      for (const file of patch.files) {
        const modes = [file.oldMode, file.newMode]
        if (file.symlink || modes.includes("120000")) {
          out.push({
            rule: RuleId.symlink,
            severity: "BLOCK",
            file: fileOf(file),
            message: `${describe(file)}, a symbolic link. A symlink can point outside the repository; drop it.`
          })
        } else if (modes.includes("160000")) {
          out.push({
            rule: RuleId.symlink,
            severity: "BLOCK",
            file: fileOf(file),
            message: `${describe(file)}, a submodule (gitlink). Submodule changes need a human; drop it.`
          })
        }
      }
      return out
    }
  })

/**
 * BLOCK paths that leave the repository or reach into `.git`: absolute paths, drive letters,
 * `..` components, `~`, control characters.
 *
 * @since 0.1.0
 */
export const pathEscape = (): Plugin.Plugin =>
  Plugin.definePlugin({
    name: `ratchet:policy/${RuleId.pathEscape}`,
    policy: (patch) => {
      const out: Array<Verdict> = []
      for (const file of patch.files) {
        for (const path of Patch.pathsOf(file)) {
          const why = escapeReason(path)
          if (why !== null) {
            out.push({
              rule: RuleId.pathEscape,
              severity: "BLOCK",
              file: path,
              message: `${describe(file)}: ${why}. Every path must stay inside the repository; use a relative path below its root.`
            })
          }
        }
      }
      return out
    }
  })

/**
 * WARN on file-mode changes (the executable bit).
 *
 * @since 0.1.0
 */
export const fileMode = (): Plugin.Plugin =>
  Plugin.definePlugin({
    name: `ratchet:policy/${RuleId.fileMode}`,
    policy: (patch) => {
      const out: Array<Verdict> = []
      for (const file of patch.files) {
        if (file.status === "added" && file.newMode === "100755") {
          out.push({ rule: RuleId.fileMode, severity: "WARN", file: fileOf(file), message: `${describe(file)} as an executable (mode 100755); review it.` })
        } else if (file.oldMode !== null && file.newMode !== null && file.oldMode !== file.newMode) {
          out.push({
            rule: RuleId.fileMode,
            severity: "WARN",
            file: fileOf(file),
            message: `${describe(file)}: mode ${file.oldMode} → ${file.newMode}; review it.`
          })
        }
      }
      return out
    }
  })

/**
 * The built-in rules configured from the `policy` section of a config, in evaluation order.
 *
 * @since 0.1.0
 */
export const builtins = (options: {
  readonly maxFiles?: number
  readonly maxLines?: number
  readonly frozen?: ReadonlyArray<string>
} = {}): Array<Plugin.Plugin> => [
  pathEscape(),
  symlink(),
  binary(),
  secrets(),
  ci(),
  configFiles(),
  tests(),
  dependencies(),
  lockfiles(),
  frozen({ globs: options.frozen ?? [] }),
  maxFiles({ max: options.maxFiles ?? DEFAULT_MAX_FILES }),
  maxLines({ max: options.maxLines ?? DEFAULT_MAX_LINES }),
  fileMode()
]
