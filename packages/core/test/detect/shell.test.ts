import { describe, expect, it } from "@effect/vitest"
import { categoryOf, categoryOfScript, classify, splitScript } from "../../src/internal/detect/shell.js"
import { unwatch } from "../../src/internal/detect/commands.js"

describe("Detect shell parsing", () => {
  it("splits run scripts on lines, continuations and operators, tracking cd", () => {
    const script = "npm ci\ncd web && npm run build \\\n  --prod\n# comment\nif [ -n \"$X\" ]; then npm test; fi\ncd ..\nnpx vitest run # trailing"
    expect(splitScript(script).map((c) => [c.text, c.lineOffset, c.cd])).toEqual([
      ["npm ci", 0, "."],
      ["npm run build    --prod", 1, "web"],
      ['if [ -n "$X" ]', 4, "web"],
      ["npm test", 4, "web"],
      ["npx vitest run", 6, "."]
    ])
  })

  it.each([
    ["npm ci", "install:npm"],
    ["npm install", "install:npm"],
    ["npm install -g pnpm", null],
    ["npm i lodash", null],
    ["yarn", "install:yarn"],
    ["yarn --immutable", "install:yarn"],
    ["pnpm i --frozen-lockfile", "install:pnpm"],
    ["bun install", "install:bun"],
    ["CI=true npm test -- --coverage", "script:npm:test"],
    ["npm run test:unit --workspace=a", "script:npm:test:unit"],
    ["pnpm --filter ./packages/core run build", "script:pnpm:build"],
    ["pnpm -r test", "script:pnpm:test"],
    ["yarn workspace @a/b test", "script:yarn:test"],
    ["yarn workspaces foreach -Apt run build", "script:yarn:build"],
    ["bun run test", "script:bun:test"],
    ["bun test", "tool:bun-test"],
    ["npx vitest run --coverage", "tool:vitest"],
    ["pnpm exec tsc --noEmit", "tool:tsc"],
    ["pnpm turbo run build test --filter=web", "script:turbo:build"],
    ["npx nx affected -t lint,test", "script:nx:lint"],
    ["xvfb-run -a npm test", "script:npm:test"],
    ["node --run test", "script:npm:test"],
    ["timeout 10m yarn test", "script:yarn:test"],
    ["echo hello", "tool:echo"],
    ["git status --porcelain", "tool:git"]
  ])("classifies %s", (text, expected) => {
    const c = classify(text)
    const got =
      c === null ? null : c.type === "install" ? `install:${c.pm}` : c.type === "script" ? `script:${c.pm}:${c.name}` : `tool:${c.tool}`
    expect(got).toBe(expected)
  })

  it.each([
    ["test", "test"],
    ["test:ci", "test"],
    ["test-unit", "test"],
    ["coverage", "test"],
    ["test:e2e", "e2e"],
    ["e2e", "e2e"],
    ["test:types", "typecheck"],
    ["typecheck", "typecheck"],
    ["check-types", "typecheck"],
    ["test:watch", "other"],
    ["test:lint", "lint"],
    ["build", "build"],
    ["build:watch", "other"],
    ["bench", "bench"],
    ["benchmark:run", "bench"],
    ["dev", "other"]
  ])("categorises script %s as %s", (name, category) => {
    expect(categoryOfScript(name)).toBe(category)
  })

  it("categorises direct tools", () => {
    expect(categoryOf(classify("npx tsc --noEmit -p .")!)).toBe("typecheck")
    expect(categoryOf(classify("npx tsc -b")!)).toBe("build")
    expect(categoryOf(classify("npx vitest bench --run")!)).toBe("bench")
    expect(categoryOf(classify("npx playwright test")!)).toBe("e2e")
    expect(categoryOf(classify("node --test test/")!)).toBe("test")
  })

  it("turns watch-mode invocations into non-interactive ones", () => {
    expect(unwatch(["vitest"])).toEqual(["vitest", "run"])
    expect(unwatch(["vitest", "--coverage"])).toEqual(["vitest", "run", "--coverage"])
    expect(unwatch(["vitest", "watch", "src"])).toEqual(["vitest", "run", "src"])
    expect(unwatch(["vitest", "run"])).toBeNull()
    expect(unwatch(["vitest", "--run"])).toBeNull()
    expect(unwatch(["jest", "--watchAll", "--ci"])).toEqual(["jest", "--ci"])
    expect(unwatch(["jest"])).toBeNull()
    expect(unwatch(["react-scripts", "test"])).toEqual(["react-scripts", "test", "--watchAll=false"])
    expect(unwatch(["mocha", "-w"])).toEqual(["mocha"])
    expect(unwatch(["node", "--test", "--watch"])).toEqual(["node", "--test"])
  })
})
