import type { CommandOption, Config } from '../config.js'

export interface CommandContext {
  config: Config
  /** Subcommand options by upper-snake key (FROM, SYMBOLS, ...). */
  options: Map<string, string>
  positionals: string[]
}

export interface Command {
  summary: string
  usage: string
  options: Record<string, CommandOption>
  /** Resolves to the process exit code. */
  run (ctx: CommandContext): Promise<number>
}

/** A bad subcommand option: reported like a bad setting (one line, exit 2). */
export class UsageError extends Error {
  override name = 'UsageError'
}
