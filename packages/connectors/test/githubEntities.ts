/**
 * The objects the fake GitHub answers with, shaped as GitHub's OpenAPI description says (every
 * required field, with the right types and formats). The fake validates each response against the
 * description, so a field missing here fails the test that made the request.
 */

const T0 = "2026-01-01T00:00:00Z"

export interface Site {
  /** The API base URL (the fake's address). */
  readonly api: string
  /** The web base URL used in `html_url`s. */
  readonly web: string
}

let nextId = 1000
const id = () => nextId++
const nodeId = (kind: string, n: number) => Buffer.from(`${kind}:${n}`).toString("base64")

export const user = (site: Site, name: string, n = 1, type = "User") => {
  const login = encodeURIComponent(name)
  return {
  login: name,
  id: n,
  node_id: nodeId("User", n),
  avatar_url: `${site.web}/avatars/${login}`,
  gravatar_id: "",
  url: `${site.api}/users/${login}`,
  html_url: `${site.web}/${login}`,
  followers_url: `${site.api}/users/${login}/followers`,
  following_url: `${site.api}/users/${login}/following{/other_user}`,
  gists_url: `${site.api}/users/${login}/gists{/gist_id}`,
  starred_url: `${site.api}/users/${login}/starred{/owner}{/repo}`,
  subscriptions_url: `${site.api}/users/${login}/subscriptions`,
  organizations_url: `${site.api}/users/${login}/orgs`,
  repos_url: `${site.api}/users/${login}/repos`,
  events_url: `${site.api}/users/${login}/events{/privacy}`,
  received_events_url: `${site.api}/users/${login}/received_events`,
  type,
  site_admin: false,
  user_view_type: "public"
  }
}

export const privateUser = (site: Site, login: string, n = 1) => ({
  ...user(site, login, n),
  user_view_type: "private",
  name: login,
  company: null,
  blog: "",
  location: null,
  email: null,
  hireable: null,
  bio: null,
  public_repos: 1,
  public_gists: 0,
  followers: 0,
  following: 0,
  created_at: T0,
  updated_at: T0,
  private_gists: 0,
  total_private_repos: 1,
  owned_private_repos: 1,
  disk_usage: 1,
  collaborators: 0,
  two_factor_authentication: true
})

export interface RepoInfo {
  readonly owner: string
  readonly name: string
  readonly id: number
  readonly private: boolean
  readonly defaultBranch: string
}

const minimalRepository = (site: Site, r: RepoInfo) => {
  const a = `${site.api}/repos/${r.owner}/${r.name}`
  return {
    id: r.id,
    node_id: nodeId("Repository", r.id),
    name: r.name,
    full_name: `${r.owner}/${r.name}`,
    owner: user(site, r.owner, 1, "Organization"),
    private: r.private,
    html_url: `${site.web}/${r.owner}/${r.name}`,
    description: null,
    fork: false,
    url: a,
    archive_url: `${a}/{archive_format}{/ref}`,
    assignees_url: `${a}/assignees{/user}`,
    blobs_url: `${a}/git/blobs{/sha}`,
    branches_url: `${a}/branches{/branch}`,
    collaborators_url: `${a}/collaborators{/collaborator}`,
    comments_url: `${a}/comments{/number}`,
    commits_url: `${a}/commits{/sha}`,
    compare_url: `${a}/compare/{base}...{head}`,
    contents_url: `${a}/contents/{+path}`,
    contributors_url: `${a}/contributors`,
    deployments_url: `${a}/deployments`,
    downloads_url: `${a}/downloads`,
    events_url: `${a}/events`,
    forks_url: `${a}/forks`,
    git_commits_url: `${a}/git/commits{/sha}`,
    git_refs_url: `${a}/git/refs{/sha}`,
    git_tags_url: `${a}/git/tags{/sha}`,
    hooks_url: `${a}/hooks`,
    issue_comment_url: `${a}/issues/comments{/number}`,
    issue_events_url: `${a}/issues/events{/number}`,
    issues_url: `${a}/issues{/number}`,
    keys_url: `${a}/keys{/key_id}`,
    labels_url: `${a}/labels{/name}`,
    languages_url: `${a}/languages`,
    merges_url: `${a}/merges`,
    milestones_url: `${a}/milestones{/number}`,
    notifications_url: `${a}/notifications{?since,all,participating}`,
    pulls_url: `${a}/pulls{/number}`,
    releases_url: `${a}/releases{/id}`,
    stargazers_url: `${a}/stargazers`,
    statuses_url: `${a}/statuses/{sha}`,
    subscribers_url: `${a}/subscribers`,
    subscription_url: `${a}/subscription`,
    tags_url: `${a}/tags`,
    teams_url: `${a}/teams`,
    trees_url: `${a}/git/trees{/sha}`
  }
}

