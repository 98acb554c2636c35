import { appendFileSync } from "node:fs"

let log

export const initialize = (data) => {
  log = data?.log
}

export const resolve = async (specifier, context, next) => {
  if (log) appendFileSync(log, `${specifier}\n`)
  return next(specifier, context)
}
