import { defineConfig } from "tsup"

export default defineConfig({
  entry: ["src/*.ts"],
  format: ["esm"],
  target: "node22",
  platform: "node",
  dts: false,
  clean: false,
  sourcemap: true,
  splitting: true
})
