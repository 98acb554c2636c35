import { defineProject } from "vitest/config"

const conditions = ["source", "node", "import", "default"]

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: { name: "policy", setupFiles: ["../../vitest.setup.ts"], include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 }
})
