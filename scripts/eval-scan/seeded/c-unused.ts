// Seeded variants (TypeScript module): module-level declarations left behind by refactors.
export interface Point {
  readonly x: number
  readonly y: number
}

interface LegacyOptions { // expect: dead-code
  readonly precision: number
  readonly rounding: "up" | "down"
}

type Quadrant = 1 | 2 | 3 | 4 // expect: dead-code

const EPSILON = 1e-9

const DEFAULT_ORIGIN: Point = { x: 0, y: 0 } // expect: dead-code

/** Distance in the old (Manhattan) metric, replaced by `distance`. */
function manhattan(a: Point, b: Point): number { // expect: dead-code
  return Math.abs(a.x - b.x) + Math.abs(a.y - b.y)
}

export function distance(a: Point, b: Point): number {
  const d = Math.hypot(a.x - b.x, a.y - b.y)
  return d < EPSILON ? 0 : d
}

class PointCache { // expect: dead-code
  private readonly seen = new Map<string, Point>()

  get(key: string): Point | undefined {
    return this.seen.get(key)
  }
}

const formatPoint = (p: Point): string => `(${p.x}, ${p.y})` // expect: dead-code

export const same = (a: Point, b: Point): boolean => distance(a, b) === 0

// its initializer calls a function, which may have effects (registration, logging): removing it could change behaviour
const registered = register("point") // unsafe: dead-code

function register(name: string): string {
  console.log(`registered ${name}`)
  return name
}

// a static block runs when the class is evaluated
class Registry { // unsafe: dead-code
  static {
    register("registry")
  }
}