export const repository = (site: Site, r: RepoInfo, permissions?: { admin: boolean; maintain: boolean; push: boolean; triage: boolean; pull: boolean }) => ({
  ...minimalRepository(site, r),
  clone_url: `${site.web}/${r.owner}/${r.name}.git`,
  git_url: `git://github.example/${r.owner}/${r.name}.git`,
  ssh_url: `git@github.example:${r.owner}/${r.name}.git`,
  svn_url: `${site.web}/${r.owner}/${r.name}`,
  mirror_url: null,
  homepage: null,
  language: "JavaScript",
  forks: 0,
  forks_count: 0,
  stargazers_count: 0,
  watchers_count: 0,
  watchers: 0,
  size: 1,
  default_branch: r.defaultBranch,
  open_issues: 0,
  open_issues_count: 0,
  has_issues: true,
  has_projects: false,
  has_wiki: false,
  has_pages: false,
  has_downloads: false,
  archived: false,
  disabled: false,
  license: null,
  pushed_at: T0,
  created_at: T0,
  updated_at: T0,
  ...(permissions === undefined ? {} : { permissions })
})

export const fullRepository = (site: Site, r: RepoInfo, permissions?: Parameters<typeof repository>[2]) => ({
  ...repository(site, r, permissions),
  has_discussions: false,
  network_count: 0,
  subscribers_count: 0
})

export const minimal = minimalRepository

export const gitRef = (site: Site, r: RepoInfo, ref: string, sha: string) => ({
  ref: `refs/${ref}`,
  node_id: nodeId("Ref", id()),
  url: `${site.api}/repos/${r.owner}/${r.name}/git/refs/${ref}`,
  object: { type: "commit", sha, url: `${site.api}/repos/${r.owner}/${r.name}/git/commits/${sha}` }
})

export const gitCommit = (
  site: Site,
  r: RepoInfo,
  c: {
    readonly sha: string
    readonly tree: string
    readonly parents: ReadonlyArray<string>
    readonly message: string
    readonly author: { readonly name: string; readonly email: string; readonly date: string }
    readonly committer: { readonly name: string; readonly email: string; readonly date: string }
  }
) => {
  const a = `${site.api}/repos/${r.owner}/${r.name}`
  return {
    sha: c.sha,
    node_id: nodeId("Commit", id()),
    url: `${a}/git/commits/${c.sha}`,
    html_url: `${site.web}/${r.owner}/${r.name}/commit/${c.sha}`,
    author: c.author,
    committer: c.committer,
    tree: { sha: c.tree, url: `${a}/git/trees/${c.tree}` },
    message: c.message,
    parents: c.parents.map((p) => ({ sha: p, url: `${a}/git/commits/${p}`, html_url: `${site.web}/${r.owner}/${r.name}/commit/${p}` })),
    verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null }
  }
}

export const contentFile = (site: Site, r: RepoInfo, path: string, sha: string, content: Buffer, ref: string) => {
  const self = `${site.api}/repos/${r.owner}/${r.name}/contents/${path}?ref=${ref}`
  const html = `${site.web}/${r.owner}/${r.name}/blob/${ref}/${path}`
  const git = `${site.api}/repos/${r.owner}/${r.name}/git/blobs/${sha}`
  return {
    type: "file",
    encoding: "base64",
    size: content.length,
    name: path.split("/").pop() ?? path,
    path,
    content: content.toString("base64"),
    sha,
    url: self,
    git_url: git,
    html_url: html,
    download_url: `${site.web}/${r.owner}/${r.name}/raw/${ref}/${path}`,
    _links: { self, git, html }
  }
}

export const shortBlob = (site: Site, r: RepoInfo, sha: string) => ({ sha, url: `${site.api}/repos/${r.owner}/${r.name}/git/blobs/${sha}` })

