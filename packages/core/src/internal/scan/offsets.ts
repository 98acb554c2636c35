/**
 * Conversions between UTF-8 byte offsets (what `Opportunity.startByte/endByte` hold) and
 * JavaScript string indices (UTF-16 code units, what tree-sitter and regexes give here).
 * ASCII text, the common case, needs no conversion; otherwise one pass records where the text
 * stops being one byte per code unit, and each conversion is a binary search over those places.
 */
import { Buffer } from "node:buffer"

export interface Offsets {
  readonly byteLength: number
  readonly toByte: (index: number) => number
  readonly toIndex: (byte: number) => number
  /** The text between two byte offsets. */
  readonly sliceBytes: (start: number, end: number) => string
}

/** UTF-8 bytes beyond the first for the code unit at `i` (surrogate pairs: 1 per unit; lone surrogates: 2, as U+FFFD). */
const extraBytesAt = (text: string, i: number): number => {
  const c = text.charCodeAt(i)
  if (c < 0x80) return 0
  if (c < 0x800) return 1
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = text.charCodeAt(i + 1)
    return d >= 0xdc00 && d <= 0xdfff ? 1 : 2
  }
  if (c >= 0xdc00 && c <= 0xdfff) {
    const b = i > 0 ? text.charCodeAt(i - 1) : 0
    return b >= 0xd800 && b <= 0xdbff ? 1 : 2
  }
  return 2
}

export const offsetsOf = (text: string): Offsets => {
  if (!/[^\x00-\x7f]/.test(text)) {
    return { byteLength: text.length, toByte: (i) => i, toIndex: (b) => b, sliceBytes: (s, e) => text.slice(s, e) }
  }
  // For each non-ASCII code unit: its index, and the extra bytes of all units before it.
  const at: Array<number> = []
  const extraBefore: Array<number> = []
  let extra = 0
  const nonAscii = /[^\x00-\x7f]/g
  for (let m = nonAscii.exec(text); m !== null; m = nonAscii.exec(text)) {
    at.push(m.index)
    extraBefore.push(extra)
    extra += extraBytesAt(text, m.index)
  }
  const byteLength = text.length + extra
  /** Number of recorded units with index < i. */
  const countBefore = (i: number): number => {
    let lo = 0
    let hi = at.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (at[mid]! < i) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  const toByte = (i: number): number => {
    const index = Math.max(0, Math.min(i, text.length))
    const k = countBefore(index)
    return index + (k === 0 ? 0 : extraBefore[k - 1]! + extraBytesAt(text, at[k - 1]!))
  }
  let buffer: Buffer | undefined
  return {
    byteLength,
    toByte,
    toIndex: (b) => {
      const byte = Math.max(0, Math.min(b, byteLength))
      // the last recorded unit starting before `byte`
      let lo = 0
      let hi = at.length
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (at[mid]! + extraBefore[mid]! < byte) lo = mid + 1
        else hi = mid
      }
      if (lo === 0) return byte
      const k = lo - 1
      const start = at[k]! + extraBefore[k]!
      const end = start + 1 + extraBytesAt(text, at[k]!)
      if (byte >= end) return byte - (extraBefore[k]! + end - start - 1)
      // Inside a multi-byte character: decoding that prefix ends in one U+FFFD for it. The second
      // half of a surrogate pair holds the pair's last two bytes; the pair starts one unit earlier.
      const c = text.charCodeAt(at[k]!)
      const pairTail = c >= 0xdc00 && c <= 0xdfff && extraBytesAt(text, at[k]!) === 1
      return pairTail ? at[k]! : at[k]! + 1
    },
    sliceBytes: (s, e) => (buffer ??= Buffer.from(text, "utf8")).subarray(s, e).toString("utf8")
  }
}
