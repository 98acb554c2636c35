/**
 * Environment scrubbing: repository code sees an allow-list, never Ratchet's secrets.
 *
 * @internal
 */
import { delimiter, dirname } from "node:path"

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

/**
 * Builds the environment of a sandboxed command: allow-listed host variables, then fixed
 * values, then the caller's extras (which may not carry secret-looking names).
 */
export const scrubbedEnv = (options: {
  readonly host: NodeJS.ProcessEnv
  readonly network: boolean
  readonly home: string
  readonly tmp: string
  readonly extra?: Readonly<Record<string, string>>
}): { env: Record<string, string>; refused: Array<string> } => {
  const env: Record<string, string> = {}
  const names: ReadonlyArray<string> = options.network ? [...ALLOWED, ...PROXY] : ALLOWED
  for (const name of names) {
    const value = options.host[name]
    if (value !== undefined) env[name] = value
  }
  // Repository commands run on the Node.js that runs Ratchet (>= 22.19), ahead of whatever the host PATH has.
  const nodeDir = dirname(process.execPath)
  env.PATH = env.PATH ? `${nodeDir}${delimiter}${env.PATH}` : nodeDir
  env.HOME = options.home
  env.TMPDIR = options.tmp
  env.CI = "true"
  env.NO_COLOR = "1"
  env.FORCE_COLOR = "0"
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
