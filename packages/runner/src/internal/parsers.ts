/**
 * Parsers for test runners' machine-readable reports and plain summary lines.
 *
 * @internal
 */
import type { TestSummary } from "@ratchet/core"

type Outcome = TestSummary.TestOutcome
type Status = Outcome["status"]

export interface Parsed {
  readonly passed: number
  readonly failed: number
  readonly skipped: number
  readonly tests: ReadonlyArray<Outcome>
}

const count = (tests: ReadonlyArray<Outcome>): Parsed => ({
  passed: tests.filter((t) => t.status === "passed").length,
  failed: tests.filter((t) => t.status === "failed").length,
  skipped: tests.filter((t) => t.status === "skipped").length,
  tests
})

const jestStatus = (status: unknown): Status =>
  status === "passed" ? "passed" : status === "failed" ? "failed" : "skipped"

/** Jest's `--json` output; vitest's `json` reporter writes the same shape. */
export const parseJestJson = (text: string): Parsed | null => {
  let data: {
    testResults?: Array<{
      name?: string
      testFilePath?: string
      status?: string
      message?: string
      assertionResults?: Array<{ fullName?: string; title?: string; ancestorTitles?: Array<string>; status?: string; duration?: number | null }>
    }>
    numFailedTestSuites?: number
  }
  try {
    data = JSON.parse(text)
  } catch {
    return null
  }
  if (!data || !Array.isArray(data.testResults)) return null
  const tests: Array<Outcome> = []
  for (const file of data.testResults) {
    const path = file.name ?? file.testFilePath
    const assertions = file.assertionResults ?? []
    for (const a of assertions) {
      const name = a.fullName ?? [...(a.ancestorTitles ?? []), a.title ?? ""].filter((s) => s.length > 0).join(" > ")
      tests.push({
        name,
        ...(path ? { file: path } : {}),
        status: jestStatus(a.status),
        ...(typeof a.duration === "number" ? { durationMs: a.duration } : {})
      })
    }
    // a file that failed to load (syntax error, missing import) has no assertions but is a failure
    if (assertions.length === 0 && file.status === "failed") {
      tests.push({ name: `${path ?? "test file"} (failed to run)`, ...(path ? { file: path } : {}), status: "failed" })
    }
  }
  return count(tests)
}

