#!/usr/bin/env node
// Entry point: `tv-api [command] [--settings]`. Without a command it serves the API (and ingests
// live data when LIVE is on); other commands fill or maintain the store and exit.
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { UsageError, type Command } from './cli/command.js'
import { backfillCommand } from './cli/backfill.js'
import { backupCommand, restoreCommand } from './cli/backup.js'
import { importCommand } from './cli/import.js'
import { seedCommand } from './cli/seed.js'
import { simulatorCommand } from './cli/simulator.js'
import { ConfigError, helpText, loadConfig, parseCommandLine } from './config.js'
import { packageInfo } from './project.js'

const serveCommand: Command = {
  summary: 'serve the REST API and /ws (default)',
  usage: 'tv-api [serve] [settings]',
  options: {},
  async run ({ config, positionals }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
    const app = await buildApp(config)
    closeWithGrace({ delay: 15_000, logger: app.log }, async ({ signal, err }) => {
      if (err !== undefined) app.log.error({ err }, 'closing after an unexpected error')
      else app.log.info({ signal }, 'shutting down')
      await app.close()
    })
    await app.listen({ host: config.HOST, port: config.PORT })
    return -1
  }
}

const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  backfill: backfillCommand,
  import: importCommand,
  seed: seedCommand,
  backup: backupCommand,
  restore: restoreCommand,
  simulator: simulatorCommand
}

function usage (): string {
  const names = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  return ['Usage: tv-api [command] [--setting value ...]', '', 'Commands:', ...names, '', 'tv-api <command> --help lists the options of one command.'].join('\n')
}

async function main (argv: string[]): Promise<number> {
  const name = argv[0] !== undefined && !argv[0].startsWith('-') && argv[0] in COMMANDS ? argv[0] : 'serve'
  const command = COMMANDS[name]!
  const rest = name === argv[0] ? argv.slice(1) : argv
  try {
    const commandLine = parseCommandLine(rest, command.options)
    if (commandLine.help) {
      process.stdout.write(helpText(name === 'serve' ? usage() : `tv-api ${name}: ${command.summary}\n\n${command.usage}`, command.options))
      return 0
    }
    if (commandLine.version) {
      process.stdout.write(`${packageInfo().version}\n`)
      return 0
    }
    const config = loadConfig({ commandLine })
    return await command.run({ config, options: commandLine.options, positionals: commandLine.positionals })
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`tv-api: ${err.message}\n`)
      return 2
    }
    process.stderr.write(`tv-api: ${(err as Error).stack ?? String(err)}\n`)
    return 1
  }
}

const code = await main(process.argv.slice(2))
// A negative code means the command keeps running (a server); anything else ends the process.
if (code >= 0) process.exit(code)
