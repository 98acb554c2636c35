/** The built-in templates, in plugin order. */
import { deadCode } from "./deadCode.js"
import { forOf } from "./forOf.js"
import { jsonHoist } from "./jsonHoist.js"
import { loopInvariant } from "./loopInvariant.js"
import { mapFilterFusion } from "./mapFilterFusion.js"
import { mapIndex } from "./mapIndex.js"
import { memoize } from "./memoize.js"
import { promiseAll } from "./promiseAll.js"
import { regexpHoist } from "./regexpHoist.js"
import { setMembership } from "./setMembership.js"
import type { Template } from "./template.js"
import { stringJoin } from "./stringJoin.js"

export const all: ReadonlyArray<Template> = [setMembership, loopInvariant, jsonHoist, mapFilterFusion, regexpHoist, mapIndex, stringJoin, promiseAll, memoize, forOf, deadCode]
