// The command line: picks the command, prints help or the version, loads the settings, runs the
// command and turns every failure the user can act on into one line on stderr and an exit code.
import { loadConfig } from '../config.js'
import { packageInfo } from '../project.js'
import { ConfigError } from '../settings/parse-setting.js'
import { StorageError } from '../store/duckdb/database-folder.js'
import { parseCommandLine } from './argv.js'
import { CliError, EXIT, type Command } from './command.js'
import { commandHelp, globalHelp, unknownCommand } from './help.js'

/** What to do about a database that cannot be used, after the sentence saying why. */
const STORAGE_ADVICE = 'choose another location with --duckdb or DUCKDB (or --storage memory to keep nothing)'

function oneLine (err: unknown): { line: string, code: number } | undefined {
  if (err instanceof ConfigError) return { line: err.message, code: EXIT.USAGE }
  if (err instanceof CliError) return { line: err.message, code: err.exitCode }
  if (err instanceof StorageError) return { line: `${err.message}; ${err.hint ?? STORAGE_ADVICE}`, code: EXIT.STORAGE }
  return undefined
}

/** Runs `argv` (without node and the script); resolves to the exit code, negative while serving. */
export async function runCli (argv: readonly string[], commands: Record<string, Command>, defaultCommand = 'serve'): Promise<number> {
  const first = argv[0]
  const named = first !== undefined && !first.startsWith('-')
  if (named && !(first in commands)) {
    process.stderr.write(`tv-api: ${unknownCommand(first, commands)}\n`)
    return EXIT.USAGE
  }
  const name = named ? first : defaultCommand
  const command = commands[name]!
  try {
    const commandLine = parseCommandLine(named ? argv.slice(1) : argv, command.options, { positionals: command.positionals })
    if (commandLine.help) {
      process.stdout.write(named ? commandHelp(name, command) : globalHelp(commands))
      return EXIT.OK
    }
    if (commandLine.version) {
      process.stdout.write(`${packageInfo().version}\n`)
      return EXIT.OK
    }
    const config = loadConfig({ flags: commandLine.settings })
    return await command.run({ config, options: commandLine.options, positionals: commandLine.positionals })
  } catch (err) {
    const known = oneLine(err)
    if (known !== undefined) {
      process.stderr.write(`tv-api: ${known.line}\n`)
      return known.code
    }
    process.stderr.write(`tv-api: ${(err as Error).stack ?? String(err)}\n`)
    return EXIT.UNEXPECTED
  }
}
