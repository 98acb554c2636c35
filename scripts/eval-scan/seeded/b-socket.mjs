// Seeded variants (ESM, arrow functions and callbacks): constant messages sent over a socket.
const PING = { type: "ping" }

export const heartbeat = (socket) => setInterval(() => socket.send(JSON.stringify(PING)), 30_000) // expect: json-hoist

const ACK = { ok: true, code: 0 }

export function ackAll(messages, send) {
  messages.forEach((m) => send(m.id, JSON.stringify(ACK))) // expect: json-hoist
}

export function subscribeAll(channels, socket) {
  const request = { op: "subscribe", depth: 10 }
  for (const channel of channels) socket.send(channel + JSON.stringify(request)) // expect: json-hoist
}

// exported: an importer may mutate it, so its JSON can change between calls
export const DEFAULT_CONFIG = { port: 8080, host: "localhost" }

export function configText() {
  return JSON.stringify(DEFAULT_CONFIG) // unsafe: json-hoist
}
