import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const findVersion = (): string => {
  // Works from src/cli/ (tests) and from the bundled dist/ (published bin).
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string }
      if (pkg.name === "@ratchet/server" && pkg.version) return pkg.version
    } catch {
      // keep looking upward
    }
    dir = dirname(dir)
  }
  return "0.0.0"
}

/** The version of `@ratchet/server`, read from its package.json. */
export const VERSION: string = findVersion()
