"use strict"
// Seeded variants (CommonJS with JSDoc types): constant bodies written by request handlers.
const NOT_FOUND = { error: "not found", status: 404 }

/** @param {import("node:http").ServerResponse} res */
function notFound(res) {
  res.statusCode = NOT_FOUND.status
  res.end(JSON.stringify(NOT_FOUND)) // expect: json-hoist
}

const EMPTY_LIST = []

/** @param {Array<{ write(chunk: string): void }>} sinks */
function flushAll(sinks) {
  for (const sink of sinks) sink.write(JSON.stringify(EMPTY_LIST)) // expect: json-hoist
}

/** @param {Array<{ id: number }>} jobs */
function cancelMessages(jobs) {
  const body = { action: "cancel", reason: "shutdown" }
  return jobs.map((job) => `${job.id} ${JSON.stringify(body)}`) // expect: json-hoist
}

const SETTINGS = { theme: "dark", fontSize: 14 }

function settingsText() {
  // a replacer function runs code on every call: its output need not be the same each time
  return JSON.stringify(SETTINGS, (key, value) => (typeof value === "number" ? `${value}px` : value)) // unsafe: json-hoist
}

const POST_TEMPLATE = { title: "", tags: [] }

/** @param {string} title */
function draft(title) {
  // the shallow copy shares `tags`: pushing to it changes what `POST_TEMPLATE` serialises to
  const post = Object.assign({}, POST_TEMPLATE, { title })
  post.tags.push("draft")
  return JSON.stringify(POST_TEMPLATE) // unsafe: json-hoist
}

module.exports = { notFound, flushAll, cancelMessages, settingsText, draft }
