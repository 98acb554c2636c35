#!/usr/bin/env node
/**
 * The `ratchet` executable.
 *
 * @since 0.1.0
 */
const [major, minor] = process.versions.node.split(".").map(Number)
if ((major ?? 0) < 22 || (major === 22 && (minor ?? 0) < 19)) {
  process.stderr.write(
    `ratchet: Node.js ${process.versions.node} is too old (need >= 22.19). Run it through npm (npx ratchet / npm run …), which uses the Node 24 pinned in devDependencies, or install Node 24.\n`
  )
  process.exit(2)
}
// Cache the compiled bytecode of Ratchet and its dependencies (Node's compile cache, under the temp
// directory; NODE_DISABLE_COMPILE_CACHE=1 turns it off): every later start parses less.
const { enableCompileCache } = await import("node:module")
enableCompileCache?.()
const { main } = await import("./Cli.js")
process.exitCode = await main(process.argv.slice(2))
// The command is done: whatever it left pending (a config whose loading timed out keeps a timer,
// a plugin's open handle) must not keep the process alive. Exit once the output has drained.
setTimeout(() => process.exit(), 1000).unref()
