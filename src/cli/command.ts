import type { Config } from '../config.js'
import type { SettingName } from '../settings/schema.js'

/** Exit codes of every command, as the README's table lists them. */
export const EXIT = {
  OK: 0,
  /** A failure the command did not foresee; the stack trace is printed. */
  UNEXPECTED: 1,
  /** A bad setting, option, argument or command name. */
  USAGE: 2,
  /** The service or simulator cannot listen on HOST:PORT. */
  LISTEN: 3,
  /**
   * The database cannot be created or opened at DUCKDB (or the PostgreSQL store reached); for
   * copy, also a target another process writes: a DuckDB file it holds, a PostgreSQL store whose
   * ingest leader lock it holds or took over during the copy.
   */
  STORAGE: 4,
  /** The exchange could not be reached, or it refused a request (unknown symbol, region). */
  EXCHANGE: 5,
  /** import: a file failed or stored no candle. */
  IMPORT_INCOMPLETE: 6,
  /** Stopped by Ctrl-C (SIGINT) before finishing: 128 + the signal number, as shells report it. */
  INTERRUPTED: 130
} as const

/** An option that belongs to a subcommand rather than to the service (e.g. backfill --from). */
export interface CommandOption {
  description: string
  /** Shown in --help; the option is optional when absent. */
  default?: string
  boolean?: boolean
}

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
  /** The service settings this command reads; --help lists only these. */
  settings: readonly SettingName[]
  /** Whether the command takes arguments (files); otherwise a word after a flag is its value. */
  positionals?: boolean
  /** Resolves to the process exit code; a negative code keeps the process running (a server). */
  run (ctx: CommandContext): Promise<number>
}

/** A failure the user can act on: one line on stderr and its exit code, no stack trace. */
export class CliError extends Error {
  override name = 'CliError'
  constructor (message: string, readonly exitCode: number) {
    super(message)
  }
}

/** A bad subcommand option or argument: reported like a bad setting (one line, exit 2). */
export class UsageError extends CliError {
  override name = 'UsageError'
  constructor (message: string) {
    super(message, EXIT.USAGE)
  }
}

/** Settings of every command that opens the DuckDB file. */
export const STORE_SETTINGS: readonly SettingName[] = ['STORAGE', 'DUCKDB', 'DATABASE_URL', 'THREADS', 'DUCKDB_MEMORY_LIMIT']
