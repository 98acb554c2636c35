/**
 * Environment scrubbing: repository code sees an allow-list, never Ratchet's secrets.
 *
 * @internal
 */
import { existsSync, readdirSync } from "node:fs"
import { delimiter, dirname, join } from "node:path"

/** Variables passed through from the host when set. */
export const ALLOWED = [
  "PATH",
  "LANG",
  "LANGUAGE",
  "LC_ALL",
  "LC_CTYPE",
  "LC_MESSAGES",
  "TERM",
  "TZ",
  "SHELL",
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR"
] as const

/** Proxy variables, passed only to steps that keep the network (install). */
export const PROXY = ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"] as const

const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|_KEY|APIKEY|API_KEY|CREDENTIAL|DATABASE_URL|_DSN|AUTH)/i

/** Whether a variable name looks like a secret (used to refuse secrets in `RunOptions.env` too). */
export const looksSecret = (name: string): boolean => SECRET_NAME.test(name)

/** CI services that set `CI=true` in every job, and the files that configure them. */
const CI_FILES: ReadonlyArray<readonly [string, string]> = [
  [".gitlab-ci.yml", "GitLab CI"],
  [".circleci/config.yml", "CircleCI"],
  [".travis.yml", "Travis CI"],
  ["bitbucket-pipelines.yml", "Bitbucket Pipelines"],
  [".buildkite", "Buildkite"],
  ["appveyor.yml", "AppVeyor"],
  [".appveyor.yml", "AppVeyor"],
  [".drone.yml", "Drone"],
  [".woodpecker.yml", "Woodpecker"],
  [".woodpecker", "Woodpecker"]
]

/**
 * The CI service whose configuration the repository around `cwd` holds (found from `cwd` up to the directory
 * with `.git`), when that service sets `CI=true` in its jobs — GitHub Actions (`.github/workflows/*.yml`),
 * GitLab, CircleCI, Travis, Bitbucket, Buildkite, AppVeyor, Drone, Woodpecker — else `null`.
 */
export const ciOf = (cwd: string): string | null => {
  for (let dir = cwd; ; dir = dirname(dir)) {
    try {
      if (readdirSync(join(dir, ".github", "workflows")).some((f) => /\.ya?ml$/.test(f))) return "GitHub Actions"
    } catch {
      // none here
    }
    for (const [file, name] of CI_FILES) if (existsSync(join(dir, file))) return name
    if (existsSync(join(dir, ".git")) || dirname(dir) === dir) return null
  }
}

/**
 * Builds the environment of a sandboxed command: allow-listed host variables, then fixed
 * values, then the caller's extras (which may not carry secret-looking names).
 *
 * Nothing that changes a repository's behaviour is forced: no colour variables (tools see a pipe
 * and decide as they would in a plain run), and `CI=true` only when `ci` is set (the repository's
 * CI sets it). `node` resolves to `nodeDir` first (default: the Node.js running Ratchet).
 */
export const scrubbedEnv = (options: {
  readonly host: NodeJS.ProcessEnv
  readonly network: boolean
  readonly home: string
  readonly tmp: string
  readonly extra?: Readonly<Record<string, string>>
  /** Set `CI=true` (the repository's CI does). Default `false`. */
  readonly ci?: boolean
  /** Directory of the `node` the repository asks for. Default: the one running Ratchet. */
  readonly nodeDir?: string
}): { env: Record<string, string>; refused: Array<string> } => {
  const env: Record<string, string> = {}
  const names: ReadonlyArray<string> = options.network ? [...ALLOWED, ...PROXY] : ALLOWED
  for (const name of names) {
    const value = options.host[name]
    if (value !== undefined) env[name] = value
  }
  // Repository commands run on the Node.js the repository asks for, else the one that runs Ratchet
  // (>= 22.19), ahead of whatever the host PATH has.
  const nodeDir = options.nodeDir ?? dirname(process.execPath)
  env.PATH = env.PATH ? `${nodeDir}${delimiter}${env.PATH}` : nodeDir
  env.HOME = options.home
  env.TMPDIR = options.tmp
  if (options.ci === true) env.CI = "true"
  env.NO_UPDATE_NOTIFIER = "1"
  env.npm_config_update_notifier = "false"
  env.npm_config_fund = "false"
  env.npm_config_audit = "false"
  const refused: Array<string> = []
  for (const [name, value] of Object.entries(options.extra ?? {})) {
    if (looksSecret(name)) {
      refused.push(name)
      continue
    }
    env[name] = value
  }
  return { env, refused }
}