export const gitTree = (
  site: Site,
  r: RepoInfo,
  sha: string,
  entries: ReadonlyArray<{ readonly path: string; readonly mode: string; readonly type: string; readonly sha: string; readonly size?: number }>
) => ({
  sha,
  url: `${site.api}/repos/${r.owner}/${r.name}/git/trees/${sha}`,
  truncated: false,
  tree: entries.map((e) => ({ ...e, url: `${site.api}/repos/${r.owner}/${r.name}/git/${e.type === "tree" ? "trees" : "blobs"}/${e.sha}` }))
})

export interface PullState {
  readonly number: number
  readonly id: number
  readonly title: string
  readonly head: string
  readonly base: string
  readonly body: string
  readonly sha: string
  readonly baseSha: string
  readonly draft: boolean
  state: "open" | "closed"
  merged: boolean
  readonly user: string
}

const pullCommon = (site: Site, r: RepoInfo, p: PullState) => {
  const a = `${site.api}/repos/${r.owner}/${r.name}`
  const html = `${site.web}/${r.owner}/${r.name}/pull/${p.number}`
  const side = (ref: string, sha: string) => ({ label: `${r.owner}:${ref}`, ref, sha, user: user(site, r.owner, 1, "Organization"), repo: repository(site, r) })
  return {
    url: `${a}/pulls/${p.number}`,
    id: p.id,
    node_id: nodeId("PullRequest", p.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${a}/issues/${p.number}`,
    commits_url: `${a}/pulls/${p.number}/commits`,
    review_comments_url: `${a}/pulls/${p.number}/comments`,
    review_comment_url: `${a}/pulls/comments{/number}`,
    comments_url: `${a}/issues/${p.number}/comments`,
    statuses_url: `${a}/statuses/${p.sha}`,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    user: user(site, p.user, 7),
    body: p.body,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: T0,
    updated_at: T0,
    closed_at: p.state === "closed" ? T0 : null,
    merged_at: p.merged ? T0 : null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: side(p.head, p.sha),
    base: side(p.base, p.baseSha),
    _links: {
      self: { href: `${a}/pulls/${p.number}` },
      html: { href: html },
      issue: { href: `${a}/issues/${p.number}` },
      comments: { href: `${a}/issues/${p.number}/comments` },
      review_comments: { href: `${a}/pulls/${p.number}/comments` },
      review_comment: { href: `${a}/pulls/comments{/number}` },
      commits: { href: `${a}/pulls/${p.number}/commits` },
      statuses: { href: `${a}/statuses/${p.sha}` }
    },
    author_association: "NONE",
    auto_merge: null,
    draft: p.draft
  }
}

export const pullSimple = pullCommon

export const pull = (site: Site, r: RepoInfo, p: PullState, stats: { additions: number; deletions: number; files: number }) => ({
  ...pullCommon(site, r, p),
  merged: p.merged,
  mergeable: null,
  rebaseable: null,
  mergeable_state: "unknown",
  merged_by: null,
  comments: 0,
  review_comments: 0,
  maintainer_can_modify: false,
  commits: 1,
  additions: stats.additions,
  deletions: stats.deletions,
  changed_files: stats.files
})

export const issueComment = (site: Site, r: RepoInfo, c: { readonly id: number; readonly issue: number; readonly body: string; readonly login: string; readonly type?: string }) => ({
  id: c.id,
  node_id: nodeId("IssueComment", c.id),
  url: `${site.api}/repos/${r.owner}/${r.name}/issues/comments/${c.id}`,
  html_url: `${site.web}/${r.owner}/${r.name}/issues/${c.issue}#issuecomment-${c.id}`,
  issue_url: `${site.api}/repos/${r.owner}/${r.name}/issues/${c.issue}`,
  body: c.body,
  user: user(site, c.login, 9, c.type ?? "Bot"),
  created_at: T0,
  updated_at: T0,
  author_association: "NONE"
})

export interface AppInfo {
  readonly id: number
  readonly slug: string
  readonly owner: string
  readonly permissions: Record<string, string>
  readonly events: ReadonlyArray<string>
}

export const integration = (site: Site, app: AppInfo) => ({
  id: app.id,
  slug: app.slug,
  node_id: nodeId("App", app.id),
  client_id: `Iv1.${app.id}`,
  owner: user(site, app.owner, 1, "Organization"),
  name: app.slug,
  description: null,
  external_url: `${site.web}/apps/${app.slug}`,
  html_url: `${site.web}/apps/${app.slug}`,
  created_at: T0,
  updated_at: T0,
  permissions: app.permissions,
  events: [...app.events]
})

export const installation = (site: Site, app: AppInfo, inst: { readonly id: number; readonly account: string; readonly selection: "all" | "selected" }) => ({
  id: inst.id,
  account: user(site, inst.account, 1, "Organization"),
  repository_selection: inst.selection,
  access_tokens_url: `${site.api}/app/installations/${inst.id}/access_tokens`,
  repositories_url: `${site.api}/installation/repositories`,
  html_url: `${site.web}/organizations/${inst.account}/settings/installations/${inst.id}`,
  app_id: app.id,
  app_slug: app.slug,
  target_id: 1,
  target_type: "Organization",
  permissions: app.permissions,
  events: [...app.events],
  created_at: T0,
  updated_at: T0,
  single_file_name: null,
  suspended_by: null,
  suspended_at: null
})

export const installationToken = (token: string, expiresAt: string, permissions: Record<string, string>, selection: "all" | "selected") => ({
  token,
  expires_at: expiresAt,
  permissions,
  repository_selection: selection
})

export const collaboratorPermission = (site: Site, login: string, permission: string) => ({
  permission: permission === "maintain" || permission === "triage" ? (permission === "maintain" ? "write" : "read") : permission,
  role_name: permission,
  user: permission === "none" ? null : { ...user(site, login, 11), role_name: permission }
})

export interface CheckRunState {
  readonly id: number
  readonly name: string
  status: "queued" | "in_progress" | "completed"
  conclusion: "success" | "failure" | "neutral" | "cancelled" | "skipped" | "timed_out" | "action_required" | null
  readonly sha: string
}

export const checkRun = (site: Site, r: RepoInfo, c: CheckRunState) => ({
  id: c.id,
  head_sha: c.sha,
  node_id: nodeId("CheckRun", c.id),
  external_id: null,
  url: `${site.api}/repos/${r.owner}/${r.name}/check-runs/${c.id}`,
  html_url: `${site.web}/${r.owner}/${r.name}/runs/${c.id}`,
  details_url: `${site.web}/${r.owner}/${r.name}/runs/${c.id}`,
  status: c.status,
  conclusion: c.conclusion,
  started_at: T0,
  completed_at: c.status === "completed" ? T0 : null,
  output: { title: c.name, summary: `${c.name}: ${c.conclusion ?? c.status}`, text: null, annotations_count: 0, annotations_url: `${site.api}/repos/${r.owner}/${r.name}/check-runs/${c.id}/annotations` },
  name: c.name,
  check_suite: { id: c.id + 1 },
  app: null,
  pull_requests: []
})

export interface StatusState {
  readonly id: number
  readonly context: string
  readonly state: "error" | "failure" | "pending" | "success"
  readonly sha: string
}

export const combinedStatus = (site: Site, r: RepoInfo, sha: string, statuses: ReadonlyArray<StatusState>) => {
  const state =
    statuses.length === 0
      ? "pending"
      : statuses.some((s) => s.state === "failure" || s.state === "error")
        ? "failure"
        : statuses.some((s) => s.state === "pending")
          ? "pending"
          : "success"
  return {
    state,
    sha,
    total_count: statuses.length,
    statuses: statuses.map((s) => ({
      id: s.id,
      node_id: nodeId("Status", s.id),
      url: `${site.api}/repos/${r.owner}/${r.name}/statuses/${sha}`,
      avatar_url: null,
      state: s.state,
      description: `${s.context}: ${s.state}`,
      target_url: null,
      context: s.context,
      created_at: T0,
      updated_at: T0
    })),
    repository: minimalRepository(site, r),
    commit_url: `${site.api}/repos/${r.owner}/${r.name}/commits/${sha}`,
    url: `${site.api}/repos/${r.owner}/${r.name}/commits/${sha}/status`
  }
}

export const basicError = (message: string) => ({ message, documentation_url: "https://docs.github.com/rest" })

export const newId = id
