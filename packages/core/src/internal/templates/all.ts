/** The built-in templates, in plugin order. */
import { alternationSet } from "./alternationSet.js"
import { charSet } from "./charSet.js"
import { constantConstructor } from "./constantConstructor.js"
import { deadCode } from "./deadCode.js"
import { entriesUnused } from "./entriesUnused.js"
import { filterFirst } from "./filterFirst.js"
import { filterLength } from "./filterLength.js"
import { firstOfIterable } from "./firstOfIterable.js"
import { forOf } from "./forOf.js"
import { jsonHoist } from "./jsonHoist.js"
import { loopInvariant } from "./loopInvariant.js"
import { mapFilterFusion } from "./mapFilterFusion.js"
import { mapIndex } from "./mapIndex.js"
import { mapReduceFusion } from "./mapReduceFusion.js"
import { matchTest } from "./matchTest.js"
import { memoize } from "./memoize.js"
import { promiseAll } from "./promiseAll.js"
import { reduceSpread } from "./reduceSpread.js"
import { regexpHoist } from "./regexpHoist.js"
import { replaceAll } from "./replaceAll.js"
import { setMembership } from "./setMembership.js"
import { splitFirst } from "./splitFirst.js"
import { stringJoin } from "./stringJoin.js"
import type { Template } from "./template.js"

export const all: ReadonlyArray<Template> = [
  setMembership,
  loopInvariant,
  reduceSpread,
  constantConstructor,
  filterLength,
  filterFirst,
  firstOfIterable,
  splitFirst,
  entriesUnused,
  matchTest,
  replaceAll,
  alternationSet,
  charSet,
  jsonHoist,
  mapFilterFusion,
  mapReduceFusion,
  regexpHoist,
  mapIndex,
  stringJoin,
  promiseAll,
  memoize,
  forOf,
  deadCode
]
