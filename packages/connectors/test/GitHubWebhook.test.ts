import { createRequire } from "node:module"
import { describe, expect, it } from "@effect/vitest"
import { GitHubWebhook } from "../src/index.js"

// Real payloads GitHub sent, collected by Octokit (@octokit/webhooks-examples).
const examples: ReadonlyArray<{ readonly name: string; readonly examples: ReadonlyArray<Record<string, unknown>> }> = createRequire(import.meta.url)("@octokit/webhooks-examples")
const example = (name: string, action?: string): Record<string, unknown> => {
  const found = examples.find((e) => e.name === name)?.examples.find((x) => action === undefined || x.action === action)
  if (found === undefined) throw new Error(`no example for ${name}.${action}`)
  return structuredClone(found)
}

describe("GitHubWebhook.verify", () => {
  it("accepts GitHub's signature over the raw body, with any of the secrets; refuses anything else", async () => {
    const body = JSON.stringify(example("issues", "labeled"))
    const signature = await GitHubWebhook.sign("s3cret", body)
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/)
    expect(await GitHubWebhook.verify(["s3cret"], body, signature)).toBe(0)
    expect(await GitHubWebhook.verify(["old", "s3cret"], body, signature)).toBe(1)
    expect(await GitHubWebhook.verify(["other"], body, signature)).toBeNull()
    // one byte changed, a missing or malformed header, an empty secret list
    expect(await GitHubWebhook.verify(["s3cret"], body.replace("Hello-World", "Hello-Worle"), signature)).toBeNull()
    expect(await GitHubWebhook.verify(["s3cret"], body, undefined)).toBeNull()
    expect(await GitHubWebhook.verify(["s3cret"], body, signature.replace("sha256=", "sha1="))).toBeNull()
    expect(await GitHubWebhook.verify(["s3cret"], body, `${signature}00`)).toBeNull()
    expect(await GitHubWebhook.verify([], body, signature)).toBeNull()
    expect(await GitHubWebhook.verify([""], body, await GitHubWebhook.sign("x", body))).toBeNull()
  })
})

describe("GitHubWebhook.read (real example payloads)", () => {
  it("issues.labeled with the trigger label is a task from the issue's title and body", () => {
    const payload = example("issues", "labeled")
    // the example is labeled "bug": not the default trigger
    expect(GitHubWebhook.read("issues", payload)).toEqual({ kind: "ignored", reason: 'the label "bug" is not the trigger label "ratchet"' })
    const task = GitHubWebhook.read("issues", payload, { label: "Bug" })
    expect(task).toMatchObject({
      kind: "task",
      via: "label",
      repo: "Codertocat/Hello-World",
      issue: 1,
      sender: "Codertocat",
      senderIsBot: false,
      pullRequest: false,
      title: "Spelling error in the README file"
    })
    expect(task.kind === "task" && task.instruction.startsWith("Spelling error in the README file\n\nIt looks like")).toBe(true)
    expect(GitHubWebhook.read("issues", example("issues", "opened")).kind).toBe("ignored")
  })

  it("issue_comment.created with /ratchet <instruction> is a task; other comments are ignored", () => {
    const payload = example("issue_comment", "created")
    expect(GitHubWebhook.read("issue_comment", payload).kind).toBe("ignored")
    const comment = payload.comment as Record<string, unknown>
    comment.body = "/ratchet make parse() faster\nit shows up in the profile"
    expect(GitHubWebhook.read("issue_comment", payload)).toMatchObject({
      kind: "task",
      via: "comment",
      repo: "Codertocat/Hello-World",
      issue: 1,
      commentId: comment.id,
      sender: "Codertocat",
      instruction: "make parse() faster\nit shows up in the profile"
    })
    comment.body = "/ratcheting is not the command"
    expect(GitHubWebhook.read("issue_comment", payload).kind).toBe("ignored")
    expect(GitHubWebhook.read("issue_comment", example("issue_comment", "edited")).kind).toBe("ignored")
  })

  it("pull_request.closed, check_suite, check_run and status are followed; installations are bookkept", () => {
    expect(GitHubWebhook.read("pull_request", example("pull_request", "closed"))).toMatchObject({ kind: "pull-closed", repo: "Codertocat/Hello-World", number: 2, merged: false })
    expect(GitHubWebhook.read("pull_request", example("pull_request", "opened")).kind).toBe("ignored")
    expect(GitHubWebhook.read("check_suite", example("check_suite", "completed"))).toEqual({
      kind: "ci",
      repo: "Codertocat/Hello-World",
      installationId: null,
      source: "check_suite",
      sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
      pullRequests: [2]
    })
    expect(GitHubWebhook.read("check_run", example("check_run", "completed"))).toMatchObject({ kind: "ci", source: "check_run", sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", pullRequests: [2] })
    expect(GitHubWebhook.read("status", example("status"))).toMatchObject({ kind: "ci", source: "status", sha: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", pullRequests: [] })
    expect(GitHubWebhook.read("installation", example("installation", "created"))).toEqual({
      kind: "installation",
      action: "installation.created",
      installationId: 957387,
      account: "Codertocat",
      added: ["Codertocat/Hello-World"],
      removed: []
    })
    expect(GitHubWebhook.read("installation_repositories", example("installation_repositories", "removed"))).toMatchObject({
      kind: "installation",
      action: "installation_repositories.removed",
      removed: ["octocat/Hello-World"]
    })
    expect(GitHubWebhook.read("ping", example("ping")).kind).toBe("ping")
    expect(GitHubWebhook.read("star", {}).kind).toBe("ignored")
    expect(GitHubWebhook.read("issues", null).kind).toBe("ignored")
  })
})
