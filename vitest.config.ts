import { defineConfig } from "vitest/config"

// One vitest process for the whole monorepo; each package is a project.
// The "source" export condition makes @ratchet/* resolve to TypeScript sources, so tests never need a build.
const conditions = ["source", "node", "import", "default"]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    projects: ["packages/*"],
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
