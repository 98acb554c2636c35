/**
 * The dashboard in a real browser: Debian's Chromium driven by `playwright-core` (never a
 * downloaded browser), against a real server process on a loopback port with the embedded
 * database and the real pipeline stages. A person's whole loop: sign in, add the demo repository,
 * start a run and watch its timeline fill live (no reload), open the proposal with its diff and
 * chart, approve it, create its pull request with the local git connector and see the branch.
 * Also: a wrong session and a signed-out session are refused, and a form without the CSRF token
 * changes nothing. Screenshots of the main pages go to `test-results/dashboard/` (and, with
 * `UPDATE_SCREENSHOTS=1`, to `docs/screenshots/` for the README).
 */
import { execFileSync } from "node:child_process"
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type BrowserContext, chromium, type Page } from "playwright-core"
import { type ServerProcess, startServer } from "./helpers/process.js"

const CHROMIUM = process.env.RATCHET_CHROMIUM ?? "/usr/bin/chromium"
const token = "rat_browser_test_token_0123456789"
const demo = resolve(import.meta.dirname, "..", "..", "..", "examples", "demo-repo")
const shots = resolve(import.meta.dirname, "..", "test-results", "dashboard")
const docs = resolve(import.meta.dirname, "..", "docs", "screenshots")
const work = mkdtempSync(join(tmpdir(), "ratchet-dashboard-browser-"))
chmodSync(work, 0o755) // the sandbox's unprivileged user must reach the state directory below it

let server: ServerProcess
let context: BrowserContext
let page: Page
let repoPath = ""

const git = (cwd: string, ...args: Array<string>) =>
  execFileSync("git", ["-c", "user.email=demo@example.com", "-c", "user.name=demo", "-c", "init.defaultBranch=main", ...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })

