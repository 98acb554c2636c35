/**
 * Path normalisation and classification for policy rules.
 *
 * Classification works on a normalised form so that spellings that a case-insensitive or
 * Windows filesystem treats as the same file are caught: `\` is a separator, case is
 * ignored, trailing dots and spaces of a component are dropped, zero-width characters are
 * removed and Unicode is NFC-normalised.
 *
 * @internal
 */
import picomatch from "picomatch"

// biome-ignore lint/suspicious/noMisleadingCharacterClass: these invisible code points are matched one by one on purpose
const ZERO_WIDTH = /[\u00ad\u034f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g

/** Normalised `/`-separated path for glob matching. */
export const normalise = (path: string): string => {
  const parts = path
    .normalize("NFC")
    .replace(ZERO_WIDTH, "")
    .split(/[\\/]+/)
    .map((part) => part.replace(/::\$\w+$/i, "").replace(/[. ]+$/, (m) => (/^[. ]+$/.test(part) ? m : "")))
    .filter((part) => part !== "" && part !== ".")
  return parts.join("/")
}

/** Why a path escapes the repository or targets its internals, or `null`. */
export const escapeReason = (path: string): string | null => {
  if (path.length === 0) return "empty path"
  if (/[\u0000-\u001f\u007f]/.test(path)) return "control character in the path"
  if (path.startsWith("/") || path.startsWith("\\")) return "absolute path"
  if (/^[A-Za-z]:/.test(path)) return "absolute Windows path (drive letter)"
  const parts = path.normalize("NFC").replace(ZERO_WIDTH, "").split(/[\\/]/)
  if (parts[0] === "~" || parts[0].startsWith("~")) return "home-directory path (~)"
  for (const part of parts) {
    if (/^\.\.[. ]*$/.test(part) || /^[. ]*\.\.$/.test(part) || /^\.[ ]+\.[. ]*$/.test(part)) return "`..` component leaves the repository"
    const trimmed = part.replace(/[. ]+$/, "").replace(/::\$\w+$/i, "").toLowerCase()
    if (trimmed === ".git" || trimmed === "git~1") return "writes inside the `.git` directory"
  }
  return null
}

const options = { dot: true, nocase: true } as const

const matcher = (globs: ReadonlyArray<string>): ((path: string) => boolean) => picomatch(globs as Array<string>, options)

/** Tool and build configuration (any depth). */
export const CONFIG_GLOBS: ReadonlyArray<string> = [
  "**/tsconfig*.json",
  "**/jsconfig*.json",
  "**/.eslintrc",
  "**/.eslintrc.*",
  "**/eslint.config.*",
  "**/.eslintignore",
  "**/.prettierrc",
  "**/.prettierrc.*",
  "**/prettier.config.*",
  "**/.prettierignore",
  "**/biome.json",
  "**/biome.jsonc",
  "**/.babelrc",
  "**/.babelrc.*",
  "**/babel.config.*",
  "**/.swcrc",
  "**/webpack.config.*",
  "**/webpack.*.js",
  "**/rollup.config.*",
  "**/vite.config.*",
  "**/vitest.config.*",
  "**/vitest.workspace.*",
  "**/jest.config.*",
  "**/tsup.config.*",
  "**/esbuild.config.*",
  "**/rspack.config.*",
  "**/turbo.json",
  "**/nx.json",
  "**/lerna.json",
  "**/.npmrc",
  "**/.yarnrc",
  "**/.yarnrc.yml",
  "**/.pnpmfile.cjs",
  "**/.nvmrc",
  "**/.node-version",
  "**/.tool-versions",
  "**/.editorconfig",
  "**/.gitattributes",
  "**/.gitignore",
  "**/.gitmodules",
  "**/.browserslistrc",
  "**/postcss.config.*",
  "**/tailwind.config.*",
  "**/svelte.config.*",
  "**/next.config.*",
  "**/nuxt.config.*",
  "**/astro.config.*",
  "**/karma.conf.*",
  "**/playwright.config.*",
  "**/cypress.config.*",
  "**/.mocharc*",
  "**/.c8rc*",
  "**/.nycrc*",
  "**/.stylelintrc*",
  "**/stylelint.config.*",
  "**/.lintstagedrc*",
  "**/lint-staged.config.*",
  "**/commitlint.config.*",
  "**/.commitlintrc*",
  "**/.releaserc*",
  "**/release.config.*",
  "**/renovate.json",
  "**/renovate.json5",
  "**/.renovaterc*",
  "**/.changeset/config.json",
  "**/ratchet.config.*",
  "**/.env",
  "**/.env.*",
  "**/.envrc",
  "**/Dockerfile",
  "**/Dockerfile.*",
  "**/*.dockerfile",
  "**/.dockerignore",
  "**/docker-compose*.y*ml",
  "**/compose.y*ml",
  "**/Makefile",
  "**/GNUmakefile",
  "**/*.mk",
  "**/justfile",
  "**/Justfile",
  "**/.justfile",
  "**/Taskfile.y*ml",
  "**/.husky/**",
  "**/.vscode/**",
  "**/.idea/**",
  "**/.devcontainer/**",
  "**/.pre-commit-config.yaml",
  "**/CODEOWNERS"
]

/** Test code, fixtures and snapshots. */
export const TEST_GLOBS: ReadonlyArray<string> = [
  "**/test/**",
  "**/tests/**",
  "**/__tests__/**",
  "**/spec/**",
  "**/specs/**",
  "**/__mocks__/**",
  "**/__snapshots__/**",
  "**/__fixtures__/**",
  "**/fixtures/**",
  "**/e2e/**",
  "**/cypress/**",
  "**/*.test.*",
  "**/*.spec.*",
  "**/*.e2e.*",
  "**/*_test.*",
  "**/*-test.*",
  "**/test_*.py",
  "**/*.snap",
  "**/*.bench.*"
]

/** Dependency manifests other than package.json: any change blocks. */
export const MANIFEST_GLOBS: ReadonlyArray<string> = [
  "**/pyproject.toml",
  "**/requirements*.txt",
  "**/requirements/*.txt",
  "**/constraints*.txt",
  "**/Pipfile",
  "**/setup.py",
  "**/setup.cfg",
  "**/Cargo.toml",
  "**/go.mod",
  "**/go.work",
  "**/Gemfile",
  "**/*.gemspec",
  "**/composer.json",
  "**/pom.xml",
  "**/build.gradle",
  "**/build.gradle.kts",
  "**/settings.gradle*",
  "**/deno.json",
  "**/deno.jsonc",
  "**/import_map.json",
  "**/bower.json",
  "**/pnpm-workspace.yaml",
  "**/.pnpmfile.*",
  "**/*.csproj",
  "**/Directory.Packages.props",
  "**/Package.swift",
  "**/Podfile",
  "**/mix.exs",
  "**/vcpkg.json",
  "**/conanfile.*"
]

/** Lockfiles. */
export const LOCKFILE_GLOBS: ReadonlyArray<string> = [
  "**/package-lock.json",
  "**/npm-shrinkwrap.json",
  "**/yarn.lock",
  "**/pnpm-lock.yaml",
  "**/bun.lockb",
  "**/bun.lock",
  "**/Cargo.lock",
  "**/poetry.lock",
  "**/Pipfile.lock",
  "**/pdm.lock",
  "**/uv.lock",
  "**/Gemfile.lock",
  "**/composer.lock",
  "**/go.sum",
  "**/go.work.sum",
  "**/deno.lock",
  "**/mix.lock",
  "**/packages.lock.json",
  "**/gradle.lockfile",
  "**/Podfile.lock",
  "**/Package.resolved",
  "**/flake.lock",
  "**/*.lock"
]

/** Continuous integration. */
export const CI_GLOBS: ReadonlyArray<string> = [
  "**/.github/**",
  "**/.gitlab-ci.yml",
  "**/.gitlab-ci.yaml",
  "**/.gitlab/**",
  "**/.circleci/**",
  "**/azure-pipelines*.y*ml",
  "**/.azure-pipelines/**",
  "**/.travis.yml",
  "**/Jenkinsfile*",
  "**/bitbucket-pipelines.yml",
  "**/.buildkite/**",
  "**/.drone.yml",
  "**/appveyor.yml",
  "**/.appveyor.yml",
  "**/.woodpecker/**",
  "**/.woodpecker.y*ml",
  "**/cloudbuild.y*ml",
  "**/.cirrus.yml",
  "**/.semaphore/**",
  "**/buildspec.y*ml",
  "**/netlify.toml",
  "**/vercel.json"
]

const isConfig = matcher(CONFIG_GLOBS)
const isTest = matcher(TEST_GLOBS)
const isManifest = matcher(MANIFEST_GLOBS)
const isLockfile = matcher(LOCKFILE_GLOBS)
const isCi = matcher(CI_GLOBS)

/** @internal */
export const classify = {
  config: (path: string): boolean => isConfig(normalise(path)),
  test: (path: string): boolean => isTest(normalise(path)),
  manifest: (path: string): boolean => isManifest(normalise(path)),
  lockfile: (path: string): boolean => isLockfile(normalise(path)),
  ci: (path: string): boolean => isCi(normalise(path)),
  packageJson: (path: string): boolean => {
    const norm = normalise(path)
    const base = norm.slice(norm.lastIndexOf("/") + 1)
    return base.toLowerCase() === "package.json"
  }
}

/** A matcher for user globs (frozen paths); throws on an invalid glob. */
export const globMatcher = (globs: ReadonlyArray<string>): ((path: string) => boolean) => {
  if (globs.length === 0) return () => false
  const m = matcher(globs)
  const nocaseExact = new Set(globs.map((g) => normalise(g).toLowerCase()))
  return (path) => {
    const norm = normalise(path)
    if (m(norm) || nocaseExact.has(norm.toLowerCase())) return true
    // A glob naming a directory freezes everything below it.
    for (let i = norm.indexOf("/"); i !== -1; i = norm.indexOf("/", i + 1)) {
      const dir = norm.slice(0, i)
      if (m(dir) || nocaseExact.has(dir.toLowerCase())) return true
    }
    return false
  }
}
