import { defineConfig } from "tsup"

export default defineConfig({
  // The scanner's worker thread entry is loaded by URL at run time (dist/internal/scan/worker.js).
  entry: ["src/*.ts", "src/internal/scan/worker.ts"],
  format: ["esm"],
  target: "node22",
  platform: "node",
  dts: false,
  clean: false,
  sourcemap: true,
  splitting: true
})
