// Seeded variants (TypeScript, functions and a class): sequential awaits of independent per-item reads.
import { readFile, stat } from "node:fs/promises"
import { setTimeout as delay } from "node:timers/promises"

export interface Config {
  readonly name: string
  readonly port: number
}

async function loadConfig(path: string): Promise<Config> {
  const text = await readFile(path, "utf8")
  return JSON.parse(text) as Config
}

const sizeOf = async (path: string): Promise<number> => {
  const info = await stat(path)
  return info.size
}

export async function readAll(paths: ReadonlyArray<string>): Promise<Array<string>> {
  const texts: Array<string> = []
  for (const p of paths) texts.push(await readFile(p, "utf8")) // expect: promise-all
  return texts
}

export async function configs(paths: Array<string>): Promise<Array<Config>> {
  const out: Array<Config> = []
  for (const path of paths) // expect: promise-all
  {
    out.push(await loadConfig(path))
  }
  return out
}

export async function sizes(files: Set<string>): Promise<Array<number>> {
  const result: Array<number> = []
  for (const file of files) result.push(await sizeOf(file)) // expect: promise-all
  return result
}

export async function touchAll(entries: Map<string, string>): Promise<void> {
  for (const [, path] of entries) // expect: promise-all
  {
    await stat(path)
  }
}

export async function staggered(delays: ReadonlyArray<number>): Promise<Array<string>> {
  const done: Array<string> = []
  for (const ms of delays) done.push(await delay(ms, `waited ${ms}`)) // expect: promise-all
  return done
}

export class ConfigStore {
  private readonly loaded: Array<Config> = []

  async load(paths: ReadonlyArray<string>): Promise<number> {
    const fresh: Array<Config> = []
    for (const p of paths) fresh.push(await loadConfig(p)) // expect: promise-all
    this.loaded.push(...fresh)
    return this.loaded.length
  }

  // the callee is a method of `this`: calls may share the store's state, so order can matter
  async reload(paths: ReadonlyArray<string>): Promise<void> {
    for (const p of paths) await this.load([p]) // unsafe: promise-all
  }
}

export async function each(items: ReadonlyArray<string>, fn: (item: string) => Promise<void>): Promise<void> {
  // the callee is a parameter: it may be stateful (a rate limiter, a writer)
  for (const item of items) await fn(item) // unsafe: promise-all
}

let opened = 0
async function openCounted(path: string): Promise<string> {
  opened++
  return readFile(path, "utf8")
}

export async function countedReads(paths: ReadonlyArray<string>): Promise<number> {
  // the callee writes module state (`opened`)
  for (const p of paths) await openCounted(p) // unsafe: promise-all
  return opened
}
