/**
 * Applies a unified diff to files under a root, in process. Paths must stay inside the root.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, isAbsolute, relative, resolve } from "node:path"
import { applyPatch as applyOne, parsePatch } from "diff"

const stripPrefix = (name: string | undefined): string | null => {
  if (name === undefined || name === "/dev/null") return null
  return name.replace(/^[ab]\//, "").replace(/\t.*$/, "")
}

const inside = (root: string, file: string): string => {
  if (isAbsolute(file) || file.includes("\0")) throw new Error(`path ${JSON.stringify(file)} is absolute or contains NUL`)
  const target = resolve(root, file)
  const rel = relative(root, target)
  if (rel.startsWith("..") || isAbsolute(rel)) throw new Error(`path ${JSON.stringify(file)} escapes the workspace`)
  return target
}

/**
 * Applies every file patch in `diff` under `root`. Returns the touched paths, or throws with the
 * file whose hunks did not apply.
 */
export const applyUnifiedDiff = (root: string, diff: string): Array<string> => {
  const patches = parsePatch(diff)
  if (patches.length === 0) throw new Error("the diff contains no file patches")
  const touched: Array<string> = []
  for (const patch of patches) {
    const oldName = stripPrefix(patch.oldFileName)
    const newName = stripPrefix(patch.newFileName)
    const name = newName ?? oldName
    if (name === null) throw new Error("a file patch names no file")
    const target = inside(root, name)
    const source = oldName === null ? "" : existsSync(inside(root, oldName)) ? readFileSync(inside(root, oldName), "utf8") : null
    if (source === null) throw new Error(`${oldName} does not exist in the workspace`)
    const result = applyOne(source, patch)
    if (result === false) throw new Error(`the hunks for ${name} do not apply (the file changed since the patch was made)`)
    if (newName === null) {
      rmSync(inside(root, oldName!))
    } else {
      mkdirSync(dirname(target), { recursive: true })
      writeFileSync(target, result)
      if (oldName !== null && oldName !== newName) rmSync(inside(root, oldName))
    }
    touched.push(name)
  }
  return touched
}
