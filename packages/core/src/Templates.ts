/**
 * The built-in safe templates (SPEC §4): each is a plugin with a `scan` hook that reports
 * opportunities and a `patchgen` hook that turns one into a candidate patch.
 *
 * @since 0.1.0
 */
import type { Plugin } from "./Plugin.js"

/**
 * The built-in template plugins.
 *
 * @since 0.1.0
 */
export const builtin = (): ReadonlyArray<Plugin> => []
