/**
 * The shape of a built-in template: a cheap text gate, a `find` over a parsed file, and findings
 * that know how to rewrite themselves.
 */
import type { Edit } from "../../Patchgen.js"
import type { Risk } from "../../Opportunity.js"
import type { FileInfo } from "../dataflow/fileInfo.js"

/** What a template found: the anchor range, why, and how to rewrite it (computed lazily). */
export interface Finding {
  readonly node: { readonly startIndex: number; readonly endIndex: number; readonly startPosition: { row: number }; readonly endPosition: { row: number } }
  readonly rationale: string
  readonly benefit: number
  readonly risk: Risk
  readonly confidence: number
  readonly edits: () => ReadonlyArray<Edit> | null
}

/** A template: finds safe opportunities in a parsed file and knows how to rewrite them. */
export interface Template {
  readonly id: string
  readonly kind: "performance" | "tech-debt"
  readonly title: string
  /** What the rewrite does and when it is safe (copied into the candidate's explanation). */
  readonly explanation: string
  /** Cheap text test: `false` means the template cannot fire on this file. */
  readonly prefilter: (text: string) => boolean
  readonly find: (file: FileInfo) => ReadonlyArray<Finding>
}
