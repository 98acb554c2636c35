// Seeded variants (TypeScript, module-level functions): pure recursive or looping functions of one primitive.

export function fibonacci(n: number): number { // expect: memoize
  if (n < 2) return n
  return fibonacci(n - 1) + fibonacci(n - 2)
}

// ways to climb `steps` stairs taking 1, 2 or 3 at a time
export function climbs(steps: number): number { // expect: memoize
  if (steps < 0) return 0
  if (steps === 0) return 1
  return climbs(steps - 1) + climbs(steps - 2) + climbs(steps - 3)
}

export function isPrime(n: number): boolean { // expect: memoize
  if (n < 2 || !Number.isInteger(n)) return false
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false
  return true
}

export function divisorSum(n: number): number { // expect: memoize
  let sum = 0
  for (let i = 1; i <= Math.floor(n / 2); i++) {
    if (n % i === 0) sum += i
  }
  return sum
}

// number of palindromic substrings, counted by trimming either end
export function palindromes(s: string): number { // expect: memoize
  if (s.length < 2) return s.length
  const whole = s === s.split("").reverse().join("") ? 1 : 0
  return whole + palindromes(s.slice(1)) + palindromes(s.slice(0, -1)) - palindromes(s.slice(1, -1))
}

export function lucas(n: bigint): bigint { // expect: memoize
  if (n === 0n) return 2n
  if (n === 1n) return 1n
  return lucas(n - 1n) + lucas(n - 2n)
}

export function gridPaths(size: number): number { // expect: memoize
  let count = 0
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) count += (row + col) % 2
  }
  return count
}

let penalty = 1
export function setPenalty(value: number): void {
  penalty = value
}

// reads module state that `setPenalty` changes: a cached result could be stale
export function cost(n: number): number { // unsafe: memoize
  if (n < 2) return penalty
  return cost(n - 1) + cost(n - 2)
}

// not deterministic
export function jitter(n: number): number { // unsafe: memoize
  if (n < 1) return Math.random()
  return jitter(n - 1) + jitter(n - 2)
}

// the result is an array: a caller could mutate the cached value
export function rowOf(n: number): Array<number> { // unsafe: memoize
  const row: Array<number> = []
  for (let i = 0; i <= n; i++) row.push(i * i)
  return row
}
