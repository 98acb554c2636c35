// Seeded variants (ESM, arrow functions and JSDoc): unused helpers in a small client module.
const DEFAULT_TIMEOUT_MS = 5000 // expect: dead-code

const RETRY = { attempts: 3, backoff: [100, 200, 400], jitter: true } // expect: dead-code

/**
 * @param {string} message
 */
const debugLog = (message) => { // expect: dead-code
  if (process.env.DEBUG) console.error(message)
}

export const buildUrl = (base, path) => (base.endsWith("/") ? base + path : `${base}/${path}`)

async function* pages(url) { // expect: dead-code
  for (let page = 1; ; page++) yield `${url}?page=${page}`
}

export function headersFor(token) {
  return token ? { authorization: `Bearer ${token}` } : {}
}

let requestCount = 0 // expect: dead-code

// a `let` bound to a call: the call may be what the module is imported for
let started = Date.now() // unsafe: dead-code
