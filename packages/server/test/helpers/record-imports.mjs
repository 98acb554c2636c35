// Loaded with `node --import`: records every module specifier the process resolves, one per line, in
// $RATCHET_IMPORT_LOG (module.register runs the hook off the main thread, so it appends to the file).
import { register } from "node:module"

register("./record-imports-hook.mjs", import.meta.url, { data: { log: process.env.RATCHET_IMPORT_LOG } })
