// Entry point of the real server process used by the process tests and the benchmark.
// Configured by environment: PORT, RATCHET_DATA, RATCHET_TOKEN, RATCHET_STAGES, DATABASE_URL, RATCHET_SCHEDULER.
import { NodeRuntime } from "@effect/platform-node"
import * as Server from "../../src/Server.js"

NodeRuntime.runMain(Server.serve({
  port: Number(process.env.PORT ?? 0),
  dataDir: process.env.RATCHET_DATA ?? ".ratchet",
  scheduler: process.env.RATCHET_SCHEDULER !== "0",
  onListen: ({ port }) => process.stdout.write(`${JSON.stringify({ msg: "ready", port })}\n`)
}))
