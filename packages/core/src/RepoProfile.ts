/**
 * The profile of a repository: package manager, workspaces, frameworks and commands,
 * each with the evidence it was derived from.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A piece of evidence: which file (and line) said what.
 *
 * @since 0.1.0
 */
export const Evidence = Schema.Struct({
  file: Schema.String,
  line: Schema.optionalKey(Schema.Number),
  detail: Schema.String
})
/** @since 0.1.0 */
export type Evidence = typeof Evidence.Type

/**
 * A confidence in `[0, 1]`.
 *
 * @since 0.1.0
 */
export const Confidence = Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))

/**
 * A command to run, relative to the repository root.
 *
 * @since 0.1.0
 */
export const CommandSpec = Schema.Struct({
  command: Schema.String,
  cwd: Schema.String,
  confidence: Confidence,
  evidence: Schema.Array(Evidence)
})
/** @since 0.1.0 */
export type CommandSpec = typeof CommandSpec.Type

/**
 * The package manager (or, for Deno, the runtime that manages dependencies itself).
 * `"deno"` since 0.2.0.
 *
 * @since 0.1.0
 */
export const PackageManagerName = Schema.Literals(["npm", "pnpm", "yarn", "bun", "deno"])
/** @since 0.1.0 */
export type PackageManagerName = typeof PackageManagerName.Type

/**
 * The detected package manager.
 *
 * @since 0.1.0
 */
export const PackageManager = Schema.Struct({
  name: PackageManagerName,
  variant: Schema.NullOr(Schema.Literals(["classic", "berry"])),
  version: Schema.NullOr(Schema.String),
  confidence: Confidence,
  evidence: Schema.Array(Evidence),
  /**
   * How dependencies are laid out, when known: `"pnp"` for Yarn Plug'n'Play (no `node_modules`;
   * `.pnp.cjs` and the zip cache), `"node-modules"` otherwise for Yarn Berry. Since 0.2.0.
   */
  linker: Schema.optionalKey(Schema.NullOr(Schema.Literals(["pnp", "node-modules"])))
})
/** @since 0.1.0 */
export type PackageManager = typeof PackageManager.Type

/**
 * A detected framework.
 *
 * @since 0.1.0
 */
export const Framework = Schema.Struct({
  name: Schema.String,
  version: Schema.NullOr(Schema.String),
  evidence: Schema.Array(Evidence)
})
/** @since 0.1.0 */
export type Framework = typeof Framework.Type

/**
 * The commands Ratchet runs; `null` when none was found.
 *
 * @since 0.1.0
 */
export const Commands = Schema.Struct({
  install: Schema.NullOr(CommandSpec),
  build: Schema.NullOr(CommandSpec),
  typecheck: Schema.NullOr(CommandSpec),
  test: Schema.NullOr(CommandSpec),
  bench: Schema.NullOr(CommandSpec)
})
/** @since 0.1.0 */
export type Commands = typeof Commands.Type
/** @since 0.1.0 */
export type CommandName = keyof Commands

/**
 * One project root of a repository that holds several: where it is, its package manager,
 * workspaces and commands (each command's `cwd` is relative to the repository root).
 *
 * @since 0.2.0
 */
export const ProjectRoot = Schema.Struct({
  dir: Schema.String,
  packageManager: PackageManager,
  workspaces: Schema.Array(Schema.String),
  commands: Commands
})
/** @since 0.2.0 */
export type ProjectRoot = typeof ProjectRoot.Type

/**
 * The `ratchet detect --json` output.
 *
 * @since 0.1.0
 */
export const RepoProfile = Schema.Struct({
  root: Schema.String,
  packageManager: PackageManager,
  workspaces: Schema.Array(Schema.String),
  frameworks: Schema.Array(Framework),
  commands: Commands,
  warnings: Schema.Array(Schema.String),
  /** When confidence is too low: the one question to ask the user. */
  question: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** Monorepo task tools found (turbo, nx, lerna, moon), with versions and evidence. */
  tools: Schema.optionalKey(Schema.Array(Framework)),
  /**
   * Every project root found when a repository holds more than one (two workspace roots side by
   * side, a Deno service next to a Node.js app): the first is the one `commands` are for. Since 0.2.0.
   */
  projects: Schema.optionalKey(Schema.Array(ProjectRoot))
})
/** @since 0.1.0 */
export type RepoProfile = typeof RepoProfile.Type
