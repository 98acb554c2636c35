/**
 * Text primitives the dataflow layer and the scanner share: identifier characters, whole-word
 * occurrences, and line numbers of offsets.
 */

const ID_CHAR = /[\p{ID_Continue}$\u200c\u200d]/u

/** Whether the code unit at `i` is an identifier character (`ID_CHAR`; ASCII answered without a regex). */
const isIdCharAt = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i)
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36
  return !Number.isNaN(c) && ID_CHAR.test(text[i]!)
}

/** Indices where `word` occurs in `text` not touching other identifier characters. */
export const wordOccurrences = (text: string, word: string): Array<number> => {
  const out: Array<number> = []
  if (word.length === 0) return out
  for (let i = text.indexOf(word); i !== -1; i = text.indexOf(word, i + 1)) {
    if ((i > 0 && isIdCharAt(text, i - 1)) || isIdCharAt(text, i + word.length)) continue
    out.push(i)
  }
  return out
}

/** Offsets where each line starts: `starts[i]` is where line `i + 1` begins. */
export const lineStarts = (text: string): Array<number> => {
  const starts = [0]
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1)
  return starts
}

/** The 1-based line of `offset`, by binary search over {@link lineStarts}. */
export const lineOfOffset = (starts: ReadonlyArray<number>, offset: number): number => {
  let lo = 0
  let hi = starts.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (starts[mid]! <= offset) lo = mid
    else hi = mid - 1
  }
  return lo + 1
}

/** A function from offsets to 1-based lines of `text` (line starts computed once). */
export const lineFinder = (text: string): ((offset: number) => number) => {
  const starts = lineStarts(text)
  return (offset) => lineOfOffset(starts, offset)
}
