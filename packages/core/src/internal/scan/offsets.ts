/**
 * Conversions between UTF-8 byte offsets (what `Opportunity.startByte/endByte` hold) and
 * JavaScript string indices (UTF-16 code units, what tree-sitter and regexes give here).
 * ASCII text, the common case, needs no conversion.
 */
import { Buffer } from "node:buffer"

export interface Offsets {
  readonly byteLength: number
  readonly toByte: (index: number) => number
  readonly toIndex: (byte: number) => number
  /** The text between two byte offsets. */
  readonly sliceBytes: (start: number, end: number) => string
}

export const offsetsOf = (text: string): Offsets => {
  if (!/[^\x00-\x7f]/.test(text)) {
    return { byteLength: text.length, toByte: (i) => i, toIndex: (b) => b, sliceBytes: (s, e) => text.slice(s, e) }
  }
  const buffer = Buffer.from(text, "utf8")
  return {
    byteLength: buffer.length,
    toByte: (i) => Buffer.byteLength(text.slice(0, i), "utf8"),
    toIndex: (b) => buffer.subarray(0, b).toString("utf8").length,
    sliceBytes: (s, e) => buffer.subarray(s, e).toString("utf8")
  }
}
