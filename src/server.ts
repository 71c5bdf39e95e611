#!/usr/bin/env node
// Entry point: `tv-api [command] [--options and settings]`. Without a command it serves the API
// (and ingests live data when LIVE is on); the other commands fill or maintain the store and exit.
import { backfillCommand } from './cli/backfill.js'
import { backupCommand, restoreCommand } from './cli/backup.js'
import type { Command } from './cli/command.js'
import { copyCommand } from './cli/copy.js'
import { exportCommand } from './cli/export.js'
import { importCommand } from './cli/import.js'
import { runCli } from './cli/run.js'
import { seedCommand } from './cli/seed.js'
import { serveCommand } from './cli/serve.js'
import { simulatorCommand } from './cli/simulator.js'

/** Every command by name, in the order --help lists them. */
const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  backfill: backfillCommand,
  import: importCommand,
  export: exportCommand,
  copy: copyCommand,
  seed: seedCommand,
  backup: backupCommand,
  restore: restoreCommand,
  simulator: simulatorCommand
}

const code = await runCli(process.argv.slice(2), COMMANDS)
// A negative code means the command keeps running (a server); anything else ends the process.
if (code >= 0) process.exit(code)
