import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { commentLines, mentioning, normalizeName } from "../src/search.ts"

describe("commentLines", () => {
  it("finds # and // comments with indentation", () => {
    assert.deepEqual(commentLines(["# a", "code", "  // b", "x // not at start", "\t#c"]), ["# a", "  // b", "\t#c"])
  })

  it("returns nothing for no lines", () => {
    assert.deepEqual(commentLines([]), [])
  })
})

describe("normalizeName", () => {
  it("lower-cases, strips punctuation and squeezes spaces", () => {
    assert.equal(normalizeName("  Super-Deluxe   Widget!! "), "super deluxe widget")
  })
})

describe("mentioning", () => {
  it("matches whole words, ignoring case", () => {
    assert.deepEqual(mentioning(["The cat sat", "concatenate", "CAT!", "dog"], "cat"), ["The cat sat", "CAT!"])
  })

  it("returns nothing for no lines, even for a word that is not a valid pattern", () => {
    assert.deepEqual(mentioning([], "("), [])
  })
})
