/**
 * Byte ↔ string-index conversions against Node's own UTF-8 encoder and decoder, on arbitrary text:
 * ASCII, multi-byte characters, surrogate pairs and lone surrogates (encoded as U+FFFD).
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Buffer } from "node:buffer"
import { offsetsOf } from "../../src/internal/scan/offsets.js"

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff
const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.array(fc.constantFrom("a", "é", "€", "😀", "\ud800", "\udc00", "\n"), { maxLength: 30 }).map((xs) => xs.join(""))
)

describe("offsetsOf", () => {
  it("agrees with Buffer on byte length, index → byte and byte → index", () => {
    fc.assert(
      fc.property(text, (t) => {
        const o = offsetsOf(t)
        const buffer = Buffer.from(t, "utf8")
        expect(o.byteLength).toBe(buffer.length)
        for (let i = 0; i <= t.length; i++) {
          // between the halves of a pair is not a character boundary
          if (i > 0 && isHighSurrogate(t.charCodeAt(i - 1)) && i < t.length && !isHighSurrogate(t.charCodeAt(i)) && t.charCodeAt(i) >= 0xdc00 && t.charCodeAt(i) <= 0xdfff) continue
          expect(o.toByte(i)).toBe(Buffer.byteLength(t.slice(0, i), "utf8"))
        }
        for (let b = 0; b <= buffer.length; b++) expect(o.toIndex(b)).toBe(buffer.subarray(0, b).toString("utf8").length)
        expect(o.sliceBytes(0, buffer.length)).toBe(buffer.toString("utf8"))
      }),
      { numRuns: 300 }
    )
  })

  it("round-trips indices across a large non-ASCII text", () => {
    const t = `${"é".repeat(1000)}\n`.repeat(500)
    const o = offsetsOf(t)
    let sum = 0
    for (let i = 0; i < t.length; i += 97) sum += o.toIndex(o.toByte(i)) - i
    expect(sum).toBe(0)
  })
})
