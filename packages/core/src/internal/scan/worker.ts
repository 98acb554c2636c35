/**
 * Scanner worker thread: rebuilds the plugin set from its spec, then scans batches of files.
 * When run from TypeScript sources (Node type stripping), it first maps the `.js` import
 * specifiers of the sources to their `.ts` files; no relative module is imported statically.
 */
import { enableCompileCache, registerHooks } from "node:module"
import { parentPort, workerData } from "node:worker_threads"

if (import.meta.url.endsWith(".ts")) {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" && specifier.endsWith(".js") && /^(?:\.|file:)/.test(specifier))
          return nextResolve(`${specifier.slice(0, -3)}.ts`, context)
        throw error
      }
    }
  })
}

const port = parentPort!
const data = workerData as { readonly spec: import("./plugins.js").PluginSpec; readonly compileCache?: string | null }
// The host's compile cache (the CLI enables one), so a worker's start-up reuses compiled code too.
if (data.compileCache) enableCompileCache?.(data.compileCache)

try {
  const { loadPlugins } = await import("./plugins.js")
  const { scanText } = await import("./runFile.js")
  const { hooksOf } = await import("../../Plugin.js")
  const plugins = await loadPlugins(data.spec)
  const hooks = hooksOf(plugins, "scan")
  // A worker can serve several scans of different repositories (see `pool.ts`): the root comes with each batch.
  type Message = { readonly type: "batch"; readonly root: string; readonly files: ReadonlyArray<{ readonly path: string; readonly text: string }> } | { readonly type: "stop" }
  port.on("message", (message: Message) => {
    // The pool's way to end this thread: here, between files, never inside a tree-sitter call (see `stop` in pool.ts).
    if (message.type === "stop") process.exit(0)
    for (const file of message.files) {
      port.postMessage({ type: "result", path: file.path, result: scanText(file.path, file.text, hooks, message.root) })
    }
    port.postMessage({ type: "done" })
  })
  port.postMessage({ type: "ready", plugins: plugins.map((p) => p.name) })
} catch (error) {
  port.postMessage({ type: "failed", message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })
}
