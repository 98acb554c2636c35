/**
 * Loading a run's config at its commit. The config is the file committed at the run's commit,
 * read from a checkout of that commit. When the repository is a local directory holding the same
 * file (byte for byte), it is imported from there instead, so that its package imports
 * (`import { defineConfig } from "@ratchet/core"`) resolve against the repository's installed
 * dependencies; a working-tree config that differs from the committed one is ignored, with a
 * warning that says so.
 *
 * @internal
 */
import { existsSync, readFileSync } from "node:fs"
import { join, relative, resolve } from "node:path"
import { Effect } from "effect"
import { findConfigFile, loadConfig, loadConfigInSandbox, type ResolvedConfig } from "../../Config.js"
import type { RatchetError } from "../../RatchetError.js"
import type { Sandbox } from "../../Sandbox.js"

const same = (a: string, b: string): boolean => {
  try {
    return readFileSync(a).equals(readFileSync(b))
  } catch {
    return false
  }
}

/** Loads the config for a checkout of `commit` of `source` (`null` when the source is not a local directory). */
export const loadAt = (args: {
  readonly source: string | null
  readonly checkout: string
  readonly commit: string | null
  /** An explicit config file (absolute), loaded as is. */
  readonly explicit: string | null
}): Effect.Effect<{ readonly config: ResolvedConfig; readonly warnings: ReadonlyArray<string> }, RatchetError> =>
  Effect.gen(function* () {
    if (args.explicit !== null) return { config: yield* loadConfig(args.checkout, resolve(args.explicit)), warnings: [] }
    const at = args.commit === null ? "the checkout" : `commit ${args.commit.slice(0, 12)}`
    const committed = findConfigFile(args.checkout)
    const local = args.source === null ? null : findConfigFile(args.source)
    if (committed === null) {
      const warnings = local === null ? [] : [`${local} is not in ${at}: the run uses no config; commit it (or pass --config) to use it`]
      return { config: { plugins: [], file: null }, warnings }
    }
    const inSource = args.source === null ? null : join(args.source, relative(args.checkout, committed))
    if (inSource !== null && existsSync(inSource) && same(inSource, committed)) {
      return { config: yield* loadConfig(args.source ?? args.checkout, inSource), warnings: [] }
    }
    const warnings = local === null ? [] : [`${local} differs from the one in ${at}: the run uses the committed one; commit your changes (or pass --config) to use them`]
    return { config: yield* loadConfig(args.checkout, committed), warnings }
  })

/**
 * Loads the config committed at the run's commit as data, by evaluating it in the sandbox (see
 * `Config.loadConfigInSandbox`): never the working tree's copy, never in this process. Code plugins
 * that did not run come back as warnings.
 */
export const loadInSandbox = (args: {
  readonly checkout: string
  /** An explicit config file: it must lie inside the checkout. */
  readonly explicit: string | null
}): Effect.Effect<{ readonly config: ResolvedConfig; readonly warnings: ReadonlyArray<string> }, RatchetError, Sandbox> =>
  loadConfigInSandbox(args.checkout, args.explicit === null ? undefined : resolve(args.checkout, args.explicit))