const shot = async (name: string, options: { readonly fullPage?: boolean } = {}) => {
  const file = join(shots, `${name}.png`)
  // a full-page screenshot starts from the top (the header is sticky)
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: file, fullPage: options.fullPage ?? true })
  if (process.env.UPDATE_SCREENSHOTS === "1") {
    mkdirSync(docs, { recursive: true })
    copyFileSync(file, join(docs, `${name}.png`))
  }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set RATCHET_CHROMIUM; the dashboard is tested in a real browser`)
  }
  rmSync(shots, { recursive: true, force: true })
  mkdirSync(shots, { recursive: true })
  // the demo repository as its own git repository (the local connector writes a branch into it)
  repoPath = join(work, "catalog-kit")
  cpSync(demo, repoPath, { recursive: true, filter: (src) => !src.includes("node_modules") })
  git(repoPath, "init", "-q")
  git(repoPath, "add", "-A")
  git(repoPath, "commit", "-q", "-m", "catalog-kit")
  chmodSync(repoPath, 0o755)
  server = await startServer({
    RATCHET_DATA: join(work, "data"),
    RATCHET_TOKEN: token,
    RATCHET_LOG: "off",
    RATCHET_REPO_ROOTS: work
  })
  context = await chromium.launchPersistentContext(join(work, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 860 },
    deviceScaleFactor: 1
  })
  // nothing may leave the machine: every request must go to the server under test
  await context.route("**/*", (route) => (route.request().url().startsWith(server.url) ? route.continue() : route.abort()))
  page = context.pages()[0] ?? (await context.newPage())
}, 120_000)

afterAll(async () => {
  await context?.close()
  await server?.kill("SIGTERM")
  if (process.env.KEEP === undefined) rmSync(work, { recursive: true, force: true })
})

describe("dashboard in Chromium", () => {
  it("does the whole loop: sign in, add the demo repository, run it live, judge, approve and publish", async () => {
    const external: Array<string> = []
    page.on("request", (r) => {
      if (!r.url().startsWith(server.url)) external.push(r.url())
    })
    const cspErrors: Array<string> = []
    page.on("console", (m) => {
      if (m.type() === "error") cspErrors.push(m.text())
    })

    // --- sign in (a wrong token first), by keyboard
    await page.goto(`${server.url}/`)
    await expect.poll(() => page.url()).toContain("/dashboard/login")
    await shot("login", { fullPage: false })
    await page.getByLabel("API token").fill("rat_wrong_token_000000000000")
    await page.keyboard.press("Enter")
    await page.getByText("Unknown or revoked token").waitFor()
    await page.getByLabel("API token").fill(token)
    await page.keyboard.press("Enter")
    await page.getByRole("heading", { name: "Overview" }).waitFor()

    // --- add the demo repository
    await page.getByRole("link", { name: "Add repository" }).first().click()
    await page.getByLabel("Name").fill("catalog-kit")
    await page.getByLabel("Git URL or path on the server").fill(repoPath)
    await page.getByRole("button", { name: "Add repository" }).click()
    await page.getByText("Repository added").waitFor()
    // one candidate per run keeps this test short; the schedule shows the next run
    await page.getByLabel("Candidates per run").fill("1")
    await page.getByLabel("Cron expression").fill("0 2 * * *")
    await page.getByLabel("Time zone").fill("Europe/Paris")
    await page.getByRole("button", { name: "Save settings" }).click()
    await page.getByText("Settings saved").waitFor()

    // --- start a run and watch the timeline fill without reloading
    await page.getByRole("button", { name: "Start a run" }).click()
    await page.getByText("Run started").waitFor()
    const runUrl = page.url()
    await page.evaluate(() => {
      document.body.dataset.loadedOnce = "yes"
    })
    expect(await page.locator('[data-stage="package"]').getAttribute("data-status")).not.toBe("succeeded")
    await page.locator('[data-stage="baseline"][data-status="running"], [data-stage="baseline"][data-status="succeeded"]').waitFor({ timeout: 120_000 })
    await shot("run-live")
    await page.locator('[data-stage="package"][data-status="succeeded"]').waitFor({ timeout: 240_000 })
    expect(page.url()).toBe(runUrl)
    expect(await page.evaluate(() => document.body.dataset.loadedOnce)).toBe("yes") // the same page, updated live
    await page.getByText("Run finished.").waitFor()
    await page.getByRole("heading", { name: "Candidates" }).waitFor()
    // the baseline's steps with their logs, opened by keyboard
    const testStep = page.locator("section[aria-labelledby=steps-h] details").filter({ hasText: "npm test" }).first()
    await testStep.locator("summary").focus()
    await page.keyboard.press("Enter")
    await expect.poll(() => testStep.locator("pre.log").isVisible()).toBe(true)
    expect(await testStep.locator("pre.log").textContent()).toContain("===== test: ")
    await shot("run")

    // --- open the proposal: diff and chart
    await page.locator("section[aria-labelledby=proposals-h] ul.checks a").first().click()
    await page.getByRole("heading", { name: "Benchmark" }).waitFor()
    const chart = page.locator(".chart-wide svg.chart")
    await expect.poll(() => chart.isVisible()).toBe(true)
    expect(await chart.locator("circle.dot.after").count()).toBeGreaterThan(3)
    const diff = page.locator(".diff-scroll.split table")
    await expect.poll(() => diff.isVisible()).toBe(true)
    expect(await diff.locator("td.code.add").count()).toBeGreaterThan(0)
    expect(await diff.locator("td.code.del").count()).toBeGreaterThan(0)
    await shot("proposal")

    // --- approve, then create the pull request with the local git connector
    await page.getByLabel(/^Note/).fill("Checked the hoisted RegExp: no g/y flag, pattern constant.")
    await page.getByRole("button", { name: "Approve" }).click()
    await page.getByText("Approved. You can create its pull request now.").waitFor()
    await page.getByRole("button", { name: "Create pull request" }).click()
    await page.getByText("Published through the write gate.").waitFor()
    const proposalId = page.url().split("/proposals/")[1].split("?")[0]
    expect(git(repoPath, "branch", "--list", `ratchet/${proposalId}`)).toContain(`ratchet/${proposalId}`)
    expect(git(repoPath, "log", "-1", "--format=%B", `ratchet/${proposalId}`)).toContain("Ratchet-Content-Hash")
    await page.getByText(`ratchet/${proposalId}`).first().waitFor()

    // --- audio summary (espeak-ng)
    await page.getByRole("button", { name: "Generate audio summary" }).click()
    await page.getByText("Audio summary ready.").waitFor()
    const audioSrc = await page.locator("audio").getAttribute("src")
    const audio = await page.evaluate(async (src) => {
      const r = await fetch(src ?? "")
      return { status: r.status, type: r.headers.get("content-type"), size: (await r.arrayBuffer()).byteLength }
    }, audioSrc)
    expect(audio).toMatchObject({ status: 200, type: "audio/wav" })
    expect(audio.size).toBeGreaterThan(20_000)
    await shot("proposal-approved")

    // --- inbox and overview; phone width
    await page.goto(`${server.url}/dashboard/proposals?status=all`)
    await page.getByRole("heading", { name: "Proposals" }).waitFor()
    await shot("inbox")
    await page.goto(`${server.url}/dashboard/repos`)
    await shot("repos")
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`${server.url}/dashboard/proposals/${proposalId}`)
    await expect.poll(() => page.locator(".diff-scroll.unified table").isVisible()).toBe(true)
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await shot("proposal-phone")
    await page.setViewportSize({ width: 1280, height: 860 })

    expect(external).toEqual([])
    expect(cspErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([])
  }, 420_000)

  it("refuses a form without the CSRF token, a wrong session and a signed-out session", async () => {
    await page.goto(`${server.url}/dashboard/repos`)
    // a same-origin form post without the token changes nothing
    const refused = await page.evaluate(async () => {
      const r = await fetch("/dashboard/repos", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "name=sneaky&location=%2Ftmp%2Fsneaky" })
      return { status: r.status, text: await r.text() }
    })
    expect(refused.status).toBe(403)
    expect(refused.text).toContain("security token")
    await page.reload()
    expect(await page.getByText("sneaky").count()).toBe(0)

    // sign out; the old cookie no longer opens anything
    const before = (await context.cookies()).find((c) => c.name === "ratchet_session")
    expect(before?.httpOnly).toBe(true)
    expect(before?.sameSite).toBe("Strict")
    await page.getByRole("button", { name: "Sign out" }).click()
    await page.getByRole("heading", { name: "Sign in" }).waitFor()
    const { expires: _expires, partitionKey: _partition, ...old } = before!
    await context.addCookies([old])
    await page.goto(`${server.url}/dashboard/proposals`)
    await page.getByRole("heading", { name: "Sign in" }).waitFor()
    await page.getByText("Your session has ended").waitFor()

    // a made-up session cookie
    await context.addCookies([{ name: "ratchet_session", value: "x".repeat(43), url: `${server.url}/dashboard/` }])
    const res = await page.goto(`${server.url}/dashboard/runs`)
    expect(res?.url()).toContain("/dashboard/login")
    await page.getByRole("heading", { name: "Sign in" }).waitFor()
  }, 120_000)
})
