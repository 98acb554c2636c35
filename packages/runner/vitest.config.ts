import { configDefaults, defineProject } from "vitest/config"

const conditions = ["source", "node", "import", "default"]

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: { name: "runner", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, "test/fixtures/**"], testTimeout: 60_000, hookTimeout: 60_000 }
})
