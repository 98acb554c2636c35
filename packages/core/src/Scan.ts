/**
 * Stage 3 — scan: find ranked improvement opportunities with tree-sitter and text rules.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { ScanResult } from "./Opportunity.js"
import type { Plugin } from "./Plugin.js"
import { notImplemented, type RatchetError } from "./RatchetError.js"

/** @since 0.1.0 */
export interface ScanOptions {
  readonly plugins?: ReadonlyArray<Plugin>
}

/**
 * Scans the repository at `root`.
 *
 * @since 0.1.0
 */
export const scan = (_root: string, _options: ScanOptions = {}): Effect.Effect<ScanResult, RatchetError> =>
  Effect.fail(notImplemented("scan"))
