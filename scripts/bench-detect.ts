/**
 * `npm run bench:detect` — time `Detect.detect` on a generated 500-package monorepo
 * (target: under 1 s) against the floor: reading every file of the same tree once.
 *
 * The monorepo: npm workspaces with a lockfile, turbo, a CI workflow with a composite
 * action, and 500 packages each with a package.json (framework dependencies, scripts),
 * a tsconfig, a README and a few source files.
 *
 * Options: --packages N (default 500), --runs N (default 7).
 */
import * as fs from "node:fs"
import { registerHooks } from "node:module"
import * as os from "node:os"
import * as path from "node:path"

// Node runs the TypeScript sources directly; map their NodeNext ".js" specifiers to the ".ts" files.
registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context)
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && specifier.endsWith(".js")) {
        return next(`${specifier.slice(0, -3)}.ts`, context)
      }
      throw error
    }
  }
})

const Detect = (await import("../packages/core/src/Detect.ts")) as typeof import("../packages/core/src/Detect.ts")
const { Effect } = await import("effect")

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i !== -1 ? Number(process.argv[i + 1]) : fallback
}
const PACKAGES = arg("packages", 500)
const RUNS = arg("runs", 7)

const FRAMEWORK_DEPS: ReadonlyArray<Record<string, string>> = [
  { express: "^4.21.0" },
  { fastify: "^5.1.0" },
  { react: "^19.0.0", vite: "^6.0.0" },
  { next: "^15.1.0", react: "^19.0.0" },
  { hono: "^4.6.0" },
  { vue: "^3.5.0" },
  {}
]

const generate = (root: string): number => {
  let files = 0
  const write = (rel: string, content: string) => {
    const file = path.join(root, rel)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, content)
    files++
  }
  write("package.json", JSON.stringify({ name: "mono", private: true, workspaces: ["packages/*"], scripts: { build: "turbo run build", test: "turbo run test", typecheck: "turbo run typecheck" }, devDependencies: { turbo: "^2.3.0", typescript: "^5.7.0" } }, null, 2))
  write("package-lock.json", JSON.stringify({ name: "mono", lockfileVersion: 3, packages: {} }, null, 2))
  write("turbo.json", JSON.stringify({ tasks: { build: {}, test: {}, typecheck: {} } }))
  write(".github/actions/setup/action.yml", "name: setup\nruns:\n  using: composite\n  steps:\n    - run: npm ci\n      shell: bash\n")
  write(".github/workflows/ci.yml", "name: CI\non: [pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        node: [20, 22]\n    steps:\n      - uses: actions/checkout@v4\n      - uses: ./.github/actions/setup\n      - run: |\n          npm run build\n          npm test\n")
  for (let i = 0; i < PACKAGES; i++) {
    const dir = `packages/pkg-${String(i).padStart(3, "0")}`
    const deps = FRAMEWORK_DEPS[i % FRAMEWORK_DEPS.length]
    write(`${dir}/package.json`, JSON.stringify({ name: `@mono/pkg-${i}`, version: "1.0.0", scripts: { build: "tsc -b", test: "vitest run", typecheck: "tsc --noEmit" }, dependencies: deps, devDependencies: { vitest: "^2.1.0" } }, null, 2))
    write(`${dir}/tsconfig.json`, JSON.stringify({ extends: "../../tsconfig.base.json", include: ["src"] }))
    write(`${dir}/README.md`, `# pkg-${i}\n\n${"Lorem ipsum dolor sit amet. ".repeat(20)}\n`)
    for (let f = 0; f < 3; f++) write(`${dir}/src/file${f}.ts`, `export const value${f} = ${i * f}\n`.repeat(40))
    write(`${dir}/test/file.test.ts`, `import { expect, it } from "vitest"\nit("works", () => expect(${i}).toBe(${i}))\n`)
  }
  return files
}

/** The floor: walk the tree and read every file once. */
const readAll = (root: string): number => {
  let bytes = 0
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.isFile()) bytes += fs.readFileSync(full).length
    }
  }
  walk(root)
  return bytes
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), "ratchet-bench-detect-"))
try {
  const files = generate(root)
  // Warm up both (JIT, module loading, OS page cache).
  readAll(root)
  const warm = await Effect.runPromise(Detect.detect(root))
  const detectMs: Array<number> = []
  const floorMs: Array<number> = []
  for (let r = 0; r < RUNS; r++) {
    let t = performance.now()
    readAll(root)
    floorMs.push(performance.now() - t)
    t = performance.now()
    await Effect.runPromise(Detect.detect(root))
    detectMs.push(performance.now() - t)
  }
  const d = median(detectMs)
  const f = median(floorMs)
  console.log(`bench:detect — ${PACKAGES}-package monorepo, ${files} files, median of ${RUNS} runs`)
  console.log(`  detect:           ${d.toFixed(1)} ms  (target < 1000 ms: ${d < 1000 ? "met" : "NOT met"})`)
  console.log(`  floor (read all): ${f.toFixed(1)} ms`)
  console.log(`  ratio detect/floor: ${(d / f).toFixed(2)}x`)
  console.log(`  profile: ${warm.packageManager.name}, ${warm.frameworks.map((x) => x.name).join(", ")}; test: ${warm.commands.test?.command}; warnings: ${warm.warnings.length}`)
} finally {
  fs.rmSync(root, { recursive: true, force: true })
}
