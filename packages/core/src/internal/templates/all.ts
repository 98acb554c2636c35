/** The built-in templates, in plugin order. */
import { regexpHoist } from "./regexpHoist.js"
import type { Template } from "./shared.js"

export const all: ReadonlyArray<Template> = [regexpHoist]
