import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"

/** Creates a temporary directory tree from a `{ relativePath: content }` map. */
export const makeRepo = (files: Record<string, string | Uint8Array>): string => {
  const root = mkdtempSync(join(tmpdir(), "ratchet-scan-"))
  writeFiles(root, files)
  return root
}

export const writeFiles = (root: string, files: Record<string, string | Uint8Array>): void => {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), content)
  }
}