/** Mocha's `json` reporter. Accepts text with noise around the JSON document. */
export const parseMochaJson = (text: string): Parsed | null => {
  const start = text.search(/^\{\s*$/m) >= 0 ? text.search(/^\{\s*$/m) : text.indexOf("{")
  if (start < 0) return null
  let data: {
    stats?: unknown
    tests?: Array<{ fullTitle?: string; title?: string; file?: string; duration?: number; err?: Record<string, unknown> }>
    pending?: Array<{ fullTitle?: string }>
    failures?: Array<{ fullTitle?: string }>
  }
  try {
    data = JSON.parse(text.slice(start, text.lastIndexOf("}") + 1))
  } catch {
    return null
  }
  if (!data || typeof data.stats !== "object" || !Array.isArray(data.tests)) return null
  const pending = new Set((data.pending ?? []).map((t) => t.fullTitle))
  const failures = new Set((data.failures ?? []).map((t) => t.fullTitle))
  const tests: Array<Outcome> = data.tests.map((t) => {
    const name = t.fullTitle ?? t.title ?? "?"
    const failed = failures.has(name) || (t.err !== undefined && Object.keys(t.err).length > 0)
    const status: Status = pending.has(name) ? "skipped" : failed ? "failed" : "passed"
    return { name, ...(t.file ? { file: t.file } : {}), status, ...(typeof t.duration === "number" ? { durationMs: t.duration } : {}) }
  })
  // hook failures ("before all" hook) appear only in failures
  for (const f of data.failures ?? []) {
    if (f.fullTitle && !tests.some((t) => t.name === f.fullTitle)) tests.push({ name: f.fullTitle, status: "failed" })
  }
  return count(tests)
}

/**
 * TAP 13/14 (node:test's `tap` reporter, ava `--tap`, tape): test points; a point with nested points
 * is a suite and is not counted; `# SKIP` / `# TODO` directives count as skipped. Without
 * `# Subtest:` headers (tape), a top-level `# name` comment names the test its assertions belong to.
 */
export const parseTap = (text: string): Parsed | null => {
  const lines = text.split(/\r?\n/)
  const point = /^(\s*)(not ok|ok)\b(?:\s+\d+)?(?:\s*-)?\s*(.*)$/
  const subtest = /^(\s*)# Subtest: (.*)$/
  const tests: Array<Outcome> = []
  let sawTap = false
  const names: Array<{ indent: number; name: string }> = []
  // children are reported before their parent, so a point is a suite when the point just before it is deeper
  let previousIndent = -1
  const nested = lines.some((l) => subtest.test(l))
  const group = /^# (?!(?:tests|pass|fail|skip|todo|ok|not ok|suites|cancelled|duration_ms)\b)(.+)$/
  let groupName: string | null = null
  for (const line of lines) {
    if (!nested) {
      const g = group.exec(line)
      if (g) {
        groupName = g[1].trim()
        continue
      }
    }
    const sub = subtest.exec(line)
    if (sub) {
      const indent = sub[1].length
      while (names.length > 0 && names[names.length - 1].indent >= indent) names.pop()
      names.push({ indent, name: sub[2].trim() })
      continue
    }
    const m = point.exec(line)
    if (!m) continue
    sawTap = true
    const indent = m[1].length
    const isSuite = previousIndent > indent
    previousIndent = indent
    while (names.length > 0 && names[names.length - 1].indent > indent) names.pop()
    if (isSuite) continue
    let rest = m[3] ?? ""
    let directive: string | null = null
    const hash = rest.search(/(^|\s)#\s*(SKIP|TODO)\b/i)
    if (hash >= 0) {
      directive = /#\s*(SKIP|TODO)/i.exec(rest.slice(hash))?.[1]?.toUpperCase() ?? null
      rest = rest.slice(0, hash)
    }
    const own = rest.trim().replace(/\\#/g, "#")
    const ancestors = names.filter((n) => n.indent < indent).map((n) => n.name)
    if (!nested && groupName !== null && indent === 0) ancestors.unshift(groupName)
    const name = [...ancestors, own].filter((s) => s.length > 0).join(" > ")
    const status: Status = directive !== null ? "skipped" : m[2] === "ok" ? "passed" : "failed"
    tests.push({ name, status })
  }
  if (!sawTap) return null
  return count(tests)
}

const attr = (tag: string, name: string): string | undefined => {
  const m = new RegExp(`\\b${name}="([^"]*)"`).exec(tag)
  return m ? m[1].replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&") : undefined
}

/** JUnit XML (bun `--reporter=junit`, node:test `junit`). */
export const parseJunit = (text: string): Parsed | null => {
  if (!/<testsuites?\b/.test(text)) return null
  const tests: Array<Outcome> = []
  const re = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const tag = m[1]
    const body = m[3] ?? ""
    const name = attr(tag, "name") ?? "?"
    const classname = attr(tag, "classname")
    const file = attr(tag, "file")
    const time = attr(tag, "time")
    const status: Status = /<(failure|error)\b/.test(body) ? "failed" : /<skipped\b/.test(body) ? "skipped" : "passed"
    tests.push({
      name: classname && classname !== name ? `${classname} > ${name}` : name,
      ...(file ? { file } : {}),
      status,
      ...(time !== undefined && !Number.isNaN(Number(time)) ? { durationMs: Number(time) * 1000 } : {})
    })
  }
  return count(tests)
}

const sum = (text: string, re: RegExp): number | null => {
  let total: number | null = null
  for (const m of text.matchAll(re)) total = (total ?? 0) + Number(m[1])
  return total
}

const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "")

/**
 * Names of failed tests from runners' human output, when no machine-readable report was available:
 * vitest's ` FAIL  file > suite > name` lines, jest's `● suite › name` headings, node:test's `✖ name`
 * lines in its failure list, TAP's `not ok N - name`. Deduplicated, in order.
 */
export const failingNames = (raw: string): Array<string> => {
  const text = stripAnsi(raw)
  const out = new Set<string>()
  for (const m of text.matchAll(/^\s*FAIL\s+(\S[^\n]*?\s>\s[^\n]+?)\s*(?:\[[^\]]*\])?\s*$/gm)) out.add(m[1].trim())
  if (out.size === 0) for (const m of text.matchAll(/^\s*●\s+(?!Console\b)(\S[^\n]*?›[^\n]*?)\s*$/gm)) out.add(m[1].replace(/\s+›\s+/g, " > ").trim())
  if (out.size === 0) {
    const failures = /^✖ failing tests:\s*$/m.exec(text)
    if (failures) for (const m of text.slice(failures.index).matchAll(/^\s*✖\s+(\S[^\n]*?)\s+\([\d.]+m?s\)\s*$/gm)) out.add(m[1].trim())
  }
  if (out.size === 0) for (const m of text.matchAll(/^\s*not ok \d+\s*-?\s*(\S[^\n#]*?)\s*(?:#(?!\s*(?:SKIP|TODO))[^\n]*)?$/gim)) out.add(m[1].trim())
  return [...out]
}

/**
 * Counts from the plain summary lines runners print (no per-test outcomes). Sums repeated summaries
 * (e.g. one per workspace package). Returns `null` when no known summary is present.
 */
export const parseSummary = (raw: string): (Parsed & { runner: string }) | null => {
  const text = stripAnsi(raw)
  // vitest: " Tests  3 failed | 12 passed | 1 skipped (16)"
  const vitestLines = [...text.matchAll(/^\s*Tests\s{2,}(.+?)\s*\(\d+\)\s*$/gm)]
  if (vitestLines.length > 0) {
    let passed = 0, failed = 0, skipped = 0
    for (const line of vitestLines) {
      for (const part of line[1].matchAll(/(\d+)\s+(passed|failed|skipped|todo)/g)) {
        const n = Number(part[1])
        if (part[2] === "passed") passed += n
        else if (part[2] === "failed") failed += n
        else skipped += n
      }
    }
    return { runner: "vitest", passed, failed, skipped, tests: [] }
  }
  // jest: "Tests:       1 failed, 1 skipped, 3 passed, 5 total"
  const jestLines = [...text.matchAll(/^Tests:\s+(.+total)\s*$/gm)]
  if (jestLines.length > 0) {
    let passed = 0, failed = 0, skipped = 0
    for (const line of jestLines) {
      for (const part of line[1].matchAll(/(\d+)\s+(passed|failed|skipped|todo|pending)/g)) {
        const n = Number(part[1])
        if (part[2] === "passed") passed += n
        else if (part[2] === "failed") failed += n
        else skipped += n
      }
    }
    return { runner: "jest", passed, failed, skipped, tests: [] }
  }
  // node:test spec ("ℹ pass 3") or TAP ("# pass 3")
  const nodePass = sum(text, /^(?:ℹ|#) pass (\d+)\s*$/gm)
  if (nodePass !== null) {
    return {
      runner: "node:test",
      passed: nodePass,
      failed: sum(text, /^(?:ℹ|#) fail (\d+)\s*$/gm) ?? 0,
      skipped: (sum(text, /^(?:ℹ|#) skipped (\d+)\s*$/gm) ?? 0) + (sum(text, /^(?:ℹ|#) todo (\d+)\s*$/gm) ?? 0),
      tests: []
    }
  }
  // mocha: "  3 passing (12ms)", "  1 failing", "  2 pending"
  const mochaPass = sum(text, /^\s*(\d+) passing\b/gm)
  if (mochaPass !== null) {
    return {
      runner: "mocha",
      passed: mochaPass,
      failed: sum(text, /^\s*(\d+) failing\b/gm) ?? 0,
      skipped: sum(text, /^\s*(\d+) pending\b/gm) ?? 0,
      tests: []
    }
  }
  // ava: "  3 tests passed", "  1 test failed", "  2 tests skipped", "  1 known failure"
  const avaPass = sum(text, /^\s*(\d+) tests? passed\b/gm)
  const avaFail = sum(text, /^\s*(\d+) tests? failed\b/gm)
  if (avaPass !== null || avaFail !== null) {
    return {
      runner: "ava",
      passed: avaPass ?? 0,
      failed: avaFail ?? 0,
      skipped: (sum(text, /^\s*(\d+) tests? skipped\b/gm) ?? 0) + (sum(text, /^\s*(\d+) tests? todo\b/gm) ?? 0),
      tests: []
    }
  }
  // deno: "ok | 3 passed | 0 failed (12ms)", "FAILED | 2 passed (1 step) | 1 failed | 1 ignored (489ms)"
  const denoLines = [...text.matchAll(/^(?:ok|FAILED) \| (\d+) passed(?: \([^)]*\))? \| (\d+) failed(?: \([^)]*\))?(?: \| (\d+) ignored)?(?: \| \d+ (?:measured|filtered out))*/gm)]
  if (denoLines.length > 0) {
    let passed = 0, failed = 0, skipped = 0
    for (const m of denoLines) {
      passed += Number(m[1])
      failed += Number(m[2])
      skipped += Number(m[3] ?? 0)
    }
    return { runner: "deno", passed, failed, skipped, tests: [] }
  }
  // bun: " 3 pass", " 1 fail", " 2 skip", "Ran 6 tests across 2 files."
  if (/^Ran \d+ tests? across \d+ files?/m.test(text)) {
    return {
      runner: "bun",
      passed: sum(text, /^\s*(\d+) pass\s*$/gm) ?? 0,
      failed: sum(text, /^\s*(\d+) fail\s*$/gm) ?? 0,
      skipped: (sum(text, /^\s*(\d+) skip\s*$/gm) ?? 0) + (sum(text, /^\s*(\d+) todo\s*$/gm) ?? 0),
      tests: []
    }
  }
  return null
}
