// Seeded variants (ESM, arrow functions and JSDoc): text utilities scanning characters and building strings.

export function countPunctuation(text) {
  let n = 0
  for (const c of text.trim()) if (".,;:!?".includes(c)) n++ // expect: char-set
  return n
}

/**
 * @param {string} hex
 * @param {number} i
 */
export const isHexDigitAt = (hex, i) => "0123456789abcdefABCDEF".indexOf(hex[i]) >= 0 // expect: char-set

/** @param {string} line */
export function leadingSpace(line) {
  let n = 0
  // the literal has an escape (`\t`): its source text is not its characters
  while (n < line.length && " \t".includes(line[n])) n++ // unsafe: char-set
  return n
}

export function banner(title, width) {
  let rule = ""
  for (let i = 0; i < width; i++) rule += "=" // expect: string-join
  return `${rule}\n${title}\n${rule}`
}

export function hexDump(bytes) {
  let hex = ""
  for (const b of bytes) hex += b.toString(16).padStart(2, "0") + " " // expect: string-join
  return hex.trimEnd()
}

export const toQuery = (params) => {
  let q = "?"
  for (const [k, v] of Object.entries(params)) q += `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}&` // expect: string-join
  return q.slice(0, -1)
}

export function grid(rows, cols) {
  let out = ""
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out += (r + c) % 2 === 0 ? "#" : "." // expect: string-join
    out += "\n"
  }
  return out
}

export function replay(steps, onStep) {
  let log = ""
  for (const step of steps) {
    log += `${step.name}\n` // unsafe: string-join
    // a closure reads `log`: `onStep` may call it while the loop still runs
    onStep(() => log)
  }
  return log
}
