// Seeded variants (TypeScript ESM module, JSDoc-documented exports): costly pure functions of one primitive.

/**
 * Ways to decode a digit string where "1" → A … "26" → Z.
 * @param digits only the characters 0-9
 */
export function decodings(digits: string): number { // expect: memoize
  if (digits.length === 0) return 1
  if (digits[0] === "0") return 0
  let ways = decodings(digits.slice(1))
  if (digits.length >= 2 && Number(digits.slice(0, 2)) <= 26) ways += decodings(digits.slice(2))
  return ways
}

/** The number of steps the Collatz sequence takes from `start` down to 1. */
export function collatzSteps(start: number): number { // expect: memoize
  let steps = 0
  for (let x = start; x > 1 && steps < start * 100; steps++) x = x % 2 === 0 ? x / 2 : 3 * x + 1
  return steps
}

/** Whether `word` can be split into the words "ab", "abc", "cd" (a toy word-break). */
export function breakable(word: string): boolean { // expect: memoize
  if (word === "") return true
  return (
    (word.startsWith("ab") && breakable(word.slice(2))) ||
    (word.startsWith("abc") && breakable(word.slice(3))) ||
    (word.startsWith("cd") && breakable(word.slice(2)))
  )
}
